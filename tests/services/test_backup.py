"""Backup and restore round trips: every row of every table comes back, on SQLite and PostgreSQL and across them.

The demo federation (every module's demo data) is the content. A damaged or truncated backup is refused before
anything is written, and a backup is never restored over a database that holds data.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from federation_desk import cli
from federation_desk.db.engine import create_engine_for, parse_location
from federation_desk.db.session import Database
from federation_desk.services import backup
from federation_desk.services.startup import open_database
from tests.conftest import PgSchema, _pg_available


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order, as typed Python values."""
    found = {}
    with engine.connect() as conn:
        for table in backup._tables():
            rows = conn.execute(select(*table.columns).order_by(*table.primary_key.columns)).all()
            found[table.name] = [tuple(r) for r in rows]
    return found


def assert_same_rows(a: Engine, b: Engine) -> None:
    left, right = table_rows(a), table_rows(b)
    assert left.keys() == right.keys()
    for name in left:
        assert left[name] == right[name], f"table {name} differs after the round trip"
    assert sum(len(v) for v in left.values()) > 1000  # the demo: a real amount of data


@pytest.fixture
def pg_schemas() -> Iterator[list[PgSchema]]:
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    made: list[PgSchema] = []
    yield made
    for schema in made:
        schema.drop()


def test_sqlite_backup_restores_every_row(demo_db: Database, tmp_path: Path) -> None:
    result = backup.backup_database(demo_db, tmp_path / "backups" / "federation-backup.sqlite")
    assert result.kind == "sqlite" and result.rows > 1000
    assert backup.backup_kind(result.path) == "sqlite"
    assert not list((tmp_path / "backups").glob(".*partial"))
    restored = backup.restore_database(result.path, str(tmp_path / "restored.sqlite"))
    assert restored.rows == result.rows
    target = create_engine_for(parse_location(tmp_path / "restored.sqlite"))
    try:
        assert_same_rows(demo_db.engine, target)
    finally:
        target.dispose()
    # The restored file opens in the app as it is.
    opened = open_database(tmp_path / "restored.sqlite", actor="tester")
    opened.database.dispose()


@pytest.mark.postgres
def test_postgres_dump_restores_every_row_on_both_databases(
    demo_db: Database, tmp_path: Path, pg_schemas: list[PgSchema]
) -> None:
    # The demo goes to a server by restoring a SQLite backup there (across kinds) ...
    source, copy = PgSchema(), PgSchema()
    pg_schemas.extend([source, copy])
    local = backup.backup_database(demo_db, tmp_path / "local.sqlite")
    backup.restore_database(local.path, source.url)
    server = Database(parse_location(source.url), actor="tester")
    try:
        assert_same_rows(demo_db.engine, server.engine)
        # ... then the server is dumped by the app (no pg_dump) and restored to another server schema and a file.
        dump = backup.backup_database(server, tmp_path / "server-backup.fdbackup")
        assert dump.kind == "dump" and dump.rows == local.rows
        info = backup.verify_dump(dump.path)
        assert info.header["source"] == "postgresql" and info.rows == dump.rows
        backup.restore_database(dump.path, copy.url)
        backup.restore_database(dump.path, str(tmp_path / "from-server.sqlite"))
        other = create_engine_for(parse_location(copy.url))
        local_copy = create_engine_for(parse_location(tmp_path / "from-server.sqlite"))
        try:
            assert_same_rows(server.engine, other)
            assert_same_rows(server.engine, local_copy)
            # Ids continue after the restored ones (sequences were moved on).
            from federation_desk.services import organisation as org

            restored = Database(parse_location(copy.url), actor="tester", engine=other)
            with restored.unit_of_work() as s:
                org.save_pcn(s, org.PcnForm(code="U99999", name="After the restore"))
        finally:
            other.dispose()
            local_copy.dispose()
    finally:
        server.dispose()


def test_a_damaged_or_truncated_dump_is_refused_and_nothing_is_written(demo_db: Database, tmp_path: Path) -> None:
    dump_path = tmp_path / "dump.fdbackup"
    tmp = tmp_path / "dump.partial"
    backup._dump(demo_db.engine, tmp, dump_path, backup.NullProgress())
    tmp.rename(dump_path)
    assert backup.verify_dump(dump_path).rows > 1000
    data = gzip.decompress(dump_path.read_bytes())
    truncated = tmp_path / "truncated.fdbackup"
    truncated.write_bytes(gzip.compress(data[: len(data) // 2]))
    altered = tmp_path / "altered.fdbackup"
    altered.write_bytes(gzip.compress(data.replace(b"Surgery", b"Surgeon", 1)))
    not_gzip = tmp_path / "cut.fdbackup"
    not_gzip.write_bytes(dump_path.read_bytes()[:-100])
    for bad in (truncated, altered, not_gzip):
        target = tmp_path / f"from-{bad.stem}.sqlite"
        with pytest.raises(backup.BackupProblem, match="incomplete or damaged"):
            backup.restore_database(bad, str(target))
        assert not target.exists()
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a backup")
    with pytest.raises(backup.BackupProblem, match="not a Federation Desk backup"):
        backup.restore_database(text_file, str(tmp_path / "x.sqlite"))


def test_a_backup_is_never_restored_over_data(demo_db: Database, demo_path: Path, tmp_path: Path) -> None:
    result = backup.backup_database(demo_db, tmp_path / "b.sqlite")
    before = demo_path.stat().st_mtime_ns
    with pytest.raises(backup.BackupProblem, match="already exists"):
        backup.restore_database(result.path, str(demo_path))
    assert demo_path.stat().st_mtime_ns == before


def test_backup_and_restore_from_the_command_line(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli-backup.sqlite"
    assert cli.main(["--db", str(demo_path), "db", "backup", "--out", str(out)]) == 0
    assert "Backed up" in capsys.readouterr().out
    target = tmp_path / "cli-restored.sqlite"
    assert cli.main(["--db", str(target), "db", "restore", "--from", str(out)]) == 0
    assert "Restored" in capsys.readouterr().out
    assert cli.main(["--db", str(target), "db", "restore", "--from", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    a, b = create_engine_for(parse_location(demo_path)), create_engine_for(parse_location(target))
    try:
        assert_same_rows(a, b)
    finally:
        a.dispose()
        b.dispose()
