"""Marking a contract's reporting period as submitted to the commissioner (the date it was sent), or not."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QVBoxLayout, QWidget

from federation_desk.errors import FieldProblem, ValidationError
from federation_desk.services import contracts as cs
from federation_desk.services.dates import format_date, today
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import DateField, FormDialog


def submitted_text(period: cs.PeriodRow) -> str:
    """What the contract page shows beside the period: "Submitted 14/10/2026" or "Not marked as submitted"."""
    if period.submitted_on is None:
        return "Not marked as submitted"
    return f"Submitted {format_date(period.submitted_on)}"


class SubmittedDialog(FormDialog):
    """The date a period's report went to the commissioner (today unless changed); "Mark as not submitted" clears
    a date recorded by mistake."""

    def __init__(self, ops: Any, period: cs.PeriodRow, reference: str, parent: QWidget | None = None) -> None:
        super().__init__(f"Period {period.label}: submitted", ops, parent)
        self.period = period
        self.clearing = False
        self.wants_reload = False
        already = (
            f" It is recorded as submitted on {format_date(period.submitted_on)}."
            if period.submitted_on is not None
            else ""
        )
        intro = plain_label(
            f"Contract {reference}, period {period.title} ({period.dates_text}). Enter the date its report was sent "
            f"to the commissioner.{already}"
        )
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(0, intro)
        self.date = DateField(period.submitted_on or today())
        self.date.setMaximumWidth(160)
        self.add_field("submitted_on", "&Submitted on", self.date, "dd/mm/yyyy, for example 14/10/2026")
        self.clear_button: QPushButton = self.buttons.addButton(
            "Mark as not submitted", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.clear_button.setAccessibleName(f"Mark period {period.label} as not submitted")
        self.clear_button.setEnabled(period.submitted_on is not None)
        self.clear_button.setToolTip(
            "Remove the submitted date" if period.submitted_on is not None else "The period is not marked as submitted."
        )
        self.clear_button.clicked.connect(self.mark_not_submitted)
        self.date.selectAll()
        self.date.setFocus()

    def collect(self) -> date | None:
        if self.clearing:
            return None
        value = self.date.date_value("submitted_on", "Submitted on")
        if value is None:
            raise ValidationError(
                [
                    FieldProblem(
                        "submitted_on",
                        "Enter the date the report was submitted, or press Mark as not submitted.",
                    )
                ]
            )
        return value

    def save_call(self, form: date | None) -> tuple[Any, tuple[Any, ...]]:
        return cs.mark_period_submitted, (self.period.id, form, self.period.version)

    def mark_not_submitted(self) -> None:
        self.clearing = True
        try:
            self.save()
        finally:
            self.clearing = False

    def _busy(self, busy: bool) -> None:
        super()._busy(busy)
        self.clear_button.setEnabled(not busy and self.period.submitted_on is not None)

    def reload(self) -> None:
        """After someone else changed the period: close, and the contract page loads the latest."""
        self.wants_reload = True
        self.reject()
