from __future__ import annotations

import time
from pathlib import Path
from typing import Any

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


@pytest.mark.postgres
def test_a_pooled_connection_lost_while_idle_is_replaced_not_reported(
    pg_schema: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server restarted (or the VPN dropped) while the desktop sat idle: the next query gets a fresh
    connection. A connection in active use is not checked before each transaction (no extra round trip)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    from federation_desk.db import engine as engine_module
    from tests.conftest import PG_URL

    engine = create_engine_for(parse_location(pg_schema.url))  # type: ignore[attr-defined]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        _terminate(admin, first_pid)
        monkeypatch.setattr(engine_module, "PG_IDLE_CHECK_SECONDS", 0.0)
        with engine.connect() as conn:  # idle "long enough": checked, found dead, replaced
            second_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second_pid != first_pid
        monkeypatch.setattr(engine_module, "PG_IDLE_CHECK_SECONDS", 3600.0)
        _terminate(admin, second_pid)
        with pytest.raises(OperationalError), engine.connect() as conn:  # in use: not checked, the loss surfaces
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
        admin.dispose()


def _terminate(admin: Any, pid: int) -> None:
    """End a server connection as a server restart would, and wait until it is gone."""
    from sqlalchemy import text

    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        deadline = time.monotonic() + 10
        while conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar():
            assert time.monotonic() < deadline, "the server did not end the connection"
            time.sleep(0.02)
