"""What the front ends show: the account's state, read without asking the hub."""

from __future__ import annotations

from datetime import datetime

from hubtokens.core.errors import NotSignedIn, PermissionDenied, SessionExpired
from hubtokens.core.keeper.parts import KeeperParts
from hubtokens.core.keeper.policy import CreateReason, Verdict, creation_allowed_at
from hubtokens.core.keeper.reconcile import noted_deleted
from hubtokens.core.keeper.reports import (
    CHECK_INTERVAL,
    SESSION_ENDED_MESSAGE,
    SESSION_EXPIRED_MESSAGE,
    AccountStatus,
    Recreation,
)
from hubtokens.core.keeper.sessions import ManagementSessions
from hubtokens.core.secret import Secret
from hubtokens.core.settings import AccountRecord


class Status:
    def __init__(self, parts: KeeperParts, sessions: ManagementSessions) -> None:
        self._parts = parts
        self._sessions = sessions

    def status(self, hub_url: str) -> AccountStatus:
        record = self._parts.records.require(hub_url)
        now = self._parts.clock()
        management, expires = self._management(record)
        if management is None and record.last_outcome == Verdict.PAUSE_SESSION.value:
            # The hub refused the session (401/403) although its exp has not passed: a
            # confirmed refusal pauses management until the next sign-in, whatever exp says.
            management = record.last_message or SESSION_EXPIRED_MESSAGE
        vault = self._parts.vault
        has_credential = vault.get_auto_token(hub_url, record.account) is not None
        next_check = record.next_check_at
        if next_check is None and record.last_check is not None:  # saved by an older version
            next_check = record.last_check + CHECK_INTERVAL
        ended = record.session_ended_at is not None
        return AccountStatus(
            record,
            expires,
            management,
            has_credential,
            next_check,
            None if ended else recreation(record, has_credential, now),
            session_ended=ended,
        )

    def _management(self, record: AccountRecord) -> tuple[str | None, datetime | None]:
        """Why management is paused (None when it works) and when the session lapses, from
        what is stored: a web session renews itself, so it has no end to show."""
        if record.sign_in == "web" and record.credential == "auto-token":
            if record.session_ended_at is not None:
                return record.last_message or SESSION_ENDED_MESSAGE, None
            if self._parts.vault.get_refresh_token(record.hub_url, record.account) is None:
                return SessionExpired(hint="run: hubtokens signin").message, None
            return None, None
        try:
            return None, self._sessions.current(record).expires_at
        except (SessionExpired, PermissionDenied) as exc:
            return exc.message, record.session_expires_at

    def credential(self, hub_url: str) -> tuple[str, Secret]:
        """The account name and the secret the docker CLI should use."""
        record = self._parts.records.require(hub_url)
        secret = self._parts.vault.get_auto_token(hub_url, record.account)
        if secret is None:
            raise NotSignedIn(
                "no auto token is stored for this device", hint="run: hubtokens sync --now"
            )
        return record.account, secret

    def note_auto_token_deleted(self, hub_url: str, uuid: str) -> Recreation | None:
        """A person deleted token ``uuid`` (``token rm``, the manager window). If it is this
        device's auto token, remember that it is gone and say when it comes back; None if
        it is not (or no longer) this device's token."""
        with self._parts.lock.held():
            record = self._parts.records.find(hub_url)
            if record is None or record.auto_token is None or record.auto_token.uuid != uuid:
                return None
            now = self._parts.clock()
            record = noted_deleted(record, now)
            self._parts.records.save(record)
            return recreation(record, True, now)


def recreation(record: AccountRecord, has_secret: bool, now: datetime) -> Recreation | None:
    """Why and when this device gets a new auto token, or None while it has one in place."""
    if record.credential != "auto-token":
        return None
    token = record.auto_token
    if token is None:
        reason = CreateReason.FIRST
    elif token.deleted_at is not None:
        if record.last_outcome == Verdict.REPORT_DISPLACED.value:
            # Only a person's explicit recreate makes it: see policy.decide.
            return Recreation(CreateReason.DISPLACED, None, None, automatic=False)
        reason = CreateReason.DELETED_ON_HUB
    elif not has_secret:
        reason = CreateReason.SECRET_LOST
    else:
        return None
    limited = record.not_before if record.not_before and record.not_before > now else None
    automatic_at = creation_allowed_at(record.creation_attempts, now, retry_at=limited)
    return Recreation(reason, automatic_at if automatic_at > now else None, limited)
