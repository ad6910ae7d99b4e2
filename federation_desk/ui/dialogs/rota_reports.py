"""The rota's reports, produced from the Reports page: the printable week grid (PDF) and the recharge summary
(Excel). Each asks for its week or period, then builds on a worker."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QVBoxLayout, QWidget

from federation_desk.errors import ValidationError
from federation_desk.services import recharge, rota
from federation_desk.services.dates import format_date, today
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import DateField


class PeriodDialog(QDialog):
    """Asks for one date (a week) or a period."""

    def __init__(self, title: str, intro: str, first: date, last: date | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(intro))
        form = QFormLayout()
        self.first = DateField(first)
        self.first.setAccessibleName("From" if last is not None else "Any day of the week")
        form.addRow("From:" if last is not None else "Week of:", self.first)
        self.last: DateField | None = None
        if last is not None:
            self.last = DateField(last)
            self.last.setAccessibleName("To")
            form.addRow("To:", self.last)
        layout.addLayout(form)
        self.error = plain_label("", "FormErrors")
        self.error.setVisible(False)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Produce")
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.value: tuple[date, date] | None = None

    def _ok(self) -> None:
        try:
            first = self.first.date_value("first", "The date")
            last = self.last.date_value("last", "The last date") if self.last is not None else first
            if first is None or last is None:
                raise ValidationError("Enter the date (dd/mm/yyyy).")
        except ValidationError as exc:
            self.error.setText(" ".join(p.message for p in exc.problems) or exc.message)
            self.error.setVisible(True)
            return
        if last < first:
            self.error.setText("The last date is before the first.")
            self.error.setVisible(True)
            return
        self.value = (first, last)
        self.accept()


def week_grid_from_hub(ctx: Any, parent: QWidget | None) -> Any:
    """The Reports page's "Produce" for the printable week grid."""
    dialog = PeriodDialog(
        "Rota week grid",
        "The landscape week grid: every site down the side, Monday to Sunday across, who is booked and every "
        "vacancy. Choose any day of the week to print.",
        rota.monday_of(today()),
        None,
        parent,
    )
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.value is None:
        return None
    from federation_desk.reports.rota_grid import week_grid_pdf
    from federation_desk.ui.pdf_view import PdfPreviewDialog

    monday = rota.monday_of(dialog.value[0])
    target = Path(tempfile.mkdtemp(prefix="fd-rota-")) / f"rota-week-{monday.isoformat()}.pdf"
    return ctx.ops.run_job(
        week_grid_pdf,
        target,
        monday,
        on_done=lambda path: PdfPreviewDialog.show_pdf(path, f"Rota: week beginning {format_date(monday)}", parent),
        label="Preparing the week grid ...",
        parent=parent,
    )


def recharges_from_hub(ctx: Any, parent: QWidget | None) -> Any:
    """The Reports page's "Produce" for the recharge summary in Excel."""
    first_of_month = today().replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    dialog = PeriodDialog(
        "Rota recharges",
        "Hours per person per practice and service, for recharging practices. Choose the period.",
        last_month_end.replace(day=1),
        last_month_end,
        parent,
    )
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.value is None:
        return None
    start, end = dialog.value
    path, _ = QFileDialog.getSaveFileName(
        parent, "Export recharges", str(Path.home() / f"recharges-{start.isoformat()}.xlsx"), "Excel (*.xlsx)"
    )
    if not path:
        return None

    def job(session: Any) -> Path:
        rows = recharge.recharge_summary(session, start, end)
        return recharge.export_recharge_xlsx(rows, Path(path), start, end)

    return ctx.ops.run_query(job, label="Exporting the recharges ...", parent=parent)
