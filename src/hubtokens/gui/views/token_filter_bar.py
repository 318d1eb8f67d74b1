"""The filter box and the source and status filters above the token table."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from hubtokens.core.hub.models import TokenSource, TokenStatus
from hubtokens.gui.models.token_table_model import TokenFilter

STALE = "stale"


class TokenFilterBar(QWidget):
    filter_changed = Signal(object)  # TokenFilter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by description or ID")
        self.search.setAccessibleName("Filter tokens")
        self.search.setClearButtonEnabled(True)
        _name_clear_button(self.search, "Clear the filter")
        self.source = QComboBox()
        self.source.addItem("All sources", None)
        for source in TokenSource:
            self.source.addItem(source.value, source)
        self.status = QComboBox()
        self.status.addItem("All statuses", None)
        for status in TokenStatus:
            self.status.addItem(status.value, status)
        self.status.addItem("Stale", STALE)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 1)
        layout.addSpacing(8)
        layout.addWidget(_label_for(self.source, "Source"))
        layout.addWidget(self.source)
        layout.addSpacing(8)
        layout.addWidget(_label_for(self.status, "Status"))
        layout.addWidget(self.status)
        self.search.textChanged.connect(self._emit)
        self.source.currentIndexChanged.connect(self._emit)
        self.status.currentIndexChanged.connect(self._emit)

    def current(self) -> TokenFilter:
        status = self.status.currentData()
        return TokenFilter(
            text=self.search.text(),
            source=self.source.currentData(),
            status=status if isinstance(status, TokenStatus) else None,
            stale_only=status == STALE,
        )

    def show_stale(self) -> None:
        self.status.setCurrentIndex(self.status.findData(STALE))

    def _emit(self) -> None:
        self.filter_changed.emit(self.current())


def _name_clear_button(field: QLineEdit, name: str) -> None:
    """Name the clear button that ``setClearButtonEnabled`` gave ``field``: Qt makes it a
    tool button child with only an icon, which a screen reader cannot speak."""
    for button in field.findChildren(QToolButton):
        action = button.defaultAction()
        if action is not None and action.objectName() == "_q_qlineeditclearaction":
            button.setAccessibleName(name)


def _label_for(combo: QComboBox, text: str) -> QLabel:
    """A visible label tied to ``combo``: on Linux a screen reader names a combo box by its
    current choice and learns what it is only from the label whose buddy it is."""
    label = QLabel(text)
    label.setBuddy(combo)
    return label
