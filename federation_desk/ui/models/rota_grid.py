"""The week grid's model: one row per site, one column per day (Monday to Sunday); each cell holds the sessions
(immutable SessionRow objects) that the delegate paints as cards. ``data()`` never queries."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt

from federation_desk.services.dates import format_date
from federation_desk.services.rota import SessionRow, WeekGrid

SESSIONS_ROLE = Qt.ItemDataRole.UserRole + 10
STAFF_MIME = "application/x-federation-desk-staff"
Index = QModelIndex | QPersistentModelIndex


class WeekGridModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.grid: WeekGrid | None = None

    def set_grid(self, grid: WeekGrid) -> None:
        self.beginResetModel()
        self.grid = grid
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.grid is None else len(self.grid.sites)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 7

    def sessions_at(self, row: int, column: int) -> tuple[SessionRow, ...]:
        if self.grid is None or not (0 <= row < len(self.grid.sites)) or not (0 <= column < 7):
            return ()
        return self.grid.cells.get((self.grid.sites[row].id, self.grid.days[column]), ())

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.grid is None:
            return None
        sessions = self.sessions_at(index.row(), index.column())
        if role == SESSIONS_ROLE:
            return sessions
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            if not sessions:
                return "" if role == Qt.ItemDataRole.DisplayRole else "No sessions"
            parts = []
            for s in sessions:
                who = ", ".join(a.name for a in s.assignees)
                vacant = f"; {s.missing} vacant" if s.missing else ""
                parts.append(f"{s.time_text} {s.role_name} ({s.title}): {who or 'nobody booked'}{vacant}")
            return "\n".join(parts)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.grid is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            day = self.grid.days[section]
            return f"{day:%a} {format_date(day)}"
        site = self.grid.sites[section]
        return site.name + ("\n(hub)" if site.is_hub else "")

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsDropEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [STAFF_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


def staff_mime(staff_id: int, name: str) -> QMimeData:
    mime = QMimeData()
    mime.setData(STAFF_MIME, str(staff_id).encode())
    mime.setText(name)
    return mime
