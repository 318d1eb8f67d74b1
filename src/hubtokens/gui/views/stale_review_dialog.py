"""Review stale tokens (never used, or unused for 90 days) and delete the ones ticked."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hubtokens.gui.models.token_rows import STALE_AFTER, Column, TokenRow
from hubtokens.gui.views.tab_order import buttons_left_to_right, set_tab_order

_COLUMNS = (Column.DESCRIPTION, Column.SCOPE, Column.STATUS, Column.LAST_USED, Column.CREATED)


class StaleReviewDialog(QDialog):
    delete_requested = Signal(object)  # tuple[TokenRow, ...], the ones ticked

    def __init__(self, rows: Sequence[TokenRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review stale tokens")
        self.resize(720, 420)
        self._rows = tuple(rows)
        intro = QLabel(
            f"These tokens were not used for {STALE_AFTER.days} days or more, or never since "
            "they were created. Untick any you want to keep. Deleting is for good: anything "
            "still using a deleted token stops working."
        )
        intro.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Stale tokens")
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setHeaderLabels([column.title for column in _COLUMNS])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self._items: list[QTreeWidgetItem] = []
        for row in self._rows:
            item = QTreeWidgetItem([row.texts[column] for column in _COLUMNS])
            for n, column in enumerate(_COLUMNS):
                item.setToolTip(n, row.tooltips[column])
            item.setCheckState(0, Qt.CheckState.Checked)
            self._items.append(item)
        self.tree.addTopLevelItems(self._items)
        for n in range(1, len(_COLUMNS)):
            self.tree.resizeColumnToContents(n)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.toggle_button = QPushButton("Untick all")
        self.buttons.addButton(self.toggle_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.delete_button = self.buttons.addButton(
            "Delete", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(self.tree)
        layout.addWidget(self.buttons)
        # Return cancels: deleting is for good, so it takes a press of Delete itself. (Made
        # default only once in the dialog, or Qt picks its own default when it shows.)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        set_tab_order([self.tree, *buttons_left_to_right(self.buttons)])

        self.tree.itemChanged.connect(self._update_buttons)
        self.toggle_button.clicked.connect(self._on_toggle_button_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)
        self.buttons.rejected.connect(self.reject)
        self._update_buttons()

    def chosen(self) -> tuple[TokenRow, ...]:
        return tuple(
            row
            for row, item in zip(self._rows, self._items, strict=True)
            if item.checkState(0) == Qt.CheckState.Checked
        )

    def _update_buttons(self) -> None:
        count = len(self.chosen())
        self.delete_button.setText(f"Delete {count} token{'s' if count != 1 else ''}")
        self.delete_button.setEnabled(count > 0)
        self.toggle_button.setText("Untick all" if count else "Tick all")

    def _on_toggle_button_clicked(self) -> None:
        state = Qt.CheckState.Unchecked if self.chosen() else Qt.CheckState.Checked
        self.tree.blockSignals(True)  # one update at the end, not one per item
        for item in self._items:
            item.setCheckState(0, state)
        self.tree.blockSignals(False)
        self._update_buttons()

    def _on_delete_button_clicked(self) -> None:
        chosen = self.chosen()
        if chosen:
            self.delete_requested.emit(chosen)
            self.accept()
