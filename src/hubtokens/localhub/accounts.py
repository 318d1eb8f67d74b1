"""Who is calling: passwords, PATs and TOTP checked against the store; session JWTs issued
and verified. Knows nothing about HTTP."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hubtokens.localhub import jwt, totp
from hubtokens.localhub.credentials import (
    hash_password,
    hash_secret,
    looks_like_pat,
    verify_password,
)
from hubtokens.localhub.store import Store, User
from hubtokens.localhub.times import unix_seconds

ISSUER = "https://localhub.invalid/"
AUDIENCE = "https://hub.docker.com"
HUB_CLAIM = "https://hub.docker.com"
SECOND_FACTOR_DETAIL = "Require secondary authentication on MFA enabled account"
BAD_CREDENTIALS = "Incorrect authentication credentials"
LOGIN_2FA_LIFETIME = timedelta(minutes=5)
_SCHEMES = ("bearer", "jwt")
OAUTH_SOURCE = "docker_oauth"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller and what they proved it with."""

    user: User
    # "docker_pat|<pat uuid>", "docker_password|<user uuid>" or, for a session of the
    # sign-in service (localhub.oauth), "docker_oauth|<session id>"
    source: str

    @property
    def via_pat(self) -> bool:
        return self.source.startswith("docker_pat|")

    @property
    def pat_uuid(self) -> str | None:
        """The PAT the caller proved themselves with, if it was one."""
        return self.source.partition("|")[2] if self.via_pat else None

    @property
    def web_session_id(self) -> str | None:
        """The sign-in service's session the caller's access token belongs to, if any."""
        kind, _, session_id = self.source.partition("|")
        return session_id if kind == OAUTH_SOURCE else None


class AuthFailed(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class SecondFactorRequired(Exception):
    def __init__(self, login_2fa_token: str) -> None:
        super().__init__(SECOND_FACTOR_DETAIL)
        self.login_2fa_token = login_2fa_token


class Accounts:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        web_session_live: Callable[[str], bool] = lambda session_id: False,
    ) -> None:
        self._store = store
        self._clock = clock
        self._web_session_live = web_session_live
        self._key = store.signing_key()
        self._pending_lock = threading.Lock()
        self._pending_2fa: dict[str, tuple[str, datetime]] = {}  # token -> (user uuid, expiry)

    def register(self, username: str, password: str, otp_secret: str | None = None) -> User:
        if not username or not password:
            raise ValueError("a user needs a non-empty name and password")
        if otp_secret is not None:
            totp.decode_secret(otp_secret)  # refuse a secret no authenticator could use
        user = User(str(uuid.uuid4()), username, hash_password(password), otp_secret)
        self._store.add_user(user)
        return user

    def check_secret(self, username: str, secret: str) -> Principal:
        """A password or one of the user's PATs; raises AuthFailed or SecondFactorRequired."""
        user = self._store.user_by_name(username)
        if user is None:
            raise AuthFailed(BAD_CREDENTIALS)
        if looks_like_pat(secret):
            return self._check_pat(user, secret)
        if not verify_password(secret, user.password_hash):
            raise AuthFailed(BAD_CREDENTIALS)
        if user.otp_secret is not None:
            raise SecondFactorRequired(self._start_second_factor(user))
        return Principal(user, f"docker_password|{user.uuid}")

    def _check_pat(self, user: User, secret: str) -> Principal:
        now = self._clock()
        token = self._store.token_by_secret_hash(hash_secret(secret))
        if token is None or token.user_uuid != user.uuid or not token.usable_at(now):
            raise AuthFailed(BAD_CREDENTIALS)
        self._store.set_token_last_used(token.uuid, now)
        # A PAT is a second factor's replacement: signing in with one skips TOTP.
        return Principal(user, f"docker_pat|{token.uuid}")

    def _start_second_factor(self, user: User) -> str:
        now = self._clock()
        login_token = secrets.token_urlsafe(32)
        with self._pending_lock:
            self._pending_2fa = {k: v for k, v in self._pending_2fa.items() if v[1] > now}
            self._pending_2fa[login_token] = (user.uuid, now + LOGIN_2FA_LIFETIME)
        return login_token

    def second_factor(self, login_2fa_token: str, code: str) -> Principal:
        now = self._clock()
        with self._pending_lock:
            pending = self._pending_2fa.get(login_2fa_token)
            if pending is None or pending[1] <= now:
                raise AuthFailed("The login_2fa_token is invalid or has expired")
            user = self._store.user_by_uuid(pending[0])
            if user is None or user.otp_secret is None:
                raise AuthFailed(BAD_CREDENTIALS)
            if not totp.verify(user.otp_secret, code, now):
                raise AuthFailed("Incorrect two-factor authentication code")
            del self._pending_2fa[login_2fa_token]  # single use
        return Principal(user, f"docker_password|{user.uuid}")

    def sign(self, claims: dict[str, Any]) -> str:
        """A JWT signed with the hub's key (also for the sign-in service's tokens)."""
        return jwt.encode(claims, self._key)

    def issue(self, principal: Principal, lifetime: timedelta) -> str:
        now = self._clock()
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": principal.user.uuid,
            "iat": unix_seconds(now),
            "exp": unix_seconds(now + lifetime),
            "jti": str(uuid.uuid4()),
            HUB_CLAIM: {
                "username": principal.user.username,
                "uuid": principal.user.uuid,
                "session_id": str(uuid.uuid4()),
                "source": principal.source,
            },
        }
        return self.sign(claims)

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller behind an ``Authorization: Bearer|JWT <jwt>`` header."""
        if not authorization:
            raise AuthFailed("Authentication credentials were not provided.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in _SCHEMES or not token.strip():
            raise AuthFailed("Invalid authorization header. Expected 'Bearer <token>'.")
        try:
            claims = jwt.decode(token.strip(), self._key, now=unix_seconds(self._clock()))
        except jwt.JwtError as exc:
            raise AuthFailed(f"Invalid token: {exc}") from exc
        hub_claim = claims.get(HUB_CLAIM)
        if not isinstance(hub_claim, dict) or not isinstance(hub_claim.get("source"), str):
            raise AuthFailed("Invalid token: missing claims")
        # The sign-in service's tokens name it as issuer ("{tenant}/", the URL the device
        # used); the signature with this hub's key is what proves them.
        web = hub_claim["source"].startswith(OAUTH_SOURCE + "|")
        if (not web and claims.get("iss") != ISSUER) or claims.get("aud") != AUDIENCE:
            raise AuthFailed("Invalid token: wrong issuer or audience")
        user = self._store.user_by_uuid(str(claims.get("sub")))
        if user is None:
            raise AuthFailed("Invalid token: unknown user")
        principal = Principal(user, hub_claim["source"])
        session_id = principal.web_session_id
        if session_id is not None and not self._web_session_live(session_id):
            raise AuthFailed("Invalid token: the sign-in session has ended")
        return principal
