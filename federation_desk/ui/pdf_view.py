"""The in-app PDF preview (QtPdf) with Print (the system print dialog) and Save a copy.

Every report the app produces opens here: ``PdfPreviewDialog.show_pdf(path, title, parent)``. Printing renders
each page on a worker thread (a QPainter on a QPrinter may be used outside the GUI thread) with progress and
cancel, onto white (QPdfDocument renders transparent pages, PLATFORM.md 9).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QImage, QKeySequence, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMessageBox, QToolBar, QVBoxLayout, QWidget

from federation_desk.errors import Cancelled, FederationDeskError
from federation_desk.services.progress import Progress
from federation_desk.ui import errors
from federation_desk.ui.icons import icon
from federation_desk.ui.workers import Worker

PRINT_DPI = 300


def render_page(document: QPdfDocument, page: int, dpi: int) -> QImage:
    """One page as an image on white, at ``dpi``."""
    points = document.pagePointSize(page)
    size = QSize(max(1, round(points.width() * dpi / 72)), max(1, round(points.height() * dpi / 72)))
    rendered = document.render(page, size)
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.drawImage(QPointF(0, 0), rendered)
    painter.end()
    return image


def print_pdf(path: Path, printer: QPrinter, progress: Progress | None = None, dpi: int = PRINT_DPI) -> int:
    """Print every page of the PDF at ``path`` on ``printer``; returns the number of pages printed."""
    document = QPdfDocument()
    status = document.load(str(path))
    if status != QPdfDocument.Error.None_:
        raise FederationDeskError(f"The PDF {path.name} could not be read for printing.", "Produce the report again.")
    pages = document.pageCount()
    first = printer.fromPage() - 1 if printer.fromPage() > 0 else 0
    last = printer.toPage() - 1 if printer.toPage() > 0 else pages - 1
    painter = QPainter()
    if not painter.begin(printer):
        raise FederationDeskError(
            "The printer could not be started.", "Check the printer is switched on and try again."
        )
    try:
        for number, page in enumerate(range(first, min(last, pages - 1) + 1)):
            if progress is not None:
                progress.update(number, last - first + 1, f"Printing page {page + 1} of {pages} ...")
            if number:
                printer.newPage()
            image = render_page(document, page, dpi)
            target = painter.viewport()
            scaled = image.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.setViewport(target.x(), target.y(), scaled.width(), scaled.height())
            painter.setWindow(image.rect())
            painter.drawImage(0, 0, image)
            painter.setViewport(target)
    except Cancelled:
        printer.abort()
        raise
    finally:
        painter.end()
        document.close()
    return last - first + 1


class PdfPreviewDialog(QDialog):
    def __init__(self, path: Path, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.setWindowTitle(title)
        self.setAccessibleName(f"Preview of {title}")
        self.resize(980, 900)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = QToolBar()
        bar.setAccessibleName("Preview actions")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.print_action = bar.addAction(icon("print"), "Print ...", self.print_dialog)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.save_action = bar.addAction(icon("save"), "Save a copy ...", self.save_copy)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        bar.addSeparator()
        bar.addAction("Zoom out", lambda: self._zoom(1 / 1.25)).setShortcut(QKeySequence.StandardKey.ZoomOut)
        bar.addAction("Zoom in", lambda: self._zoom(1.25)).setShortcut(QKeySequence.StandardKey.ZoomIn)
        bar.addAction("Fit width", self._fit_width)
        self.pages_label = QLabel()
        bar.addSeparator()
        bar.addWidget(self.pages_label)
        layout.addWidget(bar)
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setAccessibleName("Report pages")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        layout.addWidget(self.view, 1)
        status = self.document.load(str(self.path))
        if status != QPdfDocument.Error.None_:
            self.pages_label.setText("This PDF could not be shown.")
        else:
            self.pages_label.setText(f"  {self.document.pageCount()} pages  ")
        self._print_worker: Worker | None = None

    def _zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(4.0, self.view.zoomFactor() * factor)))

    def _fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    # -- print and save ---------------------------------------------------------------------------------------
    def print_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.windowTitle())
        printer.setFromTo(1, max(1, self.document.pageCount()))
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(f"Print {self.windowTitle()}")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.print_to(printer)

    def print_to(self, printer: QPrinter) -> Worker:
        """Print on a worker with a progress dialog; returns the worker (tests wait for its `returned`)."""
        from PySide6.QtWidgets import QProgressDialog

        progress_dialog = QProgressDialog("Printing ...", "Cancel", 0, max(1, self.document.pageCount()), self)
        progress_dialog.setWindowModality(Qt.WindowModality.WindowModal)
        progress_dialog.setMinimumDuration(600)
        worker = Worker(lambda progress: print_pdf(self.path, printer, progress))
        progress_dialog.canceled.connect(worker.cancel)
        worker.signals.progressed.connect(
            lambda done, _total, text: (progress_dialog.setValue(done), progress_dialog.setLabelText(text))
        )
        worker.signals.failed.connect(lambda exc: errors.show_error(self, exc))
        worker.signals.ended.connect(progress_dialog.reset)
        self._print_worker = worker
        from PySide6.QtCore import QThreadPool

        worker.start_in(QThreadPool.globalInstance())
        return worker

    def save_copy(self) -> None:
        target, _ = QFileDialog.getSaveFileName(
            self, "Save a copy", str(Path.home() / self.path.name), "PDF document (*.pdf)"
        )
        if not target:
            return
        try:
            shutil.copyfile(self.path, target)
        except OSError as exc:
            QMessageBox.warning(self, "Could not save", f"The copy could not be saved: {exc.strerror}.")

    @classmethod
    def show_pdf(cls, path: Path, title: str, parent: QWidget | None = None) -> Any:
        dialog = cls(path, title, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
