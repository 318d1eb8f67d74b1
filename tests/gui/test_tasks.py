"""TaskRunner: results reach listeners that connect right after submit, however fast."""

from __future__ import annotations

import threading

from pytestqt.qtbot import QtBot

from hubtokens.gui.tasks import TaskRunner


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
