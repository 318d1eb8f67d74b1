"""The sign-in service's API: /oauth/device/code, /oauth/token (device code and refresh
token grants) and /oauth/revoke, answered as login.docker.com (Auth0) answers them."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from hubtokens.localhub.accounts import AUDIENCE, HUB_CLAIM, OAUTH_SOURCE, Accounts
from hubtokens.localhub.messages import NO_STORE, Reply, Request, json_reply
from hubtokens.localhub.oauth.errors import OAuthError
from hubtokens.localhub.oauth.grants import DeviceGrants
from hubtokens.localhub.oauth.sessions import WebSession, WebSessions
from hubtokens.localhub.store import Store
from hubtokens.localhub.times import unix_seconds

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_SCOPE = "openid"
ACTIVATE_PATH = "/activate"
EMAIL_DOMAIN = "localhub.invalid"  # local accounts have no e-mail address


def tenant_issuer(request: Request) -> str:
    """``{tenant}/``: the sign-in service is this hub, at the address the device used."""
    return request.base_url + "/"


class TokenEndpoint:
    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        grants: DeviceGrants,
        sessions: WebSessions,
        clock: Callable[[], datetime],
        access_lifetime: timedelta,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._grants = grants
        self._sessions = sessions
        self._clock = clock
        self._access_lifetime = access_lifetime

    def device_code(self, request: Request, params: dict[str, str]) -> Reply:
        return _answer(lambda: self._device_code(request))

    def token(self, request: Request, params: dict[str, str]) -> Reply:
        return _answer(lambda: self._token(request))

    def revoke(self, request: Request, params: dict[str, str]) -> Reply:
        return _answer(lambda: self._revoke(request))

    def _device_code(self, request: Request) -> Reply:
        form = request.form()
        client_id = _required(form, "client_id")
        audience = form.get("audience") or AUDIENCE
        if audience != AUDIENCE:
            raise OAuthError("invalid_request", f"Service not found: {audience}")
        device_code, grant = self._grants.start(
            client_id, form.get("scope") or DEFAULT_SCOPE, request.user_agent
        )
        verification_uri = request.base_url + ACTIVATE_PATH
        return json_reply(
            200,
            {
                "device_code": device_code,
                "user_code": grant.user_code,
                "verification_uri": verification_uri,
                "verification_uri_complete": f"{verification_uri}?user_code={grant.user_code}",
                "expires_in": math.ceil(self._grants.lifetime.total_seconds()),
                "interval": self._grants.interval_seconds(),
            },
            NO_STORE,
        )

    def _token(self, request: Request) -> Reply:
        form = request.form()
        grant_type = _required(form, "grant_type")
        client_id = _required(form, "client_id")
        if grant_type == DEVICE_CODE_GRANT:
            grant = self._grants.poll(_required(form, "device_code"), client_id)
            assert grant.user_uuid is not None  # approved grants name who approved
            session, refresh = self._sessions.start(grant.user_uuid, client_id, grant.scope)
        elif grant_type == "refresh_token":
            session, refresh = self._sessions.rotate(_required(form, "refresh_token"), client_id)
        else:
            raise OAuthError("unsupported_grant_type", f"Unsupported grant type: {grant_type}")
        return json_reply(200, self._tokens(request, session, refresh), NO_STORE)

    def _revoke(self, request: Request) -> Reply:
        form = request.form()
        client_id = _required(form, "client_id")
        self._sessions.revoke(_required(form, "token"), client_id)
        return Reply(200, b"", None)

    def _tokens(self, request: Request, session: WebSession, refresh: str | None) -> dict[str, Any]:
        user = self._store.user_by_uuid(session.user_uuid)
        if user is None:
            raise OAuthError("invalid_grant", "The account no longer exists.")
        now = self._clock()
        email = f"{user.username}@{EMAIL_DOMAIN}"
        common = {"iss": tenant_issuer(request), "sub": user.uuid, "iat": unix_seconds(now)}
        access = {
            **common,
            "aud": AUDIENCE,
            "exp": unix_seconds(now + self._access_lifetime),
            "scope": session.scope,
            "jti": str(uuid.uuid4()),
            HUB_CLAIM: {
                "uuid": user.uuid,
                "email": email,
                "username": user.username,
                "source": f"{OAUTH_SOURCE}|{session.session_id}",
                "session_id": session.session_id,
            },
        }
        identity = {
            **common,
            "aud": session.client_id,
            "exp": unix_seconds(now + self._access_lifetime),
            "email": email,
            "name": user.username,
            "nickname": user.username,
        }
        tokens: dict[str, Any] = {
            "access_token": self._accounts.sign(access),
            "id_token": self._accounts.sign(identity),
            "scope": session.scope,
            "expires_in": math.ceil(self._access_lifetime.total_seconds()),
            "token_type": "Bearer",
        }
        if refresh is not None:
            tokens["refresh_token"] = refresh
        return tokens


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise OAuthError("invalid_request", f"Missing required parameter: {name}")
    return value


def _answer(handle: Callable[[], Reply]) -> Reply:
    try:
        return handle()
    except OAuthError as exc:
        return exc.reply()
