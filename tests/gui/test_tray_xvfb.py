"""The tray for real: an X server (Xvfb) with a tray host (trayer), and the app on it.

Skipped only where Xvfb or trayer is not installed (`apt-get install xvfb xauth trayer`).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

START_SECONDS = 10.0

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("trayer") and shutil.which("xwininfo")),
    reason="needs Xvfb, trayer and xwininfo (apt-get install xvfb xauth trayer x11-utils)",
)


class X:
    """An Xvfb on a free display number; ``spawn`` starts helpers on it, ``close`` ends all."""

    def __init__(self, log_dir: Path, screen: str = "800x600x24") -> None:
        self._log_dir = log_dir
        self._processes: list[subprocess.Popen[bytes]] = []
        read_end, write_end = os.pipe()
        try:
            self.spawn(
                [
                    "Xvfb",
                    "-displayfd",
                    str(write_end),
                    "-screen",
                    "0",
                    screen,
                    "-nolisten",
                    "tcp",
                    # A server that resets when its last client leaves refuses whoever
                    # connects meanwhile ("Can't open display"): a desktop never does.
                    "-noreset",
                ],
                "xvfb",
                pass_fds=(write_end,),
            )
        finally:
            os.close(write_end)
        with os.fdopen(read_end) as display_fd:
            ready, _, _ = select.select([display_fd], [], [], START_SECONDS)
            number = display_fd.readline().strip() if ready else ""
        if not number:
            self.close()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        self.env = {**os.environ, "DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb"}
        self.env.pop("WAYLAND_DISPLAY", None)

    def spawn(
        self,
        args: list[str],
        log: str,
        *,
        env: dict[str, str] | None = None,
        pass_fds: tuple[int, ...] = (),
    ) -> subprocess.Popen[bytes]:
        with open(self._log_dir / f"{log}.log", "wb") as log_file:
            process = subprocess.Popen(
                args, stdout=log_file, stderr=log_file, pass_fds=pass_fds, env=env
            )
        self._processes.append(process)
        return process

    def start_tray_host(self) -> None:
        self.spawn(
            ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
             "--height", "24", "--SetDockType", "true"],
            "trayer",
            env=self.env,
        )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
        while '"panel"' not in self.windows():
            if time.monotonic() > deadline:
                raise RuntimeError("trayer did not start")
            time.sleep(0.05)

    def windows(self) -> str:
        return subprocess.run(
            ["xwininfo", "-root", "-tree"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout

    def close(self) -> None:
        for process in reversed(self._processes):
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.fixture
def x_server(tmp_path: Path) -> Iterator[X]:
    server = X(tmp_path)
    yield server
    server.close()


def self_check(x_server: X, home: Path, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "hubtokens.gui.app", *args, "--self-check"],
        env={**x_server.env, "HUBTOKENS_HOME": str(home), "XDG_CONFIG_HOME": str(home / "xdg")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (shown, _idle) = [json.loads(line) for line in result.stdout.splitlines()]
    assert shown["platform"] == "xcb", shown
    return shown


def test_with_a_tray_host_the_icon_is_embedded_and_no_window_opens(
    x_server: X, tmp_path: Path
) -> None:
    x_server.start_tray_host()
    shown = self_check(x_server, tmp_path, "--background")
    assert shown["tray_available"] is True and shown["tray_visible"] is True, shown
    x, y, width, height = shown["tray_geometry"]
    assert width > 0 and height > 0, shown  # the host gave the icon a place in its panel
    assert 0 <= x < 800 and 0 <= y < 600, shown
    assert shown["window_visible"] is False, shown


def test_without_a_tray_host_the_window_opens(x_server: X, tmp_path: Path) -> None:
    shown = self_check(x_server, tmp_path)
    assert shown["tray_available"] is False, shown
    assert shown["window_visible"] is True, shown
