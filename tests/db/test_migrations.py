"""Alembic owns the schema: upgrade from empty yields exactly the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import federation_desk.domain  # noqa: F401
from federation_desk.db import migrate
from federation_desk.db.engine import create_engine_for, parse_location
from federation_desk.domain.base import Base
from federation_desk.errors import SchemaOutOfDate


def _diff(engine: object) -> list[object]:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_from_empty_matches_models_and_round_trips(db_url: str) -> None:
    location = parse_location(db_url)
    engine = create_engine_for(location)
    try:
        migrate.upgrade(engine)
        assert migrate.current_revisions(engine) == migrate.head_revisions()
        assert _diff(engine) == []
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
        command.downgrade(migrate.alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_postgres_refuses_an_empty_or_older_schema_and_names_the_command(pg_schema: object) -> None:
    location = parse_location(pg_schema.url)  # type: ignore[attr-defined]
    engine = create_engine_for(location)
    try:
        with pytest.raises(SchemaOutOfDate) as err:
            migrate.prepare(engine, location)
        assert "db upgrade" in err.value.what_to_do
        assert "federation-desk-cli" in err.value.what_to_do
        migrate.upgrade(engine)
        assert migrate.prepare(engine, location).upgraded is False
    finally:
        engine.dispose()


def test_sqlite_refuses_a_database_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    conn.commit()
    conn.close()
    location = parse_location(path)
    engine = create_engine_for(location)
    try:
        with pytest.raises(SchemaOutOfDate, match="newer version"):
            migrate.prepare(engine, location)
    finally:
        engine.dispose()


def test_sqlite_upgrade_at_start_up_keeps_a_backup(tmp_path: Path) -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    older = [rev for rev in script.walk_revisions() if rev.down_revision is not None]
    if not older:
        pytest.skip("needs a second migration to have an older schema to upgrade from")
    path = tmp_path / "old.sqlite"
    location = parse_location(path)
    engine = create_engine_for(location)
    migrate.upgrade(engine)
    command.downgrade(migrate.alembic_config(engine), "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO federation (name, version, created_at, updated_at) "
            "VALUES ('Before upgrade', 1, '2026-01-01', '2026-01-01')"
        )
    result = migrate.prepare(engine, location, backup_folder=tmp_path / "backups")
    engine.dispose()
    assert result.upgraded and result.backup is not None and result.backup.exists()
    copy = sqlite3.connect(result.backup)
    assert copy.execute("SELECT name FROM federation").fetchall() == [("Before upgrade",)]
    copy.close()


def test_backup_copy_is_consistent(sqlite_db: object, tmp_path: Path) -> None:
    from federation_desk.services.organisation import FederationForm, save_federation

    with sqlite_db.unit_of_work() as s:  # type: ignore[attr-defined]
        save_federation(s, FederationForm(name="Łukasz's <Federation> & Co"))
    path = sqlite_db.location.sqlite_path  # type: ignore[attr-defined]
    backup = migrate.backup_sqlite(path, tmp_path / "b", "test")
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT name FROM federation").fetchone() == ("Łukasz's <Federation> & Co",)
    copy.close()


def test_the_known_schema_heads_are_the_migration_scripts_heads() -> None:
    """SCHEMA_HEADS lets an up-to-date database open without Alembic: it must name exactly what the scripts reach
    (a new migration without updating it fails here)."""
    assert migrate.head_revisions() == set(migrate.SCHEMA_HEADS)


def test_an_up_to_date_database_opens_without_loading_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "current.sqlite"
    engine = create_engine_for(parse_location(path))
    migrate.upgrade(engine)
    engine.dispose()
    code = (
        "import sys\n"
        "from federation_desk.db import migrate\n"
        "from federation_desk.db.engine import create_engine_for, parse_location\n"
        f"location = parse_location({str(path)!r})\n"
        "engine = create_engine_for(location)\n"
        "result = migrate.prepare(engine, location)\n"
        "print(result.upgraded, 'alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["False", "False"], out.stderr
