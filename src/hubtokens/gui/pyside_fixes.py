"""A guard against a PySide6 bug that would crash a long-running app.

PySide6 6.12.0's ``SignalInstance.emit`` returns ``True`` without taking a reference to it.
On CPython 3.11 (where ``True`` is not yet immortal) every signal emitted from Python takes
one reference away, and after a few hundred emits ``True`` is freed and the process aborts
("bool_dealloc: deallocating True or False"). 6.11 does not have the bug; a tray app that
runs for days emits far more than that.

``guard_against_emit_leak()`` checks for the bug with one emit and, only if it is there,
gives ``True`` and ``False`` so many references that they can never run out, which is what
CPython 3.12 does for them anyway. Call it once, before the app starts emitting.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

# Far beyond what any process emits, and far below the counter's limit.
_SPARE_REFERENCES = 1 << 40


class _Probe(QObject):
    pinged = Signal()


def emit_leaks_true() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    probe.pinged.emit()
    return sys.getrefcount(True) < before


def guard_against_emit_leak() -> bool:
    """True when the bug was found (and made harmless)."""
    if not emit_leaks_true():
        return False
    # The same release also drops a reference to None on every void call from Python.
    for value in (True, False, None):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(value)).value += _SPARE_REFERENCES
    return True
