"""Work off the GUI thread: ``TaskRunner.submit(fn, *args)`` runs ``fn`` on an injected
``QThreadPool`` and delivers its result or exception back on the GUI thread by signals.

The GUI thread does no network and no keychain calls (DESIGN.md); everything that might block
goes through here. Signals carry immutable data (frozen dataclasses, exceptions), never widgets.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from hubtokens.core.errors import HubTokensError

logger = logging.getLogger(__name__)


class CancelToken:
    """Cooperative cancellation: long tasks check ``cancelled`` between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @property
    def event(self) -> threading.Event:
        """For work that waits on it, so that cancelling wakes it at once."""
        return self._event


class TaskHandle(QObject):
    """One submitted task. Connect to its signals right after ``submit``: the task starts only
    when the GUI thread is back in its event loop, and its signals are queued to it, so nothing
    is missed."""

    succeeded = Signal(object)
    failed = Signal(object)  # the exception
    progress = Signal(int, int)  # done, total
    finished = Signal()  # always last, also when cancelled

    def __init__(self, task_id: int, name: str) -> None:
        super().__init__()
        self.task_id = task_id
        self.name = name
        self.cancel_token = CancelToken()

    def cancel(self) -> None:
        """Drop the result: neither ``succeeded`` nor ``failed`` will be emitted."""
        self.cancel_token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.cancel_token.cancelled


class _Runnable(QRunnable):
    def __init__(self, handle: TaskHandle, fn: Callable[[], Any]) -> None:
        super().__init__()
        # Taken out by ``run``: PySide's pool now and then keeps a finished runnable's wrapper
        # referenced long after Qt deleted it (seen under load), and that must not keep the
        # handle and everything the task captured alive with it.
        self._work = [(handle, fn)]

    def run(self) -> None:
        handle, fn = self._work.pop()
        try:
            result = fn()
        except Exception as exc:  # delivered to the GUI, which shows it in plain words
            if not handle.cancelled:
                if isinstance(exc, HubTokensError):  # expected: the GUI says it in plain words
                    logger.debug("task %s failed: %s", handle.name, type(exc).__name__)
                else:  # a bug: the GUI says "details are in the log file", so they are
                    logger.error("task %s failed", handle.name, exc_info=exc)
                handle.failed.emit(exc)
        else:
            if not handle.cancelled:
                handle.succeeded.emit(result)
        handle.finished.emit()


class TaskRunner(QObject):
    """Runs callables on ``pool``; keeps each handle alive until its task has finished."""

    busy_changed = Signal(bool)

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self._ids = itertools.count(1)
        self._running: dict[int, TaskHandle] = {}
        self._retiring: set[TaskHandle] = set()

    def submit(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> TaskHandle:
        return self._start(name, lambda handle: fn(*args, **kwargs))

    def submit_with_progress(
        self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> TaskHandle:
        """Like ``submit``; ``fn`` also gets ``on_progress(done, total)`` and ``cancel``."""
        return self._start(
            name,
            lambda handle: fn(
                *args, on_progress=handle.progress.emit, cancel=handle.cancel_token, **kwargs
            ),
        )

    def submit_cancellable(
        self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> TaskHandle:
        """Like ``submit``; ``fn`` also gets ``cancelled``, a ``threading.Event`` that
        ``handle.cancel()`` and ``shutdown`` set, for work that waits and must wake at once."""
        return self._start(
            name, lambda handle: fn(*args, cancelled=handle.cancel_token.event, **kwargs)
        )

    def _start(self, name: str, call: Callable[[TaskHandle], Any]) -> TaskHandle:
        handle = TaskHandle(next(self._ids), name)
        self._running[handle.task_id] = handle
        # The handle lives on the GUI thread, so this runs there when the task is done. The slot
        # must not hold the handle: the connection would keep it alive for good.
        handle.finished.connect(functools.partial(self._forget, handle.task_id))
        runnable = _Runnable(handle, lambda: call(handle))
        # Start it from the event loop, not now: a signal emitted before anyone connects to
        # it is lost, and a task can end at once. Whoever submits connects before returning.
        QTimer.singleShot(0, self, lambda: self._launch(handle, runnable))
        if len(self._running) == 1:
            self.busy_changed.emit(True)
        return handle

    def _launch(self, handle: TaskHandle, runnable: _Runnable) -> None:
        if handle.task_id not in self._running:  # shut down before it started
            return
        if handle.cancelled:
            handle.finished.emit()
            return
        self._pool.start(runnable)

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def _forget(self, task_id: int) -> None:
        handle = self._running.pop(task_id, None)
        if handle is not None:
            # Listeners connected after this one are called after it: the handle must live
            # until they ran, so it goes on the next turn of the event loop.
            self._retiring.add(handle)
            QTimer.singleShot(0, self, functools.partial(self._retiring.discard, handle))
        if not self._running:
            self.busy_changed.emit(False)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """On quit: drop queued tasks and wait for running ones (never terminate threads)."""
        for handle in list(self._running.values()):
            handle.cancel()
        self._pool.clear()
        self._running.clear()
        return self._pool.waitForDone(timeout_ms)
