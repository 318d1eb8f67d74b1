"""The signed-in session: sign-in and sign-out, the periodic sync, and the notifications.

Every keeper call is a task (``TaskRunner``): this controller only submits work and turns the
results into a new immutable ``AppState``. One sync is in flight at a time; a timer schedules
the next one when the keeper says (``ReconcileReport.next_check_at``), within bounds. The
keeper's settings file is watched, so what a ``hubtokens`` command changes meanwhile (a sign-in
or sign-out, this device's auto token deleted) is checked at once rather than at the next timer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal

from hubtokens.core.errors import HubTokensError, NotSignedIn
from hubtokens.core.hub.models import TwoFactorChallenge
from hubtokens.core.hub.oauth import DeviceAuthorization
from hubtokens.core.keeper import (
    CHECK_INTERVAL,
    Keeper,
    ReconcileReport,
    SignInResult,
    SignOutResult,
)
from hubtokens.core.keeper.keeper import HubApi
from hubtokens.core.secret import Secret
from hubtokens.gui.account_check import check_account
from hubtokens.gui.file_watch import FileWatch
from hubtokens.gui.messages import describe_error
from hubtokens.gui.notifications import Notification, notifications_for
from hubtokens.gui.state import AccountCheck, AppState, Health, as_sentence
from hubtokens.gui.tasks import TaskHandle, TaskRunner

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncTimings:
    """Bounds on the sync schedule; tests shorten them."""

    min_interval_ms: int = 60_000
    max_interval_ms: int = int(CHECK_INTERVAL.total_seconds() * 1000)
    retry_ms: int = 2 * 60_000  # after a sync that could not run at all
    menu_debounce_ms: int = 60_000  # opening the menu syncs at most this often


class SessionController(QObject):
    state_changed = Signal(object)  # AppState
    notified = Signal(object)  # Notification

    def __init__(
        self,
        runner: TaskRunner,
        keeper: Keeper,
        client_for: Callable[[str], HubApi],
        *,
        hub_url: str,
        clock: Callable[[], datetime],
        timings: SyncTimings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._keeper = keeper
        self._client_for = client_for
        self._clock = clock
        self._timings = timings or SyncTimings()
        self._state = AppState(hub_url=hub_url)
        self._announced: frozenset[str] = frozenset()
        self._sync_handle: TaskHandle | None = None
        self._next_sync = QTimer(self)
        self._next_sync.setSingleShot(True)
        self._next_sync.timeout.connect(self.sync)
        self._menu_debounce = QTimer(self)
        self._menu_debounce.setSingleShot(True)
        self._menu_debounce.setInterval(self._timings.menu_debounce_ms)
        self._settings_watch = FileWatch(keeper.settings_path, self)
        self._settings_watch.changed.connect(self._on_settings_changed)
        self._settings_changed_while_syncing = False

    @property
    def state(self) -> AppState:
        return self._state

    def start(self) -> None:
        """Pick up the account this hub is signed in to, then check it.

        The settings are a small local file, read here directly; the keychain and the hub are
        only ever reached from the sync task."""
        self._settings_watch.start()
        self._adopt_account(self._state.hub_url)

    # --- sync ---------------------------------------------------------------------------

    def sync(self) -> bool:
        """Reconcile now, unless signed out or a sync is already running. The app's own
        syncs (its timer, the menu opening, a change seen in the settings) keep the creation
        budget."""
        return self._start_sync(explicit=False)

    def sync_now(self) -> bool:
        """Sync now, as a person asked (Sync now): the creation budget does not hold it back,
        the hub's rate limits still do."""
        return self._start_sync(explicit=True)

    def _start_sync(self, *, explicit: bool) -> bool:
        if not self._state.signed_in or self._sync_handle is not None:
            return False
        self._next_sync.stop()
        handle = self._runner.submit(
            "sync",
            check_account,
            self._keeper,
            self._client_for,
            self._state.hub_url,
            self._clock,
            explicit=explicit,
        )
        self._sync_handle = handle
        handle.succeeded.connect(self._on_sync_succeeded)
        handle.failed.connect(self._on_sync_failed)
        handle.finished.connect(partial(self._on_sync_finished, handle))
        self._set(replace(self._state, syncing=True, next_sync_at=None))
        return True

    def sync_debounced(self) -> bool:
        """For the menu opening: sync, but not again within ``menu_debounce_ms``."""
        if self._menu_debounce.isActive():
            return False
        self._menu_debounce.start()
        return self.sync()

    def acknowledge_recreation(self) -> None:
        """The person has seen the menu that said the auto token was recreated."""
        if self._state.unseen_recreation is not None:
            self._set(replace(self._state, unseen_recreation=None))

    def _on_sync_succeeded(self, check: AccountCheck) -> None:
        now = self._clock()
        shown, self._announced = notifications_for(check, now, self._announced)
        report = check.report
        self._set(
            replace(
                self._state,
                credential=check.credential,
                sign_in=check.sign_in,
                check=check,
                sync_error=None,
                unseen_recreation=report.message
                if report.recreated
                else self._state.unseen_recreation,
            )
        )
        for notification in shown:
            self.notified.emit(notification)
        delay = self._timings.max_interval_ms
        if report.next_check_at is not None:
            delay = int((report.next_check_at - now).total_seconds() * 1000)
        self._schedule_sync(
            min(max(delay, self._timings.min_interval_ms), self._timings.max_interval_ms)
        )

    def _on_sync_failed(self, error: BaseException) -> None:
        if isinstance(error, NotSignedIn):  # signed out elsewhere, e.g. with the CLI
            self._set(AppState(hub_url=self._state.hub_url))
            return
        logger.info("sync failed: %s", type(error).__name__)
        self._set(replace(self._state, sync_error=describe_error(error)))
        self._schedule_sync(self._timings.retry_ms)

    def _schedule_sync(self, delay_ms: int) -> None:
        self._next_sync.start(delay_ms)
        when = self._clock() + timedelta(milliseconds=delay_ms)
        self._set(replace(self._state, next_sync_at=when))

    def _on_sync_finished(self, handle: TaskHandle) -> None:
        if handle is self._sync_handle:
            self._sync_handle = None
            self._set(replace(self._state, syncing=False))
            if self._settings_changed_while_syncing:
                self._on_settings_changed()

    def _on_settings_changed(self) -> None:
        """A ``hubtokens`` command (or this app) rewrote the settings: if what it changed is
        not what the last sync saw, check now, so the window and the tray never show a
        sign-in or an auto token that is no longer there."""
        if self._sync_handle is not None:  # its result may predate the change: look after
            self._settings_changed_while_syncing = True
            return
        self._settings_changed_while_syncing = False
        state = self._state
        if not state.signed_in:
            self._adopt_account(state.hub_url)  # signed in with the CLI meanwhile
            return
        try:
            record = self._keeper.account(state.hub_url)
        except HubTokensError as exc:
            self._set(replace(state, sync_error=describe_error(exc)))
            return
        if record is None:  # signed out with the CLI
            self._stop_syncing()
            self._set(AppState(hub_url=state.hub_url))
        elif state.check is not None and record.auto_token != state.check.auto_record:
            self.sync()

    def stop(self) -> None:
        """No more syncs (on quit): the timers stop and a running sync's result is dropped."""
        self._menu_debounce.stop()
        self._settings_watch.stop()
        self._stop_syncing()

    def _stop_syncing(self) -> None:
        self._next_sync.stop()
        if self._sync_handle is not None:
            self._sync_handle.cancel()
            self._sync_handle = None

    # --- sign-in and sign-out -----------------------------------------------------------

    def sign_in(self, hub_url: str, username: str, password: Secret) -> TaskHandle:
        """Result: ``SignInResult``, or a ``TwoFactorChallenge`` to answer with a code."""
        handle = self._runner.submit("sign-in", self._keeper.sign_in, hub_url, username, password)
        self._follow_sign_in(handle, hub_url)
        return handle

    def complete_two_factor(
        self, hub_url: str, challenge: TwoFactorChallenge, code: str
    ) -> TaskHandle:
        handle = self._runner.submit(
            "two-factor", self._keeper.complete_two_factor, hub_url, challenge, code
        )
        self._follow_sign_in(handle, hub_url)
        return handle

    def start_web_sign_in(self, hub_url: str) -> TaskHandle:
        """Result: the ``DeviceAuthorization`` (the code to show, the page to open)."""
        return self._runner.submit("web sign-in", self._keeper.start_web_sign_in, hub_url)

    def complete_web_sign_in(self, hub_url: str, authorization: DeviceAuthorization) -> TaskHandle:
        """Result: ``SignInResult`` once the browser approved. ``handle.cancel()`` wakes the
        waiting at once (the sign-in service is then no longer asked)."""
        handle = self._runner.submit_cancellable(
            "web sign-in wait", self._keeper.complete_web_sign_in, hub_url, authorization
        )
        self._follow_sign_in(handle, hub_url, sign_in="web")
        return handle

    def sign_in_approved_by(self, hub_url: str, approve: Callable[[str], None]) -> TaskHandle:
        """A browser sign-in whose approval ``approve(user_code)`` gives instead of a person
        at the page (``--demo``, where the demo Hub approves its own account)."""

        def sign_in(cancelled: threading.Event) -> SignInResult:
            authorization = self._keeper.start_web_sign_in(hub_url)
            approve(authorization.user_code)
            return self._keeper.complete_web_sign_in(hub_url, authorization, cancelled)

        handle = self._runner.submit_cancellable("approved web sign-in", sign_in)
        self._follow_sign_in(handle, hub_url, sign_in="web")
        return handle

    def _follow_sign_in(self, handle: TaskHandle, hub_url: str, sign_in: str = "password") -> None:
        handle.succeeded.connect(partial(self._on_sign_in_succeeded, sign_in))
        handle.finished.connect(partial(self._on_sign_in_finished, handle, hub_url))

    def _on_sign_in_succeeded(
        self, sign_in: str, result: SignInResult | TwoFactorChallenge
    ) -> None:
        if isinstance(result, SignInResult):
            self._stop_syncing()
            self._announced = frozenset()
            credential = "pat" if result.with_pat else "auto-token"
            self._set(
                AppState(
                    hub_url=result.hub_url,
                    account=result.account,
                    credential=credential,
                    sign_in=sign_in,
                )
            )
            self.sync()

    def _on_sign_in_finished(self, handle: TaskHandle, hub_url: str) -> None:
        if handle.cancelled:
            # Cancelling only stops waiting: the hub may have accepted already. Look again.
            self._adopt_account(hub_url)

    def _adopt_account(self, hub_url: str) -> None:
        try:
            record = self._keeper.account(hub_url)
        except HubTokensError as exc:
            self._set(replace(self._state, sync_error=describe_error(exc)))
            return
        if record is None or (hub_url == self._state.hub_url and self._state.signed_in):
            return
        self._stop_syncing()
        self._set(
            AppState(
                hub_url=hub_url,
                account=record.account,
                credential=record.credential,
                sign_in=record.sign_in,
            )
        )
        self.sync()

    # --- a displaced auto token ---------------------------------------------------------

    def recreate_displaced(self) -> TaskHandle | None:
        """Make this device's auto token again, although that deletes the oldest other
        device's (Docker keeps 5): only ever on a person's explicit request."""
        if not self._state.signed_in:
            return None
        handle = self._runner.submit(
            "recreate", self._keeper.recreate_displaced, self._state.hub_url
        )
        handle.succeeded.connect(self._on_recreated)
        handle.failed.connect(self._on_recreate_failed)
        handle.finished.connect(self.sync)
        return handle

    def _on_recreated(self, report: ReconcileReport) -> None:
        made = report.created is not None
        self.notified.emit(
            Notification(
                "Auto token recreated" if made else "Auto token not recreated",
                f"{as_sentence(report.message)}.",
                Health.HEALTHY if made else Health.ATTENTION,
            )
        )

    def _on_recreate_failed(self, error: BaseException) -> None:
        self.notified.emit(
            Notification("Could not recreate the token", describe_error(error), Health.ERROR)
        )

    def sign_out(self) -> TaskHandle | None:
        if not self._state.signed_in:
            return None
        handle = self._runner.submit("sign-out", self._keeper.sign_out, self._state.hub_url)
        handle.succeeded.connect(self._on_sign_out_succeeded)
        handle.failed.connect(self._on_sign_out_failed)
        return handle

    def _on_sign_out_succeeded(self, result: SignOutResult) -> None:
        self._stop_syncing()
        self._announced = frozenset()
        self._set(AppState(hub_url=self._state.hub_url))
        message = f"Signed out of {result.account}."
        if result.deleted_token:
            message += " The auto token for this device was deleted on Docker Hub."
        self.notified.emit(Notification("Signed out", message))

    def _on_sign_out_failed(self, error: BaseException) -> None:
        self.notified.emit(Notification("Could not sign out", describe_error(error), Health.ERROR))

    # --- the credential -----------------------------------------------------------------

    def fetch_credential(self) -> TaskHandle:
        """Result: ``(account, Secret)``, the token docker uses, read from the keychain."""
        return self._runner.submit("credential", self._keeper.credential, self._state.hub_url)

    def _set(self, state: AppState) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
