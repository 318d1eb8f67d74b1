"""Where a window's dialogs open, and what keeps them alive until they close.

A dialog asked for while its window is shown sits over that window, window-modal. Asked for
while the window is hidden (the tray's or the home window's "New access token…" with the
access-token manager closed, the usual state of a tray app) it is a top-level window of its
own, centred on the screen and blocking nothing, as there is no window to block.

Such a dialog has no parent, and PySide deletes a widget without a parent as soon as Python
holds no reference to it: opened and then forgotten, it vanishes at once, with no window and
no message. So ``OpenDialogs`` holds every dialog it opened until Qt destroys it (each one
deletes itself when closed).
"""

from __future__ import annotations

from typing import TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QWidget

D = TypeVar("D", bound=QDialog)


def parent_for(window: QWidget) -> QWidget | None:
    """The parent of a dialog opened for ``window`` now: the window while it is shown."""
    return window if window.isVisible() else None


class OpenDialogs(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._held: list[QDialog] = []

    def open(self, dialog: D) -> D:
        """Show ``dialog`` (made with ``parent_for``) and hold it until it is destroyed."""
        self._held.append(dialog)
        # A method of a QObject: with a plain callable connected to ``destroyed``, PySide
        # 6.11 fails to disconnect another slot (pytest-qt's waitSignal) while it is emitted.
        dialog.destroyed.connect(self._on_dialog_destroyed)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if dialog.parentWidget() is None:
            dialog.setWindowModality(Qt.WindowModality.NonModal)
            dialog.show()
        else:
            dialog.open()  # window-modal, without a nested event loop
        bring_forward(dialog)
        return dialog

    def showing(self, kind: type[D]) -> list[D]:
        """The open dialogs of ``kind``, oldest first."""
        return [d for d in self._held if isinstance(d, kind) and d.isVisible()]

    def _on_dialog_destroyed(self) -> None:
        # What ``destroyed`` passes is a new wrapper, not the one held: drop every dialog
        # whose C++ object is gone (by now its wrapper says so).
        self._held = [d for d in self._held if shiboken6.isValid(d)]


def bring_forward(dialog: QDialog) -> None:
    dialog.raise_()
    dialog.activateWindow()
