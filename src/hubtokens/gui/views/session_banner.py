"""A bar across the top of the token window saying why tokens cannot be managed right now
(session expired, signed in with a PAT), with a button to sign in again."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from hubtokens.gui.views.token_style import BANNER_STYLE


class SessionBanner(QFrame):
    sign_in_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionBanner")
        self.setStyleSheet(BANNER_STYLE.format(name="sessionBanner"))
        icon = QLabel()
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(24, 24)
        )
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.sign_in_button = QPushButton("Sign in…")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.sign_in_button)
        self.sign_in_button.clicked.connect(self.sign_in_requested)
        self.hide()

    def show_problem(self, problem: str | None) -> None:
        """``None`` hides the banner: token management works."""
        self.text.setText(problem or "")
        self.setVisible(problem is not None)
