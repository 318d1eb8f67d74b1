"""The web sign-in (RFC 8628) and its session against a real localhub over HTTP: pending,
approval, slow_down, denial, expiry, cancellation, the service going away, refresh-token
rotation and revocation.

Polls run on the hub's clock: each pause of the service moves it (``Pacer``), so a flow of
minutes takes milliseconds and the hub judges the polling rate by the same time. Only the
cancellation test waits for real."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import requests

from hubtokens.core.errors import (
    AuthenticationFailed,
    SignInCancelled,
    SignInDenied,
    SignInExpired,
    SignInServiceUnreachable,
    WebSessionEnded,
)
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.http import build_session
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.hub.oauth import (
    SLOW_DOWN_SECONDS,
    DeviceAuthorization,
    OAuthConfig,
    OAuthTokens,
    SignInService,
    oauth_config_for,
)
from hubtokens.localhub import Fault, LocalHub
from tests.fixtures.localhub import HubClock, HubFactory

TOKEN = "/oauth/token"


class Pacer:
    """The service's pause: moves the hub's clock instead of waiting, and does what the test
    scheduled for a pause (``during[n]`` runs in the n-th pause, counting from 1)."""

    def __init__(self, clock: HubClock) -> None:
        self._clock = clock
        self.pauses: list[float] = []
        self.during: dict[int, Callable[[], None]] = {}
        self.short: dict[int, float] = {}  # the n-th pause moves the clock only this far

    def sleep(self, cancelled: threading.Event, seconds: float) -> bool:
        self.pauses.append(seconds)
        number = len(self.pauses)
        action = self.during.pop(number, None)
        if action is not None:
            action()
        self._clock.advance(self.short.get(number, seconds))
        return cancelled.is_set()


@pytest.fixture
def pacer(hub_clock: HubClock) -> Pacer:
    return Pacer(hub_clock)


def _service(hub: LocalHub, hub_clock: HubClock, pacer: Pacer) -> SignInService:
    config = oauth_config_for(hub.url, environ={})
    return SignInService(config, clock=hub_clock.now, sleep=pacer.sleep)


@pytest.fixture
def service(local_hub: LocalHub, hub_clock: HubClock, pacer: Pacer) -> SignInService:
    return _service(local_hub, hub_clock, pacer)


def _decide(hub: LocalHub, authorization: DeviceAuthorization, approve: bool = True) -> None:
    hub.decide_device(authorization.user_code, "alice", approve)


def _token_polls(hub: LocalHub) -> list[int]:
    return [status for _, path, status in hub.request_log if path == TOKEN]


def _signed_in(service: SignInService, hub: LocalHub, pacer: Pacer) -> OAuthTokens:
    authorization = service.start()
    pacer.during[1] = lambda: _decide(hub, authorization)
    return service.wait(authorization, threading.Event())


def test_pending_then_approved(
    service: SignInService,
    local_hub: LocalHub,
    pacer: Pacer,
    hub_clock: HubClock,
    client: HubClient,
) -> None:
    authorization = service.start()
    assert authorization.verification_uri == f"{local_hub.url}/activate"
    assert authorization.verification_uri_complete.endswith(
        f"/activate?user_code={authorization.user_code}"
    )
    assert authorization.expires_at == hub_clock.now() + timedelta(seconds=900)
    assert authorization.interval == 5
    next_polls: list[datetime] = []
    pacer.during[3] = lambda: _decide(local_hub, authorization)

    tokens = service.wait(authorization, threading.Event(), on_wait=next_polls.append)

    assert pacer.pauses == [5, 5, 5]  # the interval, kept
    assert _token_polls(local_hub) == [403, 403, 200]  # authorization_pending twice
    start = authorization.expires_at - timedelta(seconds=900)
    assert next_polls == [start + timedelta(seconds=5 * n) for n in (1, 2, 3)]
    assert tokens.refresh_token is not None
    session = SessionToken.from_jwt(tokens.access_token.reveal())
    assert session.expires_at is not None  # exp is in whole seconds
    assert abs(session.expires_at - (hub_clock.now() + timedelta(minutes=15))) < timedelta(
        seconds=1
    )
    assert (session.username, session.from_pat, session.pat_uuid) == ("alice", False, None)
    assert client.list_tokens_page(session).count == 0  # the Hub takes it as a session


def test_slow_down_adds_five_seconds(
    service: SignInService, local_hub: LocalHub, pacer: Pacer
) -> None:
    authorization = service.start()
    pacer.short[2] = 2.0  # the second poll comes 2 s after the first: too soon for the hub
    pacer.during[4] = lambda: _decide(local_hub, authorization)

    service.wait(authorization, threading.Event())

    assert pacer.pauses == [5, 5, 5 + SLOW_DOWN_SECONDS, 5 + SLOW_DOWN_SECONDS]
    assert _token_polls(local_hub) == [403, 403, 403, 200]


def test_denied(service: SignInService, local_hub: LocalHub, pacer: Pacer) -> None:
    authorization = service.start()
    pacer.during[2] = lambda: _decide(local_hub, authorization, approve=False)

    with pytest.raises(SignInDenied, match="denied in the browser") as info:
        service.wait(authorization, threading.Event())

    assert info.value.hint == "start the sign-in again if that was a mistake"
    assert _token_polls(local_hub) == [403, 403]


def test_expired_without_a_poll_past_expiry(
    make_hub: HubFactory, hub_clock: HubClock, pacer: Pacer
) -> None:
    hub = make_hub(device_code_lifetime=timedelta(seconds=12))
    service = _service(hub, hub_clock, pacer)

    with pytest.raises(SignInExpired, match="expired before it was approved"):
        service.wait(service.start(), threading.Event())

    assert pacer.pauses == [5, 5, 2]  # the last pause ends at expiry
    assert _token_polls(hub) == [403, 403]


def test_expired_as_the_hub_says(make_hub: HubFactory, hub_clock: HubClock, pacer: Pacer) -> None:
    hub = make_hub(device_code_lifetime=timedelta(seconds=12))
    config = oauth_config_for(hub.url, environ={})
    # this device's clock runs at half speed: the hub's expired_token is what ends the wait
    start = hub_clock.now()
    slow = SignInService(
        config, clock=lambda: start + (hub_clock.now() - start) / 2, sleep=pacer.sleep
    )

    with pytest.raises(SignInExpired):
        slow.wait(slow.start(), threading.Event())

    assert _token_polls(hub) == [403, 403, 403]  # pending, pending, expired_token


def test_cancel_wakes_the_wait_at_once(make_hub: HubFactory) -> None:
    # the real clock and pause: a 30 s interval that cancel() must cut short
    hub = make_hub(device_poll_interval=timedelta(seconds=30))
    service = SignInService(oauth_config_for(hub.url, environ={}))
    authorization = service.start()
    cancelled = threading.Event()
    waiting = threading.Event()
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            service.wait(authorization, cancelled, on_wait=lambda _: waiting.set())
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=wait)
    worker.start()
    assert waiting.wait(10)
    started = time.monotonic()
    cancelled.set()
    worker.join(10)
    took = time.monotonic() - started

    assert not worker.is_alive()
    assert took < 1.0, f"cancel took {took:.2f} s"
    assert len(outcome) == 1 and isinstance(outcome[0], SignInCancelled)
    assert _token_polls(hub) == []  # nothing was asked after the cancel


def test_tokens_that_arrive_after_a_cancel_are_revoked(
    local_hub: LocalHub, hub_clock: HubClock, pacer: Pacer, client: HubClient
) -> None:
    cancelled = threading.Event()
    session = build_session()

    def cancel_when_tokens_arrive(response: requests.Response, *args: object, **kw: object) -> None:
        if response.request.path_url == TOKEN and response.status_code == 200:
            cancelled.set()  # the person pressed Cancel while the poll was on the wire

    session.hooks["response"].append(cancel_when_tokens_arrive)
    config = oauth_config_for(local_hub.url, environ={})
    service = SignInService(config, session=session, clock=hub_clock.now, sleep=pacer.sleep)
    authorization = service.start()
    pacer.during[1] = lambda: _decide(local_hub, authorization)

    with pytest.raises(SignInCancelled):
        service.wait(authorization, cancelled)

    assert [(p, s) for _, p, s in local_hub.request_log[-2:]] == [
        (TOKEN, 200),
        ("/oauth/revoke", 200),
    ]


def test_the_service_failing_for_a_while_is_waited_out(
    service: SignInService, local_hub: LocalHub, pacer: Pacer
) -> None:
    authorization = service.start()
    local_hub.set_faults(
        # a POST is never sent twice by urllib3: each failure costs the service one poll
        Fault("drop", path=TOKEN, count=2),
        Fault("error", path=TOKEN, value=503, count=1),
    )
    pacer.during[1] = lambda: _decide(local_hub, authorization)

    tokens = service.wait(authorization, threading.Event())

    assert tokens.refresh_token is not None
    assert pacer.pauses == [5, 5, 5, 5]  # retried at the interval
    assert _token_polls(local_hub) == [0, 0, 503, 200]


def test_the_service_going_down_mid_flow(
    make_hub: HubFactory, hub_clock: HubClock, pacer: Pacer
) -> None:
    hub = make_hub(device_code_lifetime=timedelta(seconds=30))
    service = _service(hub, hub_clock, pacer)
    authorization = service.start()
    pacer.during[2] = hub.stop

    with pytest.raises(SignInServiceUnreachable, match="connection refused") as info:
        service.wait(authorization, threading.Event())

    assert "cannot reach the sign-in service at 127.0.0.1:" in info.value.message
    assert pacer.pauses == [5] * 6  # retried at the interval until the code expired
    assert _token_polls(hub) == [403]


def test_refresh_rotates_and_a_reused_token_ends_the_session(
    service: SignInService, local_hub: LocalHub, pacer: Pacer, client: HubClient
) -> None:
    first = _signed_in(service, local_hub, pacer)
    assert first.refresh_token is not None

    second = service.refresh(first.refresh_token)

    assert second.refresh_token is not None
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    renewed = SessionToken.from_jwt(second.access_token.reveal())
    assert client.list_tokens_page(renewed).count == 0

    # the rotated token again: the service takes it as stolen and ends the whole family
    with pytest.raises(WebSessionEnded, match="your Docker sign-in has ended") as info:
        service.refresh(first.refresh_token)
    assert info.value.hint == "sign in again to manage tokens"
    with pytest.raises(WebSessionEnded):
        service.refresh(second.refresh_token)
    with pytest.raises(AuthenticationFailed):
        client.list_tokens_page(renewed)


def test_revoke_ends_the_session(
    service: SignInService, local_hub: LocalHub, pacer: Pacer, client: HubClient
) -> None:
    tokens = _signed_in(service, local_hub, pacer)
    assert tokens.refresh_token is not None

    service.revoke(tokens.refresh_token)
    service.revoke(tokens.refresh_token)  # RFC 7009: a revoked token is no error

    with pytest.raises(WebSessionEnded):
        service.refresh(tokens.refresh_token)
    with pytest.raises(AuthenticationFailed):
        client.list_tokens_page(SessionToken.from_jwt(tokens.access_token.reveal()))


def test_codes_and_tokens_stay_out_of_logs_and_messages(
    service: SignInService,
    local_hub: LocalHub,
    pacer: Pacer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    authorization = service.start()
    pacer.during[2] = lambda: _decide(local_hub, authorization)
    local_hub.set_faults(Fault("drop", path=TOKEN, count=3))
    tokens = service.wait(authorization, threading.Event())
    assert tokens.refresh_token is not None
    service.revoke(tokens.refresh_token)
    with pytest.raises(WebSessionEnded) as info:
        service.refresh(tokens.refresh_token)

    shown = f"{caplog.text} {info.value!r} {info.value.hint} {tokens!r} {authorization!r}"
    for secret in (authorization.device_code, tokens.access_token, tokens.refresh_token):
        assert secret.reveal() not in shown
    assert "Secret('****')" in repr(tokens)


def test_a_refresh_token_of_another_client_is_refused(
    local_hub: LocalHub, hub_clock: HubClock, pacer: Pacer
) -> None:
    config = OAuthConfig(tenant=local_hub.url, client_id="someone-else")
    tokens = _signed_in(_service(local_hub, hub_clock, pacer), local_hub, pacer)
    assert tokens.refresh_token is not None

    # a refresh token of another client is refused as unknown: the session is not ours
    with pytest.raises(WebSessionEnded):
        SignInService(config).refresh(tokens.refresh_token)
