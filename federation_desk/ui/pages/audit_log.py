"""The federation-wide audit log: who changed what, when, from what to what. Filterable, sortable, exportable.

Shown to federation administrators and managers; exporting is for administrators. The list is windowed
(``ui/models/audit_log_model.py``): 100,000 entries open, scroll and sort without the window ever waiting.
"This record's history" narrows the log to every change of the selected entry's record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from federation_desk.errors import ValidationError
from federation_desk.services import audit_log as log
from federation_desk.services.access import Capability, access_for
from federation_desk.ui.icons import icon
from federation_desk.ui.models.audit_log_model import COLUMNS, ROW_ROLE, AuditLogModel
from federation_desk.ui.pages.base import Page
from federation_desk.ui.widgets.common import PageHeader, SearchBox, plain_label
from federation_desk.ui.widgets.forms import DateField

ACTION_CHOICES = [("Any action", None)] + [(label.capitalize(), key) for key, label in log.ACTIONS.items()]


class AuditLogPage(Page):
    key = "audit"
    title = "Audit log"
    icon_name = "history"
    kinds = frozenset({"*"})
    loaded = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.header = PageHeader("Audit log", "Every change to the federation's records: who, when, before and after")
        self.layout_.addWidget(self.header)

        row = QHBoxLayout()
        self.search = SearchBox("Search who, field, before and after", "Search the audit log")
        row.addWidget(self.search, 2)
        self.actor = QComboBox()
        self.actor.setAccessibleName("Who")
        self.actor.setMinimumWidth(180)
        row.addWidget(self.actor, 1)
        self.table_choice = QComboBox()
        self.table_choice.setAccessibleName("Record type")
        self.table_choice.setMinimumWidth(180)
        row.addWidget(self.table_choice, 1)
        self.action = QComboBox()
        self.action.setAccessibleName("Action")
        for label, value in ACTION_CHOICES:
            self.action.addItem(label, value)
        row.addWidget(self.action)
        self.layout_.addLayout(row)

        row2 = QHBoxLayout()
        row2.addWidget(QLabel("From"))
        self.since = DateField()
        self.since.setAccessibleName("From date")
        self.since.setMaximumWidth(120)
        row2.addWidget(self.since)
        row2.addWidget(QLabel("to"))
        self.until = DateField()
        self.until.setAccessibleName("To date")
        self.until.setMaximumWidth(120)
        row2.addWidget(self.until)
        self.clear_button = QPushButton("Clear filters")
        row2.addWidget(self.clear_button)
        self.record_note = plain_label("", "Muted")
        row2.addWidget(self.record_note)
        row2.addStretch(1)
        self.count = plain_label("", "Muted")
        self.count.setAccessibleName("Number of entries")
        row2.addWidget(self.count)
        self.history_button = QPushButton(icon("history"), "This record's history")
        self.history_button.setToolTip("Show every change to the record of the selected entry")
        self.history_button.setEnabled(False)
        row2.addWidget(self.history_button)
        self.export_button = QPushButton(icon("export"), "Export ...")
        self.export_button.setToolTip("Write the entries shown (all of them, not just this screen) to Excel or CSV")
        row2.addWidget(self.export_button)
        self.layout_.addLayout(row2)
        self.problem = plain_label("", "FormErrors")
        self.problem.setVisible(False)
        self.layout_.addWidget(self.problem)

        self.model = AuditLogModel(ctx.ops, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Audit entries")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.table.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        metrics = self.table.fontMetrics()
        char = metrics.averageCharWidth()
        for i, (title, _key, _text, width) in enumerate(COLUMNS):
            self.table.setColumnWidth(i, max(width * char + 16, metrics.horizontalAdvance(title) + 40))
        self.table.setColumnWidth(0, metrics.horizontalAdvance("00/00/0000 00:00") + 24)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._sort_changed)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(plain_label("Double-click an entry to see the whole history of its record.", "Muted"))

        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(300)
        self._text_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._text_timer.start())
        for combo in (self.actor, self.table_choice, self.action):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.since.editingFinished.connect(self.apply_filter)
        self.until.editingFinished.connect(self.apply_filter)
        self.clear_button.clicked.connect(self.clear_filters)
        self.export_button.clicked.connect(self.export)
        self.history_button.clicked.connect(self.show_record_history)
        self.table.doubleClicked.connect(lambda _index: self.show_record_history())
        self.model.loaded.connect(self._loaded)
        self.model.modelReset.connect(lambda: self.history_button.setEnabled(False))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self._record: tuple[str, str] | None = None
        self.export_job: Any = None
        self.choices_job: Any = None
        self._filling = False

    # -- page -------------------------------------------------------------------------------------------------
    def reload(self) -> None:
        acc = access_for(self.ctx.database)
        self.export_button.setVisible(acc is None or acc.can(Capability.EXPORT_AUDIT_LOG))
        self.choices_job = self.ctx.ops.run_query(log.filter_choices, on_done=self._fill_choices, parent=self)
        self.apply_filter()

    def focus_search(self) -> bool:
        self.search.setFocus()
        self.search.selectAll()
        return True

    def _fill_choices(self, choices: log.FilterChoices) -> None:
        self._filling = True
        try:
            for combo, items, everyone in (
                (self.actor, [(a, a) for a in choices.actors], "Anyone"),
                (self.table_choice, [(label.capitalize(), t) for t, label in choices.tables], "Any kind of record"),
            ):
                current = combo.currentData()
                combo.clear()
                combo.addItem(everyone, None)
                for label, value in items:
                    combo.addItem(label, value)
                combo.setCurrentIndex(max(0, combo.findData(current)))
        finally:
            self._filling = False

    def current_filter(self) -> log.AuditFilter:
        since = self.since.date_value("since", "From")
        until = self.until.date_value("until", "To")
        table = self.table_choice.currentData()
        row_id = None
        if self._record is not None:
            table, row_id = self._record
        return log.AuditFilter(
            text=self.search.text(),
            actor=self.actor.currentData(),
            table_name=table,
            action=self.action.currentData(),
            since=since,
            until=until,
            row_id=row_id,
        )

    def apply_filter(self) -> None:
        if self._filling or self.ctx.database is None:
            return
        try:
            f = self.current_filter()
            log._conditions(f)  # validates the dates (no query)
        except ValidationError as exc:
            self.problem.setText(exc.message)
            self.problem.setVisible(True)
            return
        self.problem.setVisible(False)
        self.count.setText("Counting ...")
        self.model.refresh(f)

    def clear_filters(self) -> None:
        self._filling = True
        try:
            self.search.clear()
            for combo in (self.actor, self.table_choice, self.action):
                combo.setCurrentIndex(0)
            self.since.clear()
            self.until.clear()
            self._record = None
            self.record_note.setText("")
        finally:
            self._filling = False
        self.apply_filter()

    def _loaded(self) -> None:
        total = self.model.total
        self.count.setText(f"{total:,} entr{'y' if total == 1 else 'ies'}" + ("" if total else " match"))
        self.loaded.emit()

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if not self.model.sortable(column):
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            index = next(i for i, c in enumerate(COLUMNS) if c[1] == self.model.sort_key)
            header.setSortIndicator(
                index, Qt.SortOrder.DescendingOrder if self.model.descending else Qt.SortOrder.AscendingOrder
            )
            header.blockSignals(False)
            return
        self.count.setText("Sorting ...")
        self.model.sort(column, order)

    def _selection_changed(self, *_args: Any) -> None:
        self.history_button.setEnabled(self.selected_entry() is not None)

    def selected_entry(self) -> log.AuditLogRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.data(rows[0], ROW_ROLE)  # type: ignore[no-any-return]

    def show_record_history(self) -> None:
        entry = self.selected_entry()
        if entry is None or not entry.row_id:
            return
        self._record = (entry.table_name, entry.row_id)
        self.record_note.setText(f"Showing the history of {entry.what} #{entry.row_id}.")
        self.apply_filter()

    # -- export -----------------------------------------------------------------------------------------------
    def export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export the audit log",
            str(Path.home() / "audit-log.xlsx"),
            "Excel workbook (*.xlsx);;CSV file (*.csv)",
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        try:
            f = self.current_filter()
        except ValidationError as exc:
            self.problem.setText(exc.message)
            self.problem.setVisible(True)
            return
        self.export_button.setEnabled(False)
        self.export_job = self.ctx.ops.run_job(
            log.export_audit_log,
            f,
            path,
            on_done=self._exported,
            on_error=self._export_failed,
            label="Exporting the audit log ...",
            parent=self,
        )

    def _exported(self, path: Path) -> None:
        self.export_button.setEnabled(True)
        self.window().statusBar().showMessage(f"Audit log exported to {path}", 8000)

    def _export_failed(self, exc: BaseException) -> None:
        from federation_desk.ui import errors

        self.export_button.setEnabled(True)
        errors.show_error(self, exc)
