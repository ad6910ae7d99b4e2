"""The one document template: cover and body page templates, header and footer, "Page x of y", a contents page
and PDF bookmarks, and atomic writing.

"Page x of y" comes from a canvas that holds its pages until the end (no extra layout pass). The contents page is
filled by ReportLab's ``multiBuild``: keep it on its own page (it is followed by a page break) so the second pass
does not move page numbers and the build stays at two passes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, NextPageTemplate, PageBreak, PageTemplate
from reportlab.platypus.tableofcontents import TableOfContents

from federation_desk import __version__
from federation_desk.reports.flowables import Heading, escape, markup_paragraph, style
from federation_desk.reports.fonts import BOLD, REGULAR
from federation_desk.reports.styles import BRAND, MUTED, RULE
from federation_desk.services.progress import NullProgress, Progress

MARGIN = 18 * mm


@dataclass(frozen=True)
class ReportInfo:
    title: str
    author: str
    organisation: str = ""
    subject: str = ""
    reference: str = ""
    confidentiality: str | None = "Commercial in confidence"
    landscape: bool = False


def _footer_text(info: ReportInfo) -> str:
    parts = [p for p in (info.confidentiality, info.reference) if p]
    return "  ·  ".join(parts)


def make_canvas_class(info: ReportInfo) -> type[rl_canvas.Canvas]:
    """A canvas that writes "Page x of y" and the footer once it knows how many pages there are."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved_page_states: list[dict[str, Any]] = []
            self._pending_bookmarks: list[tuple[str, dict[str, Any]]] = []
            self.setTitle(info.title)
            self.setAuthor(info.author)
            self.setSubject(info.subject or info.title)
            self.setCreator(f"Federation Desk {__version__}")
            self.setProducer(f"Federation Desk {__version__} (ReportLab)")

        def bookmarkPage(self, key: str, **kwargs: Any) -> Any:
            # Pages are written only in save(): a bookmark made now would point at page 1. Keep it with the page.
            self._pending_bookmarks.append((key, kwargs))

        def showPage(self) -> None:
            self._saved_page_states.append(dict(self.__dict__))
            self._pending_bookmarks = []
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_page_states)
            for state in self._saved_page_states:
                self.__dict__.update(state)
                for key, kwargs in self._pending_bookmarks:
                    rl_canvas.Canvas.bookmarkPage(self, key, **kwargs)
                self._draw_footer(total)
                super().showPage()
            super().save()

        def _draw_footer(self, total: int) -> None:
            width, _height = self._pagesize
            self.saveState()
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, 12 * mm, width - MARGIN, 12 * mm)
            self.setFont(REGULAR, 7.5)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, 8 * mm, _footer_text(info))
            self.drawRightString(width - MARGIN, 8 * mm, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    return NumberedCanvas


class ReportDocument(BaseDocTemplate):
    """A4 (or A4 landscape) document with a cover template and a body template with a running header."""

    def __init__(self, target: str | Path | BinaryIO, info: ReportInfo, progress: Progress | None = None) -> None:
        pagesize = landscape(A4) if info.landscape else A4
        super().__init__(
            str(target) if isinstance(target, Path) else target,
            pagesize=pagesize,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + 6 * mm,
            bottomMargin=MARGIN,
            title=info.title,
            author=info.author,
            subject=info.subject or info.title,
            creator=f"Federation Desk {__version__}",
        )
        self.info = info
        self.progress = progress or NullProgress()
        self._heading_seq = 0
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        cover_frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="cover")
        self.addPageTemplates(
            [
                PageTemplate(id="cover", frames=[cover_frame], pagesize=pagesize),
                PageTemplate(id="body", frames=[frame], onPage=self._draw_header, pagesize=pagesize),
            ]
        )

    # multiBuild runs the story more than once: start every pass from the same counters (PLATFORM.md 7).
    def beforeDocument(self) -> None:
        self._heading_seq = 0

    def afterPage(self) -> None:
        self.progress.update(self.page, None, f"Laying out page {self.page} ...")

    def afterFlowable(self, flowable: Flowable) -> None:
        if not isinstance(flowable, Heading):
            return
        self._heading_seq += 1
        key = flowable.bookmark_key or f"h{self._heading_seq}"
        level = flowable.toc_level if flowable.toc_level is not None else 0
        # XYZ destinations: QtPdf and pypdf warn about ReportLab's default /Fit (PLATFORM.md 8).
        self.canv.bookmarkPage(key, fit="XYZ", left=0, top=self.pagesize[1], zoom=0)
        self.canv.addOutlineEntry(flowable.plain_text, key, level=min(level, 3), closed=level > 0)
        if flowable.toc_level is not None:
            # The contents page reads entries as markup: user text in a heading must print literally.
            self.notify("TOCEntry", (flowable.toc_level, escape(flowable.plain_text), self.page, key))

    def _draw_header(self, canv: rl_canvas.Canvas, doc: BaseDocTemplate) -> None:
        width, height = self.pagesize
        canv.saveState()
        canv.setFillColor(BRAND)
        canv.rect(0, height - 6 * mm, width, 6 * mm, stroke=0, fill=1)
        canv.setFont(BOLD, 8)
        canv.setFillColor(MUTED)
        canv.drawString(MARGIN, height - 13 * mm, self.info.title[:110])
        if self.info.organisation:
            canv.setFont(REGULAR, 8)
            canv.drawRightString(width - MARGIN, height - 13 * mm, self.info.organisation[:80])
        canv.restoreState()

    def build_story(self, story: list[Flowable]) -> None:
        self.multiBuild(story, canvasmaker=make_canvas_class(self.info), maxPasses=4)


def contents_page(title: str = "Contents") -> list[Flowable]:
    """A contents page (own page, so filling it in on the second pass moves nothing)."""
    toc = TableOfContents()
    toc.levelStyles = [style("TocEntry1"), style("TocEntry2")]
    toc.dotsMinLevel = 0
    return [Heading(title, "H1", toc_level=None, key="contents"), toc, PageBreak()]


def start_body() -> list[Flowable]:
    """Switch from the cover template to the body template on the next page."""
    return [NextPageTemplate("body"), PageBreak()]


def generated_line(when: datetime, who: str) -> Flowable:
    from federation_desk.reports.flowables import escape
    from federation_desk.services.dates import format_instant

    return markup_paragraph(
        f"Produced {format_instant(when)} by {escape(who)} with Federation Desk {__version__}", "Muted"
    )


def write_pdf_atomically(target: Path, build: Callable[[Path], None]) -> Path:
    """Build into a temporary file beside ``target`` and rename it into place: no half-written PDF is ever left
    where the person asked for one, even if the build fails or the process is killed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        build(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target
