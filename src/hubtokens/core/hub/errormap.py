"""HTTP answers → the error tree (core/errors.py), with messages safe to show.

A message may quote the hub's ``message``/``detail`` only when it is short, one line and does
not look like it carries a URL or a secret; otherwise a fixed message stands in for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from hubtokens.core.errors import (
    AuthenticationFailed,
    HubError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ServerError,
)
from hubtokens.core.hub.ratelimit import parse_retry_at

MAX_QUOTED = 160
_SECRET_LIKE = re.compile(r"dckr_|bearer\s|://|[A-Za-z0-9_+/=.-]{32,}", re.IGNORECASE)
PAT_SESSION_MESSAGE = (
    "a session from a personal access token cannot manage tokens; sign in with your password"
)


class Route(Enum):
    """What a request was for: a 401 means something different on each."""

    LOGIN = "login"
    SECOND_FACTOR = "second factor"
    TOKENS = "tokens"
    DESKTOP_GENERATE = "desktop-generate"


_UNAUTHORIZED = {
    Route.LOGIN: "incorrect username or password",
    Route.SECOND_FACTOR: "incorrect or expired two-factor code",
    Route.TOKENS: "the hub rejected the session: sign in again",
    Route.DESKTOP_GENERATE: "the hub rejected the session: sign in again",
}
WEB_SESSION_ONLY_MESSAGE = (
    "the hub makes auto-generated tokens only for a session signed in through the browser"
)


def decode_json(content: bytes, status: int) -> object:
    """The body as JSON, or ProtocolError (HTML error pages, garbage, a truncated body)."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        raise ProtocolError(
            f"the hub sent a response that is not valid JSON (HTTP {status})", status=status
        ) from None


def error_body(content: bytes) -> Mapping[str, Any]:
    """An error response's JSON object, or an empty one: error bodies are only a bonus."""
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return {}
    return body if isinstance(body, Mapping) else {}


def safe_text(value: object) -> str | None:
    """``value`` when it is fit to show a person, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_QUOTED or not text.isprintable() or _SECRET_LIKE.search(text):
        return None
    return text


def hub_message(body: Mapping[str, Any]) -> str | None:
    """The hub's own ``message`` or ``detail`` (hub-tool reads them in that order), if safe."""
    return safe_text(body.get("message")) or safe_text(body.get("detail"))


def error_for(
    status: int,
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    route: Route,
    now: datetime,
) -> HubError:
    """The error for a response whose status is not a success for its route."""
    quoted = hub_message(body)
    if status == 400:
        return _invalid(body)
    if status == 401:
        return AuthenticationFailed(_UNAUTHORIZED[route], status=status)
    if status == 403:
        if route is Route.DESKTOP_GENERATE:
            return PermissionDenied(WEB_SESSION_ONLY_MESSAGE, status=status)
        if _mentions_pat(body):
            return PermissionDenied(PAT_SESSION_MESSAGE, status=status)
        return PermissionDenied(quoted, status=status)
    if status == 404:
        if not _is_json(headers):
            # A proxy's "not found" page is not the API saying the token is gone, and the
            # keeper takes a 404 as proof that it was deleted: only the API's own answer counts.
            return ProtocolError(
                "the hub answered HTTP 404 with a page that is not its API's", status=status
            )
        return NotFound(quoted, status=status)
    if status == 429:
        return RateLimited(retry_at=parse_retry_at(headers, now))
    if status >= 500:
        return ServerError(f"the hub had a server error (HTTP {status})", status=status)
    if 300 <= status < 400:
        return ProtocolError(f"the hub answered with a redirect (HTTP {status})", status=status)
    suffix = f": {quoted}" if quoted else ""
    return HubError(f"the hub answered HTTP {status}{suffix}", status=status)


def _is_json(headers: Mapping[str, str]) -> bool:
    """True when the answer says it is JSON (``application/json``, ``…+json``)."""
    media = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return media.split(";", 1)[0].strip().lower().endswith("json")


def _invalid(body: Mapping[str, Any]) -> InvalidRequest:
    """400 with the spec's ``{"fields": {name: [messages]}, "text": ...}``."""
    raw = body.get("fields")
    fields: dict[str, list[str]] = {}
    if isinstance(raw, Mapping):
        for name, messages in raw.items():
            items = messages if isinstance(messages, list) else [messages]
            field = safe_text(name)
            if field:
                fields[field] = [text for text in map(safe_text, items) if text]
    text = safe_text(body.get("text")) or hub_message(body)
    if not text:
        text = "the hub rejected the request as invalid"
        if fields:
            text += f" ({', '.join(fields)})"
    return InvalidRequest(text, fields=fields)


def _mentions_pat(body: Mapping[str, Any]) -> bool:
    texts = (body.get(key) for key in ("message", "detail"))
    return any(isinstance(t, str) and "personal access token" in t.lower() for t in texts)
