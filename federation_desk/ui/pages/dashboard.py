"""The dashboard: what needs attention today, one card per module (services.dashboard)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QScrollArea, QWidget

from federation_desk.services.dashboard import DashboardCard, collect_cards
from federation_desk.services.dates import format_date, today
from federation_desk.ui.bus import bus
from federation_desk.ui.icons import icon
from federation_desk.ui.pages.base import Page
from federation_desk.ui.widgets.common import Card, Notice, PageHeader, plain_label


def _load(session: Any, progress: Any = None) -> list[DashboardCard]:
    return collect_cards(session, today(), progress)


class DashboardPage(Page):
    key = "dashboard"
    title = "Dashboard"
    icon_name = "dashboard"
    kinds = frozenset({"*"})
    loaded = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        top = QHBoxLayout()
        self.header = PageHeader("Needs attention today", format_date(today()))
        top.addWidget(self.header, 1)
        self.refresh_button = QPushButton(icon("refresh"), "Refresh")
        self.refresh_button.setAccessibleName("Refresh the dashboard")
        self.refresh_button.clicked.connect(self.reload)
        top.addWidget(self.refresh_button)
        self.layout_.addLayout(top)
        self.empty_notice = Notice(
            "This database is empty. Add your member practices on the Organisation page, or build the demo "
            "federation to explore (File > New demo federation)."
        )
        self.empty_notice.setVisible(False)
        self.layout_.addWidget(self.empty_notice)
        self.status = plain_label("Loading ...", "Muted")
        self.layout_.addWidget(self.status)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(12)
        scroll.setWidget(self.grid_host)
        self.layout_.addWidget(scroll, 1)
        self.cards: list[DashboardCard] = []

    def reload(self) -> None:
        self.status.setText("Loading ...")
        self.status.setVisible(True)
        self.header.set_subtitle(format_date(today()))
        self.load_job = self.ctx.ops.run_query(_load, on_done=self._show, parent=self, key="dashboard")

    def _show(self, cards: list[DashboardCard]) -> None:
        self.cards = cards
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        columns = 2
        for i, card in enumerate(cards):
            widget = Card(card.title, card.headline, card.details, card.severity.value, card.page)
            widget.open_requested.connect(lambda page: bus().navigate.emit(page, None))
            self.grid.addWidget(widget, i // columns, i % columns, Qt.AlignmentFlag.AlignTop)
        self.grid.setRowStretch(len(cards) // columns + 1, 1)
        empty = any(c.key == "organisation" and c.headline == "No practices yet" for c in cards)
        self.empty_notice.setVisible(empty)
        self.status.setVisible(False)
        self.loaded.emit()
