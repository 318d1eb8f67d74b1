"""The tray icon and its menu, rebuilt from the current ``TrayState`` whenever it opens.

The controller never calls into the app: its menu holds the shared ``AppActions`` (the
intents), and it reports the menu opening and closing and clicks on the icon as signals.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QRect, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from hubtokens.gui.actions import AppActions, fill_menu, status_lines
from hubtokens.gui.icons import tray_icon
from hubtokens.gui.notifications import Notification
from hubtokens.gui.state import Health, TrayState

MESSAGE_MS = 10_000
_MESSAGE_ICONS = {
    Health.SIGNED_OUT: QSystemTrayIcon.MessageIcon.Information,
    Health.HEALTHY: QSystemTrayIcon.MessageIcon.Information,
    Health.ATTENTION: QSystemTrayIcon.MessageIcon.Warning,
    Health.ERROR: QSystemTrayIcon.MessageIcon.Critical,
}


class TrayController(QObject):
    menu_opened = Signal()
    menu_closed = Signal()
    window_requested = Signal()  # the icon was clicked where the platform reports clicks

    def __init__(
        self,
        actions: AppActions,
        current_state: Callable[[], TrayState],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self._current_state = current_state
        self._health: Health | None = None
        self._lines: list[QAction] = []  # the menu's status lines
        self._menu = QMenu()
        self._menu.setToolTipsVisible(True)
        self._icon = QSystemTrayIcon(self)
        self._icon.setContextMenu(self._menu)
        self._menu.aboutToShow.connect(self._on_menu_about_to_show)
        self._menu.aboutToHide.connect(self.menu_closed)
        self._icon.activated.connect(self._on_icon_activated)
        self.refresh()

    @property
    def menu(self) -> QMenu:
        return self._menu

    @property
    def visible(self) -> bool:
        return self._icon.isVisible()

    @property
    def health(self) -> Health | None:
        return self._health

    @property
    def tooltip(self) -> str:
        return self._icon.toolTip()

    @property
    def geometry(self) -> QRect:
        """Where the host placed the icon; empty until a tray host has embedded it."""
        return self._icon.geometry()

    def show(self) -> None:
        self._icon.show()

    def hide(self) -> None:
        self._icon.hide()

    def dispose(self) -> None:
        """On quit: take the icon away now (the menu has no parent to delete it)."""
        self._icon.hide()
        self._menu.deleteLater()

    def refresh(self) -> None:
        """Show the current state: icon, tooltip, and (for hosts that export the menu
        without asking first, as StatusNotifierItem hosts may) the menu itself."""
        state = self._current_state()
        if state.health is not self._health:
            self._health = state.health
            self._icon.setIcon(tray_icon(state.health))
        self._icon.setToolTip(state.tooltip)
        self._rebuild(state)

    def show_message(self, notification: Notification) -> None:
        self._icon.showMessage(
            notification.title,
            notification.message,
            _MESSAGE_ICONS[notification.health],
            MESSAGE_MS,
        )

    def _rebuild(self, state: TrayState) -> None:
        self._actions.apply(state)  # the actions change in place, in an open menu too
        if not self._menu.isVisible():
            self._lines = fill_menu(self._menu, self._actions, state)
            return
        # Laying an open menu out again closes it under the person's pointer (the sync that
        # opening it starts ends a moment later): only its words change until it closes.
        texts = status_lines(state)
        if len(texts) == len(self._lines):
            for line, text in zip(self._lines, texts, strict=True):
                line.setText(text)

    def _on_menu_about_to_show(self) -> None:
        self.refresh()
        self.menu_opened.emit()

    def _on_icon_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # macOS opens the menu on any click; elsewhere a click opens the window.
        clicked = reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        )
        if clicked and sys.platform != "darwin":
            self.window_requested.emit()
