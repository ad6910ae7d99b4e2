"""Pieces the indemnity screens share: status colours, a table that takes dropped certificate files, opening a
stored certificate, and asking before deleting."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QMessageBox, QWidget

from federation_desk.services import indemnity as ind
from federation_desk.services.documents import export_document
from federation_desk.ui import theme
from federation_desk.ui.dialogs.indemnity import dropped_files
from federation_desk.ui.models.table_model import RowTableModel
from federation_desk.ui.widgets.table import DataTable


def status_colour(status: ind.CoverStatus) -> QColor | None:
    c = theme.current()
    return {
        ind.CoverStatus.VALID: QColor(c.good),
        ind.CoverStatus.EXPIRING: QColor(c.warning),
        ind.CoverStatus.EXPIRED: QColor(c.danger),
        ind.CoverStatus.MISSING: QColor(c.danger),
        ind.CoverStatus.NOT_STARTED: QColor(c.muted),
    }.get(status)


def policy_state(row: ind.PolicyRow, today: date) -> tuple[str, ind.CoverStatus, str]:
    """(short text, status for the colour, the reason in words) of a policy on ``today``."""
    st = row.status(today)
    if st.status is ind.CoverStatus.EXPIRED:
        if row.renewal_recorded:
            return "Renewed", ind.CoverStatus.NOT_STARTED, f"{st.reason} It was renewed."
        return "Expired", ind.CoverStatus.EXPIRED, f"{st.reason} No renewal is recorded."
    if st.status is ind.CoverStatus.EXPIRING:
        if row.renewal_recorded:
            return "Renewal recorded", ind.CoverStatus.VALID, f"{st.reason} The renewal is recorded."
        days = st.days_left or 0
        return (f"Ends in {days} day{'s' if days != 1 else ''}" if days else "Ends today"), st.status, st.reason
    if st.status is ind.CoverStatus.NOT_STARTED:
        return "Starts later", st.status, st.reason
    return "In force", st.status, st.reason


def cover_state(row: ind.CoverRow, today: date) -> tuple[str, ind.CoverStatus, str]:
    st = row.status(today)
    if st.status is ind.CoverStatus.EXPIRED and row.renewal_recorded:
        return "Renewed", ind.CoverStatus.NOT_STARTED, f"{st.reason} It was renewed."
    if st.status is ind.CoverStatus.EXPIRING and row.renewal_recorded:
        return "Renewal recorded", ind.CoverStatus.VALID, f"{st.reason} The renewal is recorded."
    return st.status.label, st.status, st.reason


class DropTable(DataTable):
    """A DataTable that takes files dropped onto a row (a certificate for that record)."""

    files_dropped = Signal(object, list)  # the row under the drop, the local file paths

    def __init__(self, model: RowTableModel[Any], state_key: str, accessible_name: str) -> None:
        super().__init__(model, state_key, accessible_name)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDropIndicatorShown(True)

    def row_at_point(self, point: QPoint) -> Any | None:
        index = self.indexAt(point)
        return self.row_model.row_at(index) if index.isValid() else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_files(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        index = self.indexAt(event.position().toPoint())
        if index.isValid() and dropped_files(event):
            self.selectRow(index.row())
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        files = dropped_files(event)
        row = self.row_at_point(event.position().toPoint())
        if not files or row is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.files_dropped.emit(row, files)


def _system_open(path: Path, title: str, parent: QWidget | None) -> None:
    if path.suffix.lower() == ".pdf":
        from federation_desk.ui.pdf_view import PdfPreviewDialog

        PdfPreviewDialog.show_pdf(path, title, parent)
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


# Tests replace this to see what would open.
opener: Callable[[Path, str, QWidget | None], None] = _system_open


def open_document(ctx: Any, document_id: int | None, title: str, parent: QWidget | None) -> Any:
    """Write a stored certificate to a temporary folder (on a worker) and open it: PDFs in the app's preview with
    Print and Save, anything else with the system's viewer."""
    if document_id is None:
        QMessageBox.information(
            parent,
            "No certificate",
            "No certificate is attached yet. Attach one with 'Attach certificate ...' or by "
            "dropping the file on the row.",
        )
        return None
    folder = Path(tempfile.gettempdir()) / "FederationDesk" / "certificates"
    return ctx.ops.run_query(
        export_document, document_id, folder, on_done=lambda path: opener(path, title, parent), parent=parent
    )


# Tests replace this to answer the question.
def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is delete


# Tests replace this to see what would be said.
def tell(parent: QWidget | None, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
