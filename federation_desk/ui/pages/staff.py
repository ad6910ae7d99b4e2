"""The Staff page: the staff list (search, filters, status), the training matrix and the expiry list, and each
person's record in place of the lists. Import of staff and training files starts here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from federation_desk.services import staff as st
from federation_desk.services.compliance import ItemStatus
from federation_desk.services.dates import today
from federation_desk.ui.icons import icon
from federation_desk.ui.models.staff import STAFF_COLUMNS
from federation_desk.ui.models.table_model import RowTableModel
from federation_desk.ui.pages.base import Page
from federation_desk.ui.widgets.common import PageHeader, SearchBox, plain_label
from federation_desk.ui.widgets.table import DataTable

FEDERATION = -1  # the practice filter's value for staff the federation employs centrally

STATUS_FILTERS: list[tuple[str, str]] = [
    ("Current staff", "current"),
    ("Needs action (expired or missing)", "action"),
    ("Expiring soon", "expiring"),
    ("Compliant", "compliant"),
    ("Left or not started", "left"),
    ("Everyone", "all"),
]


def staff_predicate(words: list[str], practice: int | None, role: int | None, status: str) -> Any:
    """The list's filter: every word in the person's search text, and the practice, role and status chosen.
    Kept as plain comparisons over the prepared rows (2,500 rows filter in a few milliseconds)."""
    action = (ItemStatus.EXPIRED, ItemStatus.MISSING)

    def keep(r: st.StaffRow) -> bool:
        if status == "current":
            if not r.current:
                return False
        elif status == "action":
            if not r.current or r.status not in action:
                return False
        elif status == "expiring":
            if not r.current or r.status is not ItemStatus.EXPIRING:
                return False
        elif status == "compliant":
            if not r.current or r.status in action:
                return False
        elif status == "left" and r.current:
            return False
        if practice is not None:
            if practice == FEDERATION:
                if r.employer_practice_id is not None:
                    return False
            elif practice not in r.practice_ids:
                return False
        if role is not None and r.role_id != role:
            return False
        text = r.search_text
        return all(w in text for w in words)

    return keep


class StaffListTab(QWidget):
    open_requested = Signal(object)  # a StaffRow

    def __init__(self, page: StaffPage) -> None:
        super().__init__(page)
        self.page = page
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.search = SearchBox("Search by name, staff or registration number", "Search staff")
        bar.addWidget(self.search, 2)
        self.practice = QComboBox()
        self.practice.setAccessibleName("Filter by practice")
        self.role = QComboBox()
        self.role.setAccessibleName("Filter by role")
        self.status = QComboBox()
        self.status.setAccessibleName("Filter by status")
        for label, value in STATUS_FILTERS:
            self.status.addItem(label, value)
        for combo in (self.practice, self.role, self.status):
            combo.setMinimumWidth(150)
            bar.addWidget(combo, 1)
        layout.addLayout(bar)
        actions = QHBoxLayout()
        self.count = plain_label("Loading ...", "Muted")
        self.count.setAccessibleName("Staff shown")
        actions.addWidget(self.count, 1)
        self.add_button = QPushButton(icon("add"), "Add person")
        self.add_button.setAccessibleName("Add a member of staff")
        self.open_button = QPushButton(icon("open"), "Open record")
        self.open_button.setAccessibleName("Open the selected person's record")
        self.import_button = QPushButton(icon("new"), "Import ...")
        self.import_button.setAccessibleName("Import staff or training records from a CSV or Excel file")
        self.export_button = QPushButton(icon("export"), "Export to Excel ...")
        self.export_button.setAccessibleName("Export the list as shown to Excel")
        self.requirements_button = QPushButton(icon("settings"), "Requirements ...")
        self.requirements_button.setAccessibleName(
            "Edit lead times, refresher periods and the training each role needs"
        )
        for b in (self.add_button, self.open_button, self.import_button, self.export_button, self.requirements_button):
            actions.addWidget(b)
        layout.addLayout(actions)
        self.model: RowTableModel[st.StaffRow] = RowTableModel(STAFF_COLUMNS, self)
        self.table = DataTable(self.model, "staff", "Staff")
        # Eliding ("...") costs Qt a text layout per cell on every repaint: without it a keystroke's repaint of the
        # 2,500-row list is several times faster. Columns are sized so that little is clipped; hover shows the rest.
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        layout.addWidget(self.table, 1)
        self.model.modelReset.connect(self._count)
        self.search.textChanged.connect(self.apply_filter)
        for combo in (self.practice, self.role, self.status):
            combo.currentIndexChanged.connect(self.apply_filter)
        self.table.row_activated.connect(self.open_requested.emit)
        self.open_button.clicked.connect(lambda: self._open_selected())
        self.export_button.clicked.connect(self.export_dialog)

    def _open_selected(self) -> None:
        row = self.table.selected_row()
        if row is not None:
            self.open_requested.emit(row)

    def set_options(self, options: st.StaffOptions) -> None:
        for combo, items, first in (
            (
                self.practice,
                [("Federation (employed centrally)", FEDERATION)] + [(p.label, p.id) for p in options.practices],
                "All practices",
            ),
            (self.role, [(r.label, r.id) for r in options.roles], "All roles"),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(first, None)
            for label, value in items:
                combo.addItem(label, value)
            index = combo.findData(current)
            combo.setCurrentIndex(max(0, index))
            combo.blockSignals(False)

    def set_rows(self, rows: list[st.StaffRow]) -> None:
        selected = self.table.selected_row()
        self.model.set_rows(rows)
        self.apply_filter()
        if selected is not None:
            self.table.select_where(lambda r: r.id == selected.id)

    def apply_filter(self, *_args: Any) -> None:
        words = self.search.text().casefold().split()
        self.model.set_filter(
            staff_predicate(words, self.practice.currentData(), self.role.currentData(), self.status.currentData())
        )

    def _count(self) -> None:
        shown, total = len(self.model.visible_rows), len(self.model.all_rows)
        needing = sum(1 for r in self.model.visible_rows if r.current and not r.status.ok)
        text = f"{shown:,} of {total:,} people" if shown != total else f"{total:,} people"
        if needing:
            text += f"; {needing:,} need action"
        self.count.setText(text)

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the staff list", str(Path.home() / "staff-list.xlsx"), "Excel workbook (*.xlsx)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Any:
        from federation_desk.services.excel import Sheet, SheetColumn, write_workbook

        rows = list(self.model.visible_rows)
        columns = [
            SheetColumn("Name", lambda r: r.name),
            SheetColumn("Staff number", lambda r: r.staff_number or ""),
            SheetColumn("Role", lambda r: r.role_name),
            SheetColumn("Employer", lambda r: r.employer),
            SheetColumn("Employment", lambda r: r.employment_type.label),
            SheetColumn("Registration", lambda r: r.registration),
            SheetColumn(
                "Compliance",
                lambda r: r.status_text,
                fill=lambda r: st.STATUS_FILLS.get(r.status) if r.current else None,
            ),
            SheetColumn("Next expiry", lambda r: r.next_expiry),
            SheetColumn("Next item", lambda r: r.next_item),
            SheetColumn("Start date", lambda r: r.start_date),
            SheetColumn("Leaving date", lambda r: r.leave_date),
        ]

        def job(_database: Any, progress: Any) -> Path:
            return write_workbook(path, [Sheet("Staff", columns, rows, f"Staff on {today():%d/%m/%Y}")], progress)

        self.export_job = self.page.ctx.ops.run_job(
            job, on_done=lambda p: self.page.ctx_message(f"Saved {p.name}."), label="Exporting ...", parent=self
        )
        return self.export_job


class StaffPage(Page):
    key = "staff"
    title = "Staff"
    icon_name = "staff"
    kinds = frozenset({"staff", "practice", "pcn", "document", "role", "training"})
    loaded = Signal()
    record_opened = Signal(object)  # the StaffRecordView

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.header = PageHeader(
            "Staff", "Staff records, registrations, DBS checks, right to work, training and appraisals"
        )
        self.layout_.addWidget(self.header)
        self.stack = QStackedWidget()
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Staff sections")
        self.list_tab = StaffListTab(self)
        self.tabs.addTab(self.list_tab, icon("staff"), "Staff list")
        from federation_desk.ui.pages.staff_expiry import ExpiryTab
        from federation_desk.ui.pages.staff_matrix import MatrixTab

        self.matrix_tab = MatrixTab(ctx, self)
        self.expiry_tab = ExpiryTab(ctx, self)
        self.tabs.addTab(self.matrix_tab, icon("reports"), "Training matrix")
        self.tabs.addTab(self.expiry_tab, icon("warning"), "Expiring")
        self.stack.addWidget(self.tabs)
        self.layout_.addWidget(self.stack, 1)
        self.record: Any = None
        self.rows: list[st.StaffRow] = []
        self.options: st.StaffOptions | None = None
        self._pending: Any = None
        self.list_tab.open_requested.connect(lambda row: self.open_record(row.id))
        self.list_tab.add_button.clicked.connect(self.add_person)
        self.list_tab.import_button.clicked.connect(self.import_file)
        self.list_tab.requirements_button.clicked.connect(self.edit_requirements)
        self.tabs.currentChanged.connect(self._tab_changed)

    def ctx_message(self, text: str) -> None:
        window = self.window()
        if hasattr(window, "statusBar"):
            window.statusBar().showMessage(text, 6000)

    def focus_search(self) -> bool:
        if self.stack.currentWidget() is self.tabs and self.tabs.currentWidget() is self.list_tab:
            self.list_tab.search.setFocus()
            self.list_tab.search.selectAll()
            return True
        if self.tabs.currentWidget() is self.matrix_tab:
            self.matrix_tab.search.setFocus()
            return True
        return False

    def reload(self) -> None:
        def load(session: Any, on: Any, progress: Any = None) -> tuple[list[st.StaffRow], st.StaffOptions]:
            return st.list_staff(session, on, progress), st.staff_options(session)

        self.load_job = self.ctx.ops.run_query(load, today(), on_done=self._show, parent=self, key="staff-list")
        self.matrix_tab.stale = True
        self.expiry_tab.stale = True
        self._tab_changed(self.tabs.currentIndex())
        if self.record is not None and self.record.isVisible():
            self.record.load()

    def _show(self, result: tuple[list[st.StaffRow], st.StaffOptions]) -> None:
        rows, options = result
        self.rows, self.options = rows, options
        self.list_tab.set_options(options)
        self.matrix_tab.set_options(options)
        self.expiry_tab.set_options(options)
        self.list_tab.set_rows(rows)
        current = [r for r in rows if r.current]
        action = sum(1 for r in current if not r.status.ok)
        self.header.set_subtitle(
            f"{len(current):,} current staff; {len(current) - action:,} fully compliant, {action:,} need action"
        )
        self.loaded.emit()

    def _tab_changed(self, index: int) -> None:
        tab = self.tabs.widget(index)
        if getattr(tab, "stale", False) and self.ctx.database is not None:
            tab.load()

    # -- navigation ---------------------------------------------------------------------------------------------
    def navigate_to(self, target: Any) -> None:
        """``"expiry"``, ``"matrix"`` or ``"list"`` shows that tab; a staff id opens the person's record."""
        if isinstance(target, int):
            self.open_record(target)
            return
        self.close_record()
        self.tabs.setCurrentWidget(
            {"expiry": self.expiry_tab, "matrix": self.matrix_tab}.get(str(target), self.list_tab)
        )

    def open_record(self, staff_id: int) -> Any:
        from federation_desk.ui.pages.staff_record import StaffRecordView

        self.close_record()
        self.record = StaffRecordView(self.ctx, staff_id, self)
        self.record.back_requested.connect(self.close_record)
        self.stack.addWidget(self.record)
        self.stack.setCurrentWidget(self.record)
        self.header.setVisible(False)
        self.record.load()
        self.record_opened.emit(self.record)
        return self.record

    def close_record(self) -> None:
        if self.record is not None:
            self.stack.setCurrentWidget(self.tabs)
            self.stack.removeWidget(self.record)
            self.record.deleteLater()
            self.record = None
            self.header.setVisible(True)
            self.list_tab.table.setFocus()

    # -- adding and importing -----------------------------------------------------------------------------------
    def add_person(self) -> Any:
        from federation_desk.ui.dialogs.staff import StaffDialog

        if self.options is None:
            return None
        result = StaffDialog.ask(self.ctx.ops, self.options, None, self)
        if result is not None and result.ids:
            self._pending = result.ids[0]
            self.loaded.connect(self._open_pending)
        return result

    def _open_pending(self) -> None:
        self.loaded.disconnect(self._open_pending)
        if self._pending is not None:
            self.open_record(self._pending)
            self._pending = None

    def edit_requirements(self) -> None:
        from federation_desk.ui.dialogs.staff_requirements import RequirementsDialog

        RequirementsDialog.ask(self.ctx, self)

    def import_file(self) -> Any:
        from federation_desk.ui.dialogs.import_staff import ImportDialog

        return ImportDialog.ask(self.ctx, self)
