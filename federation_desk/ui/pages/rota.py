"""The Rota page: the week grid (sites x days) with people to drag in, vacancies, a person's calendar, Enhanced
Access per PCN, and recharges. Every query and write runs on a worker; the grid is painted by a model and a
delegate."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from federation_desk.errors import ValidationError
from federation_desk.services import enhanced_access as ea
from federation_desk.services import ical, recharge, rota
from federation_desk.services import rota_solver as solver
from federation_desk.services.dates import format_date, format_instant, today
from federation_desk.ui import errors, theme
from federation_desk.ui.bus import bus
from federation_desk.ui.dialogs.rota_assign import AssignDialog, OverrideReasonDialog
from federation_desk.ui.dialogs.rota_autofill import AutoFillDialog, AutoFillOptions, AutoFillOptionsDialog
from federation_desk.ui.icons import icon
from federation_desk.ui.models.rota_grid import WeekGridModel
from federation_desk.ui.models.rota_people import PeopleModel
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.pages.base import Page
from federation_desk.ui.widgets.common import Notice, PageHeader, SearchBox, plain_label
from federation_desk.ui.widgets.forms import DateField
from federation_desk.ui.widgets.table import DataTable
from federation_desk.ui.widgets.week_grid import WeekGridView


@dataclass(frozen=True)
class WeekData:
    grid: rota.WeekGrid
    people: list[rota.PersonRow]
    problems: list[rota.ProblemRow]


def load_week(session: Any, week_start: date) -> WeekData:
    grid = rota.week_grid(session, week_start)
    people = rota.list_people(session, grid.days[0], grid.days[-1])
    problems = rota.check_rota(session, grid.days[0], grid.days[-1])
    return WeekData(grid, people, problems)


VACANCY_COLUMNS: list[Column[rota.VacancyRow]] = [
    Column(
        "Date", lambda r: f"{r.session_date:%a} {format_date(r.session_date)}", sort_key=lambda r: r.starts_at, width=17
    ),
    Column("Time", lambda r: r.time_text, width=17),
    Column("Site", lambda r: r.site_name, width=28),
    Column("Service", lambda r: r.service_name, width=20),
    Column("Role", lambda r: r.role_name, width=18),
    Column(
        "Vacant",
        lambda r: f"{r.missing} of {r.needed}",
        sort_key=lambda r: r.missing,
        align=RIGHT,
        width=8,
        foreground=lambda r: QColor(theme.current().danger),
    ),
]
CALENDAR_COLUMNS: list[Column[rota.SessionRow]] = [
    Column(
        "Date", lambda r: f"{r.session_date:%a} {format_date(r.session_date)}", sort_key=lambda r: r.starts_at, width=17
    ),
    Column("Time", lambda r: r.time_text, width=17),
    Column("Hours", lambda r: f"{r.hours:.2f}", sort_key=lambda r: r.hours, align=RIGHT, width=6),
    Column("Site", lambda r: r.site_name, width=28),
    Column("Service", lambda r: r.service_name, width=20),
    Column("Role", lambda r: r.role_name, width=18),
    Column("Published", lambda r: "yes" if r.published else "", width=9),
]
EA_COLUMNS: list[Column[ea.EaWeekRow]] = [
    Column("Week beginning", lambda r: format_date(r.week_start), sort_key=lambda r: r.week_start, width=14),
    Column(
        "Minutes offered",
        lambda r: f"{r.minutes_offered:,}",
        sort_key=lambda r: r.minutes_offered,
        align=RIGHT,
        width=14,
        foreground=lambda r: None if r.minutes_offered >= r.minutes_required else QColor(theme.current().danger),
    ),
    Column(
        "Required", lambda r: f"{r.minutes_required:,}", sort_key=lambda r: r.minutes_required, align=RIGHT, width=10
    ),
    Column(
        "Windows covered",
        lambda r: "yes" if r.windows_covered else "no",
        width=14,
        foreground=lambda r: None if r.windows_covered else QColor(theme.current().danger),
    ),
    Column(
        "GP throughout",
        lambda r: "yes" if r.gp_on_site_throughout else "no",
        width=13,
        foreground=lambda r: None if r.gp_on_site_throughout else QColor(theme.current().danger),
    ),
    Column("Problems", lambda r: " ".join(r.problems), tooltip=lambda r: "\n".join(r.problems) or None, width=80),
]
RECHARGE_COLUMNS: list[Column[recharge.RechargeRow]] = [
    Column("Practice", lambda r: r.practice_name, width=28),
    Column("Service", lambda r: r.service_name, width=20),
    Column("Staff member", lambda r: r.staff_name, width=22),
    Column("Role", lambda r: r.role_name, width=16),
    Column("Sessions", lambda r: str(r.sessions), sort_key=lambda r: r.sessions, align=RIGHT, width=8),
    Column("Hours", lambda r: f"{r.hours:.2f}", sort_key=lambda r: r.hours, align=RIGHT, width=8),
    Column(
        "Notional sessions",
        lambda r: f"{r.notional_sessions:.2f}",
        sort_key=lambda r: r.notional_sessions,
        align=RIGHT,
        width=14,
    ),
]


def _period_bar(start: date, end: date, button_text: str) -> tuple[QHBoxLayout, DateField, DateField, QPushButton]:
    bar = QHBoxLayout()
    bar.addWidget(plain_label("From", wrap=False))
    first = DateField(start)
    first.setAccessibleName("From date")
    bar.addWidget(first)
    bar.addWidget(plain_label("to", wrap=False))
    last = DateField(end)
    last.setAccessibleName("To date")
    bar.addWidget(last)
    button = QPushButton(icon("refresh"), button_text)
    bar.addWidget(button)
    return bar, first, last, button


def _period(first: DateField, last: DateField) -> tuple[date, date]:
    start = first.date_value("start", "From")
    end = last.date_value("end", "To")
    if start is None or end is None:
        raise ValidationError("Enter both dates of the period (dd/mm/yyyy).")
    return start, end


class RotaPage(Page):
    key = "rota"
    title = "Rota"
    icon_name = "rota"
    kinds = frozenset({"rota", "staff", "site", "practice", "leave", "compliance", "indemnity"})
    loaded = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.week_start = rota.monday_of(today())
        self.data: WeekData | None = None
        self.header = PageHeader("Rota", "Sessions across sites and hubs")
        self.layout_.addWidget(self.header)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Rota sections")
        self.layout_.addWidget(self.tabs, 1)
        self._build_week_tab()
        self._build_vacancy_tab()
        self._build_calendar_tab()
        self._build_ea_tab()
        self._build_recharge_tab()
        self.jobs: dict[str, Any] = {}

    # -- the week -------------------------------------------------------------------------------------------------
    def _build_week_tab(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.prev_button = QPushButton("◀ Previous week")
        self.today_button = QPushButton("This week")
        self.next_button = QPushButton("Next week ▶")
        self.week_label = plain_label("", "CardTitle", wrap=False)
        self.week_label.setAccessibleName("Week shown")
        for w in (self.prev_button, self.today_button, self.next_button):
            bar.addWidget(w)
        bar.addWidget(self.week_label, 1)
        self.publish_button = QPushButton(icon("good"), "Publish week")
        self.autofill_button = QPushButton(icon("rota"), "Auto-fill ...")
        self.print_button = QPushButton(icon("print"), "Print ...")
        self.ics_button = QPushButton(icon("export"), "Export calendar ...")
        for w in (self.publish_button, self.autofill_button, self.print_button, self.ics_button):
            bar.addWidget(w)
        layout.addLayout(bar)
        self.status_notice = Notice("")
        self.status_notice.setVisible(False)
        layout.addWidget(self.status_notice)
        split = QSplitter(Qt.Orientation.Horizontal)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.people_search = SearchBox("Find a person or role", "Search people to drag into the grid")
        self.people_search.setMinimumWidth(160)
        side_layout.addWidget(self.people_search)
        side_layout.addWidget(plain_label("Drag a person onto a session to book them.", "Muted"))
        self.people_model = PeopleModel(self)
        self.people = DataTable(self.people_model, "rota_people", "People")
        self.people.setDragEnabled(True)
        self.people.setDragDropMode(DataTable.DragDropMode.DragOnly)
        side_layout.addWidget(self.people, 1)
        split.addWidget(side)
        self.grid_model = WeekGridModel(self)
        self.grid = WeekGridView(self.grid_model)
        split.addWidget(self.grid)
        split.setSizes([300, 1000])
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        self.tabs.addTab(tab, icon("rota"), "Week")
        self.prev_button.clicked.connect(lambda: self.show_week(self.week_start - timedelta(days=7)))
        self.next_button.clicked.connect(lambda: self.show_week(self.week_start + timedelta(days=7)))
        self.today_button.clicked.connect(lambda: self.show_week(rota.monday_of(today())))
        self.people_search.textChanged.connect(self._filter_people)
        self.grid.staff_dropped.connect(self.book_dropped)
        self.grid.session_activated.connect(self.open_session)
        self.publish_button.clicked.connect(self.toggle_publish)
        self.print_button.clicked.connect(self.print_week)
        self.ics_button.clicked.connect(self.export_calendar)
        self.autofill_button.clicked.connect(self.auto_fill)

    def show_week(self, monday: date) -> None:
        self.week_start = rota.monday_of(monday)
        self.reload()

    def reload(self) -> None:
        self.week_label.setText(f"Week beginning {self.week_start:%A} {format_date(self.week_start)}")
        self.load_job = self.ctx.ops.run_query(
            load_week, self.week_start, on_done=self._show_week, parent=self, key="rota-week"
        )

    def _show_week(self, data: WeekData) -> None:
        self.data = data
        self.grid_model.set_grid(data.grid)
        self.people_model.set_rows(data.people)
        grid = data.grid
        places = sum(s.needed for s in grid.sessions)
        self.header.set_subtitle(
            f"{len(grid.sessions)} sessions at {len(grid.sites)} sites this week; {places - grid.vacancies} of "
            f"{places} places filled, {grid.vacancies} vacant"
        )
        notes = []
        if grid.published:
            who = f" by {grid.published_by}" if grid.published_by else ""
            notes.append(f"Published{who} {format_instant(grid.published_at)}: sessions are read-only until reopened.")
        soft = [p for p in data.problems if p.override_reason]
        hard = [p for p in data.problems if any(v.severity.value == "hard" for v in p.violations)]
        if hard:
            rules_hit: dict[str, int] = {}
            for p in hard:
                rule = next(v.rule.value for v in p.violations if v.severity.value == "hard")
                rules_hit[rule] = rules_hit.get(rule, 0) + 1
            summary = ", ".join(f"{rule} {n}" for rule, n in sorted(rules_hit.items(), key=lambda kv: -kv[1]))
            notes.append(f"{len(hard)} bookings now break a rule that cannot be overridden ({summary}).")
        if soft:
            notes.append(f"{len(soft)} made by override with a recorded reason (marked ⚑).")
        self.status_notice.setToolTip(
            "\n".join(f"{p.staff_name}: {p.session_label}: {p.violations[0].reason}" for p in (hard + soft)[:20])
        )
        self.status_notice.label.setText(" ".join(notes))
        self.status_notice.setVisible(bool(notes))
        self.publish_button.setText("Reopen week" if grid.published else "Publish week")
        self.loaded.emit()

    def _filter_people(self, text: str) -> None:
        words = text.casefold().split()
        self.people_model.set_filter(
            (lambda r: all(w in f"{r.name} {r.role_name} {r.employer}".casefold() for w in words)) if words else None
        )

    def book_dropped(self, session: rota.SessionRow, staff_id: int, reason: str = "") -> None:
        def failed(exc: BaseException) -> None:
            if isinstance(exc, rota.OverrideNeeded):
                given = OverrideReasonDialog.ask(exc, self)
                if given:
                    self.book_dropped(session, staff_id, given)
                return
            errors.show_error(self, exc)

        self.jobs["book"] = self.ctx.ops.run_write(
            rota.assign_staff, session.id, staff_id, reason, on_error=failed, parent=self
        )

    def open_session(self, session: rota.SessionRow) -> None:
        AssignDialog.ask(self.ctx.ops, session, self)

    def toggle_publish(self) -> None:
        if self.data is None:
            return
        if self.data.grid.published:
            self.jobs["publish"] = self.ctx.ops.run_write(rota.reopen_week, self.week_start, parent=self)
            return

        def done(result: Any) -> None:
            if isinstance(result, ical.ShareResult):
                bus().changed.emit(result.changes)
                self.window().statusBar().showMessage(result.changes.message, 8000) if hasattr(
                    self.window(), "statusBar"
                ) else None

        self.jobs["publish"] = self.ctx.ops.run_write(
            ical.publish_and_share, self.week_start, on_done=done, label="Publishing the week ...", parent=self
        )

    def print_week(self) -> None:
        from federation_desk.reports.rota_grid import week_grid_pdf
        from federation_desk.ui.pdf_view import PdfPreviewDialog

        target = Path(tempfile.mkdtemp(prefix="fd-rota-")) / f"rota-week-{self.week_start.isoformat()}.pdf"
        self.jobs["print"] = self.ctx.ops.run_job(
            week_grid_pdf,
            target,
            self.week_start,
            on_done=lambda path: PdfPreviewDialog.show_pdf(
                path, f"Rota: week beginning {format_date(self.week_start)}", self
            ),
            label="Preparing the week grid ...",
            parent=self,
        )

    def export_calendar(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export everyone's sessions",
            str(Path.home() / f"rota-{self.week_start.isoformat()}.ics"),
            "iCalendar (*.ics)",
        )
        if path:
            self.jobs["ics"] = self.ctx.ops.run_query(
                ical.export_ics,
                Path(path),
                self.week_start - timedelta(weeks=4),
                self.week_start + timedelta(weeks=12),
                parent=self,
            )

    def auto_fill(self) -> None:
        """Ask for the period, search on a worker (progress and Cancel), then show the proposals to accept."""
        options = AutoFillOptionsDialog.ask(self.week_start, self)
        if options is not None:
            self.run_auto_fill(options)

    def run_auto_fill(self, options: AutoFillOptions) -> None:
        def search(session: Any, progress: Any) -> solver.AutoFillResult:
            return solver.propose_fill(
                session, options.start, options.end, seconds=8.0, progress=progress, allow_soft=options.allow_soft
            )

        self.jobs["autofill"] = self.ctx.ops.run_query(
            search,
            on_done=self.show_proposals,
            label=(
                f"Auto-fill is looking for the best way to fill {format_date(options.start)} to "
                f"{format_date(options.end)} ..."
            ),
            parent=self,
        )

    def show_proposals(self, result: solver.AutoFillResult) -> None:
        self.autofill_dialog = AutoFillDialog(self.ctx.ops, result, self)
        self.autofill_dialog.exec()

    # -- vacancies ------------------------------------------------------------------------------------------------
    def _build_vacancy_tab(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        bar, self.vac_from, self.vac_to, self.vac_button = _period_bar(today(), today() + timedelta(days=27), "Show")
        self.vac_count = plain_label("", "Muted")
        bar.addWidget(self.vac_count, 1)
        layout.addLayout(bar)
        self.vac_model: RowTableModel[rota.VacancyRow] = RowTableModel(VACANCY_COLUMNS, self)
        self.vac_table = DataTable(self.vac_model, "rota_vacancies", "Vacancies")
        layout.addWidget(self.vac_table, 1)
        layout.addWidget(plain_label("Double-click a vacancy to book someone.", "Muted"))
        self.tabs.addTab(tab, icon("warning"), "Vacancies")
        self.vac_button.clicked.connect(self.load_vacancies)
        self.vac_table.row_activated.connect(self._open_vacancy)
        self.tabs.currentChanged.connect(self._tab_changed)

    def _tab_changed(self, index: int) -> None:
        loaders = {1: self.load_vacancies, 2: self.load_people_for_calendar, 3: self.load_pcns, 4: self.load_recharges}
        if self.ctx.database is not None and index in loaders:
            loaders[index]()

    def _guard(self, fn: Any) -> Any:
        try:
            return fn()
        except ValidationError as exc:
            errors.show_error(self, exc)
            return None

    def load_vacancies(self) -> None:
        period = self._guard(lambda: _period(self.vac_from, self.vac_to))
        if period is None:
            return

        def show(rows: list[rota.VacancyRow]) -> None:
            self.vac_model.set_rows(rows)
            self.vac_count.setText(f"{len(rows)} sessions with {sum(r.missing for r in rows)} vacant places")

        self.jobs["vacancies"] = self.ctx.ops.run_query(rota.list_vacancies, *period, on_done=show, parent=self)

    def _open_vacancy(self, row: rota.VacancyRow) -> None:
        self.jobs["open"] = self.ctx.ops.run_query(
            rota.get_session, row.session_id, on_done=lambda s: self.open_session(s), parent=self
        )

    # -- a person's calendar --------------------------------------------------------------------------------------
    def _build_calendar_tab(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        top = QHBoxLayout()
        self.person_combo = QComboBox()
        self.person_combo.setAccessibleName("Person")
        self.person_combo.setMinimumWidth(320)
        self.person_combo.setEditable(True)
        self.person_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        top.addWidget(self.person_combo)
        bar, self.cal_from, self.cal_to, self.cal_button = _period_bar(
            rota.monday_of(today()), rota.monday_of(today()) + timedelta(weeks=6, days=-1), "Show"
        )
        top.addLayout(bar)
        self.cal_ics = QPushButton(icon("export"), "Export this person's calendar ...")
        top.addWidget(self.cal_ics)
        self.cal_count = plain_label("", "Muted")
        top.addWidget(self.cal_count, 1)
        layout.addLayout(top)
        self.cal_model: RowTableModel[rota.SessionRow] = RowTableModel(CALENDAR_COLUMNS, self)
        layout.addWidget(DataTable(self.cal_model, "rota_calendar", "The person's sessions"), 1)
        self.tabs.addTab(tab, icon("staff"), "Person's calendar")
        self.cal_button.clicked.connect(self.load_calendar)
        self.person_combo.activated.connect(lambda _i: self.load_calendar())
        self.cal_ics.clicked.connect(self.export_person)

    def load_people_for_calendar(self) -> None:
        if self.person_combo.count():
            return

        def fill(rows: list[rota.PersonRow]) -> None:
            self.person_combo.clear()
            for r in rows:
                self.person_combo.addItem(f"{r.name} ({r.role_name})", r.id)

        self.jobs["people"] = self.ctx.ops.run_query(
            rota.list_people, today(), today() + timedelta(days=60), on_done=fill, parent=self
        )

    def load_calendar(self) -> None:
        staff_id = self.person_combo.currentData()
        period = self._guard(lambda: _period(self.cal_from, self.cal_to))
        if staff_id is None or period is None:
            return

        def show(rows: list[rota.SessionRow]) -> None:
            self.cal_model.set_rows(rows)
            self.cal_count.setText(f"{len(rows)} sessions, {sum(r.hours for r in rows):.1f} hours")

        self.jobs["calendar"] = self.ctx.ops.run_query(
            rota.person_calendar, staff_id, *period, on_done=show, parent=self
        )

    def export_person(self) -> None:
        staff_id = self.person_combo.currentData()
        period = self._guard(lambda: _period(self.cal_from, self.cal_to))
        if staff_id is None or period is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export calendar", str(Path.home() / "rota.ics"), "iCalendar (*.ics)"
        )
        if path:
            self.jobs["ics"] = self.ctx.ops.run_query(ical.export_ics, Path(path), *period, staff_id, parent=self)

    # -- Enhanced Access ------------------------------------------------------------------------------------------
    def _build_ea_tab(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        top = QHBoxLayout()
        self.pcn_combo = QComboBox()
        self.pcn_combo.setAccessibleName("PCN")
        self.pcn_combo.setMinimumWidth(260)
        top.addWidget(self.pcn_combo)
        start = rota.monday_of(today()) - timedelta(weeks=2)
        bar, self.ea_from, self.ea_to, self.ea_button = _period_bar(start, start + timedelta(weeks=6, days=-1), "Show")
        top.addLayout(bar)
        self.ea_summary = plain_label("", "Muted")
        top.addWidget(self.ea_summary, 1)
        layout.addLayout(top)
        layout.addWidget(
            plain_label(
                "Network Standard Hours: weekdays 18:30-20:00 and Saturday 09:00-17:00; 60 minutes of appointments "
                "per 1,000 adjusted population a week; a GP on site throughout (reference data, DES 2022/23 on).",
                "Muted",
            )
        )
        self.ea_model: RowTableModel[ea.EaWeekRow] = RowTableModel(EA_COLUMNS, self)
        layout.addWidget(DataTable(self.ea_model, "rota_ea", "Enhanced Access by week"), 1)
        self.tabs.addTab(tab, icon("reports"), "Enhanced Access")
        self.ea_button.clicked.connect(self.load_ea)
        self.pcn_combo.activated.connect(lambda _i: self.load_ea())

    def load_pcns(self) -> None:
        def fill(rows: list[ea.EaPcnRow]) -> None:
            current = self.pcn_combo.currentData()
            self.pcn_combo.clear()
            for r in rows:
                self.pcn_combo.addItem(f"{r.name} ({r.code}) – {r.adjusted_population:,} adjusted population", r.id)
            if current is not None:
                self.pcn_combo.setCurrentIndex(max(0, self.pcn_combo.findData(current)))
            self.load_ea()

        self.jobs["pcns"] = self.ctx.ops.run_query(ea.list_ea_pcns, on_done=fill, parent=self)

    def load_ea(self) -> None:
        pcn_id = self.pcn_combo.currentData()
        period = self._guard(lambda: _period(self.ea_from, self.ea_to))
        if pcn_id is None or period is None:
            return

        def show(rows: list[ea.EaWeekRow]) -> None:
            self.ea_model.set_rows(rows)
            met = sum(1 for r in rows if r.met)
            self.ea_summary.setText(f"{met} of {len(rows)} weeks meet every requirement")

        self.jobs["ea"] = self.ctx.ops.run_query(ea.enhanced_access_weeks, pcn_id, *period, on_done=show, parent=self)

    # -- recharges ------------------------------------------------------------------------------------------------
    def _build_recharge_tab(self) -> None:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(0, 8, 0, 0)
        first = today().replace(day=1)
        last_month_end = first - timedelta(days=1)
        bar, self.rc_from, self.rc_to, self.rc_button = _period_bar(
            last_month_end.replace(day=1), last_month_end, "Show"
        )
        self.rc_export = QPushButton(icon("export"), "Export to Excel ...")
        bar.addWidget(self.rc_export)
        self.rc_total = plain_label("", "Muted")
        bar.addWidget(self.rc_total, 1)
        layout.addLayout(bar)
        self.rc_model: RowTableModel[recharge.RechargeRow] = RowTableModel(RECHARGE_COLUMNS, self)
        layout.addWidget(DataTable(self.rc_model, "rota_recharge", "Recharges"), 1)
        self.tabs.addTab(tab, icon("export"), "Recharges")
        self.rc_button.clicked.connect(self.load_recharges)
        self.rc_export.clicked.connect(self.export_recharges)

    def load_recharges(self) -> None:
        period = self._guard(lambda: _period(self.rc_from, self.rc_to))
        if period is None:
            return

        def show(rows: list[recharge.RechargeRow]) -> None:
            self.rc_model.set_rows(rows)
            self.rc_total.setText(f"{sum(r.hours for r in rows):,.1f} hours in {len(rows)} lines")

        self.jobs["recharge"] = self.ctx.ops.run_query(recharge.recharge_summary, *period, on_done=show, parent=self)

    def export_recharges(self) -> None:
        period = self._guard(lambda: _period(self.rc_from, self.rc_to))
        if period is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Export recharges", str(Path.home() / f"recharges-{period[0].isoformat()}.xlsx"), "Excel (*.xlsx)"
        )
        if not path:
            return

        def job(session: Any) -> Path:
            rows = recharge.recharge_summary(session, *period)
            return recharge.export_recharge_xlsx(rows, Path(path), *period)

        self.jobs["recharge-export"] = self.ctx.ops.run_query(job, parent=self)
