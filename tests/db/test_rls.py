"""Row-level security on PostgreSQL, tried with plain SQL as each person's own login.

A practice manager's login can neither read nor change another practice's staff, sessions or documents, whatever
SQL they type; a viewer can change nothing; nobody can rewrite the audit trail. The logins and group roles are
created per test run with unique names and dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text

from federation_desk.db import server_setup
from federation_desk.db.engine import create_engine_for, parse_location
from federation_desk.db.session import Database
from federation_desk.domain.users import UserRole
from federation_desk.errors import NotPermitted
from federation_desk.services import access
from federation_desk.services import organisation as org
from tests.conftest import PG_URL, PgSchema, _pg_available
from tests.services.test_access_rules import World, build_world

pytestmark = pytest.mark.postgres


@dataclass
class Server:
    schema: str
    url: str
    prefix: str
    world: World
    admin_engine: Any

    def dsn(self, login: str) -> str:
        return f"host=127.0.0.1 port=5432 dbname=test user={login} options=-csearch_path={self.schema}"

    def connect(self, key: str) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn(self.world.logins[key]), autocommit=True)

    def app_url(self, key: str) -> str:
        login = self.world.logins[key]
        return self.url.replace("postgres@", f"{login}@", 1)


ROLES = {
    "admin": UserRole.ADMINISTRATOR,
    "manager": UserRole.MANAGER,
    "pm_a": UserRole.PRACTICE_MANAGER,
    "pm_b": UserRole.PRACTICE_MANAGER,
    "viewer": UserRole.VIEWER,
}


def drop_logins(engine: Any, logins: list[str], prefix: str) -> None:
    with engine.connect() as conn:
        for login in logins:
            if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": login}).first():
                conn.execute(text(f'DROP OWNED BY "{login}" CASCADE'))
                conn.execute(text(f'DROP ROLE "{login}"'))
    server_setup.drop_group_roles(engine, prefix)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One server set-up for the module (it takes seconds); the tests do not depend on each other's changes."""
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    pg_schema = PgSchema()
    suffix = "_" + uuid.uuid4().hex[:8]
    prefix = f"fdt{uuid.uuid4().hex[:8]}"
    engine = create_engine_for(parse_location(pg_schema.url))
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    logins: list[str] = []
    try:
        server_setup.init_server(engine, prefix)
        db = Database(parse_location(pg_schema.url), actor="setup", engine=engine)
        world = build_world(db, suffix)
        logins = list(world.logins.values())
        with engine.begin() as conn:
            for key, login in world.logins.items():
                server_setup.create_login(conn, login, None)
                server_setup.sync_login_groups(conn, login, ROLES[key])
        yield Server(pg_schema.name, pg_schema.url, prefix, world, admin)
    finally:
        engine.dispose()
        drop_logins(admin, logins, prefix)
        admin.dispose()
        pg_schema.drop()


def _ids(conn: psycopg.Connection[Any], sql: str) -> set[int]:
    return {row[0] for row in conn.execute(sql).fetchall()}


def test_practice_manager_cannot_read_another_practices_rows_with_plain_sql(server: Server) -> None:
    w = server.world
    with server.connect("pm_a") as conn:
        assert _ids(conn, "SELECT id FROM staff_member") == {w.staff_a, w.staff_fed}
        assert _ids(conn, "SELECT id FROM practice") == {w.practice_a}
        assert _ids(conn, "SELECT id FROM indemnity_cover") == {w.cover_a}  # inherited through staff_id
        assert _ids(conn, "SELECT id FROM document") == {w.doc_a}
        assert _ids(conn, "SELECT entity_id FROM document_link") == {w.staff_a}
        assert conn.execute(f"SELECT count(*) FROM staff_member WHERE id = {w.staff_b}").fetchone() == (0,)
        audit = set(conn.execute("SELECT table_name, row_id FROM audit_entry").fetchall())
        assert ("staff_member", str(w.staff_a)) in audit
        assert ("staff_member", str(w.staff_b)) not in audit
        assert ("document", str(w.doc_b)) not in audit
        # A session setting changes nothing: the policies key on the login.
        conn.execute("SET federation_desk.practice_id = '999'")
        conn.execute("SET ROLE NONE")
        assert _ids(conn, "SELECT id FROM staff_member") == {w.staff_a, w.staff_fed}
    with server.connect("pm_b") as conn:
        assert _ids(conn, "SELECT id FROM staff_member") == {w.staff_b, w.staff_fed}
        assert _ids(conn, "SELECT id FROM document") == {w.doc_b}


def test_practice_manager_cannot_change_another_practices_rows_with_plain_sql(server: Server) -> None:
    w = server.world
    with server.connect("pm_a") as conn:
        # Invisible rows are not updated or deleted.
        assert conn.execute(f"UPDATE staff_member SET phone = 'x' WHERE id = {w.staff_b}").rowcount == 0
        assert conn.execute(f"DELETE FROM indemnity_cover WHERE id = {w.cover_b}").rowcount == 0
        assert conn.execute(f"DELETE FROM document_link WHERE entity_id = {w.staff_b}").rowcount == 0
        # Federation rows are readable but not changeable.
        assert conn.execute(f"UPDATE staff_member SET phone = 'x' WHERE id = {w.staff_fed}").rowcount == 0
        # Their own rows change.
        assert conn.execute(f"UPDATE staff_member SET phone = '01234 567890' WHERE id = {w.staff_a}").rowcount == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(f"UPDATE staff_member SET employer_practice_id = {w.practice_b} WHERE id = {w.staff_a}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO staff_member (given_name, family_name, role_id, employer_practice_id, employment_type, "
                f"version, created_at, updated_at, working_time_opt_out) VALUES ('Eve', 'Intruder', 1, {w.practice_b}, "
                "'locum', 1, now(), now(), false)"
                if _has_column(conn, "staff_member", "working_time_opt_out")
                else "INSERT INTO staff_member (given_name, family_name, role_id, employer_practice_id, "
                f"employment_type, version, created_at, updated_at) VALUES ('Eve', 'Intruder', 1, {w.practice_b}, "
                "'locum', 1, now(), now())"
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(f"UPDATE indemnity_cover SET staff_id = {w.staff_b} WHERE id = {w.cover_a}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO document_link (document_id, entity, entity_id, version, created_at, updated_at) "
                f"VALUES ({w.doc_a}, 'staff_member', {w.staff_b}, 1, now(), now())"
            )
        # The login-to-practice table is for administrators only.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(f"UPDATE app_user SET practice_id = {w.practice_b} WHERE login = current_user")
        # Federation-wide tables are read-only.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute("UPDATE role SET name = 'x'")
    with server.admin_engine.connect() as conn:
        conn.execute(text(f"SET search_path TO {server.schema}"))
        rows = dict(conn.execute(text("SELECT id, phone FROM staff_member")).all())
        assert rows[w.staff_b] is None and rows[w.staff_fed] is None and rows[w.staff_a] == "01234 567890"
        assert conn.execute(text(f"SELECT staff_id FROM indemnity_cover WHERE id = {w.cover_a}")).scalar() == w.staff_a


def _has_column(conn: psycopg.Connection[Any], table: str, column: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s "
        "AND column_name = %s",
        (table, column),
    ).fetchone()
    return row is not None


def test_viewer_cannot_write_anything(server: Server) -> None:
    w = server.world
    with server.connect("viewer") as conn:
        assert _ids(conn, "SELECT id FROM staff_member") == {w.staff_a, w.staff_b, w.staff_fed}
        for sql in (
            f"UPDATE staff_member SET phone = 'x' WHERE id = {w.staff_a}",
            "UPDATE practice SET name = 'x'",
            "DELETE FROM document_link",
            "INSERT INTO pcn (code, name, federation_id, version, created_at, updated_at) "
            "VALUES ('U55555', 'x', 1, 1, now(), now())",
            "INSERT INTO audit_entry (at, actor, action, table_name) VALUES (now(), 'x', 'insert', 'pcn')",
            "UPDATE app_user SET role = 'federation administrator'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)


def test_the_audit_trail_is_append_only_for_everyone(server: Server) -> None:
    with server.connect("admin") as conn:
        assert conn.execute("SELECT count(*) FROM audit_entry").fetchone()[0] > 0  # type: ignore[index]
        for sql in ("UPDATE audit_entry SET actor = 'x'", "DELETE FROM audit_entry", "TRUNCATE audit_entry"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    # Even the owner (who has every privilege) meets the trigger.
    with server.admin_engine.connect() as conn:
        conn.execute(text(f"SET search_path TO {server.schema}"))
        for sql in ("UPDATE audit_entry SET actor = 'x'", "DELETE FROM audit_entry", "TRUNCATE audit_entry"):
            with pytest.raises(Exception, match="append-only"):
                conn.execute(text(sql))


def test_audit_entries_carry_the_login_and_the_server_clock(server: Server) -> None:
    with server.connect("pm_a") as conn:
        conn.execute(
            "INSERT INTO audit_entry (at, actor, action, table_name, row_id) "
            "VALUES ('2001-01-01T00:00:00Z', 'Somebody Else', 'update', 'pcn', '1')"
        )
        actor, year = conn.execute(
            "SELECT actor, extract(year FROM at) FROM audit_entry WHERE table_name = 'pcn' ORDER BY id DESC LIMIT 1"
        ).fetchone()  # type: ignore[misc]
    assert actor == server.world.logins["pm_a"] and year > 2001


def test_the_app_signed_in_as_a_practice_manager(server: Server) -> None:
    w = server.world
    db = Database.open(server.app_url("pm_a"))
    try:
        acc = access.establish(db)
        assert (acc.role, acc.practice_id, acc.enforced_by) == (UserRole.PRACTICE_MANAGER, w.practice_a, "database")
        assert db.actor == w.logins["pm_a"]
        with db.session() as s:
            assert [p.id for p in org.list_practices(s)] == [w.practice_a]
        with pytest.raises(NotPermitted, match="federation-wide"), db.unit_of_work() as s:
            org.save_pcn(s, org.PcnForm(code="U12345", name="X"))
        with db.unit_of_work() as s:
            row = org.get_practice(s, w.practice_a)
            org.save_practice(
                s, org.PracticeForm(ods_code=row.ods_code, name="Ashfield Surgery (renamed)"), row.id, row.version
            )
    finally:
        access.release(db)
        db.dispose()


def test_an_unlisted_login_is_told_what_to_ask_for(server: Server) -> None:
    login = f"stranger_{uuid.uuid4().hex[:8]}"
    with server.admin_engine.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{login}" LOGIN'))
    try:
        db = Database.open(server.url.replace("postgres@", f"{login}@", 1))
        try:
            with db.session() as s, pytest.raises(NotPermitted, match="not listed"):
                access.resolve_access(s, "ignored")
        finally:
            db.dispose()
    finally:
        with server.admin_engine.connect() as conn:
            conn.execute(text(f'DROP ROLE "{login}"'))
