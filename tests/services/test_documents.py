from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from federation_desk.db.session import Database
from federation_desk.domain.documents import Document
from federation_desk.errors import FileTooLarge, UnsupportedFile
from federation_desk.services import documents as docs

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.mark.parametrize(
    "data,media",
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0JFIF", "image/jpeg"),
        (b"Name,Role\nZo\xc3\xab,GP\n", "text/plain"),
        (b"PK\x03\x04....word/document.xml", docs._OOXML["word/"]),
        (b"\x00\x01\x02\x03binary", None),
    ],
)
def test_media_type_is_sniffed_from_content(data: bytes, media: str | None) -> None:
    assert docs.sniff_media_type(data) == media


def test_store_attach_list_and_read_back(database: Database) -> None:
    with database.unit_of_work() as s:
        doc_id, _ = docs.store_document(s, "DBS – Łukasz.pdf", PDF, attach_to=("staff_member", 7), purpose="DBS")
        again, _ = docs.store_document(s, "copy.pdf", PDF, attach_to=("practice", 1))
    assert again == doc_id  # same bytes stored once
    with database.session() as s:
        (row,) = docs.list_documents(s, "staff_member", 7)
        name, media, data = docs.document_bytes(s, doc_id)
    assert (row.filename, row.media_type, row.purpose, row.sha256) == (
        "DBS – Łukasz.pdf",
        "application/pdf",
        "DBS",
        hashlib.sha256(PDF).hexdigest(),
    )
    assert (name, media, data) == ("DBS – Łukasz.pdf", "application/pdf", PDF)


def test_a_disguised_file_is_refused(database: Database) -> None:
    with pytest.raises(UnsupportedFile, match="not a kind of file"), database.unit_of_work() as s:
        docs.store_document(s, "certificate.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00")  # a Windows program
    with database.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 0


def test_over_the_limit_is_refused_with_sizes(database: Database) -> None:
    big = b"%PDF-" + b"0" * docs.MAX_DOCUMENT_BYTES
    with pytest.raises(FileTooLarge) as err, database.unit_of_work() as s:
        docs.store_document(s, "scan.pdf", big)
    assert "25.0 MB" in err.value.message and "compressed PDF" in err.value.what_to_do


def test_a_300_mb_file_is_refused_before_it_is_read(tmp_path: Path, sqlite_db: Database) -> None:
    huge = tmp_path / "huge-scan.pdf"
    with huge.open("wb") as fh:  # sparse: 300 MB on paper, nothing on disk
        fh.seek(300 * 1024 * 1024 - 1)
        fh.write(b"\0")
    with pytest.raises(FileTooLarge, match=r"300\.0 MB"), sqlite_db.unit_of_work() as s:
        docs.attach_file(s, huge, ("practice", 1))
    with sqlite_db.session() as s:
        assert s.scalar(select(func.count(Document.id))) == 0


def test_export_writes_a_safe_file_name(tmp_path: Path, sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work() as s:
        doc_id, _ = docs.store_document(s, "../../evil<b>.pdf", PDF)
    with sqlite_db.session() as s:
        path = docs.export_document(s, doc_id, tmp_path / "open")
    assert path.parent == tmp_path / "open" and path.read_bytes() == PDF and "<" not in path.name
