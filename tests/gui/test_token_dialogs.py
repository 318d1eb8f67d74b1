"""The new-token dialog and the show-once secret, against the real local Hub."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from hubtokens.core.hub.models import Scope, parse_time
from hubtokens.gui.models.token_rows import Column
from hubtokens.gui.views.new_token_dialog import NewTokenDialog
from hubtokens.gui.views.reveal_dialog import RevealDialog
from hubtokens.gui.views.token_window import TokenWindow
from hubtokens.localhub import Fault, LocalHub
from tests.fixtures.localhub import HubClock
from tests.gui.token_support import ScriptedPrompts, row_labelled

pytest_plugins = ["tests.gui.token_fixtures"]


def generate(qtbot: QtBot, dialog: NewTokenDialog) -> RevealDialog:
    window = dialog.parent()
    assert isinstance(window, TokenWindow)
    with qtbot.waitSignal(dialog.succeeded, timeout=10_000):
        dialog.accept_button.click()
    assert window.reveal_dialog is not None
    return window.reveal_dialog


def hub_token(hub: LocalHub, label: str) -> dict[str, object]:
    (token,) = [t for t in hub.tokens("alice") if t["token_label"] == label]
    return token


# --- the form -----------------------------------------------------------------------------


def test_description_is_checked_as_it_is_typed(alice_window: TokenWindow, qtbot: QtBot) -> None:
    dialog = alice_window.open_new_token_dialog()
    message = dialog.description.message
    assert not dialog.accept_button.isEnabled()
    assert message.text() == ""  # untouched: no scolding yet

    qtbot.keyClicks(dialog.description.edit, "a")  # type: ignore[no-untyped-call]
    assert dialog.accept_button.isEnabled()
    assert message.text() == "1/100 characters"
    dialog.description.edit.backspace()
    assert not dialog.accept_button.isEnabled()
    assert message.text() == "The description must not be empty."

    dialog.description.edit.setText("   ")
    assert not dialog.accept_button.isEnabled()
    dialog.description.edit.setText("x" * 101)
    assert not dialog.accept_button.isEnabled()
    assert message.text() == ("The description is 101 characters long; at most 100 are allowed.")
    dialog.description.edit.setText("x" * 100)
    assert dialog.accept_button.isEnabled()


def test_access_levels_and_the_default(alice_window: TokenWindow) -> None:
    dialog = alice_window.open_new_token_dialog()
    assert dialog.scope is Scope.PUBLIC_READ  # as on the Hub
    texts = [button.text() for button in dialog.scope_buttons.values()]
    assert texts == ["Public Repo Read-only", "Read-only", "Read && Write", "Read, Write, Delete"]
    summaries = dialog.findChildren(type(dialog.expiry_hint))
    for scope in Scope:
        assert any(label.text() == scope.summary for label in summaries)


def test_expiration_choices(alice_window: TokenWindow, hub_clock: HubClock) -> None:
    dialog = alice_window.open_new_token_dialog()
    now = hub_clock.now()
    choices = [dialog.expiry.itemText(n) for n in range(dialog.expiry.count())]
    assert choices == ["None", "30 days", "90 days", "Custom date"]
    assert dialog.expires_at(now) is None
    assert dialog.expiry_hint.text() == "The token never expires."
    dialog.expiry.setCurrentIndex(2)
    assert dialog.expires_at(now) == now + timedelta(days=90)
    assert not dialog.custom_date.isVisibleTo(dialog)
    dialog.expiry.setCurrentIndex(3)
    assert dialog.custom_date.isVisibleTo(dialog)
    today = now.date()
    bounds = dialog.custom_date.minimumDate(), dialog.custom_date.maximumDate()
    assert bounds == (_qdate(today + timedelta(days=1)), _qdate(today + timedelta(days=365)))
    dialog.custom_date.setDate(_qdate(today + timedelta(days=400)))  # clamped to a year
    expected = datetime.combine(today + timedelta(days=365), time(23, 59, 59), tzinfo=UTC)
    assert dialog.expires_at(now) == expected
    assert "cannot be changed later" in dialog.expiry_hint.text()


def test_return_generates_and_never_cancels(alice_window: TokenWindow, qtbot: QtBot) -> None:
    dialog = alice_window.open_new_token_dialog()
    qtbot.waitExposed(dialog)
    edit = dialog.description.edit
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
    assert dialog.isVisible()  # nothing typed: Return does nothing (it used to cancel)
    qtbot.keyClicks(edit, "Typed, then Return")  # type: ignore[no-untyped-call]
    with qtbot.waitSignal(dialog.succeeded, timeout=10_000):
        qtbot.keyClick(edit, Qt.Key.Key_Return)  # type: ignore[no-untyped-call]
    assert alice_window.reveal_dialog is not None


# --- create, reveal, copy -----------------------------------------------------------------


def test_create_reveal_copy(
    alice_window: TokenWindow, local_hub: LocalHub, hub_clock: HubClock, qtbot: QtBot
) -> None:
    dialog = alice_window.open_new_token_dialog()
    qtbot.keyClicks(dialog.description.edit, "CI: release pipeline")  # type: ignore[no-untyped-call]
    dialog.scope_buttons[Scope.WRITE].click()
    dialog.expiry.setCurrentIndex(dialog.expiry.findData("30d"))
    reveal = generate(qtbot, dialog)

    secret = reveal.secret_field.text()
    assert secret.startswith("dckr_pat_")
    assert reveal.secret_field.isReadOnly()
    assert reveal.login_field.text() == "docker login -u alice --password-stdin"
    reveal.copy_button.click()
    assert QApplication.clipboard().text() == secret
    assert "cleared in" in reveal.copy_note.text()
    reveal.copy_login_button.click()
    assert QApplication.clipboard().text() == "docker login -u alice --password-stdin"

    on_hub = hub_token(local_hub, "CI: release pipeline")
    assert on_hub["scopes"] == ["repo:write"]
    assert parse_time(on_hub["expires_at"], "expires_at") == hub_clock.now() + timedelta(days=30)
    row = row_labelled(alice_window, "CI: release pipeline")
    assert alice_window.selected_rows() == [row]  # the new token is selected, in view
    assert row.texts[Column.SCOPE] == "Read & Write"
    assert row.texts[Column.EXPIRES] == "in 30 days"
    assert alice_window.status.notice.text() == "Created “CI: release pipeline”."

    with qtbot.waitSignal(reveal.destroyed, timeout=5000):
        reveal.accept()
    assert alice_window.reveal_dialog is None


def test_the_secret_is_shown_once_and_kept_nowhere(
    alice_window: TokenWindow, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    dialog = alice_window.open_new_token_dialog()
    dialog.description.edit.setText("one-off")
    reveal = generate(qtbot, dialog)
    secret = reveal.secret_field.text()
    reveal.copy_button.click()
    field = reveal.secret_field
    reveal.accept()
    assert field.text() == ""  # cleared before the dialog goes
    model = alice_window.controller.model
    cells = [text for row in model.rows for text in (*row.texts, *row.tooltips)]
    assert not any(secret in text for text in cells)
    assert secret not in caplog.text


def test_closing_without_copying_asks_first(
    alice_window: TokenWindow, prompts: ScriptedPrompts, qtbot: QtBot
) -> None:
    dialog = alice_window.open_new_token_dialog()
    dialog.description.edit.setText("never copied")
    reveal = generate(qtbot, dialog)
    prompts.confirm_answer = False
    reveal.reject()  # Esc or the title bar's X
    assert reveal.isVisible()
    assert "cannot be shown again" in prompts.confirmations[-1]
    prompts.confirm_answer = True
    with qtbot.waitSignal(reveal.destroyed, timeout=5000):
        reveal.reject()


def test_a_failed_create_is_shown_in_the_dialog(
    alice_window: TokenWindow, local_hub: LocalHub, qtbot: QtBot
) -> None:
    local_hub.set_faults(Fault("error", value=500, method="POST", path="/v2/access-tokens"))
    dialog = alice_window.open_new_token_dialog()
    dialog.description.edit.setText("will fail")
    dialog.accept_button.click()
    assert dialog.busy and not dialog.accept_button.isEnabled()
    dialog.reject()  # ignored while the hub is asked: a token made meanwhile would be lost
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert dialog.isVisible()
    assert dialog.error_label.text() == "Docker Hub had a server error. Try again in a moment."
    assert dialog.accept_button.isEnabled() and dialog.accept_button.text() == "Generate"
    assert alice_window.reveal_dialog is None


def test_new_token_from_the_tray_without_the_window(alice_window: TokenWindow) -> None:
    alice_window.hide()
    dialog = alice_window.open_new_token_dialog()
    assert dialog.parent() is None and dialog.isVisible()
    dialog.reject()


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)
