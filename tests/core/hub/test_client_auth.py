"""Signing in against a real localhub: password, second factor, PAT."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from hubtokens.core.errors import AuthenticationFailed, PermissionDenied
from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.errormap import PAT_SESSION_MESSAGE
from hubtokens.core.hub.models import SessionToken, TwoFactorChallenge
from hubtokens.core.secret import Secret
from hubtokens.localhub import LocalHub
from hubtokens.localhub.totp import code_at, new_secret
from tests.fixtures.localhub import HubClock


@pytest.fixture
def otp_secret(local_hub: LocalHub, alice_password: str) -> str:
    secret = new_secret()
    local_hub.add_user("bob", alice_password, otp_secret=secret)
    return secret


def test_login(client: HubClient, alice_password: str, hub_clock: HubClock) -> None:
    session = client.login("alice", Secret(alice_password))

    assert isinstance(session, SessionToken)
    assert session.username == "alice"
    assert not session.from_pat
    assert session.expires_at is not None
    assert session.expires_at > hub_clock.now() + timedelta(days=1)


def test_auth_token(client: HubClient, alice_password: str) -> None:
    session = client.auth_token("alice", Secret(alice_password))

    assert isinstance(session, SessionToken)
    assert session.username == "alice"


@pytest.mark.parametrize("username", ["alice", "mallory"])
def test_wrong_password(client: HubClient, username: str) -> None:
    wrong = secrets.token_urlsafe(12)

    with pytest.raises(AuthenticationFailed, match=r"^incorrect username or password$") as info:
        client.login(username, Secret(wrong))
    assert info.value.status == 401
    assert wrong not in repr(info.value.args)


def test_second_factor(
    client: HubClient, alice_password: str, otp_secret: str, hub_clock: HubClock
) -> None:
    challenge = client.login("bob", Secret(alice_password))
    assert isinstance(challenge, TwoFactorChallenge)
    assert challenge.username == "bob"

    code = code_at(otp_secret, hub_clock.now())
    session = client.login_2fa(challenge, f" {code[:3]} {code[3:]} ")  # as people type it

    assert session.username == "bob"


def test_wrong_second_factor(
    client: HubClient, alice_password: str, otp_secret: str, hub_clock: HubClock
) -> None:
    challenge = client.login("bob", Secret(alice_password))
    assert isinstance(challenge, TwoFactorChallenge)
    wrong = str((int(code_at(otp_secret, hub_clock.now())) + 500_000) % 1_000_000).zfill(6)

    with pytest.raises(AuthenticationFailed, match="two-factor code"):
        client.login_2fa(challenge, wrong)


def test_auth_token_asks_for_second_factor(
    client: HubClient, alice_password: str, otp_secret: str
) -> None:
    assert isinstance(client.auth_token("bob", Secret(alice_password)), TwoFactorChallenge)


def test_pat_session_cannot_manage_tokens(client: HubClient, pat_session: SessionToken) -> None:
    assert pat_session.from_pat

    with pytest.raises(PermissionDenied) as info:
        client.list_tokens(pat_session)
    assert info.value.message == PAT_SESSION_MESSAGE
    assert info.value.status == 403


def test_pat_login_on_legacy_route(client: HubClient, local_hub: LocalHub) -> None:
    _, secret = local_hub.create_token("alice", "ci")
    session = client.login("alice", Secret(secret))

    assert isinstance(session, SessionToken)
    assert session.from_pat


def test_expired_session_is_rejected(
    client: HubClient, session: SessionToken, local_hub: LocalHub, hub_clock: HubClock
) -> None:
    hub_clock.advance(local_hub.config.session_lifetime.total_seconds() + 1)

    with pytest.raises(AuthenticationFailed, match="rejected the session"):
        client.list_tokens(session)


def test_session_from_elsewhere_is_rejected(
    client: HubClient, offline_session: SessionToken
) -> None:
    with pytest.raises(AuthenticationFailed, match="rejected the session"):
        client.get_token(offline_session, "b30bbf97-506c-4ecd-aabc-842f3cb484fb")
