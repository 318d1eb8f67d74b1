"""Signing in: passwords, PATs, the TOTP second step, /v2/auth/token and JWT checks."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta
from typing import Any

import pytest

from hubtokens.localhub import LocalHub, jwt, totp
from tests.fixtures.localhub import HubClock
from tests.localhub.client import HubClient

BAD_CREDENTIALS = {
    "detail": "Incorrect authentication credentials",
    "message": "Incorrect authentication credentials",
}
MFA_DETAIL = "Require secondary authentication on MFA enabled account"


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def test_login_with_password_gives_a_password_session(
    client: HubClient, alice_password: str, hub_clock: HubClock
) -> None:
    reply = client.call(
        "POST", "/v2/users/login", {"username": "alice", "password": alice_password}
    )
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    claims = claims_of(reply.json()["token"])
    hub = claims["https://hub.docker.com"]
    assert claims["iss"] == "https://localhub.invalid/"
    assert claims["aud"] == "https://hub.docker.com"
    assert claims["sub"] == hub["uuid"]
    assert hub["username"] == "alice"
    assert hub["source"] == f"docker_password|{hub['uuid']}"
    assert hub["session_id"] and claims["jti"]
    assert claims["exp"] - claims["iat"] == timedelta(days=30).total_seconds()
    assert abs(claims["iat"] - hub_clock.now().timestamp()) <= 1


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong"), ("nobody", "wrong"), ("alice", "")]
)
def test_login_with_bad_credentials_is_401(client: HubClient, username: str, password: str) -> None:
    reply = client.call("POST", "/v2/users/login", {"username": username, "password": password})
    assert (reply.status, reply.json()) == (401, BAD_CREDENTIALS)


def test_login_body_must_be_json_with_both_fields(client: HubClient) -> None:
    malformed = client.call("POST", "/v2/users/login", body=b"{nope")
    assert malformed.status == 400
    assert malformed.json()["text"].startswith("Malformed JSON body")
    missing = client.call("POST", "/v2/users/login", {"username": "alice"})
    assert missing.status == 400
    assert missing.json()["fields"] == {"password": ["This field is required."]}


def test_login_with_a_pat_gives_a_pat_session_and_records_use(
    local_hub: LocalHub, client: HubClient, hub_clock: HubClock
) -> None:
    uuid, secret = local_hub.create_token("alice", "ci")
    assert local_hub.tokens("alice")[0]["last_used"] is None
    hub_clock.advance(3600)
    token = client.login("alice", secret)
    assert claims_of(token)["https://hub.docker.com"]["source"] == f"docker_pat|{uuid}"
    assert local_hub.tokens("alice")[0]["last_used"] == hub_clock.now().strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


def test_expired_inactive_foreign_or_deleted_pats_cannot_sign_in(
    local_hub: LocalHub, client: HubClient, hub_clock: HubClock
) -> None:
    local_hub.add_user("bob", secrets.token_urlsafe(12))
    expiring, expiring_secret = local_hub.create_token(
        "alice", "soon", expires_at=hub_clock.now() + timedelta(hours=1)
    )
    inactive, inactive_secret = local_hub.create_token("alice", "off")
    local_hub.set_token_active(inactive, False)
    deleted, deleted_secret = local_hub.create_token("alice", "gone")
    local_hub.delete_token(deleted)
    _, bobs_secret = local_hub.create_token("bob", "bob's")
    client.login("alice", expiring_secret)  # fine before expiry
    hub_clock.advance(3600)
    for secret in (expiring_secret, inactive_secret, deleted_secret, bobs_secret):
        for path, body in (
            ("/v2/users/login", {"username": "alice", "password": secret}),
            ("/v2/auth/token", {"identifier": "alice", "secret": secret}),
        ):
            reply = client.call("POST", path, body)
            assert (reply.status, reply.json()) == (401, BAD_CREDENTIALS)
    local_hub.set_token_active(inactive, True)
    client.login("alice", inactive_secret)  # reactivated tokens work again
    local_hub.set_token_expiry(expiring, None)
    client.login("alice", expiring_secret)


@pytest.fixture
def otp_secret(local_hub: LocalHub, alice_password: str) -> str:
    secret = totp.new_secret()
    local_hub.add_user("carol", alice_password, otp_secret=secret)
    return secret


def test_two_factor_login(
    client: HubClient, alice_password: str, otp_secret: str, hub_clock: HubClock
) -> None:
    first = client.call(
        "POST", "/v2/users/login", {"username": "carol", "password": alice_password}
    )
    assert first.status == 401
    body = first.json()
    assert body["detail"] == MFA_DETAIL
    login_token = body["login_2fa_token"]
    code = totp.code_at(otp_secret, hub_clock.now())
    second = client.call(
        "POST", "/v2/users/2fa-login", {"login_2fa_token": login_token, "code": code}
    )
    assert second.status == 200
    assert claims_of(second.json()["token"])["https://hub.docker.com"]["username"] == "carol"
    again = client.call(
        "POST", "/v2/users/2fa-login", {"login_2fa_token": login_token, "code": code}
    )
    assert again.status == 401  # single use


def test_two_factor_login_refuses_bad_codes_and_stale_tokens(
    client: HubClient, alice_password: str, otp_secret: str, hub_clock: HubClock
) -> None:
    def start() -> str:
        reply = client.call(
            "POST", "/v2/users/login", {"username": "carol", "password": alice_password}
        )
        token: str = reply.json()["login_2fa_token"]
        return token

    login_token = start()
    stale_code = totp.code_at(otp_secret, hub_clock.now() - timedelta(minutes=2))
    wrong = client.call(
        "POST", "/v2/users/2fa-login", {"login_2fa_token": login_token, "code": stale_code}
    )
    assert wrong.status == 401 and "code" in wrong.json()["detail"]
    forged = client.call(
        "POST",
        "/v2/users/2fa-login",
        {
            "login_2fa_token": secrets.token_urlsafe(32),
            "code": totp.code_at(otp_secret, hub_clock.now()),
        },
    )
    assert forged.status == 401
    hub_clock.advance(301)  # the login_2fa_token lives five minutes
    late = client.call(
        "POST",
        "/v2/users/2fa-login",
        {"login_2fa_token": login_token, "code": totp.code_at(otp_secret, hub_clock.now())},
    )
    assert late.status == 401 and "expired" in late.json()["detail"]


def test_a_pat_skips_the_second_factor(
    local_hub: LocalHub, client: HubClient, otp_secret: str
) -> None:
    _, secret = local_hub.create_token("carol", "ci")
    assert (
        client.call("POST", "/v2/users/login", {"username": "carol", "password": secret}).status
        == 200
    )


def test_auth_token(client: HubClient, alice_password: str, otp_secret: str) -> None:
    reply = client.call("POST", "/v2/auth/token", {"identifier": "alice", "secret": alice_password})
    assert reply.status == 200
    claims = claims_of(reply.json()["access_token"])
    assert claims["exp"] - claims["iat"] == 600
    bad = client.call("POST", "/v2/auth/token", {"identifier": "alice", "secret": "nope"})
    assert (bad.status, bad.json()) == (401, BAD_CREDENTIALS)
    mfa = client.call("POST", "/v2/auth/token", {"identifier": "carol", "secret": alice_password})
    assert mfa.status == 401
    assert mfa.json()["detail"] == MFA_DETAIL and mfa.json()["login_2fa_token"]


def test_both_authorization_schemes_work(client: HubClient, session: str) -> None:
    for scheme in ("Bearer", "JWT", "bearer"):
        assert client.call("GET", "/v2/access-tokens", token=session, scheme=scheme).status == 200


def _forge(claims: dict[str, Any], alg: str, key: bytes) -> str:
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    if alg == "HS256":
        return jwt.encode(claims, key)
    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    return f"{head}.{b64(json.dumps(claims).encode())}."


@pytest.mark.parametrize("alg", ["none", "None", "HS256"])
def test_forged_tokens_are_401(client: HubClient, session: str, alg: str) -> None:
    # Same claims as a real session, but unsigned or signed with a key the hub never had.
    forged = _forge(claims_of(session), alg, secrets.token_bytes(32))
    reply = client.call("GET", "/v2/access-tokens", token=forged)
    assert reply.status == 401
    assert reply.json()["detail"].startswith("Invalid token")


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Basic YWxpY2U6cHc=", "Bearer not-a-jwt", "Token abc"]
)
def test_missing_or_garbled_authorization_is_401(
    client: HubClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    reply = client.call("GET", "/v2/access-tokens", headers=headers)
    assert reply.status == 401
    assert set(reply.json()) == {"detail", "message"}


def test_sessions_expire_by_the_hub_clock(
    client: HubClient, alice_password: str, hub_clock: HubClock
) -> None:
    session = client.login("alice", alice_password)
    access = client.call(
        "POST", "/v2/auth/token", {"identifier": "alice", "secret": alice_password}
    ).json()["access_token"]
    hub_clock.advance(599)
    assert client.call("GET", "/v2/access-tokens", token=access).status == 200
    hub_clock.advance(1)
    expired = client.call("GET", "/v2/access-tokens", token=access)
    assert (expired.status, expired.json()["detail"]) == (401, "Invalid token: token expired")
    assert client.call("GET", "/v2/access-tokens", token=session).status == 200
    hub_clock.advance(timedelta(days=30).total_seconds())
    assert client.call("GET", "/v2/access-tokens", token=session).status == 401
