"""The bid pack PDF: cover, contents with page numbers, tender summary, organisation profile from live data,
workforce compliance (HR engine), insurance schedule on the submission date (indemnity), every question with its
answer and "words used / limit", pricing schedule, policies, and the evidence files appended with a bookmark each;
"Page x of y", the tender reference and "Commercial in confidence" on every page, appended ones included.

How it stays fast (tests/bench/bench_bidpack.py): the story is laid out **once**. The contents page is a block of
known height (every entry is one line) drawn when the pages are written, by which time every heading's page is
known; "Page x of y" likewise. Answer text is escaped and tag-free. Each appended page is a page of this document
(so it gets the footer and its number from the same canvas) under which pypdf paints the evidence page as a form
XObject, reusing the evidence's compressed content stream: no font work, no page merging.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import PDFObject, PDFObjectReference, xObjectName
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import CondPageBreak, Flowable, Image, PageBreak, Paragraph, Spacer, Table, TableStyle

from federation_desk.reports.flowables import Heading, escape, markup_paragraph, safe_paragraph, style
from federation_desk.reports.fonts import BOLD, REGULAR
from federation_desk.reports.styles import BRAND, INK, MUTED, RAG_COLOURS, RAG_TEXT, RULE, ZEBRA
from federation_desk.reports.tables import ColumnSpec, key_value_table
from federation_desk.reports.templates import (
    MARGIN,
    ReportDocument,
    ReportInfo,
    make_canvas_class,
    start_body,
    write_pdf_atomically,
)
from federation_desk.services.bid_pack import (
    PDF,
    BidPackBlocked,
    BidPackData,
    EvidenceFile,
    Preflight,
    Problem,
    gather_bid_pack,
    preflight,
)
from federation_desk.services.dates import format_date, format_instant
from federation_desk.services.money import format_money
from federation_desk.services.procurement_calendar import long_date
from federation_desk.services.progress import NullProgress, Progress
from federation_desk.services.tenders import QuestionRow, find_tender, portal_text, term_text

CONTENTS_LEADING = 15.0
_BULLET = re.compile(r"^\s*(?:[-*•▪‣◦]|\d{1,2}[.)])\s+")


# ---- styles -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    body = style("Body")
    return {
        "h1": ParagraphStyle("BidH1", parent=style("H1")),
        "h2": ParagraphStyle("BidH2", parent=style("H2"), spaceBefore=14),
        "h3": ParagraphStyle("BidH3", parent=style("H3")),
        "meta": ParagraphStyle("BidMeta", parent=style("Muted"), spaceAfter=4),
        "question": ParagraphStyle(
            "BidQuestion",
            parent=style("BodySmall"),
            backColor=ZEBRA,
            borderPadding=(5, 6, 6, 6),
            leftIndent=6,
            rightIndent=6,
            spaceBefore=2,
            spaceAfter=10,
            textColor=INK,
        ),
        "answer": ParagraphStyle("BidAnswer", parent=body, spaceAfter=5),
        "bullet": ParagraphStyle("BidBullet", parent=body, leftIndent=14, bulletIndent=3, spaceAfter=3),
        "count": ParagraphStyle("BidCount", parent=style("Muted"), alignment=2, spaceBefore=2, spaceAfter=8),
        "cover_label": ParagraphStyle(
            "BidCoverLabel", parent=body, fontName=BOLD, fontSize=11, textColor=BRAND, spaceAfter=18
        ),
    }


class BidHeading(Heading):
    """A heading (contents entry and bookmark) with one of this report's styles."""

    def __init__(self, text: str, style_obj: ParagraphStyle, toc_level: int, key: str) -> None:
        Paragraph.__init__(self, escape(text), style_obj)
        self.plain_text = text
        self.toc_level = toc_level
        self.bookmark_key = key


# ---- the contents page, drawn when the pages are written -----------------------------------------------------


@dataclass
class ContentsEntry:
    level: int
    title: str
    key: str
    page: Callable[[int], int]  # total pages of the story -> page number


def _fit(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


class ContentsBlock(Flowable):
    """Reserves the height of some contents lines; the lines are drawn when the page is written (the canvas calls
    back with the final page numbers), so the contents never need a second layout pass."""

    def __init__(self, doc: BidPackDocument, entries: list[ContentsEntry]) -> None:
        super().__init__()
        self.doc = doc
        self.entries = entries

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        return available_width, len(self.entries) * CONTENTS_LEADING

    def drawOn(self, canvas: Any, x: float, y: float, _sW: float = 0) -> None:
        self.doc.defer(canvas.getPageNumber(), lambda c, total: self._draw(c, x, y, total))

    def draw(self) -> None:  # pragma: no cover - drawn through drawOn
        return None

    def _draw(self, c: Any, x: float, y: float, total: int) -> None:
        top = y + len(self.entries) * CONTENTS_LEADING
        for i, entry in enumerate(self.entries):
            baseline = top - (i + 1) * CONTENTS_LEADING + 4
            indent = 0 if entry.level == 0 else 14
            font, size = (BOLD, 10) if entry.level == 0 else (REGULAR, 9.5)
            number = str(entry.page(total))
            number_width = stringWidth(number, font, size)
            room = self.width - indent - number_width - 24
            title = _fit(entry.title, font, size, room)
            c.setFont(font, size)
            c.setFillColor(INK if entry.level == 0 else MUTED)
            c.drawString(x + indent, baseline, title)
            c.drawRightString(x + self.width, baseline, number)
            start = x + indent + stringWidth(title, font, size) + 6
            end = x + self.width - number_width - 6
            if end > start:
                c.setStrokeColor(RULE)
                c.setDash(1, 2)
                c.line(start, baseline, end, baseline)
                c.setDash()
            c.linkRect(
                "",
                entry.key,
                (x, baseline - 3, x + self.width, baseline + size),
                name=f"contents-{entry.key}",
                relative=0,
            )


# ---- the document --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageBox:
    """An evidence page's visible box and turn, read once (pypdf's box properties are slow)."""

    left: float
    bottom: float
    right: float
    top: float
    rotate: int

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.top - self.bottom

    @property
    def shown_size(self) -> tuple[float, float]:
        return (self.height, self.width) if self.rotate % 180 == 90 else (self.width, self.height)

    @classmethod
    def of(cls, page: Any) -> PageBox:
        box = page.get("/CropBox") or page.get("/MediaBox") or [0, 0, 595, 842]
        left, bottom, right, top = (float(v) for v in box.get_object())
        left, right = min(left, right), max(left, right)
        bottom, top = min(bottom, top), max(bottom, top)
        return cls(left, bottom, right, top, int(page.get("/Rotate", 0) or 0) % 360)


@dataclass
class Appendix:
    letter: str
    evidence: EvidenceFile
    sizes: list[tuple[float, float]]
    reader: Any = None  # pypdf reader of a PDF
    offset: int = 0  # pages before it among the appended pages
    boxes: list[PageBox] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Appendix {self.letter}: {self.evidence.title}"

    @property
    def key(self) -> str:
        return f"appendix-{self.letter}"


class BidPackDocument(ReportDocument):
    """The house document, laid out in a single pass (see the module's docstring)."""

    def __init__(self, target: Any, info: ReportInfo, appendices: list[Appendix], progress: Progress | None) -> None:
        super().__init__(target, info, progress)
        self.appendices = appendices
        self.heading_pages: dict[str, int] = {}
        self._deferred: dict[int, list[Callable[[Any, int], None]]] = {}

    def defer(self, page: int, fn: Callable[[Any, int], None]) -> None:
        self._deferred.setdefault(page, []).append(fn)

    def afterFlowable(self, flowable: Flowable) -> None:
        if not isinstance(flowable, Heading) or flowable.bookmark_key is None:
            return
        key = flowable.bookmark_key
        self.heading_pages.setdefault(key, self.page)
        frame = getattr(self, "frame", None)
        height = getattr(flowable, "height", 0) or 0
        top = min(self.pagesize[1], (frame._y if frame is not None else 0) + height + 14)
        self.canv.bookmarkPage(key, fit="XYZ", left=0, top=top, zoom=0)
        level = flowable.toc_level if flowable.toc_level is not None else 0
        self.canv.addOutlineEntry(flowable.plain_text, key, level=min(level, 3), closed=level > 0)

    def build_story(self, story: list[Flowable]) -> None:
        doc = self
        base = make_canvas_class(self.info)
        sizes = [size for appendix in self.appendices for size in appendix.sizes]
        firsts = {appendix.offset: appendix for appendix in self.appendices}

        appendices = self.appendices

        class BidCanvas(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                kwargs["pdfVersion"] = (1, 7)  # evidence files may use any feature up to PDF 1.7
                super().__init__(*args, **kwargs)

            def save(self) -> None:
                story_pages = len(self._saved_page_states)
                # The evidence pages, as form XObjects of this document (see _EvidenceObjects).
                forms: dict[int, tuple[str, str]] = {}
                for appendix in appendices:
                    if appendix.reader is None:
                        continue
                    carrier = _EvidenceObjects(self._doc, f"Evidence{appendix.letter}")
                    for j, (page, box) in enumerate(zip(appendix.reader.pages, appendix.boxes)):
                        name = f"Appendix{appendix.letter}.{j + 1}"
                        carrier.add_page(page, box, name)
                        forms[appendix.offset + j] = (name, _placement(box))
                # One page of this document for every appended page: it carries the footer and the bookmark.
                for i, (width, height) in enumerate(sizes):
                    self.setPageSize((width, height))
                    appendix = firsts.get(i)
                    if appendix is not None:
                        self.bookmarkPage(appendix.key, fit="XYZ", left=0, top=height, zoom=0)
                        self.addOutlineEntry(appendix.title, appendix.key, level=1, closed=True)
                    if appendix is not None and appendix.evidence.media_type != PDF:
                        image = appendix.evidence.data
                        doc.defer(story_pages + i + 1, lambda c, _t, data=image: _draw_image(c, data))
                    self.showPage()
                total = len(self._saved_page_states)
                doc.story_pages = story_pages
                for number, state in enumerate(self._saved_page_states, start=1):
                    self.__dict__.update(state)
                    form = forms.get(number - story_pages - 1)
                    if form is not None:  # the evidence page goes under the footer
                        self._code.insert(0, f"q {form[1]} cm /{xObjectName(form[0])} Do Q")
                        self._formsinuse.append(form[0])
                    for key, kwargs in self._pending_bookmarks:
                        rl_canvas.Canvas.bookmarkPage(self, key, **kwargs)
                    for fn in doc._deferred.get(number, []):
                        fn(self, story_pages)
                    self._draw_footer(total)
                    rl_canvas.Canvas.showPage(self)
                    if number % 25 == 0:
                        doc.progress.update(number, total, f"Writing page {number} of {total} ...")
                rl_canvas.Canvas.save(self)

        self.story_pages = 0
        self.build(story, canvasmaker=BidCanvas)


def _draw_image(c: Any, data: bytes) -> None:
    width, height = c._pagesize
    reader = ImageReader(io.BytesIO(data))
    iw, ih = reader.getSize()
    room_w, room_h = width - 2 * MARGIN, height - 2 * MARGIN - 10 * mm
    scale = min(room_w / iw, room_h / ih, 1.0 if iw < room_w and ih < room_h else 10.0)
    w, h = iw * scale, ih * scale
    c.drawImage(reader, (width - w) / 2, (height - h) / 2 + 6 * mm, w, h, preserveAspectRatio=True, mask="auto")


# ---- the story -----------------------------------------------------------------------------------------------


@dataclass
class _Story:
    doc: BidPackDocument
    data: BidPackData
    flowables: list[Flowable] = field(default_factory=list)
    entries: list[ContentsEntry] = field(default_factory=list)
    seq: int = 0

    def heading(self, text: str, level: int = 0, title: str | None = None) -> BidHeading:
        self.seq += 1
        key = f"s{self.seq}"
        doc = self.doc
        self.entries.append(ContentsEntry(level, title or text, key, lambda _t, k=key: doc.heading_pages.get(k, 0)))
        return BidHeading(text, _styles()["h1" if level == 0 else "h2"], level, key)

    def add(self, *items: Flowable) -> None:
        self.flowables.extend(items)


def _answer_flowables(text: str | None) -> list[Flowable]:
    """An answer as the portal receives it, one paragraph per line, escaped and free of inline tags."""
    value = portal_text(text)
    if not value:
        return [safe_paragraph("(No answer.)", "Muted")]
    out: list[Flowable] = []
    s = _styles()
    for line in value.split("\n"):
        if not line.strip():
            continue
        m = _BULLET.match(line)
        if m:
            out.append(Paragraph(escape(line[m.end() :]), s["bullet"], bulletText="•"))
        else:
            out.append(Paragraph(escape(line), s["answer"]))
    return out


def _count_caption(q: QuestionRow) -> str:
    used = {"words": "Words used", "characters with spaces": "Characters used (with spaces)"}.get(
        q.count_rule.value, "Characters used (without spaces)"
    )
    limit = f"{q.count:,} / {q.answer_limit:,}" if q.answer_limit is not None else f"{q.count:,} (no limit)"
    return f"{used}: {limit}"


def _table(
    columns: list[ColumnSpec],
    rows: Any,
    width: float,
    empty_text: str = "None.",
    rag_column: int | None = None,
    rag_of: Callable[[Any], str | None] | None = None,
) -> Flowable:
    """A table like ``reports.tables.build_table`` (header repeated on each page, zebra rows, RAG cells), but a
    cell whose text fits on one line is a plain string, drawn as it is, rather than a Paragraph (parsing a
    Paragraph for every short cell is most of a table's cost). Text is never read as markup either way."""
    if not rows:
        return safe_paragraph(empty_text, "Muted")
    share = sum(c.width for c in columns)
    widths = [width * c.width / share for c in columns]
    cell_styles = {"left": style("Cell"), "right": style("CellRight"), "centre": style("CellCentre")}
    data: list[list[Any]] = [[Paragraph(escape(c.title), style("CellHeader")) for c in columns]]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BRAND),
        ("FONT", (0, 1), (-1, -1), REGULAR, 8.5, 10.5),
        ("TEXTCOLOR", (0, 1), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for i, c in enumerate(columns):
        if c.align != "left":
            commands.append(("ALIGN", (i, 1), (i, -1), "RIGHT" if c.align == "right" else "CENTRE"))
    for n, row in enumerate(rows, start=1):
        cells: list[Any] = []
        for c, w in zip(columns, widths):
            value = c.value(row)
            text = "" if value is None else str(value)
            if "\n" in text or stringWidth(text, REGULAR, 8.5) > w - 12:
                cells.append(Paragraph(escape(text), cell_styles[c.align]))
            else:
                cells.append(text)
        data.append(cells)
        if n % 2 == 0:
            commands.append(("BACKGROUND", (0, n), (-1, n), ZEBRA))
        if rag_column is not None and rag_of is not None:
            rag = rag_of(row)
            if rag in RAG_COLOURS:
                commands.append(("BACKGROUND", (rag_column, n), (rag_column, n), RAG_COLOURS[rag]))
                commands.append(("TEXTCOLOR", (rag_column, n), (rag_column, n), RAG_TEXT[rag]))
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _h3(text: str) -> list[Flowable]:
    return [CondPageBreak(80), Paragraph(escape(text), _styles()["h3"])]


def _pairs(pairs: list[tuple[str, str]], width: float) -> Flowable:
    shown = [(k, v) for k, v in pairs if v]
    return key_value_table(shown, width) if shown else Spacer(1, 1)


def _cover(story: _Story) -> None:
    data, d = story.data, story.data.detail
    fed = data.profile.federation
    s = _styles()
    if data.logo:
        try:
            reader = ImageReader(io.BytesIO(data.logo))
            iw, ih = reader.getSize()
            scale = min(60 * mm / iw, 25 * mm / ih)
            logo = Image(io.BytesIO(data.logo), iw * scale, ih * scale)
            logo.hAlign = "LEFT"
            story.add(logo, Spacer(1, 8 * mm))
        except Exception:  # a damaged logo must not stop the bid pack
            story.add(Spacer(1, 33 * mm))
    else:
        story.add(Spacer(1, 33 * mm))
    story.add(safe_paragraph(fed.name if fed else "", "CoverSub"))
    story.add(Spacer(1, 18 * mm), Paragraph("BID PACK", s["cover_label"]))
    story.add(safe_paragraph(d.title, "CoverTitle"))
    story.add(safe_paragraph(f"For {d.buyer.name}" if d.buyer else "", "CoverSub"))
    deadline = long_date(data.submission_date)
    if data.submission_time:
        deadline = f"{data.submission_time:%H:%M} on {deadline}"
    pairs = [
        ("Our reference", d.reference),
        ("Buyer's reference", d.buyer_reference or ""),
        ("Notice", " ".join(filter(None, [d.notice_id, f"({d.source.value})" if d.notice_id else ""]))),
        ("Submission deadline", deadline),
        ("Submitted by", (fed.legal_name or fed.name) if fed else ""),
    ]
    story.add(Spacer(1, 14 * mm), _pairs(pairs, story.doc.width))
    story.add(
        Spacer(1, 14 * mm),
        safe_paragraph(
            f"Commercial in confidence. Produced {format_instant(data.produced_at)} by {data.produced_by}.", "Muted"
        ),
    )


def _summary(story: _Story) -> None:
    d, width = story.data.detail, story.doc.width
    story.add(story.heading("Tender summary"))
    process = " — ".join(filter(None, [d.regime.value if d.regime else None, d.process_name]))
    pairs = [
        ("Buyer", d.buyer.name if d.buyer else ""),
        ("Buyer's reference", d.buyer_reference or ""),
        ("Notice", d.notice_url or d.notice_id or ""),
        ("Procurement", process),
        (
            "Estimated value",
            (format_money(d.estimated_value) if d.estimated_value is not None else "")
            + (f" ({d.value_note})" if d.value_note else ""),
        ),
        ("Term", d.term_text or term_text(d.term_months, None, None)),
        ("Lots", "; ".join(f"{lot.number}: {lot.title}" for lot in d.lots)),
        ("Award basis", d.award_criteria_basis or ""),
    ]
    story.add(_pairs(pairs, width))
    story.add(*_h3("Key dates"))
    rows = [(k.title, k.when, k.warning or "") for k in d.key_dates] + [
        (c.title, format_date(c.on_date), c.explanation) for c in d.computed_dates
    ]
    story.add(
        _table(
            [
                ColumnSpec("What", lambda r: r[0], 2.2),
                ColumnSpec("When", lambda r: r[1], 1.4),
                ColumnSpec("Note", lambda r: r[2], 3.4),
            ],
            rows,
            width,
            empty_text="No dates recorded.",
        )
    )
    if d.criteria:
        story.add(*_h3("Evaluation criteria"))
        story.add(
            _table(
                [
                    ColumnSpec("Criterion", lambda c: c.name, 3),
                    ColumnSpec("Kind", lambda c: c.kind.label, 1.2),
                    ColumnSpec("Lot", lambda c: c.lot_number or "All", 0.7),
                    ColumnSpec(
                        "Weight", lambda c: f"{c.weight.normalize():f}%" if c.weight is not None else "", 0.8, "right"
                    ),
                ],
                d.criteria,
                width,
            )
        )


def _profile(story: _Story) -> None:
    data, width = story.data, story.doc.width
    p = data.profile
    fed = p.federation
    story.add(story.heading("Organisation profile"))
    if fed is not None:
        address = ", ".join(filter(None, [(fed.address or "").replace("\n", ", "), fed.postcode]))
        pairs = [
            ("Legal name", fed.legal_name or fed.name),
            ("Companies House number", fed.companies_house_number or ""),
            ("CQC provider ID", fed.cqc_provider_id or ""),
            ("VAT number", fed.vat_number or ""),
            ("Registered office", address),
            ("Contact", " · ".join(filter(None, [fed.phone, fed.email, fed.website]))),
        ]
        story.add(_pairs(pairs, width), Spacer(1, 6))
    story.add(
        safe_paragraph(
            f"{len(p.practices)} member practices in {p.pcns} primary care networks, with {p.registered_population:,} "
            f"registered patients ({p.adjusted_population:,} adjusted population) and {p.staff_total:,} staff in post "
            f"on {format_date(data.submission_date)}."
        )
    )
    if p.ratings:
        story.add(
            safe_paragraph(
                "CQC ratings of member practices: " + ", ".join(f"{label} {n}" for label, n in p.ratings) + "."
            )
        )
    story.add(*_h3("Member practices"))
    story.add(
        _table(
            [
                ColumnSpec("ODS code", lambda r: r.ods_code, 0.9),
                ColumnSpec("Practice", lambda r: r.name, 3),
                ColumnSpec("PCN", lambda r: r.pcn or "", 2),
                ColumnSpec("List size", lambda r: f"{r.list_size:,}" if r.list_size is not None else "", 1, "right"),
                ColumnSpec("CQC rating", lambda r: r.cqc_rating.label if r.cqc_rating else "Not recorded", 1.6),
            ],
            p.practices,
            width,
            empty_text="No member practices recorded.",
        )
    )
    story.add(*_h3("Workforce by role"))
    story.add(
        _table(
            [
                ColumnSpec("Role", lambda r: r.role, 3),
                ColumnSpec("Clinical", lambda r: "Yes" if r.clinical else "No", 0.9),
                ColumnSpec("People", lambda r: f"{r.people:,}", 0.9, "right"),
                ColumnSpec("Whole-time equivalent", lambda r: f"{r.fte:,.1f}", 1.4, "right"),
            ],
            p.workforce,
            width,
            empty_text="No staff recorded.",
        )
    )


def _rag(percent: float) -> str:
    return "green" if percent >= 95 else "amber" if percent >= 80 else "red"


def _compliance(story: _Story) -> None:
    data, width = story.data, story.doc.width
    story.add(story.heading("Workforce compliance"))
    story.add(safe_paragraph(data.compliance_note))
    if data.compliance is not None:
        story.add(
            _table(
                [
                    ColumnSpec("Role", lambda r: r.label, 3),
                    ColumnSpec("Compliant", lambda r: f"{r.compliant:,}", 1, "right"),
                    ColumnSpec("Staff", lambda r: f"{r.total:,}", 1, "right"),
                    ColumnSpec("Compliant %", lambda r: f"{r.percent:.1f}%", 1.1, "right"),
                ],
                data.compliance,
                width,
                empty_text="No staff to report on.",
                rag_column=3,
                rag_of=lambda r: _rag(r.percent),
            )
        )


def _insurance(story: _Story) -> None:
    data, width = story.data, story.doc.width
    story.add(story.heading("Insurance schedule"))
    story.add(safe_paragraph(f"Policies held and valid on the submission date, {format_date(data.submission_date)}."))
    story.add(
        _table(
            [
                ColumnSpec("Cover", lambda r: r.type_label, 1.5),
                ColumnSpec("Insurer", lambda r: r.insurer, 1.3),
                ColumnSpec("Policy number", lambda r: r.policy_number, 1.7),
                ColumnSpec(
                    "Limit", lambda r: format_money(r.limit) if r.limit is not None else "No stated limit", 1.2, "right"
                ),
                ColumnSpec("Excess", lambda r: format_money(r.excess) if r.excess is not None else "", 0.8, "right"),
                ColumnSpec("Period", lambda r: f"{format_date(r.start)} to {format_date(r.end)}", 2.1),
            ],
            data.insurance,
            width,
            empty_text="No insurance policy is recorded as valid on the submission date.",
        )
    )


def _answers(story: _Story) -> None:
    data = story.data
    s = _styles()
    story.add(story.heading("Answers"))
    lots = {lot.id: lot.number for lot in data.detail.lots}
    for done, q in enumerate(data.questions):
        if done % 10 == 0:
            story.doc.progress.update(done, len(data.questions), "Laying out the answers ...")
        # Keep a question's heading with its start without keepWithNext (which lays the group out twice).
        story.add(CondPageBreak(150))
        story.add(story.heading(f"Question {q.number}", 1, f"Question {q.number}: {' '.join(q.text.split())}"))
        meta = [
            f"Weighting {q.weighting.normalize():f}%" if q.weighting is not None else None,
            f"Limit {q.answer_limit:,} {q.count_rule.unit}" if q.answer_limit else "No limit",
            f"Lot {lots[q.lot_id]}" if q.lot_id in lots else None,
            q.section,
        ]
        story.add(Paragraph(escape(" · ".join(m for m in meta if m)), s["meta"]))
        story.add(Paragraph(escape(q.text).replace("\n", "<br/>"), s["question"]))
        story.add(*_answer_flowables(q.answer))
        story.add(Paragraph(escape(_count_caption(q)), s["count"]))


def _pricing(story: _Story) -> None:
    data, width = story.data, story.doc.width
    story.add(story.heading("Pricing schedule"))
    lots = {lot.id: lot.number for lot in data.detail.lots}
    columns = [ColumnSpec("Item", lambda r: r.item, 3)]
    if any(p.lot_id for p in data.price_lines):
        columns.append(ColumnSpec("Lot", lambda r: lots.get(r.lot_id, ""), 0.6))
    columns += [
        ColumnSpec("Unit", lambda r: r.unit or "", 1),
        ColumnSpec("Quantity", lambda r: f"{r.quantity.normalize():,f}", 1, "right"),
        ColumnSpec("Unit price", lambda r: format_money(r.unit_price, pence=True), 1.1, "right"),
        ColumnSpec("Total", lambda r: format_money(r.total, pence=True), 1.2, "right"),
    ]
    story.add(_table(columns, data.price_lines, width, empty_text="No pricing lines recorded."))
    if data.price_lines:
        total = sum((p.total for p in data.price_lines), start=data.price_lines[0].total * 0)
        story.add(
            Spacer(1, 4),
            markup_paragraph(f"<b>Total price: {escape(format_money(total, pence=True))}</b>", "Body"),
        )


def _policies(story: _Story) -> None:
    data, width = story.data, story.doc.width
    story.add(story.heading("Policies"))
    appended = {a.evidence.document_id: a.letter for a in story.doc.appendices}
    story.add(
        _table(
            [
                ColumnSpec("Policy", lambda r: r.name, 3),
                ColumnSpec("Version or reference", lambda r: r.reference or "", 1.4),
                ColumnSpec("Review or expiry", lambda r: format_date(r.expires_on), 1.1),
                ColumnSpec("File", lambda r: r.filename or "not attached", 1.8),
                ColumnSpec("Appendix", lambda r: appended.get(r.document_id or 0, ""), 1.0),
            ],
            data.policies,
            width,
            empty_text="No policies are listed on this tender's documents checklist.",
        )
    )


def _evidence_index(story: _Story) -> None:
    data, doc, width = story.data, story.doc, story.doc.width
    story.add(story.heading("Evidence appended"))
    if doc.appendices:
        story.add(safe_paragraph("These documents follow, each with a bookmark of its own."))
        story.add(
            _table(
                [
                    ColumnSpec("Appendix", lambda a: a.letter, 0.8),
                    ColumnSpec("Document", lambda a: a.evidence.title, 3),
                    ColumnSpec("File", lambda a: a.evidence.filename, 2.2),
                    ColumnSpec("Pages", lambda a: str(len(a.sizes)), 0.7, "right"),
                ],
                doc.appendices,
                width,
            )
        )
    else:
        story.add(safe_paragraph("No evidence files are attached.", "Muted"))
    if data.not_appended:
        story.add(
            safe_paragraph(
                "Listed but not appended (not PDF or image files): " + "; ".join(data.not_appended) + ".", "Muted"
            )
        )
    for appendix in doc.appendices:
        story.entries.append(
            ContentsEntry(1, appendix.title, appendix.key, lambda total, a=appendix: total + a.offset + 1)
        )


def _contents_pages(doc: BidPackDocument, entries: list[ContentsEntry]) -> list[Flowable]:
    """The contents: a heading, then blocks of one-line entries filling each page (known height, no second pass)."""
    padding = 12 + 2  # the frame's own padding, and a margin for rounding
    heading_room = 4 + 22 + 10  # H1: space before, leading, space after
    first = int((doc.height - padding - heading_room) // CONTENTS_LEADING)
    per_page = int((doc.height - padding) // CONTENTS_LEADING)
    out: list[Flowable] = [Paragraph("Contents", style("H1"))]
    chunk, rest = entries[:first], entries[first:]
    out.append(ContentsBlock(doc, chunk))
    while rest:
        chunk, rest = rest[:per_page], rest[per_page:]
        out += [PageBreak(), ContentsBlock(doc, chunk)]
    out.append(PageBreak())
    return out


# ---- appendices ----------------------------------------------------------------------------------------------


def _plan_appendices(evidence: list[EvidenceFile]) -> list[Appendix]:
    from pypdf import PdfReader

    appendices: list[Appendix] = []
    offset = 0
    for i, item in enumerate(evidence):
        letter = _letter(i)
        if item.media_type == PDF:
            reader = PdfReader(io.BytesIO(item.data))
            boxes = [PageBox.of(page) for page in reader.pages]
            appendix = Appendix(letter, item, [b.shown_size for b in boxes], reader, offset, boxes)
        else:
            iw, ih = ImageReader(io.BytesIO(item.data)).getSize()
            appendix = Appendix(letter, item, [landscape(A4) if iw > ih * 1.2 else A4], None, offset)
        offset += len(appendix.sizes)
        appendices.append(appendix)
    return appendices


def _letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters


class _Raw(PDFObject):
    """Bytes written as they are (an evidence file's object, already serialised at format time)."""

    def __init__(self, render: Callable[[Any], bytes]) -> None:
        self.render = render

    def format(self, document: Any) -> bytes:
        return self.render(document)


class _RawStream(_Raw):
    __RefOnly__ = 1  # a stream is always an indirect object


class _EvidenceObjects:
    """Carries an evidence PDF's pages into this document as form XObjects, object by object: each object is
    written as the evidence file has it (compressed streams stay compressed), with its references renumbered."""

    def __init__(self, document: Any, prefix: str) -> None:
        self.document = document
        self.prefix = prefix
        self.names: dict[tuple[int, int], str] = {}

    def _name_of(self, ref: Any) -> str:
        key = (ref.idnum, ref.generation)
        name = self.names.get(key)
        if name is None:
            name = f"{self.prefix}.{ref.idnum}.{ref.generation}"
            self.names[key] = name
            target = ref.get_object()
            wrapper = (
                _RawStream(lambda d, o=target: self._stream(o, d))
                if _is_stream(target)
                else _Raw(lambda d, o=target: self._direct(o, d))
            )
            self.document.Reference(wrapper, name)
            self._walk(target)
        return name

    def _walk(self, obj: Any) -> None:
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

        if isinstance(obj, IndirectObject):
            self._name_of(obj)
        elif isinstance(obj, DictionaryObject):
            for value in dict.values(obj):
                self._walk(value)
        elif isinstance(obj, ArrayObject):
            for value in list.__iter__(obj):
                self._walk(value)

    def _direct(self, obj: Any, document: Any) -> bytes:
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

        if isinstance(obj, IndirectObject):
            return PDFObjectReference(self._name_of(obj)).format(document)
        if isinstance(obj, DictionaryObject):
            parts = [b"<<"]
            for key, value in dict.items(obj):
                parts += [_pdf_bytes(key), b" ", self._direct(value, document)]
            return b" ".join(parts) + b" >>"
        if isinstance(obj, ArrayObject):
            return b"[" + b" ".join(self._direct(v, document) for v in list.__iter__(obj)) + b"]"
        return _pdf_bytes(obj)

    def _stream(self, obj: Any, document: Any, extra: dict[str, Any] | None = None, data: bytes | None = None) -> bytes:
        from pypdf.generic import DictionaryObject, NameObject, NumberObject

        raw = obj._data if data is None else data
        header = DictionaryObject({k: v for k, v in dict.items(obj) if k != "/Length"})
        for key, value in (extra or {}).items():
            header[NameObject(key)] = value
        header[NameObject("/Length")] = NumberObject(len(raw))
        return self._direct(header, document) + b"\nstream\n" + raw + b"\nendstream"

    def add_page(self, page: Any, box: PageBox, form_name: str) -> None:
        """Register the page as a form XObject named ``form_name`` (see ``xObjectName``)."""
        from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, StreamObject

        resources = page.get("/Resources")
        resources = resources if resources is not None else DictionaryObject()
        self._walk(dict.get(page, "/Resources"))
        contents = dict.get(page, "/Contents")
        resolved = contents.get_object() if contents is not None else None
        extra = {
            "/Type": NameObject("/XObject"),
            "/Subtype": NameObject("/Form"),
            "/BBox": ArrayObject(FloatObject(v) for v in (box.left, box.bottom, box.right, box.top)),
            "/Resources": dict.get(page, "/Resources") or resources,
        }
        if isinstance(resolved, StreamObject):
            stream: Any = resolved
            data = None
        else:  # several content streams (or none): joined, uncompressed
            stream = StreamObject()
            data = page.get_contents().get_data() if resolved is not None else b""
        self.document.Reference(_RawStream(lambda d: self._stream(stream, d, extra, data)), xObjectName(form_name))


def _is_stream(obj: Any) -> bool:
    from pypdf.generic import StreamObject

    return isinstance(obj, StreamObject)


def _pdf_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()


def _placement(box: PageBox) -> str:
    """The matrix that puts a page's box at the origin, turned as its /Rotate asks."""
    left, bottom, width, height = box.left, box.bottom, box.width, box.height
    if box.rotate == 90:
        return f"0 -1 1 0 {-bottom:.3f} {width + left:.3f}"
    if box.rotate == 180:
        return f"-1 0 0 -1 {width + left:.3f} {height + bottom:.3f}"
    if box.rotate == 270:
        return f"0 1 -1 0 {height + bottom:.3f} {-left:.3f}"
    return f"1 0 0 1 {-left:.3f} {-bottom:.3f}"


# ---- building ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltBidPack:
    path: Path
    pages: int
    appendices: int
    warnings: list[Problem]


def report_info(data: BidPackData) -> ReportInfo:
    d = data.detail
    fed = data.profile.federation
    organisation = fed.name if fed else ""
    reference = " · ".join(filter(None, [d.reference, d.buyer_reference]))
    return ReportInfo(
        title=f"Bid pack: {d.title}",
        author=organisation or data.produced_by,
        organisation=organisation,
        subject=f"{d.reference} for {d.buyer.name}" if d.buyer else d.reference,
        reference=reference,
        confidentiality="Commercial in confidence",
    )


def render_bid_pack(data: BidPackData, target: Path, progress: Progress | None = None) -> int:
    """Write the bid pack for ``data`` to ``target``; returns the number of pages."""
    progress = progress or NullProgress()
    info = report_info(data)
    progress.update(0, None, "Reading the evidence files ...")
    appendices = _plan_appendices(data.evidence)
    buffer = io.BytesIO()
    doc = BidPackDocument(buffer, info, appendices, progress)
    story = _Story(doc, data)
    _cover(story)
    cover = story.flowables
    story.flowables = []
    for section in (_summary, _profile, _compliance, _insurance, _answers, _pricing, _policies, _evidence_index):
        if section is not _summary:
            story.add(PageBreak())
        section(story)
    body = story.flowables
    flowables = [*cover, *start_body(), *_contents_pages(doc, story.entries), *body]
    progress.update(0, None, "Laying out the pages ...")
    doc.build_story(flowables)
    Path(target).write_bytes(buffer.getvalue())
    return doc.story_pages + sum(len(a.sizes) for a in appendices)


def build_bid_pack(
    database: Any,
    tender: int | str,
    target: Path,
    progress: Progress | None = None,
    today: date | None = None,
) -> BuiltBidPack:
    """Pre-flight, then gather and render the bid pack into ``target`` atomically. Raises BidPackBlocked (nothing
    written) when the pre-flight finds blockers. ``tender`` is the tender's id or reference."""
    progress = progress or NullProgress()
    progress.update(0, None, "Checking the bid is ready ...")
    with database.session() as session:
        tender_id = tender if isinstance(tender, int) else find_tender(session, tender).id
        check: Preflight = preflight(session, tender_id, today)
        if not check.ok:
            raise BidPackBlocked(check)
        data = gather_bid_pack(session, tender_id, database.actor, progress)
    pages = 0

    def build(tmp: Path) -> None:
        nonlocal pages
        pages = render_bid_pack(data, tmp, progress)

    path = write_pdf_atomically(Path(target), build)
    progress.update(1, 1, "Bid pack ready.")
    return BuiltBidPack(path, pages, len(data.evidence), check.warnings)


def demo_bid_pack(database: Any, path: Path) -> Path:
    """The demo federation's complete bid (for ``demo-pdfs``)."""
    from federation_desk.services.demo_tenders import COMPLETE_BID_REFERENCE

    return build_bid_pack(database, COMPLETE_BID_REFERENCE, path).path
