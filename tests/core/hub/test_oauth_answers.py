"""Answers of a sign-in service that localhub does not give (broken, hostile or merely
different from Auth0), from a scripted server over real HTTP."""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hubtokens.core.errors import (
    HubError,
    ProtocolError,
    SignInExpired,
    SignInServiceUnreachable,
    WebSessionEnded,
)
from hubtokens.core.hub.oauth import (
    CLIENT_ID_ENV,
    DEFAULT_INTERVAL,
    MAX_POLL_INTERVAL,
    SLOW_DOWN_SECONDS,
    OAuthConfig,
    SignInService,
)
from hubtokens.core.secret import Secret
from tests.core.hub.jwts import unsigned_jwt
from tests.core.hub.scripted import Answer, ScriptedHub

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeTime:
    """A clock that moves only when the service pauses: polls without waiting for real."""

    def __init__(self) -> None:
        self.now = NOW
        self.pauses: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, cancelled: threading.Event, seconds: float) -> bool:
        self.pauses.append(seconds)
        self.now += timedelta(seconds=seconds)
        return cancelled.is_set()


def _service(url: str, fake: FakeTime | None = None) -> SignInService:
    config = OAuthConfig(tenant=url, client_id="test-client")
    if fake is None:
        return SignInService(config)
    return SignInService(config, clock=fake.clock, sleep=fake.sleep)


def _device(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "device_code": secrets.token_urlsafe(16),
        "user_code": "BCDF-GHJK",
        "verification_uri": "https://login.example.org/activate",
        "verification_uri_complete": "https://login.example.org/activate?user_code=BCDF-GHJK",
        "expires_in": 900,
        "interval": 5,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def _tokens(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": unsigned_jwt({"exp": int(NOW.timestamp()) + 600}),
        "refresh_token": secrets.token_urlsafe(24),
        "expires_in": 900,
        "token_type": "Bearer",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_start_reads_the_authorization(scripted: ScriptedHub) -> None:
    fake = FakeTime()
    scripted.answers["/oauth/device/code"] = Answer(body=_device(interval=None))

    authorization = _service(scripted.url, fake).start()

    assert authorization.user_code == "BCDF-GHJK"
    assert authorization.verification_uri_complete.endswith("?user_code=BCDF-GHJK")
    assert authorization.expires_at == NOW + timedelta(seconds=900)
    assert authorization.interval == DEFAULT_INTERVAL  # RFC 8628's default when none is sent
    assert "BCDF" not in repr(authorization.device_code)


def test_without_a_complete_uri_the_plain_one_is_opened(scripted: ScriptedHub) -> None:
    scripted.answers["/oauth/device/code"] = Answer(body=_device(verification_uri_complete=None))

    authorization = _service(scripted.url).start()

    assert authorization.verification_uri_complete == "https://login.example.org/activate"


@pytest.mark.parametrize(
    "changes",
    [
        {"verification_uri": "javascript:alert(1)"},
        {"verification_uri": "file:///etc/passwd"},
        {"verification_uri": "http://login.example.org/activate"},  # plain http off this machine
        {"verification_uri_complete": "https:///nohost"},
        {"device_code": ""},
        {"user_code": None},
        {"expires_in": 0},
        {"expires_in": 10**12},
        {"expires_in": "900"},
        {"interval": True},
    ],
)
def test_a_broken_authorization_is_refused(scripted: ScriptedHub, changes: dict[str, Any]) -> None:
    scripted.answers["/oauth/device/code"] = Answer(body=_device(**changes))

    with pytest.raises(ProtocolError, match=r"^the sign-in service"):
        _service(scripted.url).start()


@pytest.mark.parametrize("interval", [MAX_POLL_INTERVAL + 1, 24 * 3600])
def test_a_poll_interval_over_a_minute_is_refused_before_a_code_is_shown(
    scripted: ScriptedHub, interval: float
) -> None:
    scripted.answers["/oauth/device/code"] = Answer(body=_device(interval=interval))

    with pytest.raises(ProtocolError, match=r"^the sign-in service sent an invalid 'interval'"):
        _service(scripted.url).start()


def test_a_poll_interval_of_a_minute_is_kept(scripted: ScriptedHub) -> None:
    scripted.answers["/oauth/device/code"] = Answer(body=_device(interval=MAX_POLL_INTERVAL))

    assert _service(scripted.url).start().interval == MAX_POLL_INTERVAL == 60


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (Answer(503, {"error": "temporarily_unavailable"}), SignInServiceUnreachable, "HTTP 503"),
        (Answer(404, {"detail": "Not found."}), ProtocolError, "HTTP 404 without an OAuth error"),
        (Answer(302, None, {"Location": "https://elsewhere.example.org/"}), ProtocolError, "302"),
        (
            Answer(401, {"error": "invalid_client", "error_description": "Unknown client."}),
            HubError,
            r"does not accept this app's client ID \(invalid_client: Unknown client.\)",
        ),
        (
            Answer(400, {"error": "invalid_scope", "error_description": "x" * 300}),
            HubError,
            r"refused the request \(invalid_scope\)$",
        ),
    ],
)
def test_start_failures(
    scripted: ScriptedHub, answer: Answer, error: type[HubError], message: str
) -> None:
    scripted.answers["/oauth/device/code"] = answer

    with pytest.raises(error, match=message) as info:
        _service(scripted.url).start()
    assert type(info.value) is error
    if "client ID" in message:
        assert info.value.hint is not None and CLIENT_ID_ENV in info.value.hint


def test_rate_limits_while_polling_slow_down_like_slow_down(scripted: ScriptedHub) -> None:
    fake = FakeTime()
    scripted.answers["/oauth/device/code"] = Answer(body=_device(expires_in=40, interval=5))
    scripted.answers["/oauth/token"] = Answer(429, {}, {"Retry-After": "1"})
    service = _service(scripted.url, fake)

    with pytest.raises(SignInExpired):
        service.wait(service.start(), threading.Event())

    # each 429 adds 5 s; the last pause ends at expiry, with no poll after it
    assert fake.pauses == [5, 5 + SLOW_DOWN_SECONDS, 5 + 2 * SLOW_DOWN_SECONDS, 40 - 30]
    assert scripted.requests.count("/oauth/token") == 3


def test_refresh_without_rotation_or_expires_in(scripted: ScriptedHub) -> None:
    fake = FakeTime()
    access = unsigned_jwt({"exp": int(NOW.timestamp()) + 600})
    answer = _tokens(access_token=access, refresh_token=None, expires_in=None)
    scripted.answers["/oauth/token"] = Answer(body=answer)

    tokens = _service(scripted.url, fake).refresh(Secret(secrets.token_urlsafe(24)))

    assert tokens.refresh_token is None  # not rotated: the caller keeps its own
    assert tokens.access_token.reveal() == access  # its exp says when to renew


@pytest.mark.parametrize(
    "changes",
    [
        {"access_token": "not-a-jwt"},
        {"token_type": "mac"},
        {"refresh_token": 7},
        {"access_token": unsigned_jwt({"sub": "x"})},  # no exp, whatever expires_in says
    ],
)
def test_a_broken_token_answer_is_refused(scripted: ScriptedHub, changes: dict[str, Any]) -> None:
    scripted.answers["/oauth/token"] = Answer(body=_tokens(**changes))

    with pytest.raises(ProtocolError):
        _service(scripted.url).refresh(Secret(secrets.token_urlsafe(24)))


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(403, {"error": "invalid_grant", "error_description": "Unknown."}), WebSessionEnded),
        (Answer(502, None), SignInServiceUnreachable),
        (Answer(500, {"error": "server_error"}), SignInServiceUnreachable),
        (Answer(400, {"error": "invalid_request"}), HubError),
        (Answer(200, {"access_token": 1}), ProtocolError),
    ],
)
def test_only_a_refused_refresh_token_ends_the_session(
    scripted: ScriptedHub, answer: Answer, error: type[Exception], caplog: pytest.LogCaptureFixture
) -> None:
    scripted.answers["/oauth/token"] = answer
    refresh_token = secrets.token_urlsafe(24)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(error) as info:
        _service(scripted.url).refresh(Secret(refresh_token))

    assert type(info.value) is error
    assert isinstance(info.value, WebSessionEnded) == (error is WebSessionEnded)
    # the token is in no message, hint, repr or log line
    shown = f"{info.value} {info.value!r} {getattr(info.value, 'hint', '')} {caplog.text}"
    assert refresh_token not in shown


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_service_never_ends_the_session() -> None:
    service = _service(f"http://127.0.0.1:{_closed_port()}")
    refresh_token = Secret(secrets.token_urlsafe(24))

    started = time.monotonic()
    with pytest.raises(SignInServiceUnreachable, match="connection refused") as refreshing:
        service.refresh(refresh_token)
    with pytest.raises(SignInServiceUnreachable, match="connection refused"):
        service.revoke(refresh_token)
    with pytest.raises(SignInServiceUnreachable, match="connection refused"):
        service.start()

    assert not isinstance(refreshing.value, WebSessionEnded)
    assert time.monotonic() - started < 10  # refused at once, a few quick retries at most


def test_revoke_failure_is_an_error(scripted: ScriptedHub) -> None:
    scripted.answers["/oauth/revoke"] = Answer(400, {"error": "unsupported_token_type"})

    with pytest.raises(HubError, match=r"refused the request \(unsupported_token_type\)"):
        _service(scripted.url).revoke(Secret(secrets.token_urlsafe(24)))
