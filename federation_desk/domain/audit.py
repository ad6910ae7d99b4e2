"""The audit trail: one row per inserted, changed or deleted record (and per changed field)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from federation_desk.domain.base import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    actor: Mapped[str] = mapped_column(String(120), nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False)  # insert / update / delete / bulk / erase
    table_name: Mapped[str] = mapped_column(String(80), nullable=False)
    row_id: Mapped[str | None] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(80))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_audit_entry_record", "table_name", "row_id"),
        Index("ix_audit_entry_at", "at"),
    )
