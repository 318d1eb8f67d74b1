"""One instance per user and profile: a second launch hands off to the first and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from hubtokens.core.paths import AppPaths
from hubtokens.gui import single_instance
from hubtokens.gui.single_instance import Claim, SingleInstance, instance_key


@pytest.fixture
def key(tmp_path: Path) -> str:
    return instance_key(tmp_path / "profile", user="tester")


@pytest.fixture
def first(qtbot: QtBot, key: str, tmp_path: Path) -> Iterator[SingleInstance]:
    instance = SingleInstance(key, tmp_path / "state")
    assert instance.claim() is Claim.FIRST
    yield instance
    instance.release()


def test_each_later_instance_asks_the_first_to_show_itself(
    qtbot: QtBot, first: SingleInstance, key: str, tmp_path: Path
) -> None:
    for _launch in range(3):
        later = SingleInstance(key, tmp_path / "state")
        with qtbot.waitSignal(first.activated, timeout=5000):
            assert later.claim() is Claim.HANDED_OFF


def test_a_second_launch_of_the_program_hands_off_and_exits_0(qtbot: QtBot, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = SingleInstance(instance_key(home), AppPaths.under(home).state_dir)
    assert first.claim() is Claim.FIRST
    try:
        env = {
            **os.environ,
            "HUBTOKENS_HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "xdg-config"),
            "QT_QPA_PLATFORM": "offscreen",
        }
        with qtbot.waitSignal(first.activated, timeout=10_000):
            result = subprocess.run(
                [sys.executable, "-m", "hubtokens.gui.app"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        assert result.returncode == 0, result.stderr
    finally:
        first.release()


def test_profiles_and_users_have_their_own_instance(tmp_path: Path) -> None:
    assert instance_key(tmp_path / "a", user="u") != instance_key(tmp_path / "b", user="u")
    assert instance_key(None, user="u") != instance_key(None, user="v")
    assert instance_key(None, user="u") == "io.github.hubtokens.HubTokens-u"
    assert instance_key(None, user="a b/c").endswith("-a_b_c")


def test_a_lock_left_by_a_crashed_instance_does_not_count(key: str, tmp_path: Path) -> None:
    lock = tmp_path / "state" / f"{key}.lock"
    lock.parent.mkdir()
    crash = textwrap.dedent(
        f"""
        import os
        from PySide6.QtCore import QLockFile
        lock = QLockFile({str(lock)!r})
        assert lock.tryLock(0)
        os._exit(0)  # dies holding it
        """
    )
    subprocess.run([sys.executable, "-c", crash], check=True, timeout=60)
    assert lock.exists()
    instance = SingleInstance(key, tmp_path / "state")
    assert instance.claim() is Claim.FIRST
    instance.release()


def test_an_instance_that_holds_the_lock_but_does_not_answer_is_reported(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(single_instance, "CONNECT_ATTEMPTS", 2)
    holder = SingleInstance(key, tmp_path / "state")
    holder._lock.tryLock(0)  # the lock, but no socket: a hung first instance
    try:
        assert SingleInstance(key, tmp_path / "state").claim() is Claim.UNRESPONSIVE
    finally:
        holder.release()
