"""The guard against PySide6 6.12.0 freeing ``True`` after a few hundred emits."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from hubtokens.gui.pyside_fixes import guard_against_emit_leak

EMITS = 20_000  # many times the references True has at start


class Chatty(QObject):
    said = Signal(object)


def test_emitting_many_times_more_than_true_has_references_is_safe() -> None:
    guard_against_emit_leak()  # conftest did it already; a second time is harmless
    heard: list[bool] = []
    chatty = Chatty()
    chatty.said.connect(heard.append)
    before = sys.getrefcount(True)
    for number in range(EMITS):
        chatty.said.emit(number % 2 == 0)
    assert len(heard) == EMITS
    # ``heard`` holds EMITS // 2 references to True: none may have been lost on the way.
    assert sys.getrefcount(True) >= before + EMITS // 2
