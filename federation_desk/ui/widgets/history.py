"""A record's History tab: who changed what and when, from the audit trail (services.audit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from federation_desk.services.audit import HistoryRow, record_history
from federation_desk.services.dates import format_instant
from federation_desk.ui.models.table_model import Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.table import DataTable

HISTORY_COLUMNS: list[Column[HistoryRow]] = [
    Column("When", lambda r: format_instant(r.at), sort_key=lambda r: r.at, width=16),
    Column("Who", lambda r: r.actor, width=16),
    Column("What", lambda r: f"{r.what} {r.action}", width=22),
    Column("Field", lambda r: r.field, width=16),
    Column("Before", lambda r: r.old_value, tooltip=lambda r: r.old_value, width=28),
    Column("After", lambda r: r.new_value, tooltip=lambda r: r.new_value, width=28),
]


class HistoryView(QWidget):
    """Shows the history of ``(table, id)`` and of the related records given; call :meth:`load` to refresh."""

    def __init__(
        self,
        ctx: Any,
        table_name: str,
        row_id: int,
        related: Sequence[tuple[str, Sequence[int]]] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.table_name = table_name
        self.row_id = row_id
        self.related = list(related)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.summary = plain_label("Loading ...", "Muted")
        layout.addWidget(self.summary)
        self.model: RowTableModel[HistoryRow] = RowTableModel(HISTORY_COLUMNS, self)
        self.table = DataTable(self.model, "history", "Change history")
        self.table.setSortingEnabled(False)
        layout.addWidget(self.table, 1)
        self.load_job: Any = None

    def load(self) -> None:
        self.load_job = self.ctx.ops.run_query(
            record_history,
            self.table_name,
            self.row_id,
            self.related,
            on_done=self._show,
            parent=self,
            key=f"history-{self.table_name}-{self.row_id}",
        )

    def _show(self, rows: list[HistoryRow]) -> None:
        self.model.set_rows(rows)
        if not rows:
            self.summary.setText("No changes have been recorded for this record.")
        else:
            last = rows[0]
            self.summary.setText(
                f"{len(rows)} changes. Last: {last.what} {last.action} by {last.actor} on {format_instant(last.at)}."
            )
