"""The KPI entry grid of one reporting period: one row per KPI, the four earlier periods for reference, and the
value and note cells a person types into. Edits stay in the model until Save; ``entries()`` gives what changed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from federation_desk.domain.contracts import Rag
from federation_desk.services import contracts as cs
from federation_desk.services.dates import format_instant
from federation_desk.ui import theme

Index = QModelIndex | QPersistentModelIndex
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def rag_colour(rag: Rag) -> QColor | None:
    c = theme.current()
    return {Rag.RED: QColor(c.danger), Rag.AMBER: QColor(c.warning), Rag.GREEN: QColor(c.good)}.get(rag)


def _parse(text: str) -> float | None:
    raw = text.strip().replace(",", "").removesuffix("%").strip()
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


class KpiEntryModel(QAbstractTableModel):
    FIXED = ("#", "KPI", "Target")
    TAIL = ("Value", "Note", "Entered")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.grid: cs.KpiGrid | None = None
        self.rows: list[cs.KpiGridRow] = []
        self.edits: dict[int, dict[str, str]] = {}  # obligation id -> {"value": text, "note": text}
        self.problems: dict[int, str] = {}  # obligation id -> what is wrong with the typed value
        self.previous_labels: list[str] = []

    # -- data -------------------------------------------------------------------------------------------------
    def set_grid(self, grid: cs.KpiGrid) -> None:
        self.beginResetModel()
        self.grid = grid
        self.rows = list(grid.rows)
        self.edits = {}
        self.problems = {}
        self.previous_labels = [label for label, _v in self.rows[0].previous] if self.rows else []
        self.endResetModel()

    def value_column(self) -> int:
        return len(self.FIXED) + len(self.previous_labels)

    def note_column(self) -> int:
        return self.value_column() + 1

    def text_of(self, row: cs.KpiGridRow, what: str) -> str:
        edited = self.edits.get(row.obligation.id, {})
        if what in edited:
            return edited[what]
        if row.value is None:
            return ""
        if what == "value":
            return f"{row.value.value:g}"
        return row.value.note or ""

    @property
    def is_dirty(self) -> bool:
        return bool(self.entries())

    def entries(self) -> list[cs.KpiEntry]:
        """The rows whose value or note differs from what was loaded."""
        out = []
        for row in self.rows:
            edited = self.edits.get(row.obligation.id)
            if not edited:
                continue
            value = self.text_of(row, "value")
            note = self.text_of(row, "note")
            loaded_value = "" if row.value is None else f"{row.value.value:g}"
            loaded_note = "" if row.value is None else (row.value.note or "")
            if value.strip() == loaded_value and note.strip() == loaded_note.strip():
                continue
            out.append(cs.KpiEntry(row.obligation.id, value, note, row.value.version if row.value else None))
        return out

    def set_problems(self, problems: dict[int, str]) -> None:
        self.problems = problems
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, self.columnCount() - 1))

    # -- Qt ---------------------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.FIXED) + len(self.previous_labels) + len(self.TAIL)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = [*self.FIXED, *self.previous_labels, *self.TAIL]
        return titles[section] if 0 <= section < len(titles) else None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (self.value_column(), self.note_column()):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        ob = row.obligation
        col = index.column()
        n_prev = len(self.previous_labels)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == 0:
                return str(index.row() + 1)
            if col == 1:
                return ob.name if ob.unit == cs.PERCENT else f"{ob.name} ({ob.unit})"
            if col == 2:
                return ob.target_short
            if 3 <= col < 3 + n_prev:
                return cs.format_short(row.previous[col - 3][1], ob.unit)
            if col == self.value_column():
                return self.text_of(row, "value")
            if col == self.note_column():
                return self.text_of(row, "note")
            if row.value is not None and ob.id not in self.edits:
                return f"{row.value.entered_by}, {format_instant(row.value.entered_at)}"
            return "not saved yet" if ob.id in self.edits else ""
        if role == Qt.ItemDataRole.TextAlignmentRole and (col in (0, 2) or 3 <= col <= self.value_column()):
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole:
            if 3 <= col < 3 + n_prev:
                colour = rag_colour(ob.rag(row.previous[col - 3][1]))
                return QBrush(colour) if colour is not None else None
            if col == self.value_column():
                if ob.id in self.problems:
                    return QBrush(QColor(theme.current().danger))
                colour = rag_colour(ob.rag(_parse(self.text_of(row, "value"))))
                return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.BackgroundRole and col == self.value_column() and ob.id in self.problems:
            return QBrush(QColor(theme.current().danger_bg))
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.value_column() and self.grid is not None and ob.id not in self.problems:
                return f"The value for {self.grid.period.label}. {ob.thresholds_text}. Empty it to remove the value."
            if col == self.value_column():
                return self.problems.get(ob.id) or f"{ob.thresholds_text}. Leave empty to remove the value."
            if col == 1:
                return ob.description or ob.name
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        col = index.column()
        if col not in (self.value_column(), self.note_column()):
            return False
        row = self.rows[index.row()]
        what = "value" if col == self.value_column() else "note"
        self.edits.setdefault(row.obligation.id, {})[what] = str(value)
        self.problems.pop(row.obligation.id, None)
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), self.columnCount() - 1))
        return True
