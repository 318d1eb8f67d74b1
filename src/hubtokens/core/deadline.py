"""A single worker thread that runs calls with a deadline.

The caller waits at most ``timeout`` seconds. A call that overruns keeps running on the
worker (a blocked D-Bus read cannot be interrupted), so the worker is *stuck*: until that call
returns, new calls fail at once instead of queueing behind it. Calls still queued when their
deadline passes are cancelled and never run.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# An idle worker exits so that short-lived owners (tests, CLI runs) leave no threads behind.
_IDLE_EXIT_SECONDS = 30.0


class DeadlineExceeded(Exception):
    """The call did not finish in time, or the worker is still stuck on one that did not."""


class _Job(Generic[T]):
    __slots__ = ("_state_lock", "cancelled", "done", "error", "fn", "outcome", "started")

    def __init__(self, fn: Callable[[], T]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self._state_lock = threading.Lock()
        self.started = False
        self.cancelled = False
        self.outcome: tuple[T] | None = None  # a 1-tuple, so that None is a valid result
        self.error: BaseException | None = None

    def claim(self) -> bool:
        """Called by the worker: True if the job should run."""
        with self._state_lock:
            self.started = not self.cancelled
            return self.started

    def abandon(self) -> bool:
        """Called by a caller whose deadline passed: True if the job is running (stuck)."""
        with self._state_lock:
            if not self.started:
                self.cancelled = True
            return self.started and not self.done.is_set()


class DeadlineWorker:
    """Runs callables one at a time on its own daemon thread."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Job[Any]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stuck = False

    @property
    def stuck(self) -> bool:
        return self._stuck

    def call(self, fn: Callable[[], T], timeout: float) -> T:
        """Run ``fn`` on the worker; raise DeadlineExceeded after ``timeout`` seconds."""
        job: _Job[T] = _Job(fn)
        with self._lock:
            if self._stuck:
                raise DeadlineExceeded
            self._jobs.put(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        if not job.done.wait(timeout) and job.abandon():
            with self._lock:
                self._stuck = not job.done.is_set()
            raise DeadlineExceeded
        if job.error is not None:
            raise job.error
        if job.outcome is None:  # cancelled before it started
            raise DeadlineExceeded
        return job.outcome[0]

    def _run(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=_IDLE_EXIT_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            if not job.claim():
                continue
            try:
                job.outcome = (job.fn(),)
            except BaseException as exc:  # handed to the caller, who re-raises it
                job.error = exc
            job.done.set()
            with self._lock:
                self._stuck = False
            del job  # drop references to results and tracebacks while idle
