"""The "Rota" tab of a staff record: the person's sessions in a period (with any override reasons), their hours,
their Working Time position (the 17-week average against the limit, or their opt-out), the skills some sessions
need, and an iCalendar export. Registered in ``ui/pages/staff_record.STAFF_RECORD_TABS``; built as
``RotaTab(ctx, staff_id, parent)`` and filled by :meth:`RotaTab.load`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from federation_desk.errors import ValidationError
from federation_desk.services import ical, rota
from federation_desk.services.dates import format_date, today
from federation_desk.ui import errors, theme
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import DateField
from federation_desk.ui.widgets.table import DataTable


def _mine(row: rota.SessionRow, staff_id: int) -> rota.AssigneeRow | None:
    return next((a for a in row.assignees if a.staff_id == staff_id), None)


class RotaTab(QWidget):
    loaded = Signal()

    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.staff_id = staff_id
        self.data: rota.PersonRota | None = None
        self.load_job: Any = None
        self.jobs: dict[str, Any] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        self.summary = plain_label("Loading ...")
        self.summary.setAccessibleName("Sessions and hours in the period")
        layout.addWidget(self.summary)
        self.working_time = plain_label("", "Muted")
        self.working_time.setAccessibleName("Working Time position")
        layout.addWidget(self.working_time)
        bar = QHBoxLayout()
        bar.addWidget(plain_label("From", wrap=False))
        monday = rota.monday_of(today())
        self.start = DateField(monday - timedelta(weeks=2))
        self.start.setAccessibleName("From date")
        bar.addWidget(self.start)
        bar.addWidget(plain_label("to", wrap=False))
        self.end = DateField(monday + timedelta(weeks=6, days=-1))
        self.end.setAccessibleName("To date")
        bar.addWidget(self.end)
        self.show_button = QPushButton(icon("refresh"), "Show")
        self.show_button.setAccessibleName("Show the sessions in this period")
        bar.addWidget(self.show_button)
        bar.addStretch(1)
        self.ics_button = QPushButton(icon("export"), "Export calendar ...")
        self.ics_button.setAccessibleName("Export this person's sessions as an iCalendar file")
        bar.addWidget(self.ics_button)
        layout.addLayout(bar)
        c = theme.current()
        columns: list[Column[rota.SessionRow]] = [
            Column(
                "Date",
                lambda r: f"{r.session_date:%a} {format_date(r.session_date)}",
                sort_key=lambda r: r.starts_at,
                width=17,
            ),
            Column("Time", lambda r: r.time_text, width=17),
            Column("Hours", lambda r: f"{r.hours:.2f}", sort_key=lambda r: r.hours, align=RIGHT, width=6),
            Column("Site", lambda r: r.site_name, width=26),
            Column("Service", lambda r: r.service_name, width=20),
            Column("Role", lambda r: r.role_name, width=16),
            Column("Published", lambda r: "yes" if r.published else "", width=9),
            Column(
                "Override",
                lambda r: self._override(r),
                tooltip=lambda r: self._override(r) or None,
                foreground=lambda r: QColor(c.warning) if self._override(r) else None,
                width=50,
            ),
        ]
        self.model: RowTableModel[rota.SessionRow] = RowTableModel(columns, self)
        self.table = DataTable(self.model, "staff_rota", "This person's sessions")
        layout.addWidget(self.table, 1)
        skills = QHBoxLayout()
        self.skills = plain_label("", wrap=True)
        self.skills.setAccessibleName("Skills some sessions need")
        skills.addWidget(self.skills, 1)
        self.skills_button = QPushButton(icon("edit"), "Edit skills ...")
        self.skills_button.setAccessibleName("Edit this person's skills")
        skills.addWidget(self.skills_button)
        layout.addLayout(skills)
        self.show_button.clicked.connect(self.load)
        self.ics_button.clicked.connect(self.export)
        self.skills_button.clicked.connect(self.edit_skills)

    def _override(self, row: rota.SessionRow) -> str:
        mine = _mine(row, self.staff_id)
        if mine is None or not mine.override_reason:
            return ""
        return f"{mine.overridden_rules}: {mine.override_reason}"

    def _period(self) -> tuple[Any, Any] | None:
        try:
            start = self.start.date_value("start", "From")
            end = self.end.date_value("end", "To")
            if start is None or end is None:
                raise ValidationError("Enter both dates of the period (dd/mm/yyyy).")
        except ValidationError as exc:
            errors.show_error(self, exc)
            return None
        return start, end

    def load(self) -> None:
        period = self._period()
        if period is None or self.ctx.database is None:
            return
        self.load_job = self.ctx.ops.run_query(
            rota.person_rota, self.staff_id, *period, on_done=self._show, parent=self, key=f"rota-tab-{self.staff_id}"
        )

    def _show(self, data: rota.PersonRota) -> None:
        self.data = data
        self.model.set_rows(data.sessions)
        overrides = sum(1 for r in data.sessions if self._override(r))
        text = f"{len(data.sessions)} session{'s' if len(data.sessions) != 1 else ''}, {data.hours:.1f} hours"
        if overrides:
            text += f"; {overrides} booked by override with a recorded reason"
        self.summary.setText(text + ".")
        span = f"the {round((data.reference_last - data.reference_first).days / 7)} weeks "
        span += f"{format_date(data.reference_first)} to {format_date(data.reference_last)}"
        if data.is_locum:
            wt = (
                f"Self-employed locum: outside the Working Time Regulations (warnings are advisory). Average "
                f"{data.average_hours:.1f} hours a week over {span}."
            )
        elif data.opted_out:
            wt = (
                f"Has opted out of the 48-hour average in writing. Average {data.average_hours:.1f} hours a week "
                f"over {span}."
            )
        else:
            wt = (
                f"Average {data.average_hours:.1f} hours a week over {span} (the limit is "
                f"{data.limit_hours:g} unless they opt out in writing)."
            )
        self.working_time.setText(wt)
        self.skills.setText(
            "Skills some sessions need: " + (", ".join(data.skills) if data.skills else "none recorded") + "."
        )
        self.loaded.emit()

    def export(self) -> None:
        period = self._period()
        if period is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export calendar", str(Path.home() / "rota.ics"), "iCalendar (*.ics)"
        )
        if path:
            self.jobs["ics"] = self.ctx.ops.run_query(ical.export_ics, Path(path), *period, self.staff_id, parent=self)

    def edit_skills(self) -> None:
        current = self.data.skills if self.data else ()
        dialog = SkillsDialog(current, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.save_skills(dialog.skills())

    def save_skills(self, skills: list[str]) -> None:
        self.jobs["skills"] = self.ctx.ops.run_write(
            rota.set_staff_skills, self.staff_id, skills, on_done=lambda _changes: self.load(), parent=self
        )


class SkillsDialog(QDialog):
    """The skills some sessions need (cervical screening, minor surgery ...), separated by commas."""

    def __init__(self, skills: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Skills for sessions")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "The skills some sessions need, separated by commas (for example: cervical screening, minor "
                "surgery). A session needing a skill the person has no record of needs an override reason."
            )
        )
        self.field = QLineEdit(", ".join(skills))
        self.field.setAccessibleName("Skills")
        layout.addWidget(self.field)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Save skills")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def skills(self) -> list[str]:
        return [s.strip() for s in self.field.text().split(",") if s.strip()]
