"""Making this device's auto token, one recorded step at a time.

A password session creates it with the public create route and our label. A web session asks
the Hub to generate it (``desktop-generate``, as Docker Desktop does): the Hub names it, so the
keeper learns its uuid (from the token's own sign-in, else from what appeared during the call)
and then labels it for this device. Each step is recorded in the settings file before the step
that could be interrupted, so a kill at any point leaves what ``recovery.py`` can finish or
undo.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from hubtokens.core.errors import (
    AuthenticationFailed,
    HubError,
    HubTokensError,
    PermissionDenied,
    RateLimited,
    VaultError,
)
from hubtokens.core.hub.models import AccessToken, Scope, SessionToken
from hubtokens.core.keeper.parts import HubApi, KeeperParts
from hubtokens.core.keeper.policy import (
    Action,
    Observation,
    Verdict,
    backoff_until,
    creation_allowed_at,
    prune_attempts,
)
from hubtokens.core.keeper.recovery import CrashRecovery
from hubtokens.core.keeper.reports import (
    CHECK_INTERVAL,
    ReconcileReport,
    created_message,
    describe,
    next_check,
    rate_limited_message,
)
from hubtokens.core.secret import Secret
from hubtokens.core.settings import AccountRecord, AutoTokenRecord, PendingCreate
from hubtokens.core.timefmt import exact

logger = logging.getLogger(__name__)

AUTO_TOKEN_SCOPE = Scope.ADMIN  # Docker Desktop's auto tokens are Read, Write, Delete


@dataclass(frozen=True, slots=True)
class _Made:
    """A token the hub has just made: its secret, its uuid once known, and the token as the
    hub described it when it did (the public create route does; desktop-generate does not)."""

    secret: Secret
    uuid: str | None
    token: AccessToken | None = None


class _Failed(Exception):
    """A step failed: the report to give, with the record as it stands."""

    def __init__(self, message: str, action: Action, record: AccountRecord) -> None:
        super().__init__(message)
        self.message, self.action, self.record = message, action, record


class Creation:
    def __init__(self, parts: KeeperParts, recovery: CrashRecovery) -> None:
        self._parts = parts
        self._recovery = recovery

    def create(
        self,
        record: AccountRecord,
        session: SessionToken,
        action: Action,
        observation: Observation,
        now: datetime,
    ) -> ReconcileReport:
        try:
            record, made, deleted = self._make(record, session, action, now)
            record, token = self._keep(record, session, made, now)
        except _Failed as failed:
            report = ReconcileReport(
                failed.record.hub_url,
                failed.record.account,
                observation,
                failed.action,
                failed.message,
                next_check_at=next_check(failed.action, now),
            )
            return self._parts.records.save_report(failed.record, report)
        # Done: record it and clear the intent in one save.
        record = replace(
            record,
            auto_token=AutoTokenRecord(token.uuid, token.label, token.created_at),
            pending_create=None,
            # None unless the hub said 429 after making the token: a create runs only once any
            # earlier Retry-After has passed.
            not_before=record.not_before if record.not_before and record.not_before > now else None,
        )
        report = ReconcileReport(
            record.hub_url,
            record.account,
            observation,
            action,
            created_message(action.reason),
            created=token,
            deleted=deleted,
            next_check_at=now + CHECK_INTERVAL,
        )
        return self._parts.records.save_report(record, report)

    def _make(
        self, record: AccountRecord, session: SessionToken, action: Action, now: datetime
    ) -> tuple[AccountRecord, _Made, tuple[str, ...]]:
        client = self._parts.client_for(record.hub_url)
        web = record.sign_in == "web"
        # 1. Remember the intent before anything reaches the hub.
        assert action.reason is not None
        interrupted = record  # its pending create, if any, names what a killed run left
        pending = PendingCreate(self._parts.label, now, reason=action.reason.value)
        record = replace(record, pending_create=pending)
        self._parts.records.save(record)
        # 2. One token per device: remove the old ones we can no longer use. A web create also
        # notes what the account holds, to tell the Hub's new token apart after a crash.
        # (Failing here, nothing was created: the interrupted run's note is what stays.)
        with _hub_errors(interrupted, now, "cannot reach the hub to check old tokens"):
            deleted = self._recovery.delete_strays(interrupted, session, keep=None)
            if web:
                known = tuple(t.uuid for t in client.list_tokens(session))
                pending = replace(pending, known_before=known)
        # 3. Count the attempt before making it, so a crash cannot reset the budget. The old
        # uuid stays recorded: if this attempt fails, the next run sees it gone (404) and says
        # why it recreates.
        record = replace(
            record,
            pending_create=pending,
            creation_attempts=(*prune_attempts(record.creation_attempts, now), now),
        )
        self._parts.records.save(record)
        with _hub_errors(record, now, "could not create the auto token", may_exist=True):
            if web:
                secret = client.desktop_generate(session)
                made = _Made(secret, _learn_uuid(client, record, session, secret, pending))
            else:
                created = client.create_token(session, self._parts.label, [AUTO_TOKEN_SCOPE])
                made = _Made(created.secret, created.token.uuid, created.token)
        if made.uuid is None:
            raise _Failed(
                "Docker Hub generated a token but did not say which it is; the next check "
                f"removes it, and {_tries_again(record, now)}",
                Action(Verdict.OFFLINE),
                record,
            )
        # 4. Note which token the hub made: a run after a crash then knows what to look for.
        record = replace(record, pending_create=replace(pending, created_uuid=made.uuid))
        try:
            self._parts.records.save(record)
        except HubTokensError as exc:  # the note only saves a wait after a crash
            logger.info("could not note the new token: %s", exc.message)
        return record, made, deleted

    def _keep(
        self, record: AccountRecord, session: SessionToken, made: _Made, now: datetime
    ) -> tuple[AccountRecord, AccessToken]:
        """Store the secret (if we cannot, the token is useless: take it back), then make sure
        the token carries this device's label."""
        client = self._parts.client_for(record.hub_url)
        assert made.uuid is not None
        try:
            self._parts.vault.put_auto_token(record.hub_url, record.account, made.secret)
        except VaultError as exc:
            retry_at: datetime | None = None
            try:
                client.delete_token(session, made.uuid)
                record = replace(record, pending_create=None)
            except RateLimited as limited:  # pending stays; the hub's Retry-After holds
                retry_at = backoff_until(limited.retry_at, now)
                record = replace(record, not_before=retry_at)
            except HubError:
                pass  # pending stays: the next run deletes it
            raise _Failed(
                f"created a token but could not store it: {exc.message}",
                Action(Verdict.KEYCHAIN_UNAVAILABLE, until=retry_at),
                record,
            ) from None
        if made.token is not None:  # made with our label: nothing more to ask
            return record, made.token
        # The token works and its secret is stored: whatever the hub answers now, keep it and
        # go by its uuid. The label is only for people reading the overview.
        try:
            described = client.get_token(session, made.uuid)
        except RateLimited as exc:  # its Retry-After holds for the next check too
            until = backoff_until(exc.retry_at, now)
            return replace(record, not_before=until), _unread_token(made.uuid, now)
        except HubError as exc:
            logger.info("the new token keeps the Hub's label: %s", exc.message)
            return record, _unread_token(made.uuid, now)
        token, retry_at = self._recovery.relabel(record, session, described, now)
        return replace(record, not_before=retry_at), token


def _learn_uuid(
    client: HubApi,
    record: AccountRecord,
    session: SessionToken,
    secret: Secret,
    pending: PendingCreate,
) -> str | None:
    """Which token ``desktop-generate`` made: its own sign-in names it (the ``source`` claim);
    where that fails, the one auto-generated token that appeared during the call."""
    try:
        signed_in = client.auth_token(record.account, secret)
        uuid = signed_in.pat_uuid if isinstance(signed_in, SessionToken) else None
    except HubError as exc:
        logger.info("the new token's sign-in failed: %s", exc.message)
        uuid = None
    if uuid is not None:
        logger.info("learnt the new token's uuid from its sign-in")
        return uuid
    known = set(pending.known_before or ())
    appeared = [
        t.uuid
        for t in client.list_tokens(session)
        if t.uuid not in known and t.generated_by != "manual"
    ]
    if len(appeared) == 1:
        logger.info("learnt the new token's uuid from the tokens that appeared during the call")
        return appeared[0]
    logger.info("could not tell the new token (%d candidates)", len(appeared))
    return None


def _unread_token(uuid: str, now: datetime) -> AccessToken:
    """The new token as far as we know it when the hub would not show it: its label unknown
    (never matched as this device's, see ``recovery``), made just now by desktop-generate."""
    return AccessToken(
        uuid=uuid,
        label="",
        scopes=(AUTO_TOKEN_SCOPE.value,),
        is_active=True,
        created_at=now,
        last_used=None,
        expires_at=None,
        generated_by="auto",
        client_id="",
        creator_ip="",
        creator_ua="",
    )


@contextmanager
def _hub_errors(
    record: AccountRecord, now: datetime, what: str, *, may_exist: bool = False
) -> Iterator[None]:
    """Turn the hub's refusals during a create step into the report that step gives.
    ``may_exist``: the step may have made a token anyway (the pending record makes the next
    run clean it up)."""
    try:
        yield
    except HubError as exc:
        raise _failure(exc, record, now, what, may_exist=may_exist) from None


def _failure(
    exc: HubError, record: AccountRecord, now: datetime, what: str, *, may_exist: bool
) -> _Failed:
    if isinstance(exc, RateLimited):
        until = backoff_until(exc.retry_at, now)
        return _Failed(
            rate_limited_message(until),
            Action(Verdict.BACK_OFF, until=until),
            replace(record, not_before=until),
        )
    if may_exist and isinstance(exc, AuthenticationFailed | PermissionDenied):
        pause = Action(Verdict.PAUSE_SESSION)
        return _Failed(describe(pause), pause, record)
    if may_exist:
        message = f"{what} ({exc.message}); {_tries_again(record, now)}"
    else:
        message = f"{what} ({exc.message}); nothing created"
    return _Failed(message, Action(Verdict.OFFLINE), record)


def _tries_again(record: AccountRecord, now: datetime) -> str:
    """When the keeper's own runs may create again: this attempt is already counted, so not
    at the next check but when the budget allows."""
    allowed = creation_allowed_at(record.creation_attempts, now)
    return f"Hub Tokens tries again automatically from {exact(allowed)}"
