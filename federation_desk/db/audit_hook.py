"""Writes the audit trail from a session event, so no service can forget it.

After each flush, every inserted, changed or deleted audited record gets rows in ``audit_entry``:
an insert or a delete is one row holding the record's values as JSON; an update is one row per changed field with
the old and the new value. Who: ``session.info["actor"]``. Bulk inserts that bypass the unit of work record one
``bulk`` row through :func:`record_bulk`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history

from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.base import utcnow

UNAUDITED_FIELDS = frozenset({"version", "created_at", "updated_at"})
REDACTED = "(not recorded)"
_audit_table = AuditEntry.__table__


def to_text(value: Any) -> str | None:
    """How a value is written into the audit trail."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"({len(bytes(value))} bytes)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _audited(obj: Any) -> bool:
    return bool(getattr(type(obj), "__audited__", False))


def _snapshot(obj: Any) -> str:
    state = inspect(obj)
    redact = getattr(type(obj), "__audit_redact__", frozenset())
    values: dict[str, str | None] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in UNAUDITED_FIELDS or key not in state.dict:
            continue
        values[key] = REDACTED if key in redact else to_text(state.dict[key])
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


def _row_id(obj: Any) -> str | None:
    # After the INSERT the primary key is on the instance, though its identity key is set only after the flush.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if not key or any(part is None for part in key):
        return None
    return ",".join(str(part) for part in key)


def _entries_for_update(obj: Any) -> Iterable[tuple[str, str | None, str | None]]:
    state = inspect(obj)
    redact = getattr(type(obj), "__audit_redact__", frozenset())
    touched = state.committed_state  # the attributes set since the record was loaded: only these can have changed
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in UNAUDITED_FIELDS or key not in touched:
            continue
        history = get_history(obj, key, passive=PASSIVE_NO_INITIALIZE)
        if not history.added and not history.deleted:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if key in redact:
            yield key, REDACTED, REDACTED
        else:
            yield key, to_text(old), to_text(new)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    actor = str(session.info.get("actor") or "unknown")
    now = utcnow()
    rows: list[dict[str, Any]] = []

    def add(action: str, obj: Any, field: str | None, old: str | None, new: str | None) -> None:
        rows.append(
            {
                "at": now,
                "actor": actor,
                "action": action,
                "table_name": obj.__tablename__,
                "row_id": _row_id(obj),
                "field": field,
                "old_value": old,
                "new_value": new,
            }
        )

    for obj in session.new:
        if _audited(obj):
            add("insert", obj, None, None, _snapshot(obj))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            for field, old, new in _entries_for_update(obj):
                add("update", obj, field, old, new)
    for obj in session.deleted:
        if _audited(obj):
            add("delete", obj, None, _snapshot(obj), None)
    if rows:
        session.connection().execute(insert(_audit_table), rows)


def record_bulk(session: Session, table_name: str, count: int, note: str) -> None:
    """Audit a bulk insert that bypassed the unit of work (demo generation, large imports)."""
    session.execute(
        insert(_audit_table),
        [
            {
                "at": utcnow(),
                "actor": str(session.info.get("actor") or "unknown"),
                "action": "bulk",
                "table_name": table_name,
                "row_id": None,
                "field": None,
                "old_value": None,
                "new_value": f"{count} rows: {note}",
            }
        ],
    )


def install(session_class: type[Session]) -> None:
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
