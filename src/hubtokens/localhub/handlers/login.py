"""Sign-in endpoints: password/PAT login, the TOTP second step, and /v2/auth/token."""

from __future__ import annotations

from datetime import timedelta

from hubtokens.localhub.accounts import Accounts
from hubtokens.localhub.messages import Reply, Request, json_reply
from hubtokens.localhub.validation import string_fields


class LoginHandlers:
    def __init__(
        self, accounts: Accounts, session_lifetime: timedelta, auth_token_lifetime: timedelta
    ) -> None:
        self._accounts = accounts
        self._session_lifetime = session_lifetime
        self._auth_token_lifetime = auth_token_lifetime

    def login(self, request: Request, params: dict[str, str]) -> Reply:
        username, password = string_fields(request.json_body(), "username", "password")
        principal = self._accounts.check_secret(username, password)
        return json_reply(200, {"token": self._accounts.issue(principal, self._session_lifetime)})

    def second_factor(self, request: Request, params: dict[str, str]) -> Reply:
        login_token, code = string_fields(request.json_body(), "login_2fa_token", "code")
        principal = self._accounts.second_factor(login_token, code)
        return json_reply(200, {"token": self._accounts.issue(principal, self._session_lifetime)})

    def auth_token(self, request: Request, params: dict[str, str]) -> Reply:
        identifier, secret = string_fields(request.json_body(), "identifier", "secret")
        principal = self._accounts.check_secret(identifier, secret)
        access_token = self._accounts.issue(principal, self._auth_token_lifetime)
        return json_reply(200, {"access_token": access_token})
