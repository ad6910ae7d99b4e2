"""Erase a former staff member's personal data after the retention period (federation administrators).

The list shows only former staff whose retention period has ended. Choosing one shows, in words, what will go and
what stays under a pseudonym; the button works only after the administrator ticks that they understand it cannot
be undone.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from federation_desk.services import erasure
from federation_desk.services.dates import format_date
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import Column, RowTableModel
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.table import DataTable

CANDIDATE_COLUMNS: list[Column[erasure.ErasureCandidate]] = [
    Column("Name", lambda r: r.name, width=24),
    Column("Role", lambda r: r.role, width=20),
    Column("Employer", lambda r: r.practice, width=24),
    Column("Left", lambda r: format_date(r.left_on), sort_key=lambda r: r.left_on, width=10),
    Column("Kept until", lambda r: format_date(r.retention_ended), sort_key=lambda r: r.retention_ended, width=10),
]


class EraseDialog(QDialog):
    def __init__(self, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.setWindowTitle("Erase a former staff member's personal data")
        self.setMinimumSize(820, 620)
        self.preview: erasure.ErasurePreview | None = None
        self.erased: list[int] = []
        self.done_message = ""
        self.load_job: Any = None
        self.preview_job: Any = None
        self.erase_job: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                f"Former staff whose records have been kept for {erasure.RETENTION_YEARS} years after they left. "
                "Erasing removes their name, contact details, identifiers, compliance records and documents; rota "
                "history stays under a pseudonym, and the audit trail keeps the facts without the values.",
                "Muted",
            )
        )
        self.status = plain_label("Loading ...", "Muted")
        layout.addWidget(self.status)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.model: RowTableModel[erasure.ErasureCandidate] = RowTableModel(CANDIDATE_COLUMNS, self)
        self.table = DataTable(self.model, "erasure-candidates", "Former staff past retention")
        splitter.addWidget(self.table)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setAccessibleName("What will be erased")
        self.details.setPlaceholderText("Choose a person to see exactly what will go and what will stay.")
        splitter.addWidget(self.details)
        splitter.setSizes([220, 320])
        layout.addWidget(splitter, 1)
        self.understood = QCheckBox("I understand that this cannot be undone")
        self.understood.setEnabled(False)
        layout.addWidget(self.understood)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.erase_button = QPushButton(icon("danger"), "Erase personal data")
        self.erase_button.setEnabled(False)
        self.buttons.addButton(self.erase_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.understood.toggled.connect(self._update_button)
        self.erase_button.clicked.connect(self.erase)
        self.load()

    def load(self) -> None:
        self.load_job = self.ops.run_query(erasure.erasure_candidates, on_done=self._show, parent=self)

    def _show(self, rows: list[erasure.ErasureCandidate]) -> None:
        self.model.set_rows(rows)
        if rows:
            text = f"{len(rows)} former member{'s' if len(rows) != 1 else ''} of staff past retention."
        else:
            text = "Nobody's retention period has ended: there is nothing to erase."
        self.status.setText(f"{self.done_message} {text}".strip())
        self.details.clear()
        self.preview = None
        self._update_button()

    def _selected(self, *_args: Any) -> None:
        row = self.table.selected_row()
        self.preview = None
        self.understood.setChecked(False)
        self._update_button()
        if row is None:
            return
        self.details.setPlainText("Working out what would be erased ...")
        self.preview_job = self.ops.run_query(
            erasure.erasure_preview, row.staff_id, on_done=self._previewed, parent=self, key="erasure-preview"
        )

    def _previewed(self, preview: erasure.ErasurePreview) -> None:
        self.preview = preview
        self.details.setPlainText(preview.confirmation_text)
        self._update_button()

    def _update_button(self) -> None:
        eligible = self.preview is not None and self.preview.eligible
        self.understood.setEnabled(eligible)
        self.erase_button.setEnabled(eligible and self.understood.isChecked())

    def erase(self) -> None:
        if self.preview is None or not self.preview.eligible or not self.understood.isChecked():
            return
        self.erase_button.setEnabled(False)
        self.erase_job = self.ops.run_write(
            erasure.erase_staff_member,
            self.preview.staff_id,
            self.preview.version,
            on_done=self._erased,
            on_error=self._failed,
            label="Erasing personal data ...",
            parent=self,
        )

    def _erased(self, changes: Any) -> None:
        if self.preview is not None:
            self.erased.append(self.preview.staff_id)
        self.understood.setChecked(False)
        self.done_message = changes.message
        self.load()

    def _failed(self, exc: BaseException) -> None:
        from federation_desk.ui import errors

        self._update_button()
        errors.show_error(self, exc)

    @classmethod
    def ask(cls, ops: Any, parent: QWidget | None = None) -> list[int]:
        """The ids of the staff records erased while the dialog was open."""
        dialog = cls(ops, parent)
        dialog.exec()
        return dialog.erased
