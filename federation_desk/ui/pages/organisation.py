"""The Organisation page: practices, sites, PCNs and the federation's details."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget

from federation_desk.domain.organisation import CqcRating
from federation_desk.services import organisation as org
from federation_desk.ui import theme
from federation_desk.ui.dialogs.organisation import FederationDialog, PcnDialog, PracticeDialog, SiteDialog
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.pages.base import Page
from federation_desk.ui.widgets.common import PageHeader, SearchBox, plain_label
from federation_desk.ui.widgets.table import DataTable


def _n(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _rating_colour(row: org.PracticeRow) -> QColor | None:
    c = theme.current()
    return (
        {
            CqcRating.OUTSTANDING: QColor(c.good),
            CqcRating.INADEQUATE: QColor(c.danger),
            CqcRating.REQUIRES_IMPROVEMENT: QColor(c.warning),
        }.get(row.cqc_rating)
        if row.cqc_rating
        else None
    )


PRACTICE_COLUMNS: list[Column[org.PracticeRow]] = [
    Column("ODS code", lambda r: r.ods_code, width=9),
    Column("Practice", lambda r: r.name, width=30),
    Column("PCN", lambda r: r.pcn_name or "", width=20),
    Column("List size", lambda r: _n(r.list_size), sort_key=lambda r: r.list_size, align=RIGHT, width=9),
    Column(
        "Adjusted population",
        lambda r: _n(r.adjusted_population) or "not recorded",
        sort_key=lambda r: r.adjusted_population,
        align=RIGHT,
        width=14,
        foreground=lambda r: QColor(theme.current().warning) if r.adjusted_population is None else None,
    ),
    Column("CQC rating", lambda r: r.cqc_rating.label if r.cqc_rating else "", width=24, foreground=_rating_colour),
    Column("Sites", lambda r: str(r.site_count), sort_key=lambda r: r.site_count, align=RIGHT, width=5),
    Column("Postcode", lambda r: r.postcode or "", width=9),
    Column("Status", lambda r: "Member" if r.active else "Left", width=8),
]
SITE_COLUMNS: list[Column[org.SiteRow]] = [
    Column("Site", lambda r: r.name, width=32),
    Column("Type", lambda r: r.kind.label, width=16),
    Column("Practice", lambda r: r.practice_name or "", width=28),
    Column("PCN", lambda r: r.pcn_name or "", width=20),
    Column("Postcode", lambda r: r.postcode or "", width=9),
    Column("Opening hours", lambda r: (r.opening_hours or "").replace("\n", "; "), width=30),
]
PCN_COLUMNS: list[Column[org.PcnRow]] = [
    Column("Code", lambda r: r.code, width=8),
    Column("PCN", lambda r: r.name, width=28),
    Column("Practices", lambda r: str(r.practice_count), sort_key=lambda r: r.practice_count, align=RIGHT, width=8),
    Column("List size", lambda r: _n(r.list_size), sort_key=lambda r: r.list_size, align=RIGHT, width=10),
    Column(
        "Adjusted population",
        lambda r: _n(r.adjusted_population),
        sort_key=lambda r: r.adjusted_population,
        align=RIGHT,
        width=14,
    ),
]


class ListTab(QWidget):
    """A searchable table with Add and Edit buttons."""

    def __init__(
        self,
        columns: list[Column[Any]],
        state_key: str,
        noun: str,
        search_text: Callable[[Any], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.noun = noun
        self._search_text = search_text
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.search = SearchBox(f"Search {noun}s", f"Search {noun}s")
        self.search.textChanged.connect(self._filter)
        bar.addWidget(self.search)
        self.count = plain_label("", "Muted")
        bar.addWidget(self.count, 1)
        self.add_button = QPushButton(icon("add"), f"Add {noun}")
        self.edit_button = QPushButton(icon("edit"), "Edit")
        self.add_button.setAccessibleName(f"Add a {noun}")
        self.edit_button.setAccessibleName(f"Edit the selected {noun}")
        bar.addWidget(self.add_button)
        bar.addWidget(self.edit_button)
        layout.addLayout(bar)
        self.model: RowTableModel[Any] = RowTableModel(columns, self)
        self.table = DataTable(self.model, state_key, f"{noun.capitalize()}s")
        layout.addWidget(self.table, 1)
        self.model.modelReset.connect(self._count)

    def set_rows(self, rows: list[Any]) -> None:
        selected = self.table.selected_row()
        self.model.set_rows(rows)
        if selected is not None:
            self.table.select_where(lambda r: r.id == selected.id)

    def _filter(self, text: str) -> None:
        words = text.casefold().split()
        if not words:
            self.model.set_filter(None)
            return
        self.model.set_filter(lambda r: all(w in self._search_text(r) for w in words))

    def _count(self) -> None:
        shown, total = len(self.model.visible_rows), len(self.model.all_rows)
        self.count.setText(
            f"{shown} of {total}" if shown != total else f"{total} {self.noun}{'s' if total != 1 else ''}"
        )


class OrganisationPage(Page):
    key = "organisation"
    title = "Organisation"
    icon_name = "organisation"
    kinds = frozenset({"federation", "pcn", "practice", "site"})
    loaded = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.header = PageHeader("Organisation", "Member practices, their sites and hubs, and PCNs")
        self.layout_.addWidget(self.header)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Organisation sections")
        self.practices = ListTab(
            PRACTICE_COLUMNS,
            "practices",
            "practice",
            lambda r: f"{r.ods_code} {r.name} {r.pcn_name or ''} {r.postcode or ''}".casefold(),
        )
        self.sites = ListTab(
            SITE_COLUMNS,
            "sites",
            "site",
            lambda r: f"{r.name} {r.practice_name or ''} {r.pcn_name or ''} {r.postcode or ''}".casefold(),
        )
        self.pcns = ListTab(PCN_COLUMNS, "pcns", "PCN", lambda r: f"{r.code} {r.name}".casefold())
        self.federation_tab = QWidget()
        self._build_federation_tab()
        self.tabs.addTab(self.practices, icon("organisation"), "Practices")
        self.tabs.addTab(self.sites, icon("site"), "Sites and hubs")
        self.tabs.addTab(self.pcns, icon("staff"), "PCNs")
        self.tabs.addTab(self.federation_tab, icon("info"), "Federation")
        self.layout_.addWidget(self.tabs, 1)
        self.data: org.OrganisationData | None = None

        self.practices.add_button.clicked.connect(lambda: self.edit_practice(None))
        self.practices.edit_button.clicked.connect(lambda: self.edit_practice(self.practices.table.selected_row()))
        self.practices.table.row_activated.connect(self.edit_practice)
        self.sites.add_button.clicked.connect(lambda: self.edit_site(None))
        self.sites.edit_button.clicked.connect(lambda: self.edit_site(self.sites.table.selected_row()))
        self.sites.table.row_activated.connect(self.edit_site)
        self.pcns.add_button.clicked.connect(lambda: self.edit_pcn(None))
        self.pcns.edit_button.clicked.connect(lambda: self.edit_pcn(self.pcns.table.selected_row()))
        self.pcns.table.row_activated.connect(self.edit_pcn)

    def _build_federation_tab(self) -> None:
        layout = QVBoxLayout(self.federation_tab)
        layout.setContentsMargins(0, 12, 0, 0)
        self.federation_grid = QGridLayout()
        self.federation_grid.setHorizontalSpacing(24)
        self.federation_grid.setVerticalSpacing(6)
        layout.addLayout(self.federation_grid)
        row = QHBoxLayout()
        self.edit_federation_button = QPushButton(icon("edit"), "Edit federation details")
        self.edit_federation_button.clicked.connect(self.edit_federation)
        row.addWidget(self.edit_federation_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)

    def focus_search(self) -> bool:
        tab = self.tabs.currentWidget()
        if isinstance(tab, ListTab):
            tab.search.setFocus()
            tab.search.selectAll()
            return True
        return False

    def reload(self) -> None:
        self.load_job = self.ctx.ops.run_query(
            org.load_organisation, on_done=self._show, parent=self, key="organisation"
        )

    def _show(self, data: org.OrganisationData) -> None:
        self.data = data
        self.practices.set_rows(data.practices)
        self.sites.set_rows(data.sites)
        self.pcns.set_rows(data.pcns)
        self._show_federation(data.federation)
        active = [p for p in data.practices if p.active]
        self.header.set_subtitle(
            f"{len(active)} member practices, {sum(p.list_size or 0 for p in active):,} registered patients, "
            f"{len(data.sites)} sites and hubs, {len(data.pcns)} PCNs"
        )
        self.loaded.emit()

    def _show_federation(self, fed: org.FederationRow | None) -> None:
        while self.federation_grid.count():
            item = self.federation_grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        if fed is None:
            self.federation_grid.addWidget(plain_label("The federation's details have not been entered yet."), 0, 0)
            return
        pairs = [
            ("Name", fed.name),
            ("Legal name", fed.legal_name),
            ("Companies House number", fed.companies_house_number),
            ("CQC provider ID", fed.cqc_provider_id),
            ("VAT number", fed.vat_number),
            ("Registered address", ", ".join(filter(None, [(fed.address or "").replace("\n", ", "), fed.postcode]))),
            ("Telephone", fed.phone),
            ("Email", fed.email),
            ("Website", fed.website),
        ]
        for i, (label, value) in enumerate(pairs):
            self.federation_grid.addWidget(plain_label(label, "Muted"), i, 0)
            self.federation_grid.addWidget(plain_label(value or "not recorded"), i, 1)
        self.federation_grid.setColumnStretch(1, 1)

    # -- editing ----------------------------------------------------------------------------------------------
    def edit_practice(self, row: org.PracticeRow | None) -> None:
        if self.data is not None:
            PracticeDialog.ask(self.ctx.ops, self.data.pcns, row, self)

    def edit_site(self, row: org.SiteRow | None) -> None:
        if self.data is not None:
            SiteDialog.ask(self.ctx.ops, self.data.practices, self.data.pcns, row, self)

    def edit_pcn(self, row: org.PcnRow | None) -> None:
        PcnDialog.ask(self.ctx.ops, row, self)

    def edit_federation(self) -> None:
        FederationDialog.ask(self.ctx.ops, self.data.federation if self.data else None, self)
