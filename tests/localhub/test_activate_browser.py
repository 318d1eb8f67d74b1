"""The /activate page in a real browser (headless chromium via selenium): code, sign-in,
Approve; a 2FA account; Deny. The device side polls over HTTP as a device does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hubtokens.localhub import LocalHub, totp
from tests.fixtures.browser import approve_in_browser, click, fill, sign_in_on_page, wait_for
from tests.fixtures.localhub import HubClock
from tests.fixtures.signin import desktop_generate, poll, start_device_sign_in

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver


def test_code_login_approve_then_the_device_gets_tokens(
    browser: WebDriver, local_hub: LocalHub, hub_clock: HubClock, alice_password: str
) -> None:
    from selenium.webdriver.common.by import By

    started = start_device_sign_in(local_hub.url)
    browser.get(started["verification_uri_complete"])
    wait_for(browser, "user_code")
    shown = browser.find_element(By.ID, "user_code").get_attribute("value")
    assert shown == started["user_code"]
    # The flow's cookie, as the browser holds it: out of the page's reach, same-site only.
    [cookie] = browser.get_cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert browser.execute_script("return document.cookie") == ""

    click(browser, "continue")
    wait_for(browser, "username")
    sign_in_on_page(browser, "alice", alice_password)
    wait_for(browser, "approve")
    device = browser.find_element(By.ID, "device").text
    assert "hubtokens-tests-device" in device
    assert poll(local_hub.url, started["device_code"]).json()["error"] == "authorization_pending"
    click(browser, "approve")
    wait_for(browser, "done")
    assert "close this window" in browser.find_element(By.TAG_NAME, "body").text

    hub_clock.advance(5)  # the device's next poll, one interval later
    reply = poll(local_hub.url, started["device_code"])
    assert reply.status_code == 200, reply.text
    tokens = reply.json()
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens)
    assert desktop_generate(local_hub.url, tokens["access_token"]).status_code == 201


def test_two_factor_account_with_a_typed_code(
    browser: WebDriver, local_hub: LocalHub, hub_clock: HubClock
) -> None:
    from selenium.webdriver.common.by import By

    secret = totp.new_secret()
    password = totp.new_secret()
    local_hub.add_user("bob", password, otp_secret=secret)
    started = start_device_sign_in(local_hub.url)
    browser.get(started["verification_uri"])  # no code in the link: the person types it
    wait_for(browser, "user_code")
    fill(browser, "user_code", started["user_code"].replace("-", "").lower())
    click(browser, "continue")
    wait_for(browser, "username")
    sign_in_on_page(browser, "bob", password)  # no TOTP code yet
    wait_for(browser, "error")
    assert "two-step" in browser.find_element(By.ID, "error").text
    sign_in_on_page(browser, "bob", password, totp.code_at(secret, hub_clock.now()))
    wait_for(browser, "approve")
    click(browser, "approve")
    wait_for(browser, "done")
    tokens = poll(local_hub.url, started["device_code"])
    assert tokens.status_code == 200, tokens.text


def test_deny(browser: WebDriver, local_hub: LocalHub, alice_password: str) -> None:
    started = start_device_sign_in(local_hub.url)
    closing = approve_in_browser(
        browser, started["verification_uri_complete"], "alice", alice_password, approve=False
    )
    assert "denied" in closing
    assert poll(local_hub.url, started["device_code"]).json()["error"] == "access_denied"
    assert local_hub.tokens("alice") == []


def test_helper_approves(browser: WebDriver, local_hub: LocalHub, alice_password: str) -> None:
    started = start_device_sign_in(local_hub.url)
    closing = approve_in_browser(
        browser, started["verification_uri_complete"], "alice", alice_password
    )
    assert "approved" in closing
    assert poll(local_hub.url, started["device_code"]).status_code == 200
