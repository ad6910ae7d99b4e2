"""Produce a contract compliance report from the Reports page: choose the contract, the period and whether to hide
staff names; the report is built on a worker and opens in the PDF preview."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QVBoxLayout, QWidget

from federation_desk.services import contracts as cs
from federation_desk.services.dates import today
from federation_desk.ui import errors
from federation_desk.ui.widgets.common import plain_label


@dataclass(frozen=True)
class ReportChoice:
    contract: cs.ContractRow
    periods: list[cs.PeriodRow]
    default_period_id: int | None


def load_report_choices(session: Any) -> list[ReportChoice]:
    out = []
    for contract in cs.list_contracts(session):
        periods = [p for p in cs.list_periods(session, contract.id) if p.start_date <= today()]
        default = cs.default_period(periods, today())
        out.append(ReportChoice(contract, periods, default.id if default else None))
    return out


class ProduceReportDialog(QDialog):
    report_ready = Signal(object)

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Contract compliance report")
        self.setMinimumWidth(560)
        self.choices: list[ReportChoice] = []
        self.preview: Any = None
        self.result_: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "The report shows each obligation's red, amber or green for the period with the four periods "
                "before it, the records behind each exception, the evidence and a sign-off block.",
                "Muted",
            )
        )
        form = QFormLayout()
        self.contract = QComboBox()
        self.contract.setAccessibleName("Contract")
        self.period = QComboBox()
        self.period.setAccessibleName("Reporting period")
        self.anonymise = QCheckBox("Hide staff names (show role and practice)")
        form.addRow("&Contract", self.contract)
        form.addRow("&Period", self.period)
        form.addRow("", self.anonymise)
        layout.addLayout(form)
        self.status = plain_label("Loading the contracts ...", "Muted")
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.produce_button = self.buttons.addButton("Produce report", QDialogButtonBox.ButtonRole.AcceptRole)
        self.produce_button.setProperty("primary", True)
        self.produce_button.setEnabled(False)
        self.buttons.accepted.connect(self.produce)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.contract.currentIndexChanged.connect(self._fill_periods)
        self.load_job = ctx.ops.run_query(load_report_choices, on_done=self._loaded, parent=self)

    def _loaded(self, choices: list[ReportChoice]) -> None:
        self.choices = [c for c in choices if c.periods]
        self.contract.clear()
        for choice in self.choices:
            self.contract.addItem(f"{choice.contract.reference}: {choice.contract.title}", choice.contract.id)
        if not self.choices:
            self.status.setText("There are no contracts with a reporting period that has started. Add one first.")
            return
        self.status.setText("")
        self._fill_periods()

    def _fill_periods(self) -> None:
        self.period.clear()
        index = self.contract.currentIndex()
        if not 0 <= index < len(self.choices):
            self.produce_button.setEnabled(False)
            return
        choice = self.choices[index]
        for p in reversed(choice.periods):
            self.period.addItem(f"{p.title} ({p.dates_text})", p.id)
        self.period.setCurrentIndex(max(0, self.period.findData(choice.default_period_id)))
        self.produce_button.setEnabled(True)

    def produce(self) -> None:
        from federation_desk.reports.compliance_report import default_filename, produce_compliance_report
        from federation_desk.ui.pages.contract_detail import reports_folder

        index = self.contract.currentIndex()
        if not 0 <= index < len(self.choices):
            return
        choice = self.choices[index]
        period_id = self.period.currentData()
        label = next(p.label for p in choice.periods if p.id == period_id)
        anonymise = self.anonymise.isChecked()
        target = reports_folder() / default_filename(choice.contract.reference, label, anonymise)
        self.produce_button.setEnabled(False)
        self.status.setText(f"Producing the report for {choice.contract.reference} {label} ...")
        self.job = self.ctx.ops.run_job(
            produce_compliance_report,
            choice.contract.id,
            period_id,
            target,
            anonymise,
            on_done=self._done,
            on_error=self._failed,
            label="Producing the compliance report ...",
            parent=self,
        )

    def _done(self, result: Any) -> None:
        from federation_desk.ui.pdf_view import PdfPreviewDialog

        self.result_ = result
        self.preview = PdfPreviewDialog.show_pdf(
            result.path, f"Compliance report {result.path.stem}", self.parentWidget()
        )
        self.report_ready.emit(result)
        from federation_desk.ui.bus import bus

        bus().changed.emit(result.changes)  # the lists of reports produced refresh
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.produce_button.setEnabled(True)
        self.status.setText("The report was not produced.")
        errors.show_error(self, exc)


def produce_from_hub(ctx: Any, parent: QWidget | None) -> ProduceReportDialog:
    """The Reports page's action for the contract compliance report."""
    dialog = ProduceReportDialog(ctx, parent)
    dialog.open()
    return dialog
