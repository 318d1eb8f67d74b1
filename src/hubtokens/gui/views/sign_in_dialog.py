"""The sign-in dialog: username and password (or an access token), the two-factor code when the
hub asks for one, and the result, in three steps of one window.

The work runs as tasks (``SignInService`` returns a ``TaskHandle``); while one runs the dialog is
busy and Cancel stops waiting. The password leaves the field when the task is submitted: the
dialog keeps no copy of it.
"""

from __future__ import annotations

import html
from enum import Enum
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hubtokens.core.errors import UsageError
from hubtokens.core.hub.models import TwoFactorChallenge
from hubtokens.core.hub.urls import DEFAULT_HUB_URL, normalize_hub_url
from hubtokens.core.keeper import SignInResult
from hubtokens.core.secret import Secret
from hubtokens.gui.icons import app_icon
from hubtokens.gui.messages import describe_error
from hubtokens.gui.state import as_sentence, hub_name
from hubtokens.gui.tasks import TaskHandle
from hubtokens.gui.views.style import ERROR_STYLE, NOTE_STYLE, scaled_font


class SignInService(Protocol):
    """What the dialog needs from the session controller."""

    def sign_in(self, hub_url: str, username: str, password: Secret) -> TaskHandle: ...

    def complete_two_factor(
        self, hub_url: str, challenge: TwoFactorChallenge, code: str
    ) -> TaskHandle: ...


class Step(Enum):
    CREDENTIALS = 0
    CODE = 1
    DONE = 2


class SignInDialog(QDialog):
    step_changed = Signal(object)  # Step
    failed = Signal(str)  # the inline error now shown
    busy_changed = Signal(bool)

    def __init__(
        self, service: SignInService, *, hub_url: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._hub_url = hub_url
        self._handle: TaskHandle | None = None
        self._challenge: TwoFactorChallenge | None = None
        self.setWindowTitle("Sign in · Hub Tokens")
        self.setWindowIcon(app_icon())
        self.setMinimumWidth(440)

        self._title = QLabel()
        self._title.setFont(scaled_font(self.font(), 1.35, bold=True))
        self._subtitle = QLabel()
        self._subtitle.setWordWrap(True)
        self._subtitle.setStyleSheet(NOTE_STYLE)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._credentials_page(hub_url))
        self._stack.addWidget(self._code_page())
        self._stack.addWidget(self._done_page())
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setStyleSheet(ERROR_STYLE)
        self._error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._error.hide()
        self._progress = QProgressBar()
        self._progress.setRange(0, 0)  # busy, no percentage
        self._progress.setTextVisible(False)
        self._progress.setMaximumHeight(6)
        self._busy_text = QLabel()
        self._busy_text.setStyleSheet(NOTE_STYLE)
        busy_row = QHBoxLayout()
        busy_row.addWidget(self._busy_text)
        busy_row.addWidget(self._progress, 1)
        self._busy_row = QWidget()
        self._busy_row.setLayout(busy_row)
        busy_row.setContentsMargins(0, 0, 0, 0)
        self._busy_row.hide()

        self._buttons = QDialogButtonBox()
        self._primary = self._buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self._cancel = self._buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self._primary.setDefault(True)
        self._buttons.accepted.connect(self._on_primary_clicked)
        self._buttons.rejected.connect(self.reject)

        header = QHBoxLayout()
        header.setSpacing(14)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(44, 44))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        header.addWidget(icon)
        titles = QVBoxLayout()
        titles.setSpacing(4)
        titles.addWidget(self._title)
        titles.addWidget(self._subtitle)
        header.addLayout(titles, 1)

        root = QVBoxLayout(self)
        root.setContentsMargins(24, 22, 24, 18)
        root.setSpacing(16)
        root.addLayout(header)
        root.addWidget(self._stack)
        root.addWidget(self._error)
        root.addWidget(self._busy_row)
        root.addWidget(self._buttons)
        self._show_step(Step.CREDENTIALS)
        self._update_primary()

    # --- pages --------------------------------------------------------------------------

    def _credentials_page(self, hub_url: str) -> QWidget:
        self._username = QLineEdit()
        self._username.setPlaceholderText("Docker ID")
        self._password = QLineEdit()
        self._password.setEchoMode(QLineEdit.EchoMode.Password)
        self._password.setPlaceholderText("Password")
        pat_note = QLabel(
            "An access token signs docker in, but cannot create or manage tokens: "
            "sign in with your password for that."
        )
        pat_note.setWordWrap(True)
        pat_note.setStyleSheet(NOTE_STYLE)
        self._advanced = QToolButton()
        self._advanced.setText("Advanced")
        self._advanced.setCheckable(True)
        self._advanced.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._advanced.setAutoRaise(True)
        self._advanced.setStyleSheet("QToolButton { border: none; padding: 2px 0; }")
        self._hub = QLineEdit(hub_url)
        self._hub.setPlaceholderText(DEFAULT_HUB_URL)
        hub_label = QLabel("Hub URL")
        self._hub_row = QWidget()
        hub_row = QFormLayout(self._hub_row)
        hub_row.setContentsMargins(0, 0, 0, 0)
        hub_row.addRow(hub_label, self._hub)
        self._advanced.toggled.connect(self._on_advanced_toggled)
        self._advanced.setChecked(hub_url != DEFAULT_HUB_URL)
        self._on_advanced_toggled(self._advanced.isChecked())
        for field in (self._username, self._password, self._hub):
            field.textChanged.connect(self._update_primary)

        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setVerticalSpacing(6)
        form.addRow("Username", self._username)
        form.addRow("Password or access token", self._password)
        form.addRow(pat_note)
        form.addRow(self._advanced)
        form.addRow(self._hub_row)
        return page

    def _code_page(self) -> QWidget:
        self._code_prompt = QLabel()
        self._code_prompt.setWordWrap(True)
        self._code = QLineEdit()
        self._code.setPlaceholderText("123456")
        self._code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._code.setMaxLength(32)  # a 6-digit code, or a longer recovery code
        code_font = scaled_font(self.font(), 1.6)
        code_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 4)
        self._code.setFont(code_font)
        self._code.textChanged.connect(self._update_primary)
        code_note = QLabel(
            "Authenticator codes change every 30 seconds: if one is refused, try the next."
        )
        code_note.setWordWrap(True)
        code_note.setStyleSheet(NOTE_STYLE)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self._code_prompt)
        layout.addWidget(self._code)
        layout.addWidget(code_note)
        layout.addStretch(1)
        return page

    def _done_page(self) -> QWidget:
        self._done_text = QLabel()
        self._done_text.setWordWrap(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._done_text)
        layout.addStretch(1)
        return page

    # --- public -------------------------------------------------------------------------

    @property
    def step(self) -> Step:
        return Step(self._stack.currentIndex())

    @property
    def busy(self) -> bool:
        return self._handle is not None

    @property
    def username(self) -> str:
        return self._username.text().strip()

    @property
    def error_text(self) -> str:
        return self._error.text() if not self._error.isHidden() else ""

    def fill(self, username: str) -> None:
        self._username.setText(username)
        self._password.setFocus()

    def ask_for_code(self, challenge: TwoFactorChallenge) -> None:
        """Show the code step for ``challenge`` (from the hub, via the sign-in task)."""
        self._challenge = challenge
        self._code_prompt.setText(
            f"Docker Hub asked for a second factor for <b>{html.escape(challenge.username)}</b>. "
            "Enter the 6-digit code from your authenticator app, or a recovery code."
        )
        self._code.clear()
        self._show_step(Step.CODE)
        self._code.setFocus()

    def reject(self) -> None:
        """Cancel (or Escape) while busy stops waiting and keeps the dialog open."""
        if self._handle is not None:
            self._handle.cancel()
            self._set_busy(None, "")
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._set_busy(None, "")
        super().closeEvent(event)

    # --- flow ---------------------------------------------------------------------------

    def _on_primary_clicked(self) -> None:
        if self._handle is not None:
            return
        step = self.step
        if step is Step.CREDENTIALS:
            self._submit_credentials()
        elif step is Step.CODE:
            self._submit_code()
        else:
            self.accept()

    def _submit_credentials(self) -> None:
        username = self._username.text().strip()
        if not username or not self._password.text():
            return
        try:
            hub_url = normalize_hub_url(self._hub.text().strip() or DEFAULT_HUB_URL)
        except UsageError as exc:
            self._advanced.setChecked(True)
            self._show_error(describe_error(exc))
            self._hub.setFocus()
            return
        self._hub_url = hub_url
        password = Secret(self._password.text())
        self._password.clear()  # never kept once submitted
        self._run(self._service.sign_in(hub_url, username, password), "Signing in…")

    def _submit_code(self) -> None:
        code = self._code.text().strip()
        if not code or self._challenge is None:
            return
        self._run(
            self._service.complete_two_factor(self._hub_url, self._challenge, code),
            "Checking the code…",
        )

    def _run(self, handle: TaskHandle, busy_text: str) -> None:
        self._hide_error()
        handle.succeeded.connect(self._on_task_succeeded)
        handle.failed.connect(self._on_task_failed)
        self._set_busy(handle, busy_text)

    def _on_task_succeeded(self, result: SignInResult | TwoFactorChallenge) -> None:
        self._set_busy(None, "")
        if isinstance(result, TwoFactorChallenge):
            self.ask_for_code(result)
        else:
            self._show_result(result)

    def _on_task_failed(self, error: BaseException) -> None:
        self._set_busy(None, "")
        self._show_error(describe_error(error))
        if self.step is Step.CODE:
            self._code.selectAll()
            self._code.setFocus()
        else:
            self._password.setFocus()

    def _show_result(self, result: SignInResult) -> None:
        if result.with_pat:
            text = (
                "docker uses the access token you signed in with. To create or manage "
                "tokens, sign out and sign in with your password."
            )
        elif result.report is not None:
            text = f"{as_sentence(result.report.message)}. docker can use it from now on."
        else:
            text = "docker can use this device's token from now on."
        self._done_text.setText(text)
        self._show_step(Step.DONE, account=result.account)
        self._primary.setFocus()

    # --- presentation -------------------------------------------------------------------

    def _show_step(self, step: Step, *, account: str = "") -> None:
        self._stack.setCurrentIndex(step.value)
        for page_step in Step:
            # Only the current page counts for the size, so the dialog fits each step.
            policy = (
                QSizePolicy.Policy.Preferred if page_step is step else QSizePolicy.Policy.Ignored
            )
            page = self._stack.widget(page_step.value)
            assert page is not None
            page.setSizePolicy(policy, policy)
        self.adjustSize()
        self._hide_error()
        hub = hub_name(self._hub_url)
        if step is Step.CREDENTIALS:
            self._title.setText(f"Sign in to {hub}")
            self._subtitle.setText(
                "Hub Tokens keeps an access token for docker on this device. "
                "Your password is never stored."
            )
            self._primary.setText("Sign in")
        elif step is Step.CODE:
            self._title.setText("Two-factor authentication")
            self._subtitle.setText(f"One more step to sign in to {hub}.")
            self._primary.setText("Verify")
        else:
            self._title.setText(f"Signed in as {account}")
            self._subtitle.setText(f"On {hub}.")
            self._primary.setText("Done")
        self._cancel.setVisible(step is not Step.DONE)
        self._update_primary()
        self.step_changed.emit(step)

    def _set_busy(self, handle: TaskHandle | None, text: str) -> None:
        self._handle = handle
        busy = handle is not None
        self._stack.setEnabled(not busy)
        self._busy_text.setText(text)
        self._busy_row.setVisible(busy)
        self._update_primary()
        self.busy_changed.emit(busy)

    def _update_primary(self) -> None:
        step = self.step
        if step is Step.CREDENTIALS:
            ready = bool(self._username.text().strip() and self._password.text())
        elif step is Step.CODE:
            ready = bool(self._code.text().strip())
        else:
            ready = True
        self._primary.setEnabled(ready and self._handle is None)

    def _show_error(self, text: str) -> None:
        self._error.setText(text)
        self._error.show()
        self.failed.emit(text)

    def _hide_error(self) -> None:
        self._error.clear()
        self._error.hide()

    def _on_advanced_toggled(self, shown: bool) -> None:
        self._advanced.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self._hub_row.setVisible(shown)
