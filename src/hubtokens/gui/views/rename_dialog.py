"""Rename a token: its description, checked as it is typed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from hubtokens.gui.models.token_rows import TokenRow
from hubtokens.gui.tasks import TaskHandle
from hubtokens.gui.views.description_field import DescriptionField
from hubtokens.gui.views.task_dialog import TaskDialog


class RenameDialog(TaskDialog):
    """``succeeded`` carries the renamed ``TokenRow``."""

    def __init__(
        self,
        row: TokenRow,
        submit: Callable[[TokenRow, str], TaskHandle],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Rename access token", "Rename", parent)
        self.row = row
        self._submit = submit
        self.setMinimumWidth(460)
        self.description = DescriptionField(row.label)
        layout = QVBoxLayout(self.content)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("New description:"))
        layout.addWidget(self.description)
        self.description.edit.selectAll()
        self.description.edit.textChanged.connect(self.update_accept_button)
        self.update_accept_button()

    def inputs_valid(self) -> bool:
        return self.description.valid and self.description.value != self.row.label

    def start_task(self) -> TaskHandle:
        return self._submit(self.row, self.description.value)
