"""One contract's page: its results for a period, the obligations editor, the KPI entry grid, the reports produced
(with a check that a PDF is one of them), and the history. "Produce report" builds the compliance report on a
worker and opens it in the PDF preview (Print and Save). "Mark period as submitted ..." records when the chosen
period's report went to the commissioner; "Delete contract ..." asks first and goes back to the list."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from federation_desk.errors import StaleEditError, ValidationError
from federation_desk.services import contracts as cs
from federation_desk.services.contract_evaluators import ContractEvaluation, Evaluation, evaluate_contract
from federation_desk.services.dates import format_instant, today
from federation_desk.services.money import format_money
from federation_desk.ui import errors
from federation_desk.ui.dialogs.contract import ContractDialog, ObligationDialog
from federation_desk.ui.dialogs.contract_period import SubmittedDialog, submitted_text
from federation_desk.ui.icons import icon
from federation_desk.ui.models.contract_kpi import KpiEntryModel, rag_colour
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.history import HistoryView
from federation_desk.ui.widgets.table import DataTable

RESULT_COLUMNS: list[Column[Evaluation]] = [
    Column("#", lambda r: str(r.obligation.position), sort_key=lambda r: r.obligation.position, align=RIGHT, width=3),
    Column("Obligation", lambda r: r.obligation.name, tooltip=lambda r: r.obligation.description, width=36),
    Column("Measured from", lambda r: r.obligation.obligation_type.label, width=22),
    Column("Value", lambda r: cs.format_short(r.value, r.obligation.unit, "no data"), align=RIGHT, width=9),
    Column("Target", lambda r: r.obligation.target_short, align=RIGHT, width=9),
    Column(
        "RAG",
        lambda r: r.rag.label,
        sort_key=lambda r: r.rag.severity,
        foreground=lambda r: rag_colour(r.rag),
        width=8,
    ),
    Column("Exceptions", lambda r: f"{len(r.exceptions):,}" if r.exceptions else "", align=RIGHT, width=9),
    Column("Result", lambda r: r.summary, tooltip=lambda r: r.summary, width=60),
]

OBLIGATION_COLUMNS: list[Column[cs.ObligationRow]] = [
    Column("#", lambda r: str(r.position), sort_key=lambda r: r.position, align=RIGHT, width=3),
    Column("Obligation", lambda r: r.name, width=36),
    Column("Measured from", lambda r: r.obligation_type.label, width=22),
    Column("Target", lambda r: r.target_short, align=RIGHT, width=9),
    Column("Thresholds", lambda r: r.thresholds_text, tooltip=lambda r: r.thresholds_text, width=40),
    Column("Contract reference", lambda r: r.schedule_ref or "", width=16),
    Column("Active", lambda r: "Yes" if r.active else "No", width=6),
]

RUN_COLUMNS: list[Column[cs.ReportRunRow]] = [
    Column("Produced", lambda r: format_instant(r.produced_at), sort_key=lambda r: r.produced_at, width=16),
    Column("By", lambda r: r.produced_by, width=14),
    Column("Period", lambda r: r.period_label, width=9),
    Column("Overall", lambda r: r.overall.label, foreground=lambda r: rag_colour(r.overall), width=8),
    Column("Results", lambda r: r.summary, width=26),
    Column("Names", lambda r: "withheld" if r.anonymised else "shown", width=9),
    Column("Pages", lambda r: str(r.pages), sort_key=lambda r: r.pages, align=RIGHT, width=6),
    Column("Trace code", lambda r: r.trace_code, width=12),
    Column("SHA-256", lambda r: r.sha256, tooltip=lambda r: r.sha256, width=30),
]


def _evaluate(session: Any, contract_id: int, period_id: int, progress: Any = None) -> ContractEvaluation:
    return evaluate_contract(session, contract_id, period_id, today(), trend_count=0, progress=progress)


def _load_view(session: Any, contract_id: int) -> cs.ContractViewData:
    return cs.load_contract_view(session, contract_id, today())


def _find_run(session: Any, sha256: str) -> cs.ReportRunRow | None:
    try:
        return cs.find_report_run(session, sha256)
    except Exception:  # NotFound: the file is not one of ours
        return None


def confirm_delete(parent: QWidget, contract: cs.ContractRow, obligations: int, values: int, periods: int) -> bool:
    """Ask before deleting a contract, naming what goes with it; Cancel is the default."""

    def count(n: int, word: str) -> str:
        return f"{n:,} {word}{'' if n == 1 else 's'}"

    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Delete contract")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"Delete contract {contract.reference}: {contract.title}?")
    box.setInformativeText(
        f"Its {count(obligations, 'obligation')}, {count(values, 'KPI value')} and "
        f"{count(periods, 'reporting period')} are deleted with it. This cannot be undone."
    )
    delete = box.addButton("Delete contract", QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is delete


def reports_folder() -> Path:
    from federation_desk.paths import data_dir

    folder = data_dir() / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class ContractView(QWidget):
    back_requested = Signal()
    loaded = Signal()
    evaluated = Signal()
    report_ready = Signal(object)  # ProducedReport
    deleted = Signal(object)  # the Changes of a deleted contract: the page goes back to the list

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contract_id: int | None = None
        self.data: cs.ContractViewData | None = None
        self.evaluation: ContractEvaluation | None = None
        self.preview: Any = None
        self.last_report: Any = None
        self.delete_job: Any = None
        self.submit_dialog: SubmittedDialog | None = None
        self._deleting: int | None = None  # the contract being deleted: not reloaded meanwhile
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.back_button = QPushButton("← Contracts")
        self.back_button.setAccessibleName("Back to the list of contracts")
        self.back_button.clicked.connect(self.back_requested.emit)
        top.addWidget(self.back_button)
        titles = QVBoxLayout()
        titles.setSpacing(2)
        self.title = plain_label("", "PageTitle")
        self.subtitle = plain_label("", "PageSubtitle")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        top.addLayout(titles, 1)
        self.edit_button = QPushButton(icon("edit"), "Edit contract")
        self.edit_button.clicked.connect(self.edit_contract)
        self.edit_button.setProperty("needs", "federation")  # contracts are federation records (access control)
        top.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        self.delete_button = QPushButton(icon("danger"), "Delete contract ...")
        self.delete_button.setAccessibleName("Delete this contract")
        self.delete_button.clicked.connect(self.delete_contract)
        self.delete_button.setProperty("needs", "federation")
        top.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)

        period_grid = QGridLayout()  # the period and, under it, whether its report was submitted
        period_grid.setVerticalSpacing(4)
        period_grid.addWidget(plain_label("Reporting period", "Muted", wrap=False), 0, 0)
        bar = QHBoxLayout()
        self.period = QComboBox()
        self.period.setAccessibleName("Reporting period")
        self.period.setMinimumWidth(300)
        self.period.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.period.currentIndexChanged.connect(self._period_changed)
        bar.addWidget(self.period)
        self.anonymise = QCheckBox("Hide staff names (show role and practice)")
        self.anonymise.setAccessibleName("Hide staff names in the report")
        bar.addWidget(self.anonymise)
        bar.addStretch(1)
        self.produce_button = QPushButton(icon("reports"), "Produce report")
        self.produce_button.setProperty("primary", True)
        self.produce_button.setAccessibleName("Produce the compliance report for this period")
        self.produce_button.clicked.connect(self.produce_report)
        self.produce_button.setProperty("needs", "practice")  # it records the report produced
        bar.addWidget(self.produce_button)
        period_grid.addLayout(bar, 0, 1)
        submitted_bar = QHBoxLayout()
        self.submitted = plain_label("", "Muted", wrap=False)
        self.submitted.setAccessibleName("Whether the period's report was submitted")
        submitted_bar.addWidget(self.submitted)
        self.submit_button = QPushButton("Mark period as submitted ...")
        self.submit_button.setAccessibleName("Mark the reporting period as submitted to the commissioner")
        self.submit_button.clicked.connect(self.mark_submitted)
        self.submit_button.setProperty("needs", "federation")  # a contract record (access control)
        submitted_bar.addWidget(self.submit_button)
        submitted_bar.addStretch(1)
        period_grid.addLayout(submitted_bar, 1, 1)
        period_grid.setColumnStretch(1, 1)
        layout.addLayout(period_grid)
        self.status = plain_label("", "Muted")
        layout.addWidget(self.status)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Contract sections")
        layout.addWidget(self.tabs, 1)
        self._build_overview()
        self._build_obligations()
        self._build_kpis()
        self._build_reports()
        self.history: HistoryView | None = None
        self.history_host = QWidget()
        QVBoxLayout(self.history_host).setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self.history_host, icon("history"), "History")
        self.tabs.currentChanged.connect(self._tab_changed)

    # -- building the tabs ------------------------------------------------------------------------------------
    def _build_overview(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        self.facts = QGridLayout()
        self.facts.setHorizontalSpacing(18)
        self.facts.setVerticalSpacing(4)
        layout.addLayout(self.facts)
        self.result_summary = plain_label("", "CardHeadline")
        layout.addWidget(self.result_summary)
        self.result_model: RowTableModel[Evaluation] = RowTableModel(RESULT_COLUMNS, self)
        self.result_table = DataTable(self.result_model, "contract-results", "Results for the period")
        self.result_table.row_activated.connect(self._show_result)
        layout.addWidget(self.result_table, 1)
        layout.addWidget(
            plain_label(
                "Double-click a result to see the records behind it. Values are checked as at the end of the "
                "period, or today while it is running.",
                "Muted",
            )
        )
        self.tabs.addTab(tab, icon("dashboard"), "Overview")

    def _build_obligations(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.obligation_count = plain_label("", "Muted")
        bar.addWidget(self.obligation_count, 1)
        self.add_obligation_button = QPushButton(icon("add"), "Add obligation")
        self.edit_obligation_button = QPushButton(icon("edit"), "Edit")
        self.delete_obligation_button = QPushButton("Delete")
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        for b in (
            self.add_obligation_button,
            self.edit_obligation_button,
            self.delete_obligation_button,
            self.up_button,
            self.down_button,
        ):
            b.setProperty("needs", "federation")
            bar.addWidget(b)
        layout.addLayout(bar)
        self.obligation_model: RowTableModel[cs.ObligationRow] = RowTableModel(OBLIGATION_COLUMNS, self)
        self.obligation_table = DataTable(self.obligation_model, "contract-obligations", "Obligations")
        self.obligation_table.setSortingEnabled(False)
        layout.addWidget(self.obligation_table, 1)
        self.add_obligation_button.clicked.connect(lambda: self.edit_obligation(None))
        self.edit_obligation_button.clicked.connect(lambda: self.edit_obligation(self.obligation_table.selected_row()))
        self.obligation_table.row_activated.connect(self.edit_obligation)
        self.delete_obligation_button.clicked.connect(self.delete_obligation)
        self.up_button.clicked.connect(lambda: self.move_obligation(-1))
        self.down_button.clicked.connect(lambda: self.move_obligation(1))
        self.tabs.addTab(tab, icon("edit"), "Obligations")

    def _build_kpis(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(plain_label("Enter values for", "Muted"))
        self.kpi_period = QComboBox()
        self.kpi_period.setAccessibleName("Period to enter KPI values for")
        self.kpi_period.setMinimumWidth(300)
        self.kpi_period.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kpi_period.currentIndexChanged.connect(self._kpi_period_changed)
        bar.addWidget(self.kpi_period)
        bar.addStretch(1)
        self.undo_kpi_button = QPushButton("Undo changes")
        self.save_kpi_button = QPushButton(icon("save"), "Save values")
        self.save_kpi_button.setProperty("primary", True)
        for b in (self.undo_kpi_button, self.save_kpi_button):
            b.setProperty("needs", "federation")
            bar.addWidget(b)
        layout.addLayout(bar)
        self.kpi_problems = plain_label("", "FormErrors")
        self.kpi_problems.setVisible(False)
        self.kpi_problems.setAccessibleName("Problems with the values")
        layout.addWidget(self.kpi_problems)
        self.kpi_model = KpiEntryModel(self)
        self.kpi_table = QTableView()
        self.kpi_table.setModel(self.kpi_model)
        self.kpi_table.setAccessibleName("KPI values")
        self.kpi_table.setAlternatingRowColors(True)
        self.kpi_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.kpi_table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.kpi_table.verticalHeader().setVisible(False)
        self.kpi_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.kpi_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        self.kpi_table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.kpi_table, 1)
        self.kpi_note = plain_label(
            "Type a value and an explanation (for a red or amber value) for each KPI, then Save. Values are "
            "coloured against their thresholds as you type; empty a value to remove it. Who saved each value and "
            "when is recorded.",
            "Muted",
        )
        layout.addWidget(self.kpi_note)
        self.save_kpi_button.clicked.connect(self.save_kpis)
        self.undo_kpi_button.clicked.connect(self._reload_kpis)
        self.kpi_model.dataChanged.connect(self._kpi_edited)
        self.tabs.addTab(tab, icon("edit"), "KPI entry")

    def _build_reports(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(
            plain_label(
                "Every compliance report produced, with its SHA-256 fingerprint: a printed copy carries its trace "
                "code on every page.",
                "Muted",
            ),
            1,
        )
        self.check_button = QPushButton(icon("search"), "Check a PDF ...")
        self.check_button.setAccessibleName("Check whether a PDF file is a report produced here")
        self.check_button.clicked.connect(self.check_pdf_dialog)
        bar.addWidget(self.check_button)
        layout.addLayout(bar)
        self.run_model: RowTableModel[cs.ReportRunRow] = RowTableModel(RUN_COLUMNS, self)
        self.run_table = DataTable(self.run_model, "contract-runs", "Reports produced")
        self.run_table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        layout.addWidget(self.run_table, 1)
        self.tabs.addTab(tab, icon("reports"), "Reports produced")

    # -- loading ----------------------------------------------------------------------------------------------
    def show_contract(self, contract_id: int) -> None:
        if contract_id != self.contract_id:
            self.contract_id = contract_id
            self.data = None
            self.evaluation = None
            self.result_model.set_rows([])
            self.title.setText("Loading ...")
            self.subtitle.setText("")
            if self.history is not None:
                self.history.setParent(None)
                self.history.deleteLater()
                self.history = None
        self.reload()

    def reload(self) -> None:
        if self.contract_id is None or self.contract_id == self._deleting:
            return
        self.ctx.ops.run_query(_load_view, self.contract_id, on_done=self._show, parent=self, key="contract-view")

    def _show(self, data: cs.ContractViewData) -> None:
        if data.detail.contract.id != self.contract_id:
            return
        previous_period = self.period.currentData()
        previous_kpi_period = self.kpi_period.currentData()
        self.data = data
        c = data.detail.contract
        self.title.setText(f"{c.reference}: {c.title}")
        parts = [c.commissioner, c.term_text, f"{c.reporting_frequency.label.lower()} reports"]
        if c.value is not None:
            parts.append(format_money(c.value))
        if c.tender_reference:
            parts.append(f"won from tender {c.tender_reference}")
        self.subtitle.setText(" · ".join(parts))
        self._show_facts(c)
        periods = data.detail.periods
        for combo, keep in ((self.period, previous_period), (self.kpi_period, previous_kpi_period)):
            combo.blockSignals(True)
            combo.clear()
            for p in periods:
                combo.addItem(f"{p.title} ({p.dates_text})", p.id)
            wanted = keep if keep is not None and combo.findData(keep) >= 0 else data.default_period_id
            combo.setCurrentIndex(max(0, combo.findData(wanted)))
            combo.blockSignals(False)
        self.produce_button.setEnabled(bool(periods))
        self.delete_button.setEnabled(True)
        self.obligation_model.set_rows(data.detail.obligations)
        active = sum(1 for o in data.detail.obligations if o.active)
        self.obligation_count.setText(
            f"{len(data.detail.obligations)} obligation{'s' if len(data.detail.obligations) != 1 else ''}"
            f" ({active} active), in report order"
        )
        self.run_model.set_rows(data.detail.runs)
        self.tabs.setTabText(3, f"Reports produced ({len(data.detail.runs)})")
        self._period_changed()
        self._reload_kpis()
        if self.tabs.currentWidget() is self.history_host:
            self._load_history()
        self.loaded.emit()

    def _show_facts(self, c: cs.ContractRow) -> None:
        while self.facts.count():
            item = self.facts.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        pairs = [
            ("Service", c.service or "not recorded"),
            ("Delivered by", ", ".join(c.practice_names) or "every member practice"),
            ("Rota services", ", ".join(c.service_codes) or "all of the practices' work"),
            ("Contract manager", c.contract_manager or "not recorded"),
            ("Commissioner contact", c.commissioner_contact or "not recorded"),
        ]
        for i, (label, value) in enumerate(pairs):
            self.facts.addWidget(plain_label(label, "Muted"), i, 0, Qt.AlignmentFlag.AlignTop)
            self.facts.addWidget(plain_label(value), i, 1)
        self.facts.setColumnStretch(1, 1)

    def current_period(self) -> cs.PeriodRow | None:
        """The reporting period chosen at the top (the one the results and the report are for)."""
        period_id = self.period.currentData()
        if self.data is None or period_id is None:
            return None
        return next((p for p in self.data.detail.periods if p.id == period_id), None)

    def _period_changed(self) -> None:
        period = self.current_period()
        self.submitted.setText(submitted_text(period) if period is not None else "")
        self.submit_button.setEnabled(period is not None)
        period_id = self.period.currentData()
        if period_id is None or self.contract_id is None:
            self.result_model.set_rows([])
            self.result_summary.setText("No reporting periods: check the contract's dates.")
            return
        self.result_summary.setText("Checking the obligations ...")
        self.ctx.ops.run_query(
            _evaluate, self.contract_id, period_id, on_done=self._show_evaluation, parent=self, key="contract-eval"
        )

    def _show_evaluation(self, evaluation: ContractEvaluation) -> None:
        if evaluation.contract.id != self.contract_id:
            return
        self.evaluation = evaluation
        self.result_model.set_rows(list(evaluation.results))
        self.result_summary.setText(
            f"{evaluation.period.label}: {evaluation.overall.label} overall ({evaluation.counts_text}), as at "
            f"{evaluation.as_of:%d/%m/%Y}"
            if evaluation.results
            else "This contract has no active obligations yet: add them on the Obligations tab."
        )
        colour = rag_colour(evaluation.overall)
        self.result_summary.setStyleSheet(f"color: {colour.name()};" if colour is not None else "")
        self.evaluated.emit()

    def _show_result(self, result: Evaluation) -> None:
        lines = [result.summary]
        if result.exceptions:
            lines.append("")
            for row in result.exceptions[:25]:
                who = ", ".join(p for p in (row.subject, row.role, row.practice) if p)
                lines.append(f"• {who}: {row.detail}")
            if len(result.exceptions) > 25:
                lines.append(f"... and {len(result.exceptions) - 25:,} more (all are listed in the report).")
        box = QMessageBox(self)
        box.setWindowTitle(result.obligation.name)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"{result.value_text}: {result.rag.label}")
        box.setInformativeText("\n".join(lines))
        box.exec()

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.history_host:
            self._load_history()

    def _load_history(self) -> None:
        if self.data is None:
            return
        d = self.data.detail
        related = [
            ("contract_obligation", [o.id for o in d.obligations]),
            ("reporting_period", [p.id for p in d.periods]),
            ("kpi_value", self.data.kpi_value_ids),
            ("compliance_report_run", [r.id for r in d.runs]),
        ]
        if self.history is None or self.history.row_id != d.contract.id:
            if self.history is not None:
                self.history.setParent(None)
                self.history.deleteLater()
            self.history = HistoryView(self.ctx, "contract", d.contract.id, related, self.history_host)
            self.history_host.layout().addWidget(self.history)
        self.history.related = related
        self.history.load()

    # -- editing ----------------------------------------------------------------------------------------------
    def edit_contract(self) -> None:
        if self.data is not None:
            ContractDialog.ask(self.ctx.ops, self.data.choices, self.data.detail.contract, self)

    def edit_obligation(self, row: cs.ObligationRow | None) -> None:
        if self.data is not None and self.contract_id is not None:
            ObligationDialog.ask(self.ctx.ops, self.contract_id, self.data.choices, row, self)

    def delete_obligation(self) -> None:
        row = self.obligation_table.selected_row()
        if row is None:
            return
        if not self.confirm(f"Delete the obligation '{row.name}'? Reports already produced keep it."):
            return
        self.ctx.ops.run_write(cs.delete_obligation, row.id, row.version, parent=self)

    def move_obligation(self, step: int) -> None:
        row = self.obligation_table.selected_row()
        if row is not None:
            self.ctx.ops.run_write(
                cs.move_obligation,
                row.id,
                step,
                parent=self,
                on_done=lambda _c: self.obligation_table.select_where(lambda r: r.id == row.id),
            )

    def confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Federation Desk", question)
        return answer == QMessageBox.StandardButton.Yes

    def delete_contract(self) -> None:
        if self.data is None:
            return
        d = self.data.detail
        c = d.contract
        if not confirm_delete(self, c, len(d.obligations), len(self.data.kpi_value_ids), len(d.periods)):
            return
        self._deleting = c.id
        self.delete_button.setEnabled(False)
        self.status.setText(f"Deleting contract {c.reference} ...")
        self.delete_job = self.ctx.ops.run_write(
            cs.delete_contract,
            c.id,
            c.version,
            on_done=self._contract_deleted,
            on_error=self._delete_failed,
            parent=self,
        )

    def _contract_deleted(self, changes: Any) -> None:
        self._deleting = None
        self.contract_id = None
        self.data = None
        self.evaluation = None
        self.status.setText("")
        self.deleted.emit(changes)

    def _delete_failed(self, exc: BaseException) -> None:
        self._deleting = None
        self.delete_button.setEnabled(True)
        self.status.setText("The contract was not deleted.")
        errors.show_error(self, exc)  # a refusal (its reports on record) or someone else's change: plain text
        if isinstance(exc, StaleEditError):
            self.reload()  # show the latest version

    def mark_submitted(self) -> None:
        period = self.current_period()
        if self.data is None or period is None:
            return
        if self.submit_dialog is not None:
            self.submit_dialog.deleteLater()
        self.submit_dialog = SubmittedDialog(self.ctx.ops, period, self.data.detail.contract.reference, self)
        self.submit_dialog.finished.connect(self._submitted_closed)
        self.submit_dialog.open()

    def _submitted_closed(self, result: int) -> None:
        dialog = self.submit_dialog
        if dialog is None:
            return
        if result == SubmittedDialog.DialogCode.Accepted and dialog.saved_result is not None:
            self.status.setText(dialog.saved_result.message)  # the page reloads itself from the Changes
        elif dialog.wants_reload:
            self.reload()

    # -- KPI entry --------------------------------------------------------------------------------------------
    def _kpi_period_changed(self) -> None:
        if self.kpi_model.is_dirty and not self.confirm("Discard the values you typed but did not save?"):
            return
        self._reload_kpis()

    def _reload_kpis(self) -> None:
        period_id = self.kpi_period.currentData()
        self.kpi_problems.setVisible(False)
        if period_id is None or self.contract_id is None:
            return
        self.ctx.ops.run_query(
            cs.load_kpi_grid, self.contract_id, period_id, on_done=self._show_kpis, parent=self, key="contract-kpis"
        )

    def _show_kpis(self, grid: cs.KpiGrid) -> None:
        self.kpi_model.set_grid(grid)
        header = self.kpi_table.horizontalHeader()
        widths = {0: 30, 1: 240, 2: 76}
        for col in range(self.kpi_model.columnCount()):
            if col in widths:
                self.kpi_table.setColumnWidth(col, widths[col])
            elif col < self.kpi_model.value_column():
                self.kpi_table.setColumnWidth(col, 72)
            elif col == self.kpi_model.value_column():
                self.kpi_table.setColumnWidth(col, 110)
            elif col == self.kpi_model.note_column():
                self.kpi_table.setColumnWidth(col, 240)
        header.setStretchLastSection(True)
        self._kpi_edited()
        if not grid.rows:
            self.kpi_note.setText(
                "This contract has no KPIs entered by hand. Add one on the Obligations tab (measured from: KPI "
                "entered each period); the other obligations are measured from live data."
            )

    def _kpi_edited(self, *_args: Any) -> None:
        dirty = self.kpi_model.is_dirty
        self.save_kpi_button.setEnabled(dirty)
        self.undo_kpi_button.setEnabled(dirty)

    def save_kpis(self) -> None:
        grid = self.kpi_model.grid
        entries = self.kpi_model.entries()
        if grid is None or not entries:
            return
        self.kpi_table.setFocus()
        self.save_kpi_button.setEnabled(False)
        self.save_kpi_button.setText("Saving ...")
        self.ctx.ops.run_write(
            cs.save_kpi_values,
            grid.period.id,
            entries,
            on_done=self._kpis_saved,
            on_error=self._kpis_failed,
            parent=self,
        )

    def _kpis_saved(self, changes: Any) -> None:
        self.save_kpi_button.setText("Save values")
        self.status.setText(changes.message)

    def _kpis_failed(self, exc: BaseException) -> None:
        self.save_kpi_button.setText("Save values")
        self._kpi_edited()
        if isinstance(exc, ValidationError):
            problems = {}
            for p in exc.problems:
                if p.field.startswith(("value:", "note:")):
                    problems[int(p.field.split(":")[1])] = p.message
            self.kpi_model.set_problems(problems)
            self.kpi_problems.setText("Nothing was saved: " + exc.message)
            self.kpi_problems.setVisible(True)
        elif isinstance(exc, StaleEditError):
            self.kpi_problems.setText(
                exc.message + " Press Undo changes to load the latest values, then enter yours again."
            )
            self.kpi_problems.setVisible(True)
        else:
            errors.show_error(self, exc)

    # -- producing the report ---------------------------------------------------------------------------------
    def produce_report(self) -> None:
        from federation_desk.reports.compliance_report import default_filename, produce_compliance_report

        period_id = self.period.currentData()
        if self.data is None or period_id is None:
            return
        contract = self.data.detail.contract
        label = next((p.label for p in self.data.detail.periods if p.id == period_id), "")
        anonymise = self.anonymise.isChecked()
        target = reports_folder() / default_filename(contract.reference, label, anonymise)
        self.produce_button.setEnabled(False)
        self.status.setText(f"Producing the compliance report for {label} ...")
        self.produce_job = self.ctx.ops.run_job(
            produce_compliance_report,
            contract.id,
            period_id,
            target,
            anonymise,
            on_done=self._report_done,
            on_error=self._report_failed,
            label="Producing the compliance report ...",
            parent=self,
        )

    def _report_done(self, result: Any) -> None:
        from federation_desk.ui.pdf_view import PdfPreviewDialog

        self.produce_button.setEnabled(True)
        self.last_report = result
        self.status.setText(
            f"Report for {result.run.period_label} produced: {result.pages} pages, overall "
            f"{result.overall.label.lower()}; trace code {result.run.trace_code}."
        )
        title = (
            f"Compliance report {self.data.detail.contract.reference if self.data else ''} {result.run.period_label}"
        )
        self.preview = PdfPreviewDialog.show_pdf(result.path, title, self)
        self.report_ready.emit(result)
        from federation_desk.ui.bus import bus

        bus().changed.emit(result.changes)  # the lists of reports produced refresh

    def _report_failed(self, exc: BaseException) -> None:
        self.produce_button.setEnabled(True)
        self.status.setText("The report was not produced.")
        errors.show_error(self, exc)

    # -- checking a PDF ---------------------------------------------------------------------------------------
    def check_pdf_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Check a compliance report", str(Path.home()), "PDF (*.pdf)")
        if path:
            self.check_pdf(Path(path))

    def check_pdf(self, path: Path) -> Any:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            errors.show_error(self, ValidationError(f"{path.name} could not be read: {exc.strerror}."))
            return None
        return self.ctx.ops.run_query(_find_run, digest, on_done=lambda run: self._checked(path, run), parent=self)

    def _checked(self, path: Path, run: cs.ReportRunRow | None) -> None:
        if run is None:
            text = (
                f"{path.name} is not a compliance report produced by Federation Desk on this database, or it has "
                "been changed since (its SHA-256 fingerprint matches no record)."
            )
        else:
            text = (
                f"{path.name} is the compliance report for {run.period_label} produced by {run.produced_by} on "
                f"{format_instant(run.produced_at)} (trace code {run.trace_code}); the file is unchanged."
            )
        self.check_result = text
        self.status.setText(text)
