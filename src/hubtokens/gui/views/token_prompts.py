"""The token window's yes/no questions, behind a protocol so tests answer them without
patching ``QMessageBox``."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Protocol

from PySide6.QtWidgets import QMessageBox, QWidget


class FollowUp(Enum):
    """What to do with a token after its replacement was created."""

    DEACTIVATE = "deactivate"
    DELETE = "delete"
    KEEP = "keep"


class TokenPrompts(Protocol):
    def confirm(self, parent: QWidget, title: str, text: str, accept: str) -> bool:
        """Ask before something that cannot be undone; ``accept`` labels the yes button."""
        ...

    def choose(
        self, parent: QWidget | None, title: str, text: str, choices: Sequence[str]
    ) -> int | None:
        """One of ``choices`` (its index; the first is the default), None when cancelled."""
        ...

    def choose_follow_up(self, parent: QWidget | None, label: str) -> FollowUp:
        """After a replacement: deactivate, delete or keep the old token ``label``; without
        a parent (the token window was closed meanwhile) it is a window of its own."""
        ...


class MessageBoxPrompts:
    """``TokenPrompts`` as message boxes."""

    def confirm(self, parent: QWidget, title: str, text: str, accept: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
        yes = box.addButton(accept, QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes

    def choose(
        self, parent: QWidget | None, title: str, text: str, choices: Sequence[str]
    ) -> int | None:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
        buttons = [box.addButton(c, QMessageBox.ButtonRole.AcceptRole) for c in choices]
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(buttons[0])
        box.exec()
        clicked = box.clickedButton()
        return next((n for n, button in enumerate(buttons) if button is clicked), None)

    def choose_follow_up(self, parent: QWidget | None, label: str) -> FollowUp:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Retire the old token?",
            f"The replacement is ready. What should happen to the old token “{label}”?",
            parent=parent,
        )
        box.setInformativeText(
            "Deactivating keeps it listed and lets you activate it again; deleting is for good. "
            "Anything still using it stops working either way."
        )
        choices = [
            (box.addButton("Deactivate", QMessageBox.ButtonRole.AcceptRole), FollowUp.DEACTIVATE),
            (box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole), FollowUp.DELETE),
            (box.addButton("Keep it", QMessageBox.ButtonRole.RejectRole), FollowUp.KEEP),
        ]
        box.exec()
        clicked = box.clickedButton()
        return next((choice for button, choice in choices if button is clicked), FollowUp.KEEP)
