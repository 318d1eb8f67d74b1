"""The management session, of either kind, behind one interface.

* password sign-in: the Hub's session JWT, kept in the keychain, lapsing at its ``exp``;
* web sign-in (the device flow): the refresh token in the keychain, the access token it renews
  in memory only, renewed ahead of its expiry. Refresh tokens rotate: the new one is stored
  before the old one is dropped. Renewals happen under the keeper lock, so two processes never
  present the same refresh token (the sign-in service would take that as theft and end the
  session).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import replace

from hubtokens.core.errors import (
    HubError,
    HubTokensError,
    PermissionDenied,
    ProtocolError,
    SessionExpired,
    WebSessionEnded,
)
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.hub.oauth import OAuthTokens
from hubtokens.core.keeper.parts import KeeperParts
from hubtokens.core.keeper.policy import Verdict
from hubtokens.core.keeper.reports import SESSION_ENDED_MESSAGE
from hubtokens.core.settings import AccountRecord

logger = logging.getLogger(__name__)

#: Renew a web session's access token this long before it expires, so no request carries one
#: that lapses on the way.
RENEW_AHEAD_SECONDS = 120.0


class ManagementSessions:
    def __init__(self, parts: KeeperParts) -> None:
        self._parts = parts
        self._access: dict[tuple[str, str], SessionToken] = {}
        self._access_guard = threading.Lock()  # the app asks from several worker threads

    def current(self, record: AccountRecord) -> SessionToken:
        """The session that manages tokens, or a clear error saying why there is none. For a
        web session the caller holds the keeper lock (a renewal rotates the refresh token).

        Raises SessionExpired, PermissionDenied, WebSessionEnded (the sign-in service refused
        the session: recorded here), or a HubError when the sign-in service cannot be reached
        (which never ends the session)."""
        if record.credential == "pat":
            raise PermissionDenied(
                "signed in with a personal access token, which cannot manage tokens",
                hint="sign in with your password or through the browser to manage tokens",
            )
        if record.sign_in == "web":
            return self._web(record)
        vault = self._parts.vault
        jwt = vault.get_session(record.hub_url, record.account)
        if jwt is None:
            raise SessionExpired(hint="run: hubtokens signin")
        try:
            session = SessionToken.from_jwt(jwt.reveal())
        except ProtocolError:  # a stored session that cannot be read manages nothing
            raise SessionExpired(
                "the stored sign-in session cannot be read: sign in again to manage tokens",
                hint="run: hubtokens signin",
            ) from None
        if session.is_expired(self._parts.clock()):
            raise SessionExpired(hint="run: hubtokens signin (the docker CLI keeps its token)")
        return session

    def adopt(self, hub_url: str, account: str, tokens: OAuthTokens) -> SessionToken:
        """Keep a web session's new tokens: the refresh token in the keychain first (so a crash
        cannot lose the only one that still works), the access token in memory."""
        if tokens.refresh_token is not None:
            self._parts.vault.put_refresh_token(hub_url, account, tokens.refresh_token)
        session = SessionToken.from_jwt(tokens.access_token.reveal())
        with self._access_guard:
            self._access[(hub_url, account)] = session
        return session

    def end_web_session(self, record: AccountRecord) -> bool:
        """Ask the sign-in service to end the web session (best effort: it lapses on its own
        otherwise): True when it is over there, False when the revoke could not be sent."""
        if record.session_ended_at is not None:
            return True
        token = self._parts.vault.get_refresh_token(record.hub_url, record.account)
        if token is None:
            return True
        try:
            self._parts.sign_in_service_for(record.hub_url).revoke(token)
        except HubError as exc:
            logger.info("the web session was not revoked: %s", exc.message)
            return False
        return True

    def forget(self, hub_url: str, account: str) -> None:
        """Drop both kinds from memory and the keychain (sign-out)."""
        with self._access_guard:
            self._access.pop((hub_url, account), None)
        vault = self._parts.vault
        vault.delete_refresh_token(hub_url, account)
        vault.delete_session(hub_url, account)

    def _web(self, record: AccountRecord) -> SessionToken:
        key = (record.hub_url, record.account)
        now = self._parts.clock()
        with self._access_guard:
            cached = self._access.get(key)
        if cached is not None and not cached.is_expired(now, leeway_seconds=RENEW_AHEAD_SECONDS):
            return cached
        if record.session_ended_at is not None:
            raise WebSessionEnded(SESSION_ENDED_MESSAGE, hint="run: hubtokens signin")
        refresh_token = self._parts.vault.get_refresh_token(record.hub_url, record.account)
        if refresh_token is None:
            raise SessionExpired(hint="run: hubtokens signin")
        service = self._parts.sign_in_service_for(record.hub_url)
        try:
            tokens = service.refresh(refresh_token)
        except WebSessionEnded:
            self._note_ended(record)
            raise WebSessionEnded(SESSION_ENDED_MESSAGE, hint="run: hubtokens signin") from None
        logger.info("renewed the web session's access token")
        return self.adopt(record.hub_url, record.account, tokens)

    def _note_ended(self, record: AccountRecord) -> None:
        """Remember that the sign-in service ended the session: management pauses until the next
        sign-in, as after a confirmed 401, and nothing asks the service again."""
        with self._access_guard:
            self._access.pop((record.hub_url, record.account), None)
        current = self._parts.records.find(record.hub_url)
        if current is None or current.account != record.account:
            return
        ended = replace(
            current,
            session_ended_at=self._parts.clock(),
            last_outcome=Verdict.PAUSE_SESSION.value,
            last_message=SESSION_ENDED_MESSAGE,
        )
        with contextlib.suppress(HubTokensError):  # the refusal is told either way
            self._parts.records.save(ended)
