"""The Reports page: every report the app can produce, in one place.

``REPORTS`` is the registry: each module appends one :class:`ReportAction` per PDF or Excel file it produces, with
a title, what it shows, the page that produces it and (optionally) a ``"module:function"`` called as
``function(ctx, parent)`` to produce it straight from here. Entries whose module is not installed are left out.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from federation_desk.services.contracts import ReportRunRow, list_report_runs
from federation_desk.services.dates import format_instant
from federation_desk.ui.bus import bus
from federation_desk.ui.icons import icon
from federation_desk.ui.models.contract_kpi import rag_colour
from federation_desk.ui.models.table_model import Column, RowTableModel
from federation_desk.ui.pages.base import Page
from federation_desk.ui.widgets.common import PageHeader, plain_label
from federation_desk.ui.widgets.table import DataTable


@dataclass(frozen=True)
class ReportAction:
    title: str
    description: str
    module: str  # the module's name as the navigation shows it ("Contracts")
    formats: str = "PDF"
    page: str | None = None  # the page key where the report is produced
    run: str | None = None  # "package.module:function", called as function(ctx, parent) to produce it from here
    requires: str | None = None  # a module that must be importable for the report to be offered

    def available(self) -> bool:
        target = self.requires or (self.run.split(":")[0] if self.run else None)
        if target is None:
            return True
        try:
            importlib.import_module(target)
        except ImportError:
            return False
        return True


# Every report the app can produce. Modules add one line each (keep contracts first).
REPORTS: list[ReportAction] = [
    ReportAction(
        "Contract compliance report",
        "One contract and reporting period: red/amber/green per obligation, the KPI table with the four previous "
        "periods, trend charts, the records behind every exception (staff names can be hidden), the evidence and "
        "a sign-off block. Also: federation-desk-cli report compliance --contract REF --period 2026-Q3 -o FILE.pdf",
        "Contracts",
        "PDF",
        page="contracts",
        run="federation_desk.ui.dialogs.contract_report:produce_from_hub",
    ),
    ReportAction(
        "Tender bid pack",
        "A tender's bid pack after its pre-flight check: cover, contents, organisation profile, workforce compliance, "
        "insurance schedule, every answer with words used / limit, pricing, policies and the evidence appended with "
        "bookmarks. Open the tender and press Bid pack. Also: federation-desk-cli bidpack TENDER_REF -o FILE.pdf",
        "Tenders",
        "PDF",
        page="tenders",
    ),
    ReportAction(
        "Staff expiry digest",
        "For each practice manager: staff items already expired, never recorded, and expiring in the next 30, 60 "
        "or 90 days, grouped by week, each with its warning lead time. One practice, every practice in one file, "
        "or one PDF per practice. Also: federation-desk-cli report expiry-digest --out FILE.pdf [--practice ODS]",
        "Staff",
        "PDF, Excel",
        page="staff/expiry",
        run="federation_desk.ui.pages.staff_expiry:digest_from_hub",
    ),
    ReportAction(
        "Training matrix",
        "Every current member of staff against every training subject, each cell coloured by status with its "
        "completion and expiry dates as a note. Filter by practice and role on the Staff page first if wanted.",
        "Staff",
        "Excel",
        page="staff/matrix",
        run="federation_desk.ui.pages.staff_expiry:matrix_from_hub",
    ),
    ReportAction(
        "Rota week grid",
        "One week on landscape pages: every site down the side, Monday to Sunday across, each session with its time, "
        "role and who is booked, vacancies in red. Also: federation-desk-cli report rota-grid --week DATE -o FILE.pdf",
        "Rota",
        "PDF",
        page="rota",
        run="federation_desk.ui.dialogs.rota_reports:week_grid_from_hub",
    ),
    ReportAction(
        "Rota recharges",
        "Hours and notional sessions per person per practice and service for a period, for recharging practices. "
        "Also: federation-desk-cli rota recharge --from DATE --to DATE --out FILE.xlsx",
        "Rota",
        "Excel",
        page="rota",
        run="federation_desk.ui.dialogs.rota_reports:recharges_from_hub",
    ),
]

REPORT_COLUMNS: list[Column[ReportAction]] = [
    Column("Report", lambda r: r.title, sort_key=lambda r: REPORTS.index(r) if r in REPORTS else 999, width=30),
    Column("Module", lambda r: r.module, width=12),
    Column("Format", lambda r: r.formats, width=8),
    Column("What it shows", lambda r: r.description, tooltip=lambda r: r.description, width=90),
]

RUN_COLUMNS: list[Column[ReportRunRow]] = [
    Column("Produced", lambda r: format_instant(r.produced_at), sort_key=lambda r: r.produced_at, width=18),
    Column("By", lambda r: r.produced_by, width=14),
    Column("Report", lambda r: f"Compliance report {r.filename}", width=44),
    Column("Period", lambda r: r.period_label, width=9),
    Column("Overall", lambda r: r.overall.label, foreground=lambda r: rag_colour(r.overall), width=8),
    Column("Trace code", lambda r: r.trace_code, width=12),
    Column("SHA-256", lambda r: r.sha256, tooltip=lambda r: r.sha256, width=40),
]


def _recent_runs(session: Any) -> list[ReportRunRow]:
    return list_report_runs(session)[:50]


class ReportsPage(Page):
    key = "reports"
    title = "Reports"
    icon_name = "reports"
    kinds = frozenset({"contract", "report"})
    loaded = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.layout_.addWidget(PageHeader("Reports", "Every PDF and Excel report Federation Desk can produce"))
        bar = QHBoxLayout()
        self.count = plain_label("", "Muted")
        bar.addWidget(self.count, 1)
        self.produce_button = QPushButton(icon("reports"), "Produce ...")
        self.produce_button.setProperty("primary", True)
        self.produce_button.setAccessibleName("Produce the selected report")
        self.open_page_button = QPushButton(icon("open"), "Go to its page")
        self.open_page_button.setAccessibleName("Open the page that produces the selected report")
        bar.addWidget(self.open_page_button)
        bar.addWidget(self.produce_button)
        self.layout_.addLayout(bar)
        self.model: RowTableModel[ReportAction] = RowTableModel(REPORT_COLUMNS, self)
        self.table = DataTable(self.model, "reports", "Reports")
        self.table.setSortingEnabled(False)
        self.layout_.addWidget(self.table, 1)
        self.detail = plain_label("", "Muted")
        self.detail.setAccessibleName("What the selected report shows")
        self.layout_.addWidget(self.detail)
        self.layout_.addWidget(plain_label("Recently produced compliance reports", "CardTitle"))
        self.run_model: RowTableModel[ReportRunRow] = RowTableModel(RUN_COLUMNS, self)
        self.run_table = DataTable(self.run_model, "report-runs", "Recently produced reports")
        self.run_table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.layout_.addWidget(self.run_table, 1)
        self.actions_: list[ReportAction] = [r for r in REPORTS if r.available()]
        self.model.set_rows(self.actions_)
        self.count.setText(f"{len(self.actions_)} report{'s' if len(self.actions_) != 1 else ''} available")
        if self.actions_:
            self.table.selectRow(0)
        self.table.row_activated.connect(self.produce)
        self.produce_button.clicked.connect(lambda: self.produce(self.table.selected_row()))
        self.open_page_button.clicked.connect(lambda: self.open_page(self.table.selected_row()))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self._selection_changed()
        self.dialog: Any = None

    def reload(self) -> None:
        self.load_job = self.ctx.ops.run_query(_recent_runs, on_done=self._show_runs, parent=self, key="report-runs")

    def _show_runs(self, runs: list[ReportRunRow]) -> None:
        self.run_model.set_rows(runs)
        self.loaded.emit()

    def _selection_changed(self, *_args: Any) -> None:
        row = self.table.selected_row()
        self.detail.setText(f"{row.title}: {row.description}" if row is not None else "")
        self.produce_button.setEnabled(row is not None and (row.run is not None or row.page is not None))
        self.open_page_button.setEnabled(row is not None and row.page is not None)

    def produce(self, row: ReportAction | None) -> None:
        if row is None:
            return
        if row.run is None:
            self.open_page(row)
            return
        module_name, function_name = row.run.split(":")
        self.dialog = getattr(importlib.import_module(module_name), function_name)(self.ctx, self)

    def open_page(self, row: ReportAction | None) -> None:
        if row is not None and row.page is not None:
            bus().navigate.emit(row.page, None)
