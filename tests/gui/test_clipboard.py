"""ClipboardGuard: a copied secret is taken back after the delay, unless something else was
copied meanwhile."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hubtokens.gui.clipboard import PASSWORD_HINT_TYPE, ClipboardGuard

SECRET = "dckr_pat_" + "x" * 27  # shaped like a token, worth nothing


def test_a_copied_secret_is_cleared_after_the_delay(
    qtbot: QtBot, clipboard_guard: ClipboardGuard
) -> None:
    clipboard = QApplication.clipboard()
    clipboard_guard.copy_secret(SECRET)
    assert clipboard.text() == SECRET
    assert clipboard_guard.holds_secret
    with qtbot.waitSignal(clipboard_guard.expired, timeout=2000) as signal:
        pass
    assert signal.args == [True]
    assert clipboard.text() == ""
    assert not clipboard_guard.holds_secret


def test_something_copied_meanwhile_is_left_alone(
    qtbot: QtBot, clipboard_guard: ClipboardGuard
) -> None:
    clipboard = QApplication.clipboard()
    clipboard_guard.copy_secret(SECRET)
    clipboard.setText("what the person copied next")
    with qtbot.waitSignal(clipboard_guard.expired, timeout=2000) as signal:
        pass
    assert signal.args == [False]
    assert clipboard.text() == "what the person copied next"


def test_clipboard_managers_are_told_it_is_a_password(clipboard_guard: ClipboardGuard) -> None:
    clipboard_guard.copy_secret(SECRET)
    data = QApplication.clipboard().mimeData()
    assert data.data(PASSWORD_HINT_TYPE).data() == b"secret"


def test_plain_text_stays_and_cancels_a_pending_clear(
    qtbot: QtBot, clipboard_guard: ClipboardGuard
) -> None:
    clipboard_guard.copy_secret(SECRET)
    clipboard_guard.copy_text("docker login -u demo")
    with qtbot.assertNotEmitted(clipboard_guard.expired, wait=400):
        pass
    assert QApplication.clipboard().text() == "docker login -u demo"


def test_quitting_takes_the_secret_back_at_once(clipboard_guard: ClipboardGuard) -> None:
    clipboard_guard.copy_secret(SECRET)
    clipboard_guard.clear_now()
    assert QApplication.clipboard().text() == ""


def test_the_delay_is_30_seconds_unless_told_otherwise(qtbot: QtBot) -> None:
    assert ClipboardGuard(QApplication.clipboard()).clear_after_seconds == 30
