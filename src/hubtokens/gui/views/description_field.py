"""A token description entry checked as it is typed (1–100 characters), with the reason
shown under it. Shared by the new-token and rename dialogs."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from hubtokens.core.errors import UsageError
from hubtokens.core.labels import MAX_LABEL_LENGTH
from hubtokens.core.validation import validate_description
from hubtokens.gui.views.style import ERROR_STYLE, NOTE_STYLE


class DescriptionField(QWidget):
    validity_changed = Signal(bool)

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(text)
        self.edit.setPlaceholderText("What is this token for? e.g. “CI: release pipeline”")
        self.edit.setAccessibleName("Description")  # a placeholder is not a name
        # Typing past the limit is allowed, so the message can say how far over it is.
        self.edit.setMaxLength(MAX_LABEL_LENGTH * 2)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit)
        layout.addWidget(self.message)
        self._valid: bool | None = None
        self.edit.textChanged.connect(self._on_edit_text_changed)
        self._on_edit_text_changed(text, quiet_when_empty=True)

    @property
    def valid(self) -> bool:
        return bool(self._valid)

    @property
    def value(self) -> str:
        """The description as it will be sent (stripped); only meaningful when ``valid``."""
        return self.edit.text().strip()

    def _on_edit_text_changed(self, text: str, *, quiet_when_empty: bool = False) -> None:
        try:
            validate_description(text)
        except UsageError as exc:
            problem = exc.message[:1].upper() + exc.message[1:] + "."
            # An untouched empty field is not yet an error: it only disables the button.
            self._show(problem if text or not quiet_when_empty else "", error=True)
            self._set_valid(False)
        else:
            self._show(f"{len(text.strip())}/{MAX_LABEL_LENGTH} characters", error=False)
            self._set_valid(True)

    def _show(self, text: str, *, error: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else NOTE_STYLE)

    def _set_valid(self, valid: bool) -> None:
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
