"""A table model over immutable rows, with named columns, Python-side filtering and sorting.

Filtering and sorting run over the in-memory rows (a few thousand tuples take a few milliseconds), not through
QSortFilterProxyModel, which was measured at 150-440 ms for 2,500 rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon

R = TypeVar("R")
Index = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
CENTRE = Qt.AlignmentFlag.AlignCenter


@dataclass(frozen=True)
class Column(Generic[R]):
    title: str
    text: Callable[[R], str]
    sort_key: Callable[[R], Any] | None = None
    align: Qt.AlignmentFlag = LEFT
    tooltip: Callable[[R], str | None] | None = None
    icon: Callable[[R], QIcon | None] | None = None
    foreground: Callable[[R], QColor | None] | None = None
    background: Callable[[R], QColor | None] | None = None
    width: int | None = None  # a hint in characters for the view's initial column width


def _safe_key(value: Any) -> tuple[int, Any]:
    # None sorts last whatever the direction of the other values; strings sort case-insensitively.
    if value is None:
        return (1, "")
    if isinstance(value, str):
        return (0, value.casefold())
    return (0, value)


class RowTableModel(QAbstractTableModel, Generic[R]):
    def __init__(self, columns: Sequence[Column[R]], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._all: list[R] = []
        self._visible: list[R] = []
        self._predicate: Callable[[R], bool] | None = None
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # -- loading and filtering --------------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[R]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._apply()
        self.endResetModel()

    def set_filter(self, predicate: Callable[[R], bool] | None) -> None:
        self.beginResetModel()
        self._predicate = predicate
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        rows = self._all if self._predicate is None else [r for r in self._all if self._predicate(r)]
        if self._sort is not None:
            column, order = self._sort
            rows = self._sorted(rows, column, order)
        self._visible = rows

    def _sorted(self, rows: list[R], column: int, order: Qt.SortOrder) -> list[R]:
        col = self.columns[column]
        key = col.sort_key or col.text
        nones = [r for r in rows if key(r) is None]
        values = [r for r in rows if key(r) is not None]
        values.sort(key=lambda r: _safe_key(key(r)), reverse=order == Qt.SortOrder.DescendingOrder)
        return values + nones

    @property
    def all_rows(self) -> list[R]:
        return self._all

    @property
    def visible_rows(self) -> list[R]:
        return self._visible

    def row_at(self, index: Index | int) -> R:
        row = index if isinstance(index, int) else index.row()
        return self._visible[row]

    def find_row(self, predicate: Callable[[R], bool]) -> int:
        for i, row in enumerate(self._visible):
            if predicate(row):
                return i
        return -1

    # -- Qt overrides -----------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._visible):
            return None
        row = self._visible[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(col.align.value) if hasattr(col.align, "value") else int(col.align)
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return col.tooltip(row)
        if role == Qt.ItemDataRole.DecorationRole and col.icon is not None:
            return col.icon(row)
        if role == Qt.ItemDataRole.ForegroundRole and col.foreground is not None:
            colour = col.foreground(row)
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.BackgroundRole and col.background is not None:
            colour = col.background(row)
            return QBrush(colour) if colour is not None else None
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return (col.sort_key or col.text)(row)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return col.text(row)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            align = self.columns[section].align
            return int(align.value) if hasattr(align, "value") else int(align)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._visible = self._sorted(self._visible, column, order)
        self.layoutChanged.emit()
