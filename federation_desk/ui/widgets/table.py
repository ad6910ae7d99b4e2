"""A QTableView set up the house way: fixed row heights (automatic heights cost seconds on big lists), sortable
headers whose state is remembered, whole-row selection, Enter or double-click to open."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from federation_desk.ui import settings
from federation_desk.ui.models.table_model import RowTableModel


class DataTable(QTableView):
    row_activated = Signal(object)  # the row object

    def __init__(
        self, model: RowTableModel[Any], state_key: str, accessible_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setModel(model)
        self._state_key = f"tables/{state_key}"
        self.setAccessibleName(accessible_name)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setSortingEnabled(True)
        self.setTabKeyNavigation(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        char = self.fontMetrics().averageCharWidth()
        bold = QFont(self.font())
        bold.setBold(True)
        header_metrics = QFontMetrics(bold)
        for i, col in enumerate(model.columns):
            if col.width:
                self.setColumnWidth(i, max(col.width * char + 16, header_metrics.horizontalAdvance(col.title) + 30))
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self._restore_state()
        header.sectionResized.connect(self._save_state)
        header.sortIndicatorChanged.connect(self._save_state)
        self.doubleClicked.connect(self._activate)

    @property
    def row_model(self) -> RowTableModel[Any]:
        model = self.model()
        assert isinstance(model, RowTableModel)
        return model

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._activate(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _activate(self, index: QModelIndex) -> None:
        if index.isValid():
            self.row_activated.emit(self.row_model.row_at(index))

    def selected_row(self) -> Any | None:
        rows = self.selectionModel().selectedRows()
        if not rows:
            return None
        return self.row_model.row_at(rows[0])

    def select_where(self, predicate: Any) -> bool:
        row = self.row_model.find_row(predicate)
        if row < 0:
            return False
        self.selectRow(row)
        self.scrollTo(self.row_model.index(row, 0))
        return True

    def _save_state(self, *_args: Any) -> None:
        settings.store().setValue(self._state_key, self.horizontalHeader().saveState())

    def _restore_state(self) -> None:
        state = settings.store().value(self._state_key)
        if isinstance(state, QByteArray | bytes) and state:
            self.horizontalHeader().restoreState(QByteArray(state))
