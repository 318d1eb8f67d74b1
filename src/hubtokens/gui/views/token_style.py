"""Colours and fonts of the token table and dialogs (label styles are in ``style``):
mid-tone colours that read on light and dark palettes alike."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase

from hubtokens.core.hub.models import TokenStatus

STATUS_COLORS = {
    TokenStatus.ACTIVE: QColor("#2e9d5b"),
    TokenStatus.INACTIVE: QColor("#7a7f87"),
    TokenStatus.EXPIRED: QColor("#d64545"),
}
STALE_COLOR = QColor("#c77c02")
EXPIRING_COLOR = STALE_COLOR
EXPIRED_COLOR = STATUS_COLORS[TokenStatus.EXPIRED]
# The look of the attention banner of the home window, for the session banner.
BANNER_STYLE = (
    "#{name} {{ background: #fff6e0; border: 1px solid #f1cf7a; border-radius: 6px; }}"
    " #{name} QLabel {{ color: #1f2328; }}"
)


def mono_font(point_delta: int = 0) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    if point_delta and font.pointSize() > 0:
        font.setPointSize(font.pointSize() + point_delta)
    return font
