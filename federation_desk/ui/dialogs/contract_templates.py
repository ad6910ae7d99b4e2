"""The KPI template library: the KPI families contracts commonly report, with unit, direction, default thresholds,
cadence and the source of each (reference data; obligations start from them in the obligation editor)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from federation_desk.services import contracts as cs
from federation_desk.ui.models.table_model import Column, RowTableModel
from federation_desk.ui.widgets.common import SearchBox, plain_label
from federation_desk.ui.widgets.table import DataTable

CONFIDENCE = {"V": "Primary source", "S": "Secondary source", "U": "Local default"}

TEMPLATE_COLUMNS: list[Column[cs.KpiTemplateRow]] = [
    Column("Family", lambda r: r.family, width=20),
    Column("KPI", lambda r: r.name, tooltip=lambda r: r.description, width=40),
    Column("Measured from", lambda r: r.obligation_type.label, width=18),
    Column("Unit", lambda r: r.unit, width=10),
    Column("Direction", lambda r: r.direction.label, width=13),
    Column("Green at", lambda r: cs.format_short(r.green_threshold, r.unit), width=6),
    Column("Amber at", lambda r: cs.format_short(r.amber_threshold, r.unit), width=6),
    Column("Cadence", lambda r: r.cadence or "", width=11),
    Column("Confidence", lambda r: CONFIDENCE.get(r.confidence or "", ""), width=14),
    Column("Source", lambda r: r.source or "", tooltip=lambda r: r.source, width=60),
]


class KpiLibraryDialog(QDialog):
    loaded = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("KPI template library")
        self.resize(1180, 560)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "Common KPIs of community and primary care contracts, with default thresholds and where each comes "
                "from. They are starting points: the commissioner's Schedule 4C (quality requirements) and 6A "
                "(reporting) set the contract's own. Add an obligation and choose 'Start from a template' to use one.",
                "Muted",
            )
        )
        self.search = SearchBox("Search the library", "Search the KPI library")
        layout.addWidget(self.search)
        self.model: RowTableModel[cs.KpiTemplateRow] = RowTableModel(TEMPLATE_COLUMNS, self)
        self.table = DataTable(self.model, "kpi-library", "KPI templates")
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self._filter)
        self.job = ctx.ops.run_query(cs.list_kpi_templates, on_done=self._show, parent=self)

    def _show(self, rows: list[cs.KpiTemplateRow]) -> None:
        self.model.set_rows(rows)
        self.loaded.emit()

    def _filter(self, text: str) -> None:
        words = text.casefold().split()
        if not words:
            self.model.set_filter(None)
            return
        self.model.set_filter(
            lambda r: all(w in f"{r.family} {r.name} {r.description or ''} {r.source or ''}".casefold() for w in words)
        )

    @classmethod
    def ask(cls, ctx: Any, parent: QWidget | None) -> KpiLibraryDialog:
        dialog = cls(ctx, parent)
        dialog.open()
        return dialog
