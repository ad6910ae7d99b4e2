"""The Indemnity page: organisation insurance policies, clinicians' own cover, the renewal calendar with a 12-month
timeline of each policy type, and the guidance the checks use.

Everything is loaded on a worker in one go (``services.indemnity.load_indemnity``); saves go through the dialogs and
come back as ``Changes`` on the bus, which makes the page reload.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget

from federation_desk.services import dates
from federation_desk.services import indemnity as ind
from federation_desk.services.dates import format_date
from federation_desk.services.money import format_money
from federation_desk.ui import theme
from federation_desk.ui.dialogs import indemnity as dialogs
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.pages import indemnity_common as common
from federation_desk.ui.pages.base import Page
from federation_desk.ui.pages.indemnity_guidance import GuidanceTab
from federation_desk.ui.pages.indemnity_renewals import RenewalsTab
from federation_desk.ui.widgets.common import Notice, PageHeader, SearchBox, plain_label


def _button(icon_name: str, text: str, accessible: str) -> QPushButton:
    button = QPushButton(icon(icon_name), text) if icon_name else QPushButton(text)
    button.setAccessibleName(accessible)
    return button


class _ListTab(QWidget):
    """Search, filters, a count, buttons, and a table that takes dropped certificates."""

    def __init__(self, noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.noun = noun
        self.today = dates.today()
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(0, 8, 0, 0)
        self.bar = QHBoxLayout()
        self.plural = f"{noun[:-1]}ies" if noun.endswith("y") else f"{noun}s"
        self.search = SearchBox(f"Search {self.plural}", f"Search {self.plural}")
        self.search.textChanged.connect(self.apply_filter)
        self.bar.addWidget(self.search)
        self.layout_.addLayout(self.bar)
        self.buttons = QHBoxLayout()
        self.count = plain_label("", "Muted")
        self.buttons.addWidget(self.count, 1)
        self.layout_.addLayout(self.buttons)

    def add_filter(self, name: str, items: list[tuple[str, Any]]) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        for label, value in items:
            combo.addItem(label, value)
        combo.currentIndexChanged.connect(self.apply_filter)
        self.bar.addWidget(combo)
        return combo

    def finish(self, model: RowTableModel[Any], state_key: str, title: str) -> None:
        self.bar.addStretch(1)
        self.model = model
        self.table = common.DropTable(model, state_key, title)
        self.layout_.addWidget(self.table, 1)
        self.hint = plain_label(
            "Drop a certificate file on a row to attach it. Double-click a row to edit it.", "Muted"
        )
        self.layout_.addWidget(self.hint)
        self.table.selectionModel().selectionChanged.connect(self.update_buttons)
        model.modelReset.connect(self.update_buttons)

    def set_rows(self, rows: list[Any], key: Callable[[Any], Any]) -> None:
        selected = self.table.selected_row()
        self.model.set_rows(rows)
        self.apply_filter()
        if selected is not None:
            self.table.select_where(lambda r: key(r) == key(selected))
        self.update_buttons()

    def apply_filter(self, *_args: Any) -> None:
        words = self.search.text().casefold().split()
        self.model.set_filter(lambda r: self.keep(r) and all(w in self.search_text(r) for w in words))
        shown, total = len(self.model.visible_rows), len(self.model.all_rows)
        plural = self.plural
        self.count.setText(f"{shown} of {total} {plural}" if shown != total else f"{total} {plural}")

    def keep(self, row: Any) -> bool:
        return True

    def search_text(self, row: Any) -> str:
        return ""

    def update_buttons(self, *_args: Any) -> None:
        """Enable the buttons that need a selected row."""


# ---- policies ------------------------------------------------------------------------------------------------


def _limit_tooltip(r: ind.PolicyRow) -> str:
    excess = f"; excess {format_money(r.excess)}" if r.excess is not None else "; no excess recorded"
    exclusion = "; excludes abuse claims" if r.abuse_exclusion else ""
    return f"{r.limit_text} {r.limit_basis.label.lower()}{excess}{exclusion}"


SHOW_IN_FORCE, SHOW_ATTENTION, SHOW_ALL = "in force", "attention", "all"


class PoliciesTab(_ListTab):
    def __init__(self, page: IndemnityPage) -> None:
        super().__init__("policy")
        self.page = page
        self.holder_filter = self.add_filter("Show policies held by", [("All holders", "all")])
        self.show_filter = self.add_filter(
            "Which policies",
            [("In force today", SHOW_IN_FORCE), ("Needing attention", SHOW_ATTENTION), ("All policies", SHOW_ALL)],
        )
        self.add_button = _button("add", "Add policy", "Add a policy")
        self.edit_button = _button("edit", "Edit", "Edit the selected policy")
        self.renew_button = _button("refresh", "Renew ...", "Record the renewal of the selected policy")
        self.attach_button = _button("attach", "Attach certificate ...", "Attach a certificate to the selected policy")
        self.open_button = _button("open", "Open certificate", "Open the selected policy's certificate")
        self.delete_button = _button("", "Delete", "Delete the selected policy")
        for b in (
            self.add_button,
            self.edit_button,
            self.renew_button,
            self.attach_button,
            self.open_button,
            self.delete_button,
        ):
            self.buttons.addWidget(b)
        columns: list[Column[ind.PolicyRow]] = [
            Column(
                "Held by",
                lambda r: r.holder_name,
                sort_key=lambda r: (r.holder_practice_id is not None, r.holder_name.casefold()),
                tooltip=lambda r: r.holder_name,
                width=29,
            ),
            Column("Type", lambda r: r.type_label, tooltip=lambda r: r.type_label, width=24),
            Column("Insurer", lambda r: r.insurer, tooltip=lambda r: r.insurer, width=15),
            Column("Policy number", lambda r: r.policy_number, tooltip=lambda r: r.policy_number, width=22),
            Column(
                "Limit",
                lambda r: r.limit_text,
                sort_key=lambda r: r.limit,
                align=RIGHT,
                tooltip=_limit_tooltip,
                width=14,
            ),
            Column("Starts", lambda r: format_date(r.start), sort_key=lambda r: r.start, width=10),
            Column("Ends", lambda r: format_date(r.end), sort_key=lambda r: r.end, width=10),
            Column(
                "Status",
                lambda r: common.policy_state(r, self.today)[0],
                sort_key=lambda r: (common.policy_state(r, self.today)[1].value, r.end),
                foreground=lambda r: common.status_colour(common.policy_state(r, self.today)[1]),
                tooltip=lambda r: common.policy_state(r, self.today)[2],
                width=15,
            ),
            Column(
                "Certificate",
                lambda r: "Attached" if r.certificate_document_id else "None",
                icon=lambda r: icon("attach") if r.certificate_document_id else None,
                foreground=lambda r: None if r.certificate_document_id else QColor(theme.current().muted),
                tooltip=lambda r: r.certificate_filename or "No certificate attached: drop the file on this row.",
                width=9,
            ),
        ]
        self.finish(RowTableModel(columns, self), "indemnity-policies", "Insurance policies")
        self.add_button.clicked.connect(lambda: self.page.edit_policy(None))
        self.edit_button.clicked.connect(lambda: self.page.edit_policy(self.table.selected_row()))
        self.renew_button.clicked.connect(lambda: self.page.renew_policy(self.table.selected_row()))
        self.attach_button.clicked.connect(lambda: self.page.attach_to_policy(self.table.selected_row()))
        self.open_button.clicked.connect(lambda: self.page.open_policy_certificate(self.table.selected_row()))
        self.delete_button.clicked.connect(lambda: self.page.delete_policy(self.table.selected_row()))
        self.table.row_activated.connect(self.page.edit_policy)
        self.table.files_dropped.connect(lambda row, files: self.page.attach_to_policy(row, files[0]))

    def set_holders(self, holders: list[ind.HolderRow]) -> None:
        current = self.holder_filter.currentData()
        self.holder_filter.blockSignals(True)
        self.holder_filter.clear()
        self.holder_filter.addItem("All holders", "all")
        for h in holders:
            self.holder_filter.addItem(h.name, h.practice_id)
        index = self.holder_filter.findData(current)
        self.holder_filter.setCurrentIndex(max(0, index))
        self.holder_filter.blockSignals(False)

    def keep(self, row: ind.PolicyRow) -> bool:
        holder = self.holder_filter.currentData()
        if holder != "all" and row.holder_practice_id != holder:
            return False
        show = self.show_filter.currentData()
        _text, status, _reason = common.policy_state(row, self.today)
        if show == SHOW_IN_FORCE:
            return row.start <= self.today <= row.end
        if show == SHOW_ATTENTION:
            return status in (ind.CoverStatus.EXPIRING, ind.CoverStatus.EXPIRED) or (
                row.certificate_document_id is None and row.start <= self.today <= row.end
            )
        return True

    def search_text(self, r: ind.PolicyRow) -> str:
        return f"{r.holder_name} {r.type_label} {r.insurer} {r.policy_number}".casefold()

    def update_buttons(self, *_args: Any) -> None:
        row = self.table.selected_row()
        for b in (self.edit_button, self.renew_button, self.attach_button, self.delete_button):
            b.setEnabled(row is not None)
        self.open_button.setEnabled(row is not None and row.certificate_document_id is not None)


# ---- clinicians' cover ---------------------------------------------------------------------------------------

SHOW_EVERYONE, SHOW_NEEDS_ATTENTION, SHOW_NO_COVER = "everyone", "attention", "none"


class ClinicianCoverTab(_ListTab):
    def __init__(self, page: IndemnityPage) -> None:
        super().__init__("clinician")
        self.page = page
        self.show_filter = self.add_filter(
            "Which clinicians",
            [
                ("All clinicians", SHOW_EVERYONE),
                ("Needing attention", SHOW_NEEDS_ATTENTION),
                ("No cover for non-NHS work", SHOW_NO_COVER),
            ],
        )
        self.add_button = _button("add", "Add cover", "Add indemnity cover")
        self.edit_button = _button("edit", "Edit cover", "Edit the selected clinician's cover")
        self.renew_button = _button("refresh", "Renew ...", "Record the renewal of the selected clinician's cover")
        self.attach_button = _button("attach", "Attach certificate ...", "Attach a certificate to the selected cover")
        self.open_button = _button("open", "Open certificate", "Open the selected cover's certificate")
        for b in (self.add_button, self.edit_button, self.renew_button, self.attach_button, self.open_button):
            self.buttons.addWidget(b)

        def cover(r: ind.ClinicianCoverRow, text: Callable[[ind.CoverRow], str]) -> str:
            return text(r.cover) if r.cover is not None else ""

        def status(r: ind.ClinicianCoverRow) -> ind.CoverStatus:
            limited = r.status is ind.CoverStatus.VALID and not r.ok_for_non_nhs
            return ind.CoverStatus.EXPIRING if limited else r.status

        columns: list[Column[ind.ClinicianCoverRow]] = [
            Column("Clinician", lambda r: r.name, tooltip=lambda r: r.name, width=22),
            Column(
                "Status",
                lambda r: (
                    "Limited cover" if r.status is ind.CoverStatus.VALID and not r.ok_for_non_nhs else r.status.label
                ),
                sort_key=lambda r: (r.ok_for_non_nhs, r.status.value),
                foreground=lambda r: common.status_colour(status(r)),
                tooltip=lambda r: r.reason,
                width=14,
            ),
            Column("Role", lambda r: r.role, tooltip=lambda r: r.role, width=21),
            Column("Employer", lambda r: r.employer, tooltip=lambda r: r.employer, width=25),
            Column(
                "Own cover",
                lambda r: cover(r, lambda c: f"{c.provider_label} {c.membership_number}"),
                tooltip=lambda r: cover(r, lambda c: f"{c.provider_label}, {c.category or 'no category'}"),
                width=17,
            ),
            Column(
                "Ends",
                lambda r: cover(r, lambda c: format_date(c.end)),
                sort_key=lambda r: r.cover.end if r.cover else None,
                width=10,
            ),
            Column("Covers", lambda r: cover(r, lambda c: c.scope_text), tooltip=lambda r: r.reason, width=28),
            Column(
                "Certificate",
                lambda r: cover(r, lambda c: "Attached" if c.certificate_document_id else "None"),
                icon=lambda r: icon("attach") if r.cover and r.cover.certificate_document_id else None,
                tooltip=lambda r: cover(r, lambda c: c.certificate_filename or "No certificate attached"),
                width=9,
            ),
        ]
        self.finish(RowTableModel(columns, self), "indemnity-clinicians", "Clinicians' indemnity cover")
        self.add_button.clicked.connect(lambda: self.page.edit_cover(None, self._selected_staff()))
        self.edit_button.clicked.connect(lambda: self._edit(self.table.selected_row()))
        self.renew_button.clicked.connect(lambda: self._renew(self.table.selected_row()))
        self.attach_button.clicked.connect(lambda: self._attach(self.table.selected_row()))
        self.open_button.clicked.connect(lambda: self._open(self.table.selected_row()))
        self.table.row_activated.connect(self._edit)
        self.table.files_dropped.connect(lambda row, files: self._attach(row, files[0]))

    def _selected_staff(self) -> int | None:
        row = self.table.selected_row()
        return row.staff_id if row is not None and row.cover is None else None

    def _edit(self, row: ind.ClinicianCoverRow | None) -> None:
        if row is None:
            return
        self.page.edit_cover(row.cover, row.staff_id)

    def _renew(self, row: ind.ClinicianCoverRow | None) -> None:
        if row is not None and row.cover is not None:
            self.page.renew_cover(row.cover)

    def _attach(self, row: ind.ClinicianCoverRow | None, path: str | None = None) -> None:
        if row is None:
            return
        if row.cover is None:
            self.page.tell(
                "No cover to attach to",
                f"{row.name} has no indemnity cover recorded. Add the cover first; you can attach the certificate "
                "in the same window.",
            )
            return
        self.page.attach_to_cover(row.cover, path)

    def _open(self, row: ind.ClinicianCoverRow | None) -> None:
        if row is not None and row.cover is not None:
            self.page.open_cover_certificate(row.cover)

    def keep(self, row: ind.ClinicianCoverRow) -> bool:
        show = self.show_filter.currentData()
        if show == SHOW_NEEDS_ATTENTION:
            return row.needs_attention
        if show == SHOW_NO_COVER:
            return not row.ok_for_non_nhs
        return True

    def search_text(self, r: ind.ClinicianCoverRow) -> str:
        c = r.cover
        extra = f"{c.provider_label} {c.membership_number} {c.category or ''}" if c else ""
        return f"{r.name} {r.role} {r.employer} {extra}".casefold()

    def update_buttons(self, *_args: Any) -> None:
        row = self.table.selected_row()
        has_cover = row is not None and row.cover is not None
        self.edit_button.setEnabled(row is not None)
        self.edit_button.setText("Edit cover" if row is None or has_cover else "Add cover for them")
        self.renew_button.setEnabled(has_cover)
        self.attach_button.setEnabled(has_cover)
        self.open_button.setEnabled(has_cover and row.cover.certificate_document_id is not None)  # type: ignore[union-attr]


# ---- the page ------------------------------------------------------------------------------------------------


class IndemnityPage(Page):
    key = "indemnity"
    title = "Indemnity"
    icon_name = "indemnity"
    kinds = frozenset(
        {
            "insurance_policy",
            "indemnity_cover",
            "policy_type",
            "document",
            "staff",
            "staff_member",
            "practice",
            "federation",
            "role",
        }
    )
    loaded = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.header = PageHeader(
            "Insurance and indemnity", "Organisation policies, clinicians' own cover, renewals and gaps"
        )
        self.layout_.addWidget(self.header)
        self.banner = Notice("")
        self.banner.setVisible(False)
        self.banner.setAccessibleName("What needs attention")
        self.layout_.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Indemnity sections")
        self.policies = PoliciesTab(self)
        self.clinicians = ClinicianCoverTab(self)
        self.renewals = RenewalsTab(ctx, self)
        self.guidance = GuidanceTab(ctx, self)
        self.tabs.addTab(self.policies, icon("indemnity"), "Policies")
        self.tabs.addTab(self.clinicians, icon("staff"), "Clinicians' cover")
        self.tabs.addTab(self.renewals, icon("rota"), "Renewals and gaps")
        self.tabs.addTab(self.guidance, icon("info"), "Guidance")
        self.layout_.addWidget(self.tabs, 1)
        self.data: ind.IndemnityData | None = None
        self.renewals.record_activated.connect(self._open_record)
        self.renewals.timeline.policy_activated.connect(self._edit_policy_id)

    # -- loading ----------------------------------------------------------------------------------------------
    def today(self) -> date:
        return dates.today()

    def focus_search(self) -> bool:
        tab = self.tabs.currentWidget()
        if isinstance(tab, _ListTab):
            tab.search.setFocus()
            tab.search.selectAll()
            return True
        return False

    def reload(self) -> None:
        self.load_job = self.ctx.ops.run_query(
            ind.load_indemnity, self.today(), on_done=self._show, parent=self, key="indemnity"
        )

    def _show(self, data: ind.IndemnityData) -> None:
        self.data = data
        for tab in (self.policies, self.clinicians):
            tab.today = data.today
        self.policies.set_holders(data.holders)
        self.policies.set_rows(data.policies, key=lambda r: r.id)
        self.clinicians.set_rows(data.clinicians, key=lambda r: r.staff_id)
        self.renewals.show_data(data)
        self.guidance.show_data(data)
        self._show_attention(data)
        in_force = sum(1 for p in data.policies if p.start <= data.today <= p.end)
        covered = sum(1 for c in data.clinicians if c.ok_for_non_nhs)
        self.header.set_subtitle(
            f"{in_force} policies in force on {format_date(data.today)}; {covered} of {len(data.clinicians)} "
            "clinicians hold their own cover for non-NHS work"
        )
        self.loaded.emit()

    def _show_attention(self, data: ind.IndemnityData) -> None:
        a = data.attention
        parts = list(a.no_employers_liability[:2])
        parts += [
            f"{p.holder_name}'s employers' liability limit {p.limit_text} is below the legal minimum."
            for p in a.below_statutory[:2]
        ]
        parts += [f"{r.holder}'s {r.what.lower()} lapsed on {format_date(r.due)}." for r in a.lapsed[:2]]
        parts += [f"Gap: {g.text}." for g in a.gaps[:2]]
        if a.renewals_30:
            parts.append(
                f"{len(a.renewals_30)} polic{'y' if len(a.renewals_30) == 1 else 'ies'} end within 30 days with no "
                "renewal recorded (see Renewals and gaps)."
            )
        self.banner.label.setText(" ".join(parts))
        self.banner.setVisible(bool(parts))

    # -- actions ----------------------------------------------------------------------------------------------
    def tell(self, title: str, text: str) -> None:
        common.tell(self, title, text)

    def edit_policy(self, row: ind.PolicyRow | None) -> None:
        if self.data is not None:
            holder = self.policies.holder_filter.currentData()
            dialogs.PolicyDialog.ask(
                self.ctx.ops,
                self.data.holders,
                self.data.insurers,
                row,
                self,
                holder_practice_id=None if holder == "all" else holder,
            )

    def renew_policy(self, row: ind.PolicyRow | None) -> None:
        if self.data is not None and row is not None:
            dialogs.PolicyDialog.ask(self.ctx.ops, self.data.holders, self.data.insurers, None, self, renew_from=row)

    def _edit_policy_id(self, policy_id: int) -> None:
        if self.data is not None:
            row = next((p for p in self.data.policies if p.id == policy_id), None)
            if row is not None:
                self.edit_policy(row)

    def attach_to_policy(self, row: ind.PolicyRow | None, path: str | None = None) -> None:
        if row is None:
            return
        path = path or dialogs.choose_certificate(self)
        if path:
            self.ctx.ops.run_write(ind.attach_certificate, ind.POLICY_KIND, row.id, path, row.version, parent=self)

    def open_policy_certificate(self, row: ind.PolicyRow | None) -> None:
        if row is not None:
            title = f"{row.type_label} certificate: {row.holder_name}, {row.policy_number}"
            common.open_document(self.ctx, row.certificate_document_id, title, self)

    def delete_policy(self, row: ind.PolicyRow | None) -> None:
        if row is None:
            return
        question = (
            f"Delete {row.holder_name}'s {row.type_label.lower()} policy {row.policy_number} "
            f"({format_date(row.start)} to {format_date(row.end)})? Its certificate stays in the documents store."
        )
        if common.confirm(self, "Delete policy", question):
            self.ctx.ops.run_write(ind.delete_policy, row.id, row.version, parent=self)

    def edit_cover(self, row: ind.CoverRow | None, staff_id: int | None = None) -> None:
        if self.data is not None:
            dialogs.CoverDialog.ask(
                self.ctx.ops, self.data.clinical_staff, row, self, staff_id if row is None else None
            )

    def renew_cover(self, row: ind.CoverRow) -> None:
        if self.data is not None:
            dialogs.CoverDialog.ask(self.ctx.ops, self.data.clinical_staff, None, self, row.staff_id, renew_from=row)

    def attach_to_cover(self, row: ind.CoverRow, path: str | None = None) -> None:
        path = path or dialogs.choose_certificate(self)
        if path:
            self.ctx.ops.run_write(ind.attach_certificate, ind.COVER_KIND, row.id, path, row.version, parent=self)

    def open_cover_certificate(self, row: ind.CoverRow) -> None:
        title = f"{row.provider_label} certificate: {row.staff_name}, {row.membership_number}"
        common.open_document(self.ctx, row.certificate_document_id, title, self)

    def _open_record(self, kind: str, record_id: int) -> None:
        if self.data is None:
            return
        if kind == ind.POLICY_KIND:
            self._edit_policy_id(record_id)
            return
        for c in self.data.clinicians:
            if c.cover is not None and c.cover.id == record_id:
                self.edit_cover(c.cover)
                return
        self.ctx.ops.run_query(_find_cover, record_id, on_done=lambda row: row and self.edit_cover(row), parent=self)


def _find_cover(session: Any, cover_id: int) -> ind.CoverRow | None:
    from federation_desk.domain.indemnity import IndemnityCover

    cover = session.get(IndemnityCover, cover_id)
    if cover is None:
        return None
    return next((c for c in ind.list_covers(session, cover.staff_id) if c.id == cover_id), None)
