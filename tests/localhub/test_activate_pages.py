"""The /activate pages over HTTP: each step, 2FA, Deny, CSRF, cookie flags, single-use
codes, a decision only for the code signed in for and named, throttled guessing and the
error pages."""

from __future__ import annotations

from typing import Any

import requests

from hubtokens.localhub import LocalHub, totp
from tests.fixtures.activate_http import ActivatePage, approve_over_http, parse
from tests.fixtures.localhub import HubClock
from tests.fixtures.signin import CLIENT_ID, DEVICE_UA, poll, start_device_sign_in


def _error(reply: requests.Response) -> str:
    error: str = reply.json()["error"]
    return error


def test_approve_through_the_pages(
    local_hub: LocalHub, hub_clock: HubClock, alice_password: str
) -> None:
    started = start_device_sign_in(local_hub.url)
    code = started["user_code"]
    walk = ActivatePage(local_hub.url)

    opened = walk.open(code)
    assert opened.status_code == 200
    assert opened.headers["Content-Type"].startswith("text/html")
    assert parse(opened.text).ids["user_code"]["value"] == code
    assert "script-src" not in opened.headers["Content-Security-Policy"]  # none at all
    assert "default-src 'none'" in opened.headers["Content-Security-Policy"]
    assert opened.headers["Cache-Control"] == "no-store"

    login = walk.enter_code(code)
    assert login.status_code == 200
    assert {"username", "password", "otp"} <= set(parse(login.text).ids)
    assert parse(login.text).ids["password"]["type"] == "password"

    consent = walk.sign_in("alice", alice_password)
    assert consent.status_code == 200
    ids = parse(consent.text).ids
    assert {"approve", "deny"} <= set(ids)
    assert CLIENT_ID in consent.text and DEVICE_UA in consent.text and "alice" in consent.text
    assert _error(poll(local_hub.url, started["device_code"])) == "authorization_pending"

    done = walk.decide("approve")
    assert done.status_code == 200 and "close this window" in done.text
    hub_clock.advance(5)
    assert poll(local_hub.url, started["device_code"]).status_code == 200


def test_cookie_is_httponly_and_samesite_strict(local_hub: LocalHub) -> None:
    opened = ActivatePage(local_hub.url).open()
    cookie = opened.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path"} <= attributes
    assert "SameSite=Strict" in cookie and "Path=/activate" in cookie


def test_code_typed_loosely_is_accepted(local_hub: LocalHub) -> None:
    code = start_device_sign_in(local_hub.url)["user_code"]
    walk = ActivatePage(local_hub.url)
    walk.open()
    loose = " " + code.replace("-", "").lower() + " "
    login = walk.enter_code(loose)
    assert login.status_code == 200
    assert code in login.text and {"username", "password"} <= set(parse(login.text).ids)


def test_deny(local_hub: LocalHub, alice_password: str) -> None:
    started = start_device_sign_in(local_hub.url)
    approve_over_http(local_hub.url, started["user_code"], "alice", alice_password, approve=False)
    assert _error(poll(local_hub.url, started["device_code"])) == "access_denied"


def test_two_factor_account(local_hub: LocalHub, hub_clock: HubClock) -> None:
    secret = totp.new_secret()
    password = totp.new_secret()  # any fresh string will do
    local_hub.add_user("bob", password, otp_secret=secret)
    started = start_device_sign_in(local_hub.url)
    walk = ActivatePage(local_hub.url)
    walk.open(started["user_code"])
    walk.enter_code(started["user_code"])
    # Being asked for the code is not a wrong try: more asks than the throttle allows.
    for _ in range(6):
        asked = walk.sign_in("bob", password)
        assert asked.status_code == 401
    # The form comes back with the password empty and required: the words say so.
    assert "enter your password again, and the code" in asked.text
    fields = parse(asked.text).ids
    assert "required" in fields["password"] and not fields["password"].get("value")
    assert fields["username"]["value"] == "bob" and "otp" in fields
    wrong_code = str((int(totp.code_at(secret, hub_clock.now())) + 500_000) % 1_000_000).zfill(6)
    wrong = walk.sign_in("bob", password, wrong_code)
    assert wrong.status_code == 401 and "Incorrect two-step" in wrong.text
    consent = walk.sign_in("bob", password, totp.code_at(secret, hub_clock.now()))
    assert consent.status_code == 200 and "bob" in consent.text
    assert walk.decide("approve").status_code == 200
    tokens = poll(local_hub.url, started["device_code"])
    assert tokens.status_code == 200


def test_wrong_password_and_pat_are_refused(local_hub: LocalHub, alice_password: str) -> None:
    pat = local_hub.create_token("alice", "a pat")[1]
    started = start_device_sign_in(local_hub.url)
    walk = ActivatePage(local_hub.url)
    walk.open()
    walk.enter_code(started["user_code"])
    for password in ("not-" + alice_password, pat):
        refused = walk.sign_in("alice", password)
        assert refused.status_code == 401
        assert "Incorrect username or password" in refused.text
    assert walk.sign_in("nobody", alice_password).status_code == 401
    assert walk.sign_in("alice", alice_password).status_code == 200


def test_csrf_token_is_required(local_hub: LocalHub, alice_password: str) -> None:
    started = start_device_sign_in(local_hub.url)
    code = started["user_code"]
    walk = ActivatePage(local_hub.url)
    walk.open(code)
    good = walk.csrf
    walk.csrf = "forged"
    assert walk.enter_code(code).status_code == 403
    walk.csrf = ""
    assert walk.enter_code(code).status_code == 403
    # A real token, but from another browser (without that browser's cookie).
    other = ActivatePage(local_hub.url)
    other.open(code)
    walk.csrf = other.csrf
    assert walk.enter_code(code).status_code == 403
    # No cookie at all.
    bare = requests.post(
        local_hub.url + "/activate", data={"csrf": good, "user_code": code}, timeout=10
    )
    assert bare.status_code == 403
    # Nothing was decided, and the right token still works.
    walk.csrf = good
    assert walk.enter_code(code).status_code == 200
    assert walk.sign_in("alice", alice_password).status_code == 200
    walk.csrf = "forged"
    assert walk.decide("approve").status_code == 403
    assert _error(poll(local_hub.url, started["device_code"])) == "authorization_pending"


def _at_approve_page_for_the_first_of_two(
    hub_url: str, password: str
) -> tuple[dict[str, Any], dict[str, Any], ActivatePage, str]:
    """Two devices wait; one browser signed in for the first and shows its Approve page.
    Also the form token of the code page the browser showed before."""
    first, second = start_device_sign_in(hub_url), start_device_sign_in(hub_url)
    walk = ActivatePage(hub_url)
    walk.open(first["user_code"])
    code_page_token = walk.csrf
    walk.enter_code(first["user_code"])
    consent = walk.sign_in("alice", password)
    assert consent.status_code == 200 and first["user_code"] in consent.text
    return first, second, walk, code_page_token


def test_a_second_code_needs_its_own_sign_in_and_approve_page(
    local_hub: LocalHub, hub_clock: HubClock, alice_password: str
) -> None:
    first, second, walk, _ = _at_approve_page_for_the_first_of_two(local_hub.url, alice_password)
    # Same browser, the Approve page's form token: another code, then straight to Approve.
    login = walk.enter_code(second["user_code"])
    assert login.status_code == 200 and second["user_code"] in login.text
    refused = walk.decide("approve")
    assert refused.status_code == 403 and "Start again" in refused.text
    hub_clock.advance(5)
    assert _error(poll(local_hub.url, second["device_code"])) == "authorization_pending"
    assert _error(poll(local_hub.url, first["device_code"])) == "authorization_pending"
    # Signing in for the second code shows its own page, and that one approves it.
    consent = walk.sign_in("alice", alice_password)
    assert consent.status_code == 200 and second["user_code"] in consent.text
    assert walk.decide("approve").status_code == 200
    hub_clock.advance(5)
    assert poll(local_hub.url, second["device_code"]).status_code == 200
    assert _error(poll(local_hub.url, first["device_code"])) == "authorization_pending"


def test_an_older_page_of_the_flow_cannot_post_after_the_approve_page(
    local_hub: LocalHub, hub_clock: HubClock, alice_password: str
) -> None:
    first, second, walk, code_page_token = _at_approve_page_for_the_first_of_two(
        local_hub.url, alice_password
    )
    approve_page_token = walk.csrf
    assert approve_page_token != code_page_token
    walk.csrf = code_page_token  # another tab still shows the code form: enters a code
    assert walk.enter_code(second["user_code"]).status_code == 403
    # The Approve button on the page that named the first code approves that code only.
    walk.csrf = approve_page_token
    assert walk.decide("approve").status_code == 200
    hub_clock.advance(5)
    assert poll(local_hub.url, first["device_code"]).status_code == 200
    assert _error(poll(local_hub.url, second["device_code"])) == "authorization_pending"


def test_code_is_single_use(local_hub: LocalHub, alice_password: str) -> None:
    started = start_device_sign_in(local_hub.url)
    code = started["user_code"]
    late = ActivatePage(local_hub.url)  # a second browser that got as far as Approve
    late.open(code)
    late.enter_code(code)
    late.sign_in("alice", alice_password)
    approve_over_http(local_hub.url, code, "alice", alice_password)
    assert late.decide("deny").status_code == 410
    again = ActivatePage(local_hub.url)
    again.open(code)
    used = again.enter_code(code)
    assert used.status_code == 404 and "already used" in used.text
    assert poll(local_hub.url, started["device_code"]).status_code == 200


def test_expired_and_unknown_codes(local_hub: LocalHub, hub_clock: HubClock) -> None:
    code = start_device_sign_in(local_hub.url)["user_code"]
    walk = ActivatePage(local_hub.url)
    walk.open()
    malformed = walk.enter_code("AAAA-1111")
    assert malformed.status_code == 400 and "not valid" in malformed.text
    assert parse(malformed.text).ids["user_code"]["value"] == "AAAA-1111"
    unknown = "BCDF-GHJK" if code != "BCDF-GHJK" else "BCDF-GHJL"
    assert walk.enter_code(unknown).status_code == 404
    hub_clock.advance(900)
    walk.open()  # the page's own form has expired too by now
    expired = walk.enter_code(code)
    assert expired.status_code == 404 and "expired" in expired.text


def test_wrong_codes_are_throttled(local_hub: LocalHub, hub_clock: HubClock) -> None:
    code = start_device_sign_in(local_hub.url, scope="openid")["user_code"]
    walk = ActivatePage(local_hub.url)
    walk.open()
    wrong = "BCDF-BCDF" if code != "BCDF-BCDF" else "BCDF-BCDG"
    for _ in range(5):
        assert walk.enter_code(wrong).status_code == 404
    blocked = walk.enter_code(code)  # even the right code waits now
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 300
    assert "Too many wrong tries" in blocked.text
    hub_clock.advance(301)
    assert walk.enter_code(code).status_code == 200


def test_page_escapes_what_the_device_sent(local_hub: LocalHub, alice_password: str) -> None:
    reply = requests.post(
        local_hub.url + "/oauth/device/code",
        data={"client_id": "<b>client</b>"},
        headers={"User-Agent": '<script>alert("x")</script>'},
        timeout=10,
    )
    code = reply.json()["user_code"]
    walk = ActivatePage(local_hub.url)
    walk.open(code)
    walk.enter_code(code)
    consent = walk.sign_in("alice", alice_password)
    assert "<script>" not in consent.text and "&lt;script&gt;" in consent.text
    assert "<b>client</b>" not in consent.text


def test_wrong_passwords_are_throttled(
    local_hub: LocalHub, hub_clock: HubClock, alice_password: str
) -> None:
    code = start_device_sign_in(local_hub.url)["user_code"]
    walk = ActivatePage(local_hub.url)
    walk.open(code)
    walk.enter_code(code)
    for _ in range(5):
        assert walk.sign_in("alice", "not-" + alice_password).status_code == 401
    blocked = walk.sign_in("alice", alice_password)
    assert blocked.status_code == 429 and "Too many wrong tries" in blocked.text
    hub_clock.advance(301)
    assert walk.sign_in("alice", alice_password).status_code == 200
