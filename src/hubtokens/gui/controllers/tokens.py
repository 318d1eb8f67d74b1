"""``TokensController``: the token window's link to the Hub.

It submits the work in ``token_tasks`` to the ``TaskRunner``, applies the results to its
``TokenTableModel`` (a refresh replaces every row; an action changes only the rows it touched,
so a selection in 10,000 rows survives), and says what happened in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import QObject, Signal

from hubtokens.core.hub.client import HubClient
from hubtokens.core.hub.models import TokenStatus
from hubtokens.core.keeper import Keeper
from hubtokens.gui.controllers import token_tasks
from hubtokens.gui.controllers.token_tasks import (
    SESSION_ERRORS,
    BatchAction,
    BatchResult,
    Created,
    HubAccess,
    Listing,
    NewTokenRequest,
)
from hubtokens.gui.messages import describe_error
from hubtokens.gui.models.token_rows import TokenRow
from hubtokens.gui.models.token_table_model import TokenTableModel
from hubtokens.gui.tasks import TaskHandle, TaskRunner

#: At most this many token names in one message; the rest are counted.
NAMES_SHOWN = 3


class TokensController(QObject):
    refresh_started = Signal()
    refresh_progress = Signal(int, int)  # tokens loaded, total (0 while unknown)
    refreshed = Signal(object)  # datetime of the listing now shown
    refresh_finished = Signal()  # after success, failure or cancellation
    busy_changed = Signal(bool)  # any of this controller's tasks running
    message = Signal(str)  # what an action did
    error = Signal(str)  # why something failed, in plain words
    # Why token management needs a new sign-in (None: it works). Emitted on change.
    session_problem_changed = Signal(object)
    # This device's auto token was activated, deactivated or deleted here: what the tray and
    # the home window say of it must be checked again.
    own_token_changed = Signal()

    def __init__(
        self,
        runner: TaskRunner,
        keeper: Keeper,
        client_for: Callable[[str], HubClient],
        hub_url: str,
        clock: Callable[[], datetime],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._access = HubAccess(keeper, client_for, hub_url, clock)
        self.model = TokenTableModel(self)
        self.account: str | None = None
        self.last_refresh: datetime | None = None
        self.session_problem: str | None = None
        self._listing: TaskHandle | None = None
        self._pending: set[int] = set()

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._access.clock

    @property
    def refreshing(self) -> bool:
        return self._listing is not None

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    # --- listing --------------------------------------------------------------------------

    def refresh(self) -> TaskHandle:
        """List every token; a refresh already running is dropped for this newer one."""
        if self._listing is not None:
            self._listing.cancel()
        handle = self._submit(
            "list tokens", token_tasks.list_rows, self._access, self.model.order, progress=True
        )
        self._listing = handle
        # The slots get the task's id, not its handle: a handle reachable from its own
        # connections would be a cycle that only the garbage collector can free.
        task = handle.task_id
        handle.progress.connect(lambda done, total: self._on_listing_progress(task, done, total))
        handle.succeeded.connect(lambda listing: self._on_listing_succeeded(task, listing))
        handle.finished.connect(lambda: self._on_listing_finished(task))
        self.refresh_started.emit()
        return handle

    # A dropped listing may still have signals queued: only the current one counts.

    def _is_current_listing(self, task: int) -> bool:
        return self._listing is not None and self._listing.task_id == task

    def _on_listing_progress(self, task: int, done: int, total: int) -> None:
        if self._is_current_listing(task):
            self.refresh_progress.emit(done, total)

    def _on_listing_succeeded(self, task: int, listing: Listing | None) -> None:
        if listing is None or not self._is_current_listing(task):
            return
        self.account = listing.account
        self.last_refresh = listing.fetched_at
        self.model.set_rows(listing.rows)
        self.refreshed.emit(listing.fetched_at)

    def _on_listing_finished(self, task: int) -> None:
        if self._is_current_listing(task):
            self._listing = None
            self.refresh_finished.emit()

    # --- actions --------------------------------------------------------------------------

    def create(self, request: NewTokenRequest, replaces: TokenRow | None = None) -> TaskHandle:
        """``succeeded`` carries a ``Created`` (with the secret, for the reveal dialog only)."""
        handle = self._submit("create token", token_tasks.create, self._access, request, replaces)
        handle.succeeded.connect(self._on_create_succeeded)
        return handle

    def _on_create_succeeded(self, created: Created) -> None:
        self.account = created.account
        self._apply(lambda: self.model.upsert([created.row]))
        self.message.emit(f"Created “{created.row.label}”.")

    def rename(self, row: TokenRow, description: str) -> TaskHandle:
        handle = self._submit(
            "rename token", token_tasks.rename, self._access, row.uuid, description
        )
        handle.succeeded.connect(self._on_rename_succeeded)
        return handle

    def _on_rename_succeeded(self, row: TokenRow) -> None:
        self._apply(lambda: self.model.upsert([row]))
        self.message.emit(f"Renamed to “{row.label}”.")

    def activate(self, rows: Sequence[TokenRow]) -> TaskHandle | None:
        return self._batch(BatchAction.ACTIVATE, _with_status(rows, TokenStatus.INACTIVE))

    def deactivate(self, rows: Sequence[TokenRow]) -> TaskHandle | None:
        return self._batch(BatchAction.DEACTIVATE, _with_status(rows, TokenStatus.ACTIVE))

    def delete(self, rows: Sequence[TokenRow]) -> TaskHandle | None:
        return self._batch(BatchAction.DELETE, list(rows))

    def _batch(self, action: BatchAction, rows: list[TokenRow]) -> TaskHandle | None:
        if not rows:
            return None
        handle = self._submit(
            f"{action.value} tokens",
            token_tasks.run_batch,
            self._access,
            action,
            rows,
            progress=True,
        )
        handle.succeeded.connect(self._on_batch_succeeded)
        if any(row.this_device for row in rows):
            handle.finished.connect(self.own_token_changed)
        return handle

    def _on_batch_succeeded(self, result: BatchResult) -> None:
        def apply() -> None:
            self.model.upsert(result.updated)
            self.model.remove(result.removed)

        self._apply(apply)
        text = describe_batch(result)
        (self.error if result.failures else self.message).emit(text)
        session_errors = [f.error for f in result.failures if isinstance(f.error, SESSION_ERRORS)]
        if session_errors:
            self._set_session_problem(describe_error(session_errors[0]))

    # --- plumbing -------------------------------------------------------------------------

    def _submit(
        self, name: str, fn: Callable[..., object], *args: object, progress: bool = False
    ) -> TaskHandle:
        submit = self._runner.submit_with_progress if progress else self._runner.submit
        handle = submit(name, fn, *args)
        self._pending.add(handle.task_id)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        handle.succeeded.connect(lambda _: self._set_session_problem(None))
        handle.failed.connect(self._on_task_failed)
        task = handle.task_id
        handle.finished.connect(lambda: self._on_task_finished(task))
        return handle

    def _on_task_failed(self, exc: Exception) -> None:
        text = describe_error(exc)
        if isinstance(exc, SESSION_ERRORS):
            self._set_session_problem(text)
        self.error.emit(text)

    def _on_task_finished(self, task_id: int) -> None:
        self._pending.discard(task_id)
        if not self._pending:
            self.busy_changed.emit(False)

    def _apply(self, change: Callable[[], None]) -> None:
        change()
        if self._listing is not None:
            # The listing in flight may predate this change: fetch again rather than undo it.
            self.refresh()

    def _set_session_problem(self, problem: str | None) -> None:
        if problem != self.session_problem:
            self.session_problem = problem
            self.session_problem_changed.emit(problem)


def _with_status(rows: Sequence[TokenRow], status: TokenStatus) -> list[TokenRow]:
    return [row for row in rows if row.status is status]


def describe_batch(result: BatchResult) -> str:
    """E.g. "Deleted 2 of 3 tokens. Could not delete “CI”: Docker Hub had a server error…"."""
    verb = result.action.past
    done, requested = result.done, result.requested
    if not result.failures and not result.stopped:
        return f"{verb.capitalize()} {_count(done)}."
    parts = [f"{verb.capitalize()} {done} of {_count(requested)}."]
    for failure in result.failures[:NAMES_SHOWN]:
        parts.append(
            f"Could not {result.action.value} “{failure.label}”: {describe_error(failure.error)}"
        )
    if len(result.failures) > NAMES_SHOWN:
        parts.append(f"{len(result.failures) - NAMES_SHOWN} more failed.")
    not_tried = requested - done - len(result.failures)
    if result.stopped and not_tried:
        parts.append(f"Stopped before the other {_count(not_tried)}.")
    return " ".join(parts)


def _count(n: int) -> str:
    return f"{n} token" if n == 1 else f"{n} tokens"
