"""Documents (certificates, policies, accounts) stored in the database, and what they are attached to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from federation_desk.domain.base import Base, EntityMixin, utcnow


class Document(EntityMixin, Base):
    __tablename__ = "document"
    __audit_label__ = "document"
    __audit_redact__ = frozenset({"content"})

    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    description: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(String(120))


class DocumentLink(EntityMixin, Base):
    """Attaches a document to any record: ``entity`` is the table name, ``entity_id`` the row's id."""

    __tablename__ = "document_link"
    __audit_label__ = "attachment"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[int]
    purpose: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (Index("ix_document_link_entity", "entity", "entity_id"),)
