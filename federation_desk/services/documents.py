"""The documents store: file bytes kept in the database with their SHA-256 and a media type sniffed from the
content (never trusted from the file name), with a size limit and a clear refusal above it."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from federation_desk.domain.documents import Document, DocumentLink
from federation_desk.errors import FileTooLarge, NotFound, UnsupportedFile
from federation_desk.services.changes import Changes

MAX_DOCUMENT_BYTES = 25 * 1024 * 1024

# (magic bytes at offset 0, media type, description)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ACCEPTED_DESCRIPTION = "PDF, PNG, JPEG, GIF, TIFF, Word, Excel, PowerPoint or plain text"


@dataclass(frozen=True)
class DocumentRow:
    id: int
    version: int
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    description: str | None
    uploaded_at: datetime
    uploaded_by: str
    purpose: str | None = None


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def sniff_media_type(data: bytes) -> str | None:
    """The media type from the file's first bytes, or None when it is not a kind we accept."""
    for magic, media in _SIGNATURES:
        if data.startswith(magic):
            return media
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    if data.startswith(b"PK\x03\x04"):
        head = data[:4096]
        for marker, media in _OOXML.items():
            if marker.encode() in head:
                return media
        return "application/zip"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"  # old .doc / .xls
    sample = data[:8192]
    if sample and b"\x00" not in sample:
        try:
            sample.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError:
            try:
                sample.decode("cp1252")
                return "text/plain"
            except UnicodeDecodeError:
                return None
    return None


def _refuse_size(size: int, filename: str) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise FileTooLarge(
            f"'{filename}' is {human_size(size)}; the largest file Federation Desk stores is "
            f"{human_size(MAX_DOCUMENT_BYTES)}.",
            "Scan it at a lower resolution or save it as a compressed PDF, then attach it again.",
        )


def read_upload(path: Path) -> tuple[str, bytes]:
    """Read a file the person chose, refusing an oversized one before reading it into memory."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise UnsupportedFile(
            f"'{path.name}' could not be opened ({exc.strerror}).", "Check the file and try again."
        ) from exc
    _refuse_size(size, path.name)
    return path.name, path.read_bytes()


def store_document(
    session: Session,
    filename: str,
    data: bytes,
    *,
    description: str | None = None,
    attach_to: tuple[str, int] | None = None,
    purpose: str | None = None,
) -> tuple[int, Changes]:
    """Store a file (deduplicated by SHA-256) and optionally attach it to a record ``(table, id)``."""
    _refuse_size(len(data), filename)
    if not data:
        raise UnsupportedFile(f"'{filename}' is empty.", "Choose the file again; it may not have finished saving.")
    media = sniff_media_type(data)
    if media is None or media in {"application/zip", "application/x-ole-storage"}:
        raise UnsupportedFile(
            f"'{filename}' is not a kind of file Federation Desk keeps.",
            f"Attach a {ACCEPTED_DESCRIPTION} file.",
        )
    digest = hashlib.sha256(data).hexdigest()
    doc = session.scalars(select(Document).where(Document.sha256 == digest, Document.size_bytes == len(data))).first()
    if doc is None:
        doc = Document(
            filename=filename[:255],
            media_type=media,
            size_bytes=len(data),
            sha256=digest,
            content=data,
            description=description,
            uploaded_by=str(session.info.get("actor") or "unknown"),
        )
        session.add(doc)
        session.flush()
    if attach_to is not None:
        entity, entity_id = attach_to
        exists = session.scalar(
            select(DocumentLink.id).where(
                DocumentLink.document_id == doc.id, DocumentLink.entity == entity, DocumentLink.entity_id == entity_id
            )
        )
        if exists is None:
            session.add(DocumentLink(document_id=doc.id, entity=entity, entity_id=entity_id, purpose=purpose))
            session.flush()
    return doc.id, Changes.of("document", ids=(doc.id,), message=f"'{filename}' attached.")


def attach_file(
    session: Session, path: Path, attach_to: tuple[str, int], purpose: str | None = None
) -> tuple[int, Changes]:
    filename, data = read_upload(path)
    return store_document(session, filename, data, attach_to=attach_to, purpose=purpose)


def detach(session: Session, document_id: int, attach_to: tuple[str, int]) -> Changes:
    entity, entity_id = attach_to
    session.execute(
        delete(DocumentLink).where(
            DocumentLink.document_id == document_id, DocumentLink.entity == entity, DocumentLink.entity_id == entity_id
        )
    )
    return Changes.of("document", ids=(document_id,), message="Attachment removed.")


def list_documents(session: Session, entity: str, entity_id: int) -> list[DocumentRow]:
    rows = session.execute(
        select(Document, DocumentLink.purpose)
        .join(DocumentLink, DocumentLink.document_id == Document.id)
        .where(DocumentLink.entity == entity, DocumentLink.entity_id == entity_id)
        .order_by(Document.uploaded_at.desc())
    ).all()
    return [
        DocumentRow(
            d.id,
            d.version,
            d.filename,
            d.media_type,
            d.size_bytes,
            d.sha256,
            d.description,
            d.uploaded_at,
            d.uploaded_by,
            purpose,
        )
        for d, purpose in rows
    ]


def document_bytes(session: Session, document_id: int) -> tuple[str, str, bytes]:
    """(filename, media type, content) of a stored document, checked against its SHA-256."""
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("This document")
    data = doc.content
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        raise UnsupportedFile(
            f"The stored copy of '{doc.filename}' is damaged (its checksum does not match).",
            "Attach the file again from the original.",
        )
    return doc.filename, doc.media_type, data


def export_document(session: Session, document_id: int, folder: Path) -> Path:
    """Write a stored document to ``folder`` (to open it with the system viewer) and return the path."""
    filename, _media, data = document_bytes(session, document_id)
    safe = "".join(ch if ch.isalnum() or ch in " ._-()" else "_" for ch in filename).strip() or "document"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{document_id}-{safe}"
    tmp = target.with_name(target.name + ".partial")
    tmp.write_bytes(data)
    os.replace(tmp, target)
    return target
