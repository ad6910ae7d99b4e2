"""One person's record: a header with their compliance at a glance and a tab per kind of information.

``STAFF_RECORD_TABS`` is the registry of tabs: ``(title, "module:Class")``. Each class is built as
``Class(ctx, staff_id, parent)`` and has ``load()``, called when the tab is first shown and again after changes.
Other modules append one line each (indemnity adds "Indemnity"; the rota adds "Rota").
"""

from __future__ import annotations

import importlib
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTabWidget, QVBoxLayout, QWidget

from federation_desk.services import staff as st
from federation_desk.services.changes import Changes
from federation_desk.services.compliance import ItemStatus
from federation_desk.services.dates import format_date, today
from federation_desk.ui.bus import bus
from federation_desk.ui.icons import icon
from federation_desk.ui.models.staff import status_icon
from federation_desk.ui.widgets.common import plain_label

STAFF_RECORD_TABS: list[tuple[str, str]] = [
    ("Details", "federation_desk.ui.pages.staff_tabs:DetailsTab"),
    ("Registrations", "federation_desk.ui.pages.staff_tabs:RegistrationsTab"),
    ("DBS and right to work", "federation_desk.ui.pages.staff_tabs:ChecksTab"),
    ("Training", "federation_desk.ui.pages.staff_tabs:TrainingTab"),
    ("Appraisals", "federation_desk.ui.pages.staff_tabs:AppraisalsTab"),
    ("Leave", "federation_desk.ui.pages.staff_tabs:LeaveTab"),
    ("Documents", "federation_desk.ui.pages.staff_tabs:DocumentsTab"),
    ("History", "federation_desk.ui.pages.staff_tabs:HistoryTab"),
    ("Indemnity", "federation_desk.ui.pages.indemnity_staff_tab:IndemnityTab"),
    ("Rota", "federation_desk.ui.pages.rota_staff_tab:RotaTab"),
]


class StaffRecordView(QWidget):
    """The record of one person, shown in place of the staff list (Back returns to it)."""

    back_requested = Signal()
    loaded = Signal()

    def __init__(self, ctx: Any, staff_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.staff_id = staff_id
        self.detail: st.StaffDetail | None = None
        self.load_job: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.back_button = QPushButton(icon("staff"), "All staff")
        self.back_button.setAccessibleName("Back to the staff list")
        self.back_button.clicked.connect(self.back_requested.emit)
        top.addWidget(self.back_button)
        titles = QVBoxLayout()
        self.title = plain_label("Loading ...", "PageTitle")
        self.title.setAccessibleName("Name")
        self.subtitle = plain_label("", "PageSubtitle")
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        status_row = QHBoxLayout()
        self.status_icon = plain_label("")
        self.status_icon.setFixedWidth(24)
        status_row.addWidget(self.status_icon)
        self.status = plain_label("", wrap=True)
        self.status.setAccessibleName("Compliance today")
        status_row.addWidget(self.status, 1)
        titles.addLayout(status_row)
        top.addLayout(titles, 1)
        layout.addLayout(top)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Staff record sections")
        self.pages: list[Any] = []
        self._stale: set[int] = set()
        for title, target in STAFF_RECORD_TABS:
            module_name, class_name = target.split(":")
            try:
                cls = getattr(importlib.import_module(module_name), class_name)
            except (ImportError, AttributeError):
                continue  # a module that is not installed in this version
            tab = cls(ctx, staff_id, self)
            self.pages.append(tab)
            self.tabs.addTab(tab, title)
            self._stale.add(len(self.pages) - 1)
        layout.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(self._tab_shown)
        bus().changed.connect(self._on_changes)

    def tab(self, title: str) -> Any:
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) == title:
                return self.tabs.widget(i)
        raise KeyError(title)

    def show_tab(self, title: str) -> Any:
        tab = self.tab(title)
        self.tabs.setCurrentWidget(tab)
        return tab

    def load(self) -> None:
        self.load_job = self.ctx.ops.run_query(
            _header, self.staff_id, on_done=self._show, parent=self, key=f"staff-record-{self.staff_id}"
        )
        self._stale = set(range(len(self.pages)))
        self._tab_shown(self.tabs.currentIndex())

    def _tab_shown(self, index: int) -> None:
        if index in self._stale and 0 <= index < len(self.pages):
            self._stale.discard(index)
            self.pages[index].load()

    def _on_changes(self, changes: Changes) -> None:
        if not self.isVisible():
            return
        if changes.touches(st.STAFF_KIND, "document", "indemnity", "rota") and (
            not changes.ids or self.staff_id in changes.ids or not changes.touches(st.STAFF_KIND)
        ):
            self.load()

    def _show(self, header: tuple[st.StaffDetail, Any]) -> None:
        detail, person = header
        self.detail = detail
        self.title.setText(detail.name)
        bits = [detail.role_name, detail.employer, detail.employment_type.label]
        if detail.staff_number:
            bits.append(f"staff number {detail.staff_number}")
        if detail.leave_date and detail.leave_date < today():
            bits.append(f"left {format_date(detail.leave_date)}")
        self.subtitle.setText(" · ".join(bits))
        if person is None:
            self.status.setText("Not a current member of staff: compliance is not checked.")
            self.status_icon.clear()
        else:
            problems = [i for i in person.items if not i.status.ok]
            soon = [i for i in person.items if i.status is ItemStatus.EXPIRING]
            if problems:
                n = len(problems)
                listed = "; ".join(f"{i.label} ({i.status.label.lower()})" for i in problems[:4])
                text = f"{n} item{'s need' if n != 1 else ' needs'} action: {listed}"
                if len(problems) > 4:
                    text += f" and {len(problems) - 4} more"
            elif soon:
                text = f"Compliant. {len(soon)} item{'s' if len(soon) != 1 else ''} expiring soon: " + "; ".join(
                    f"{i.label} {format_date(i.expires_on)}" for i in soon[:3]
                )
            else:
                text = "Compliant: every item is in date."
            self.status.setText(text)
            pix = status_icon(person.status)
            self.status_icon.setPixmap(pix.pixmap(22, 22) if pix else icon("good").pixmap(22, 22))
        self.loaded.emit()


def _header(session: Any, staff_id: int) -> tuple[st.StaffDetail, Any]:
    from federation_desk.services import compliance as comp

    detail = st.get_staff(session, staff_id)
    on = today()
    current = (detail.start_date is None or detail.start_date <= on) and (
        detail.leave_date is None or detail.leave_date >= on
    )
    person = comp.evaluate(session, on, [staff_id]).get(staff_id) if current else None
    return detail, person
