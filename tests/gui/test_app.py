"""``hubtokens-gui`` as a program: the demo, the self-check, the screenshots, the options."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from hubtokens.core.errors import UsageError
from hubtokens.core.settings import AccountRecord, Settings, SettingsStore
from hubtokens.gui.app import build_parser, choose_hub_url, docker_environ
from hubtokens.gui.demo import DemoSandbox
from hubtokens.gui.state import Health

PROGRAM = [sys.executable, "-m", "hubtokens.gui.app"]
SHOTS = (
    "tray-menu",
    "tray-icons",
    "window",
    "window-displaced",
    "sign-in",
    "sign-in-browser-code",
    "sign-in-denied",
    "sign-in-expired",
    "sign-in-password",
    "sign-in-code",
    "tokens",
    "new-token",
    "reveal",
    "leak-check",
)


def isolated_env(home: Path) -> dict[str, str]:
    """Offscreen, with settings and the autostart folder in ``home``: no real home touched."""
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HUBTOKENS_HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "xdg-config"),
    }


def run_app(
    *args: str, home: Path, timeout: float = 90, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PROGRAM, *args],
        env={**isolated_env(home), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_demo_starts_signed_in_and_reports_itself(tmp_path: Path) -> None:
    result = run_app("--demo", "--self-check", "1.5", home=tmp_path)
    assert result.returncode == 0, result.stderr
    shown, idle = json_lines(result.stdout)
    assert shown["event"] == "shown" and shown["platform"] == "offscreen"
    assert shown["tray_available"] is False and shown["window_visible"] is True  # no tray here
    assert idle["event"] == "idle" and idle["rss_kib"] > 10_000
    assert idle["health"] in {h.value for h in Health} and isinstance(idle["syncing"], bool)


def test_screenshots_of_every_part_are_saved(tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    result = run_app("--demo", "--screenshots", str(shots), home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.stem for p in shots.glob("*.png")) == sorted(SHOTS)
    for name in SHOTS:
        image = QImage(str(shots / f"{name}.png"))
        assert image.width() > 100 and image.height() > 100, name


def test_screenshots_are_refused_without_the_demo(tmp_path: Path) -> None:
    """The tour creates a token and plants it in a file: never on a person's real account."""
    shots = tmp_path / "shots"
    result = run_app("--screenshots", str(shots), home=tmp_path / "home", timeout=30)
    assert result.returncode == 2
    assert "--screenshots needs --demo" in result.stderr and "Traceback" not in result.stderr
    assert not shots.exists() and not (tmp_path / "home").exists()


def test_the_demo_leaves_nothing_behind(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_app("--demo", "--self-check", home=home)
    assert result.returncode == 0, result.stderr
    assert not (home / "config" / "settings.json").exists()  # the demo has its own sandbox


def test_the_demo_keeps_docker_and_the_leak_check_inside_its_sandbox() -> None:
    sandbox = DemoSandbox()
    try:
        environ = docker_environ(sandbox, {"HOME": "/home/someone", "DOCKER_CONFIG": "/etc/x"})
    finally:
        sandbox.close()
    assert environ == {
        "DOCKER_CONFIG": str(sandbox.home / "docker"),
        "HOME": str(sandbox.home),
    }


def test_sigterm_quits_cleanly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*PROGRAM, "--self-check", "600"],
        env=isolated_env(tmp_path),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert json.loads(process.stdout.readline())["event"] == "shown"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    process.stdout.close()


def test_an_invalid_hub_url_is_refused_before_anything_starts(tmp_path: Path) -> None:
    result = run_app("--hub", "http://hub.example.com", home=tmp_path)
    assert result.returncode == 2
    assert "use https:// for hub.example.com" in result.stderr
    assert "Traceback" not in result.stderr


def test_options() -> None:
    options = build_parser().parse_args(["--demo", "--background", "--hub", "https://x.test"])
    assert options.demo and options.background and options.hub == "https://x.test"
    assert build_parser().parse_args(["--tray-only"]).background
    assert build_parser().parse_args(["--self-check"]).self_check == 0.0
    assert build_parser().parse_args([]).screenshots is None


def test_hub_url_is_chosen_like_the_cli(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    assert choose_hub_url(None, {}, store) == "https://hub.docker.com"
    store.save(Settings().with_account(AccountRecord("http://127.0.0.1:5000", "demo")))
    assert choose_hub_url(None, {}, store) == "http://127.0.0.1:5000"
    env = {"HUBTOKENS_HUB_URL": "https://hub.example.com/"}
    assert choose_hub_url(None, env, store) == "https://hub.example.com"
    assert choose_hub_url("https://other.example.com", env, store) == "https://other.example.com"
    with pytest.raises(UsageError):
        choose_hub_url("http://insecure.example.com", {}, store)
