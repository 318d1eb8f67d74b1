"""Small shared looks for the views: fonts and the colours of notes and errors."""

from __future__ import annotations

from PySide6.QtGui import QFont

ERROR_STYLE = "color: #c0352b;"
NOTE_STYLE = "color: palette(placeholder-text);"
WARNING_STYLE = "color: #a15c00;"


def scaled_font(base: QFont, factor: float, *, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPointSizeF(base.pointSizeF() * factor)
    font.setBold(bold)
    return font
