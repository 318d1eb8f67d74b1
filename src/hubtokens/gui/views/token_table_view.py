"""The token table's view: row selection, sorting by header click, fixed row heights and
column widths (measuring 10,000 rows' contents would stall the GUI thread), and a line in
the middle when there are no rows to show, saying why."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from hubtokens.gui.models.token_rows import Column, TokenRow
from hubtokens.gui.models.token_table_model import TokenFilterProxy
from hubtokens.gui.views.token_delegate import TokenDelegate

# Widths in average characters, for the longest usual content of each column.
_WIDTHS = {
    Column.SCOPE: 20,
    Column.STATUS: 10,
    Column.SOURCE: 34,
    Column.CREATED: 11,
    Column.LAST_USED: 20,
    Column.EXPIRES: 12,
}


class TokenTableView(QTableView):
    def __init__(self, proxy: TokenFilterProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        self._placeholder = ""
        self.setModel(proxy)
        self.setAccessibleName("Access tokens")
        self.setItemDelegate(TokenDelegate(self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Tab leaves the table (QTableView would walk every cell first); arrows move in it.
        self.setTabKeyNavigation(False)
        metrics = self.fontMetrics()
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(metrics.height() + 14)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(metrics.averageCharWidth() * 8)
        for column, chars in _WIDTHS.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.averageCharWidth() * chars + 24)
        # The indicator first: enabling sorting sorts by whatever it shows.
        column, order = proxy.source_model().sort_spec()
        header.setSortIndicator(column, order)
        self.setSortingEnabled(True)

    @property
    def placeholder(self) -> str:
        return self._placeholder

    def set_placeholder(self, text: str) -> None:
        """What the empty table says (loading, nothing matches the filter, no tokens)."""
        if text != self._placeholder:
            self._placeholder = text
            self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._placeholder and self.proxy.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(
                self.viewport().rect(),
                int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                self._placeholder,
            )
            painter.end()

    def selected_rows(self) -> list[TokenRow]:
        """The selected tokens, top to bottom."""
        rows = sorted(index.row() for index in self.selectionModel().selectedRows())
        return [self.proxy.row_at(row) for row in rows]

    def select_uuids(self, uuids: set[str]) -> None:
        """Select these tokens where they are shown, and scroll to them."""
        model = self.proxy.source_model()
        selection = QItemSelection()
        last = model.columnCount() - 1
        for n, row in enumerate(model.rows):
            if row.uuid in uuids:
                selection.select(model.index(n, 0), model.index(n, last))
        shown = self.proxy.mapSelectionFromSource(selection)
        selection_model = self.selectionModel()
        selection_model.select(shown, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if not shown.isEmpty():
            first = shown.first().topLeft()  # the keyboard focus and the view follow
            selection_model.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.scrollTo(first)
