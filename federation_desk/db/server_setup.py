"""``db init-server``: make a PostgreSQL database ready for a federation's shared use. Idempotent.

Run by the IT administrator, as a login that owns the database (or a superuser) and may create roles:

1. brings the schema to this version (Alembic ``upgrade heads``) and loads the reference data;
2. creates four group roles (``<prefix>_administrator``, ``<prefix>_manager``, ``<prefix>_practice_manager``,
   ``<prefix>_viewer``; they cannot sign in) and grants each what its role may do: viewers read; practice managers
   read and change practice-scoped tables; managers change everything but the list of users; nobody but the owner may
   UPDATE or DELETE the audit trail (a trigger from migration 0007 refuses it as well);
3. turns on row-level security with policies generated from the models (``db.guards.scope_graph``): every table
   that declares ``__practice_scope__``, every table that inherits a scope through its foreign keys, documents and
   their attachments, and the audit trail. The policies key on the login itself: ``current_user`` looked up in
   ``app_user`` (which only administrators can change), never on a setting a client could ``SET``;
4. makes audit entries written by a listed login carry that login and the server's clock.

Running it again after an upgrade covers tables that new versions (or other modules) added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from federation_desk.db import migrate
from federation_desk.db.guards import SPECIAL_TABLES, ScopeGraph, scope_graph
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.documents import Document, DocumentLink
from federation_desk.domain.users import AccessSetting, AppUser, ErasureRecord, UserRole
from federation_desk.errors import FederationDeskError

DEFAULT_PREFIX = "federation_desk"
PREFIX_KEY = "group_role_prefix"
POLICY_PREFIX = "fd_"
ROLE_SUFFIX = {
    UserRole.ADMINISTRATOR: "administrator",
    UserRole.MANAGER: "manager",
    UserRole.PRACTICE_MANAGER: "practice_manager",
    UserRole.VIEWER: "viewer",
}
_PREFIX = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def q(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class GroupRoles:
    prefix: str

    def name(self, role: UserRole) -> str:
        return f"{self.prefix}_{ROLE_SUFFIX[role]}"

    @property
    def admin(self) -> str:
        return self.name(UserRole.ADMINISTRATOR)

    @property
    def manager(self) -> str:
        return self.name(UserRole.MANAGER)

    @property
    def practice_manager(self) -> str:
        return self.name(UserRole.PRACTICE_MANAGER)

    @property
    def viewer(self) -> str:
        return self.name(UserRole.VIEWER)

    @property
    def all(self) -> list[str]:
        return [self.name(r) for r in UserRole]


@dataclass(frozen=True)
class SetupReport:
    schema: str
    groups: GroupRoles
    protected_tables: tuple[str, ...]
    tables: int
    upgraded: bool

    def lines(self) -> list[str]:
        return [
            f"Schema {self.schema}: {self.tables} tables, "
            + ("upgraded to this version." if self.upgraded else "already at this version."),
            "Group roles: " + ", ".join(self.groups.all) + ".",
            f"Row-level security on {len(self.protected_tables)} tables: " + ", ".join(self.protected_tables) + ".",
            "Add people with: federation-desk-cli --db URL users add LOGIN --role ROLE [--practice ODS]",
        ]


# ---- policy expressions ---------------------------------------------------------------------------------------


class PolicySql:
    """Builds the SQL of the policies from the scope graph, with every table name schema-qualified."""

    def __init__(self, schema: str, graph: ScopeGraph) -> None:
        self.schema = schema
        self.graph = graph
        self.users = f"{q(schema)}.{q(AppUser.__tablename__)}"

    def t(self, table: str) -> str:
        return f"{q(self.schema)}.{q(table)}"

    def my_role_is(self, *roles: UserRole) -> str:
        names = ", ".join(lit(r.value) for r in roles)
        return (
            f"EXISTS (SELECT 1 FROM {self.users} u WHERE u.login = current_user AND u.active AND u.role IN ({names}))"
        )

    @property
    def my_practice(self) -> str:
        return (
            f"(SELECT u.practice_id FROM {self.users} u WHERE u.login = current_user AND u.active "
            f"AND u.role = {lit(UserRole.PRACTICE_MANAGER.value)})"
        )

    def visible(self, table: str) -> str:
        """The ids of ``table`` the person can read, computed once per statement under the table's own policies.

        A function call (not an inlined sub-query) keeps each plan small: inlining the policies of every table a
        document or an audit entry may refer to made plans take seconds.
        """
        return f"(SELECT {q(self.schema)}.fd_visible_ids({lit(self.schema + '.' + table)}::regclass))"

    def readable(self, table: str, ref: str) -> str:
        """A practice manager may read the row ``ref`` (an alias or the table's name) of ``table``."""
        scope = self.graph.scopes[table]
        if scope.column is not None:
            col = f"{ref}.{q(scope.column)}"
            return f"({col} IS NULL OR {col} = {self.my_practice})"
        # "Readable" for the parent is exactly "the person can see it": its own policies decide.
        parts = [
            f"({ref}.{q(column)} IS NULL OR {ref}.{q(column)} IN {self.visible(parent)})"
            for column, parent in scope.parents
        ]
        return "(" + " AND ".join(parts) + ")"

    def changeable(self, table: str, ref: str, depth: int = 0) -> str:
        """A practice manager may change the row ``ref`` of ``table``."""
        scope = self.graph.scopes[table]
        if scope.column is not None:
            return f"({ref}.{q(scope.column)} = {self.my_practice})"
        alias = f"p{depth}"
        options = [
            f"EXISTS (SELECT 1 FROM {self.t(parent)} {alias} WHERE {alias}.id = {ref}.{q(column)} "
            f"AND {self.changeable(parent, alias, depth + 1)})"
            for column, parent in scope.parents
        ]
        return f"({self.readable(table, ref)} AND ({' OR '.join(options)}))"

    def link_rule(self, ref: str, change: bool) -> str:
        whens = []
        for table in self.graph.scoped_tables:
            if change:
                rule = (
                    f"EXISTS (SELECT 1 FROM {self.t(table)} x WHERE x.id = {ref}.entity_id "
                    f"AND {self.changeable(table, 'x')})"
                )
            else:
                rule = f"{ref}.entity_id IN {self.visible(table)}"
            whens.append(f"WHEN {lit(table)} THEN {rule}")
        default = "false" if change else "true"
        return f"(CASE {ref}.entity {' '.join(whens)} ELSE {default} END)"

    def document_sources(self) -> str:
        """The ids of documents something readable refers to (run under the person's own policies)."""
        parts = [f"SELECT document_id FROM {self.t(DocumentLink.__tablename__)}"]
        for table, column in self.graph.document_refs:
            parts.append(f"SELECT {q(column)} FROM {self.t(table)} WHERE {q(column)} IS NOT NULL")
        return " UNION ".join(parts)

    def document_readable(self, ref: str) -> str:
        return f"({ref}.uploaded_by = current_user OR {ref}.id IN (SELECT {q(self.schema)}.fd_visible_documents()))"

    def audit_readable(self, ref: str) -> str:
        protected = [*self.graph.scoped_tables, Document.__tablename__, DocumentLink.__tablename__]
        whens = [
            f"WHEN {lit(table)} THEN {q(self.schema)}.fd_int({ref}.row_id) IN {self.visible(table)}"
            for table in protected
        ]
        return f"(CASE {ref}.table_name {' '.join(whens)} ELSE true END)"


# ---- the set-up -----------------------------------------------------------------------------------------------


def _schema(conn: Connection) -> str:
    return str(conn.execute(text("SELECT current_schema()")).scalar_one())


def _tables(conn: Connection, schema: str) -> list[str]:
    rows = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"), {"s": schema}
    ).scalars()
    return list(rows)


def _ensure_group(conn: Connection, name: str) -> None:
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    if exists is None:
        conn.execute(text(f"CREATE ROLE {q(name)} NOLOGIN"))


def _grant(conn: Connection, privileges: str, tables: Iterable[str], schema: str, role: str) -> None:
    names = [f"{q(schema)}.{q(t)}" for t in tables]
    if names:
        conn.execute(text(f"GRANT {privileges} ON {', '.join(names)} TO {q(role)}"))


def stored_prefix(conn: Connection) -> str | None:
    row = conn.execute(
        text(f"SELECT value FROM {q(AccessSetting.__tablename__)} WHERE key = :k"), {"k": PREFIX_KEY}
    ).first()
    return str(row[0]) if row else None


def group_roles(conn: Connection) -> GroupRoles | None:
    """The group roles ``db init-server`` created for this database, or None if it has not been run."""
    prefix = stored_prefix(conn)
    return GroupRoles(prefix) if prefix else None


def init_server(engine: Engine, prefix: str | None = None) -> SetupReport:
    """Everything ``db init-server`` does (see the module's docstring). Safe to run again."""
    if engine.dialect.name != "postgresql":
        raise FederationDeskError(
            "db init-server sets up a PostgreSQL server; this is a local SQLite file.",
            "A local file needs no set-up: just open it. Use a postgresql:// address for a server.",
        )
    before = migrate.current_revisions(engine)
    migrate.upgrade(engine)
    upgraded = before != migrate.current_revisions(engine)
    _load_reference_data(engine)
    graph = scope_graph()
    with engine.begin() as conn:
        schema = _schema(conn)
        existing = stored_prefix(conn)
        chosen = prefix or existing or DEFAULT_PREFIX
        if not _PREFIX.match(chosen):
            raise FederationDeskError(
                f"'{chosen}' cannot name the group roles.",
                "Use lower-case letters, digits and underscores, starting with a letter (e.g. federation_desk).",
            )
        if existing and prefix and existing != prefix:
            raise FederationDeskError(
                f"This database was set up with the group roles {existing}_*, not {prefix}_*.",
                f"Run the command again with --group-prefix {existing}, or without --group-prefix.",
            )
        groups = GroupRoles(chosen)
        conn.execute(
            text(
                f"INSERT INTO {q(AccessSetting.__tablename__)} (key, value) VALUES (:k, :v) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ),
            {"k": PREFIX_KEY, "v": chosen},
        )
        tables = _tables(conn, schema)
        protected = _setup_grants_and_policies(conn, schema, tables, groups, graph)
    return SetupReport(schema, groups, tuple(protected), len(tables), upgraded)


def _load_reference_data(engine: Engine) -> None:
    from federation_desk.db.engine import DatabaseLocation
    from federation_desk.db.session import Database
    from federation_desk.services.reference import load_reference_data

    database = Database(DatabaseLocation(engine.url), actor="server set-up", engine=engine)
    with database.unit_of_work() as session:
        load_reference_data(session)


def _setup_grants_and_policies(
    conn: Connection, schema: str, tables: list[str], groups: GroupRoles, graph: ScopeGraph
) -> list[str]:
    for name in groups.all:
        _ensure_group(conn, name)
    everyone = ", ".join(q(n) for n in groups.all)
    writers = ", ".join(q(n) for n in (groups.admin, groups.manager, groups.practice_manager))
    conn.execute(text(f"GRANT USAGE ON SCHEMA {q(schema)} TO {everyone}"))
    # Start from nothing on every table, so re-running after a change of rules leaves no stale grant behind.
    all_tables = ", ".join(f"{q(schema)}.{q(t)}" for t in tables)
    conn.execute(text(f"REVOKE ALL ON {all_tables} FROM {everyone}"))
    conn.execute(text(f"GRANT SELECT ON {all_tables} TO {everyone}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q(schema)} TO {writers}"))

    audit = AuditEntry.__tablename__
    admin_only = {AppUser.__tablename__, AccessSetting.__tablename__, ErasureRecord.__tablename__}
    app_tables = [t for t in tables if t not in {audit, "alembic_version"}]
    _grant(conn, "INSERT, UPDATE, DELETE", app_tables, schema, groups.admin)
    _grant(conn, "INSERT, UPDATE, DELETE", [t for t in app_tables if t not in admin_only], schema, groups.manager)
    practice_tables = [
        t for t in app_tables if t in graph.scopes or t in (Document.__tablename__, DocumentLink.__tablename__)
    ]
    _grant(conn, "INSERT, UPDATE, DELETE", practice_tables, schema, groups.practice_manager)
    _grant(conn, "INSERT", [audit], schema, groups.admin)
    _grant(conn, "INSERT", [audit], schema, groups.manager)
    _grant(conn, "INSERT", [audit], schema, groups.practice_manager)
    conn.execute(
        text(f"GRANT EXECUTE ON FUNCTION {q(schema)}.fd_redact_audit(text, text[], text[]) TO {q(groups.admin)}")
    )
    sql = PolicySql(schema, graph)

    conn.execute(
        text(
            f"CREATE OR REPLACE FUNCTION {q(schema)}.fd_int(value text) RETURNS bigint LANGUAGE sql IMMUTABLE AS "
            "$fn$ SELECT CASE WHEN value ~ '^[0-9]{1,18}$' THEN value::bigint END $fn$"
        )
    )
    # Invoker's rights: the query runs under the caller's own policies, so it returns only what they may see.
    conn.execute(
        text(
            f"CREATE OR REPLACE FUNCTION {q(schema)}.fd_visible_ids(tbl regclass) RETURNS SETOF bigint "
            "LANGUAGE plpgsql STABLE AS $fn$ BEGIN RETURN QUERY EXECUTE format('SELECT id::bigint FROM %I.%I', "
            "n.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
            "c.relnamespace WHERE c.oid = tbl; END $fn$"
        )
    )
    conn.execute(
        text(
            f"CREATE OR REPLACE FUNCTION {q(schema)}.fd_visible_documents() RETURNS SETOF bigint "
            f"LANGUAGE sql STABLE AS $fn$ {sql.document_sources()} $fn$"
        )
    )
    protected = sorted(
        t for t in tables if t in graph.scopes or t in (Document.__tablename__, DocumentLink.__tablename__, audit)
    )
    for table in tables:
        _drop_our_policies(conn, schema, table)
        if table not in protected:
            conn.execute(text(f"ALTER TABLE {q(schema)}.{q(table)} DISABLE ROW LEVEL SECURITY"))
    full = sql.my_role_is(UserRole.ADMINISTRATOR, UserRole.MANAGER)
    viewer = sql.my_role_is(UserRole.VIEWER)
    for table in protected:
        target = f"{q(schema)}.{q(table)}"
        ref = q(table)
        conn.execute(text(f"ALTER TABLE {target} ENABLE ROW LEVEL SECURITY"))

        def policy(name: str, command: str, role: str, using: str | None, check: str | None) -> None:
            clause = f"CREATE POLICY {q(POLICY_PREFIX + name)} ON {target} FOR {command} TO {q(role)}"  # noqa: B023
            if using is not None:
                clause += f" USING ({using})"
            if check is not None:
                clause += f" WITH CHECK ({check})"
            conn.execute(text(clause))

        policy("federation", "ALL", groups.admin, full, full)
        policy("federation_manager", "ALL", groups.manager, full, full)
        policy("viewer_read", "SELECT", groups.viewer, viewer, None)
        if table == audit:
            policy("practice_read", "SELECT", groups.practice_manager, sql.audit_readable(ref), None)
            policy("practice_insert", "INSERT", groups.practice_manager, None, "true")
            continue
        if table == Document.__tablename__:
            readable = sql.document_readable(ref)
            mine = f"{ref}.uploaded_by = current_user"
            changeable = mine
        elif table == DocumentLink.__tablename__:
            readable = sql.link_rule(ref, change=False)
            changeable = sql.link_rule(ref, change=True)
        else:
            readable = sql.readable(table, ref)
            changeable = sql.changeable(table, ref)
        policy("practice_read", "SELECT", groups.practice_manager, readable, None)
        policy("practice_insert", "INSERT", groups.practice_manager, None, changeable)
        policy("practice_update", "UPDATE", groups.practice_manager, changeable, changeable)
        policy("practice_delete", "DELETE", groups.practice_manager, changeable, None)

    # Audit entries from a listed login carry that login and the server's clock, whatever the client sent.
    conn.execute(
        text(
            f"""
            CREATE OR REPLACE FUNCTION {q(schema)}.fd_audit_stamp() RETURNS trigger LANGUAGE plpgsql
            SET search_path = {q(schema)}, pg_temp AS $fn$
            BEGIN
                IF EXISTS (SELECT 1 FROM {q(schema)}.{q(AppUser.__tablename__)} u WHERE u.login = current_user) THEN
                    NEW.actor := current_user;
                    NEW.at := now();
                END IF;
                RETURN NEW;
            END
            $fn$
            """
        )
    )
    conn.execute(text(f"DROP TRIGGER IF EXISTS audit_entry_stamp ON {q(schema)}.{q(audit)}"))
    conn.execute(
        text(
            f"CREATE TRIGGER audit_entry_stamp BEFORE INSERT ON {q(schema)}.{q(audit)} "
            f"FOR EACH ROW EXECUTE FUNCTION {q(schema)}.fd_audit_stamp()"
        )
    )
    return protected


def _drop_our_policies(conn: Connection, schema: str, table: str) -> None:
    names = conn.execute(
        text(
            "SELECT policyname FROM pg_policies WHERE schemaname = :s AND tablename = :t AND policyname LIKE 'fd\\_%'"
        ),
        {"s": schema, "t": table},
    ).scalars()
    for name in list(names):
        conn.execute(text(f"DROP POLICY {q(name)} ON {q(schema)}.{q(table)}"))


# ---- logins ---------------------------------------------------------------------------------------------------


def login_exists(conn: Connection, login: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": login}).first() is not None


def create_login(conn: Connection, login: str, password: str | None) -> None:
    """Create a database login (the IT administrator's job; needs CREATEROLE). The password is never logged."""
    if login_exists(conn, login):
        return
    conn.execute(text(f"CREATE ROLE {q(login)} LOGIN"))
    if password:
        set_password(conn, login, password)


def set_password(conn: Connection, login: str, password: str) -> None:
    # ALTER ROLE takes no bind parameters; the literal is built here and never echoed or logged.
    conn.exec_driver_sql(f"ALTER ROLE {q(login)} PASSWORD {lit(password)}")


def sync_login_groups(conn: Connection, login: str, role: UserRole | None) -> None:
    """Make ``login`` a member of exactly the group role of ``role`` (None: of none)."""
    groups = group_roles(conn)
    if groups is None:
        raise FederationDeskError(
            "This server database has not been set up for several people yet.",
            "Run: federation-desk-cli --db URL db init-server (as the IT administrator) first.",
        )
    if not login_exists(conn, login):
        raise FederationDeskError(
            f"The server has no login called {login}.",
            "Create it first (add --create-login to the command), or check the spelling.",
        )
    for r in UserRole:
        name = groups.name(r)
        member = conn.execute(
            text("SELECT pg_has_role(:login, :grp, 'MEMBER') AND :login <> :grp"), {"login": login, "grp": name}
        ).scalar()
        if r is role and not member:
            conn.execute(text(f"GRANT {q(name)} TO {q(login)}"))
        elif r is not role and member:
            conn.execute(text(f"REVOKE {q(name)} FROM {q(login)}"))


def drop_group_roles(engine: Engine, prefix: str) -> None:
    """Remove the group roles (tests, and an IT administrator decommissioning a server)."""
    groups = GroupRoles(prefix)
    with engine.begin() as conn:
        for name in groups.all:
            if login_exists(conn, name):
                conn.execute(text(f"DROP OWNED BY {q(name)} CASCADE"))
                conn.execute(text(f"DROP ROLE {q(name)}"))


__all__ = [
    "DEFAULT_PREFIX",
    "SPECIAL_TABLES",
    "GroupRoles",
    "SetupReport",
    "create_login",
    "drop_group_roles",
    "group_roles",
    "init_server",
    "sync_login_groups",
]
