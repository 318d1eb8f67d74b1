"""Helpers for the token window tests (their fixtures are in token_fixtures.py) and for
bench/token_window.py, which is why pytest-qt is imported only for type checking."""

from __future__ import annotations

import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from hubtokens.core.keeper import Keeper
from hubtokens.gui.controllers.tokens import TokensController
from hubtokens.gui.models.token_rows import TokenRow
from hubtokens.gui.tasks import TaskHandle
from hubtokens.gui.views.token_prompts import FollowUp
from hubtokens.gui.views.token_window import TokenWindow
from hubtokens.localhub import HubConfig, LocalHub

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

TASK_TIMEOUT_MS = 15_000
HUB_START_TIMEOUT_S = 20


class ScriptedPrompts:
    """``TokenPrompts`` answered from attributes the test sets; every question is recorded."""

    def __init__(self) -> None:
        self.confirm_answer = True
        self.follow_up = FollowUp.KEEP
        self.choice: int | None = 0
        self.confirmations: list[str] = []
        self.choices: list[tuple[str, list[str]]] = []  # (text, the choices offered)
        self.follow_ups: list[str] = []

    def confirm(self, parent: object, title: str, text: str, accept: str) -> bool:
        self.confirmations.append(text)
        return self.confirm_answer

    def choose(self, parent: object, title: str, text: str, choices: Sequence[str]) -> int | None:
        self.choices.append((text, list(choices)))
        return self.choice

    def choose_follow_up(self, parent: object, label: str) -> FollowUp:
        self.follow_ups.append(label)
        return self.follow_up


class TaskOutcome:
    """What a task delivered: ``result`` or ``error``."""

    def __init__(self) -> None:
        self.results: list[Any] = []
        self.errors: list[Exception] = []

    @property
    def result(self) -> Any:
        assert not self.errors, f"the task failed: {self.errors[0]!r}"
        assert self.results, "the task delivered nothing"
        return self.results[0]


def wait_for(qtbot: QtBot, handle: TaskHandle | None) -> TaskOutcome:
    """Wait until the task is done (call right after submitting: signals are queued)."""
    assert handle is not None, "no task was started"
    outcome = TaskOutcome()
    handle.succeeded.connect(outcome.results.append)
    handle.failed.connect(outcome.errors.append)
    with qtbot.waitSignal(handle.finished, timeout=TASK_TIMEOUT_MS):
        pass
    return outcome


def refresh(qtbot: QtBot, controller: TokensController) -> TaskOutcome:
    return wait_for(qtbot, controller.refresh())


def shown_rows(window: TokenWindow) -> list[TokenRow]:
    """The rows as the view shows them, top to bottom."""
    return [window.proxy.row_at(n) for n in range(window.proxy.rowCount())]


def row_labelled(window: TokenWindow, label: str) -> TokenRow:
    matches = [row for row in window.controller.model.rows if row.label == label]
    assert len(matches) == 1, f"{len(matches)} rows labelled {label!r}"
    return matches[0]


def select_rows(window: TokenWindow, *labels: str) -> None:
    wanted = {row_labelled(window, label).uuid for label in labels}
    window.table.select_uuids(wanted)
    assert {row.uuid for row in window.selected_rows()} == wanted


ControllerFactory = Callable[[Keeper], TokensController]


class StallProbe(QObject):
    """Measures how long the GUI thread goes without running its event loop: a timer asks
    to fire every ``interval_ms``; the longest gap between two firings is the worst stall."""

    ticked = Signal()

    def __init__(self, interval_ms: int = 10) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._last = 0.0
        self.longest = 0.0  # seconds
        self.ticks = 0

    def start(self) -> None:
        self._last = time.perf_counter()
        self.longest = 0.0
        self.ticks = 0
        self._timer.start()

    def stop(self) -> float:
        self._on_timer_timeout()
        self._timer.stop()
        return self.longest

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now
        self.ticks += 1
        self.ticked.emit()


def seed_hub(data: Path, user: str, password: str, tokens: int) -> None:
    """A hub data folder with ``user`` and ``tokens`` manual tokens."""
    hub = LocalHub(HubConfig(data_dir=data))
    try:
        hub.add_user(user, password)
        for n in range(tokens):
            hub.create_token(user, f"load test token {n:05}")
    finally:
        hub.stop()


@contextmanager
def hub_process(data: Path, *options: str) -> Iterator[str]:
    """``hubtokens hub serve`` on ``data`` in its own process; yields its URL."""
    command = [sys.executable, "-m", "hubtokens", "hub", "serve", "--data", str(data), *options]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], HUB_START_TIMEOUT_S)
            if not ready:
                raise RuntimeError("the local hub did not start")
            yield process.stdout.readline().strip()
        finally:
            process.terminate()
