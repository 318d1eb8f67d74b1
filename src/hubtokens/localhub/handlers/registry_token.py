"""``GET /token``: the registry token service of the distribution token-auth spec
(docs/spec/auth/token.md), as auth.docker.io runs it for Docker Hub's registry."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from hubtokens.localhub.accounts import ISSUER, Accounts, AuthFailed, SecondFactorRequired
from hubtokens.localhub.messages import ApiError, Reply, Request, json_reply
from hubtokens.localhub.registry import SERVICE, Caller, grant, parse_scopes
from hubtokens.localhub.signing import RegistrySigner, SigningError
from hubtokens.localhub.store import Store
from hubtokens.localhub.times import unix_seconds, utc

TOKEN_PATH = "/token"
TOKEN_LIFETIME = timedelta(seconds=300)
BAD_LOGIN = "incorrect username or password"


class RegistryTokenHandlers:
    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        clock: Callable[[], datetime],
        signer: Callable[[], RegistrySigner],
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._clock = clock
        self._signer = signer

    def token(self, request: Request, params: dict[str, str]) -> Reply:
        service = _single(request, "service")
        if service != SERVICE:
            raise ApiError(_details(400, f"unknown service {service!r}; this is {SERVICE!r}"))
        caller = self._caller(request)
        access = grant(self._store, caller, parse_scopes(request.query.get("scope", [])))
        now = self._clock()
        issued = unix_seconds(now)
        claims = {
            "iss": ISSUER,
            "sub": caller.username or "",
            "aud": service,
            "exp": issued + int(TOKEN_LIFETIME.total_seconds()),
            "nbf": issued,
            "iat": issued,
            "jti": str(uuid.uuid4()),
            "access": access,
        }
        try:
            token = self._signer().encode(claims)
        except SigningError as exc:
            raise ApiError(_details(503, f"cannot sign registry tokens: {exc}")) from exc
        return json_reply(
            200,
            {
                "token": token,
                "access_token": token,
                "expires_in": int(TOKEN_LIFETIME.total_seconds()),
                "issued_at": utc(now).isoformat(timespec="seconds").replace("+00:00", "Z"),
            },
        )

    def _caller(self, request: Request) -> Caller:
        if not request.authorization:
            return Caller.anonymous()
        scheme, _, encoded = request.authorization.partition(" ")
        try:
            if scheme.lower() != "basic":
                raise ValueError("not HTTP Basic")
            username, sep, secret = (
                base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
            )
            if not sep or not username or not secret:
                raise ValueError("no username or secret")
            principal = self._accounts.check_secret(username, secret)
        except (ValueError, AuthFailed, SecondFactorRequired) as exc:  # bad base64/UTF-8 too
            # A 2FA account must use a PAT here, as on Docker Hub.
            realm = f"{request.base_url}{TOKEN_PATH}"
            raise ApiError(
                _details(401, BAD_LOGIN, {"WWW-Authenticate": f'Basic realm="{realm}"'})
            ) from exc
        user = principal.user
        if principal.pat_uuid is None:
            return Caller.with_password(user.username)
        token = self._store.token(principal.pat_uuid)
        return Caller.with_pat(user.username, token.scopes if token is not None else ())


def _single(request: Request, name: str) -> str:
    values = request.query.get(name, [])
    return values[0] if values else ""


def _details(status: int, text: str, headers: dict[str, str] | None = None) -> Reply:
    """auth.docker.io's error shape."""
    return json_reply(status, {"details": text}, headers)
