"""Erasing a former staff member's personal data once the retention period is over.

What goes and what stays:

* the person's own records (registrations, DBS checks, training, appraisals, leave, indemnity cover, skills ...:
  every table pointing at the staff record, unless it is history the federation must keep) are deleted, with the
  documents attached to them or to the staff record (when nothing else uses the same file);
* the staff record itself stays, so that the rota history (and anything else that must be kept) still adds up,
  but under a pseudonym ("Former staff member P-00013"): names, contact details, identifiers and free text go;
* the audit trail keeps every entry (who, when, which record, which field) but the erased values in it become
  "(erased)", and the erasure itself is recorded (``personal_data_erasure`` and an "erase" entry per field).

A table whose rows are history to keep sets ``__keep_on_erasure__ = True`` on its model (rota assignments are kept
here by name as well).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, DateTime, Float, Integer, Numeric, String, Text, delete, insert, select, text, update
from sqlalchemy.orm import Session

from federation_desk.db.audit_hook import REDACTED as NOT_RECORDED
from federation_desk.db.guards import AUDIT_REDACTION
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.base import Base, utcnow
from federation_desk.domain.documents import Document, DocumentLink
from federation_desk.domain.organisation import Practice
from federation_desk.domain.staff import Role, StaffMember
from federation_desk.domain.users import ErasureRecord
from federation_desk.errors import NotFound, NotPermitted, StaleEditError
from federation_desk.services.audit import field_label, table_label
from federation_desk.services.changes import Changes
from federation_desk.services.dates import format_date
from federation_desk.services.dates import today as london_today

RETENTION_YEARS = 6  # after the leave date; the NHS Records Management Code's usual minimum for HR files
ERASED = "(erased)"
# Tables whose rows are history that stays (pointing at the pseudonymised record), whatever their models say.
KEEP_HISTORY_TABLES = frozenset({"rota_assignment", "staff_practice"})
# Staff record columns that are not personal data and stay as they are.
KEEP_STAFF_COLUMNS = frozenset(
    {
        "id",
        "version",
        "created_at",
        "updated_at",
        "role_id",
        "employer_practice_id",
        "employment_type",
        "host_pcn_id",
        "start_date",
        "leave_date",
        "contracted_hours",
        "line_manager_id",
        "working_time_opt_out",
    }
)


def pseudonym(staff_id: int) -> tuple[str, str]:
    """(given name, family name) left in place of the person's name."""
    return "Former staff member", f"P-{staff_id:05d}"


def retention_ends(left_on: date, years: int = RETENTION_YEARS) -> date:
    try:
        return left_on.replace(year=left_on.year + years)
    except ValueError:  # 29 February
        return left_on.replace(year=left_on.year + years, day=28)


@dataclass(frozen=True)
class ErasureCandidate:
    staff_id: int
    name: str
    role: str
    practice: str
    left_on: date
    retention_ended: date


@dataclass(frozen=True)
class ErasurePreview:
    staff_id: int
    version: int
    name: str
    role: str
    practice: str
    left_on: date | None
    retention_ends: date | None
    eligible: bool
    reason: str  # why not, when not eligible
    fields: tuple[str, ...]  # labels of the staff record's fields that will be emptied
    deleted: tuple[tuple[str, int], ...]  # (what, how many) records that will be deleted
    documents: tuple[str, ...]  # file names that will be deleted
    kept: tuple[tuple[str, int], ...]  # (what, how many) records that stay, under the pseudonym
    pseudonym: str

    @property
    def confirmation_text(self) -> str:
        if not self.eligible:
            return self.reason
        lines = [
            f"Erase the personal data of {self.name} ({self.role}, {self.practice}, left {format_date(self.left_on)})?",
            "",
            "What will go:",
            "- from the staff record: " + ", ".join(self.fields),
        ]
        for what, count in self.deleted:
            lines.append(f"- {count} × {what}")
        if self.documents:
            lines.append(
                f"- {len(self.documents)} document{'s' if len(self.documents) != 1 else ''}: "
                + ", ".join(self.documents)
            )
        lines += ["", f"What stays, under the pseudonym '{self.pseudonym}':"]
        if self.kept:
            lines += [f"- {count} × {what}" for what, count in self.kept]
        lines.append("- the staff record's role, employer, employment type and dates")
        lines += [
            "",
            "The audit trail keeps the fact of every change, without the erased values. This cannot be undone.",
        ]
        return "\n".join(lines)


def _children(session: Session) -> list[tuple[Any, Any, bool]]:
    """(table, foreign key column, keep?) for every table pointing at staff_member."""
    found = []
    for mapper in Base.registry.mappers:
        model = mapper.class_
        table = mapper.local_table
        if table.name == StaffMember.__tablename__:
            continue
        for column in table.columns:
            if any(fk.column.table.name == StaffMember.__tablename__ for fk in column.foreign_keys):
                keep = table.name in KEEP_HISTORY_TABLES or bool(getattr(model, "__keep_on_erasure__", False))
                found.append((table, column, keep))
    return found


def _personal_columns() -> list[Any]:
    return [c for c in StaffMember.__table__.columns if c.name not in KEEP_STAFF_COLUMNS and not c.foreign_keys]


def erasure_candidates(
    session: Session, today: date | None = None, years: int = RETENTION_YEARS
) -> list[ErasureCandidate]:
    """Former staff whose retention period has ended and whose data has not been erased yet."""
    today = today or london_today()
    erased = select(ErasureRecord.staff_id)
    rows = session.execute(
        select(StaffMember, Role.name, Practice.name)
        .join(Role, Role.id == StaffMember.role_id)
        .outerjoin(Practice, Practice.id == StaffMember.employer_practice_id)
        .where(StaffMember.leave_date.is_not(None), StaffMember.id.not_in(erased))
        .order_by(StaffMember.leave_date)
    ).all()
    found = []
    for person, role, practice in rows:
        ends = retention_ends(person.leave_date, years)
        if ends <= today:
            found.append(
                ErasureCandidate(
                    person.id, person.display_name, role, practice or "the federation", person.leave_date, ends
                )
            )
    return found


def erasure_preview(
    session: Session, staff_id: int, today: date | None = None, years: int = RETENTION_YEARS
) -> ErasurePreview:
    """What erasing this person would remove and keep (nothing is changed)."""
    today = today or london_today()
    person = session.get(StaffMember, staff_id)
    if person is None:
        raise NotFound("This staff record")
    role = session.scalar(select(Role.name).where(Role.id == person.role_id)) or ""
    practice = (
        session.scalar(select(Practice.name).where(Practice.id == person.employer_practice_id)) or "the federation"
    )
    given, family = pseudonym(staff_id)
    name = person.display_name
    eligible, reason, ends = True, "", None
    if session.scalar(select(ErasureRecord.id).where(ErasureRecord.staff_id == staff_id)) is not None:
        eligible, reason = False, f"The personal data of {given} {family} has already been erased."
    elif person.leave_date is None:
        eligible = False
        reason = f"{name} has no leave date: only a former member of staff's personal data can be erased."
    else:
        ends = retention_ends(person.leave_date, years)
        if ends > today:
            eligible = False
            reason = (
                f"{name} left on {format_date(person.leave_date)}; their records must be kept until "
                f"{format_date(ends)} ({years} years after leaving), so nothing can be erased yet."
            )
    fields = tuple(field_label(c.name) for c in _personal_columns() if getattr(person, c.name, None) not in (None, ""))
    deleted: list[tuple[str, int]] = []
    kept: list[tuple[str, int]] = []
    child_ids: dict[str, list[int]] = {}
    for table, column, keep in _children(session):
        ids = list(session.scalars(select(table.c.id).where(column == staff_id)))
        if not ids:
            continue
        (kept if keep else deleted).append((table_label(table.name), len(ids)))
        if not keep:
            child_ids[table.name] = ids
    documents = tuple(d.filename for d in _documents_to_delete(session, staff_id, child_ids))
    return ErasurePreview(
        staff_id,
        person.version,
        name,
        role,
        practice,
        person.leave_date,
        ends,
        eligible,
        reason,
        fields,
        tuple(deleted),
        documents,
        tuple(kept),
        f"{given} {family}",
    )


def _documents_to_delete(session: Session, staff_id: int, child_ids: dict[str, list[int]]) -> list[Any]:
    """Documents attached to the person or their deleted records, that nothing else refers to."""
    targets = [("staff_member", [staff_id]), *child_ids.items()]
    conditions = [(DocumentLink.entity == entity) & DocumentLink.entity_id.in_(ids) for entity, ids in targets if ids]
    from sqlalchemy import or_

    doc_ids = set(session.scalars(select(DocumentLink.document_id).where(or_(*conditions))))
    # Documents referred to by a foreign key from the records being deleted (certificate_document_id ...).
    for table_name, ids in child_ids.items():
        table = Base.metadata.tables[table_name]
        for column in table.columns:
            if any(fk.column.table.name == Document.__tablename__ for fk in column.foreign_keys):
                doc_ids |= {d for d in session.scalars(select(column).where(table.c.id.in_(ids))) if d is not None}
    if not doc_ids:
        return []
    # Keep a file someone else still uses: a link to another record, or a foreign key from a record that stays.
    still_linked = set(
        session.scalars(
            select(DocumentLink.document_id).where(DocumentLink.document_id.in_(doc_ids), ~or_(*conditions))
        )
    )
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if table.name == DocumentLink.__tablename__:
            continue  # links were looked at above
        for column in table.columns:
            if any(fk.column.table.name == Document.__tablename__ for fk in column.foreign_keys):
                rows = select(column).where(column.in_(doc_ids))
                if table.name in child_ids:
                    rows = rows.where(table.c.id.not_in(child_ids[table.name]))
                still_linked |= set(session.scalars(rows))
    gone = sorted(doc_ids - still_linked)
    return list(session.scalars(select(Document).where(Document.id.in_(gone)).order_by(Document.filename)))


def erase_staff_member(
    session: Session,
    staff_id: int,
    expected_version: int | None,
    today: date | None = None,
    years: int = RETENTION_YEARS,
) -> Changes:
    """Erase the person's personal data (see the module's docstring). One transaction; administrators only."""
    from federation_desk.db.guards import rules_for
    from federation_desk.domain.users import UserRole

    rules = rules_for(session.get_bind())  # type: ignore[arg-type]
    if rules is not None and rules.role is not UserRole.ADMINISTRATOR:
        raise NotPermitted(
            f"Only a federation administrator can erase personal data; you are signed in as {rules.login} "
            f"({rules.role.value})."
        )
    preview = erasure_preview(session, staff_id, today, years)
    if not preview.eligible:
        raise NotPermitted(preview.reason, "Nothing was erased.")
    if expected_version is not None and preview.version != expected_version:
        from federation_desk.db.session import last_change

        who, when = last_change(session, StaffMember.__tablename__, staff_id)
        raise StaleEditError("This staff record", who, when)
    actor = str(session.info.get("actor") or "unknown")
    now = utcnow()
    staff = StaffMember.__table__
    personal = _personal_columns()
    given, family = pseudonym(staff_id)
    values: dict[str, Any] = {}
    for column in personal:
        if column.name == "given_name":
            values[column.name] = given
        elif column.name == "family_name":
            values[column.name] = family
        elif column.nullable:
            values[column.name] = None
        elif isinstance(column.type, String | Text):
            values[column.name] = ERASED
        elif isinstance(column.type, Integer | Float | Numeric):
            values[column.name] = 0
        elif isinstance(column.type, Date | DateTime):
            values[column.name] = column.default.arg if column.default is not None else None
    values["version"] = preview.version + 1
    values["updated_at"] = now
    child_ids: dict[str, list[int]] = {}
    for table, column, keep in _children(session):
        if not keep:
            ids = list(session.scalars(select(table.c.id).where(column == staff_id)))
            if ids:
                child_ids.setdefault(table.name, []).extend(ids)
    documents = _documents_to_delete(session, staff_id, child_ids)
    doc_ids = [d.id for d in documents]
    link_ids = list(
        session.scalars(
            select(DocumentLink.id).where(
                ((DocumentLink.entity == "staff_member") & (DocumentLink.entity_id == staff_id))
                | DocumentLink.document_id.in_(doc_ids)
                | _links_to(child_ids)
            )
        )
    )
    session.expunge_all()  # nothing below goes through the ORM's audit hook: values must not be copied
    # 1. the changes themselves
    session.execute(update(staff).where(staff.c.id == staff_id).values(**values))
    if link_ids:
        session.execute(delete(DocumentLink.__table__).where(DocumentLink.__table__.c.id.in_(link_ids)))
    for table_name in _delete_order(child_ids):
        table = Base.metadata.tables[table_name]
        session.execute(delete(table).where(table.c.id.in_(child_ids[table_name])))
    if doc_ids:
        session.execute(delete(Document.__table__).where(Document.__table__.c.id.in_(doc_ids)))
    # 2. the audit trail: keep every entry, without the erased values
    redact = [(StaffMember.__tablename__, [staff_id], [c.name for c in personal])]
    redact += [(name, ids, None) for name, ids in child_ids.items()]
    redact += [(Document.__tablename__, doc_ids, None), (DocumentLink.__tablename__, link_ids, None)]
    redacted = sum(redact_audit(session, table, ids, fields) for table, ids, fields in redact if ids)
    # 3. the fact of the erasure
    entries = [
        _entry(now, actor, StaffMember.__tablename__, staff_id, c.name, ERASED, values.get(c.name)) for c in personal
    ]
    for name, ids in [*child_ids.items(), (Document.__tablename__, doc_ids), (DocumentLink.__tablename__, link_ids)]:
        entries += [_entry(now, actor, name, i, None, ERASED, None) for i in ids]
    session.execute(insert(AuditEntry.__table__), entries)
    summary = "; ".join([f"{count} {what}" for what, count in preview.deleted] + [f"{len(doc_ids)} documents"])
    session.add(
        ErasureRecord(
            staff_id=staff_id,
            pseudonym=f"{given} {family}",
            left_on=preview.left_on,
            erased_at=now,
            erased_by=actor,
            summary=f"Fields: {', '.join(preview.fields)}. Deleted: {summary}. Audit entries redacted: {redacted}.",
        )
    )
    session.flush()
    return Changes.of(
        "staff_member",
        "document",
        *child_ids.keys(),
        ids=(staff_id,),
        message=f"The personal data of a former staff member was erased; they now appear as {given} {family}.",
    )


def _links_to(child_ids: dict[str, list[int]]) -> Any:
    from sqlalchemy import false, or_

    parts = [(DocumentLink.entity == name) & DocumentLink.entity_id.in_(ids) for name, ids in child_ids.items()]
    return or_(*parts) if parts else false()


def _delete_order(child_ids: dict[str, list[int]]) -> list[str]:
    order = [t.name for t in reversed(Base.metadata.sorted_tables)]
    return [name for name in order if name in child_ids]


def _entry(now: Any, actor: str, table: str, row_id: int, field: str | None, old: str, new: Any) -> dict[str, Any]:
    return {
        "at": now,
        "actor": actor,
        "action": "erase",
        "table_name": table,
        "row_id": str(row_id),
        "field": field,
        "old_value": old,
        "new_value": None if new is None else str(new),
    }


def redact_audit(session: Session, table: str, row_ids: list[int], fields: list[str] | None) -> int:
    """Replace the values of ``fields`` (None: all) in the audit entries of these records by "(erased)"."""
    ids = [str(i) for i in row_ids]
    if session.get_bind().dialect.name == "postgresql":
        return int(
            session.execute(
                text("SELECT fd_redact_audit(:t, CAST(:ids AS text[]), CAST(:f AS text[]))"),
                {"t": table, "ids": ids, "f": fields},
            ).scalar_one()
        )
    session.info[AUDIT_REDACTION] = True
    try:
        changed = 0
        audit = AuditEntry.__table__
        wanted = set(fields) if fields is not None else None
        rows = session.execute(
            select(audit.c.id, audit.c.action, audit.c.field, audit.c.old_value, audit.c.new_value).where(
                audit.c.table_name == table, audit.c.row_id.in_(ids)
            )
        ).all()
        for entry_id, action, field, old, new in rows:
            if action == "update":
                if wanted is not None and field not in wanted:
                    continue
                new_old = None if old is None else ERASED
                new_new = None if new is None else ERASED
            elif action in ("insert", "delete"):
                new_old, new_new = _redact_json(old, wanted), _redact_json(new, wanted)
            else:
                continue
            if (new_old, new_new) != (old, new):
                session.execute(
                    update(audit).where(audit.c.id == entry_id).values(old_value=new_old, new_value=new_new)
                )
                changed += 1
        return changed
    finally:
        session.info.pop(AUDIT_REDACTION, None)


def _redact_json(value: str | None, fields: set[str] | None) -> str | None:
    if value is None or not value.startswith("{"):
        return value
    try:
        data = json.loads(value)
    except ValueError:
        return value
    for key, item in data.items():
        if item is not None and item != NOT_RECORDED and (fields is None or key in fields):
            data[key] = ERASED
    return json.dumps(data, ensure_ascii=False, sort_keys=True)
