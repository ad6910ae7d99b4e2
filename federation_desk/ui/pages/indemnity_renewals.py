"""The "Renewals and gaps" tab: what ends in the next 90 days (warnings at 60, 30 and 7 days, and anything that
lapsed in the last 30 days), and a 12-month timeline of each policy type for one holder showing the gaps."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from federation_desk.services import indemnity as ind
from federation_desk.services.dates import format_date
from federation_desk.services.dates import today as london_today
from federation_desk.ui import theme
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.table import DataTable
from federation_desk.ui.widgets.timeline import PolicyTimeline

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _band_background(row: ind.RenewalRow) -> QColor | None:
    c = theme.current()
    if row.renewal_recorded:
        return None
    if row.days_left <= 7:
        return QColor(c.danger_bg)
    if row.days_left <= 30:
        return QColor(c.warning_bg)
    return None


def _band_foreground(row: ind.RenewalRow) -> QColor | None:
    c = theme.current()
    if row.renewal_recorded:
        return QColor(c.good)
    if row.days_left <= 7:
        return QColor(c.danger)
    if row.days_left <= 30:
        return QColor(c.warning)
    return None


RENEWAL_COLUMNS: list[Column[ind.RenewalRow]] = [
    Column("Last day", lambda r: format_date(r.due), sort_key=lambda r: r.due, width=10, background=_band_background),
    Column("Day", lambda r: WEEKDAYS[r.due.weekday()], sort_key=lambda r: r.due, width=4, background=_band_background),
    Column(
        "When",
        lambda r: r.state,
        sort_key=lambda r: r.days_left,
        align=RIGHT,
        width=16,
        foreground=_band_foreground,
        background=_band_background,
    ),
    Column("What", lambda r: r.what, width=26, background=_band_background),
    Column("Held by", lambda r: r.holder, width=28, background=_band_background),
    Column("Details", lambda r: r.detail, tooltip=lambda r: r.detail, width=40, background=_band_background),
]


class RenewalsTab(QWidget):
    record_activated = Signal(str, int)  # kind (insurance_policy / indemnity_cover), id

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = london_today()
        self.window_start: date | None = None
        self.data: ind.IndemnityData | None = None
        self.timeline_job: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.calendar_title = plain_label("Renewal calendar: the next 90 days", "SectionTitle", wrap=False)
        bar.addWidget(self.calendar_title)
        self.kind_filter = QComboBox()
        self.kind_filter.setAccessibleName("Show renewals of")
        for label, value in (
            ("Policies and clinicians' cover", "all"),
            ("Organisation policies", ind.POLICY_KIND),
            ("Clinicians' cover", ind.COVER_KIND),
        ):
            self.kind_filter.addItem(label, value)
        self.kind_filter.currentIndexChanged.connect(self._filter)
        bar.addWidget(self.kind_filter)
        self.hide_renewed = QCheckBox("Hide those already renewed")
        self.hide_renewed.toggled.connect(self._filter)
        bar.addWidget(self.hide_renewed)
        bar.addStretch(1)
        self.calendar_count = plain_label("", "Muted", wrap=False)
        bar.addWidget(self.calendar_count)
        top_layout.addLayout(bar)
        self.calendar_model: RowTableModel[ind.RenewalRow] = RowTableModel(RENEWAL_COLUMNS, self)
        self.calendar = DataTable(self.calendar_model, "indemnity-renewals", "Renewal calendar")
        self.calendar.row_activated.connect(lambda r: self.record_activated.emit(r.kind, r.record_id))
        top_layout.addWidget(self.calendar, 1)
        top_layout.addWidget(
            plain_label(
                "Red: ends within 7 days or has lapsed. Amber: within 30 days. Green: the renewal is recorded. "
                "Double-click to open the record.",
                "Muted",
            )
        )
        splitter.addWidget(top)

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 6, 0, 0)
        tbar = QHBoxLayout()
        self.timeline_title = plain_label("12-month timeline of each policy type", "SectionTitle", wrap=False)
        tbar.addWidget(self.timeline_title)
        self.holder = QComboBox()
        self.holder.setAccessibleName("Timeline of the policies held by")
        self.holder.setMinimumWidth(280)
        self.holder.currentIndexChanged.connect(self.load_timeline)
        tbar.addWidget(self.holder)
        tbar.addStretch(1)
        self.earlier = QPushButton("< 3 months earlier")
        self.earlier.setAccessibleName("Show three months earlier")
        self.today_button = QPushButton(icon("refresh"), "Around today")
        self.today_button.setAccessibleName("Show the months around today")
        self.later = QPushButton("3 months later >")
        self.later.setAccessibleName("Show three months later")
        self.earlier.clicked.connect(lambda: self.move(-3))
        self.later.clicked.connect(lambda: self.move(3))
        self.today_button.clicked.connect(lambda: self.move(0))
        for b in (self.earlier, self.today_button, self.later):
            tbar.addWidget(b)
        bottom_layout.addLayout(tbar)
        self.timeline = PolicyTimeline()
        bottom_layout.addWidget(self.timeline)
        self.timeline_summary = plain_label("", "Muted")
        bottom_layout.addWidget(self.timeline_summary)
        bottom_layout.addStretch(1)
        splitter.addWidget(bottom)
        for title in (self.calendar_title, self.timeline_title):
            font = QFont(title.font())
            font.setBold(True)
            title.setFont(font)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

    # -- data -------------------------------------------------------------------------------------------------
    def show_data(self, data: ind.IndemnityData) -> None:
        self.data = data
        self.today = data.today
        self.calendar_model.set_rows(data.renewals)
        self._filter()
        current = self.holder.currentData() if self.holder.count() else None
        self.holder.blockSignals(True)
        self.holder.clear()
        for h in data.holders:
            self.holder.addItem(h.name, h.practice_id)
        self.holder.setCurrentIndex(max(0, self.holder.findData(current)))
        self.holder.blockSignals(False)
        if self.window_start is None:
            self.window_start = ind.default_timeline_start(self.today)
        self.load_timeline()

    def _filter(self, *_args: Any) -> None:
        kind = self.kind_filter.currentData()
        hide = self.hide_renewed.isChecked()
        self.calendar_model.set_filter(
            lambda r: (kind == "all" or r.kind == kind) and not (hide and r.renewal_recorded)
        )
        rows = self.calendar_model.visible_rows
        urgent = sum(1 for r in rows if not r.renewal_recorded and r.days_left <= 30)
        self.calendar_count.setText(f"{len(rows)} due; {urgent} within 30 days with no renewal recorded")

    def move(self, months: int) -> None:
        if months == 0 or self.window_start is None:
            self.window_start = ind.default_timeline_start(self.today)
        else:
            self.window_start = ind.add_months(self.window_start, months)
        self.load_timeline()

    def load_timeline(self, *_args: Any) -> None:
        if self.data is None or self.holder.count() == 0 or self.window_start is None:
            return
        self.timeline_job = self.ctx.ops.run_query(
            ind.policy_timeline,
            self.holder.currentData(),
            self.window_start,
            self.today,
            on_done=self._show_timeline,
            parent=self,
            key="indemnity-timeline",
        )

    def _show_timeline(self, timeline: ind.Timeline) -> None:
        self.timeline.set_timeline(timeline)
        self.timeline_title.setText(f"12-month timeline, {format_date(timeline.start)} to {format_date(timeline.end)}")
        gaps = [
            f"{lane.label.lower()} {ind_stretch(a, b)}"
            for lane in timeline.lanes
            for a, b in lane.gaps
            if a <= timeline.today
        ]
        ahead = [lane.label for lane in timeline.lanes for a, _b in lane.gaps if a > timeline.today]
        parts = []
        if gaps:
            parts.append(f"{timeline.holder} had no cover for " + "; ".join(gaps) + ".")
        if ahead:
            parts.append("Not renewed yet: " + ", ".join(sorted(set(ahead))) + ".")
        self.timeline_summary.setText(" ".join(parts) or f"{timeline.holder} held every policy type throughout.")


def ind_stretch(a: date, b: date) -> str:
    if a == b:
        return f"on {format_date(a)}"
    return f"from {format_date(a)} to {format_date(b)}"
