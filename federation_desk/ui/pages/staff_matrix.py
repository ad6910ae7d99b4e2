"""The training matrix: staff down, subjects across, each cell coloured by status with its dates on hover.
Filter by practice and role (the query), search by name (in memory); export what is shown to Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from federation_desk.services import compliance as comp
from federation_desk.services import staff as st
from federation_desk.services.compliance import ItemStatus
from federation_desk.services.dates import format_date, today
from federation_desk.ui.icons import icon
from federation_desk.ui.models.staff import MatrixModel, status_background
from federation_desk.ui.widgets.common import SearchBox, plain_label

FEDERATION = -1


def legend() -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for status, text in (
        (ItemStatus.VALID, "In date"),
        (ItemStatus.EXPIRING, "Expires within 30 days (the training lead time)"),
        (ItemStatus.EXPIRED, "Expired"),
        (ItemStatus.MISSING, "Missing"),
    ):
        chip = QFrame()
        chip.setFixedSize(14, 14)
        colour = status_background(status)
        chip.setStyleSheet(f"background: {colour.name() if colour else 'transparent'}; border: 1px solid #999;")
        row.addWidget(chip)
        row.addWidget(plain_label(text, "Muted", wrap=False))
        row.addSpacing(10)
    row.addWidget(
        plain_label(
            "Cells show the expiry month; blank: not required. Hover a cell for its dates.", "Muted", wrap=False
        )
    )
    row.addStretch(1)
    return box


class MatrixTab(QWidget):
    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.stale = True
        self.load_job: Any = None
        self.matrix: comp.TrainingMatrix | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        bar = QHBoxLayout()
        self.search = SearchBox("Search by name", "Search the matrix")
        bar.addWidget(self.search, 2)
        self.practice = QComboBox()
        self.practice.setAccessibleName("Matrix practice")
        self.role = QComboBox()
        self.role.setAccessibleName("Matrix role")
        for combo, first in ((self.practice, "All practices"), (self.role, "All roles")):
            combo.addItem(first, None)
            combo.setMinimumWidth(170)
            bar.addWidget(combo, 1)
        self.export_button = QPushButton(icon("export"), "Export to Excel ...")
        self.export_button.setAccessibleName("Export the training matrix to Excel")
        bar.addWidget(self.export_button)
        layout.addLayout(bar)
        info = QHBoxLayout()
        self.summary = plain_label("", "Muted", wrap=False)
        self.summary.setAccessibleName("Matrix summary")
        info.addWidget(self.summary)
        info.addStretch(1)
        layout.addLayout(info)
        layout.addWidget(legend())
        self.model = MatrixModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName("Training matrix")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.setSortingEnabled(True)
        self.view.setShowGrid(True)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # automatic heights cost seconds on big lists
        vertical.setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)  # by family name
        layout.addWidget(self.view, 1)
        self.search.textChanged.connect(self._filter)
        self.practice.currentIndexChanged.connect(self.load)
        self.role.currentIndexChanged.connect(self.load)
        self.export_button.clicked.connect(self.export_dialog)

    def set_options(self, options: st.StaffOptions) -> None:
        for combo, items in (
            (
                self.practice,
                [("Federation (employed centrally)", FEDERATION)] + [(p.label, p.id) for p in options.practices],
            ),
            (self.role, [(r.label, r.id) for r in options.roles]),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for label, value in items:
                combo.addItem(label, value)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)

    def _query(self) -> tuple[int | None, int | None, bool]:
        practice = self.practice.currentData()
        return (None if practice == FEDERATION else practice), self.role.currentData(), practice == FEDERATION

    def load(self, *_args: Any) -> None:
        self.stale = False
        practice, role, central = self._query()
        self.summary.setText("Loading ...")
        self.load_job = self.ctx.ops.run_query(
            comp.training_matrix,
            today(),
            practice,
            role,
            None,
            central,
            on_done=self._show,
            parent=self,
            key="staff-matrix",
        )

    def _show(self, matrix: comp.TrainingMatrix) -> None:
        self.matrix = matrix
        self.model.set_matrix(matrix)
        self._filter()
        widths = (180, 140, 160, 62)
        for i, w in enumerate(widths):
            self.view.setColumnWidth(i, w)
        char = self.view.fontMetrics().averageCharWidth()
        for i, subject in enumerate(matrix.subjects):
            self.view.setColumnWidth(len(widths) + i, max(64, min(14, len(subject.short_name)) * char + 18))

    def _filter(self, *_args: Any) -> None:
        words = self.search.text().casefold().split()
        self.model.set_filter((lambda r: all(w in r.name.casefold() for w in words)) if words else None)
        rows = self.model.visible_rows
        if self.matrix is None:
            return
        ok = sum(1 for r in rows if r.in_date == r.required)
        cells = sum(r.required for r in rows)
        in_date = sum(r.in_date for r in rows)
        pct = 100.0 * in_date / cells if cells else 100.0
        self.summary.setText(
            f"{len(rows):,} people on {format_date(self.matrix.on)}: {ok:,} with all training in date; "
            f"{in_date:,} of {cells:,} required items in date ({pct:.0f}%)"
        )

    def cell_at(self, row: int, column: int) -> comp.MatrixCell | None:
        return self.model.cell(row, column)

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the training matrix", str(Path.home() / "training-matrix.xlsx"), "Excel workbook (*.xlsx)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Any:
        practice, role, central = self._query()
        self.export_job = self.ctx.ops.run_query(
            st.export_matrix,
            path,
            today(),
            practice,
            role,
            central,
            label="Exporting the training matrix ...",
            parent=self,
        )
        return self.export_job
