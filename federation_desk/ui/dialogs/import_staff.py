"""Importing staff or training records: choose the file, map its columns (the last mapping is remembered), check
every row (a report with the reason for each problem), leave out any rows, and import the rest in one transaction.
Reading, checking and writing run on workers with progress and Cancel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from federation_desk.services import importing as im
from federation_desk.services.dates import today
from federation_desk.ui import settings
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import RIGHT, Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.table import DataTable

FILE_FILTER = "Staff or training files (*.csv *.txt *.xlsx *.xlsm);;All files (*)"


def _action_colour(row: im.RowResult) -> Any:
    from PySide6.QtGui import QColor

    from federation_desk.ui import theme

    c = theme.current()
    return {
        im.Action.ERROR: QColor(c.danger),
        im.Action.ADD: QColor(c.good),
        im.Action.UPDATE: QColor(c.accent),
    }.get(row.action)


class ImportDialog(QDialog):
    finished_import = Signal(object)  # ImportResult

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Import staff or training records")
        self.resize(1120, 700)
        self.table: im.RawTable | None = None
        self.subjects: im.SubjectKey | None = None
        self.preview: im.ImportPreview | None = None
        self.result: im.ImportResult | None = None
        self.excluded: set[int] = set()
        self.job: Any = None
        layout = QVBoxLayout(self)
        self.steps = QStackedWidget()
        layout.addWidget(self.steps, 1)
        self._build_choose()
        self._build_mapping()
        self._build_report()
        self._build_done()
        bar = QHBoxLayout()
        self.status = plain_label("", "Muted")
        bar.addWidget(self.status, 1)
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.next_button.setProperty("primary", True)
        self.next_button.setMinimumWidth(self.next_button.fontMetrics().horizontalAdvance("Import 10,000 rows") + 40)
        self.close_button = QPushButton("Cancel")
        for b in (self.back_button, self.next_button, self.close_button):
            bar.addWidget(b)
        layout.addLayout(bar)
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.close_button.clicked.connect(self.reject)
        self._update_buttons()

    # -- step 1: the file --------------------------------------------------------------------------------------
    def _build_choose(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(plain_label("What is in the file?", "CardTitle"))
        self.kind_group = QButtonGroup(self)
        self.staff_radio = QRadioButton("Staff records: names, roles, practices, dates, hours, registration numbers")
        self.training_radio = QRadioButton(
            "Training records: who, which course (or an ESR competence), when completed; or one column per course"
        )
        self.staff_radio.setChecked(True)
        for i, radio in enumerate((self.staff_radio, self.training_radio)):
            self.kind_group.addButton(radio, i)
            layout.addWidget(radio)
        layout.addSpacing(12)
        row = QHBoxLayout()
        self.choose_button = QPushButton(icon("open"), "Choose file ...")
        self.choose_button.setAccessibleName("Choose the file to import")
        self.choose_button.clicked.connect(self.choose_file)
        row.addWidget(self.choose_button)
        self.file_label = plain_label(
            "No file chosen. CSV (any encoding, comma or semicolon separated) or Excel .xlsx."
        )
        row.addWidget(self.file_label, 1)
        layout.addLayout(row)
        layout.addWidget(
            plain_label(
                "People are matched on their staff number, or else their professional registration number, so "
                "importing the same file again updates the same records and never adds anyone twice. Nothing is "
                "written until you have seen the check of every row and chosen Import.",
                "Muted",
            )
        )
        layout.addStretch(1)
        self.steps.addWidget(page)
        self.kind_group.idToggled.connect(lambda *_a: self._kind_changed())

    def kind(self) -> im.ImportKind:
        return im.ImportKind.TRAINING if self.training_radio.isChecked() else im.ImportKind.STAFF

    def _kind_changed(self) -> None:
        if self.table is not None:
            self._fill_mapping()

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import from", str(Path.home()), FILE_FILTER)
        if path:
            self.load_file(Path(path))

    def load_file(self, path: Path) -> Any:
        self.file_label.setText(f"Reading {path.name} ...")

        def read(session: Any, path: Path, progress: Any = None) -> tuple[im.RawTable, im.SubjectKey]:
            return im.read_table(path, progress), im.subject_key(session)

        self.job = self.ctx.ops.run_query(
            read, path, on_done=self._loaded, on_error=self._load_failed, label="Reading the file ...", parent=self
        )
        return self.job

    def _load_failed(self, exc: BaseException) -> None:
        from federation_desk.ui import errors

        self.table = None
        self.file_label.setText("No file chosen.")
        errors.show_error(self, exc)
        self._update_buttons()

    def _loaded(self, result: tuple[im.RawTable, im.SubjectKey]) -> None:
        self.table, self.subjects = result
        table = self.table
        notes = " ".join(table.notes)
        self.file_label.setText(
            f"{table.source}: {len(table.rows):,} rows, {len(table.headers)} columns. {notes}".strip()
        )
        self._fill_mapping()
        self._update_buttons()

    # -- step 2: the mapping -------------------------------------------------------------------------------------
    def _build_mapping(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(plain_label("Match the file's columns to fields", "CardTitle"))
        self.mapping_note = plain_label("", "Muted")
        layout.addWidget(self.mapping_note)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        host = QWidget()
        self.mapping_grid = QGridLayout(host)
        self.mapping_grid.setColumnStretch(1, 1)
        scroll.setWidget(host)
        layout.addWidget(scroll, 1)
        self.mapping_combos: list[QComboBox] = []
        self.steps.addWidget(page)

    def _remembered(self) -> dict[str, str]:
        raw = settings.store().value(f"import/mapping/{self.kind().value}", "")
        try:
            data = json.loads(raw) if raw else {}
        except (TypeError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _fill_mapping(self) -> None:
        assert self.table is not None
        while self.mapping_grid.count():
            item = self.mapping_grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.mapping_combos = []
        kind = self.kind()
        guessed = im.guess_mapping(self.table, kind, self._remembered(), self.subjects)
        choices: list[tuple[str, str]] = [("Do not import", im.IGNORE)] + [
            (f.label, f.key) for f in im.fields_for(kind)
        ]
        if kind is im.ImportKind.TRAINING and self.subjects is not None:
            for sid, name in sorted(self.subjects.labels.items(), key=lambda kv: kv[1]):
                levels = self.subjects.levels.get(sid, (1,))
                if len(levels) > 1:
                    choices += [
                        (f"Completion dates: {name} level {n}", f"{im.SUBJECT_PREFIX}{sid}:{n}") for n in levels
                    ]
                else:
                    choices.append((f"Completion dates: {name}", f"{im.SUBJECT_PREFIX}{sid}"))
        for j, text in enumerate(("Column in the file", "First values", "Import as")):
            self.mapping_grid.addWidget(plain_label(text, "CardTitle", wrap=False), 0, j)
        for i, header in enumerate(self.table.headers):
            self.mapping_grid.addWidget(plain_label(header, wrap=False), i + 1, 0)
            self.mapping_grid.addWidget(plain_label(", ".join(self.table.samples(i)), "Muted"), i + 1, 1)
            combo = QComboBox()
            combo.setAccessibleName(f"Import column {header} as")
            for label, key in choices:
                combo.addItem(label, key)
            found = combo.findData(guessed[i])
            combo.setCurrentIndex(max(0, found))
            combo.setMinimumWidth(300)
            self.mapping_grid.addWidget(combo, i + 1, 2)
            self.mapping_combos.append(combo)
        self.mapping_grid.setRowStretch(len(self.table.headers) + 1, 1)
        mapped = sum(1 for c in self.mapping_combos if c.currentData())
        self.mapping_note.setText(
            f"{mapped} of {len(self.mapping_combos)} columns matched automatically"
            + (" (using the mapping you chose last time)." if self._remembered() else ".")
            + " Change any that are wrong; columns set to 'Do not import' are ignored."
        )

    def mapping(self) -> list[str]:
        return [c.currentData() or im.IGNORE for c in self.mapping_combos]

    def set_mapping(self, header: str, key: str) -> None:
        assert self.table is not None
        combo = self.mapping_combos[self.table.headers.index(header)]
        combo.setCurrentIndex(combo.findData(key))

    # -- step 3: the check -------------------------------------------------------------------------------------
    def _build_report(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.report_summary = plain_label("", "CardHeadline")
        self.report_summary.setAccessibleName("Check summary")
        layout.addWidget(self.report_summary)
        self.report_notes = plain_label("", "Muted")
        layout.addWidget(self.report_notes)
        bar = QHBoxLayout()
        self.report_filter = QComboBox()
        self.report_filter.setAccessibleName("Show rows")
        for label, value in (
            ("All rows", None),
            ("Rows with problems", im.Action.ERROR),
            ("Rows to add", im.Action.ADD),
            ("Rows to update", im.Action.UPDATE),
            ("Rows already up to date", im.Action.UNCHANGED),
        ):
            self.report_filter.addItem(label, value)
        self.report_filter.currentIndexChanged.connect(self._filter_report)
        bar.addWidget(self.report_filter)
        bar.addStretch(1)
        self.leave_out_button = QPushButton("Leave out selected")
        self.leave_out_button.setAccessibleName("Leave the selected row out of the import")
        self.put_back_button = QPushButton("Put back selected")
        self.save_report_button = QPushButton(icon("export"), "Save the check as Excel ...")
        for b in (self.leave_out_button, self.put_back_button, self.save_report_button):
            bar.addWidget(b)
        layout.addLayout(bar)
        columns: list[Column[im.RowResult]] = [
            Column("Line", lambda r: str(r.line), sort_key=lambda r: r.line, align=RIGHT, width=4),
            Column("Import?", lambda r: self._include_text(r), width=7),
            Column("What happens", lambda r: r.action.label, foreground=_action_colour, width=10),
            Column("Who", lambda r: r.name, width=18),
            Column("Matched on", lambda r: r.key, width=20),
            Column("Details", lambda r: r.message, tooltip=lambda r: r.message, width=60),
        ]
        self.report_model: RowTableModel[im.RowResult] = RowTableModel(columns, self)
        self.report_table = DataTable(self.report_model, "import-report", "Import check")
        layout.addWidget(self.report_table, 1)
        self.row_detail = plain_label("Select a row to read its details in full.", "Muted")
        self.row_detail.setAccessibleName("The selected row in full")
        self.row_detail.setMinimumHeight(self.row_detail.fontMetrics().height() * 3)
        layout.addWidget(self.row_detail)
        self.report_table.selectionModel().selectionChanged.connect(self._show_row)
        self.leave_out_button.clicked.connect(lambda: self._toggle(True))
        self.put_back_button.clicked.connect(lambda: self._toggle(False))
        self.save_report_button.clicked.connect(self.save_report_dialog)
        self.steps.addWidget(page)

    def _show_row(self, *_args: Any) -> None:
        row = self.report_table.selected_row()
        if row is not None:
            who = f" ({row.name})" if row.name else ""
            self.row_detail.setText(f"Line {row.line}{who}: {row.action.label}. {row.message}")

    def _include_text(self, row: im.RowResult) -> str:
        if row.action in (im.Action.ERROR, im.Action.UNCHANGED):
            return "-"
        return "left out" if row.line in self.excluded else "yes"

    def _filter_report(self) -> None:
        wanted = self.report_filter.currentData()
        self.report_model.set_filter(None if wanted is None else (lambda r: r.action is wanted))

    def _toggle(self, leave_out: bool) -> None:
        row = self.report_table.selected_row()
        if row is None or row.action not in (im.Action.ADD, im.Action.UPDATE):
            return
        (self.excluded.add if leave_out else self.excluded.discard)(row.line)
        self.report_model.set_rows(self.report_model.all_rows)
        self.report_table.select_where(lambda r: r.line == row.line)
        self._update_buttons()

    def leave_out(self, line: int) -> None:
        self.excluded.add(line)
        self.report_model.set_rows(self.report_model.all_rows)
        self._update_buttons()

    def accepted_lines(self) -> set[int]:
        assert self.preview is not None
        return {r.line for r in self.preview.writable if r.line not in self.excluded}

    def check(self) -> Any:
        assert self.table is not None
        kind, mapping, table = self.kind(), self.mapping(), self.table
        settings.store().setValue(f"import/mapping/{kind.value}", json.dumps(im.mapping_to_remember(table, mapping)))
        self.excluded = set()
        self.job = self.ctx.ops.run_query(
            im.validate,
            table,
            kind,
            mapping,
            today(),
            on_done=self._checked,
            label="Checking every row ...",
            parent=self,
        )
        return self.job

    def _checked(self, preview: im.ImportPreview) -> None:
        self.preview = preview
        self.report_model.set_rows(list(preview.rows))
        self.report_summary.setText(preview.summary[:1].upper() + preview.summary[1:] + ".")
        problems = preview.count(im.Action.ERROR)
        self.report_notes.setText(
            " ".join(preview.notes)
            + (
                " Rows with problems are not imported: correct them in the file and import it again (rows already "
                "imported will then show as up to date)."
                if problems
                else ""
            )
        )
        self.report_filter.setCurrentIndex(1 if problems else 0)
        self.steps.setCurrentIndex(2)
        self._update_buttons()

    def save_report_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the check", str(Path.home() / "import-check.xlsx"), "Excel workbook (*.xlsx)"
        )
        if path:
            self.save_report(Path(path))

    def save_report(self, path: Path) -> Any:
        from federation_desk.services.excel import Sheet, SheetColumn, write_workbook

        assert self.preview is not None
        preview = self.preview
        columns = [
            SheetColumn("Line", lambda r: r.line),
            SheetColumn(
                "What happens",
                lambda r: r.action.label,
                fill=lambda r: "F6C9C4" if r.action is im.Action.ERROR else None,
            ),
            SheetColumn("Who", lambda r: r.name),
            SheetColumn("Matched on", lambda r: r.key),
            SheetColumn("Details", lambda r: r.message),
        ]

        def job(_database: Any, progress: Any) -> Path:
            sheet = Sheet("Import check", columns, list(preview.rows), f"{preview.source}: {preview.summary}")
            return write_workbook(path, [sheet], progress)

        self.job = self.ctx.ops.run_job(job, label="Saving ...", parent=self)
        return self.job

    # -- step 4: import ----------------------------------------------------------------------------------------
    def _build_done(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.done_label = plain_label("", "CardHeadline")
        self.done_label.setAccessibleName("Import result")
        layout.addWidget(self.done_label)
        layout.addWidget(
            plain_label(
                "Every change is in the audit trail, and each person's History tab shows what the import set.",
                "Muted",
            )
        )
        layout.addStretch(1)
        self.steps.addWidget(page)

    def run_import(self) -> Any:
        assert self.preview is not None
        self.job = self.ctx.ops.run_write(
            im.apply_import,
            self.preview,
            self.accepted_lines(),
            on_done=self._imported,
            label="Importing ...",
            parent=self,
        )
        return self.job

    def _imported(self, result: im.ImportResult) -> None:
        from federation_desk.ui.bus import bus

        self.result = result
        bus().changed.emit(result.changes)  # the staff list, matrix and records refresh
        self.done_label.setText(result.message)
        self.steps.setCurrentIndex(3)
        self._update_buttons()
        self.finished_import.emit(result)

    # -- navigation ----------------------------------------------------------------------------------------------
    def next(self) -> Any:
        step = self.steps.currentIndex()
        if step == 0 and self.table is not None:
            self.steps.setCurrentIndex(1)
        elif step == 1:
            return self.check()
        elif step == 2:
            return self.run_import()
        elif step == 3:
            self.accept()
        self._update_buttons()
        return None

    def back(self) -> None:
        step = self.steps.currentIndex()
        if 0 < step < 3:
            self.steps.setCurrentIndex(step - 1)
        self._update_buttons()

    def _update_buttons(self) -> None:
        step = self.steps.currentIndex()
        self.back_button.setEnabled(0 < step < 3)
        if step == 0:
            self.next_button.setText("Next")
            self.next_button.setEnabled(self.table is not None)
            self.status.setText("Step 1 of 3: choose the file")
        elif step == 1:
            self.next_button.setText("Check the rows")
            self.next_button.setEnabled(True)
            self.status.setText("Step 2 of 3: match the columns")
        elif step == 2:
            n = len(self.accepted_lines()) if self.preview else 0
            self.next_button.setText(f"Import {n:,} row{'s' if n != 1 else ''}")
            self.next_button.setEnabled(n > 0)
            self.status.setText("Step 3 of 3: check, then import. Nothing has been written yet.")
        else:
            self.next_button.setText("Close")
            self.next_button.setEnabled(True)
            self.close_button.setVisible(False)
            self.status.setText("")

    @classmethod
    def ask(cls, ctx: Any, parent: QWidget | None = None) -> Any:
        dialog = cls(ctx, parent)
        dialog.exec()
        return dialog.result
