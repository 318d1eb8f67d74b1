"""Shows a new token's secret, once: copy it, or the ``docker login`` line that uses it.

The secret lives only in this dialog. Closing it without having copied the secret asks first;
closing clears the field and drops the secret (the dialog deletes itself).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hubtokens.core.secret import Secret
from hubtokens.core.timefmt import exact
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.token_tasks import Created
from hubtokens.gui.views.style import NOTE_STYLE, scaled_font
from hubtokens.gui.views.token_prompts import TokenPrompts
from hubtokens.gui.views.token_style import BANNER_STYLE, mono_font


def login_command(account: str) -> str:
    return f"docker login -u {account} --password-stdin"


class RevealDialog(QDialog):
    def __init__(
        self,
        created: Created,
        clipboard: ClipboardGuard,
        prompts: TokenPrompts,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Access token created")
        self.setMinimumWidth(560)
        self._clipboard = clipboard
        self._prompts = prompts
        self._secret: Secret | None = created.created.secret
        self.copied = False
        token = created.created.token

        title = QLabel(f"“{token.label}” is ready")
        title.setFont(scaled_font(title.font(), 1.3, bold=True))
        scope = token.scope.label if token.scope is not None else ", ".join(token.scopes)
        expiry = (
            "never expires" if token.expires_at is None else f"expires {exact(token.expires_at)}"
        )
        details = _label(f"{scope} · {expiry}", style=NOTE_STYLE)

        warning = QFrame()
        warning.setObjectName("warning")
        warning.setStyleSheet(BANNER_STYLE.format(name="warning"))
        warning_layout = QVBoxLayout(warning)
        warning_layout.addWidget(
            _label(
                "<b>Copy this token now.</b> It cannot be shown again: once this window is "
                "closed, nobody can see it, not even on Docker Hub. Keep it in a password "
                "manager or your CI system's secret store."
            )
        )

        self.secret_field = _read_only_field(self._secret.reveal(), point_delta=2)
        self.secret_field.setAccessibleName("Access token")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setDefault(True)
        self.copy_note = _label("", style=NOTE_STYLE)
        self.login_field = _read_only_field(login_command(created.account))
        self.login_field.setAccessibleName("docker login command")
        self.copy_login_button = QPushButton("Copy command")

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.addWidget(_label("<b>Access token</b>"), 0, 0, 1, 2)
        grid.addWidget(self.secret_field, 1, 0)
        grid.addWidget(self.copy_button, 1, 1)
        grid.addWidget(self.copy_note, 2, 0, 1, 2)
        grid.addWidget(_label("<b>Sign in the docker CLI</b>"), 3, 0, 1, 2)
        grid.addWidget(self.login_field, 4, 0)
        grid.addWidget(self.copy_login_button, 4, 1)
        grid.addWidget(
            _label(
                "Run it, paste the token and press Ctrl+D (on Windows: Ctrl+Z, then Enter).",
                style=NOTE_STYLE,
            ),
            5,
            0,
            1,
            2,
        )
        grid.setColumnStretch(0, 1)

        buttons = QDialogButtonBox()
        self.done_button = buttons.addButton("Done", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        header = QVBoxLayout()
        header.setSpacing(2)
        header.addWidget(title)
        header.addWidget(details)
        layout.addLayout(header)
        layout.addWidget(warning)
        layout.addLayout(grid)
        layout.addWidget(buttons)

        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.copy_login_button.clicked.connect(self._on_copy_login_button_clicked)

    def _on_copy_button_clicked(self) -> None:
        if self._secret is None:
            return
        self._clipboard.copy_secret(self._secret.reveal())
        self.copied = True
        self.copy_button.setText("Copied ✓")
        self.copy_note.setText(
            f"Copied. The clipboard is cleared in {self._clipboard.clear_after_seconds} s "
            "unless you copy something else."
        )

    def _on_copy_login_button_clicked(self) -> None:
        self._clipboard.copy_text(self.login_field.text())
        self.copy_login_button.setText("Copied ✓")

    def done(self, result: int) -> None:
        """Every way of closing (Done, Esc, the title bar's X) ends here: ask if the secret
        was never copied, then forget it."""
        if not self.copied and not self._prompts.confirm(
            self,
            "Close without copying?",
            "You have not copied the token. Once this window is closed it cannot be shown "
            "again, and you would need to create another one.",
            "Close anyway",
        ):
            return
        self._secret = None
        self.secret_field.clear()
        super().done(result)


def _label(text: str, *, style: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(style)
    return label


def _read_only_field(text: str, point_delta: int = 0) -> QLineEdit:
    field = QLineEdit(text)
    field.setReadOnly(True)
    field.setFont(mono_font(point_delta))
    field.setCursorPosition(0)
    field.setMinimumHeight(field.sizeHint().height() + 6)
    return field
