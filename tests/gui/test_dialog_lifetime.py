"""The app keeps every dialog it opens alive until it is closed, with nothing else holding it.

PySide deletes a widget without a parent as soon as Python forgets it. A dialog opened for a
hidden window has no parent, so the tray's "New access token…" with the manager hidden used
to open nothing: the tests kept the returned dialog and passed. These tests drop whatever an
action returns, collect, and look for the dialog among the application's windows, as a
person looks at the screen (tests/desktop does the same from outside the process).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QWidget
from pytestqt.qtbot import QtBot

from hubtokens.core.hub.client import HubClient
from hubtokens.core.keeper import Keeper
from hubtokens.gui.app import token_window_factory
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.tasks import TaskRunner
from hubtokens.gui.views.new_token_dialog import NewTokenDialog
from hubtokens.gui.views.reveal_dialog import RevealDialog
from hubtokens.gui.views.token_window import TokenWindow
from tests.gui.app_support import AppFactory, started

pytest_plugins = ["tests.gui.token_fixtures"]

W = TypeVar("W", bound=QWidget)
WAIT_MS = 10_000


def on_screen(kind: type[W]) -> list[W]:
    """The shown top-level windows of ``kind``, after dropping what Python forgot."""
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def alive(kind: type[QWidget]) -> int:
    """How many windows of ``kind`` still exist, shown or not."""
    return len([w for w in QApplication.topLevelWidgets() if isinstance(w, kind)])


def test_new_token_from_the_tray_with_the_manager_hidden_stays_open(
    qtbot: QtBot,
    apps: AppFactory,
    signed_in_keeper: Keeper,
    task_runner: TaskRunner,
    client_for: Callable[[str], HubClient],
    clock: Callable[[], datetime],
    clipboard_guard: ClipboardGuard,
) -> None:
    windows = token_window_factory(
        task_runner, signed_in_keeper, client_for, clock, clipboard_guard
    )
    app = started(qtbot, apps.make(token_windows=windows))
    app.actions.new_token.trigger()  # the tray's and the home window's action

    (dialog,) = on_screen(NewTokenDialog)
    assert dialog.parent() is None  # the manager is hidden: a window of its own
    assert dialog.windowModality() is Qt.WindowModality.NonModal  # nothing to block
    assert not on_screen(TokenWindow)
    app.actions.new_token.trigger()  # asked again: the same one, brought forward
    assert on_screen(NewTokenDialog) == [dialog]

    with qtbot.waitSignal(dialog.destroyed, timeout=WAIT_MS):
        dialog.reject()
    del dialog
    assert alive(NewTokenDialog) == 0  # closed: gone, not kept by the app


def test_a_token_made_with_the_manager_hidden_shows_its_secret(
    qtbot: QtBot, alice_window: TokenWindow
) -> None:
    alice_window.hide()
    alice_window.open_new_token_dialog().description.edit.setText("made from the tray")
    (dialog,) = on_screen(NewTokenDialog)
    with qtbot.waitSignal(dialog.succeeded, timeout=WAIT_MS):
        dialog.accept_button.click()
    del dialog

    (reveal,) = on_screen(RevealDialog)
    assert reveal.parent() is None
    assert any("made from the tray" in label.text() for label in reveal.findChildren(QLabel))
    assert not on_screen(NewTokenDialog)
    reveal.copy_button.click()  # so closing asks nothing
    with qtbot.waitSignal(reveal.destroyed, timeout=WAIT_MS):
        reveal.accept()
    del reveal
    assert alive(RevealDialog) == 0


def test_dialogs_of_a_shown_manager_are_its_own(qtbot: QtBot, alice_window: TokenWindow) -> None:
    alice_window.open_new_token_dialog()
    (dialog,) = on_screen(NewTokenDialog)
    assert dialog.parent() is alice_window
    assert dialog.windowModality() is Qt.WindowModality.WindowModal
    dialog.reject()


def test_the_table_s_context_menu_is_freed_once_closed(
    qtbot: QtBot, alice_window: TokenWindow
) -> None:
    for _ in range(3):
        alice_window.table.customContextMenuRequested.emit(QPoint(5, 5))
        (menu,) = on_screen(QMenu)
        QTest.keyClick(menu, Qt.Key.Key_Escape)
        del menu
        qtbot.waitUntil(lambda: not on_screen(QMenu), timeout=WAIT_MS)
    assert alice_window.findChildren(QMenu, options=Qt.FindChildOption.FindDirectChildrenOnly) == []
