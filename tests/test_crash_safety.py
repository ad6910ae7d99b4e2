"""Crash safety: the app's process is killed (SIGKILL, no clean-up of any kind) in the middle of an import, of a bulk
write and of a PDF build. Afterwards the database is consistent (nothing of the unfinished work, integrity intact,
the app opens it and writes again) and no half-written PDF sits where the person asked for one.

Each child is a real Federation Desk process doing the real work; it prints a marker from the work's own progress
callback at a point where the work is half done, and holds there until it is killed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from federation_desk.db.engine import create_engine_for, parse_location
from federation_desk.domain.staff import StaffMember
from federation_desk.services import organisation as org
from federation_desk.services.startup import open_database
from tests.conftest import PG_URL, PgSchema, _pg_available

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is a POSIX signal")

ROOT = Path(__file__).resolve().parents[1]

# A progress that reports "MIDWAY" once the work is half done, then holds the process there until it is killed.
HOLD = textwrap.dedent(
    """
    import sys, time
    class HoldHalfway:
        def __init__(self, when):
            self.when = when
        def update(self, done, total=None, text=""):
            if self.when(done, total, text):
                print("MIDWAY", flush=True)
                time.sleep(120)
        def check(self):
            pass
    """
)

IMPORT_CHILD = HOLD + textwrap.dedent(
    """
    from pathlib import Path
    from federation_desk.services.startup import open_database
    from federation_desk.services import importing
    db = open_database(sys.argv[1], actor="crash test").database
    # People are written first, then their registrations: hold as the registrations start, with every person
    # already inserted inside the import's one transaction.
    progress = HoldHalfway(lambda done, total, text: text.startswith("Writing registrations"))
    with db.unit_of_work() as session:
        importing.import_file(session, Path(sys.argv[2]), importing.ImportKind.STAFF, progress=progress)
    print("FINISHED", flush=True)
    """
)

BULK_CHILD = HOLD + textwrap.dedent(
    """
    from federation_desk.services.demo import build_demo
    from federation_desk.services.startup import open_database
    db = open_database(sys.argv[1], actor="crash test").database
    build_demo(db, progress=HoldHalfway(lambda done, total, text: bool(total) and done >= total // 2))
    print("FINISHED", flush=True)
    """
)

PDF_CHILD = HOLD + textwrap.dedent(
    """
    from pathlib import Path
    from federation_desk.db.session import Database
    from federation_desk.reports import flowables, tables, templates
    from federation_desk.services.organisation import list_practices
    db = Database.open(sys.argv[1])
    with db.session() as s:
        practices = list_practices(s)
    info = templates.ReportInfo("Practices, many times over", "crash test", reference="crash")
    progress = HoldHalfway(lambda done, total, text: text.startswith("Laying out page") and done >= 12)
    columns = [
        tables.ColumnSpec("ODS", lambda r: r.ods_code, 0.6),
        tables.ColumnSpec("Practice", lambda r: r.name, 2.4),
        tables.ColumnSpec("List size", lambda r: f"{r.list_size or 0:,}", 0.8, "right"),
    ]
    def build(path):
        doc = templates.ReportDocument(path, info, progress=progress)
        story = [flowables.Heading("Practices")]
        for _ in range(60):
            story.append(tables.build_table(columns, practices, doc.width))
        doc.build_story(story)
    templates.write_pdf_atomically(Path(sys.argv[2]), build)
    print("FINISHED", flush=True)
    """
)


def run_until_midway_then_kill(code: str, *args: str, tmp_path: Path) -> None:
    """Run ``code`` in a fresh Python process, wait for MIDWAY, SIGKILL it, and check it really died that way."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        FEDERATION_DESK_DATA_DIR=str(tmp_path / "child-data"),
        PYTHONPATH=str(ROOT),
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("MIDWAY"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=30)
    stderr = proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL, f"the child was not killed midway: {lines} {stderr[-2000:]}"
    assert not any(line.startswith("FINISHED") for line in lines)


def sqlite_is_intact(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def still_works(location: str) -> None:
    """The app opens the database after the crash and can write to it at once (no lock left behind)."""
    database = open_database(location, actor="after the crash").database
    try:
        with database.unit_of_work() as s:
            org.save_federation(s, org.FederationForm(name="Written after the crash"))
        with database.session() as s:
            fed = org.get_federation(s)
            assert fed is not None and fed.name == "Written after the crash"
    finally:
        database.dispose()


def staff_csv(path: Path, rows: int) -> Path:
    lines = ["Staff number,First name,Surname,Job title,Practice,Employment type,Email,GMC number"]
    lines += [f"CR{i:05d},Crash{i},Tëst,GP,Y91000,Employed,crash{i}@example.nhs.uk,{7100000 + i}" for i in range(rows)]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _count(location: str, where: Any = None) -> int:
    engine = create_engine_for(parse_location(location))
    try:
        with engine.connect() as conn:
            stmt = select(func.count(StaffMember.id))
            if where is not None:
                stmt = stmt.where(where)
            return int(conn.scalar(stmt) or 0)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo_location(request: pytest.FixtureRequest, demo_path: Path) -> Any:
    """The demo federation as a local file, and restored onto a server schema."""
    if request.param == "sqlite":
        yield str(demo_path)
        return
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    from federation_desk.services.backup import restore_database

    schema = PgSchema()
    try:
        restore_database(demo_path, schema.url)
        yield schema.url
    finally:
        schema.drop()


def test_killed_in_the_middle_of_an_import(demo_location: str, tmp_path: Path) -> None:
    try:
        import federation_desk.services.importing  # noqa: F401
    except ImportError:
        pytest.skip("the HR importer is not in this version; the bulk-write test covers the same ground")
    before = _count(demo_location)
    source = staff_csv(tmp_path / "staff.csv", 12_000)
    run_until_midway_then_kill(IMPORT_CHILD, demo_location, str(source), tmp_path=tmp_path)
    if demo_location.endswith(".sqlite"):
        sqlite_is_intact(Path(demo_location))
    else:
        _wait_for_server_to_notice(demo_location)
    # 12,000 people had been written inside the import's transaction: none of them survives.
    assert _count(demo_location) == before
    assert _count(demo_location, StaffMember.staff_number.like("CR%")) == 0
    still_works(demo_location)


def test_killed_in_the_middle_of_a_bulk_write(tmp_path: Path) -> None:
    location = str(tmp_path / "bulk.sqlite")
    open_database(location, actor="setup").database.dispose()
    run_until_midway_then_kill(BULK_CHILD, location, tmp_path=tmp_path)
    sqlite_is_intact(Path(location))
    assert _count(location) == 0  # the demo is one transaction: nothing of it stayed
    still_works(location)


def test_killed_in_the_middle_of_a_pdf_build(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    target = out / "practices.pdf"
    old = b"%PDF-1.4\n% last month's report, complete\n%%EOF\n"
    target.write_bytes(old)
    fresh = out / "new-report.pdf"
    run_until_midway_then_kill(PDF_CHILD, str(demo_path), str(target), tmp_path=tmp_path)
    run_until_midway_then_kill(PDF_CHILD, str(demo_path), str(fresh), tmp_path=tmp_path)
    # Where the person asked for a PDF there is the complete old one, or nothing: never half a new one.
    assert target.read_bytes() == old
    assert not fresh.exists()
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == {"practices.pdf"}
    sqlite_is_intact(demo_path)


def _wait_for_server_to_notice(location: str) -> None:
    """The server ends a dead client's session (and rolls its transaction back) once it sees the socket close."""
    import time

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with admin.connect() as conn:
                busy = conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND query LIKE :q"),
                    {"q": "%staff_member%"},
                ).scalar()
            if not busy:
                return
            time.sleep(0.2)
    finally:
        admin.dispose()
