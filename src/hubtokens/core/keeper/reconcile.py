"""One check of this device's auto token: observe (hub, keychain, settings), let the policy
decide, and do it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from hubtokens.core.errors import (
    AuthenticationFailed,
    HubError,
    NotFound,
    PermissionDenied,
    RateLimited,
    SessionExpired,
    VaultError,
    WebSessionEnded,
)
from hubtokens.core.hub.models import AccessToken, SessionToken
from hubtokens.core.keeper.creation import Creation
from hubtokens.core.keeper.parts import KeeperParts
from hubtokens.core.keeper.policy import (
    Action,
    Observation,
    SecretState,
    Verdict,
    backoff_until,
    decide,
)
from hubtokens.core.keeper.recovery import Adoption, CrashRecovery
from hubtokens.core.keeper.reports import (
    AUTO_TOKEN_LIMIT,
    SESSION_ENDED_MESSAGE,
    SESSION_ENDED_TOKEN_GONE_MESSAGE,
    ReconcileReport,
    created_message,
    describe,
    next_check,
)
from hubtokens.core.keeper.sessions import ManagementSessions
from hubtokens.core.settings import AccountRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Observed:
    observation: Observation
    token: AccessToken | None = None
    retry_at: datetime | None = None
    message: str | None = None  # what to say instead of the verdict's usual words


class Reconciler:
    def __init__(
        self,
        parts: KeeperParts,
        sessions: ManagementSessions,
        recovery: CrashRecovery,
        creation: Creation,
    ) -> None:
        self._parts = parts
        self._sessions = sessions
        self._recovery = recovery
        self._creation = creation

    def reconcile(self, hub_url: str, *, explicit: bool, displace: bool = False) -> ReconcileReport:
        """Check the auto token once and repair it if needed; the caller holds the keeper lock.
        ``explicit``: a person asked, so the creation budget does not hold it back;
        ``displace``: the person chose to recreate a displaced token."""
        now = self._parts.clock()
        record = self._parts.records.require(hub_url)
        if record.credential == "pat":
            return self._parts.records.save_report(record, _pat_report(record, now))

        try:
            has_secret = self._parts.vault.get_auto_token(hub_url, record.account) is not None
            session, session_problem = self._session(record, now)
        except VaultError as exc:
            action = Action(Verdict.KEYCHAIN_UNAVAILABLE)
            report = ReconcileReport(
                hub_url,
                record.account,
                Observation.NOT_CHECKED,
                action,
                f"the keychain is unavailable: {exc.message}; nothing changed",
                next_check_at=next_check(action, now),
            )
            return self._parts.records.save_report(record, report)
        if session_problem is not None and session_problem.observation is Observation.SESSION_ENDED:
            record = replace(record, session_ended_at=record.session_ended_at or now)
        secret_state = SecretState.PRESENT if has_secret else SecretState.MISSING
        adoption = Adoption(record)
        if (
            record.pending_create is not None
            and record.pending_create.created_uuid is not None
            and has_secret
            and session is not None
            and not (record.not_before is not None and record.not_before > now)
        ):
            adoption = self._recovery.adopt_interrupted_create(record, session, now)
        record = adoption.record
        seen = session_problem or self._observe(record, session, now)
        observation = seen.observation
        if seen.retry_at is not None:
            record = replace(record, not_before=seen.retry_at)
        if observation in (Observation.MISSING, Observation.DISPLACED):
            record = noted_deleted(record, now)
        action = decide(
            observation,
            secret_state,
            attempts=record.creation_attempts,
            now=now,
            retry_at=record.not_before,
            explicit=explicit,
            displace=displace,
        )
        deleted = adoption.deleted
        if (
            session is not None
            and not adoption.clean_up_later
            and record.pending_create is not None
            and action.verdict not in (Verdict.CREATE, Verdict.OFFLINE, Verdict.BACK_OFF)
            # a session the hub refused manages nothing (management pauses)
            and observation is not Observation.SESSION_REJECTED
        ):
            # A create was interrupted: whatever it left on the hub is an orphan.
            record, deleted = self._recovery.clean_up(record, session, now)
            retry_at = record.not_before
            if retry_at is not None and retry_at > now and (action.until or now) < retry_at:
                # The hub said 429 to the clean-up: its Retry-After holds for everything.
                action = Action(Verdict.BACK_OFF, until=retry_at)
        if action.verdict is Verdict.CREATE:
            assert session is not None and action.reason is not None
            return self._creation.create(record, session, action, observation, now)
        message = seen.message or self._message(record, action, observation)
        created = None
        if adoption.token is not None and action.verdict is Verdict.HEALTHY:
            # The interrupted run's creation, finished now: told as that run would have told it.
            action = replace(action, reason=adoption.reason)
            message = created_message(adoption.reason)
            created = adoption.token
        report = ReconcileReport(
            hub_url=hub_url,
            account=record.account,
            observation=observation,
            action=action,
            message=message,
            created=created,
            deleted=deleted,
            next_check_at=next_check(action, now),
        )
        return self._parts.records.save_report(record, report)

    def _session(
        self, record: AccountRecord, now: datetime
    ) -> tuple[SessionToken | None, Observed | None]:
        """The management session, or what was observed instead. A keychain failure
        propagates (VaultError): nothing is checked then."""
        try:
            return self._sessions.current(record), None
        except WebSessionEnded:
            return None, Observed(Observation.SESSION_ENDED)
        except SessionExpired:
            return None, Observed(Observation.SESSION_EXPIRED)
        except HubError as exc:  # the sign-in service: a renewal that failed ends nothing
            logger.info("could not renew the web session: %s", exc.message)
            message = f"could not renew the web session: {exc.message}; nothing changed"
            if isinstance(exc, RateLimited):
                until = backoff_until(exc.retry_at, now)
                return None, Observed(Observation.RATE_LIMITED, retry_at=until, message=message)
            return None, Observed(Observation.UNREACHABLE, message=message)

    def _observe(
        self, record: AccountRecord, session: SessionToken | None, now: datetime
    ) -> Observed:
        assert session is not None
        if record.not_before is not None and record.not_before > now:
            # Asking now would only earn another 429.
            return Observed(Observation.RATE_LIMITED, retry_at=record.not_before)
        if record.auto_token is None:
            return Observed(Observation.NONE_RECORDED)
        client = self._parts.client_for(record.hub_url)
        try:
            token = client.get_token(session, record.auto_token.uuid)
        except NotFound:
            return self._gone(record, session, now)
        except (AuthenticationFailed, PermissionDenied):
            return Observed(Observation.SESSION_REJECTED)
        except RateLimited as exc:
            return Observed(Observation.RATE_LIMITED, retry_at=backoff_until(exc.retry_at, now))
        except HubError as exc:
            logger.info("auto token check failed: %s", exc.message)
            return Observed(Observation.UNREACHABLE)
        if token.is_expired(now):
            return Observed(Observation.EXPIRED, token)
        return Observed(Observation.PRESENT if token.is_active else Observation.INACTIVE, token)

    def _gone(self, record: AccountRecord, session: SessionToken, now: datetime) -> Observed:
        """Our token is gone (404). For a web session, Docker's limit of 5 auto-generated
        tokens may have removed it for a newer device's: then it is displaced, not deleted."""
        if record.sign_in != "web" or record.auto_token is None:
            return Observed(Observation.MISSING)
        ours = record.auto_token.created_at
        try:
            tokens = self._parts.client_for(record.hub_url).list_tokens(session)
        except RateLimited as exc:
            return Observed(Observation.RATE_LIMITED, retry_at=backoff_until(exc.retry_at, now))
        except HubError as exc:  # unsure whether recreating would displace another device
            logger.info("could not count the account's auto tokens: %s", exc.message)
            return Observed(Observation.UNREACHABLE)
        newer = [t for t in tokens if t.generated_by != "manual" and t.created_at > ours]
        if len(newer) >= AUTO_TOKEN_LIMIT:
            return Observed(Observation.DISPLACED)
        return Observed(Observation.MISSING)

    def _message(self, record: AccountRecord, action: Action, observation: Observation) -> str:
        if observation is not Observation.SESSION_ENDED:
            return describe(action)
        # Docker removes a session's auto-generated token when the session ends: say so when
        # it has happened, rather than promise a recreation that cannot come.
        secret = self._parts.vault.get_auto_token(record.hub_url, record.account)
        if secret is None:
            return SESSION_ENDED_TOKEN_GONE_MESSAGE
        try:
            self._parts.client_for(record.hub_url).auth_token(record.account, secret)
        except (AuthenticationFailed, PermissionDenied):
            return SESSION_ENDED_TOKEN_GONE_MESSAGE
        except HubError:
            pass  # unknown: say only what is sure
        return SESSION_ENDED_MESSAGE


def _pat_report(record: AccountRecord, now: datetime) -> ReconcileReport:
    action = Action(Verdict.HEALTHY)
    return ReconcileReport(
        record.hub_url,
        record.account,
        Observation.PRESENT,
        action,
        "signed in with a personal access token: the docker CLI uses it; "
        "token management needs a password or browser sign-in",
        next_check_at=next_check(action, now),
    )


def noted_deleted(record: AccountRecord, now: datetime) -> AccountRecord:
    """The record, saying its auto token is gone from the hub since ``now`` (or earlier)."""
    token = record.auto_token
    if token is None or token.deleted_at is not None:
        return record
    return replace(record, auto_token=replace(token, deleted_at=now))
