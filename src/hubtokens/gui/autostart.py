"""Start at login, per OS: an XDG autostart entry, a macOS LaunchAgent, the Windows Run key.

Each starts the app with ``--background`` (tray only). Each is built from explicit paths (or,
on Windows, a registry writer), so tests run all three against a temporary home on Linux.
``enable()`` also repairs an entry whose command is stale (the app moved after an update):
it rewrites the entry only when it differs, and never makes a second one.
"""

from __future__ import annotations

import plistlib
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from hubtokens.core.fileio import write_atomic

APP_ID = "io.github.hubtokens.HubTokens"
DISPLAY_NAME = "Hub Tokens"
BACKGROUND_FLAG = "--background"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


class Autostart(Protocol):
    def is_enabled(self) -> bool: ...
    def enable(self) -> None: ...
    def disable(self) -> None: ...


def launch_command(environ: Mapping[str, str]) -> list[str]:
    """How to start this app again, as installed: the frozen executable, the
    ``hubtokens-gui`` script on PATH, else this Python with ``-m hubtokens.gui.app``."""
    if environ.get("FLATPAK_ID"):
        return ["flatpak", "run", APP_ID]
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = shutil.which("hubtokens-gui", path=environ.get("PATH"))
    if script:
        return [script]
    return [sys.executable, "-m", "hubtokens.gui.app"]


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_atomic(path, text, mode=0o644)  # not secret; launchd and desktops read it


class XdgAutostart:
    """``$XDG_CONFIG_HOME/autostart/<app-id>.desktop`` (Desktop Entry spec, Autostart spec)."""

    def __init__(self, config_home: Path, command: Sequence[str]) -> None:
        self.path = config_home / "autostart" / f"{APP_ID}.desktop"
        self._command = [*command, BACKGROUND_FLAG]

    def is_enabled(self) -> bool:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return False
        # A person (or a desktop's settings panel) may switch it off without deleting it.
        return "Hidden=true" not in text and "X-GNOME-Autostart-enabled=false" not in text

    def enable(self) -> None:
        _write_if_changed(self.path, self.entry())

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)

    def entry(self) -> str:
        exec_line = " ".join(_desktop_quote(arg) for arg in self._command)
        return (
            "[Desktop Entry]\n"
            "Type=Application\n"
            f"Name={DISPLAY_NAME}\n"
            "Comment=Keeps a Docker Hub access token for docker on this device\n"
            f"Exec={exec_line}\n"
            # Once the app is uninstalled (its packages never touch a home folder), desktops
            # skip the entry instead of failing to start it at every login.
            f"TryExec={_desktop_string(self._command[0])}\n"
            f"Icon={APP_ID}\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n"
        )


def _desktop_string(value: str) -> str:
    """A Desktop Entry string value: backslashes and control characters escaped."""
    return (
        value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    )


def _desktop_quote(arg: str) -> str:
    """Quote an Exec argument as the Desktop Entry spec asks ("%" doubled, quotes escaped)."""
    arg = arg.replace("%", "%%")
    if not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'


class LaunchAgent:
    """``~/Library/LaunchAgents/<app-id>.plist``, loaded by launchd at the next login."""

    def __init__(self, home: Path, command: Sequence[str]) -> None:
        self.path = home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
        self._arguments = [*command, BACKGROUND_FLAG]

    def is_enabled(self) -> bool:
        return self.path.exists()

    def enable(self) -> None:
        plist = {
            "Label": APP_ID,
            "ProgramArguments": self._arguments,
            "RunAtLoad": True,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",  # a person's GUI login only, not ssh sessions
        }
        _write_if_changed(self.path, plistlib.dumps(plist).decode("utf-8"))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class RegistryWriter(Protocol):
    """Values of one registry key (``HKCU\\...\\Run``)."""

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class WindowsRunKey:
    """A value named after the app under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``."""

    def __init__(self, registry: RegistryWriter, command: Sequence[str]) -> None:
        self._registry = registry
        # Each part quoted: the path usually contains spaces ("C:\\Program Files\\...").
        self._value = " ".join(f'"{part}"' for part in command) + f" {BACKGROUND_FLAG}"

    def is_enabled(self) -> bool:
        return self._registry.get(DISPLAY_NAME) is not None

    def enable(self) -> None:
        if self._registry.get(DISPLAY_NAME) != self._value:
            self._registry.set(DISPLAY_NAME, self._value)

    def disable(self) -> None:
        self._registry.delete(DISPLAY_NAME)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import winreg

    class WinRegRunKey:
        """The real ``HKCU\\...\\Run`` key through ``winreg``."""

        def get(self, name: str) -> str | None:
            try:
                with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                    value, _ = winreg.QueryValueEx(key, name)
            except FileNotFoundError:
                return None
            return str(value)

        def set(self, name: str, value: str) -> None:
            with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

        def delete(self, name: str) -> None:
            try:
                with winreg.OpenKey(
                    winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE
                ) as key:
                    winreg.DeleteValue(key, name)
            except FileNotFoundError:
                pass


def _system_registry() -> RegistryWriter:
    if sys.platform == "win32":
        return WinRegRunKey()
    raise OSError("the Windows registry exists only on Windows")


def autostart_for(
    platform: str,
    *,
    home: Path,
    environ: Mapping[str, str],
    command: Sequence[str],
    registry: RegistryWriter | None = None,
) -> Autostart:
    """The mechanism for ``platform`` (``sys.platform``), rooted at ``home``."""
    if platform == "darwin":
        return LaunchAgent(home, command)
    if platform == "win32":
        return WindowsRunKey(registry or _system_registry(), command)
    config_home = environ.get("XDG_CONFIG_HOME") or str(home / ".config")
    return XdgAutostart(Path(config_home), command)
