"""The Contracts page: the list of contracts with each one's current red/amber/green, and a contract's own page
(``contract_detail.ContractView``) opened from it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from federation_desk.domain.contracts import Rag
from federation_desk.services import contracts as cs
from federation_desk.services.contract_evaluators import ContractStatusRow, current_statuses
from federation_desk.services.dates import today
from federation_desk.services.money import format_money
from federation_desk.ui.dialogs.contract import ContractDialog
from federation_desk.ui.icons import icon
from federation_desk.ui.models.contract_kpi import rag_colour
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.pages.base import Page
from federation_desk.ui.pages.contract_detail import ContractView
from federation_desk.ui.widgets.common import Notice, PageHeader, SearchBox, plain_label
from federation_desk.ui.widgets.table import DataTable


def _rag_text(r: ContractStatusRow) -> str:
    if r.period is None:
        return r.counts_text.capitalize()
    return f"{r.overall.label} ({r.period.label})"


def _rag_fg(r: ContractStatusRow) -> QColor | None:
    return rag_colour(r.overall) if r.period is not None else None


CONTRACT_COLUMNS: list[Column[ContractStatusRow]] = [
    Column("Reference", lambda r: r.contract.reference, width=16),
    Column("Contract", lambda r: r.contract.title, tooltip=lambda r: r.contract.title, width=30),
    Column("Commissioner", lambda r: r.contract.commissioner, width=20),
    Column("Term", lambda r: r.contract.term_text, sort_key=lambda r: r.contract.start_date, width=24),
    Column(
        "Value",
        lambda r: format_money(r.contract.value) if r.contract.value is not None else "",
        sort_key=lambda r: r.contract.value,
        align=RIGHT,
        width=12,
    ),
    Column("Reports", lambda r: r.contract.reporting_frequency.label, width=9),
    Column(
        "Current RAG",
        _rag_text,
        sort_key=lambda r: r.overall.severity if r.period else -1,
        foreground=_rag_fg,
        tooltip=lambda r: "; ".join(r.worst_items) or r.counts_text,
        width=16,
    ),
    Column("Obligations", lambda r: r.counts_text, width=24),
]


def load_contract_list(session: Any, progress: Any = None) -> tuple[list[ContractStatusRow], cs.EditorChoices]:
    return current_statuses(session, today(), live_only=False), cs.editor_choices(session)


class ContractsPage(Page):
    key = "contracts"
    title = "Contracts"
    icon_name = "contracts"
    kinds = frozenset({"contract", "tender", "practice", "pcn"})
    loaded = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.stack = QStackedWidget()
        self.layout_.addWidget(self.stack, 1)
        self.list_view = QWidget()
        layout = QVBoxLayout(self.list_view)
        layout.setContentsMargins(0, 0, 0, 0)
        self.header = PageHeader("Contracts", "Won contracts, their obligations, KPIs and compliance reports")
        layout.addWidget(self.header)
        bar = QHBoxLayout()
        self.search = SearchBox("Search contracts", "Search contracts")
        self.search.textChanged.connect(self._filter)
        bar.addWidget(self.search)
        self.count = plain_label("", "Muted")
        bar.addWidget(self.count, 1)
        self.add_button = QPushButton(icon("add"), "Add contract")
        self.add_button.setAccessibleName("Add a contract")
        self.add_button.setProperty("needs", "federation")
        self.open_button = QPushButton(icon("open"), "Open")
        self.open_button.setAccessibleName("Open the selected contract")
        self.library_button = QPushButton(icon("info"), "KPI library")
        self.library_button.setAccessibleName("Show the KPI template library")
        bar.addWidget(self.library_button)
        bar.addWidget(self.add_button)
        bar.addWidget(self.open_button)
        layout.addLayout(bar)
        self.list_status = plain_label("", "Muted")
        self.list_status.setAccessibleName("What was last done")
        self.list_status.setVisible(False)
        layout.addWidget(self.list_status)
        self.empty_notice = Notice(
            "No contracts yet. Add the contracts the federation holds (Add contract), with the obligations the "
            "commissioner reports on; a contract won from a tender can name it."
        )
        self.empty_notice.setVisible(False)
        layout.addWidget(self.empty_notice)
        self.model: RowTableModel[ContractStatusRow] = RowTableModel(CONTRACT_COLUMNS, self)
        self.table = DataTable(self.model, "contracts", "Contracts")
        layout.addWidget(self.table, 1)
        self.legend = plain_label(
            "Current RAG: the latest reporting period that has ended (or the running one for a new contract). "
            "Open a contract to enter KPI values and produce its compliance report.",
            "Muted",
        )
        layout.addWidget(self.legend)
        self.stack.addWidget(self.list_view)
        self.view = ContractView(ctx, self)
        self.view.back_requested.connect(self.show_list)
        self.view.deleted.connect(self._contract_deleted)
        self.stack.addWidget(self.view)
        self.rows: list[ContractStatusRow] = []
        self.choices: cs.EditorChoices | None = None

        self.add_button.clicked.connect(self.add_contract)
        self.library_button.clicked.connect(self.show_library)
        self.library: Any = None
        self.open_button.clicked.connect(lambda: self.open_row(self.table.selected_row()))
        self.table.row_activated.connect(self.open_row)
        self.model.modelReset.connect(self._count)

    def focus_search(self) -> bool:
        if self.stack.currentWidget() is self.list_view:
            self.search.setFocus()
            self.search.selectAll()
            return True
        return False

    def reload(self) -> None:
        self.count.setText("Loading ...")
        self.load_job = self.ctx.ops.run_query(load_contract_list, on_done=self._show, parent=self, key="contracts")
        if self.stack.currentWidget() is self.view and self.view.contract_id is not None:
            self.view.reload()

    def _show(self, result: tuple[list[ContractStatusRow], cs.EditorChoices]) -> None:
        self.rows, self.choices = result
        selected = self.table.selected_row()
        self.model.set_rows(self.rows)
        if selected is not None:
            self.table.select_where(lambda r: r.contract.id == selected.contract.id)
        self.empty_notice.setVisible(not self.rows)
        live = [r for r in self.rows if r.period is not None]
        counts = [f"{sum(1 for r in live if r.overall is rag)} {rag.label.lower()}" for rag in (Rag.RED, Rag.AMBER)]
        green = sum(1 for r in live if r.overall is Rag.GREEN)
        self.header.set_subtitle(
            f"{len(self.rows)} contract{'s' if len(self.rows) != 1 else ''}, {len(live)} live: "
            f"{', '.join(counts)}, {green} green"
        )
        self.loaded.emit()

    def _filter(self, text: str) -> None:
        words = text.casefold().split()
        if not words:
            self.model.set_filter(None)
            return

        def match(r: ContractStatusRow) -> bool:
            hay = f"{r.contract.reference} {r.contract.title} {r.contract.commissioner} {r.contract.service or ''}"
            return all(w in hay.casefold() for w in words)

        self.model.set_filter(match)

    def _count(self) -> None:
        shown, total = len(self.model.visible_rows), len(self.model.all_rows)
        self.count.setText(f"{shown} of {total}" if shown != total else f"{total} contract{'s' if total != 1 else ''}")

    # -- navigation and editing -------------------------------------------------------------------------------
    def open_row(self, row: ContractStatusRow | None) -> None:
        if row is not None:
            self.open_contract(row.contract.id)

    def open_contract(self, contract_id: int) -> None:
        self.list_status.setVisible(False)
        self.stack.setCurrentWidget(self.view)
        self.view.show_contract(contract_id)

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list_view)
        self.table.setFocus()

    def _contract_deleted(self, changes: Any) -> None:
        """Back to the list, which reloads from the deletion's Changes and no longer shows the contract."""
        self.list_status.setText(getattr(changes, "message", "") or "Contract deleted.")
        self.list_status.setVisible(True)
        self.show_list()

    def show_library(self) -> None:
        from federation_desk.ui.dialogs.contract_templates import KpiLibraryDialog

        self.library = KpiLibraryDialog.ask(self.ctx, self)

    def add_contract(self) -> None:
        if self.choices is not None:
            ContractDialog.ask(self.ctx.ops, self.choices, None, self)
