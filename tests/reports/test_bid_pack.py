"""The bid pack read back (pypdf, pdftotext): contents entries and their pages, every answer and every awkward
name as text, the footer on every page (appended ones too), a bookmark per attachment pointing at its page,
metadata; the pre-flight stops the build with its message; awkward evidence files; the command line."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject

from federation_desk.cli import main
from federation_desk.db.session import Database
from federation_desk.domain.tenders import DocumentCategory, KeyDateKind, QuestionStatus
from federation_desk.reports.bid_pack import build_bid_pack
from federation_desk.services import tenders as ts
from federation_desk.services.bid_pack import BidPackBlocked, compliance_matrix, preflight
from federation_desk.services.demo_tenders import complete_bid_reference, simple_pdf
from federation_desk.services.documents import store_document
from tests.conftest import FIXED_TODAY
from tests.pdf import layout_text, normalise, page_texts

WEIRD = ["Siobhán Ní Bhriain", "Łukasz Wiśniewski", "<b>monthly</b> & on request", "Workforce & <clinical> governance"]


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every outline entry."""
    found: list[tuple[int, str, int]] = []

    def walk(items: list[object], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))  # type: ignore[attr-defined]

    walk(reader.outline, 0)
    return found


@pytest.fixture
def built(demo_db: Database, tmp_path: Path) -> tuple[Path, Database, str]:
    with demo_db.session() as s:
        reference = complete_bid_reference(s)
    path = tmp_path / "bid pack.pdf"
    result = build_bid_pack(demo_db, reference, path, today=FIXED_TODAY)
    assert result.path == path and result.appendices > 10
    return path, demo_db, reference


def test_bid_pack_reads_back(built: tuple[Path, Database, str]) -> None:
    path, db, reference = built
    reader = PdfReader(str(path))
    texts = page_texts(path)
    total = len(texts)
    assert total == len(reader.pages) > 30
    # The footer is on every page, appended evidence included.
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text, number
        assert "Commercial in confidence" in text and reference in text
    everything = normalise(" ".join(texts))
    with db.session() as s:
        detail = ts.find_tender(s, reference)
        questions = ts.list_questions(s, detail.id)
    # Every answer is in the PDF as text, literally (tags and ampersands included), with its count and limit.
    for q in questions:
        for line in ts.portal_text(q.answer).split("\n"):
            if line.strip():
                assert normalise(line) in everything, line[:60]
        assert f"{q.count:,} / {q.answer_limit:,}" in everything
    for name in WEIRD:
        assert name in everything
    assert "Words used:" in everything and "Characters used (with spaces):" in everything
    # Contents: each entry's page number is the page where that section or question starts.
    contents = layout_text(path, 2) + layout_text(path, 3)
    entries = re.findall(
        r"^\s*(Question \d+|Organisation profile|Insurance schedule|Pricing schedule)\b.*?(\d+)\s*$",
        contents,
        re.MULTILINE,
    )
    assert len(entries) >= len(questions) + 3
    for title, page in entries:
        assert normalise(texts[int(page) - 1]).find(title) >= 0, (title, page)
    # Bookmarks: sections, questions, and one per appendix pointing at the appendix's first page.
    outline = _outline(reader)
    appendices = [(title, page) for depth, title, page in outline if title.startswith("Appendix ")]
    assert len(appendices) >= 10
    for title, _page in appendices:
        assert f"Appendix {title.split()[1].rstrip(':')}" in contents
    first_pdf = texts[appendices[0][1]]
    assert "Certificate of incorporation" in first_pdf
    assert any(t == "Question 1" for _d, t, _p in outline)
    meta = reader.metadata
    assert meta is not None and meta.title.startswith("Bid pack: ") and meta.author == "Northdale Health Federation"


def test_destinations_are_xyz(built: tuple[Path, Database, str]) -> None:
    path, _db, _ref = built
    raw = path.read_bytes()
    assert b"/XYZ" in raw and b"/Fit " not in raw and b"/Fit]" not in raw


def test_a_preflight_blocker_stops_the_build_with_its_message(demo_db: Database, tmp_path: Path) -> None:
    with demo_db.session() as s:
        tender = next(t for t in ts.list_tenders(s, FIXED_TODAY) if t.title == "Community Phlebotomy Service")
        check = preflight(s, tender.id, FIXED_TODAY)
    messages = [b.message for b in check.blockers]
    assert "Question 3 has no answer." in messages
    assert any("question 2 is over its limit: 140 / 100 words" in m for m in messages)
    assert any("'CQC registration certificate' has no file attached" in m for m in messages)
    assert {b.tab for b in check.blockers} == {"questions", "documents"}
    out = tmp_path / "out"
    target = out / "not-built.pdf"
    with pytest.raises(BidPackBlocked) as err:
        build_bid_pack(demo_db, tender.reference, target, today=FIXED_TODAY)
    assert "Question 3 has no answer." in err.value.message and "was not built" in err.value.message
    assert not target.exists() and (not out.exists() or list(out.iterdir()) == [])


def _png(width: int, height: int) -> bytes:
    """A small valid PNG (blue), written by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x00\x5e\xb8" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _evidence_tender(db: Database) -> int:
    """A small tender whose evidence is awkward: rotated, several content streams, an image, a Word file."""
    rotated = PdfWriter()
    rotated.append(PdfReader(io.BytesIO(simple_pdf("Rotated certificate", ["Turned a quarter."]))))
    rotated.pages[0].rotate(90)
    split = PdfWriter()
    split.append(PdfReader(io.BytesIO(simple_pdf("Split streams", ["First part."]))))
    page = split.pages[0]
    extra = DecodedStreamObject()
    extra.set_data(b"BT /F1 12 Tf 72 400 Td (Second stream text) Tj ET")
    page[NameObject("/Contents")] = ArrayObject([page.raw_get("/Contents"), split._add_object(extra)])
    files = {}
    for name, writer in (("rotated.pdf", rotated), ("split.pdf", split)):
        buffer = io.BytesIO()
        writer.write(buffer)
        files[name] = buffer.getvalue()
    png = _png(40, 20)
    files["logo.png"] = png
    files["policy.docx"] = b"PK\x03\x04" + b"word/document.xml" + b"\x00" * 64
    with db.unit_of_work() as s:
        form = ts.TenderForm(reference="T-EV-1", title="Evidence & <b>test</b>")
        tid = ts.save_tender(s, form, today=FIXED_TODAY).ids[0]
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.SUBMISSION_DEADLINE, FIXED_TODAY + timedelta(days=7)))
        ts.save_question(s, tid, ts.QuestionForm("1", "Tell us <everything> & more", "50"))
        for name in files:
            ts.save_required_document(s, tid, ts.RequiredDocumentForm(name, DocumentCategory.OTHER, mandatory=False))
    with db.unit_of_work() as s:
        q = ts.list_questions(s, tid)[0]
        ts.save_answer(s, q.id, "- first point with <b>\n- second & last", q.version, QuestionStatus.FINAL)
        for line in ts.list_required_documents(s, tid):
            doc_id, _c = store_document(s, line.name, files[line.name])
            ts.use_existing_document(s, line.id, line.version, doc_id)
    return tid


def test_awkward_evidence_is_appended_or_listed(sqlite_db: Database, tmp_path: Path) -> None:
    tid = _evidence_tender(sqlite_db)
    with sqlite_db.session() as s:
        check = preflight(s, tid, FIXED_TODAY)
        matrix = compliance_matrix(s, tid)
    assert check.ok, check.blockers
    assert any("policy.docx" in w.message and "not appended" in w.message for w in check.warnings)
    assert [m.status for m in matrix if m.kind == "Question"] == ["Final"]
    path = build_bid_pack(sqlite_db, tid, tmp_path / "evidence.pdf", today=FIXED_TODAY).path
    reader = PdfReader(str(path))
    texts = [normalise(t) for t in page_texts(path)]
    everything = " ".join(texts)
    assert "Evidence & <b>test</b>" in everything and "Tell us <everything> & more" in everything
    assert "first point with <b>" in everything and "second & last" in everything
    assert "Listed but not appended" in everything and "policy.docx" in everything
    outline = {title: page for _d, title, page in _outline(reader)}
    rotated = outline["Appendix A: rotated.pdf"]
    assert "Rotated certificate" in texts[rotated]
    width, height = reader.pages[rotated].mediabox.width, reader.pages[rotated].mediabox.height
    assert width > height  # the turned page is shown landscape
    split = outline["Appendix B: split.pdf"]
    assert "First part." in texts[split] and "Second stream text" in texts[split]
    assert "Appendix C: logo.png" in outline
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {len(texts)}" in text


def test_encrypted_evidence_is_a_blocker(sqlite_db: Database, tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(simple_pdf("Secret", ["Locked."]))))
    writer.encrypt("open sesame")
    buffer = io.BytesIO()
    writer.write(buffer)
    with sqlite_db.unit_of_work() as s:
        tid = ts.save_tender(s, ts.TenderForm(reference="T-EV-2", title="Locked"), today=FIXED_TODAY).ids[0]
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.SUBMISSION_DEADLINE, FIXED_TODAY + timedelta(days=7)))
        ts.save_required_document(s, tid, ts.RequiredDocumentForm("Accounts", DocumentCategory.ACCOUNTS))
    with sqlite_db.unit_of_work() as s:
        line = ts.list_required_documents(s, tid)[0]
        ts.attach_evidence(s, line.id, line.version, "accounts.pdf", buffer.getvalue())
    with sqlite_db.session() as s:
        check = preflight(s, tid, FIXED_TODAY)
    assert [b.message for b in check.blockers] == [
        "'accounts.pdf' (for 'Accounts') is password protected, so it cannot be appended."
    ]


def test_expired_evidence_and_missing_insurance_block(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work() as s:
        tid = ts.save_tender(s, ts.TenderForm(reference="T-EV-3", title="Expired"), today=FIXED_TODAY).ids[0]
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.SUBMISSION_DEADLINE, date(2026, 12, 10)))
        ts.save_required_document(
            s,
            tid,
            ts.RequiredDocumentForm("CQC certificate", DocumentCategory.CERTIFICATE, expires_on=date(2026, 12, 1)),
        )
        ts.save_required_document(
            s,
            tid,
            ts.RequiredDocumentForm(
                "Public liability", DocumentCategory.INSURANCE, insurance_type="public liability", minimum_limit="£10m"
            ),
        )
    with sqlite_db.unit_of_work() as s:
        line = ts.list_required_documents(s, tid)[0]
        ts.attach_evidence(s, line.id, line.version, "cqc.pdf", simple_pdf("CQC", ["Registered."]))
    with sqlite_db.session() as s:
        check = preflight(s, tid, FIXED_TODAY)
    messages = [b.message for b in check.blockers]
    assert "Mandatory document 'CQC certificate': Expired 01/12/2026, before the submission date." in messages
    assert any(
        "No public liability policy of at least £10,000,000 is valid on the submission date 10/12/2026" in m
        for m in messages
    )


def test_command_line_bidpack(demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_path)
    assert main(["--db", db, "tenders", "list"]) == 0
    out = capsys.readouterr().out
    assert "Same Day Urgent Care" in out and "9 tenders." in out
    reference = next(line.split()[0] for line in out.splitlines() if "Same Day Urgent Care" in line)
    target = tmp_path / "cli.pdf"
    assert main(["--db", db, "bidpack", reference, "-o", str(target)]) == 0
    assert "Wrote" in capsys.readouterr().out and len(PdfReader(str(target)).pages) > 30
    blocked = next(line.split()[0] for line in out.splitlines() if "Phlebotomy" in line)
    assert main(["--db", db, "bidpack", blocked, "-o", str(tmp_path / "no.pdf")]) == 1
    err = capsys.readouterr().err
    assert "was not built" in err and "Question 3 has no answer." in err
    assert not (tmp_path / "no.pdf").exists()
    assert main(["--db", db, "bidpack", "T-NOPE", "-o", str(tmp_path / "x.pdf")]) == 1
    assert "could not be found" in capsys.readouterr().err
