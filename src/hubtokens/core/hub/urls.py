"""Hub base URLs: one normal form, and TLS for anything that leaves this machine."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

from hubtokens.core.errors import UsageError

DEFAULT_HUB_URL = "https://hub.docker.com"
# the Hub makes an auto-generated PAT for a web sign-in's session (docker/cli
# internal/oauth/api/api.go, GetAutoPAT)
DESKTOP_GENERATE_PATH = "/v2/access-tokens/desktop-generate"

_DEFAULT_PORTS = {"https": 443, "http": 80}
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def normalize_hub_url(url: str) -> str:
    """``scheme://host[:port]`` in lower case, without a trailing slash.

    Tokens and passwords travel to this URL, so it must be https, except on loopback where a
    local hub (``hubtokens.localhub``) may speak plain http.
    """
    parts = _split(url.strip().rstrip("/"))
    host = _host(parts)
    scheme = parts.scheme.lower()
    if scheme == "http" and not is_loopback(host):
        raise UsageError(f"tokens travel only over TLS: use https:// for {host}")
    port = _port(parts)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def same_origin(url: str, base_url: str) -> bool:
    """True when ``url`` has the scheme, host and port of the (normalised) ``base_url``."""
    try:
        return normalize_hub_url(_origin(url)) == base_url
    except (UsageError, ValueError):
        return False


def host_of(base_url: str) -> str:
    """``host[:port]`` of a normalised base URL, for messages."""
    return urlsplit(base_url).netloc


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _split(url: str) -> SplitResult:
    # the URL itself is never echoed: it may hold a password
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UsageError("the hub URL cannot be read; use e.g. " + DEFAULT_HUB_URL) from None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
        raise UsageError("the hub URL must start with https://, e.g. " + DEFAULT_HUB_URL)
    if "@" in parts.netloc:
        raise UsageError("the hub URL must not contain a user name or password")
    if parts.path or parts.query or parts.fragment or url.endswith(("?", "#")):
        raise UsageError("the hub URL must be only scheme and host, e.g. " + DEFAULT_HUB_URL)
    return parts


def _host(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower().removesuffix(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not all(_HOST_LABEL.fullmatch(label) for label in host.split(".")):
            raise UsageError("the hub URL has an invalid host name") from None
    return host


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        raise UsageError("the hub URL has an invalid port") from None
    if port == 0:
        raise UsageError("the hub URL has an invalid port")
    return port
