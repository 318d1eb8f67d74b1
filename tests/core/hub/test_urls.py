from __future__ import annotations

import pytest

from hubtokens.core.errors import UsageError
from hubtokens.core.hub.urls import DEFAULT_HUB_URL, host_of, normalize_hub_url, same_origin


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://hub.docker.com", "https://hub.docker.com"),
        ("https://hub.docker.com/", "https://hub.docker.com"),
        ("  HTTPS://Hub.Docker.COM//  ", "https://hub.docker.com"),
        ("https://hub.docker.com:443", "https://hub.docker.com"),
        ("https://hub.example.org:8443/", "https://hub.example.org:8443"),
        ("https://hub.docker.com./", "https://hub.docker.com"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://127.1.2.3:80/", "http://127.1.2.3"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://LOCALHOST:8080/", "http://localhost:8080"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("https://[2001:db8::1]", "https://[2001:db8::1]"),
        ("https://10.0.0.5:8443", "https://10.0.0.5:8443"),
    ],
)
def test_normal_form(given: str, expected: str) -> None:
    assert normalize_hub_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("http://hub.docker.com", "tokens travel only over TLS: use https:// for hub.docker.com"),
        ("http://10.0.0.5:8080", "use https:// for 10.0.0.5"),
        ("http://localhost.example.com", "use https:// for localhost.example.com"),
        ("http://127.0.0.1.nip.io", "use https://"),
        ("hub.docker.com", "must start with https://"),
        ("ftp://hub.docker.com", "must start with https://"),
        ("https://", "must start with https://"),
        ("", "must start with https://"),
        ("https://hub.docker.com/v2", "only scheme and host"),
        ("https://hub.docker.com?page=2", "only scheme and host"),
        ("https://hub.docker.com/#frag", "only scheme and host"),
        ("https://hub.docker.com?", "only scheme and host"),
        ("https://alice:pw@hub.docker.com", "must not contain a user name or password"),
        ("https://hub.docker.com:99999", "invalid port"),
        ("https://hub.docker.com:0", "invalid port"),
        ("https://hub.docker.com:abc", "invalid port"),
        ("https://hub_docker.com", "invalid host name"),
        ("https://-hub.com", "invalid host name"),
        ("https://hub..com", "invalid host name"),
        ("https://[::1", "cannot be read"),
        ("https://hüb.com", "invalid host name"),
    ],
)
def test_rejected(given: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("?", r"\?")) as info:
        normalize_hub_url(given)
    assert "pw" not in str(info.value)


def test_default_is_normal() -> None:
    assert normalize_hub_url(DEFAULT_HUB_URL) == DEFAULT_HUB_URL


def test_host_of() -> None:
    assert host_of("http://127.0.0.1:5000") == "127.0.0.1:5000"
    assert host_of(DEFAULT_HUB_URL) == "hub.docker.com"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hub.docker.com/v2/access-tokens?page=2", True),
        ("https://HUB.docker.com:443/v2/access-tokens?page=2", True),
        ("http://hub.docker.com/v2/access-tokens?page=2", False),
        ("https://hub.docker.com:8443/v2/access-tokens", False),
        ("https://evil.example/v2/access-tokens", False),
        ("https://hub.docker.com@evil.example/v2/access-tokens", False),
        ("//evil.example/v2", False),
        ("https://[::1/v2", False),
    ],
)
def test_same_origin(url: str, expected: bool) -> None:
    assert same_origin(url, DEFAULT_HUB_URL) is expected
