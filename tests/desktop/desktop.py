"""A private X desktop for the app: Xvfb, icewm and its tray, a private D-Bus session with the
AT-SPI bus, and the X tools that act on it and look at it, as a person would.

Everything a program started here could write goes under the desktop's own folder (HOME,
XDG_*): the person's real home, session bus and display are never touched.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from tests.fixtures.keychain import _BUS_CONFIG
from tests.gui.test_tray_xvfb import X

T = TypeVar("T")

SCREEN = "1280x800x24"
START_SECONDS = 20.0
WAIT_SECONDS = 20.0  # for what a click should make happen; generous for a slow CI machine
POLL_SECONDS = 0.05
CLICK_SECONDS = 0.05  # between moving, pressing and releasing: not a wait for anything
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, where python3-pyatspi is
AT_SPI_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
TOOLS = ("Xvfb", "icewm", "xdotool", "xprop", "xwininfo", "xclip", "dbus-daemon")


def missing_tools() -> list[str]:
    """What this machine lacks to run a desktop (empty: all there)."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not os.access(AT_SPI_LAUNCHER, os.X_OK):
        missing.append("at-spi2-core")
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, check=False
    ) if os.access(SYSTEM_PYTHON, os.X_OK) else None  # fmt: skip
    if probe is None or probe.returncode != 0:
        missing.append("python3-pyatspi")
    return missing


def desktop_test_marks() -> list[pytest.MarkDecorator]:
    """A desktop test's marks: integration, a generous timeout, skipped (saying what to
    install) where this machine cannot run a desktop."""
    missing = missing_tools()
    return [
        pytest.mark.integration,
        pytest.mark.timeout(300),
        pytest.mark.skipif(
            bool(missing),
            reason=f"needs {', '.join(missing)} (apt-get install xvfb xauth icewm xdotool "
            "x11-utils xclip dbus at-spi2-core python3-pyatspi)",
        ),
    ]


def wait_until(what: str, condition: Callable[[], T | None], seconds: float = WAIT_SECONDS) -> T:
    """``condition()``'s first true value; fails naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:.0f} s")
        time.sleep(POLL_SECONDS)


@dataclass(frozen=True)
class Window:
    """A window shown on the screen, as the X server knows it."""

    id: int
    title: str
    kind: str  # from _NET_WM_WINDOW_TYPE: "normal", "dialog", "popup_menu", "tooltip", ...
    transient_for: int | None  # the window a dialog belongs to
    embedded: bool  # a tray icon (XEmbed), not a window of its own
    x: int
    y: int
    width: int
    height: int


class Desktop:
    def __init__(self, root: Path) -> None:
        self.root = root
        home = root / "home"
        runtime = root / "run"
        for folder in (home, runtime):
            folder.mkdir(mode=0o700, parents=True)
        self._x = X(root, screen=SCREEN)
        try:
            self.env = {
                **self._x.env,
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_DATA_HOME": str(home / ".local" / "share"),
                "XDG_CACHE_HOME": str(home / ".cache"),
                "XDG_RUNTIME_DIR": str(runtime),
            }
            for name in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP"):
                self.env.pop(name, None)
            self.env["DBUS_SESSION_BUS_ADDRESS"] = self._start_bus(runtime)
            self._x.spawn([AT_SPI_LAUNCHER, "--launch-immediately"], "at-spi", env=self.env)
            self._x.spawn(["icewm"], "icewm", env=self.env)
            wait_until("icewm's tray", self._tray_host_ready, START_SECONDS)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._x.close()

    def spawn(self, args: list[str], log: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start a program on this desktop; ``close`` ends it if it still runs."""
        return self._x.spawn(args, log, env=env)

    # --- what the person does ----------------------------------------------------------------

    def click(self, x: int, y: int, button: int = 1) -> None:
        """Move there, then press and release, a moment apart as a hand does."""
        self.xdotool("mousemove", str(x), str(y))
        time.sleep(CLICK_SECONDS)
        self.xdotool("mousedown", str(button))
        time.sleep(CLICK_SECONDS)
        self.xdotool("mouseup", str(button))

    def key(self, *keys: str) -> None:
        """Keys pressed on the focused window, e.g. ``key("Escape")``."""
        self.xdotool("key", "--clearmodifiers", *keys)

    def type_text(self, text: str) -> None:
        self.xdotool("type", "--delay", "10", text)

    def xdotool(self, *args: str) -> str:
        return self._tool("xdotool", *args)

    # --- what the person sees ----------------------------------------------------------------

    def windows(self, pid: int) -> list[Window]:
        """The windows of process ``pid`` shown on the screen now, tray icon included."""
        found = self._tool("xdotool", "search", "--onlyvisible", "--pid", str(pid), check=False)
        shown = []
        for word in found.split():
            window = self._window(int(word))
            if window is not None:
                shown.append(window)
        return shown

    def clipboard(self, selection: str = "clipboard") -> str | None:
        """What a paste into another program gets now; None when nobody offers anything."""
        result = subprocess.run(
            ["xclip", "-o", "-selection", selection],
            env=self.env, capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        return result.stdout if result.returncode == 0 else None

    def screenshot(self, name: str) -> Path:
        """The whole screen as a PNG in the desktop's folder, for a failure's report."""
        path = self.root / f"{''.join(c if c.isalnum() else '-' for c in name)}.png"
        self._tool(sys.executable, "-c", _SCREENSHOT, str(path), check=False)
        return path

    # --- helpers -----------------------------------------------------------------------------

    def _window(self, window_id: int) -> Window | None:
        props = self._tool(
            "xprop", "-id", str(window_id), "_NET_WM_WINDOW_TYPE", "WM_TRANSIENT_FOR",
            "WM_STATE", "_NET_WM_NAME", check=False,
        )  # fmt: skip
        stats = self._tool("xwininfo", "-id", str(window_id), "-stats", "-children", check=False)
        values = dict(
            (key.strip(), value.strip())
            for key, _, value in (line.partition(":") for line in stats.splitlines())
        )
        if not props or "Width" not in values:
            return None  # gone meanwhile
        managed = "WM_STATE(WM_STATE)" in props  # set by the window manager on its clients
        return Window(
            id=window_id,
            title=_prop(props, "_NET_WM_NAME").strip('"'),
            kind=_window_kind(_prop(props, "_NET_WM_WINDOW_TYPE")),
            transient_for=_window_id(_prop(props, "WM_TRANSIENT_FOR")),
            # Neither managed by the window manager nor a popup of the root: in another client.
            embedded=not managed and "(the root window)" not in values.get("Parent window id", ""),
            x=int(values["Absolute upper-left X"]),
            y=int(values["Absolute upper-left Y"]),
            width=int(values["Width"]),
            height=int(values["Height"]),
        )

    def _tray_host_ready(self) -> bool:
        tree = self._tool("xwininfo", "-root", "-tree", check=False)
        return '"SystemTray"' in tree

    def _tool(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            args, env=self.env, capture_output=True, text=True, timeout=30, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def _start_bus(self, runtime: Path) -> str:
        config = self.root / "bus.conf"
        # No service folders: nothing is started behind the test's back (a notification
        # daemon, a keyring); the AT-SPI bus launcher is started by hand.
        config.write_text(_BUS_CONFIG.format(runtime=runtime))
        read_end, write_end = os.pipe()
        try:
            self._x.spawn(
                ["dbus-daemon", f"--config-file={config}", f"--print-address={write_end}",
                 "--nofork"],
                "dbus",
                env=self.env,
                pass_fds=(write_end,),
            )  # fmt: skip
        finally:
            os.close(write_end)
        with os.fdopen(read_end) as address_fd:
            ready, _, _ = select.select([address_fd], [], [], START_SECONDS)
            address = address_fd.readline().strip() if ready else ""
        if not address:
            raise RuntimeError("dbus-daemon did not start")
        return address


def _prop(xprop_output: str, name: str) -> str:
    """The value xprop printed for ``name`` ("" when the window does not have it)."""
    for line in xprop_output.splitlines():
        if line.split("(", 1)[0] != name:
            continue  # another property, or "NAME:  not found."
        for separator in (" = ", "): "):  # NAME(TYPE) = value, NAME(WINDOW): window id # 0x1
            if separator in line:
                return line.split(separator, 1)[1].strip()
    return ""


def _window_kind(types: str) -> str:
    for atom in types.split(", "):
        if atom.startswith("_NET_WM_WINDOW_TYPE_"):
            return atom.removeprefix("_NET_WM_WINDOW_TYPE_").lower()
    return "normal"


def _window_id(value: str) -> int | None:
    word = value.split()[-1] if value else ""
    return int(word, 16) if word.startswith("0x") else None


# The screen as any X client sees it, taken with Qt (no ImageMagick needed).
_SCREENSHOT = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
app.primaryScreen().grabWindow(0).save(sys.argv[1])
"""
