"""Every way the hub can fail, driven by localhub's fault injection, and what the client says."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from hubtokens.core.errors import (
    HubError,
    HubUnreachable,
    ProtocolError,
    RateLimited,
    ServerError,
)
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import Scope, SessionToken
from hubtokens.core.secret import Secret
from hubtokens.localhub import Fault, LocalHub
from tests.fixtures.localhub import HubClock

LIST = "/v2/access-tokens"


def _list(client: HubClient, session: SessionToken) -> object:
    return client.list_tokens_page(session)


def _create(client: HubClient, session: SessionToken) -> object:
    return client.create_token(session, "ci", [Scope.READ])


def _methods(local_hub: LocalHub, mark: int) -> list[tuple[str, int]]:
    """(method, status) of the token requests since ``mark``; status 0 = dropped."""
    return [
        (m, status) for m, path, status in local_hub.request_log[mark:] if path.startswith(LIST)
    ]


@pytest.mark.parametrize(
    ("fault", "call", "error", "message", "sent"),
    [
        # a proxy's HTML page where JSON should be
        (
            Fault("html", value=200),
            _list,
            ProtocolError,
            r"not valid JSON \(HTTP 200\)",
            [("GET", 200)],
        ),
        (Fault("malformed"), _list, ProtocolError, r"not valid JSON \(HTTP 200\)", [("GET", 200)]),
        (
            Fault("malformed"),
            _create,
            ProtocolError,
            r"not valid JSON \(HTTP 200\)",
            [("POST", 200)],
        ),
        # the whole body promised, half sent: the connection dropped mid-answer
        (Fault("truncated"), _list, HubUnreachable, "connection dropped", [("GET", 200)]),
        # gateways: retried twice for GET, never for POST
        (Fault("html", value=502), _list, ServerError, r"HTTP 502", [("GET", 502)] * 3),
        (Fault("error", value=503), _list, ServerError, r"HTTP 503", [("GET", 503)] * 3),
        (Fault("error", value=504), _list, ServerError, r"HTTP 504", [("GET", 504)] * 3),
        (Fault("error", value=503), _create, ServerError, r"HTTP 503", [("POST", 503)]),
        (Fault("error", value=500), _list, ServerError, r"HTTP 500", [("GET", 500)]),
        (Fault("drop"), _list, HubUnreachable, "connection dropped", [("GET", 0)] * 3),
        (Fault("drop"), _create, HubUnreachable, "connection dropped", [("POST", 0)]),
        (Fault("rate_limit", value=5), _list, RateLimited, "rate limiting", [("GET", 429)]),
        (Fault("rate_limit", value=5), _create, RateLimited, "rate limiting", [("POST", 429)]),
        (Fault("error", value=418), _list, HubError, "HTTP 418", [("GET", 418)]),
    ],
)
def test_fault(
    client: HubClient,
    session: SessionToken,
    local_hub: LocalHub,
    fault: Fault,
    call: Callable[[HubClient, SessionToken], object],
    error: type[HubError],
    message: str,
    sent: list[tuple[str, int]],
) -> None:
    local_hub.set_faults(fault)
    mark = len(local_hub.request_log)

    with pytest.raises(error, match=message) as info:
        call(client, session)

    assert type(info.value) is error
    assert _methods(local_hub, mark) == sent
    _assert_clean(str(info.value), session)


def _assert_clean(text: str, session: SessionToken) -> None:
    assert session.jwt.reveal() not in text
    assert "page_size" not in text and "<html" not in text


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_idempotent_call_recovers_after_a_retry(
    client: HubClient, session: SessionToken, local_hub: LocalHub, method: str
) -> None:
    uuid, _ = local_hub.create_token("alice", "old")
    local_hub.set_faults(Fault("error", value=503, count=1, method=method))
    mark = len(local_hub.request_log)

    if method == "GET":
        assert client.get_token(session, uuid).uuid == uuid
    else:
        client.delete_token(session, uuid)

    assert [status for _, _, status in local_hub.request_log[mark:]] == [
        503,
        200 if method == "GET" else 204,
    ]


def test_dropped_get_is_retried(
    client: HubClient, session: SessionToken, local_hub: LocalHub
) -> None:
    local_hub.set_faults(Fault("drop", count=1))
    mark = len(local_hub.request_log)

    assert client.list_tokens(session) == []
    assert _methods(local_hub, mark) == [("GET", 0), ("GET", 200)]


def test_patch_is_not_retried(
    client: HubClient, session: SessionToken, local_hub: LocalHub
) -> None:
    uuid, _ = local_hub.create_token("alice", "old")
    local_hub.set_faults(Fault("error", value=503, method="PATCH"))
    mark = len(local_hub.request_log)

    with pytest.raises(ServerError):
        client.update_token(session, uuid, label="new")
    assert _methods(local_hub, mark) == [("PATCH", 503)]


@pytest.mark.parametrize("kind", ["drop_after_commit", "truncated"])
def test_create_that_took_effect_is_not_repeated(
    client: HubClient, session: SessionToken, local_hub: LocalHub, kind: str
) -> None:
    local_hub.set_faults(Fault(kind, method="POST"))

    with pytest.raises(HubUnreachable, match="connection dropped"):
        client.create_token(session, "once", [Scope.READ])
    assert [t["token_label"] for t in local_hub.tokens("alice")] == ["once"]


def test_slow_hub_times_out_without_retry(local_hub: LocalHub, session: SessionToken) -> None:
    client = HubClient(local_hub.url, timeout=(1.0, 0.2))
    local_hub.set_faults(Fault("latency", value=2.0, path=LIST))

    started = time.perf_counter()
    with pytest.raises(HubUnreachable) as info:
        client.list_tokens(session)

    assert time.perf_counter() - started < 0.6  # one wait of 0.2 s, not three
    host = local_hub.url.removeprefix("http://")
    assert info.value.message == f"cannot reach {host}: timed out"


def test_nobody_listening() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HubClient(f"http://127.0.0.1:{port}")

    with pytest.raises(
        HubUnreachable, match=rf"^cannot reach 127\.0\.0\.1:{port}: connection refused$"
    ):
        client.login("alice", Secret("x" * 12))


@pytest.mark.parametrize("style", ["seconds", "http-date", "x-retry-after"])
def test_rate_limited_in_every_header_style(
    make_hub: Callable[..., LocalHub], hub_clock: HubClock, alice_password: str, style: str
) -> None:
    hub = make_hub(retry_after_style=style, requests_per_minute=3)
    client = HubClient(hub.url, clock=hub_clock.now)
    session = client.login("alice", Secret(alice_password))
    assert isinstance(session, SessionToken)
    for _ in range(3):  # sign-in counts against the address, the rest against alice
        client.list_tokens_page(session)

    with pytest.raises(RateLimited) as info:
        client.list_tokens_page(session)

    assert info.value.status == 429
    assert info.value.retry_at is not None
    # the window opened at the first request and lasts a minute; headers round to seconds
    assert abs(info.value.retry_at - (hub_clock.now() + timedelta(minutes=1))) <= timedelta(
        seconds=1
    )
    assert [status for _, _, status in hub.request_log] == [200, 200, 200, 200, 429]


def test_rate_limit_headers_are_kept(
    client: HubClient, session: SessionToken, local_hub: LocalHub, hub_clock: HubClock
) -> None:
    assert HubClient(local_hub.url).rate_limit is None

    client.list_tokens(session)
    first = client.rate_limit
    client.list_tokens(session)
    second = client.rate_limit

    assert first is not None and second is not None
    assert first.limit == second.limit == local_hub.config.requests_per_minute
    assert first.remaining is not None and second.remaining == first.remaining - 1
    assert second.reset_at is not None
    assert abs(second.reset_at - (hub_clock.now() + timedelta(minutes=1))) <= timedelta(seconds=1)
