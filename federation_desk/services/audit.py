"""Reading the audit trail: the history of one record (and of records that belong to it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.base import Base

_LABELS: dict[str, str] = {}


def table_label(table_name: str) -> str:
    """What a person calls a row of ``table_name`` ("practice", "DBS check")."""
    if not _LABELS:
        for mapper in Base.registry.mappers:
            cls = mapper.class_
            _LABELS[cls.__tablename__] = cls.audit_label()
    return _LABELS.get(table_name, table_name.replace("_", " "))


def field_label(field: str | None) -> str:
    return "" if not field else field.replace("_", " ")


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    actor: str
    action: str
    what: str  # "practice", "DBS check" ...
    row_id: str | None
    field: str
    old_value: str
    new_value: str


def _describe_snapshot(text: str | None) -> str:
    if not text:
        return ""
    if not text.startswith("{"):
        return text
    try:
        values = json.loads(text)
    except ValueError:
        return text
    shown = [f"{field_label(k)}: {v}" for k, v in values.items() if v not in (None, "")]
    return "; ".join(shown)


def record_history(
    session: Session, table_name: str, row_id: int, related: Sequence[tuple[str, Sequence[int]]] = (), limit: int = 2000
) -> list[HistoryRow]:
    """Changes to one record and to records that belong to it (``related``: ``[(table, ids), ...]``), newest first."""
    conditions = [and_(AuditEntry.table_name == table_name, AuditEntry.row_id == str(row_id))]
    for table, ids in related:
        if ids:
            conditions.append(and_(AuditEntry.table_name == table, AuditEntry.row_id.in_([str(i) for i in ids])))
    entries = session.scalars(
        select(AuditEntry).where(or_(*conditions)).order_by(AuditEntry.id.desc()).limit(limit)
    ).all()
    return [
        HistoryRow(
            at=e.at,
            actor=e.actor,
            action={
                "insert": "added",
                "update": "changed",
                "delete": "deleted",
                "bulk": "imported",
                "erase": "erased",
            }.get(e.action, e.action),
            what=table_label(e.table_name),
            row_id=e.row_id,
            field=field_label(e.field),
            old_value=_describe_snapshot(e.old_value) if e.action == "delete" else (e.old_value or ""),
            new_value=_describe_snapshot(e.new_value) if e.action in ("insert", "bulk") else (e.new_value or ""),
        )
        for e in entries
    ]
