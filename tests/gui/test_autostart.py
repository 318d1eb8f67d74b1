"""Start at login on each OS, against a temporary home (every branch runs on Linux)."""

from __future__ import annotations

import configparser
import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hubtokens.gui.autostart import (
    APP_ID,
    RUN_KEY,
    Autostart,
    LaunchAgent,
    WindowsRunKey,
    XdgAutostart,
    autostart_for,
    launch_command,
)

COMMAND = ["/opt/Hub Tokens/bin/hubtokens-gui"]


class FakeRunKey:
    """Stands in for HKCU\\...\\Run: a dict of values."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.writes = 0

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.writes += 1
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def round_trip(autostart: Autostart) -> None:
    assert not autostart.is_enabled()
    autostart.enable()
    assert autostart.is_enabled()
    autostart.enable()  # again: still one entry
    assert autostart.is_enabled()
    autostart.disable()
    assert not autostart.is_enabled()
    autostart.disable()  # nothing to remove is fine


def test_linux_writes_an_xdg_autostart_entry(tmp_path: Path) -> None:
    autostart = autostart_for("linux", home=tmp_path, environ={}, command=COMMAND)
    assert isinstance(autostart, XdgAutostart)
    autostart.enable()
    path = tmp_path / ".config" / "autostart" / f"{APP_ID}.desktop"
    assert autostart.path == path
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(path)
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Name"] == "Hub Tokens"
    assert desktop["Exec"] == '"/opt/Hub Tokens/bin/hubtokens-gui" --background'
    assert desktop["TryExec"] == "/opt/Hub Tokens/bin/hubtokens-gui"  # skipped once removed
    assert desktop["Icon"] == APP_ID
    if shutil.which("desktop-file-validate"):  # the installer checks' package
        checked = subprocess.run(["desktop-file-validate", str(path)], capture_output=True)
        assert checked.returncode == 0 and not checked.stdout, checked.stdout
    round_trip(XdgAutostart(tmp_path / "other", COMMAND))


def test_linux_follows_xdg_config_home(tmp_path: Path) -> None:
    config = tmp_path / "xdg-config"
    autostart = autostart_for(
        "linux", home=tmp_path, environ={"XDG_CONFIG_HOME": str(config)}, command=COMMAND
    )
    autostart.enable()
    assert (config / "autostart" / f"{APP_ID}.desktop").is_file()


def test_linux_entry_switched_off_by_the_desktop_counts_as_off(tmp_path: Path) -> None:
    autostart = XdgAutostart(tmp_path, COMMAND)
    autostart.enable()
    autostart.path.write_text(autostart.path.read_text() + "Hidden=true\n")
    assert not autostart.is_enabled()


def test_linux_repairs_a_stale_command(tmp_path: Path) -> None:
    XdgAutostart(tmp_path, ["/old/place/hubtokens-gui"]).enable()
    current = XdgAutostart(tmp_path, COMMAND)
    current.enable()
    assert "/old/place" not in current.path.read_text()
    assert len(list((tmp_path / "autostart").iterdir())) == 1


def test_macos_writes_a_launch_agent(tmp_path: Path) -> None:
    autostart = autostart_for("darwin", home=tmp_path, environ={}, command=COMMAND)
    assert isinstance(autostart, LaunchAgent)
    autostart.enable()
    path = tmp_path / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    plist = plistlib.loads(path.read_bytes())
    assert plist["Label"] == APP_ID
    assert plist["ProgramArguments"] == [*COMMAND, "--background"]
    assert plist["RunAtLoad"] is True
    round_trip(LaunchAgent(tmp_path / "other", COMMAND))


def test_windows_writes_the_run_key(tmp_path: Path) -> None:
    registry = FakeRunKey()
    autostart = autostart_for(
        "win32",
        home=tmp_path,
        environ={},
        command=[r"C:\Program Files\Hub Tokens\hubtokens-gui.exe"],
        registry=registry,
    )
    assert isinstance(autostart, WindowsRunKey)
    autostart.enable()
    assert registry.values == {
        "Hub Tokens": r'"C:\Program Files\Hub Tokens\hubtokens-gui.exe" --background'
    }
    autostart.enable()
    assert registry.writes == 1  # unchanged: not written again
    round_trip(WindowsRunKey(FakeRunKey(), COMMAND))
    assert RUN_KEY == r"Software\Microsoft\Windows\CurrentVersion\Run"


def test_the_command_is_this_app_as_installed() -> None:
    assert launch_command({"FLATPAK_ID": APP_ID}) == ["flatpak", "run", APP_ID]
    assert launch_command({"PATH": ""}) == [sys.executable, "-m", "hubtokens.gui.app"]


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [("plain", "plain"), ("with space", '"with space"'), ("100%", "100%%"), ('a"b', '"a\\"b"')],
)
def test_desktop_exec_quoting(tmp_path: Path, arg: str, quoted: str) -> None:
    entry = XdgAutostart(tmp_path, [arg]).entry()
    assert f"Exec={quoted} --background\n" in entry
