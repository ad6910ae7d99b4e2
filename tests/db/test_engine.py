from __future__ import annotations

from pathlib import Path

import pytest

from federation_desk.db.engine import PG_MAX_OVERFLOW, PG_POOL_SIZE, create_engine_for, parse_location


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_engine_for(parse_location(tmp_path / "x.sqlite"))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_parse_location_forms(tmp_path: Path) -> None:
    assert parse_location(tmp_path / "a.sqlite").is_sqlite
    pg = parse_location("postgresql://alice:secret@db.example.nhs.uk:5433/federation")
    assert pg.is_postgres and pg.url.drivername == "postgresql+psycopg"
    assert pg.display == "alice@db.example.nhs.uk:5433/federation"
    assert "secret" not in pg.display and "secret" not in pg.safe_url
    with pytest.raises(ValueError, match="SQLite file or a PostgreSQL"):
        parse_location("mysql://root@localhost/x")


@pytest.mark.postgres
def test_postgres_pool_is_small(pg_schema: object) -> None:
    engine = create_engine_for(parse_location(pg_schema.url))  # type: ignore[attr-defined]
    assert engine.pool.size() == PG_POOL_SIZE == 2
    assert PG_MAX_OVERFLOW == 0  # 30 desktops x 2 stay inside PostgreSQL's default 100 connections
    engine.dispose()
