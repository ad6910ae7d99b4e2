"""``db init-server`` and ``users ...``: idempotent, generic over every practice-scoped table, driven by the CLI."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text

from federation_desk import cli
from federation_desk.db import guards, server_setup
from federation_desk.db.engine import create_engine_for, parse_location
from federation_desk.errors import FederationDeskError
from tests.conftest import PG_URL
from tests.db.test_rls import drop_logins


@pytest.fixture
def prefix(pg_schema: Any) -> Iterator[str]:
    name = f"fdt{uuid.uuid4().hex[:8]}"
    yield name
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            logins = conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"), {"p": f"{name}%"})
            extra = [r[0] for r in logins if not r[0].endswith(("_administrator", "_manager", "_viewer"))]
        drop_logins(admin, extra, name)
    finally:
        admin.dispose()


def _policies(engine: Any) -> dict[str, set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT tablename, policyname FROM pg_policies WHERE schemaname = current_schema()")
        ).all()
    found: dict[str, set[str]] = {}
    for table, name in rows:
        found.setdefault(table, set()).add(name)
    return found


def _rls_tables(engine: Any) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relrowsecurity"
            )
        ).scalars()
        return set(rows)


def test_init_server_covers_every_practice_scoped_table_and_is_idempotent(pg_schema: Any, prefix: str) -> None:
    engine = create_engine_for(parse_location(pg_schema.url))
    try:
        first = server_setup.init_server(engine, prefix)
        policies = _policies(engine)
        graph = guards.scope_graph()
        expected = set(graph.scopes) | {"document", "document_link", "audit_entry"}
        assert _rls_tables(engine) == expected == set(first.protected_tables)
        # Every table another module declared practice-scoped, and every one inheriting a scope, is covered.
        for table in graph.scopes:
            assert {"fd_practice_read", "fd_practice_update", "fd_federation", "fd_viewer_read"} <= policies[table]
        second = server_setup.init_server(engine)  # the prefix is remembered
        assert second.groups.prefix == prefix and not second.upgraded
        assert _policies(engine) == policies
        with pytest.raises(FederationDeskError, match="group roles"):
            server_setup.init_server(engine, prefix + "x")
    finally:
        engine.dispose()


def test_init_server_refuses_a_local_file(tmp_path: Path) -> None:
    engine = create_engine_for(parse_location(tmp_path / "local.sqlite"))
    try:
        with pytest.raises(FederationDeskError, match="PostgreSQL"):
            server_setup.init_server(engine)
    finally:
        engine.dispose()


def test_the_command_line_sets_up_a_server_and_its_users(
    pg_schema: Any, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_schema.url
    assert cli.main(["--db", url, "db", "init-server", "--group-prefix", prefix]) == 0
    out = capsys.readouterr().out
    assert "set up for shared use" in out and f"{prefix}_practice_manager" in out
    assert cli.main(["--db", url, "db", "init-server"]) == 0  # again: nothing breaks
    capsys.readouterr()
    assert cli.main(["--db", url, "db", "upgrade"]) == 0  # an upgrade keeps the access rules in force
    assert "Row-level security and grants re-applied" in capsys.readouterr().out
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"SET search_path TO {pg_schema.name}")
        conn.execute(
            "INSERT INTO practice (ods_code, name, active, version, created_at, updated_at) "
            "VALUES ('A81001', 'Ashfield Surgery', true, 1, now(), now())"
        )
    admin_login, pm_login = f"{prefix}_ada", f"{prefix}_pat"
    assert cli.main(["--db", url, "users", "add", admin_login, "--role", "administrator", "--create-login"]) == 0
    add_pm = ["users", "add", pm_login, "--role", "practice-manager", "--practice", "A81001", "--name", "Pat"]
    code = cli.main(["--db", url, *add_pm, "--create-login"])
    assert code == 0
    capsys.readouterr()
    assert cli.main(["--db", url, "users", "list"]) == 0
    listing = capsys.readouterr().out
    assert pm_login in listing and "A81001 Ashfield Surgery" in listing
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        member = conn.execute(
            "SELECT pg_has_role(%s, %s, 'MEMBER'), pg_has_role(%s, %s, 'MEMBER')",
            (pm_login, f"{prefix}_practice_manager", pm_login, f"{prefix}_viewer"),
        ).fetchone()
        assert member == (True, False)
    # A change of role moves the login to the other group.
    assert cli.main(["--db", url, "users", "set", pm_login, "--role", "viewer"]) == 0
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        member = conn.execute(
            "SELECT pg_has_role(%s, %s, 'MEMBER'), pg_has_role(%s, %s, 'MEMBER')",
            (pm_login, f"{prefix}_practice_manager", pm_login, f"{prefix}_viewer"),
        ).fetchone()
        assert member == (False, True)
    # Bad input changes nothing and says why.
    assert cli.main(["--db", url, "users", "add", "x y", "--role", "viewer"]) == 1
    assert "cannot be a login" in capsys.readouterr().err
    assert cli.main(["--db", url, "users", "add", "ghost", "--role", "viewer"]) == 1
    assert "no login called ghost" in capsys.readouterr().err
    assert cli.main(["--db", url, "users", "remove", pm_login]) == 0
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"SET search_path TO {pg_schema.name}")
        assert conn.execute("SELECT count(*) FROM app_user WHERE login = %s", (pm_login,)).fetchone() == (0,)
        assert conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (pm_login, f"{prefix}_viewer")).fetchone() == (
            False,
        )


def test_users_on_a_local_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "local.sqlite")
    assert cli.main(["--db", path, "users", "list"]) == 0
    assert "No users are listed" in capsys.readouterr().out
    assert cli.main(["--db", path, "users", "add", "pat", "--role", "practice-manager"]) == 1
    assert "ODS code" in capsys.readouterr().err
    assert cli.main(["--db", path, "users", "add", "ada", "--role", "administrator", "--name", "Ada Łukasz"]) == 0
    assert cli.main(["--db", path, "users", "list"]) == 0
    assert "Ada Łukasz" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        cli.main(["--db", path, "users", "add", "bob", "--role", "chief"])
    assert exited.value.code == 2
    assert "choose one of: administrator, manager, practice-manager, viewer" in capsys.readouterr().err
