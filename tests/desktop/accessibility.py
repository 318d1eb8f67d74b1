"""The app's accessibility tree (AT-SPI), read by ``atspi_agent.py`` in the system Python:
what a screen reader hears, and where each control is on the screen."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.desktop.desktop import SYSTEM_PYTHON, WAIT_SECONDS

AGENT = Path(__file__).with_name("atspi_agent.py")


@dataclass(frozen=True)
class Node:
    """One accessible object: a window, a button, a menu item, a label."""

    window: str  # the title of the top-level window it is in
    role: str  # "push button", "check box", "menu item", "label", "dialog", "frame", ...
    name: str
    description: str
    labelled_by: tuple[str, ...]  # the names of the labels tied to it (Qt: setBuddy)
    path: tuple[str, ...]  # its ancestors, the window first: "role 'name'" each
    x: int
    y: int
    width: int
    height: int
    showing: bool
    enabled: bool
    checked: bool
    focused: bool
    active: bool
    focusable: bool
    default: bool  # the button that Return presses

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


class Accessibility:
    """A running agent; ``nodes`` asks it for the showing nodes of one process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._log = log
        self.last_error: str | None = None  # why the last ask found nothing, if it failed
        with open(log, "wb") as errors:
            self._process = subprocess.Popen(
                [SYSTEM_PYTHON, str(AGENT)], env=env, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=errors, text=True,
            )  # fmt: skip
        assert self._process.stdin is not None and self._process.stdout is not None
        self._stdin: IO[str] = self._process.stdin
        self._answers: queue.Queue[str] = queue.Queue()
        self._stdout: IO[str] = self._process.stdout
        self._reader = threading.Thread(target=self._read, args=(self._stdout,), daemon=True)
        self._reader.start()

    def nodes(self, pid: int, window: str | None = None) -> list[Node]:
        """Every showing node of ``pid``'s showing windows (or of the one titled ``window``)."""
        self._stdin.write(json.dumps({"pid": pid, "window": window}) + "\n")
        self._stdin.flush()
        try:
            line = self._answers.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            raise AssertionError("the AT-SPI agent did not answer") from None
        if not line:
            raise AssertionError(f"the AT-SPI agent ended: {self._log.read_text()}")
        answer: dict[str, Any] = json.loads(line)
        self.last_error = answer.get("error")
        if self.last_error is not None:
            return []  # the app not (yet) on the bus, or a window gone while it was read
        return [
            Node(**{**node, "path": tuple(node["path"]), "labelled_by": tuple(node["labelled_by"])})
            for node in answer["nodes"]
        ]

    def close(self) -> None:
        self._stdin.close()  # the agent's loop ends on it
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._reader.join(timeout=5)
        self._stdout.close()

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            self._answers.put(line)
        self._answers.put("")  # the agent ended
