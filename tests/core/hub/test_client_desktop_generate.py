"""``desktop-generate``: the Hub's auto-generated token for a web sign-in, against a real
localhub, and how the keeper learns the new token's uuid."""

from __future__ import annotations

import threading

import pytest

from hubtokens.core.errors import AuthenticationFailed, PermissionDenied, RateLimited
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.errormap import WEB_SESSION_ONLY_MESSAGE
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.hub.oauth import SignInService, oauth_config_for
from hubtokens.core.hub.urls import DESKTOP_GENERATE_PATH
from hubtokens.localhub import Fault, LocalHub
from tests.fixtures.localhub import HubClock


@pytest.fixture
def web_session(local_hub: LocalHub, hub_clock: HubClock) -> SessionToken:
    """A session of the sign-in service: the device flow, approved at once."""

    def pause(cancelled: threading.Event, seconds: float) -> bool:
        hub_clock.advance(seconds)
        return cancelled.is_set()

    service = SignInService(
        oauth_config_for(local_hub.url, environ={}), clock=hub_clock.now, sleep=pause
    )
    authorization = service.start()
    local_hub.decide_device(authorization.user_code, "alice")
    tokens = service.wait(authorization, threading.Event())
    return SessionToken.from_jwt(tokens.access_token.reveal())


def test_desktop_generate_makes_an_auto_generated_token(
    client: HubClient, web_session: SessionToken, local_hub: LocalHub
) -> None:
    secret = client.desktop_generate(web_session)

    assert secret.reveal().startswith("dckr_pat_")
    [token] = local_hub.tokens("alice")
    assert token["generated_by"] != "manual"
    assert token["scopes"] == ["repo:admin"]
    assert token["creator_ua"].startswith("hubtokens/")
    assert local_hub.request_log[-1] == ("POST", DESKTOP_GENERATE_PATH, 201)
    # the answer holds only the secret: signing in with it names the token's uuid
    pat_session = client.auth_token("alice", secret)
    assert isinstance(pat_session, SessionToken)
    assert pat_session.pat_uuid == token["uuid"]


def test_a_password_session_is_refused(
    client: HubClient, session: SessionToken, pat_session: SessionToken, local_hub: LocalHub
) -> None:
    for refused in (session, pat_session):
        with pytest.raises(PermissionDenied) as info:
            client.desktop_generate(refused)
        assert info.value.status == 403
        assert info.value.message == WEB_SESSION_ONLY_MESSAGE
    assert [t["token_label"] for t in local_hub.tokens("alice")] == ["ci"]  # pat_session's own


def test_a_rejected_session(client: HubClient, offline_session: SessionToken) -> None:
    with pytest.raises(AuthenticationFailed, match="sign in again"):
        client.desktop_generate(offline_session)


def test_rate_limited(
    client: HubClient, web_session: SessionToken, local_hub: LocalHub, hub_clock: HubClock
) -> None:
    local_hub.set_faults(Fault("rate_limit", path=DESKTOP_GENERATE_PATH, value=30))

    with pytest.raises(RateLimited) as info:
        client.desktop_generate(web_session)

    assert info.value.retry_at is not None
    assert (info.value.retry_at - hub_clock.now()).total_seconds() == pytest.approx(30, abs=1)
    assert local_hub.tokens("alice") == []
