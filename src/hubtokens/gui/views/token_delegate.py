"""How token cells look: a coloured pill for the status, a "Stale" pill beside the last use,
dimmed rows for tokens that cannot be used, and an icon on this device's token.

Each cell's options are filled from its ``TokenRow`` in one model lookup, rather than one per
role as ``QStyledItemDelegate`` does: painting is the GUI thread's main cost while 10,000
tokens load, and every role asked for is a call into Python.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from hubtokens.core.hub.models import TokenStatus
from hubtokens.gui.models.token_rows import Column, TokenRow
from hubtokens.gui.models.token_table_model import ROW_ROLE
from hubtokens.gui.views.token_icons import token_icon
from hubtokens.gui.views.token_style import (
    EXPIRED_COLOR,
    EXPIRING_COLOR,
    STALE_COLOR,
    STATUS_COLORS,
)

PADDING = 6
STALE_TEXT = "Stale"
ModelIndex = QModelIndex | QPersistentModelIndex
_ALIGNMENT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_FEATURES = QStyleOptionViewItem.ViewItemFeature


class TokenDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._device_icon = token_icon("device")

    def initStyleOption(self, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        row: TokenRow | None = index.data(ROW_ROLE)
        if row is None:
            super().initStyleOption(option, index)
            return
        column = index.column()
        if isinstance(index, QModelIndex):  # what views pass; styles may look at it
            option.index = index
        option.text = row.texts[column]
        option.features |= _FEATURES.HasDisplay
        option.displayAlignment = _ALIGNMENT
        if row.this_device:
            option.font.setBold(True)
            option.fontMetrics = QFontMetrics(option.font)
            if column == Column.SOURCE:
                option.icon = self._device_icon
                option.features |= _FEATURES.HasDecoration
        palette = option.palette
        if row.status is not TokenStatus.ACTIVE:
            # it cannot be used: let it recede
            palette.setColor(
                QPalette.ColorRole.Text, palette.color(QPalette.ColorRole.PlaceholderText)
            )
        if column == Column.EXPIRES and (row.expiring_soon or row.status is TokenStatus.EXPIRED):
            color = EXPIRED_COLOR if row.status is TokenStatus.EXPIRED else EXPIRING_COLOR
            palette.setColor(QPalette.ColorRole.Text, color)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        column = index.column()
        if column not in (Column.STATUS, Column.LAST_USED):
            super().paint(painter, option, index)
            return
        row: TokenRow | None = index.data(ROW_ROLE)
        if row is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        # Background, selection and focus as usual; then our text and pill on top.
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        rect = opt.rect.adjusted(PADDING, 0, -PADDING, 0)
        painter.save()
        if column == Column.STATUS:
            _pill(painter, rect, text, STATUS_COLORS[row.status], opt, selected)
        else:
            used = _pill(painter, rect, STALE_TEXT, STALE_COLOR, opt, selected) if row.stale else 0
            _text(
                painter,
                rect.adjusted(used + (PADDING if used else 0), 0, 0, 0),
                text,
                opt,
                selected,
            )
        painter.restore()


def _pill(
    painter: QPainter,
    rect: QRect,
    text: str,
    color: QColor,
    option: QStyleOptionViewItem,
    selected: bool,
) -> int:
    """Draw a rounded label at the left of ``rect``; returns its width."""
    font = QFont(option.font)
    font.setPointSizeF(font.pointSizeF() * 0.9)
    font.setWeight(QFont.Weight.DemiBold)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    width = metrics.horizontalAdvance(text) + 2 * PADDING
    height = metrics.height() + 4
    pill = QRect(rect.left(), rect.center().y() - height // 2 + 1, width, height)
    palette = option.palette
    ink = palette.color(QPalette.ColorRole.HighlightedText) if selected else color
    fill = QColor(ink)
    fill.setAlpha(48 if selected else 36)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(fill)
    painter.drawRoundedRect(pill, height / 2, height / 2)
    painter.setPen(ink)
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
    return width


def _text(
    painter: QPainter, rect: QRect, text: str, option: QStyleOptionViewItem, selected: bool
) -> None:
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    painter.setFont(option.font)
    painter.setPen(option.palette.color(role))
    elided = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
    painter.drawText(rect, int(_ALIGNMENT), elided)
