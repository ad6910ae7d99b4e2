"""The federation-wide audit log: filter, count, fetch one window at a time, export.

A screen over 100,000 entries never loads them all: it asks :func:`count_entries` once per filter and then
:func:`fetch_window` for the rows in view (``offset``/``limit`` on an indexed order), on a worker. The export writes
every matching entry to CSV or Excel in batches, with progress and cancel.

(Per-record history lives in ``services.audit``; :func:`record_history_with_children` adds the records that point
at a record, found from the foreign keys, for a History tab.)
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.base import Base
from federation_desk.domain.users import AppUser
from federation_desk.errors import FederationDeskError, ValidationError
from federation_desk.services.audit import HistoryRow, _describe_snapshot, field_label, record_history, table_label
from federation_desk.services.dates import LONDON, format_instant
from federation_desk.services.progress import NullProgress, Progress

ACTIONS = {"insert": "added", "update": "changed", "delete": "deleted", "bulk": "imported", "erase": "erased"}
SORTS = ("at", "actor", "action", "table", "field")
MAX_SEARCH = 200


@dataclass(frozen=True)
class AuditFilter:
    text: str = ""  # words found in who, field, before or after
    actor: str | None = None
    table_name: str | None = None
    action: str | None = None  # insert / update / delete / bulk / erase
    since: date | None = None  # London dates, inclusive
    until: date | None = None
    row_id: str | None = None  # with table_name: one record's history

    def describe(self) -> str:
        parts = []
        if self.text.strip():
            parts.append(f"containing '{self.text.strip()}'")
        if self.actor:
            parts.append(f"by {self.actor}")
        if self.table_name:
            parts.append(f"on {table_label(self.table_name)}s" + (f" #{self.row_id}" if self.row_id else ""))
        if self.action:
            parts.append(ACTIONS.get(self.action, self.action))
        if self.since:
            parts.append(f"from {self.since:%d/%m/%Y}")
        if self.until:
            parts.append(f"to {self.until:%d/%m/%Y}")
        return ", ".join(parts) or "all entries"


@dataclass(frozen=True)
class AuditLogRow:
    id: int
    at: datetime
    actor: str
    who: str  # the person's name where the login is listed, else the login
    action: str  # added / changed / deleted / imported / erased
    table_name: str
    what: str
    row_id: str | None
    field: str
    old_value: str
    new_value: str


@dataclass(frozen=True)
class AuditWindow:
    offset: int
    rows: list[AuditLogRow]


@dataclass(frozen=True)
class AuditFirstPage:
    total: int
    window: AuditWindow


@dataclass(frozen=True)
class FilterChoices:
    actors: list[str]
    tables: list[tuple[str, str]]  # (table name, label)


def _start(d: date) -> datetime:
    return datetime.combine(d, time.min, LONDON)


def _conditions(f: AuditFilter) -> list[ColumnElement[bool]]:
    if f.since and f.until and f.since > f.until:
        raise ValidationError(
            f"The 'from' date {f.since:%d/%m/%Y} is after the 'to' date {f.until:%d/%m/%Y}.",
            "Swap the dates, or clear one of them.",
        )
    where: list[ColumnElement[bool]] = []
    if f.actor:
        where.append(AuditEntry.actor == f.actor)
    if f.table_name:
        where.append(AuditEntry.table_name == f.table_name)
    if f.row_id:
        where.append(AuditEntry.row_id == f.row_id)
    if f.action:
        where.append(AuditEntry.action == f.action)
    if f.since:
        where.append(AuditEntry.at >= _start(f.since))
    if f.until:
        where.append(AuditEntry.at < _start(f.until + timedelta(days=1)))
    for word in f.text.split()[:8]:
        pattern = "%" + word[:MAX_SEARCH].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(
                AuditEntry.actor.ilike(pattern, escape="\\"),
                AuditEntry.field.ilike(pattern, escape="\\"),
                AuditEntry.table_name.ilike(pattern, escape="\\"),
                AuditEntry.old_value.ilike(pattern, escape="\\"),
                AuditEntry.new_value.ilike(pattern, escape="\\"),
            )
        )
    return where


def _order(sort: str, descending: bool) -> list[Any]:
    column = {
        "at": AuditEntry.id,  # ids grow with time, and the primary key orders without a sort
        "actor": AuditEntry.actor,
        "action": AuditEntry.action,
        "table": AuditEntry.table_name,
        "field": AuditEntry.field,
    }.get(sort)
    if column is None:
        raise ValueError(f"cannot sort the audit log by {sort!r}")
    if sort == "at":
        return [AuditEntry.id.desc() if descending else AuditEntry.id.asc()]
    if sort in ("actor", "field"):
        column = func.lower(column)  # people expect "amira.k" between "Adam" and "Brian"
    return [column.desc() if descending else column.asc(), AuditEntry.id.desc()]


def count_entries(session: Session, f: AuditFilter) -> int:
    return int(session.scalar(select(func.count(AuditEntry.id)).where(*_conditions(f))) or 0)


def _names(session: Session) -> dict[str, str]:
    return {login: name for login, name in session.execute(select(AppUser.login, AppUser.display_name))}


def _row(e: Any, names: dict[str, str]) -> AuditLogRow:
    old = _describe_snapshot(e.old_value) if e.action == "delete" else (e.old_value or "")
    new = _describe_snapshot(e.new_value) if e.action in ("insert", "bulk") else (e.new_value or "")
    name = names.get(e.actor)
    return AuditLogRow(
        e.id,
        e.at,
        e.actor,
        f"{name} ({e.actor})" if name and name != e.actor else e.actor,
        ACTIONS.get(e.action, e.action),
        e.table_name,
        table_label(e.table_name),
        e.row_id,
        field_label(e.field),
        old,
        new,
    )


def fetch_window(
    session: Session, f: AuditFilter, offset: int, limit: int, sort: str = "at", descending: bool = True
) -> AuditWindow:
    """``limit`` entries from ``offset`` in the chosen order (newest first by default)."""
    entries = session.execute(
        select(AuditEntry)
        .where(*_conditions(f))
        .order_by(*_order(sort, descending))
        .offset(max(0, offset))
        .limit(limit)
    ).scalars()
    names = _names(session)
    return AuditWindow(offset, [_row(e, names) for e in entries])


def first_page(
    session: Session, f: AuditFilter, limit: int, sort: str = "at", descending: bool = True
) -> AuditFirstPage:
    """The count and the first window together (one job when a filter or the order changes)."""
    return AuditFirstPage(count_entries(session, f), fetch_window(session, f, 0, limit, sort, descending))


def filter_choices(session: Session) -> FilterChoices:
    actors = list(session.scalars(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)))
    tables = list(session.scalars(select(AuditEntry.table_name).distinct()))
    labelled = sorted(((t, table_label(t)) for t in tables), key=lambda item: item[1].casefold())
    return FilterChoices(actors, labelled)


# ---- export ---------------------------------------------------------------------------------------------------

EXPORT_BATCH = 5000
EXPORT_HEADERS = ("When (UK time)", "Who", "Login", "Action", "Record type", "Record id", "Field", "Before", "After")


def _export_values(r: AuditLogRow) -> list[str]:
    return [
        format_instant(r.at),
        r.who,
        r.actor,
        r.action,
        r.what,
        r.row_id or "",
        r.field,
        r.old_value,
        r.new_value,
    ]


def _cell(text: str) -> str:
    """Spreadsheets run text starting with = + - @ as a formula: keep audit values inert."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_audit_log(database: Any, f: AuditFilter, target: Path, progress: Progress | None = None) -> Path:
    """Write every entry matching ``f`` to ``target`` (.csv or .xlsx), newest first. Administrators only."""
    from federation_desk.services.access import Capability, access_for

    progress = progress or NullProgress()
    acc = access_for(database)
    if acc is not None:
        acc.require(Capability.EXPORT_AUDIT_LOG)
    target = Path(target)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FederationDeskError(
            f"'{target.name}' is neither a .csv nor an .xlsx file.", "Choose a name ending .xlsx (Excel) or .csv."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with database.session() as session:
            total = count_entries(session, f)
            progress.update(0, total, f"Exporting {total:,} audit entries ...")
            if suffix == ".csv":
                _export_csv(session, f, tmp, total, progress)
            else:
                _export_xlsx(session, f, tmp, total, progress)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def _batches(session: Session, f: AuditFilter, total: int, progress: Progress) -> Any:
    # Keyset batches on the id (stable while new entries arrive), each a short query.
    last_id: int | None = None
    done = 0
    names = _names(session)
    while True:
        stmt = select(AuditEntry).where(*_conditions(f))
        if last_id is not None:
            stmt = stmt.where(AuditEntry.id < last_id)
        entries = list(session.execute(stmt.order_by(AuditEntry.id.desc()).limit(EXPORT_BATCH)).scalars())
        if not entries:
            return
        last_id = entries[-1].id
        rows = [_row(e, names) for e in entries]
        session.expunge_all()
        yield rows
        done += len(rows)
        progress.update(min(done, total), total, f"Exported {done:,} of {total:,} audit entries ...")


def _export_csv(session: Session, f: AuditFilter, path: Path, total: int, progress: Progress) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(EXPORT_HEADERS)
        for rows in _batches(session, f, total, progress):
            writer.writerows([_cell(v) for v in _export_values(r)] for r in rows)


def _export_xlsx(session: Session, f: AuditFilter, path: Path, total: int, progress: Progress) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Audit log")
    for column, width in zip("ABCDEFGHI", (20, 28, 16, 10, 22, 10, 22, 40, 40)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in EXPORT_HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for rows in _batches(session, f, total, progress):
        for r in rows:
            values = _export_values(r)
            values[0] = r.at.astimezone(LONDON).replace(tzinfo=None)  # type: ignore[assignment]
            sheet.append([_cell(v) if isinstance(v, str) else v for v in values])
    book.save(path)


# ---- per-record history with the records that belong to it ---------------------------------------------------


def _foreign_keys_to(table_name: str) -> list[tuple[Any, Any]]:
    """(table, column) pairs whose foreign key points at ``table_name``."""
    found = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if table.name == table_name or "id" not in table.c:
            continue
        for column in table.columns:
            if any(fk.column.table.name == table_name for fk in column.foreign_keys):
                found.append((table, column))
    return found


def children_of(session: Session, table_name: str, row_id: int) -> list[tuple[str, list[int]]]:
    """Records that point at ``(table_name, row_id)`` now, or did before they were deleted (from the trail)."""
    found: dict[str, list[int]] = {}
    for table, column in _foreign_keys_to(table_name):
        ids = list(session.scalars(select(table.c.id).where(column == row_id)))
        # A deleted record's snapshot names its foreign keys: {"staff_id": "12", ...}.
        gone = session.scalars(
            select(AuditEntry.row_id).where(
                AuditEntry.table_name == table.name,
                AuditEntry.action == "delete",
                AuditEntry.old_value.like(f'%"{column.name}": "{int(row_id)}"%'),
            )
        )
        ids += [int(r) for r in gone if r and r.isdigit() and int(r) not in ids]
        if ids:
            found.setdefault(table.name, []).extend(i for i in ids if i not in found.get(table.name, []))
    return list(found.items())


def record_history_with_children(session: Session, table_name: str, row_id: int) -> list[HistoryRow]:
    """The History tab of a record: its own changes and those of the records that belong to it."""
    related: Sequence[tuple[str, Sequence[int]]] = children_of(session, table_name, row_id)
    return record_history(session, table_name, row_id, related)
