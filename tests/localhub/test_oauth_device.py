"""The sign-in service's device flow (RFC 8628) over HTTP: codes, polling rules, tokens,
refresh rotation with reuse detection, and revocation."""

from __future__ import annotations

import re
from datetime import timedelta

import requests

from hubtokens.localhub import LocalHub
from tests.fixtures.localhub import HubClock, HubFactory
from tests.fixtures.signin import (
    CLIENT_ID,
    desktop_generate,
    jwt_claims,
    poll,
    refresh,
    revoke,
    signed_in,
    start_device_sign_in,
)

USER_CODE = re.compile(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}")
HUB_CLAIM = "https://hub.docker.com"


def _error(reply: requests.Response) -> str:
    assert reply.status_code in (400, 403), reply.text
    body = reply.json()
    assert body["error_description"]
    error: str = body["error"]
    return error


def _lists_tokens(hub: LocalHub, access_token: str) -> int:
    return requests.get(
        hub.url + "/v2/access-tokens",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    ).status_code


def test_device_code_answer(local_hub: LocalHub) -> None:
    started = start_device_sign_in(local_hub.url)
    assert set(started) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert USER_CODE.fullmatch(started["user_code"])
    assert started["verification_uri"] == local_hub.url + "/activate"
    assert started["verification_uri_complete"] == (
        f"{local_hub.url}/activate?user_code={started['user_code']}"
    )
    assert (started["expires_in"], started["interval"]) == (900, 5)
    assert len(started["device_code"]) >= 32
    assert started["device_code"] != start_device_sign_in(local_hub.url)["device_code"]


def test_lifetime_and_interval_are_configurable(make_hub: HubFactory) -> None:
    hub = make_hub(
        device_code_lifetime=timedelta(seconds=60), device_poll_interval=timedelta(seconds=0.5)
    )
    started = start_device_sign_in(hub.url)
    assert (started["expires_in"], started["interval"]) == (60, 0.5)


def test_bad_device_code_requests(local_hub: LocalHub) -> None:
    url = local_hub.url + "/oauth/device/code"
    assert _error(requests.post(url, data={"scope": "openid"}, timeout=10)) == "invalid_request"
    wrong_audience = {"client_id": CLIENT_ID, "audience": "https://example.invalid"}
    assert _error(requests.post(url, data=wrong_audience, timeout=10)) == "invalid_request"
    token_url = local_hub.url + "/oauth/token"
    bad_grant = {"client_id": CLIENT_ID, "grant_type": "password"}
    assert _error(requests.post(token_url, data=bad_grant, timeout=10)) == "unsupported_grant_type"
    assert _error(poll(local_hub.url, "no-such-device-code")) == "invalid_grant"


def test_pending_then_slow_down_when_polling_faster_than_the_interval(
    local_hub: LocalHub, hub_clock: HubClock
) -> None:
    started = start_device_sign_in(local_hub.url)
    first = poll(local_hub.url, started["device_code"])
    assert first.status_code == 403
    assert _error(first) == "authorization_pending"
    hub_clock.advance(4.9)
    assert _error(poll(local_hub.url, started["device_code"])) == "slow_down"
    # The too-fast poll counts: the interval runs from it.
    hub_clock.advance(4.9)
    assert _error(poll(local_hub.url, started["device_code"])) == "slow_down"
    hub_clock.advance(5)
    assert _error(poll(local_hub.url, started["device_code"])) == "authorization_pending"


def test_denied(local_hub: LocalHub) -> None:
    started = start_device_sign_in(local_hub.url)
    local_hub.decide_device(started["user_code"], "alice", approve=False)
    assert _error(poll(local_hub.url, started["device_code"])) == "access_denied"


def test_expired(local_hub: LocalHub, hub_clock: HubClock) -> None:
    started = start_device_sign_in(local_hub.url)
    hub_clock.advance(900)
    assert _error(poll(local_hub.url, started["device_code"])) == "expired_token"


def test_approved_sign_in_gets_tokens_once(local_hub: LocalHub, hub_clock: HubClock) -> None:
    started = start_device_sign_in(local_hub.url)
    assert _error(poll(local_hub.url, started["device_code"])) == "authorization_pending"
    local_hub.decide_device(started["user_code"], "alice")
    hub_clock.advance(5)
    reply = poll(local_hub.url, started["device_code"])
    assert reply.status_code == 200, reply.text
    tokens = reply.json()
    assert set(tokens) == {
        "access_token",
        "refresh_token",
        "id_token",
        "scope",
        "expires_in",
        "token_type",
    }
    assert (tokens["token_type"], tokens["expires_in"]) == ("Bearer", 900)
    assert tokens["scope"] == "openid offline_access"
    claims = jwt_claims(tokens["access_token"])
    assert claims["aud"] == "https://hub.docker.com"
    assert claims["iss"] == local_hub.url + "/"
    assert claims["exp"] - claims["iat"] == 900
    hub = claims[HUB_CLAIM]
    assert hub["username"] == "alice"
    assert hub["uuid"] == claims["sub"]
    assert hub["source"] == "docker_oauth|" + hub["session_id"]
    assert hub["email"]
    assert jwt_claims(tokens["id_token"])["aud"] == CLIENT_ID
    # A management session like any other.
    assert _lists_tokens(local_hub, tokens["access_token"]) == 200
    # The device code is spent, and so is the user code.
    hub_clock.advance(5)
    assert _error(poll(local_hub.url, started["device_code"])) == "invalid_grant"
    try:
        local_hub.decide_device(started["user_code"], "alice")
    except KeyError:
        pass
    else:
        raise AssertionError("a used user code was accepted again")


def test_other_client_cannot_redeem_the_device_code(local_hub: LocalHub) -> None:
    started = start_device_sign_in(local_hub.url)
    local_hub.decide_device(started["user_code"], "alice")
    assert _error(poll(local_hub.url, started["device_code"], "another-client")) == "invalid_grant"


def test_access_token_lifetime_is_configurable(make_hub: HubFactory, hub_clock: HubClock) -> None:
    hub = make_hub(oauth_access_token_lifetime=timedelta(minutes=2))
    tokens = signed_in(hub)
    assert tokens["expires_in"] == 120
    hub_clock.advance(119)
    assert _lists_tokens(hub, tokens["access_token"]) == 200
    hub_clock.advance(2)
    assert _lists_tokens(hub, tokens["access_token"]) == 401


def test_refresh_rotates(local_hub: LocalHub, hub_clock: HubClock) -> None:
    first = signed_in(local_hub)
    hub_clock.advance(60)
    reply = refresh(local_hub.url, first["refresh_token"])
    assert reply.status_code == 200, reply.text
    second = reply.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    same_session = [jwt_claims(t["access_token"])[HUB_CLAIM]["session_id"] for t in (first, second)]
    assert same_session[0] == same_session[1]
    assert _lists_tokens(local_hub, second["access_token"]) == 200
    third = refresh(local_hub.url, second["refresh_token"])
    assert third.status_code == 200, third.text
    assert _error(refresh(local_hub.url, "not-a-refresh-token")) == "invalid_grant"


def test_refresh_by_another_client_is_refused(local_hub: LocalHub) -> None:
    tokens = signed_in(local_hub)
    reply = refresh(local_hub.url, tokens["refresh_token"], client_id="another-client")
    assert _error(reply) == "invalid_grant"
    # Refused without spending it.
    assert refresh(local_hub.url, tokens["refresh_token"]).status_code == 200


def test_reused_refresh_token_revokes_the_family(local_hub: LocalHub) -> None:
    first = signed_in(local_hub)
    generated = desktop_generate(local_hub.url, first["access_token"])
    assert generated.status_code == 201, generated.text
    second = refresh(local_hub.url, first["refresh_token"]).json()
    other_device = signed_in(local_hub)  # another session of the same account
    assert desktop_generate(local_hub.url, other_device["access_token"]).status_code == 201
    assert len(local_hub.tokens("alice")) == 2

    reused = refresh(local_hub.url, first["refresh_token"])
    assert reused.status_code == 403
    assert _error(reused) == "invalid_grant"
    # The whole family ended: the newest refresh token, every access token, and the auto
    # token the session generated (its secret no longer signs in either).
    assert _error(refresh(local_hub.url, second["refresh_token"])) == "invalid_grant"
    assert _lists_tokens(local_hub, first["access_token"]) == 401
    assert _lists_tokens(local_hub, second["access_token"]) == 401
    pat = generated.json()["data"]["token"]
    login = requests.post(
        local_hub.url + "/v2/users/login",
        json={"username": "alice", "password": pat},
        timeout=10,
    )
    assert login.status_code == 401
    # The other session and its token are untouched.
    assert _lists_tokens(local_hub, other_device["access_token"]) == 200
    assert len(local_hub.tokens("alice")) == 1


def test_revoke_ends_the_session(local_hub: LocalHub) -> None:
    tokens = signed_in(local_hub)
    assert desktop_generate(local_hub.url, tokens["access_token"]).status_code == 201
    assert len(local_hub.tokens("alice")) == 1
    reply = revoke(local_hub.url, tokens["refresh_token"])
    assert reply.status_code == 200
    assert _error(refresh(local_hub.url, tokens["refresh_token"])) == "invalid_grant"
    assert _lists_tokens(local_hub, tokens["access_token"]) == 401
    assert local_hub.tokens("alice") == []
    # RFC 7009: revoking what is unknown (or already revoked) is no error.
    assert revoke(local_hub.url, tokens["refresh_token"]).status_code == 200
    assert revoke(local_hub.url, "never-issued").status_code == 200


def test_revoke_needs_a_client_id(local_hub: LocalHub) -> None:
    reply = requests.post(local_hub.url + "/oauth/revoke", data={"token": "x"}, timeout=10)
    assert _error(reply) == "invalid_request"


def test_idle_session_expires_and_its_tokens_go(make_hub: HubFactory, hub_clock: HubClock) -> None:
    hub = make_hub(oauth_session_idle=timedelta(hours=1))
    tokens = signed_in(hub)
    assert desktop_generate(hub.url, tokens["access_token"]).status_code == 201
    hub_clock.advance(59 * 60)
    refreshed = refresh(hub.url, tokens["refresh_token"])
    assert refreshed.status_code == 200  # a refresh keeps it alive for another hour
    hub_clock.advance(59 * 60)
    assert len(hub.tokens("alice")) == 1
    hub_clock.advance(2 * 60)
    # Any request lets the hub notice; the session's token is gone with it.
    assert _error(refresh(hub.url, refreshed.json()["refresh_token"])) == "invalid_grant"
    assert hub.tokens("alice") == []


def test_session_without_offline_access_has_no_refresh_token(local_hub: LocalHub) -> None:
    started = start_device_sign_in(local_hub.url, scope="openid")
    local_hub.decide_device(started["user_code"], "alice")
    tokens = poll(local_hub.url, started["device_code"]).json()
    assert "refresh_token" not in tokens
    assert _lists_tokens(local_hub, tokens["access_token"]) == 200
