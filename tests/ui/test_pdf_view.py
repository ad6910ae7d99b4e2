"""The PDF preview shows a report and prints it through a real QPrinter (to a PDF file, offscreen)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtPrintSupport import QPrinter
from reportlab.platypus import PageBreak

from federation_desk.reports.flowables import Heading, safe_paragraph
from federation_desk.reports.templates import ReportDocument, ReportInfo
from federation_desk.ui.pdf_view import PdfPreviewDialog
from tests.pdf import page_texts


def _report(path: Path, pages: int = 3) -> Path:
    doc = ReportDocument(path, ReportInfo(title="Preview test", author="Tester"))
    story: list[Any] = []
    for i in range(pages):
        story += [Heading(f"Page heading {i + 1}"), safe_paragraph("Zoë & Łukasz <b>literal</b>"), PageBreak()]
    doc.build_story(story[:-1])
    return path


def test_preview_shows_pages_and_prints_to_a_pdf_file(app: Any, qtbot: Any, tmp_path: Path, screenshot: Any) -> None:
    source = _report(tmp_path / "report.pdf")
    dialog = PdfPreviewDialog(source, "Preview test")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.document.pageCount() == 3
    assert "3 pages" in dialog.pages_label.text()
    qtbot.wait(300)  # QPdfView renders asynchronously (PLATFORM.md 9)
    screenshot(dialog, "pdf-preview")
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    worker = dialog.print_to(printer)
    qtbot.waitUntil(lambda: worker.returned, timeout=60_000)
    assert len(page_texts(printed)) == 3
