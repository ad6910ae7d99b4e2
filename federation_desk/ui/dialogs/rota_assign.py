"""Booking people into a session: the session dialog (who is booked, with a button to take someone off; then
everyone else: eligible people first, then who needs an override, then who cannot and why) and the
override-reason prompt used after a drag from the side list."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from federation_desk.errors import FederationDeskError
from federation_desk.services import rota
from federation_desk.services.dates import format_date
from federation_desk.ui import errors, theme
from federation_desk.ui.models.table_model import Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.table import DataTable

STATUS_TEXT = {
    "eligible": "Eligible",
    "advisory": "Eligible (advisory)",
    "override": "Needs a reason",
    "blocked": "Cannot",
}


def _status_colour(row: rota.CandidateRow) -> QColor | None:
    c = theme.current()
    return {
        "eligible": QColor(c.good),
        "advisory": QColor(c.good),
        "override": QColor(c.warning),
        "blocked": QColor(c.danger),
    }.get(row.status)


CANDIDATE_COLUMNS: list[Column[rota.CandidateRow]] = [
    Column(
        "Status",
        lambda r: STATUS_TEXT[r.status],
        sort_key=lambda r: list(STATUS_TEXT).index(r.status),
        width=22,
        foreground=_status_colour,
    ),
    Column("Name", lambda r: r.name, width=22),
    Column("Role", lambda r: r.role_name, width=18),
    Column("Employer", lambda r: r.employer, tooltip=lambda r: r.employer, width=28),
    Column("Why not / warnings", lambda r: r.why_not, tooltip=lambda r: r.why_not or None, width=60),
]
BOOKED_COLUMNS: list[Column[rota.AssigneeRow]] = [
    Column("Booked", lambda r: r.name, width=24),
    Column("Role", lambda r: r.role_name, width=18),
    Column(
        "Override",
        lambda r: f"{r.overridden_rules}: {r.override_reason}" if r.override_reason else "",
        tooltip=lambda r: r.override_reason or None,
        width=60,
    ),
]


class AssignDialog(QDialog):
    """Pick a person for a session. Loads candidates on a worker; books through ``rota.assign_staff``."""

    def __init__(self, ops: Any, session_row: rota.SessionRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.session_row = session_row
        self.setWindowTitle("Book someone into this session")
        self.setAccessibleName("Assign a person")
        self.resize(1000, 620)
        layout = QVBoxLayout(self)
        s = session_row
        heading = plain_label(
            f"{s.role_name} – {s.title} at {s.site_name}, {s.session_date:%A} {format_date(s.session_date)} "
            f"{s.time_text}",
            "PageSubtitle",
        )
        layout.addWidget(heading)
        self.booked_label = plain_label("", "Muted")
        self.booked_label.setAccessibleName("Places and who is booked")
        layout.addWidget(self.booked_label)
        booked_row = QHBoxLayout()
        self.booked_model: RowTableModel[rota.AssigneeRow] = RowTableModel(BOOKED_COLUMNS, self)
        self.booked_table = DataTable(self.booked_model, "rota_booked", "People booked into this session")
        self.booked_table.setSortingEnabled(False)
        booked_row.addWidget(self.booked_table, 1)
        self.remove_button = QPushButton("Take off this session")
        self.remove_button.setAccessibleName("Take the selected person off this session")
        self.remove_button.setToolTip("The removal is recorded in the session's history.")
        self.remove_button.clicked.connect(self.remove)
        booked_row.addWidget(self.remove_button)
        layout.addLayout(booked_row)
        self.status = plain_label("Checking who can work this session ...", "Muted")
        layout.addWidget(self.status)
        self.model: RowTableModel[rota.CandidateRow] = RowTableModel(CANDIDATE_COLUMNS, self)
        self.table = DataTable(self.model, "rota_candidates", "People who could work this session")
        self.table.setSortingEnabled(False)
        self.table.row_activated.connect(lambda _row: self.book())
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("&Reason for overriding a soft rule (kept in the audit trail):"))
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Override reason")
        self.reason.setFixedHeight(56)
        self.reason.setTabChangesFocus(True)
        layout.itemAt(layout.count() - 1).widget().setBuddy(self.reason)  # type: ignore[union-attr]
        layout.addWidget(self.reason)
        self.message = plain_label("", "FormErrors")
        self.message.setVisible(False)
        self.message.setAccessibleName("Why the booking was not made")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.book_button = QPushButton("Book selected person")
        self.book_button.setProperty("primary", True)
        self.book_button.setDefault(True)
        self.book_button.clicked.connect(self.book)
        row.addWidget(self.book_button)
        row.addStretch(1)
        row.addWidget(self.buttons)
        layout.addLayout(row)
        self.result_changes: Any = None
        self.book_job: Any = None
        self.remove_job: Any = None
        self._show_booked(s)
        self.load_job = ops.run_query(rota.candidates_for, s.id, on_done=self._show, parent=self)

    def _show_booked(self, s: rota.SessionRow) -> None:
        self.session_row = s
        self.booked_model.set_rows(list(s.assignees))
        self.booked_table.setFixedHeight(
            self.booked_table.horizontalHeader().height() + max(1, len(s.assignees)) * 30 + 6
        )
        lock = " The week is published: reopen it to change its sessions." if s.published else ""
        self.booked_label.setText(f"Places: {s.needed}, booked: {len(s.assignees)}, vacant: {s.missing}.{lock}")
        self.remove_button.setEnabled(bool(s.assignees) and not s.published)
        self.booked_table.setVisible(bool(s.assignees))
        self.remove_button.setVisible(bool(s.assignees))
        if s.assignees:
            self.booked_table.selectRow(0)

    def remove(self) -> None:
        """Take the selected person off the session (audited); the grid refreshes from the change."""
        row = self.booked_table.selected_row()
        if row is None:
            self._say("Choose the person to take off in the list of people booked.")
            return
        self.message.setVisible(False)
        self.remove_button.setEnabled(False)
        self.remove_job = self.ops.run_write(
            rota.remove_assignment,
            row.assignment_id,
            row.version,
            on_done=self._removed,
            on_error=self._failed,
            parent=self,
        )

    def _removed(self, changes: Any) -> None:
        self.result_changes = changes
        self.status.setText(changes.message + " Checking who can work this session ...")
        self.load_job = self.ops.run_query(rota.get_session, self.session_row.id, on_done=self._reloaded, parent=self)

    def _reloaded(self, s: rota.SessionRow) -> None:
        self._show_booked(s)
        self.load_job = self.ops.run_query(rota.candidates_for, s.id, on_done=self._show, parent=self)

    def _show(self, found: rota.Candidates) -> None:
        self.model.set_rows(found.rows)
        counts = {k: sum(1 for r in found.rows if r.status == k) for k in STATUS_TEXT}
        text = (
            f"{counts['eligible'] + counts['advisory']} eligible, {counts['override']} need an override reason, "
            f"{counts['blocked']} cannot (the reason is shown for each)."
        )
        if found.notes:
            text += " " + " ".join(found.notes)
        self.status.setText(text)
        if found.rows:
            self.table.selectRow(0)

    def book(self) -> None:
        row = self.table.selected_row()
        if row is None:
            self._say("Choose a person in the list first.")
            return
        self.message.setVisible(False)
        self.book_button.setEnabled(False)
        self.book_job = self.ops.run_write(
            rota.assign_staff,
            self.session_row.id,
            row.staff_id,
            self.reason.toPlainText(),
            on_done=self._booked,
            on_error=self._failed,
            parent=self,
        )

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(True)

    def _booked(self, changes: Any) -> None:
        self.book_button.setEnabled(True)
        self.result_changes = changes
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.book_button.setEnabled(True)
        self.remove_button.setEnabled(bool(self.session_row.assignees) and not self.session_row.published)
        if isinstance(exc, rota.OverrideNeeded):
            self._say(exc.message + " Type the reason above and book again.")
            self.reason.setFocus()
        elif isinstance(exc, FederationDeskError):
            self._say(f"{exc.message} {exc.what_to_do}")
        else:
            errors.show_error(self, exc)

    @classmethod
    def ask(cls, ops: Any, session_row: rota.SessionRow, parent: QWidget | None) -> bool:
        return cls(ops, session_row, parent).exec() == QDialog.DialogCode.Accepted


class OverrideReasonDialog(QDialog):
    """Asks why a soft rule may be broken for this booking (after a drag from the side list)."""

    def __init__(self, exc: rota.OverrideNeeded, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(exc.title)
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(exc.message))
        layout.addWidget(plain_label("Why is it right to book them anyway? The reason is kept in the audit trail."))
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Override reason")
        self.reason.setFixedHeight(70)
        layout.addWidget(self.reason)
        self.warning = plain_label("", "FieldError")
        self.warning.setVisible(False)
        layout.addWidget(self.warning)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Book with this reason")
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _ok(self) -> None:
        if not self.reason.toPlainText().strip():
            self.warning.setText("A reason is needed to override; or press Cancel to leave the session as it was.")
            self.warning.setVisible(True)
            return
        self.accept()

    @classmethod
    def ask(cls, exc: rota.OverrideNeeded, parent: QWidget | None) -> str | None:
        dialog = cls(exc, parent)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.reason.toPlainText().strip()
        return None
