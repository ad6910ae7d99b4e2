"""Shared fixtures: real SQLite files, a real PostgreSQL schema per run, Qt offscreen, isolated settings."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

# Before anything imports Qt (PLATFORM.md 2), and before anything touches the user's folders.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_DATA = Path(tempfile.mkdtemp(prefix="fd-test-data-"))
os.environ["FEDERATION_DESK_DATA_DIR"] = str(_DATA)

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from federation_desk.db.session import Database  # noqa: E402
from federation_desk.services.startup import open_database  # noqa: E402

PG_URL = os.environ.get("FEDERATION_DESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FIXED_TODAY = date(2026, 11, 22)
# The demo federation the tests open is built around FIXED_TODAY; the screens count days from "today", so the whole
# suite (and the processes it starts) runs on that day, whatever the calendar says (services.dates.today).
os.environ["FEDERATION_DESK_TODAY"] = FIXED_TODAY.isoformat()
_pg_reason: str | None = None


def _pg_available() -> str | None:
    """None if the test server answers, else the reason it does not."""
    global _pg_reason
    if _pg_reason is None:
        try:
            engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            _pg_reason = ""
        except Exception as exc:
            _pg_reason = f"PostgreSQL test server not reachable at {PG_URL}: {type(exc).__name__}: {exc}"[:300]
    return _pg_reason or None


def pytest_report_header(config: pytest.Config) -> str:
    reason = _pg_available()
    return f"postgres: {'available at ' + PG_URL if not reason else 'SKIPPED - ' + reason}"


class PgSchema:
    """A throw-away schema on the test server, so parallel runs cannot collide."""

    def __init__(self) -> None:
        self.name = f"fdtest_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))

    @property
    def url(self) -> str:
        return f"{PG_URL}?options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


@pytest.fixture
def pg_schema() -> Iterator[PgSchema]:
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    schema = PgSchema()
    try:
        yield schema
    finally:
        schema.drop()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "federation.sqlite"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database location on each backend: a SQLite file, and a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield str(tmp_path / "federation.sqlite")
        return
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    schema = PgSchema()
    try:
        yield schema.url
    finally:
        schema.drop()


def _migrate_pg(url: str) -> None:
    from federation_desk.db import migrate
    from federation_desk.db.engine import create_engine_for, parse_location

    engine = create_engine_for(parse_location(url))
    migrate.upgrade(engine)
    engine.dispose()


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """An empty, migrated database on each backend, with reference data loaded."""
    if db_url.startswith("postgresql"):
        _migrate_pg(db_url)
    db = open_database(db_url, actor="tester").database
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = open_database(tmp_path / "federation.sqlite", actor="tester").database
    try:
        yield db
    finally:
        db.dispose()


_DEMO_CACHE: dict[str, Path] = {}


def demo_file(tmp_path: Path) -> Path:
    """A copy of the demo federation (built once per run, copied per test)."""
    if "demo" not in _DEMO_CACHE:
        from federation_desk.services.demo import build_demo

        folder = Path(tempfile.mkdtemp(prefix="fd-demo-"))
        path = folder / "demo.sqlite"
        opened = open_database(path, actor="tester")
        build_demo(opened.database, today=FIXED_TODAY)
        with opened.database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        opened.database.dispose()
        _DEMO_CACHE["demo"] = path
    target = tmp_path / "demo.sqlite"
    shutil.copy(_DEMO_CACHE["demo"], target)
    return target


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    return demo_file(tmp_path)


@pytest.fixture
def demo_db(demo_path: Path) -> Iterator[Database]:
    db = open_database(demo_path, actor="tester").database
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(autouse=True)
def _none_reference_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Qt work-arounds (ui/qt_compat.py): None's reference leak, and cycles collected on the main thread only.

    Once a Qt test has run, automatic garbage collection stays off for the rest of the run: garbage holding a Qt
    wrapper, collected by a worker thread, crashes the process. Each test's teardown collects what is due instead.
    """
    if "qtbot" in request.fixturenames or "qapp" in request.fixturenames:
        from federation_desk.ui.qt_compat import guard_none

        guard_none()
        gc.disable()
    yield
    if not gc.isenabled():
        from federation_desk.ui.qt_compat import collect_due
        from federation_desk.ui.workers import reap

        reap()
        collect_due()


@pytest.fixture(autouse=True)
def _isolated_qt_settings(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[None]:
    """Qt tests keep their settings in a file of their own (never the developer's registry or ini)."""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield
        return
    from PySide6.QtCore import QSettings

    from federation_desk.ui import settings

    settings.use_store(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    yield
    settings.store().sync()


SCREENSHOTS = Path(os.environ.get("FEDERATION_DESK_SCREENSHOTS", Path(__file__).parent.parent / "out" / "screenshots"))


@pytest.fixture
def screenshot() -> object:
    """``screenshot(widget, "name")`` saves a PNG of what the test drove, for people to look at."""

    def save(widget: object, name: str) -> Path:
        from federation_desk.ui.snapshot import save_grab

        return save_grab(widget, SCREENSHOTS / f"{name}.png")  # type: ignore[arg-type]

    return save
