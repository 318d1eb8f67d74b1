"""The access-token table: ``TokenTableModel`` holds frozen ``TokenRow``s; ``TokenFilterProxy``
filters them for the view.

Sorting is done by the model on each row's precomputed sort keys (``SORT_ROLE``) with one
Python ``list.sort``: a ``QSortFilterProxyModel`` sort asks ``data()`` for every comparison,
which takes over a second for 10,000 rows. The proxy forwards ``sort()`` to the model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont

from hubtokens.core.hub.models import TokenSource, TokenStatus
from hubtokens.gui.models.token_rows import (
    Column,
    RowSet,
    SortOrder,
    TokenCounts,
    TokenRow,
    insertion_point,
    sort_rows,
)

SORT_ROLE = Qt.ItemDataRole.UserRole + 1  # the raw comparable value of a cell
ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the whole TokenRow

ModelIndex = QModelIndex | QPersistentModelIndex
#: Newest first, as the Hub lists them.
DEFAULT_ORDER = SortOrder(Column.CREATED, descending=True)
#: Removing more separate runs of rows than this resets the model instead.
RESET_ABOVE_RUNS = 16
_DISPLAY = Qt.ItemDataRole.DisplayRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FONT = Qt.ItemDataRole.FontRole


class TokenTableModel(QAbstractTableModel):
    """Rows in display order. No I/O: the controller fetches and calls ``set_rows``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TokenRow] = []
        self._counts: TokenCounts | None = TokenCounts.of(())  # None: count when asked
        self._order = DEFAULT_ORDER
        self._bold = QFont()
        self._bold.setBold(True)

    # --- Qt overrides ---------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def data(self, index: ModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == _DISPLAY:
            return row.texts[index.column()]
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return row.sort_keys[index.column()]
        if role == _TOOLTIP:
            return row.tooltips[index.column()]
        if role == _FONT and row.this_device:
            return self._bold
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == _DISPLAY
            and 0 <= section < len(Column)
        ):
            return Column(section).title
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(Column):
            return
        wanted = SortOrder(Column(column), order == Qt.SortOrder.DescendingOrder)
        if wanted == self._order:
            return  # already in this order (views ask twice per header click)
        self._order = wanted
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        moved = [(self._rows[index.row()].uuid, index.column()) for index in before]
        self._rows = sort_rows(self._rows, wanted)
        position = {row.uuid: n for n, row in enumerate(self._rows)}
        self.changePersistentIndexList(
            before, [self.index(position[uuid], col) for uuid, col in moved]
        )
        self.layoutChanged.emit()

    # --- our API --------------------------------------------------------------------------

    @property
    def rows(self) -> tuple[TokenRow, ...]:
        return tuple(self._rows)

    @property
    def order(self) -> SortOrder:
        return self._order

    def row_at(self, row: int) -> TokenRow:
        return self._rows[row]

    def sort_spec(self) -> tuple[Column, Qt.SortOrder]:
        """The order as a view's sort indicator shows it."""
        descending = (
            Qt.SortOrder.DescendingOrder if self._order.descending else Qt.SortOrder.AscendingOrder
        )
        return self._order.column, descending

    def set_rows(self, rows: RowSet | Iterable[TokenRow]) -> None:
        """Replace every row (a full refresh). A ``RowSet`` already in the table's order is
        taken as it is: sorted and counted off the GUI thread."""
        if not isinstance(rows, RowSet) or rows.order != self._order:
            plain = rows.rows if isinstance(rows, RowSet) else rows
            rows = RowSet.build(plain, self._order)
        self.beginResetModel()
        self._rows = list(rows.rows)
        self._counts = rows.counts
        self.endResetModel()

    def upsert(self, rows: Iterable[TokenRow]) -> None:
        """Update rows in place (they keep their position; one ``dataChanged`` for all) and
        insert new ones in order."""
        position = {row.uuid: n for n, row in enumerate(self._rows)}
        changed: list[int] = []
        new: list[TokenRow] = []
        for row in rows:
            at = position.get(row.uuid)
            if at is None:
                new.append(row)
            else:
                self._rows[at] = row
                changed.append(at)
        if changed:
            self._counts = None  # before the signal: its receivers may ask for counts
            last_column = len(Column) - 1
            self.dataChanged.emit(
                self.index(min(changed), 0), self.index(max(changed), last_column)
            )
        for row in new:
            at = insertion_point(self._rows, row, self._order)
            self.beginInsertRows(QModelIndex(), at, at)
            self._rows.insert(at, row)
            self._counts = None
            self.endInsertRows()

    def remove(self, uuids: Iterable[str]) -> None:
        gone = set(uuids)
        doomed = [n for n, row in enumerate(self._rows) if row.uuid in gone]
        runs = _runs(doomed)
        if len(runs) > RESET_ABOVE_RUNS:
            # Each removal costs the proxy and the view a pass over every row: past a few,
            # one reset is cheaper.
            self.set_rows([row for row in self._rows if row.uuid not in gone])
            return
        # Remove contiguous runs from the bottom up, so earlier positions stay valid.
        for first, last in reversed(runs):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self._counts = None
            self.endRemoveRows()

    def counts(self) -> TokenCounts:
        if self._counts is None:
            self._counts = TokenCounts.of(self._rows)
        return self._counts


@dataclass(frozen=True, slots=True)
class TokenFilter:
    """What the filter bar asks for; the defaults accept every row. ``text`` matches a part
    of the description or the id, ignoring case and surrounding spaces."""

    text: str = ""
    source: TokenSource | None = None
    status: TokenStatus | None = None
    stale_only: bool = False

    def __post_init__(self) -> None:
        # normalised once here rather than once per row
        object.__setattr__(self, "text", self.text.strip().casefold())

    def accepts(self, row: TokenRow) -> bool:
        return (
            (self.source is None or row.source is self.source)
            and (self.status is None or row.status is self.status)
            and (not self.stale_only or row.stale)
            and self.text in row.search_text
        )


class TokenFilterProxy(QSortFilterProxyModel):
    """Filters by ``TokenFilter``; sorting is the source model's (see the module docstring)."""

    def __init__(self, source: TokenTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._filter = TokenFilter()
        self._accept_all = True
        self.setSourceModel(source)

    def source_model(self) -> TokenTableModel:
        return self._source

    def set_filter(self, token_filter: TokenFilter) -> None:
        if token_filter == self._filter:
            return
        self.beginFilterChange()
        self._filter = token_filter
        self._accept_all = token_filter == TokenFilter()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def row_at(self, proxy_row: int) -> TokenRow:
        return self._source.row_at(self.mapToSource(self.index(proxy_row, 0)).row())

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        if self._accept_all:  # the common case, asked once per row
            return True
        return self._filter.accepts(self._source.row_at(source_row))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._source.sort(column, order)


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Ascending positions as (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for n in positions:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs
