"""Who may read and change which rows: one central mechanism, driven by ``__practice_scope__``.

The rules (the same on both databases; on PostgreSQL ``db.server_setup`` turns them into row-level security):

* A **federation administrator** may do everything. A **federation manager** may do everything except change who
  may sign in (``app_user``), the server set-up facts and the erasure record. A **viewer** reads everything and
  changes nothing.
* A **practice manager** works for one practice:

  - a table that declares ``__practice_scope__ = "<column>"`` is *practice-scoped*: its rows are readable when the
    column holds their practice or is empty (a federation row), and changeable only when it holds their practice;
  - a table that declares nothing but has foreign keys to practice-scoped tables (a DBS check's ``staff_id``, say)
    *inherits* the scope: a row is readable when every record it points to is readable, and changeable when, in
    addition, at least one of them is changeable. Tables other modules add are covered without any edit here;
  - documents: an attachment (``document_link``) follows the record it is attached to; a stored file is readable
    when something the person can read refers to it, or when they uploaded it;
  - the audit trail: an entry about a practice-scoped record is readable when the record is;
  - every other table (reference data, tenders, contracts ...) is federation-wide: readable, not changeable.

On SQLite (one person, no server to enforce anything) the services layer enforces the rules here: a ``before_flush``
hook refuses changes the role may not make, ``do_orm_execute`` refuses bulk statements likewise and, for a practice
manager, adds read criteria to every ORM query so other practices' rows never reach a screen. On PostgreSQL the
same hooks refuse writes early with a plain-English message (the server refuses them anyway) and reads are left to
the server's policies.

The guard is active for an engine once :func:`enforce` has been called for it (the app does that after sign-in,
``services.access.establish``); sessions on other engines (command-line tools, tests) are not restricted.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Engine, String, and_, cast, event, false, inspect, or_, select, true
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import ColumnElement, Delete, Insert, Update

from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.base import Base
from federation_desk.domain.documents import Document, DocumentLink
from federation_desk.domain.users import AccessSetting, AppUser, ErasureRecord, UserRole
from federation_desk.errors import NotPermitted

# Tables only a federation administrator may change.
ADMIN_ONLY_TABLES = frozenset({AppUser.__tablename__, AccessSetting.__tablename__, ErasureRecord.__tablename__})
# Tables with rules of their own (not derived from foreign keys).
SPECIAL_TABLES = ADMIN_ONLY_TABLES | {
    AuditEntry.__tablename__,
    Document.__tablename__,
    DocumentLink.__tablename__,
    "alembic_version",
}
# The session flag the erasure service sets to redact erased values in the audit trail.
AUDIT_REDACTION = "audit_redaction"


# ---- the scope graph ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """How rows of one table belong to a practice."""

    table: str
    model: type[Any]
    column: str | None = None  # declared: the column holding the practice id
    parents: tuple[tuple[str, str], ...] = ()  # inherited: (foreign key column, practice-scoped table it points to)

    @property
    def declared(self) -> bool:
        return self.column is not None


@dataclass(frozen=True)
class ScopeGraph:
    scopes: dict[str, Scope]
    models: dict[str, type[Any]]
    # (table, column) of every foreign key to document.id, for document visibility.
    document_refs: tuple[tuple[str, str], ...] = field(default=())

    def scope(self, table: str) -> Scope | None:
        return self.scopes.get(table)

    @property
    def scoped_tables(self) -> list[str]:
        return sorted(self.scopes)


def _models() -> dict[str, type[Any]]:
    import federation_desk.domain  # noqa: F401 - registers every model

    return {m.class_.__tablename__: m.class_ for m in Base.registry.mappers}


def build_scope_graph() -> ScopeGraph:
    """Read ``__practice_scope__`` and the foreign keys of every model into the scope graph."""
    models = _models()
    scopes: dict[str, Scope] = {}
    for table, model in models.items():
        column = getattr(model, "__practice_scope__", None)
        if column and table not in SPECIAL_TABLES:
            if column not in model.__table__.c:
                raise ValueError(f"{model.__name__}.__practice_scope__ names '{column}', which is not a column")
            scopes[table] = Scope(table, model, column=column)
    changed = True
    while changed:  # inherit through foreign keys until nothing more is found
        changed = False
        for table, model in models.items():
            if table in scopes or table in SPECIAL_TABLES:
                continue
            parents = []
            for col in model.__table__.columns:
                for fk in col.foreign_keys:
                    target = fk.column.table.name
                    if target != table and target in scopes and fk.column.name == "id":
                        parents.append((col.name, target))
            if parents:
                scopes[table] = Scope(table, model, parents=tuple(sorted(set(parents))))
                changed = True
    refs = []
    for table, model in models.items():
        for col in model.__table__.columns:
            for fk in col.foreign_keys:
                if fk.column.table.name == Document.__tablename__ and table != DocumentLink.__tablename__:
                    refs.append((table, col.name))
    return ScopeGraph(scopes, models, tuple(sorted(refs)))


@cache
def scope_graph() -> ScopeGraph:
    return build_scope_graph()


# ---- who is working -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """What the guard enforces for one signed-in person."""

    login: str
    role: UserRole
    practice_id: int | None = None
    practice_name: str | None = None
    filter_reads: bool = True  # SQLite: add read criteria; PostgreSQL: the server's policies filter reads

    @property
    def restricted_to_practice(self) -> bool:
        return self.role is UserRole.PRACTICE_MANAGER


_rules: weakref.WeakKeyDictionary[Engine, Rules] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def enforce(engine: Engine, rules: Rules) -> None:
    """From now on every session on ``engine`` obeys ``rules``."""
    with _lock:
        _rules[engine] = rules


def release(engine: Engine) -> None:
    with _lock:
        _rules.pop(engine, None)


def rules_for(engine: Engine) -> Rules | None:
    return _rules.get(engine)


def _session_rules(session: Session) -> Rules | None:
    if not _rules:
        return None
    try:
        bind = session.get_bind()
    except Exception:
        return None
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    return _rules.get(engine) if engine is not None else None


# ---- refusals in plain English --------------------------------------------------------------------------------


def _label(table: str) -> str:
    model = scope_graph().models.get(table)
    return model.audit_label() if model is not None else table.replace("_", " ")


def refusal(rules: Rules, table: str, action: str = "change") -> NotPermitted:
    label = _label(table)
    if rules.role is UserRole.VIEWER:
        return NotPermitted(
            f"You are signed in as {rules.login} with the viewer role, which can read but not {action} records.",
            "Ask a federation administrator to give you a role that can make changes.",
        )
    if table in ADMIN_ONLY_TABLES:
        return NotPermitted(
            f"Only a federation administrator can {action} {label}s; you are signed in as {rules.login} "
            f"({rules.role.value}).",
        )
    practice = rules.practice_name or "your practice"
    if table in scope_graph().scopes or table in (Document.__tablename__, DocumentLink.__tablename__):
        return NotPermitted(
            f"As practice manager for {practice} you can {action} only {practice}'s records; this {label} belongs "
            "to another practice or to the federation.",
            "Ask a federation manager to make this change.",
        )
    return NotPermitted(
        f"As practice manager for {practice} you cannot {action} {label}s: they are federation-wide records.",
        "Ask a federation manager to make this change.",
    )


# ---- row checks in Python (writes) ----------------------------------------------------------------------------


def _value(obj: Any, column: str) -> Any:
    """The value a column will hold, also when it is set through a relationship that has not been flushed."""
    value = getattr(obj, column, None)
    if value is not None:
        return value
    mapper = inspect(obj).mapper
    for rel in mapper.relationships:
        if any(c.key == column for c in rel.local_columns) and rel.direction.name == "MANYTOONE":
            target = obj.__dict__.get(rel.key)
            if target is not None:
                return getattr(target, "id", None)
    return None


def _old_value(obj: Any, column: str) -> Any:
    state = inspect(obj)
    attr = state.attrs.get(column) if column in state.mapper.column_attrs else None
    if attr is None:
        return getattr(obj, column, None)
    history = attr.load_history()
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return getattr(obj, column, None)


class _Checker:
    """Answers "may this practice manager read / change the row with these values?" with a few lookups."""

    def __init__(self, session: Session, rules: Rules) -> None:
        self.session = session
        self.rules = rules
        self.graph = scope_graph()
        self._cache: dict[tuple[str, Any], tuple[bool, bool]] = {}

    def parent(self, table: str, row_id: Any) -> tuple[bool, bool]:
        """(readable, changeable) of the row ``row_id`` of the practice-scoped ``table``."""
        key = (table, row_id)
        if key not in self._cache:
            self._cache[key] = (False, False)  # guards against cycles
            scope = self.graph.scopes[table]
            model = scope.model
            with self.session.no_autoflush:
                columns = [scope.column] if scope.column else [c for c, _t in scope.parents]
                row = self.session.execute(
                    select(*[model.__table__.c[c] for c in columns]).where(model.__table__.c.id == row_id)
                ).first()
            if row is None:
                self._cache[key] = (False, False)
            else:
                self._cache[key] = self.values(table, dict(zip(columns, row)))
        return self._cache[key]

    def values(self, table: str, values: dict[str, Any]) -> tuple[bool, bool]:
        """(readable, changeable) of a row of ``table`` holding ``values``."""
        scope = self.graph.scopes.get(table)
        mine = self.rules.practice_id
        if scope is None:
            return True, False
        if scope.column is not None:
            v = values.get(scope.column)
            return (v is None or v == mine), (v is not None and v == mine)
        readable, changeable = True, False
        for column, parent in scope.parents:
            v = values.get(column)
            if v is None:
                continue
            r, c = self.parent(parent, v)
            readable = readable and r
            changeable = changeable or c
        return readable, readable and changeable

    def object_values(self, obj: Any, old: bool) -> dict[str, Any]:
        scope = self.graph.scopes[obj.__tablename__]
        columns = [scope.column] if scope.column else [c for c, _t in scope.parents]
        get = _old_value if old else _value
        return {c: get(obj, c) for c in columns}


def _check_object(checker: _Checker, obj: Any, kind: str) -> None:
    rules = checker.rules
    table = obj.__tablename__
    if table == AuditEntry.__tablename__:
        if kind != "new" and not checker.session.info.get(AUDIT_REDACTION):
            raise NotPermitted(
                "The audit trail is append-only: its entries cannot be changed or deleted.",
                "Nothing was changed.",
            )
        return
    if rules.role is UserRole.ADMINISTRATOR:
        return
    if rules.role is UserRole.VIEWER or table in ADMIN_ONLY_TABLES:
        raise refusal(rules, table)
    if rules.role is UserRole.MANAGER:
        return
    # A practice manager.
    if table == Document.__tablename__:
        uploader = _value(obj, "uploaded_by") if kind == "new" else _old_value(obj, "uploaded_by")
        if uploader != rules.login or (kind == "dirty" and _value(obj, "uploaded_by") != rules.login):
            raise refusal(rules, table)
        return
    if table == DocumentLink.__tablename__:
        for old in (False, True) if kind == "dirty" else (kind != "new",):
            entity = _old_value(obj, "entity") if old else _value(obj, "entity")
            entity_id = _old_value(obj, "entity_id") if old else _value(obj, "entity_id")
            if entity not in checker.graph.scopes or not checker.parent(entity, entity_id)[1]:
                raise refusal(rules, table)
        return
    if table not in checker.graph.scopes:
        raise refusal(rules, table)
    checks = {"new": (False,), "dirty": (True, False), "deleted": (True,)}[kind]
    for old in checks:
        _readable, changeable = checker.values(table, checker.object_values(obj, old))
        if not changeable:
            raise refusal(rules, table, "delete" if kind == "deleted" else "change")


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    rules = _session_rules(session)
    if rules is None:
        return
    checker = _Checker(session, rules)
    for obj in list(session.new):
        _check_object(checker, obj, "new")
    changed = [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    for obj in changed:
        _check_object(checker, obj, "dirty")
    for obj in list(session.deleted):
        _check_object(checker, obj, "deleted")


# ---- SQL criteria (reads on SQLite; bulk writes on both) -------------------------------------------------------


def read_clause(table: str, rules: Rules, graph: ScopeGraph | None = None) -> ColumnElement[bool]:
    """Rows of ``table`` a practice manager may read, as a WHERE clause."""
    graph = graph or scope_graph()
    mine = rules.practice_id
    if table == Document.__tablename__:
        options: list[ColumnElement[bool]] = [
            Document.uploaded_by == rules.login,
            Document.id.in_(select(DocumentLink.document_id).where(read_clause(DocumentLink.__tablename__, rules))),
        ]
        for ref_table, column in graph.document_refs:
            model = graph.models[ref_table]
            col = model.__table__.c[column]
            sub = select(col).where(col.is_not(None))
            if ref_table in graph.scopes:
                sub = sub.where(read_clause(ref_table, rules, graph))
            options.append(Document.id.in_(sub))
        return or_(*options)
    if table == DocumentLink.__tablename__:
        options = [DocumentLink.entity.not_in(graph.scoped_tables)]
        for scoped in graph.scoped_tables:
            model = graph.models[scoped]
            options.append(
                and_(
                    DocumentLink.entity == scoped,
                    DocumentLink.entity_id.in_(select(model.__table__.c.id).where(read_clause(scoped, rules, graph))),
                )
            )
        return or_(*options)
    if table == AuditEntry.__tablename__:
        protected = [*graph.scoped_tables, Document.__tablename__, DocumentLink.__tablename__]
        options = [AuditEntry.table_name.not_in(protected)]
        for scoped in protected:
            model = graph.models[scoped]
            options.append(
                and_(
                    AuditEntry.table_name == scoped,
                    AuditEntry.row_id.in_(
                        select(cast(model.__table__.c.id, String)).where(read_clause(scoped, rules, graph))
                    ),
                )
            )
        return or_(*options)
    scope = graph.scopes.get(table)
    if scope is None:
        return true()
    t = scope.model.__table__
    if scope.column is not None:
        col = t.c[scope.column]
        return or_(col.is_(None), col == mine) if mine is not None else col.is_(None)
    parts = []
    for column, parent in scope.parents:
        parent_table = graph.models[parent].__table__
        parts.append(
            or_(
                t.c[column].is_(None),
                t.c[column].in_(select(parent_table.c.id).where(read_clause(parent, rules, graph))),
            )
        )
    return and_(*parts)


def write_clause(table: str, rules: Rules, graph: ScopeGraph | None = None) -> ColumnElement[bool]:
    """Rows of ``table`` a practice manager may change, as a WHERE clause."""
    graph = graph or scope_graph()
    mine = rules.practice_id
    scope = graph.scopes.get(table)
    if scope is None or mine is None:
        return false()
    t = scope.model.__table__
    if scope.column is not None:
        return t.c[scope.column] == mine
    any_changeable = []
    for column, parent in scope.parents:
        parent_table = graph.models[parent].__table__
        any_changeable.append(t.c[column].in_(select(parent_table.c.id).where(write_clause(parent, rules, graph))))
    return and_(read_clause(table, rules, graph), or_(*any_changeable))


def _statement_table(statement: Any) -> str | None:
    table = getattr(statement, "table", None)
    return getattr(table, "name", None)


def _insert_rows(state: ORMExecuteState) -> list[dict[str, Any]]:
    params = state.parameters
    if isinstance(params, dict):
        rows = [params]
    elif isinstance(params, list | tuple):
        rows = [dict(p) for p in params if isinstance(p, dict)]
    else:
        rows = []
    values = getattr(state.statement, "_values", None) or {}
    if values:
        literal = {getattr(k, "key", str(k)): getattr(v, "value", None) for k, v in values.items()}
        rows = [dict(literal, **r) for r in rows] or [literal]
    return rows


def _do_orm_execute(state: ORMExecuteState) -> None:
    session = state.session
    rules = _session_rules(session)
    if rules is None:
        return
    statement = state.statement
    if isinstance(statement, Insert | Update | Delete):
        table = _statement_table(statement)
        if table is None:
            return
        if table == AuditEntry.__tablename__:
            if isinstance(statement, Insert) or session.info.get(AUDIT_REDACTION):
                return
            raise NotPermitted(
                "The audit trail is append-only: its entries cannot be changed or deleted.", "Nothing was changed."
            )
        action = "delete" if isinstance(statement, Delete) else "change"
        if rules.role is UserRole.ADMINISTRATOR:
            return
        if rules.role is UserRole.VIEWER or table in ADMIN_ONLY_TABLES:
            raise refusal(rules, table, action)
        if rules.role is UserRole.MANAGER:
            return
        graph = scope_graph()
        if table not in graph.scopes:
            raise refusal(rules, table, action)
        if isinstance(statement, Insert):
            checker = _Checker(session, rules)
            for row in _insert_rows(state):
                if not checker.values(table, row)[1]:
                    raise refusal(rules, table)
            return
        state.statement = statement.where(write_clause(table, rules, graph))
        return
    if not state.is_select or not rules.restricted_to_practice or not rules.filter_reads:
        return
    state.statement = state.statement.options(*_read_options(rules))


_PROTECTED_SPECIAL = (Document.__tablename__, DocumentLink.__tablename__, AuditEntry.__tablename__)


@cache
def _read_options(rules: Rules) -> tuple[Any, ...]:
    """A loader criterion per protected model, built once per signed-in person."""
    graph = scope_graph()
    return tuple(
        with_loader_criteria(graph.models[table], read_clause(table, rules, graph), include_aliases=True)
        for table in [*graph.scoped_tables, *_PROTECTED_SPECIAL]
    )


def install(session_class: type[Session]) -> None:
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)
    if not event.contains(session_class, "do_orm_execute", _do_orm_execute):
        event.listen(session_class, "do_orm_execute", _do_orm_execute)


def install_default() -> None:
    from federation_desk.db.session import FederationSession

    install(FederationSession)
