"""The sign-in dialog's pages for the browser sign-in (the device authorization grant, as Docker
Desktop and ``docker login`` sign in): the start, the one-time code while the app waits for the
browser, and a sign-in that did not complete. Widgets and words only; the dialog runs the flow.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hubtokens.core.errors import (
    SignInDenied,
    SignInExpired,
    SignInServiceUnreachable,
)
from hubtokens.core.hub.oauth import DeviceAuthorization
from hubtokens.core.hub.urls import DEFAULT_HUB_URL
from hubtokens.gui.messages import describe_error
from hubtokens.gui.state import hub_name
from hubtokens.gui.views.style import NOTE_STYLE, scaled_font

LINK_STYLE = (
    "QPushButton { border: none; padding: 2px 0; color: palette(link); text-align: left; }"
    "QPushButton:hover { text-decoration: underline; }"
)


def link_button(text: str, accessible_name: str) -> QPushButton:
    """A button that looks like a link: the second way, beside the dialog's main button."""
    button = QPushButton(text)
    button.setFlat(True)
    button.setAutoDefault(False)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setStyleSheet(LINK_STYLE)
    button.setAccessibleName(accessible_name)
    return button


def _paragraph(text: str = "", *, note: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if note:
        label.setStyleSheet(NOTE_STYLE)
    return label


class NotePage(QWidget):
    """Words, and the way to the password form: the start (what "Continue in browser" does)
    and a sign-in that did not complete (what happened; Try again is the dialog's button)."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = _paragraph()
        self.text.setAccessibleName(accessible_name)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.password_link = link_button(
            "Sign in with a password instead", "Sign in with a password instead"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(self.text)
        layout.addWidget(self.password_link, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)


def start_words(hub_url: str) -> str:
    """What "Continue in browser" does, on the dialog's first page. Docker's sign-in page
    offers more ways to sign in than another hub's (the local hub's takes a password)."""
    ways = (
        "password, Google, GitHub or single sign-on"
        if hub_url == DEFAULT_HUB_URL
        else "your password"
    )
    return (
        f"Your browser opens {hub_name(hub_url)}'s sign-in page: sign in there as you do on "
        f"the web ({ways}, and your two-factor code if you use one), then approve this "
        "device. Hub Tokens never sees your password."
    )


class CodePage(QWidget):
    """The one-time code, large and copyable, the page it goes into, and the time left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        caption = QLabel("Your one-time code")
        caption.setStyleSheet(NOTE_STYLE)
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code = QLabel()
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        code_font = scaled_font(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont), 2.2)
        code_font.setBold(True)
        code_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 3)
        self.code.setFont(code_font)
        self.copy_button = QPushButton("Copy code")
        self.copy_button.setAccessibleName("Copy the one-time code")
        # Return copies while it has the focus: the dialog's own button is hidden on this page.
        self.copy_button.setAutoDefault(True)
        copy_row = QHBoxLayout()
        copy_row.addStretch(1)
        copy_row.addWidget(self.copy_button)
        copy_row.addStretch(1)
        self.instructions = _paragraph()
        self.instructions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reopen_link = link_button("Open the sign-in page again", "Open the sign-in page again")
        self.time_left = _paragraph(note=True)  # its text is what a screen reader reads
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(caption)
        layout.addWidget(self.code)
        layout.addLayout(copy_row)
        layout.addSpacing(6)
        layout.addWidget(self.instructions)
        layout.addWidget(self.reopen_link, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.time_left)
        layout.addStretch(1)
        QWidget.setTabOrder(self.copy_button, self.reopen_link)

    def show_authorization(self, authorization: DeviceAuthorization, *, opened: bool) -> None:
        self.code.setText(authorization.user_code)
        # A screen reader reads a label's name: it must carry the code itself.
        self.code.setAccessibleName(f"One-time code {authorization.user_code}")
        self.copy_button.setText("Copy code")
        page = authorization.verification_uri
        if opened:
            text = (
                f"Your browser opened {page}. Check that it shows this code, then sign in and "
                "approve. This window closes by itself once you have."
            )
        else:
            text = (
                f"Open {page} in a browser and enter this code, then sign in and approve. "
                "This window closes by itself once you have."
            )
        self.instructions.setText(text)

    def show_time_left(self, expires_at: datetime, now: datetime) -> None:
        seconds = max(0, int((expires_at - now).total_seconds()))
        self.time_left.setText(
            f"Waiting for your approval · the code expires in {seconds // 60}:{seconds % 60:02d}"
        )


def problem_words(error: BaseException) -> tuple[str, str]:
    """The title and the text for a browser sign-in that failed with ``error``."""
    if isinstance(error, SignInDenied):
        return (
            "Sign-in denied",
            "The sign-in was denied in the browser, so this device is not signed in and "
            "nothing was changed. If that was not you, there is nothing more to do; "
            "Try again makes a new code.",
        )
    if isinstance(error, SignInExpired):
        return (
            "The code expired",
            "The code was not approved in time, so this device is not signed in. "
            "Try again makes a new code and opens the page again.",
        )
    if isinstance(error, SignInServiceUnreachable):
        return (
            "Cannot reach the sign-in service",
            f"Hub Tokens cannot reach the service that signs you in ({error.message}), so "
            "this device is not signed in. Check your connection and try again.",
        )
    return "Could not sign in", describe_error(error)
