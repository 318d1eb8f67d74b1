"""The sign-in dialog. It leads with the browser, as Docker Desktop does: "Continue in browser"
asks for a one-time code, shows it, opens the sign-in page, and waits until the person approves
there; the dialog then closes. The second way is the password form: username and password (or
an access token), the two-factor code when the hub asks for one, and the result.

The work runs as tasks (``SignInTasks`` returns a ``TaskHandle``). Cancel (or Escape) while
the browser sign-in waits wakes the waiting task and closes the dialog at once; while a
password sign-in runs it stops waiting and keeps the dialog open. The password leaves the field
when the task is submitted: the dialog keeps no copy of it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont, QGuiApplication
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
from hubtokens.core.hub.oauth import DeviceAuthorization
from hubtokens.core.hub.urls import DEFAULT_HUB_URL, normalize_hub_url
from hubtokens.core.keeper import SignInResult
from hubtokens.core.secret import Secret
from hubtokens.gui.browser import UrlOpener, open_in_browser
from hubtokens.gui.icons import app_icon
from hubtokens.gui.messages import describe_error
from hubtokens.gui.state import as_sentence, hub_name
from hubtokens.gui.tasks import TaskHandle
from hubtokens.gui.views.style import ERROR_STYLE, NOTE_STYLE, scaled_font
from hubtokens.gui.views.web_sign_in_pages import (
    CodePage,
    NotePage,
    link_button,
    problem_words,
    start_words,
)

COUNTDOWN_MS = 1000
_MARGIN = 24
_CONTENT_WIDTH = 440


class SignInTasks(Protocol):
    """What the dialog needs from the session controller."""

    def sign_in(self, hub_url: str, username: str, password: Secret) -> TaskHandle: ...

    def complete_two_factor(
        self, hub_url: str, challenge: TwoFactorChallenge, code: str
    ) -> TaskHandle: ...

    def start_web_sign_in(self, hub_url: str) -> TaskHandle: ...

    def complete_web_sign_in(
        self, hub_url: str, authorization: DeviceAuthorization
    ) -> TaskHandle: ...


class Step(Enum):
    BROWSER = 0  # the lead: "Continue in browser"
    BROWSER_CODE = 1  # the one-time code, while the browser sign-in waits for approval
    BROWSER_FAILED = 2  # denied, expired, unreachable: what happened, and Try again
    CREDENTIALS = 3
    TWO_FACTOR = 4
    DONE = 5


_BROWSER_STEPS = frozenset({Step.BROWSER, Step.BROWSER_CODE, Step.BROWSER_FAILED})


class SignInDialog(QDialog):
    failed = Signal(str)  # the inline error now shown
    signed_in = Signal(object)  # SignInResult of a browser sign-in, just before closing

    def __init__(
        self,
        service: SignInTasks,
        *,
        hub_url: str,
        open_url: UrlOpener = open_in_browser,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._hub_url = hub_url
        self._open_url = open_url
        self._clock = clock
        self._handle: TaskHandle | None = None
        self._challenge: TwoFactorChallenge | None = None
        self._authorization: DeviceAuthorization | None = None
        self._problem_title = ""
        self.setWindowTitle("Sign in · Hub Tokens")
        self.setWindowIcon(app_icon())
        self.setFixedWidth(_CONTENT_WIDTH + 2 * _MARGIN)
        self._countdown = QTimer(self)
        self._countdown.setInterval(COUNTDOWN_MS)
        self._countdown.timeout.connect(self._show_time_left)

        self._stack = self._pages()
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setStyleSheet(ERROR_STYLE)
        self._error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._error.hide()
        self._busy_row = self._busy_indicator()
        self._buttons = QDialogButtonBox()
        self._primary = self._buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self._cancel = self._buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self._cancel.setAccessibleName("Cancel the sign-in")
        self._buttons.accepted.connect(self._on_primary_clicked)
        self._buttons.rejected.connect(self.reject)

        root = QVBoxLayout(self)
        root.setContentsMargins(_MARGIN, 22, _MARGIN, 18)
        root.setSpacing(16)
        root.addLayout(self._header())
        root.addWidget(self._stack)
        root.addWidget(self._hub_box(hub_url))
        root.addWidget(self._error)
        root.addWidget(self._busy_row)
        root.addWidget(self._buttons)
        self._show_step(Step.BROWSER)
        self._update_primary()

    # --- pages --------------------------------------------------------------------------

    def _header(self) -> QHBoxLayout:
        """The app's icon beside the step's title and what it is about."""
        self._title = QLabel()
        self._title.setFont(scaled_font(self.font(), 1.35, bold=True))
        self._subtitle = QLabel()
        self._subtitle.setWordWrap(True)
        self._subtitle.setStyleSheet(NOTE_STYLE)
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
        return header

    def _pages(self) -> QStackedWidget:
        """One page per ``Step``, in its order."""
        self._start_page = NotePage("How signing in through the browser works")
        self._start_page.password_link.clicked.connect(self.use_password)
        self._browser_code = CodePage()
        self._browser_code.copy_button.clicked.connect(self._on_copy_code_clicked)
        self._browser_code.reopen_link.clicked.connect(self._on_reopen_clicked)
        self._problem_page = NotePage("What happened")
        self._problem_page.password_link.clicked.connect(self.use_password)
        stack = QStackedWidget()
        stack.addWidget(self._start_page)
        stack.addWidget(self._browser_code)
        stack.addWidget(self._problem_page)
        stack.addWidget(self._credentials_page())
        stack.addWidget(self._two_factor_page())
        stack.addWidget(self._done_page())
        return stack

    def _busy_indicator(self) -> QWidget:
        """What is being done, with a busy bar; shown while a task runs."""
        self._progress = QProgressBar()
        self._progress.setRange(0, 0)  # busy, no percentage
        self._progress.setTextVisible(False)
        self._progress.setMaximumHeight(6)
        self._busy_text = QLabel()
        self._busy_text.setStyleSheet(NOTE_STYLE)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._busy_text)
        layout.addWidget(self._progress, 1)
        row.hide()
        return row

    def _hub_box(self, hub_url: str) -> QWidget:
        """Which hub to sign in to, under "Advanced": shared by both ways of signing in."""
        self._advanced = QToolButton()
        self._advanced.setText("Advanced")
        self._advanced.setCheckable(True)
        self._advanced.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._advanced.setAutoRaise(True)
        self._advanced.setStyleSheet("QToolButton { border: none; padding: 2px 0; }")
        self._advanced.setAccessibleName("Advanced: which hub to sign in to")
        self._hub = QLineEdit(hub_url)
        self._hub.setPlaceholderText(DEFAULT_HUB_URL)
        self._hub.setAccessibleName("Hub URL")
        hub_label = QLabel("Hub URL")
        hub_label.setBuddy(self._hub)
        self._hub_row = QWidget()
        hub_row = QFormLayout(self._hub_row)
        hub_row.setContentsMargins(0, 0, 0, 0)
        hub_row.addRow(hub_label, self._hub)
        self._advanced.toggled.connect(self._on_advanced_toggled)
        self._advanced.setChecked(hub_url != DEFAULT_HUB_URL)
        self._on_advanced_toggled(self._advanced.isChecked())
        self._hub.textChanged.connect(self._update_primary)
        self._hub.textChanged.connect(self._on_hub_edited)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self._advanced, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self._hub_row)
        self._hub_box_widget = box
        return box

    def _credentials_page(self) -> QWidget:
        self._username = QLineEdit()
        self._username.setPlaceholderText("Docker ID")
        self._username.setAccessibleName("Username")
        self._password = QLineEdit()
        self._password.setEchoMode(QLineEdit.EchoMode.Password)
        self._password.setPlaceholderText("Password")
        self._password.setAccessibleName("Password or access token")
        pat_note = QLabel(
            "An access token signs docker in, but cannot create or manage tokens: "
            "sign in with your password for that."
        )
        pat_note.setWordWrap(True)
        pat_note.setStyleSheet(NOTE_STYLE)
        self._browser_link = link_button(
            "Continue in browser instead", "Continue in browser instead"
        )
        self._browser_link.clicked.connect(self.use_browser)
        for field in (self._username, self._password):
            field.textChanged.connect(self._update_primary)

        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        form.setVerticalSpacing(6)
        form.addRow("Username", self._username)
        form.addRow("Password or access token", self._password)
        form.addRow(pat_note)
        form.addRow(self._browser_link)
        return page

    def _two_factor_page(self) -> QWidget:
        self._two_factor_prompt = QLabel()
        self._two_factor_prompt.setWordWrap(True)
        self._two_factor_code = QLineEdit()
        self._two_factor_code.setPlaceholderText("123456")
        self._two_factor_code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._two_factor_code.setMaxLength(32)  # a 6-digit code, or a longer recovery code
        self._two_factor_code.setAccessibleName("Two-factor code")
        code_font = scaled_font(self.font(), 1.6)
        code_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 4)
        self._two_factor_code.setFont(code_font)
        self._two_factor_code.textChanged.connect(self._update_primary)
        code_note = QLabel(
            "Authenticator codes change every 30 seconds: if one is refused, try the next."
        )
        code_note.setWordWrap(True)
        code_note.setStyleSheet(NOTE_STYLE)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self._two_factor_prompt)
        layout.addWidget(self._two_factor_code)
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

    @property
    def shown_code(self) -> str:
        """The one-time code on show (empty when none is)."""
        return self._browser_code.code.text() if self.step is Step.BROWSER_CODE else ""

    @property
    def problem(self) -> str:
        """The title of the browser sign-in's failure on show (empty when none is)."""
        return self._problem_title if self.step is Step.BROWSER_FAILED else ""

    def fill(self, username: str) -> None:
        """For signing in again: the password form (the second way) knows the account."""
        self._username.setText(username)

    def use_password(self) -> None:
        """The second way: the username and password form."""
        self._stop_browser_sign_in()
        self._show_step(Step.CREDENTIALS)
        (self._password if self._username.text() else self._username).setFocus()

    def use_browser(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._set_busy(None, "")
        self._show_step(Step.BROWSER)
        self._primary.setFocus()

    def ask_for_two_factor_code(self, challenge: TwoFactorChallenge) -> None:
        """Show the code step for ``challenge`` (from the hub, via the sign-in task)."""
        self._challenge = challenge
        self._two_factor_prompt.setText(
            f"Docker Hub asked for a second factor for <b>{html.escape(challenge.username)}</b>. "
            "Enter the 6-digit code from your authenticator app, or a recovery code."
        )
        self._two_factor_code.clear()
        self._show_step(Step.TWO_FACTOR)
        self._two_factor_code.setFocus()

    def show_authorization(self, authorization: DeviceAuthorization, *, opened: bool) -> None:
        """The code-and-wait step for ``authorization`` (also for the screenshots)."""
        self._authorization = authorization
        self._browser_code.show_authorization(authorization, opened=opened)
        self._show_time_left()
        self._show_step(Step.BROWSER_CODE)
        self._countdown.start()
        self._browser_code.copy_button.setFocus()

    def show_problem(self, error: BaseException) -> None:
        """The browser sign-in failed with ``error``: say what happened, offer Try again."""
        self._stop_browser_sign_in()
        self._problem_title, text = problem_words(error)
        self._problem_page.text.setText(text)
        self._show_step(Step.BROWSER_FAILED)
        self._primary.setFocus()

    def reject(self) -> None:
        """Cancel (or Escape). The browser sign-in stops waiting and the dialog closes at once;
        a password sign-in that runs stops waiting and the dialog stays open."""
        if self._handle is not None and self.step not in _BROWSER_STEPS:
            self._handle.cancel()
            self._set_busy(None, "")
            return
        self._stop_browser_sign_in()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._handle is not None:
            self._handle.cancel()  # wakes a waiting browser sign-in at once
            self._set_busy(None, "")
        self._countdown.stop()
        super().closeEvent(event)

    # --- flow ---------------------------------------------------------------------------

    def _on_primary_clicked(self) -> None:
        if self._handle is not None:
            return
        step = self.step
        if step in (Step.BROWSER, Step.BROWSER_FAILED):
            self._start_browser_sign_in()
        elif step is Step.CREDENTIALS:
            self._submit_credentials()
        elif step is Step.TWO_FACTOR:
            self._submit_code()
        elif step is Step.DONE:
            self.accept()

    def _read_hub_url(self) -> str | None:
        """The hub URL as typed, normalized; None (and the error shown) if it is not one."""
        try:
            return self._typed_hub_url()
        except UsageError as exc:
            self._advanced.setChecked(True)
            self._show_error(describe_error(exc))
            self._hub.setFocus()
            return None

    def continue_in_browser(self) -> None:
        """Continue in browser (or Try again): ask for a new code, show it, open the page."""
        if self._handle is None:
            self._start_browser_sign_in()

    def _start_browser_sign_in(self) -> None:
        hub_url = self._read_hub_url()
        if hub_url is None:
            return
        self._hub_url = hub_url
        handle = self._service.start_web_sign_in(hub_url)
        handle.succeeded.connect(self._on_authorization)
        handle.failed.connect(self._on_browser_sign_in_failed)
        self._hide_error()
        self._set_busy(handle, "Asking for a sign-in code…")

    def _on_authorization(self, authorization: DeviceAuthorization) -> None:
        self._set_busy(None, "")
        opened = self._open_url(authorization.verification_uri_complete)
        self.show_authorization(authorization, opened=opened)
        handle = self._service.complete_web_sign_in(self._hub_url, authorization)
        handle.succeeded.connect(self._on_browser_signed_in)
        handle.failed.connect(self._on_browser_sign_in_failed)
        self._set_busy(handle, "")

    def _on_browser_signed_in(self, result: SignInResult) -> None:
        self._set_busy(None, "")
        self._countdown.stop()
        self.signed_in.emit(result)
        self.accept()

    def _on_browser_sign_in_failed(self, error: BaseException) -> None:
        self._set_busy(None, "")
        self._countdown.stop()
        self.show_problem(error)

    def _stop_browser_sign_in(self) -> None:
        if self._handle is not None and self.step in _BROWSER_STEPS:
            self._handle.cancel()  # wakes the waiting task at once
            self._set_busy(None, "")
        self._countdown.stop()

    def _on_copy_code_clicked(self) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(self._browser_code.code.text())
        self._browser_code.copy_button.setText("Copied")

    def _on_reopen_clicked(self) -> None:
        if self._authorization is not None:
            self._open_url(self._authorization.verification_uri_complete)

    def _show_time_left(self) -> None:
        if self._authorization is not None:
            self._browser_code.show_time_left(self._authorization.expires_at, self._clock())

    def _submit_credentials(self) -> None:
        username = self._username.text().strip()
        if not username or not self._password.text():
            return
        hub_url = self._read_hub_url()
        if hub_url is None:
            return
        self._hub_url = hub_url
        password = Secret(self._password.text())
        self._password.clear()  # never kept once submitted
        self._run(self._service.sign_in(hub_url, username, password), "Signing in…")

    def _submit_code(self) -> None:
        code = self._two_factor_code.text().strip()
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
            self.ask_for_two_factor_code(result)
        else:
            self._show_result(result)

    def _on_task_failed(self, error: BaseException) -> None:
        self._set_busy(None, "")
        self._show_error(describe_error(error))
        if self.step is Step.TWO_FACTOR:
            self._two_factor_code.selectAll()
            self._two_factor_code.setFocus()
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
            # A stack asks its page for a size without the width: wrapped text would be cut.
            page.setMinimumHeight(
                max(0, page.heightForWidth(_CONTENT_WIDTH)) if page_step is step else 0
            )
        self._hub_box_widget.setVisible(step in (Step.BROWSER, Step.CREDENTIALS))
        self._hide_error()
        hub = hub_name(self._hub_url)
        self._title.setText(self._title_for(step, hub, account))
        self._subtitle.setText(self._subtitle_for(step, hub))
        self._primary.setText(_PRIMARY[step])
        self._primary.setVisible(step is not Step.BROWSER_CODE)
        # Hidden while the code is on show (Return copies the code there, from Copy code's
        # focus). Made default only here, once in the dialog: made default before, Qt would
        # not count it as the dialog's, and the first button the focus passed (Cancel) would
        # keep Return.
        self._primary.setDefault(True)
        self._cancel.setVisible(step is not Step.DONE)
        if step is Step.BROWSER:
            self._start_page.text.setText(start_words(self._hub_url))
        self._update_primary()
        self.adjustSize()

    def _title_for(self, step: Step, hub: str, account: str) -> str:
        if step is Step.BROWSER_CODE:
            return "Continue in your browser"
        if step is Step.BROWSER_FAILED:
            return self._problem_title
        if step is Step.TWO_FACTOR:
            return "Two-factor authentication"
        if step is Step.DONE:
            return f"Signed in as {account}"
        return f"Sign in to {hub}"

    def _subtitle_for(self, step: Step, hub: str) -> str:
        if step is Step.BROWSER_CODE:
            return f"Approve this device in the browser to sign in to {hub}."
        if step is Step.BROWSER_FAILED:
            return f"This device is not signed in to {hub}."
        if step is Step.CREDENTIALS:
            return "With the username and password of your account. Your password is never stored."
        if step is Step.TWO_FACTOR:
            return f"One more step to sign in to {hub}."
        if step is Step.DONE:
            return f"On {hub}."
        return (
            "Hub Tokens keeps an access token for docker on this device, and renews "
            "your sign-in by itself."
        )

    def _set_busy(self, handle: TaskHandle | None, text: str) -> None:
        self._handle = handle
        busy = handle is not None
        # The code and its Copy button stay usable while the browser sign-in waits.
        self._stack.setEnabled(not busy or self.step is Step.BROWSER_CODE)
        self._busy_text.setText(text)
        self._busy_row.setVisible(busy)
        self._update_primary()

    def _update_primary(self) -> None:
        step = self.step
        if step is Step.CREDENTIALS:
            ready = bool(self._username.text().strip() and self._password.text())
        elif step is Step.TWO_FACTOR:
            ready = bool(self._two_factor_code.text().strip())
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

    def _on_hub_edited(self) -> None:
        try:
            hub_url = self._typed_hub_url()
        except UsageError:
            return  # said when it is used
        self._start_page.text.setText(start_words(hub_url))

    def _typed_hub_url(self) -> str:
        """The hub URL field's, normalized (empty: Docker Hub); UsageError if not a URL."""
        return normalize_hub_url(self._hub.text().strip() or DEFAULT_HUB_URL)


_PRIMARY = {
    Step.BROWSER: "Continue in browser",
    Step.BROWSER_CODE: "",
    Step.BROWSER_FAILED: "Try again",
    Step.CREDENTIALS: "Sign in",
    Step.TWO_FACTOR: "Verify",
    Step.DONE: "Done",
}
