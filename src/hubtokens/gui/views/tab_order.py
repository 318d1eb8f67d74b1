"""The Tab key's order in a window: the order a person reads in, top to bottom and left to
right. Qt's own order is the order in which the widgets were made, which a dialog built in
parts (buttons first, contents later) or a button box laid out per platform does not follow."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QWidget


def set_tab_order(widgets: Sequence[QWidget]) -> None:
    """Tab goes from each of ``widgets`` to the next."""
    for first, second in pairwise(widgets):
        QWidget.setTabOrder(first, second)


def tab_stops_within(part: QWidget) -> list[QWidget]:
    """The widgets inside ``part`` that Tab stops at, in their window's current order."""
    window = part.window()
    stops: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not None and widget is not window:  # the chain is a ring
        if part.isAncestorOf(widget) and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            stops.append(widget)
        widget = widget.nextInFocusChain()
    return stops


def buttons_left_to_right(box: QDialogButtonBox) -> list[QWidget]:
    """``box``'s buttons as they are laid out (its layout holds them in that order: which
    button goes where depends on the platform's convention)."""
    layout = box.layout()
    assert layout is not None  # a button box always lays its buttons out
    widgets: list[QWidget] = []
    for n in range(layout.count()):
        item = layout.itemAt(n)
        if item is not None and isinstance(widget := item.widget(), QAbstractButton):
            widgets.append(widget)
    return widgets
