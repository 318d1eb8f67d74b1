"""TaskRunner: results reach listeners that connect right after submit, however fast."""

from __future__ import annotations

import gc
import logging
import threading
import weakref

import pytest
from pytestqt.qtbot import QtBot

from hubtokens.core.errors import HubUnreachable
from hubtokens.gui.tasks import TaskHandle, TaskRunner


def test_a_task_that_ends_at_once_still_reaches_its_listeners(
    qtbot: QtBot, task_runner: TaskRunner
) -> None:
    for attempt in range(50):  # the race this guards against is a matter of luck
        handle = task_runner.submit("instant", lambda n=attempt: n)
        with qtbot.waitSignal(handle.succeeded, timeout=2000) as signal:
            pass
        assert signal.args == [attempt]


def test_a_task_cancelled_before_it_starts_never_runs(
    qtbot: QtBot, task_runner: TaskRunner
) -> None:
    ran = threading.Event()
    handle = task_runner.submit("never", ran.set)
    handle.cancel()
    with qtbot.assertNotEmitted(handle.succeeded), qtbot.waitSignal(handle.finished):
        pass
    assert not ran.is_set()
    assert not task_runner.busy


def test_failures_are_delivered_as_the_exception(qtbot: QtBot, task_runner: TaskRunner) -> None:
    def fail() -> None:
        raise ValueError("nope")

    handle = task_runner.submit("fails", fail)
    with qtbot.waitSignal(handle.failed, timeout=2000) as signal:
        pass
    assert isinstance(signal.args[0], ValueError)


def test_a_bug_in_a_task_is_logged_with_its_traceback_an_expected_error_is_not(
    qtbot: QtBot, task_runner: TaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    """The GUI shows an unexpected failure as "details are in the log file": they must be."""

    def bug() -> None:
        raise KeyError("the bug")

    def offline() -> None:
        raise HubUnreachable("cannot reach the hub")

    caplog.set_level(logging.DEBUG, logger="hubtokens.gui.tasks")
    for name, fn in (("buggy", bug), ("offline", offline)):
        handle = task_runner.submit(name, fn)
        with qtbot.waitSignal(handle.failed, timeout=2000):
            pass
    [bug_record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "buggy" in bug_record.getMessage() and bug_record.exc_info is not None
    assert "the bug" in caplog.text and "Traceback" in caplog.text
    [offline_record] = [r for r in caplog.records if "offline" in r.getMessage()]
    assert offline_record.levelno == logging.DEBUG and offline_record.exc_info is None


# Enough tasks for PySide's pool to keep a finished runnable now and then (issue 10): that
# runnable must not keep its handle.
TASKS = 200


def test_finished_tasks_are_freed_after_every_listener_ran(
    qtbot: QtBot, task_runner: TaskRunner
) -> None:
    """The app runs a task per reconcile and per action for days: none may stay in memory.
    Every listener, connected after the runner's own, still hears ``finished``."""
    handles: list[weakref.ref[TaskHandle]] = []
    heard: list[int] = []
    for n in range(TASKS):
        handle = task_runner.submit("short", lambda n=n: n)
        handle.finished.connect(lambda n=n: heard.append(n))
        handles.append(weakref.ref(handle))
        del handle
    qtbot.waitUntil(lambda: len(heard) == TASKS and not task_runner.busy, timeout=5000)
    assert sorted(heard) == list(range(TASKS))

    def all_freed() -> bool:  # the runner lets go of a handle on a later turn of the loop
        gc.collect()
        return all(ref() is None for ref in handles)

    qtbot.waitUntil(all_freed, timeout=5000)
