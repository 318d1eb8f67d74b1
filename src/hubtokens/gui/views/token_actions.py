"""The token window's actions (toolbar, context menu, shortcuts) and when each one applies."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from hubtokens.core.hub.models import TokenStatus
from hubtokens.gui.models.token_rows import TokenRow
from hubtokens.gui.views.token_icons import token_icon


class TokenActions(QObject):
    def __init__(self, window: QWidget, table: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.new = self._make(
            "New token…",
            "list-add",
            "new",
            "Create an access token",
            QKeySequence("Ctrl+N"),
        )
        self.rename = self._make(
            "Rename…",
            "document-edit",
            "rename",
            "Change the selected token's description",
            QKeySequence("F2"),
        )
        self.activate = self._make(
            "Activate",
            "media-playback-start",
            "activate",
            "Let the selected tokens be used again",
        )
        self.deactivate = self._make(
            "Deactivate",
            "media-playback-pause",
            "deactivate",
            "Stop the selected tokens from working, without deleting them",
        )
        self.replace = self._make(
            "Replace…",
            None,  # no theme has an icon for it, and Refresh's would mislead
            "replace",
            "Create a token with the same description and access and a new expiry",
        )
        self.delete = self._make(
            "Delete…",
            "edit-delete",
            "delete",
            "Delete the selected tokens for good",
            QKeySequence(QKeySequence.StandardKey.Delete),
        )
        self.refresh = self._make(
            "Refresh",
            "view-refresh",
            "refresh",
            "List the tokens again",
            QKeySequence("F5"),
        )
        self.review_stale = self._make(
            "Review stale tokens…",
            "edit-clear",
            "stale",
            "List the tokens nobody uses and delete the ones you choose",
        )
        self.check_leaks = self._make(
            "Check for leaked tokens…",
            None,  # a theme's "find" would look like Filter's
            "leaks",
            "Look for Docker tokens in folders and on this computer, and tell which is which",
        )
        self.find = self._make(
            "Filter",
            "edit-find",
            "filter",
            "Filter the tokens by description or ID",
            QKeySequence(QKeySequence.StandardKey.Find),
        )
        # Keys that act on the selection belong to the table: F2 or Delete in the filter box
        # must edit the text, not the tokens.
        for action in (self.rename, self.delete):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            table.addAction(action)
        for action in (self.new, self.refresh, self.find):
            window.addAction(action)

    @property
    def for_selection(self) -> tuple[QAction, ...]:
        return (self.rename, self.activate, self.deactivate, self.replace, self.delete)

    def update(self, selected: Sequence[TokenRow], *, can_manage: bool, stale: int) -> None:
        """Enable what applies: Activate only with an inactive token selected, and so on."""
        one = len(selected) == 1
        statuses = {row.status for row in selected}
        self.new.setEnabled(can_manage)
        self.rename.setEnabled(can_manage and one)
        self.replace.setEnabled(can_manage and one)
        self.activate.setEnabled(can_manage and TokenStatus.INACTIVE in statuses)
        self.deactivate.setEnabled(can_manage and TokenStatus.ACTIVE in statuses)
        self.delete.setEnabled(can_manage and bool(selected))
        self.review_stale.setEnabled(can_manage and stale > 0)
        self.review_stale.setText(
            f"Review {stale} stale token{'s' if stale != 1 else ''}…"
            if stale
            else "No stale tokens"
        )

    def _make(
        self,
        text: str,
        theme: str | None,
        name: str,
        tip: str,
        shortcut: QKeySequence | None = None,
    ) -> QAction:
        action = QAction(token_icon(name, theme), text, self._window)
        if shortcut is not None:
            action.setShortcut(shortcut)
            tip = f"{tip} ({shortcut.toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        return action
