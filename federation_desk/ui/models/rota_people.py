"""The side list of people to drag into the week grid (a RowTableModel whose rows can be dragged)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt

from federation_desk.services.rota import PersonRow
from federation_desk.ui.models.rota_grid import STAFF_MIME, staff_mime
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel

PEOPLE_COLUMNS: list[Column[PersonRow]] = [
    Column("Name", lambda r: r.name, width=15),
    Column("Role", lambda r: r.role_name, width=10),
    Column(
        "Hours",
        lambda r: f"{r.hours:.1f}",
        sort_key=lambda r: r.hours,
        align=RIGHT,
        width=4,
        tooltip=lambda r: f"{r.hours:.1f} hours booked this week; employed by {r.employer}",
    ),
]


class PeopleModel(RowTableModel[PersonRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(PEOPLE_COLUMNS, parent)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else flags

    def mimeTypes(self) -> list[str]:
        return [STAFF_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        row = self.row_at(indexes[0])
        return staff_mime(row.id, row.name)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction
