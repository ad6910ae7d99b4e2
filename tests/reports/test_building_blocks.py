"""The shared report blocks: Unicode font, escaped user text, contents with page numbers, outline, page x of y,
metadata, atomic writing."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.platypus import PageBreak

from federation_desk.reports.flowables import Heading, safe_paragraph
from federation_desk.reports.tables import ColumnSpec, build_table, key_value_table
from federation_desk.reports.templates import (
    ReportDocument,
    ReportInfo,
    contents_page,
    start_body,
    write_pdf_atomically,
)
from tests.pdf import layout_text, normalise, outline_titles, page_texts

WEIRD = ["Łukasz Wiśniewski", "Thảo Nguyễn", "Siobhán Ní Bhriain", "Zoë Brontë-Smith", "Alex <b> O'Neil & Sons"]


def _build(path: Path) -> None:
    info = ReportInfo(title="Test report", author="Tester", organisation="Northdale", reference="REF-001")
    doc = ReportDocument(path, info)
    story = [safe_paragraph("Cover page", "CoverTitle"), *start_body(), *contents_page()]
    for i in range(3):
        story.append(Heading(f"Section {i + 1} for {WEIRD[i]}"))
        story.append(safe_paragraph(f"An answer with <b>tags</b> & ampersands for {WEIRD[4]}."))
        rows = [(name, n) for n, name in enumerate(WEIRD * 20)]
        story.append(
            build_table(
                [ColumnSpec("Name", lambda r: r[0], 3), ColumnSpec("N", lambda r: r[1], 1, "right")], rows, doc.width
            )
        )
        story.append(PageBreak())
    story.append(key_value_table([("Federation", "Northdale <Ltd>")], doc.width))
    doc.build_story(story)


def test_report_reads_back_with_contents_footer_outline_and_literal_text(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    _build(path)
    texts = page_texts(path)
    total = len(texts)
    assert total >= 6
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text
        assert "Commercial in confidence" in text and "REF-001" in text
    everything = normalise(" ".join(texts))
    for name in WEIRD:
        assert name in everything
    assert "An answer with <b>tags</b> & ampersands" in everything
    assert "Northdale <Ltd>" in everything
    # Contents entries point at the pages where the sections start.
    contents = layout_text(path, 2)
    for i in range(3):
        title = f"Section {i + 1} for {WEIRD[i]}"
        start = next(n for n, t in enumerate(texts, start=1) if title in normalise(t) and n != 2)
        assert re.search(rf"{re.escape(title)}[ .]*{start}\s*$", contents, re.MULTILINE), contents
    assert [t for t in outline_titles(path) if t.startswith("Section")] == [
        f"Section {i + 1} for {WEIRD[i]}" for i in range(3)
    ]
    meta = PdfReader(str(path)).metadata
    assert meta is not None and meta.title == "Test report" and meta.author == "Tester"


def test_atomic_write_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.pdf"

    def broken(tmp: Path) -> None:
        tmp.write_bytes(b"%PDF-half")
        raise RuntimeError("build failed")

    with pytest.raises(RuntimeError):
        write_pdf_atomically(target, broken)
    assert not target.exists() and os.listdir(target.parent) == []
    write_pdf_atomically(target, _build)
    assert target.exists() and [p.name for p in target.parent.iterdir()] == ["report.pdf"]
