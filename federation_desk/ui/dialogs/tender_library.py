"""Choosing a library answer to insert (search by words and tags; answers past their review date are flagged), an
answer's revisions (to restore one), and the bid pack's pre-flight check with a link to fix each blocker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from federation_desk.domain.tenders import CountRule
from federation_desk.services.bid_pack import Preflight, Problem
from federation_desk.services.dates import format_date, format_instant
from federation_desk.services.tenders import LibraryRow, RevisionRow, search_library
from federation_desk.ui import theme
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.models.tender_board import library_columns
from federation_desk.ui.widgets.common import SearchBox, plain_label
from federation_desk.ui.widgets.table import DataTable


class InsertFromLibraryDialog(QDialog):
    """Find a library answer by words and tags and insert it. ``chosen`` holds the answer picked."""

    def __init__(self, rows: list[LibraryRow], today: date, rule: CountRule, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Insert from the library")
        self.resize(980, 620)
        self.rows, self.today, self.rule = rows, today, rule
        self.chosen: LibraryRow | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.search = SearchBox("Words to find (title, text or tags)", "Search the library")
        bar.addWidget(self.search, 2)
        bar.addWidget(plain_label("Tag", "Muted", wrap=False))
        self.tag = QComboBox()
        self.tag.setAccessibleName("Tag")
        self.tag.addItem("Any tag", None)
        for tag in sorted({t for r in rows for t in r.tags}):
            self.tag.addItem(tag, tag)
        bar.addWidget(self.tag, 1)
        self.count = plain_label("", "Muted", wrap=False)
        bar.addWidget(self.count)
        layout.addLayout(bar)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.model: RowTableModel[LibraryRow] = RowTableModel(library_columns(today)[:5], self)
        self.table = DataTable(self.model, "tender-library-insert", "Library answers")
        splitter.addWidget(self.table)
        right = QWidget()
        rlayout = QVBoxLayout(right)
        rlayout.setContentsMargins(6, 0, 0, 0)
        self.review_note = plain_label("", "FieldError")
        rlayout.addWidget(self.review_note)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("Preview")
        rlayout.addWidget(self.preview, 1)
        splitter.addWidget(right)
        splitter.setSizes([520, 420])
        layout.addWidget(splitter, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.insert_button = self.buttons.addButton("Insert", QDialogButtonBox.ButtonRole.AcceptRole)
        self.insert_button.setProperty("primary", True)
        self.insert_button.setEnabled(False)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.search.textChanged.connect(self._filter)
        self.tag.currentIndexChanged.connect(self._filter)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.table.row_activated.connect(lambda _row: self._accept())
        self._filter()

    def _filter(self, *_args: Any) -> None:
        tag = self.tag.currentData()
        found = search_library(self.rows, self.search.text(), [tag] if tag else [])
        self.model.set_rows(found)
        past = sum(1 for r in found if r.past_review(self.today))
        self.count.setText(f"{len(found)} of {len(self.rows)}" + (f", {past} past review" if past else ""))
        if found:
            self.table.selectRow(0)
        else:
            self._selected()

    def _selected(self, *_args: Any) -> None:
        row = self.table.selected_row()
        self.insert_button.setEnabled(row is not None)
        if row is None:
            self.preview.setPlainText("")
            self.review_note.setText("")
            return
        self.preview.setPlainText(row.body)
        if row.past_review(self.today):
            self.review_note.setText(
                f"Past its review date ({row.review_text(self.today).lower()}): check it is still true before "
                "you submit it."
            )
        else:
            self.review_note.setText("")

    def _accept(self) -> None:
        self.chosen = self.table.selected_row()
        if self.chosen is not None:
            self.accept()

    @classmethod
    def ask(cls, rows: list[LibraryRow], today: date, rule: CountRule, parent: QWidget | None) -> LibraryRow | None:
        dialog = cls(rows, today, rule, parent)
        return dialog.chosen if dialog.exec() == QDialog.DialogCode.Accepted else None


REVISION_COLUMNS: list[Column[RevisionRow]] = [
    Column("Revision", lambda r: str(r.revision), sort_key=lambda r: r.revision, align=RIGHT, width=7),
    Column("Saved", lambda r: format_instant(r.saved_at), sort_key=lambda r: r.saved_at, width=16),
    Column("By", lambda r: r.saved_by, width=16),
    Column("Count", lambda r: f"{r.count:,}", sort_key=lambda r: r.count, align=RIGHT, width=7),
    Column("Note", lambda r: r.note or "", width=16),
]


class RevisionsDialog(QDialog):
    """An answer's saved revisions, newest first; ``chosen`` is the revision to restore."""

    def __init__(self, rows: list[RevisionRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Answer revisions")
        self.resize(900, 560)
        self.chosen: RevisionRow | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(f"{len(rows)} saved revisions. Restoring one puts its text in the editor.", "Muted")
        )
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.model: RowTableModel[RevisionRow] = RowTableModel(REVISION_COLUMNS, self)
        self.model.set_rows(rows)
        self.table = DataTable(self.model, "tender-revisions", "Revisions")
        self.table.setSortingEnabled(False)
        splitter.addWidget(self.table)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("Revision text")
        splitter.addWidget(self.preview)
        layout.addWidget(splitter, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.restore_button = buttons.addButton("Restore this text", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        if rows:
            self.table.selectRow(0)

    def _selected(self, *_args: Any) -> None:
        row = self.table.selected_row()
        self.restore_button.setEnabled(row is not None)
        self.preview.setPlainText(row.text if row else "")

    def _accept(self) -> None:
        self.chosen = self.table.selected_row()
        self.accept()


class PreflightDialog(QDialog):
    """The pre-flight result: every blocker first, each with a "Go to" link, then warnings. Build only when clear."""

    def __init__(self, check: Preflight, go_to: Callable[[Problem], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.go_to = go_to
        self.setWindowTitle(f"Bid pack pre-flight check: {check.reference}")
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        c = theme.current()
        if check.ok:
            headline = f"Ready to build. Submission date {format_date(check.submission_date)}." + (
                f" {len(check.warnings)} things to check first." if check.warnings else ""
            )
        else:
            count = len(check.blockers)
            headline = f"{count} problem{'s' if count != 1 else ''} must be fixed before the bid pack can be built."
        self.headline = plain_label(headline, "CardHeadline")
        layout.addWidget(self.headline)
        self.list = QListWidget()
        self.list.setAccessibleName("Pre-flight problems")
        self.list.setWordWrap(True)
        for problem in check.blockers:
            item = QListWidgetItem(icon("danger"), problem.message)
            item.setData(Qt.ItemDataRole.UserRole, problem)
            item.setForeground(QColor(c.danger))
            self.list.addItem(item)
        for problem in check.warnings:
            item = QListWidgetItem(icon("warning"), problem.message)
            item.setData(Qt.ItemDataRole.UserRole, problem)
            self.list.addItem(item)
        if not check.blockers and not check.warnings:
            self.list.addItem(
                QListWidgetItem(
                    icon("good"),
                    "Every question is answered within its limit and all the evidence is valid on the submission date.",
                )
            )
        layout.addWidget(self.list, 1)
        layout.addWidget(
            plain_label("Double-click a problem (or choose it and press Go to) to open where to fix it.", "Muted")
        )
        buttons = QHBoxLayout()
        self.go_button = QPushButton(icon("open"), "Go to")
        self.go_button.setAccessibleName("Go to where this problem is fixed")
        buttons.addWidget(self.go_button)
        buttons.addStretch(1)
        self.build_button = QPushButton(icon("print"), "Build the bid pack")
        self.build_button.setProperty("primary", True)
        self.build_button.setEnabled(check.ok)
        close = QPushButton("Close")
        buttons.addWidget(self.build_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.go_button.clicked.connect(self._go)
        self.list.itemActivated.connect(lambda _item: self._go())
        self.build_button.clicked.connect(self.accept)
        close.clicked.connect(self.reject)
        self.list.setCurrentRow(0)

    def _go(self) -> None:
        item = self.list.currentItem()
        problem = item.data(Qt.ItemDataRole.UserRole) if item else None
        if isinstance(problem, Problem):
            self.reject()
            self.go_to(problem)
