"""The Tenders page: the pipeline board (drag a card to change its status), the list, the answer library and the
library answers past their review date; a tender's own page (``tender_view.TenderView``) opens from any of them.
Import a notice from Find a Tender or Contracts Finder (OCDS JSON); keep the extra non-working days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from federation_desk.domain.tenders import TenderStatus
from federation_desk.services import procurement_calendar as pc
from federation_desk.services import tenders as ts
from federation_desk.services.dates import today
from federation_desk.ui.dialogs.tender import LibraryAnswerDialog, NonWorkingDayDialog, TenderDialog
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import Column, RowTableModel
from federation_desk.ui.models.tender_board import TENDER_COLUMNS, library_columns
from federation_desk.ui.pages.base import Page
from federation_desk.ui.pages.tender_view import TenderView
from federation_desk.ui.widgets.common import Notice, PageHeader, SearchBox, plain_label
from federation_desk.ui.widgets.pipeline_board import PipelineBoard
from federation_desk.ui.widgets.table import DataTable


@dataclass(frozen=True)
class TendersData:
    tenders: list[ts.TenderRow]
    library: list[ts.LibraryRow]
    buyers: list[ts.BuyerRow]
    processes: list[ts.ProcessRow]
    today: date
    next_reference: str


def load_tenders_page(session: Any, progress: Any = None) -> TendersData:
    day = today()
    return TendersData(
        ts.list_tenders(session, day),
        ts.list_library(session),
        ts.list_buyers(session),
        ts.list_processes(session),
        day,
        ts.next_reference(session, day),
    )


def _search_text(row: ts.TenderRow) -> str:
    return f"{row.reference} {row.title} {row.buyer_name or ''} {row.owner or ''} {row.status.label}".casefold()


class LibraryTab(QWidget):
    """The content library (or only the answers past their review date)."""

    def __init__(self, past_only: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.past_only = past_only
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.search = SearchBox("Search answers by words or tags", "Search the library")
        bar.addWidget(self.search)
        self.count = plain_label("", "Muted", wrap=False)
        bar.addWidget(self.count, 1)
        self.add_button = QPushButton(icon("add"), "Add answer")
        self.edit_button = QPushButton(icon("edit"), "Edit")
        self.reviewed_button = QPushButton(icon("good"), "Mark reviewed today")
        self.delete_button = QPushButton(icon("danger"), "Delete")
        for button in (self.add_button, self.edit_button, self.reviewed_button, self.delete_button):
            bar.addWidget(button)
        self.add_button.setVisible(not past_only)
        layout.addLayout(bar)
        note = (
            "Library answers whose review date has passed (or that were never reviewed). Check each is still true, "
            "edit it if not, and mark it reviewed."
            if past_only
            else "Reusable answers. Insert them from a question's answer editor; save good answers back from there."
        )
        layout.addWidget(plain_label(note, "Muted"))
        self.model: RowTableModel[ts.LibraryRow] = RowTableModel(library_columns(today()), self)
        self.table = DataTable(self.model, "tender-library-past" if past_only else "tender-library", "Library answers")
        layout.addWidget(self.table, 1)
        self.rows: list[ts.LibraryRow] = []
        self.search.textChanged.connect(self._filter)

    def set_rows(self, rows: list[ts.LibraryRow], day: date) -> None:
        self.model.columns = library_columns(day)
        self.rows = [r for r in rows if r.past_review(day)] if self.past_only else rows
        self._filter()

    def _filter(self, *_args: Any) -> None:
        found = ts.search_library(self.rows, self.search.text()) if self.search.text().strip() else self.rows
        self.model.set_rows(found)
        total = len(self.rows)
        noun = "answer" + ("s" if total != 1 else "")
        self.count.setText(f"{len(found)} of {total}" if len(found) != total else f"{total} {noun}")


class NonWorkingDaysDialog(QDialog):
    """The extra non-working days the procurement calendar leaves out (besides weekends and bank holidays)."""

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Extra non-working days")
        self.resize(560, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "Weekends and bank holidays (from the maintained holidays library) are never working days. Add any "
                "other day the procurement calendar should skip, such as a newly proclaimed bank holiday.",
                "Muted",
            )
        )
        self.model: RowTableModel[pc.NonWorkingDayRow] = RowTableModel(
            [
                Column("Date", lambda r: pc.long_date(r.day), sort_key=lambda r: r.day, width=20),
                Column("Reason", lambda r: r.reason, width=36),
            ],
            self,
        )
        self.table = DataTable(self.model, "non-working-days", "Extra non-working days")
        layout.addWidget(self.table, 1)
        bar = QHBoxLayout()
        add, edit, delete = (
            QPushButton(icon("add"), "Add"),
            QPushButton(icon("edit"), "Edit"),
            QPushButton(icon("danger"), "Delete"),
        )
        for b in (add, edit, delete):
            bar.addWidget(b)
        bar.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        bar.addWidget(close)
        layout.addLayout(bar)
        add.clicked.connect(lambda: self._edit(None))
        edit.clicked.connect(lambda: self._edit(self.table.selected_row()))
        self.table.row_activated.connect(self._edit)
        delete.clicked.connect(self._delete)
        self.reload()

    def reload(self) -> None:
        self.ctx.ops.run_query(pc.list_non_working_days, on_done=self.model.set_rows, parent=self)

    def _edit(self, row: pc.NonWorkingDayRow | None) -> None:
        if NonWorkingDayDialog(self.ctx.ops, row, self).exec():
            self.reload()

    def _delete(self) -> None:
        row = self.table.selected_row()
        if row is not None:
            self.ctx.ops.run_write(
                pc.delete_non_working_day, row.id, row.version, on_done=lambda _c: self.reload(), parent=self
            )


class TendersPage(Page):
    key = "tenders"
    title = "Tenders"
    icon_name = "tenders"
    kinds = frozenset({"tender", "library", "buyer", "calendar", "document"})
    loaded = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.setProperty("change_needs", "federation")  # tenders and the answer library are federation records
        self.stack = QStackedWidget()
        self.layout_.addWidget(self.stack, 1)
        self.home = QWidget()
        layout = QVBoxLayout(self.home)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.header = PageHeader("Tenders", "Procurement opportunities, answers and bid packs")
        top.addWidget(self.header, 1)
        self.new_button = QPushButton(icon("new"), "New tender")
        self.new_button.setAccessibleName("Add a tender")
        self.import_button = QPushButton(icon("open"), "Import notice ...")
        self.import_button.setAccessibleName("Import a notice from an OCDS file")
        self.import_button.setToolTip(
            "Create or update a tender from a Find a Tender or Contracts Finder notice saved as OCDS JSON"
        )
        self.days_button = QPushButton(icon("settings"), "Non-working days ...")
        self.days_button.setProperty("needs", "federation")  # it edits the federation's calendar
        self.open_button = QPushButton(icon("open"), "Open")
        self.open_button.setAccessibleName("Open the selected tender")
        for button in (self.new_button, self.import_button, self.days_button, self.open_button):
            top.addWidget(button)
        layout.addLayout(top)
        bar = QHBoxLayout()
        self.search = SearchBox("Search tenders", "Search tenders")
        bar.addWidget(self.search)
        self.show_closed = QCheckBox("Show closed")
        self.show_closed.setChecked(False)
        self.show_closed.setToolTip("Show awarded, lost and withdrawn tenders")
        bar.addWidget(self.show_closed)
        self.count = plain_label("", "Muted", wrap=False)
        bar.addWidget(self.count, 1)
        layout.addLayout(bar)
        self.notice = Notice("")
        self.notice.setVisible(False)
        layout.addWidget(self.notice)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Tender views")
        self.board = PipelineBoard()
        self.list_model: RowTableModel[ts.TenderRow] = RowTableModel(TENDER_COLUMNS, self)
        self.list_table = DataTable(self.list_model, "tenders", "Tenders")
        self.library = LibraryTab(False)
        self.past_review = LibraryTab(True)
        self.tabs.addTab(self.board, icon("tenders"), "Pipeline")
        self.tabs.addTab(self.list_table, icon("reports"), "List")
        self.tabs.addTab(self.library, icon("edit"), "Answer library")
        self.tabs.addTab(self.past_review, icon("warning"), "Past review")
        layout.addWidget(self.tabs, 1)
        self.stack.addWidget(self.home)
        self.view = TenderView(ctx, self)
        self.stack.addWidget(self.view)
        self.data: TendersData | None = None

        self.view.back_requested.connect(self.show_home)
        self.view.deleted.connect(self._tender_deleted)
        self.new_button.clicked.connect(self.new_tender)
        self.import_button.clicked.connect(self.import_notice)
        self.days_button.clicked.connect(lambda: NonWorkingDaysDialog(self.ctx, self).exec())
        self.open_button.clicked.connect(self._open_selected)
        self.board.open_requested.connect(self.open_tender)
        self.board.status_change_requested.connect(self.change_status)
        self.list_table.row_activated.connect(self.open_tender)
        self.search.textChanged.connect(self._filter)
        self.show_closed.toggled.connect(self._filter)
        for tab in (self.library, self.past_review):
            tab.add_button.clicked.connect(lambda: self.edit_library(None))
            tab.edit_button.clicked.connect(lambda _c=False, t=tab: self.edit_library(t.table.selected_row()))
            tab.table.row_activated.connect(self.edit_library)
            tab.reviewed_button.clicked.connect(lambda _c=False, t=tab: self.mark_reviewed(t.table.selected_row()))
            tab.delete_button.clicked.connect(lambda _c=False, t=tab: self.delete_library(t.table.selected_row()))

    # -- loading --------------------------------------------------------------------------------------------------
    def focus_search(self) -> bool:
        if self.stack.currentWidget() is self.home:
            self.search.setFocus()
            self.search.selectAll()
            return True
        return False

    def reload(self) -> None:
        self.count.setText("Loading ...")
        self.load_job = self.ctx.ops.run_query(load_tenders_page, on_done=self._show, parent=self, key="tenders")
        if self.stack.currentWidget() is self.view:
            self.view.reload()

    def _show(self, data: TendersData) -> None:
        self.data = data
        self._filter()
        self.library.set_rows(data.library, data.today)
        self.past_review.set_rows(data.library, data.today)
        past = len(self.past_review.rows)
        self.tabs.setTabText(3, f"Past review ({past})" if past else "Past review")
        open_rows = [r for r in data.tenders if not r.status.is_closed]
        soon = [
            r
            for r in open_rows
            if r.submission_deadline
            and 0 <= (r.submission_deadline - data.today).days <= 14
            and r.status is not TenderStatus.SUBMITTED
        ]
        self.header.set_subtitle(
            f"{len(open_rows)} open tenders; {len(soon)} submission deadline{'s' if len(soon) != 1 else ''} in the "
            f"next 14 days; {len(data.library)} library answers"
        )
        if not data.tenders:
            self.notice.label.setText(
                "No tenders yet. Add one (New tender) or import a notice saved from Find a Tender or Contracts "
                "Finder as OCDS JSON (Import notice)."
            )
            self.notice.setVisible(True)
        elif self.notice.label.text().startswith("No tenders yet"):
            self.notice.setVisible(False)
        self.loaded.emit()

    def _filter(self, *_args: Any) -> None:
        if self.data is None:
            return
        words = self.search.text().casefold().split()
        rows = [
            r
            for r in self.data.tenders
            if all(w in _search_text(r) for w in words) and (self.show_closed.isChecked() or not r.status.is_closed)
        ]
        self.board.set_rows(rows, self.data.today, self.show_closed.isChecked())
        self.list_model.set_rows(rows)
        total = len(self.data.tenders)
        self.count.setText(f"{len(rows)} of {total} tenders" if len(rows) != total else f"{total} tenders")

    # -- navigation -----------------------------------------------------------------------------------------------
    def navigate_to(self, target: object) -> None:
        """``bus().navigate.emit("tenders", tender_id)`` opens a tender; "library" or "past-review" a tab."""
        if isinstance(target, int):
            self.open_tender_id(target)
        elif target in ("library", "past-review", "list", "pipeline"):
            self.show_home()
            self.tabs.setCurrentIndex(("pipeline", "list", "library", "past-review").index(str(target)))

    def open_tender(self, row: ts.TenderRow | None) -> None:
        if row is not None:
            self.open_tender_id(row.id)

    def open_tender_id(self, tender_id: int, tab: str | None = None) -> None:
        self.stack.setCurrentWidget(self.view)
        self.view.show_tender(tender_id, tab)

    def show_home(self) -> None:
        self.stack.setCurrentWidget(self.home)

    def _tender_deleted(self, changes: Any) -> None:
        self.notice.label.setText(changes.message)
        self.notice.setVisible(True)

    def _open_selected(self) -> None:
        row = self.board.selected_row() if self.tabs.currentWidget() is self.board else self.list_table.selected_row()
        self.open_tender(row)

    # -- writing --------------------------------------------------------------------------------------------------
    def change_status(self, tender_id: int, version: int, status: TenderStatus) -> Any:
        self.status_job = self.ctx.ops.run_write(ts.change_status, tender_id, version, status, today(), parent=self)
        return self.status_job

    def new_tender(self) -> None:
        if self.data is None:
            return
        result = TenderDialog.ask(
            self.ctx.ops, self.data.buyers, self.data.processes, None, self.data.next_reference, self
        )
        if result is not None and result.ids:
            self.open_tender_id(result.ids[0], "overview")

    def import_notice(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a tender notice (OCDS JSON)", str(Path.home()), "OCDS notice (*.json);;All files (*)"
        )
        if path:
            self.import_path(Path(path))

    def import_path(self, path: Path) -> Any:
        from federation_desk.services.ocds import import_notice_file

        def job(session: Any, file_path: Path, day: date) -> tuple[Any, Any]:
            result = import_notice_file(session, file_path, day)
            return result, result.changes

        self.import_job = self.ctx.ops.run_write(
            job, path, today(), on_done=self._imported, parent=self, label="Importing the notice ..."
        )
        return self.import_job

    def _imported(self, done: tuple[Any, Any]) -> None:
        result = done[0]
        text = result.summary + ("\n" + "\n".join(result.warnings) if result.warnings else "")
        self.notice.label.setText(text)
        self.notice.setVisible(True)
        if len(result.imported) == 1:
            self.open_tender_id(result.imported[0].id, "overview")

    def edit_library(self, row: ts.LibraryRow | None) -> None:
        LibraryAnswerDialog(self.ctx.ops, row, self).exec()

    def mark_reviewed(self, row: ts.LibraryRow | None) -> None:
        if row is not None:
            self.ctx.ops.run_write(ts.mark_library_reviewed, row.id, row.version, today(), parent=self)

    def delete_library(self, row: ts.LibraryRow | None) -> None:
        if row is None:
            return
        answer = QMessageBox.question(
            self,
            "Delete library answer",
            f"Delete '{row.title}' from the library? Answers that used it keep their text.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.ctx.ops.run_write(ts.delete_library_answer, row.id, row.version, parent=self)
