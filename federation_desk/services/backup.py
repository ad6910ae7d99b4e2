"""Backup and restore of the whole database to one file.

* A local SQLite database is backed up with SQLite's online backup API: the file written is itself a SQLite
  database, consistent even while the app is writing.
* A PostgreSQL database is dumped by the app itself (no ``pg_dump`` needed on the desktop): a gzip-compressed file
  of JSON lines, one header per table, one line per row with typed values (exact money, instants, dates, file
  bytes), a SHA-256 of each table's lines, and a final line that proves the file is complete. It is read inside one
  REPEATABLE READ transaction, so it is a consistent snapshot while others keep working.

:func:`restore_database` puts either kind of file into an *empty* database (a new local file, or a new empty
database or schema on a server): it checks the whole file first (a truncated or altered file is refused before
anything is written), creates the schema at the backup's revision, copies every row with its id in one
transaction, then upgrades to this version. Either kind restores to either kind of database.
"""

from __future__ import annotations

import base64
import enum
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, insert, inspect, select, text, update
from sqlalchemy import Enum as SaEnum

from federation_desk import __version__
from federation_desk.db import migrate
from federation_desk.db.engine import DatabaseLocation, create_engine_for, parse_location
from federation_desk.domain.base import Base
from federation_desk.errors import FederationDeskError
from federation_desk.services.progress import NullProgress, Progress

FORMAT = "federation-desk-backup"
FORMAT_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
BATCH = 1000


class BackupProblem(FederationDeskError):
    title = "Backup or restore problem"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    kind: str  # "sqlite" or "dump"
    tables: int
    rows: int

    @property
    def message(self) -> str:
        return f"Backed up {self.rows:,} rows from {self.tables} tables to {self.path}."


@dataclass(frozen=True)
class RestoreResult:
    location: str
    tables: int
    rows: int
    upgraded: bool

    @property
    def message(self) -> str:
        extra = " and upgraded it to this version" if self.upgraded else ""
        return f"Restored {self.rows:,} rows into {self.location}{extra}."


def _tables() -> list[Table]:
    import federation_desk.domain  # noqa: F401 - every model

    return list(Base.metadata.sorted_tables)


# ---- values ---------------------------------------------------------------------------------------------------


def encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return {"$f": repr(value)}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, time):
        return {"$t": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def decode(value: Any, column: Any) -> Any:
    if isinstance(value, dict):
        ((tag, raw),) = value.items()
        if tag == "$dec":
            return Decimal(raw)
        if tag == "$dt":
            return datetime.fromisoformat(raw)
        if tag == "$d":
            return date.fromisoformat(raw)
        if tag == "$t":
            return time.fromisoformat(raw)
        if tag == "$b":
            return base64.b64decode(raw)
        if tag == "$f":
            return float(raw)
        raise ValueError(f"unknown value tag {tag}")
    kind = column.type
    if value is not None and isinstance(kind, SaEnum) and kind.enum_class is not None:
        return kind.enum_class(value)
    return value


# ---- backup ---------------------------------------------------------------------------------------------------


def backup_database(database: Any, target: Path, progress: Progress | None = None) -> BackupResult:
    """Write the whole of ``database`` to ``target`` (a new file; an existing one is replaced only when complete)."""
    from federation_desk.services.access import Capability, access_for

    acc = access_for(database)
    if acc is not None:
        acc.require(Capability.BACKUP)
    progress = progress or NullProgress()
    target = Path(target)
    if target.is_dir():
        raise BackupProblem(f"{target} is a folder.", "Choose a file name for the backup.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        if database.location.is_sqlite and database.location.sqlite_path is not None:
            result = _backup_sqlite(database.location.sqlite_path, tmp, target, progress)
        else:
            result = _dump(database.engine, tmp, target, progress)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return result


def _backup_sqlite(source: Path, tmp: Path, target: Path, progress: Progress) -> BackupResult:
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(tmp)
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                progress.update(total - remaining, total, "Copying the database ...")

            src.backup(dst, pages=256, progress=step)
            rows = 0
            names = [t.name for t in _tables()]
            existing = {r[0] for r in dst.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for name in names:
                if name in existing:
                    rows += int(dst.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupProblem("The copy of the database failed its integrity check.", "Try the backup again.")
        finally:
            dst.close()
    finally:
        src.close()
    return BackupResult(target, "sqlite", len(names), rows)


def _line(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _dump(engine: Engine, tmp: Path, target: Path, progress: Progress) -> BackupResult:
    tables = _tables()
    total_rows = 0
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            from alembic.runtime.migration import MigrationContext

            revisions = sorted(MigrationContext.configure(conn).get_current_heads())
            counts = {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in tables}
            grand = sum(counts.values())
            with gzip.open(tmp, "wb", compresslevel=6) as out:
                out.write(
                    _line(
                        {
                            "format": FORMAT,
                            "format_version": FORMAT_VERSION,
                            "app_version": __version__,
                            "created_at": datetime.now(UTC).isoformat(),
                            "source": engine.dialect.name,
                            "revisions": revisions,
                            "tables": [t.name for t in tables],
                            "rows": counts,
                        }
                    )
                )
                for table in tables:
                    columns = [c.name for c in table.columns]
                    out.write(_line({"table": table.name, "columns": columns}))
                    digest = hashlib.sha256()
                    written = 0
                    pk = list(table.primary_key.columns)
                    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                        select(*table.columns).order_by(*pk)
                    )
                    for row in result:
                        line = _line([encode(v) for v in row])
                        digest.update(line)
                        out.write(line)
                        written += 1
                        if written % BATCH == 0:
                            progress.update(total_rows + written, grand, f"Backing up {table.name} ...")
                    total_rows += written
                    out.write(_line({"end": table.name, "rows": written, "sha256": digest.hexdigest()}))
                    progress.update(total_rows, grand, f"Backed up {table.name}.")
                out.write(_line({"complete": True, "tables": len(tables), "rows": total_rows}))
    return BackupResult(target, "dump", len(tables), total_rows)


# ---- reading a backup ------------------------------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head[:2] == b"\x1f\x8b":
        return "dump"
    raise BackupProblem(
        f"'{path.name}' is not a Federation Desk backup.",
        "Choose the file that 'Back up database' or 'db backup' wrote.",
    )


@dataclass(frozen=True)
class DumpInfo:
    header: dict[str, Any]
    rows: int


def _damaged(path: Path, why: str) -> BackupProblem:
    return BackupProblem(
        f"The backup '{path.name}' is incomplete or damaged ({why}); nothing was restored.",
        "Use another copy of the backup, or make a new one.",
    )


def _read_lines(path: Path) -> Iterator[Any]:
    try:
        with gzip.open(path, "rb") as fh:
            for raw in fh:
                yield json.loads(raw)
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _damaged(path, type(exc).__name__) from None


def verify_dump(path: Path) -> DumpInfo:
    """Read the whole dump and check its structure and checksums, writing nothing."""
    lines = _read_lines(path)
    header = next(lines, None)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupProblem(
            f"'{path.name}' is not a Federation Desk backup.",
            "Choose the file that 'Back up database' or 'db backup' wrote.",
        )
    if int(header.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupProblem(
            f"'{path.name}' was written by a newer version of Federation Desk.", "Install the latest version first."
        )
    current: str | None = None
    digest = hashlib.sha256()
    count = 0
    total = 0
    complete = False
    for obj in lines:
        if complete:
            raise _damaged(path, "data after the end")
        if isinstance(obj, list):
            if current is None:
                raise _damaged(path, "a row outside a table")
            digest.update(_line(obj))
            count += 1
        elif "table" in obj:
            current, digest, count = obj["table"], hashlib.sha256(), 0
        elif "end" in obj:
            if obj["end"] != current or obj["rows"] != count or obj["sha256"] != digest.hexdigest():
                raise _damaged(path, f"table {obj['end']} does not match its checksum")
            total += count
            current = None
        elif obj.get("complete"):
            if obj.get("rows") != total:
                raise _damaged(path, "row count")
            complete = True
    if not complete:
        raise _damaged(path, "it ends early")
    return DumpInfo(header, total)


# ---- restore --------------------------------------------------------------------------------------------------


def _is_empty(engine: Engine, location: DatabaseLocation) -> bool:
    if location.is_sqlite and location.sqlite_path is not None and not location.sqlite_path.exists():
        return True
    names = set(inspect(engine).get_table_names())
    return not (names - {"alembic_version"})


def restore_database(source: Path, target: str, progress: Progress | None = None) -> RestoreResult:
    """Restore the backup ``source`` into the empty database ``target`` (a file path or a postgresql:// address)."""
    progress = progress or NullProgress()
    source = Path(source)
    if not source.exists():
        raise BackupProblem(f"The backup '{source}' does not exist.", "Choose the backup file again.")
    kind = backup_kind(source)
    try:
        location = parse_location(target)
    except ValueError as exc:
        raise BackupProblem(str(exc), "Restore into a .sqlite file or a postgresql:// address.") from exc
    path = location.sqlite_path
    if location.is_sqlite and path is not None and path.exists() and path.stat().st_size > 0:
        raise BackupProblem(
            f"{location.display} already exists; a backup is restored only into a new, empty database.",
            "Choose a new file name (the existing file is left as it is).",
        )
    if kind == "dump":
        progress.update(0, None, "Checking the backup ...")
        info = verify_dump(source)
        revisions = set(info.header.get("revisions", []))
    else:
        revisions = _sqlite_revisions(source)
    unknown = revisions - _all_revisions()
    if unknown:
        raise BackupProblem(
            "This backup was made by a newer version of Federation Desk.",
            "Install the latest version of Federation Desk, then restore it.",
        )
    if kind == "sqlite" and location.is_sqlite and location.sqlite_path is not None:
        return _restore_sqlite_file(source, location, progress)
    engine = create_engine_for(location)
    try:
        if not _is_empty(engine, location):
            raise BackupProblem(
                f"{location.display} already holds tables; a backup is restored only into an empty database.",
                "Ask your IT support for a new, empty database (or choose a new file), then restore into that.",
            )
        _create_schema_at(engine, revisions)
        if kind == "dump":
            rows = _load_dump(engine, source, info.rows, progress)
        else:
            rows = _load_from_sqlite(engine, source, progress)
        upgraded = set(migrate.current_revisions(engine)) != migrate.head_revisions()
        if upgraded:
            migrate.upgrade(engine)
    except BaseException:
        engine.dispose()
        if location.is_sqlite and location.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{location.sqlite_path}{suffix}").unlink(missing_ok=True)
        raise
    engine.dispose()
    return RestoreResult(location.display, len(_tables()), rows, upgraded)


def _all_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()}


def _sqlite_revisions(path: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.DatabaseError as exc:
        raise BackupProblem(
            f"'{path.name}' is a SQLite file but not a Federation Desk database.", "Choose the backup file again."
        ) from exc
    finally:
        conn.close()


def _create_schema_at(engine: Engine, revisions: set[str]) -> None:
    from alembic import command

    if not revisions:
        raise BackupProblem("The backup does not say which version wrote it.", "Make the backup again.")
    if revisions == migrate.head_revisions():
        migrate.upgrade(engine)
        return
    cfg = migrate.alembic_config(engine)
    for revision in sorted(revisions):
        command.upgrade(cfg, revision)


def _restore_sqlite_file(source: Path, location: DatabaseLocation, progress: Progress) -> RestoreResult:
    path = location.sqlite_path
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst, pages=256, progress=lambda _s, rem, tot: progress.update(tot - rem, tot, "Restoring ..."))
            if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupProblem(f"The backup '{source.name}' is damaged.", "Use another copy of the backup.")
            rows = sum(
                int(dst.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0])
                for t in _tables()
                if dst.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (t.name,)).fetchone()
            )
        finally:
            dst.close()
    finally:
        src.close()
    shutil.move(tmp, path)
    engine = create_engine_for(location)
    try:
        upgraded = migrate.current_revisions(engine) != migrate.head_revisions()
        if upgraded:
            migrate.upgrade(engine)
    finally:
        engine.dispose()
    return RestoreResult(location.display, len(_tables()), rows, upgraded)


def _self_refs(table: Table) -> list[str]:
    return [c.name for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)]


class _Loader:
    """Inserts rows table by table inside one transaction, ids kept, self-references filled in afterwards."""

    def __init__(self, conn: Any, total: int, progress: Progress) -> None:
        self.conn = conn
        self.total = total
        self.progress = progress
        self.done = 0
        self.tables = {t.name: t for t in _tables()}
        self.table: Table | None = None
        self.cols: list[Any] = []
        self.keep: list[int] = []
        self.later: list[str] = []
        self.deferred: list[dict[str, Any]] = []
        self.batch: list[dict[str, Any]] = []

    def start(self, name: str, columns: list[str]) -> None:
        self.table = self.tables.get(name)  # a table this version no longer has is skipped
        if self.table is None:
            return
        self.keep = [i for i, c in enumerate(columns) if c in self.table.c]
        self.cols = [self.table.c[columns[i]] for i in self.keep]
        self.later = _self_refs(self.table)
        self.deferred, self.batch = [], []

    def row(self, raw: list[Any]) -> None:
        if self.table is None:
            return
        values = {col.name: decode(raw[i], col) for col, i in zip(self.cols, self.keep)}
        refs = {c: values[c] for c in self.later if values.get(c) is not None}
        if refs:
            # Columns with an "on update" default (updated_at) keep their value through the second pass.
            kept = {c.name: values.get(c.name) for c in self.table.columns if c.onupdate is not None}
            self.deferred.append({"_id": values["id"], **kept, **refs})
            for c in refs:
                values[c] = None
        self.batch.append(values)
        if len(self.batch) >= BATCH:
            self._flush()

    def end(self) -> None:
        if self.table is None:
            return
        self._flush()
        for item in self.deferred:
            row_id = item.pop("_id")
            self.conn.execute(update(self.table).where(self.table.c.id == row_id).values(**item))
        self.table = None

    def _flush(self) -> None:
        if self.batch and self.table is not None:
            self.conn.execute(insert(self.table), self.batch)
            self.done += len(self.batch)
            self.progress.update(self.done, self.total, f"Restoring {self.table.name} ...")
            self.batch = []

    def finish(self) -> None:
        if self.conn.dialect.name != "postgresql":
            return
        for table in self.tables.values():
            pk = list(table.primary_key.columns)
            if len(pk) == 1 and pk[0].name == "id" and pk[0].autoincrement in (True, "auto"):
                self.conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f'COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
                    )
                )


def _load_dump(engine: Engine, source: Path, total: int, progress: Progress) -> int:
    with engine.begin() as conn:
        loader = _Loader(conn, total, progress)
        for obj in _read_lines(source):
            if isinstance(obj, list):
                loader.row(obj)
            elif "table" in obj:
                loader.start(obj["table"], obj["columns"])
            elif "end" in obj:
                loader.end()
        loader.finish()
        return loader.done


def _load_from_sqlite(engine: Engine, source: Path, progress: Progress) -> int:
    reader = create_engine_for(parse_location(source))
    try:
        with reader.connect() as rconn, engine.begin() as conn:
            present = set(inspect(reader).get_table_names())
            tables = [t for t in _tables() if t.name in present]
            total = sum(int(rconn.scalar(select(func.count()).select_from(t)) or 0) for t in tables)
            loader = _Loader(conn, total, progress)
            for table in tables:
                columns = [c["name"] for c in inspect(reader).get_columns(table.name) if c["name"] in table.c]
                loader.start(table.name, columns)
                result = rconn.execute(select(*[table.c[c] for c in columns]).order_by(*table.primary_key.columns))
                for row in result:
                    loader.row([encode(v) for v in row])
                loader.end()
            loader.finish()
            return loader.done
    finally:
        reader.dispose()
