"""Sign-in and the auto-token lifecycle: the thin runner around ``policy.decide``.

It observes (hub, keychain, settings), asks the policy what to do, and does it, recording each
step in the settings file *before* the step that could be interrupted, so a crash at any point
leaves something the next run can finish or clean up.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from hubtokens.core.errors import (
    AuthenticationFailed,
    HubError,
    HubTokensError,
    NotFound,
    NotSignedIn,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    SessionExpired,
    VaultError,
)
from hubtokens.core.hub.models import (
    AccessToken,
    CreatedToken,
    Scope,
    SessionToken,
    TwoFactorChallenge,
)
from hubtokens.core.keeper.lock import KeeperLock
from hubtokens.core.keeper.policy import (
    DEFAULT_BACKOFF,
    Action,
    CreateReason,
    Observation,
    SecretState,
    Verdict,
    creation_allowed_at,
    decide,
    prune_attempts,
)
from hubtokens.core.labels import auto_label
from hubtokens.core.secret import Secret
from hubtokens.core.settings import (
    AccountRecord,
    AutoTokenRecord,
    PendingCreate,
    Settings,
    SettingsStore,
)
from hubtokens.core.timefmt import exact

logger = logging.getLogger(__name__)

AUTO_TOKEN_SCOPE = Scope.ADMIN  # Docker Desktop's auto tokens are Read, Write, Delete
CHECK_INTERVAL = timedelta(minutes=15)
OFFLINE_RETRY = timedelta(minutes=2)


class HubApi(Protocol):
    """The part of ``HubClient`` the keeper uses."""

    def login(self, username: str, password: Secret) -> SessionToken | TwoFactorChallenge: ...
    def login_2fa(self, challenge: TwoFactorChallenge, code: str) -> SessionToken: ...
    def auth_token(self, identifier: str, secret: Secret) -> SessionToken | TwoFactorChallenge: ...
    def list_tokens(self, session: SessionToken) -> list[AccessToken]: ...
    def get_token(self, session: SessionToken, uuid: str) -> AccessToken: ...
    def create_token(
        self,
        session: SessionToken,
        label: str,
        scopes: Sequence[Scope],
        expires_at: datetime | None = None,
    ) -> CreatedToken: ...
    def delete_token(self, session: SessionToken, uuid: str) -> None: ...


class VaultApi(Protocol):
    """The part of ``Vault`` the keeper uses."""

    def get_session(self, hub_url: str, account: str) -> Secret | None: ...
    def put_session(self, hub_url: str, account: str, jwt: Secret) -> None: ...
    def delete_session(self, hub_url: str, account: str) -> None: ...
    def get_auto_token(self, hub_url: str, account: str) -> Secret | None: ...
    def put_auto_token(self, hub_url: str, account: str, secret: Secret) -> None: ...
    def delete_auto_token(self, hub_url: str, account: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Observed:
    observation: Observation
    token: AccessToken | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Adoption:
    """What checking an interrupted create found: the record, the token kept (if it was) and
    why it had been created, strays deleted, and whether the clean-up must wait (the hub could
    not be asked)."""

    record: AccountRecord
    token: AccessToken | None = None
    reason: CreateReason | None = None
    deleted: tuple[str, ...] = ()
    clean_up_later: bool = False


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """What one reconcile saw and did, in words a person can read."""

    hub_url: str
    account: str
    observation: Observation
    action: Action
    message: str
    created: AccessToken | None = None
    deleted: tuple[str, ...] = ()
    next_check_at: datetime | None = None

    @property
    def recreated(self) -> bool:
        return self.created is not None and self.action.reason is not CreateReason.FIRST


@dataclass(frozen=True, slots=True)
class SignInResult:
    hub_url: str
    account: str
    session: SessionToken
    with_pat: bool
    report: ReconcileReport | None


@dataclass(frozen=True, slots=True)
class SignOutResult:
    hub_url: str
    account: str
    deleted_token: str | None


@dataclass(frozen=True, slots=True)
class Recreation:
    """This device needs a new auto token: why, and from when it may be made."""

    reason: CreateReason
    # From when the keeper's own runs (the app's timer, plain `sync`) may make it, as the
    # budget and the hub allow; None: already now, so the next check makes it.
    automatic_at: datetime | None
    rate_limited_until: datetime | None  # the hub's Retry-After: a person's request waits too


@dataclass(frozen=True, slots=True)
class AccountStatus:
    record: AccountRecord
    session_expires_at: datetime | None
    management: str | None  # None when management works, else why it is paused
    has_credential: bool
    next_check_at: datetime | None
    recreation: Recreation | None  # None while this device's auto token is in place


class Keeper:
    def __init__(
        self,
        *,
        client_for: Callable[[str], HubApi],
        vault: VaultApi,
        settings: SettingsStore,
        lock: KeeperLock,
        clock: Callable[[], datetime],
        hostname: str,
    ) -> None:
        self._client_for = client_for
        self._vault = vault
        self._settings = settings
        self._lock = lock
        self._clock = clock
        self.label = auto_label(hostname)

    # --- sign-in ------------------------------------------------------------------------

    def sign_in(
        self, hub_url: str, username: str, password: Secret, *, otp: str | None = None
    ) -> SignInResult | TwoFactorChallenge:
        """Log in; returns the 2FA challenge when the hub asks for a code and none was given."""
        outcome = self._client_for(hub_url).login(username, password)
        if isinstance(outcome, TwoFactorChallenge):
            if otp is None:
                return outcome
            return self.complete_two_factor(hub_url, outcome, otp)
        with_pat = outcome.from_pat or password.reveal().startswith("dckr_")
        return self._finish_sign_in(hub_url, username, outcome, pat=password if with_pat else None)

    def complete_two_factor(
        self, hub_url: str, challenge: TwoFactorChallenge, code: str
    ) -> SignInResult:
        session = self._client_for(hub_url).login_2fa(challenge, code)
        return self._finish_sign_in(hub_url, challenge.username, session, pat=None)

    def _finish_sign_in(
        self, hub_url: str, username: str, session: SessionToken, *, pat: Secret | None
    ) -> SignInResult:
        account = session.username or username
        with self._lock.held():
            settings = self._settings.load()
            previous = settings.account_for(hub_url)
            if previous is not None and previous.account != account:
                raise HubTokensError(
                    f"already signed in to this hub as {previous.account}",
                    hint="sign out first (hubtokens signout)",
                )
            if pat is not None and previous is not None and previous.auto_token is not None:
                # The PAT would replace the auto token's secret and leave that token orphaned.
                raise HubTokensError(
                    "this device already holds an auto token from a password sign-in",
                    hint="sign out first (hubtokens signout), then sign in with the access token",
                )
            record = previous or AccountRecord(hub_url=hub_url, account=account)
            record = replace(
                record,
                credential="pat" if pat is not None else "auto-token",
                session_expires_at=session.expires_at,
            )
            if pat is not None:
                # A PAT sign-in cannot manage tokens (the hub refuses), so the PAT itself is
                # what the docker CLI gets, as with `docker login`.
                self._vault.put_auto_token(hub_url, account, pat)
                self._vault.put_session(hub_url, account, session.jwt)
                record = replace(record, auto_token=None, last_outcome="signed-in-with-pat")
                self._save_record(record)
                return SignInResult(hub_url, account, session, with_pat=True, report=None)
            self._vault.put_session(hub_url, account, session.jwt)
            self._save_record(record)
            report = self._reconcile_locked(hub_url, explicit=True)
        return SignInResult(hub_url, account, session, with_pat=False, report=report)

    # --- reconcile ----------------------------------------------------------------------

    def reconcile(self, hub_url: str, *, explicit: bool = False) -> ReconcileReport:
        """Check the auto token once and repair it if needed. ``explicit``: a person asked
        (``sync --now``, Sync now), so the creation budget does not hold it back."""
        with self._lock.held():
            return self._reconcile_locked(hub_url, explicit=explicit)

    def _reconcile_locked(self, hub_url: str, *, explicit: bool) -> ReconcileReport:
        now = self._clock()
        record = self._require_record(hub_url)
        if record.credential == "pat":
            return self._save_report(record, _pat_report(record, now))

        secret_state, session, keychain_error = self._read_keychain(record)
        adoption = _Adoption(record)
        if (
            record.pending_create is not None
            and record.pending_create.created_uuid is not None
            and secret_state is SecretState.PRESENT
            and session is not None
            and not session.is_expired(now)
            and not (record.not_before is not None and record.not_before > now)
        ):
            adoption = self._adopt_interrupted_create(record, session, now)
        record = adoption.record
        seen = (
            Observed(Observation.NOT_CHECKED)
            if secret_state is SecretState.UNAVAILABLE
            else self._observe(record, session, now)
        )
        observation, token = seen.observation, seen.token
        if seen.retry_at is not None:
            record = replace(record, not_before=seen.retry_at)
        if observation is Observation.MISSING:
            record = _noted_deleted(record, now)
        action = decide(
            observation,
            secret_state,
            attempts=record.creation_attempts,
            now=now,
            retry_at=record.not_before,
            explicit=explicit,
        )
        deleted = adoption.deleted
        if (
            session is not None
            and not adoption.clean_up_later
            and record.pending_create is not None
            and action.verdict not in (Verdict.CREATE, Verdict.OFFLINE, Verdict.BACK_OFF)
            and secret_state is not SecretState.UNAVAILABLE
            # a session that has expired or was refused manages nothing (management pauses)
            and observation not in (Observation.SESSION_REJECTED, Observation.SESSION_EXPIRED)
        ):
            # A create was interrupted: whatever it left on the hub is an orphan.
            record, deleted = self._clean_up_after_crash(record, session, now)
            retry_at = record.not_before
            if retry_at is not None and retry_at > now and (action.until or now) < retry_at:
                # The hub said 429 to the clean-up: its Retry-After holds for everything.
                action = Action(Verdict.BACK_OFF, until=retry_at)
        if action.verdict is Verdict.CREATE:
            assert session is not None and action.reason is not None
            return self._create(record, session, action, observation, now)
        message = keychain_error or _describe(action, token)
        created = None
        if adoption.token is not None and action.verdict is Verdict.HEALTHY:
            # The interrupted run's creation, finished now: told as that run would have told it.
            action = replace(action, reason=adoption.reason)
            message = _created_message(adoption.reason)
            created = adoption.token
        report = ReconcileReport(
            hub_url=hub_url,
            account=record.account,
            observation=observation,
            action=action,
            message=message,
            created=created,
            deleted=deleted,
            next_check_at=_next_check(action, now),
        )
        return self._save_report(record, report)

    def _read_keychain(
        self, record: AccountRecord
    ) -> tuple[SecretState, SessionToken | None, str | None]:
        """The auto token's presence, the session, and why the keychain failed (if it did)."""
        try:
            secret = self._vault.get_auto_token(record.hub_url, record.account)
            jwt = self._vault.get_session(record.hub_url, record.account)
        except VaultError as exc:
            return (
                SecretState.UNAVAILABLE,
                None,
                f"the keychain is unavailable: {exc.message}; nothing changed",
            )
        session = None
        if jwt is not None:
            try:
                session = SessionToken.from_jwt(jwt.reveal())
            except ProtocolError:
                session = None  # unreadable: treat as no session, the person signs in again
        return (SecretState.PRESENT if secret else SecretState.MISSING), session, None

    def _observe(
        self, record: AccountRecord, session: SessionToken | None, now: datetime
    ) -> Observed:
        if session is None or session.is_expired(now):
            return Observed(Observation.SESSION_EXPIRED)
        if record.not_before is not None and record.not_before > now:
            # Asking now would only earn another 429.
            return Observed(Observation.RATE_LIMITED, retry_at=record.not_before)
        if record.auto_token is None:
            return Observed(Observation.NONE_RECORDED)
        try:
            token = self._client_for(record.hub_url).get_token(session, record.auto_token.uuid)
        except NotFound:
            return Observed(Observation.MISSING)
        except (AuthenticationFailed, PermissionDenied):
            return Observed(Observation.SESSION_REJECTED)
        except RateLimited as exc:
            return Observed(
                Observation.RATE_LIMITED, retry_at=exc.retry_at or now + DEFAULT_BACKOFF
            )
        except HubError as exc:
            logger.info("auto token check failed: %s", exc.message)
            return Observed(Observation.UNREACHABLE)
        if token.is_expired(now):
            return Observed(Observation.EXPIRED, token)
        return Observed(Observation.PRESENT if token.is_active else Observation.INACTIVE, token)

    def _labels_of_ours(self, record: AccountRecord) -> set[str]:
        labels = {self.label}
        if record.auto_token is not None:
            labels.add(record.auto_token.label)
        if record.pending_create is not None:
            labels.add(record.pending_create.label)
        return labels

    def _delete_strays(
        self, record: AccountRecord, session: SessionToken, keep: str | None
    ) -> tuple[str, ...]:
        """Delete this device's auto tokens other than ``keep`` (one token per device)."""
        client = self._client_for(record.hub_url)
        ours = self._labels_of_ours(record)
        deleted = []
        for token in client.list_tokens(session):
            if token.label in ours and token.uuid != keep:
                with contextlib.suppress(NotFound):  # already gone is what we wanted
                    client.delete_token(session, token.uuid)
                deleted.append(token.uuid)
        return tuple(deleted)

    def _clean_up_after_crash(
        self, record: AccountRecord, session: SessionToken, now: datetime
    ) -> tuple[AccountRecord, tuple[str, ...]]:
        keep = record.auto_token.uuid if record.auto_token is not None else None
        try:
            deleted = self._delete_strays(record, session, keep)
        except RateLimited as exc:
            logger.info("orphan clean-up postponed: %s", exc.message)
            record = replace(record, not_before=exc.retry_at or now + DEFAULT_BACKOFF)
            return record, ()
        except HubError as exc:
            logger.info("orphan clean-up postponed: %s", exc.message)
            return record, ()
        record = replace(record, pending_create=None)
        self._save_record(record)
        return record, deleted

    def _adopt_interrupted_create(
        self, record: AccountRecord, session: SessionToken, now: datetime
    ) -> _Adoption:
        """The last run died after the hub created a token and before recording it. If the
        keychain already holds that token's secret, keep the token (a working one, which the
        docker CLI may be using) instead of deleting it and waiting for the budget to allow
        another."""
        pending = record.pending_create
        assert pending is not None and pending.created_uuid is not None
        client = self._client_for(record.hub_url)
        try:
            secret = self._vault.get_auto_token(record.hub_url, record.account)
            # Every other auto token of this device was deleted before the create, so a
            # secret that signs in can only be the new token's.
            if secret is None or not isinstance(
                client.auth_token(record.account, secret), SessionToken
            ):
                return _Adoption(record)
            token = client.get_token(session, pending.created_uuid)
        except (AuthenticationFailed, PermissionDenied, NotFound):
            return _Adoption(record)  # not the new token's secret, or no new token: clean up
        except RateLimited as exc:  # its Retry-After holds for everything, the create too
            until = exc.retry_at or now + DEFAULT_BACKOFF
            return _Adoption(replace(record, not_before=until), clean_up_later=True)
        except (VaultError, HubError) as exc:
            logger.info("interrupted create not checked: %s", exc.message)
            return _Adoption(record, clean_up_later=True)
        if not token.is_active or token.is_expired(now):
            return _Adoption(record)
        try:
            deleted = self._delete_strays(record, session, keep=token.uuid)
        except HubError as exc:
            logger.info("interrupted create not adopted: %s", exc.message)
            return _Adoption(record, clean_up_later=True)
        record = replace(
            record,
            auto_token=AutoTokenRecord(token.uuid, token.label, token.created_at),
            pending_create=None,
        )
        self._save_record(record)
        return _Adoption(record, token, _create_reason(pending.reason), deleted)

    def _create(
        self,
        record: AccountRecord,
        session: SessionToken,
        action: Action,
        observation: Observation,
        now: datetime,
    ) -> ReconcileReport:
        client = self._client_for(record.hub_url)

        def failed(message: str, act: Action, rec: AccountRecord) -> ReconcileReport:
            report = ReconcileReport(
                rec.hub_url,
                rec.account,
                observation,
                act,
                message,
                next_check_at=_next_check(act, now),
            )
            return self._save_report(rec, report)

        # 1. Remember the intent before anything reaches the hub.
        assert action.reason is not None
        pending = PendingCreate(self.label, now, reason=action.reason.value)
        record = replace(record, pending_create=pending)
        self._save_record(record)
        # 2. One token per device: remove the old ones we can no longer use.
        try:
            deleted = self._delete_strays(record, session, keep=None)
        except RateLimited as exc:
            until = exc.retry_at or now + DEFAULT_BACKOFF
            record = replace(record, not_before=until)
            return failed(
                _rate_limited_message(until), Action(Verdict.BACK_OFF, until=until), record
            )
        except HubError as exc:
            return failed(
                f"cannot reach the hub to check old tokens ({exc.message}); nothing created",
                Action(Verdict.OFFLINE),
                record,
            )
        # 3. Count the attempt before making it, so a crash cannot reset the budget. The old
        # uuid stays recorded: if this attempt fails, the next run sees it gone (404) and says
        # why it recreates.
        record = replace(
            record,
            creation_attempts=(*prune_attempts(record.creation_attempts, now), now),
        )
        self._save_record(record)
        try:
            created = client.create_token(session, self.label, [AUTO_TOKEN_SCOPE])
        except RateLimited as exc:
            until = exc.retry_at or now + DEFAULT_BACKOFF
            record = replace(record, not_before=until)
            return failed(
                _rate_limited_message(until), Action(Verdict.BACK_OFF, until=until), record
            )
        except (AuthenticationFailed, PermissionDenied):
            return failed(
                _describe(Action(Verdict.PAUSE_SESSION), None),
                Action(Verdict.PAUSE_SESSION),
                record,
            )
        except HubError as exc:
            # The hub may have created it anyway; the pending record makes the next run clean up.
            return failed(
                f"could not create the auto token ({exc.message}); the next check, in "
                f"{int(OFFLINE_RETRY.total_seconds() // 60)} minutes, tries again",
                Action(Verdict.OFFLINE),
                record,
            )
        # 4. Note which token the hub made (a run after a crash here then knows what to look
        # for), store the secret; if we cannot, the token is useless: take it back.
        record = replace(record, pending_create=replace(pending, created_uuid=created.token.uuid))
        try:
            self._save_record(record)
        except HubTokensError as exc:  # the note only saves a wait after a crash
            logger.info("could not note the new token: %s", exc.message)
        try:
            self._vault.put_auto_token(record.hub_url, record.account, created.secret)
        except VaultError as exc:
            retry_at: datetime | None = None
            try:
                client.delete_token(session, created.token.uuid)
                record = replace(record, pending_create=None)
            except RateLimited as limited:  # pending stays; the hub's Retry-After holds
                retry_at = max(limited.retry_at or now + DEFAULT_BACKOFF, now)
                record = replace(record, not_before=retry_at)
            except HubError:
                pass  # pending stays: the next run deletes it
            return failed(
                f"created a token but could not store it: {exc.message}",
                Action(Verdict.KEYCHAIN_UNAVAILABLE, until=retry_at),
                record,
            )
        # 5. Done: record it and clear the intent in one save.
        record = replace(
            record,
            auto_token=AutoTokenRecord(
                created.token.uuid, created.token.label, created.token.created_at
            ),
            pending_create=None,
            not_before=None,
        )
        report = ReconcileReport(
            record.hub_url,
            record.account,
            observation,
            action,
            _created_message(action.reason),
            created=created.token,
            deleted=deleted,
            next_check_at=now + CHECK_INTERVAL,
        )
        return self._save_report(record, report)

    # --- sign-out -----------------------------------------------------------------------

    def sign_out(self, hub_url: str, *, keep_token: bool = False) -> SignOutResult:
        """Delete this device's auto token on the hub (unless kept), then forget everything.

        If the hub cannot delete it, nothing changes locally: a token left on the hub that
        nobody holds is exactly the pile-up this app exists to prevent."""
        with self._lock.held():
            record = self._require_record(hub_url)
            deleted = None
            if (
                not keep_token
                and record.credential == "auto-token"
                and record.auto_token is not None
            ):
                try:
                    session = self._management_session_locked(record)
                except SessionExpired:
                    raise SessionExpired(
                        "the sign-in session has expired, so this device's auto token cannot be "
                        "deleted on the hub",
                        hint="sign in again, or sign out with --keep-token and delete it on the hub",
                    ) from None
                with contextlib.suppress(NotFound):
                    self._client_for(hub_url).delete_token(session, record.auto_token.uuid)
                deleted = record.auto_token.uuid
            self._vault.delete_auto_token(hub_url, record.account)
            self._vault.delete_session(hub_url, record.account)
            self._settings.update(lambda settings: settings.without_account(hub_url))
            return SignOutResult(hub_url, record.account, deleted)

    # --- what the front ends need -------------------------------------------------------

    def account(self, hub_url: str) -> AccountRecord | None:
        return self._settings.load().account_for(hub_url)

    @property
    def settings_path(self) -> Path:
        """The file the keeper keeps its records in, which other processes may change."""
        return self._settings.path

    def management_session(self, hub_url: str) -> SessionToken:
        """The session for token management, or a clear error saying why there is none."""
        return self._management_session_locked(self._require_record(hub_url))

    def _management_session_locked(self, record: AccountRecord) -> SessionToken:
        if record.credential == "pat":
            raise PermissionDenied(
                "signed in with a personal access token, which cannot manage tokens",
                hint="sign in with your password to manage tokens",
            )
        jwt = self._vault.get_session(record.hub_url, record.account)
        if jwt is None:
            raise SessionExpired(hint="run: hubtokens signin")
        session = SessionToken.from_jwt(jwt.reveal())
        if session.is_expired(self._clock()):
            raise SessionExpired(hint="run: hubtokens signin (the docker CLI keeps its token)")
        return session

    def credential(self, hub_url: str) -> tuple[str, Secret]:
        """The account name and the secret the docker CLI should use."""
        record = self._require_record(hub_url)
        secret = self._vault.get_auto_token(hub_url, record.account)
        if secret is None:
            raise NotSignedIn(
                "no auto token is stored for this device", hint="run: hubtokens sync --now"
            )
        return record.account, secret

    def status(self, hub_url: str) -> AccountStatus:
        record = self._require_record(hub_url)
        now = self._clock()
        management: str | None = None
        try:
            session = self._management_session_locked(record)
            expires = session.expires_at
        except (SessionExpired, PermissionDenied) as exc:
            management, expires = exc.message, record.session_expires_at
        if management is None and record.last_outcome == Verdict.PAUSE_SESSION.value:
            # The hub refused the session (401/403) although its exp has not passed: a
            # confirmed refusal pauses management until the next sign-in, whatever exp says.
            management = record.last_message or _describe(Action(Verdict.PAUSE_SESSION), None)
        has_credential = self._vault.get_auto_token(hub_url, record.account) is not None
        next_check = record.next_check_at
        if next_check is None and record.last_check is not None:  # saved by an older version
            next_check = record.last_check + CHECK_INTERVAL
        return AccountStatus(
            record,
            expires,
            management,
            has_credential,
            next_check,
            _recreation(record, has_credential, now),
        )

    def note_auto_token_deleted(self, hub_url: str, uuid: str) -> Recreation | None:
        """A person deleted token ``uuid`` (``token rm``, the manager window). If it is this
        device's auto token, remember that it is gone and say when it comes back; None if
        it is not (or no longer) this device's token."""
        with self._lock.held():
            record = self._settings.load().account_for(hub_url)
            if record is None or record.auto_token is None or record.auto_token.uuid != uuid:
                return None
            now = self._clock()
            record = _noted_deleted(record, now)
            self._save_record(record)
            return _recreation(record, True, now)

    # --- helpers ------------------------------------------------------------------------

    def _require_record(self, hub_url: str) -> AccountRecord:
        record = self._settings.load().account_for(hub_url)
        if record is None:
            raise NotSignedIn(f"not signed in to {hub_url}", hint="run: hubtokens signin")
        return record

    def _save_record(self, record: AccountRecord) -> None:
        def change(settings: Settings) -> Settings:
            current = settings.account_for(record.hub_url)
            # Keys this version does not know are kept as the file has them now.
            return settings.with_account(
                record if current is None else replace(record, extra=current.extra)
            )

        self._settings.update(change)

    def _save_report(self, record: AccountRecord, report: ReconcileReport) -> ReconcileReport:
        record = replace(
            record,
            last_check=self._clock(),
            last_outcome=report.action.verdict.value,
            last_message=report.message,
            next_check_at=report.next_check_at,
        )
        self._save_record(record)
        return report


def _pat_report(record: AccountRecord, now: datetime) -> ReconcileReport:
    action = Action(Verdict.HEALTHY)
    return ReconcileReport(
        record.hub_url,
        record.account,
        Observation.PRESENT,
        action,
        "signed in with a personal access token: the docker CLI uses it; "
        "token management needs a password sign-in",
        next_check_at=now + CHECK_INTERVAL,
    )


def _noted_deleted(record: AccountRecord, now: datetime) -> AccountRecord:
    """The record, saying its auto token is gone from the hub since ``now`` (or earlier)."""
    token = record.auto_token
    if token is None or token.deleted_at is not None:
        return record
    return replace(record, auto_token=replace(token, deleted_at=now))


def _recreation(record: AccountRecord, has_secret: bool, now: datetime) -> Recreation | None:
    """Why and when this device gets a new auto token, or None while it has one in place."""
    if record.credential != "auto-token":
        return None
    token = record.auto_token
    if token is None:
        reason = CreateReason.FIRST
    elif token.deleted_at is not None:
        reason = CreateReason.DELETED_ON_HUB
    elif not has_secret:
        reason = CreateReason.SECRET_LOST
    else:
        return None
    limited = record.not_before if record.not_before and record.not_before > now else None
    automatic_at = creation_allowed_at(record.creation_attempts, now, retry_at=limited)
    return Recreation(reason, automatic_at if automatic_at > now else None, limited)


def _next_check(action: Action, now: datetime) -> datetime:
    if action.until is not None:
        return action.until
    if action.verdict in (Verdict.OFFLINE, Verdict.KEYCHAIN_UNAVAILABLE):
        return now + OFFLINE_RETRY
    return now + CHECK_INTERVAL


def _rate_limited_message(retry_at: datetime | None) -> str:
    when = f" until {exact(retry_at)}" if retry_at else ""
    return f"the hub is rate limiting this account{when}; nothing created"


_REASONS = {
    CreateReason.FIRST: "created the auto token for this device",
    CreateReason.DELETED_ON_HUB: "recreated the auto token: it was deleted on the hub",
    CreateReason.SECRET_LOST: "recreated the auto token: its secret was missing from the keychain",
    CreateReason.EXPIRED: "recreated the auto token: it had expired",
}


# Why this device needs a token, as a sentence of its own (the budget can make it wait).
_NEEDED = {
    CreateReason.FIRST: "this device has no auto token yet",
    CreateReason.DELETED_ON_HUB: "the auto token was deleted on the hub",
    CreateReason.SECRET_LOST: "the auto token's secret is missing from the keychain",
    CreateReason.EXPIRED: "the auto token has expired",
}


def _create_reason(value: str | None) -> CreateReason:
    """A pending create's reason as written; FIRST when missing or written by a newer version."""
    try:
        return CreateReason(value) if value else CreateReason.FIRST
    except ValueError:
        return CreateReason.FIRST


def _created_message(reason: CreateReason | None) -> str:
    return _REASONS[reason or CreateReason.FIRST]


def _describe(action: Action, token: AccessToken | None) -> str:
    verdict = action.verdict
    if verdict is Verdict.HEALTHY:
        return "the auto token is healthy"
    if verdict is Verdict.REPORT_INACTIVE:
        return "the auto token was deactivated on the hub; activate it to use it again (it is not replaced)"
    if verdict is Verdict.PAUSE_SESSION:
        return "the sign-in session has expired: sign in again to manage tokens (the docker CLI keeps its token)"
    if verdict is Verdict.OFFLINE:
        return "cannot reach the hub; nothing changed"
    if verdict is Verdict.KEYCHAIN_UNAVAILABLE:
        return "the keychain is unavailable; nothing changed"
    if verdict is Verdict.BACK_OFF:
        return _rate_limited_message(action.until)
    if verdict is Verdict.WAIT_FOR_BUDGET:
        assert action.reason is not None and action.until is not None
        return (
            f"{_NEEDED[action.reason]}; to avoid piling up tokens, the next one is created "
            f"automatically from {exact(action.until)}"
        )
    raise AssertionError(verdict)
