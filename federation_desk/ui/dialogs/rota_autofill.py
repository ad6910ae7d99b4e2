"""Auto-fill: choose the period (and whether proposals may need an override reason), the solver runs on a worker
(progress and Cancel), and its proposals are shown for the person to accept before anything is written, with the
vacancies it cannot fill and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from federation_desk.errors import ValidationError
from federation_desk.services import rota_solver as solver
from federation_desk.services.dates import format_date
from federation_desk.ui import theme
from federation_desk.ui.models.table_model import Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import DateField
from federation_desk.ui.widgets.table import DataTable


def _day(d: date) -> str:
    return f"{d:%a} {format_date(d)}"


PROPOSAL_COLUMNS: list[Column[solver.Proposal]] = [
    Column("Date", lambda r: _day(r.session_date), sort_key=lambda r: (r.session_date, r.starts_at), width=17),
    Column("Time", lambda r: r.time_text, width=17),
    Column("Site", lambda r: r.site_name, tooltip=lambda r: r.session_label, width=28),
    Column("Service", lambda r: r.service_name, width=18),
    Column("Proposed", lambda r: r.staff_name, width=22),
    Column("Role", lambda r: r.role_name, width=14),
    Column(
        "Warnings",
        lambda r: ("Needs a reason: " if r.needs_reason else "") + r.note,
        tooltip=lambda r: r.note or None,
        width=60,
        foreground=lambda r: QColor(theme.current().warning) if r.soft else None,
    ),
]
UNFILLABLE_COLUMNS: list[Column[solver.Unfillable]] = [
    Column("Date", lambda r: _day(r.session_date), sort_key=lambda r: r.session_date, width=17),
    Column("Time", lambda r: r.time_text, width=17),
    Column("Site", lambda r: r.site_name, tooltip=lambda r: r.session_label, width=28),
    Column("Role", lambda r: r.role_name, width=14),
    Column("Places", lambda r: str(r.missing), width=7),
    Column("Why it cannot be filled", lambda r: r.reason, tooltip=lambda r: r.reason, width=90),
]


@dataclass(frozen=True)
class AutoFillOptions:
    start: date
    end: date
    allow_soft: bool


class AutoFillOptionsDialog(QDialog):
    """The period to fill and whether proposals may break a soft rule (each then needs the person's acceptance,
    recorded as the override reason)."""

    def __init__(self, start: date, end: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Auto-fill vacancies")
        self.setAccessibleName("Auto-fill options")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # grow to fit the wrapped text
        layout.addWidget(
            plain_label(
                "Auto-fill looks for the best people for every vacant place in the period, under every rule that "
                "cannot be overridden (double booking, approved leave, the compliance gate), with as few "
                "Working Time warnings as it can and the sessions shared out fairly. Nothing is booked until you "
                "accept its proposals."
            )
        )
        form = QFormLayout()
        period = QHBoxLayout()
        self.start = DateField(start)
        self.start.setAccessibleName("First day to fill")
        self.end = DateField(end)
        self.end.setAccessibleName("Last day to fill")
        period.addWidget(self.start)
        period.addWidget(plain_label("to", wrap=False))
        period.addWidget(self.end)
        period.addStretch(1)
        form.addRow("Period:", period)
        layout.addLayout(form)
        self.allow_soft = QCheckBox("Also propose bookings that need an override reason")
        self.allow_soft.setChecked(True)
        self.allow_soft.setAccessibleName("Allow proposals that need an override reason")
        layout.addWidget(self.allow_soft)
        layout.addWidget(
            plain_label(
                "Only when nobody else can take the place: a Working Time or skill warning, shown on the proposal. "
                "Accepting it records your acceptance as the reason.",
                "Muted",
            )
        )
        self.error = plain_label("", "FormErrors")
        self.error.setVisible(False)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Find proposals")
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.options: AutoFillOptions | None = None

    def _ok(self) -> None:
        try:
            start = self.start.date_value("start", "First day")
            end = self.end.date_value("end", "Last day")
            if start is None or end is None:
                raise ValidationError("Enter both days of the period (dd/mm/yyyy).")
        except ValidationError as exc:
            self.error.setText(exc.message if not exc.problems else " ".join(p.message for p in exc.problems))
            self.error.setVisible(True)
            return
        if end < start:
            self.error.setText("The last day is before the first day.")
            self.error.setVisible(True)
            return
        if (end - start).days >= solver.MAX_DAYS:
            self.error.setText(f"Auto-fill works on at most {solver.MAX_DAYS} days at a time; choose a shorter period.")
            self.error.setVisible(True)
            return
        self.options = AutoFillOptions(start, end, self.allow_soft.isChecked())
        self.accept()

    @classmethod
    def ask(cls, start: date, parent: QWidget | None) -> AutoFillOptions | None:
        dialog = cls(start, start + timedelta(days=6), parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.options
        return None


class AutoFillDialog(QDialog):
    """The proposals (to accept or not) and the vacancies that cannot be filled, with the reason."""

    def __init__(self, ops: Any, result: solver.AutoFillResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.result_ = result
        self.setWindowTitle("Auto-fill proposals")
        self.setAccessibleName("Auto-fill proposals")
        self.resize(1200, 660)
        layout = QVBoxLayout(self)
        self.summary = plain_label(result.summary, "PageSubtitle")
        self.summary.setAccessibleName("What auto-fill found")
        layout.addWidget(self.summary)
        detail = (
            "Nothing has been booked yet. Every proposal has been checked against every rule, each with the ones "
            "before it; accepting books them all in one go and checks each again."
        )
        if result.soft_breaches:
            detail += (
                f" {result.soft_breaches} break a soft rule (marked): accepting records your acceptance as the "
                "override reason."
            )
        detail += f" Found in {result.seconds:.1f} s from {result.people} people."
        layout.addWidget(plain_label(detail, "Muted"))
        self.tabs = QTabWidget()
        self.proposals: RowTableModel[solver.Proposal] = RowTableModel(PROPOSAL_COLUMNS, self)
        self.proposals.set_rows(result.proposals)
        self.tabs.addTab(
            DataTable(self.proposals, "autofill_proposals", "Proposed bookings"),
            f"Proposed bookings ({len(result.proposals)})",
        )
        self.unfillable: RowTableModel[solver.Unfillable] = RowTableModel(UNFILLABLE_COLUMNS, self)
        self.unfillable.set_rows(result.unfillable)
        self.tabs.addTab(
            DataTable(self.unfillable, "autofill_unfillable", "Vacancies that cannot be filled"),
            f"Cannot be filled ({sum(u.missing for u in result.unfillable)})",
        )
        if not result.proposals and result.unfillable:
            self.tabs.setCurrentIndex(1)
        layout.addWidget(self.tabs, 1)
        self.error = QLabel()
        self.error.setObjectName("FormErrors")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.error.setAccessibleName("Why the proposals were not booked")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.accept_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.accept_button.setText(f"Accept and book {len(result.proposals)}")
        self.accept_button.setEnabled(bool(result.proposals))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close without booking")
        self.buttons.accepted.connect(self.book)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.job: Any = None
        self.booked: Any = None

    def book(self) -> None:
        self.accept_button.setEnabled(False)
        self.error.setVisible(False)
        self.job = self.ops.run_write(
            solver.accept_proposals,
            self.result_.proposals,
            on_done=self._booked,
            on_error=self._failed,
            label="Checking and booking the proposals ...",
            parent=self,
        )

    def _booked(self, changes: Any) -> None:
        self.booked = changes
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.accept_button.setEnabled(True)
        message = getattr(exc, "message", None) or str(exc)
        what = getattr(exc, "what_to_do", "")
        self.error.setText(f"{message} {what}".strip())
        self.error.setVisible(True)

    @classmethod
    def ask(cls, ops: Any, result: solver.AutoFillResult, parent: QWidget | None) -> bool:
        return cls(ops, result, parent).exec() == QDialog.DialogCode.Accepted
