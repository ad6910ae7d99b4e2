"""One engine factory for a local SQLite file and a shared PostgreSQL server (psycopg 3)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url

from federation_desk import APP_NAME

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A shared server serves 30 desktops inside PostgreSQL's default 100 connections: two each, never more.
PG_POOL_SIZE = 2
PG_MAX_OVERFLOW = 0
# A pooled server connection idle longer than this is checked ("SELECT 1") before use, so a server restart or a
# dropped VPN is met by a fresh connection instead of an error. One in active use is not: a check on every
# checkout would add a round trip to every transaction.
PG_IDLE_CHECK_SECONDS = 10.0


@dataclass(frozen=True)
class DatabaseLocation:
    """Where a federation database lives. Built by :func:`parse_location` from a file path or a URL."""

    url: URL

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or not self.url.database or self.url.database == ":memory:":
            return None
        return Path(self.url.database)

    @property
    def display(self) -> str:
        """What the status bar shows: a file path, or user@host/database with no password."""
        if self.is_sqlite:
            return str(self.sqlite_path or "in-memory database")
        host = self.url.host or "localhost"
        port = f":{self.url.port}" if self.url.port else ""
        user = f"{self.url.username}@" if self.url.username else ""
        return f"{user}{host}{port}/{self.url.database}"

    @property
    def safe_url(self) -> str:
        return self.url.render_as_string(hide_password=True)


def parse_location(path_or_url: str | Path) -> DatabaseLocation:
    """Accept ``C:\\...\\federation.sqlite``, ``sqlite:///...`` or ``postgresql://user@host/db``."""
    text = str(path_or_url).strip()
    if "://" not in text:
        return DatabaseLocation(URL.create("sqlite+pysqlite", database=str(Path(text).expanduser().resolve())))
    url = make_url(text)
    backend = url.get_backend_name()
    if backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        url = url.set(drivername="sqlite+pysqlite")
    else:
        raise ValueError(f"Federation Desk works with a local SQLite file or a PostgreSQL server, not '{backend}'.")
    return DatabaseLocation(url)


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine_for(location: DatabaseLocation, *, echo: bool = False) -> Engine:
    if location.is_sqlite:
        path = location.sqlite_path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            location.url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    engine = create_engine(
        location.url,
        echo=echo,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_recycle=1800,
        connect_args={"application_name": APP_NAME, "connect_timeout": 10},
    )
    event.listen(engine, "checkout", _check_if_idle)
    event.listen(engine, "checkin", _note_last_use)
    return engine


def _note_last_use(_dbapi_connection: Any, record: Any) -> None:
    record.info["last_use"] = time.monotonic()


def _check_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Check a connection that sat idle in the pool; a dead one is replaced (the pool retries the checkout)."""
    last_use = record.info.get("last_use")
    if last_use is None or time.monotonic() - last_use < PG_IDLE_CHECK_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:
        raise exc.DisconnectionError(f"the pooled connection was lost: {error}") from error
