"""Signing out: delete this device's auto token on the hub, end a web session, forget it all."""

from __future__ import annotations

import contextlib
import logging

from hubtokens.core.errors import HubError, NotFound, SessionExpired, WebSessionEnded
from hubtokens.core.hub.models import SessionToken
from hubtokens.core.keeper.parts import KeeperParts
from hubtokens.core.keeper.recovery import CrashRecovery
from hubtokens.core.keeper.reports import SignOutResult
from hubtokens.core.keeper.sessions import ManagementSessions
from hubtokens.core.settings import AccountRecord

logger = logging.getLogger(__name__)


class SignOut:
    def __init__(self, parts: KeeperParts, sessions: ManagementSessions) -> None:
        self._parts = parts
        self._sessions = sessions

    def sign_out(self, hub_url: str, *, keep_token: bool = False) -> SignOutResult:
        """Delete this device's auto token on the hub (unless kept), and any token a killed
        run's create left there; end a web session; then forget everything.

        A password session: if the hub cannot delete the token, nothing changes locally (a
        token left on the hub that nobody holds is the pile-up this app exists to prevent).
        A web session: offline, it forgets locally and says the revoke was not sent; Docker
        removes the session's token when the session lapses."""
        with self._parts.lock.held():
            record = self._parts.records.require(hub_url)
            web = record.sign_in == "web"
            deleted = None
            session_closed: bool | None = None
            if (
                not keep_token
                and record.credential == "auto-token"
                and (record.auto_token is not None or record.pending_create is not None)
            ):
                session = self._session_for_deleting(record)
                if session is not None:
                    if record.pending_create is not None:
                        # A killed run's create may have left a token that nobody holds.
                        strays = CrashRecovery(self._parts).delete_strays(record, session, None)
                        logger.info("deleted %d token(s) an interrupted create left", len(strays))
                    if record.auto_token is not None:
                        with contextlib.suppress(NotFound):
                            self._parts.client_for(hub_url).delete_token(
                                session, record.auto_token.uuid
                            )
                        deleted = record.auto_token.uuid
            if web:
                session_closed = self._sessions.end_web_session(record)
            self._parts.vault.delete_auto_token(hub_url, record.account)
            self._sessions.forget(hub_url, record.account)
            self._parts.records.forget(hub_url)
            return SignOutResult(hub_url, record.account, deleted, session_closed)

    def _session_for_deleting(self, record: AccountRecord) -> SessionToken | None:
        """The session to delete the token with; None when a web session cannot give one (it
        ended, so Docker removes its token, or the sign-in service is out of reach)."""
        try:
            return self._sessions.current(record)
        except WebSessionEnded:
            return None
        except SessionExpired:
            raise SessionExpired(
                "the sign-in session has expired, so this device's auto token cannot be "
                "deleted on the hub",
                hint="sign in again, or sign out with --keep-token and delete it on the hub",
            ) from None
        except HubError as exc:
            if record.sign_in != "web":
                raise
            logger.info("signing out offline: %s", exc.message)
            return None
