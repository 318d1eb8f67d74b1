"""``TaskDialog``: a dialog whose main button runs a task. While the task runs the dialog is
busy and cannot be closed (a token created behind a closed dialog would lose its secret); a
failure is shown inline so the person can try again; success closes it."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hubtokens.gui.messages import describe_error
from hubtokens.gui.tasks import TaskHandle
from hubtokens.gui.views.style import ERROR_STYLE
from hubtokens.gui.views.tab_order import buttons_left_to_right, set_tab_order, tab_stops_within


class TaskDialog(QDialog):
    succeeded = Signal(object)  # the task's result

    def __init__(self, title: str, accept_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.content = QWidget()
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.accept_button: QPushButton = self.buttons.addButton(
            accept_text, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self._accept_text = accept_text
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addWidget(self.content)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        # Only once the button is in the dialog: made default before, it is not the dialog's
        # default, and Qt makes Cancel the default when it shows (Return would cancel).
        self.accept_button.setDefault(True)
        self._handle: TaskHandle | None = None

    @property
    def busy(self) -> bool:
        return self._handle is not None

    def reject(self) -> None:
        if not self.busy:
            super().reject()

    def showEvent(self, event: QShowEvent) -> None:
        # The subclass filled the content after the buttons were made, so Qt would open the
        # dialog with the focus on Cancel (Return would cancel): the content comes first, as
        # it reads, and the buttons as the platform lays them out.
        stops = tab_stops_within(self.content)
        set_tab_order([*stops, *buttons_left_to_right(self.buttons)])
        usable = (w for w in stops if w.isEnabled() and w.isVisibleTo(self))
        if (first := next(usable, None)) is not None:
            first.setFocus()
        super().showEvent(event)

    # --- for subclasses -------------------------------------------------------------------

    def inputs_valid(self) -> bool:
        raise NotImplementedError

    def start_task(self) -> TaskHandle:
        raise NotImplementedError

    def update_accept_button(self) -> None:
        self.accept_button.setEnabled(not self.busy and self.inputs_valid())

    # --- the task -------------------------------------------------------------------------

    def _on_buttons_accepted(self) -> None:
        if self.busy or not self.inputs_valid():
            return
        self.error_label.hide()
        handle = self.start_task()
        self._handle = handle
        self._show_busy(True)
        handle.succeeded.connect(self._on_task_succeeded)
        handle.failed.connect(self._on_task_failed)
        handle.finished.connect(self._on_task_finished)

    def _on_task_succeeded(self, result: object) -> None:
        self._handle = None
        self.succeeded.emit(result)
        self.accept()

    def _on_task_failed(self, exc: Exception) -> None:
        self.error_label.setText(describe_error(exc))
        self.error_label.show()

    def _on_task_finished(self) -> None:
        if self._handle is not None:  # failed or dropped: let the person try again
            self._handle = None
            self._show_busy(False)

    def _show_busy(self, busy: bool) -> None:
        self.content.setEnabled(not busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(not busy)
        self.accept_button.setText("Working…" if busy else self._accept_text)
        self.update_accept_button()
