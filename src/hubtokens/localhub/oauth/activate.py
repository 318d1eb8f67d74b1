"""The /activate pages: the code, then username and password (and the TOTP code), then
Approve or Deny naming the device, then "you can close this window".

Each step is a same-origin form POST carrying the flow's CSRF token; the flow is found by a
cookie that is HttpOnly and SameSite=Strict: it is only ever needed on those form posts,
never on a navigation from another site (a fresh GET starts a fresh flow), so Strict costs
nothing and keeps every cross-site request, top-level POSTs included, without it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie

from hubtokens.localhub.accounts import Accounts, AuthFailed, SecondFactorRequired
from hubtokens.localhub.credentials import looks_like_pat
from hubtokens.localhub.messages import Reply, Request
from hubtokens.localhub.oauth import pages, user_codes
from hubtokens.localhub.oauth.browser_flows import BrowserFlows, Flow
from hubtokens.localhub.oauth.grants import DeviceGrants
from hubtokens.localhub.oauth.throttle import FailureThrottle
from hubtokens.localhub.store import Store

COOKIE = "localhub_activate"
WRONG_TRIES = 5  # wrong codes (or passwords) per address...
TRY_WINDOW = timedelta(minutes=5)  # ...in this long, then it waits

_EXPIRED_FORM = "This page has expired or the form did not come from it. Start again."
_BAD_CODE = "That code is not valid. Check the code your device shows and try again."
_USED_CODE = "That code has expired or was already used. Start the sign-in again on your device."
_BAD_LOGIN = "Incorrect username or password."
_OTP_NEEDED = (
    "This account uses two-step verification: enter your password again, "
    "and the code from your authenticator."
)
_BAD_OTP = "Incorrect two-step verification code."


class _SecondFactorNeeded(Exception):
    """Password right, and the account uses two-step verification: ask for the code."""


class ActivatePages:
    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        grants: DeviceGrants,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._grants = grants
        self._flows = BrowserFlows(clock, grants.lifetime)
        self._codes = FailureThrottle(WRONG_TRIES, TRY_WINDOW, clock)
        self._logins = FailureThrottle(WRONG_TRIES, TRY_WINDOW, clock)

    def start(self, request: Request, params: dict[str, str]) -> Reply:
        flow = self._flows.start()
        given = (request.query.get("user_code") or [""])[-1]
        cookie = (
            f"{COOKIE}={flow.flow_id}; Path=/activate; HttpOnly; SameSite=Strict; "
            f"Max-Age={math.ceil(self._grants.lifetime.total_seconds())}"
        )
        body = pages.code_form(flow.csrf, user_codes.normalize(given) or given[:20])
        return pages.page(200, "Activate a device", body, {"Set-Cookie": cookie})

    def enter_code(self, request: Request, params: dict[str, str]) -> Reply:
        form = request.form()
        flow = self._flow(request, form)
        if flow is None:
            return _expired_form()
        waited = self._throttled(self._codes, request)
        if waited is not None:
            return waited
        typed = form.get("user_code", "")
        code = user_codes.normalize(typed)
        grant = None if code is None else self._grants.pending(code)
        if code is None or grant is None:
            self._codes.failed(request.client_ip)
            message = _BAD_CODE if code is None else _USED_CODE
            status = 400 if code is None else 404
            return pages.page(
                status, "Activate a device", pages.code_form(flow.csrf, typed, message)
            )
        # A new code needs its own sign-in and its own Approve/Deny page: a sign-in for the
        # code before must not carry over to this one.
        self._flows.update(replace(flow, user_code=code, user_uuid=None, consent_for=None))
        return pages.page(200, "Sign in", pages.login_form(flow.csrf, code))

    def login(self, request: Request, params: dict[str, str]) -> Reply:
        form = request.form()
        flow = self._flow(request, form)
        if flow is None or flow.user_code is None:
            return _expired_form()
        if self._grants.pending(flow.user_code) is None:
            return _used_code()
        waited = self._throttled(self._logins, request)
        if waited is not None:
            return waited
        username = form.get("username", "")
        try:
            user_uuid = self._check(username, form.get("password", ""), form.get("otp", ""))
        except _SecondFactorNeeded:  # not a wrong try: the form asks for the code now
            return self._login_again(flow, flow.user_code, username, _OTP_NEEDED)
        except AuthFailed as exc:
            self._logins.failed(request.client_ip)
            return self._login_again(flow, flow.user_code, username, exc.detail)
        flow = self._flows.update(replace(flow, user_uuid=user_uuid))
        return self._consent(flow, username)

    def decide(self, request: Request, params: dict[str, str]) -> Reply:
        form = request.form()
        flow = self._flow(request, form)
        if (
            flow is None
            or flow.user_code is None
            or flow.user_uuid is None
            or flow.consent_for != flow.user_code
        ):
            return _expired_form()
        decision = form.get("decision")
        if decision not in ("approve", "deny"):
            user = self._store.user_by_uuid(flow.user_uuid)
            return self._consent(flow, user.username if user else "")
        self._flows.finish(flow)  # every step of this flow is spent, whatever comes next
        approve = decision == "approve"
        if not self._grants.decide(flow.user_code, flow.user_uuid, approve):
            return _used_code()
        if approve:
            message = "Device approved: it is signing in now."
            return pages.page(200, "Device approved", pages.closing(message))
        message = "Sign-in denied: the device was told and gets no access."
        return pages.page(200, "Sign-in denied", pages.closing(message))

    def _consent(self, flow: Flow, username: str) -> Reply:
        grant = None if flow.user_code is None else self._grants.pending(flow.user_code)
        if grant is None:
            return _used_code()
        flow = self._flows.consent_shown(flow)
        body = pages.consent_form(
            flow.csrf, grant.user_code, username, grant.client_id, grant.user_agent
        )
        return pages.page(200, "Approve this device?", body)

    @staticmethod
    def _login_again(flow: Flow, user_code: str, username: str, message: str) -> Reply:
        body = pages.login_form(flow.csrf, user_code, username, message)
        return pages.page(401, "Sign in", body)

    def _check(self, username: str, password: str, otp: str) -> str:
        """The user's uuid; _SecondFactorNeeded when the account asks for a code and none
        was typed; AuthFailed with words for the page otherwise."""
        if looks_like_pat(password):  # this page takes passwords, not access tokens
            raise AuthFailed(_BAD_LOGIN)
        try:
            return self._accounts.check_secret(username, password).user.uuid
        except SecondFactorRequired as exc:
            if not otp.strip():
                raise _SecondFactorNeeded from exc
            try:
                return self._accounts.second_factor(exc.login_2fa_token, otp.strip()).user.uuid
            except AuthFailed as wrong:
                raise AuthFailed(_BAD_OTP) from wrong
        except AuthFailed as exc:
            raise AuthFailed(_BAD_LOGIN) from exc

    def _flow(self, request: Request, form: dict[str, str]) -> Flow | None:
        return self._flows.checked(_cookie(request), form.get("csrf", ""))

    @staticmethod
    def _throttled(throttle: FailureThrottle, request: Request) -> Reply | None:
        wait = throttle.wait_left(request.client_ip)
        if wait is None:
            return None
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        message = f"Too many wrong tries. Wait {minutes} minute(s), then start again."
        headers = {"Retry-After": str(math.ceil(wait.total_seconds()))}
        return pages.page(429, "Too many tries", pages.start_again(message), headers)


def _cookie(request: Request) -> str | None:
    try:
        morsel = SimpleCookie(request.cookie).get(COOKIE)
    except CookieError:
        return None
    return None if morsel is None else morsel.value


def _expired_form() -> Reply:
    return pages.page(403, "Start again", pages.start_again(_EXPIRED_FORM))


def _used_code() -> Reply:
    return pages.page(410, "Code no longer valid", pages.start_again(_USED_CODE))
