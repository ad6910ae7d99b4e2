"""Who is signed in, what their role lets them do, and the list of people who may sign in.

* :func:`resolve_access` works out the person's role: on PostgreSQL from their own login (``current_user``) in the
  ``app_user`` table; on a local SQLite file from the Windows user name. A database with no users listed is not yet
  managed: whoever opens it is its administrator (the usual single-user local file).
* :func:`establish` does that for an open database and switches on the central guard (``db.guards``) for it.
* ``Access.can(Capability.X)`` is what screens ask before showing a button or a menu item.
* :func:`list_users` / :func:`save_user` manage the ``app_user`` table (federation administrators only; the
  database refuses anyone else too).
"""

from __future__ import annotations

import enum
import weakref
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from federation_desk.db import guards
from federation_desk.db.session import load_for_edit
from federation_desk.domain.organisation import Practice
from federation_desk.domain.users import AppUser, UserRole
from federation_desk.errors import FieldProblem, NotPermitted, ValidationError
from federation_desk.services import validators as v
from federation_desk.services.changes import Changes

guards.install_default()


class Capability(enum.Enum):
    EDIT_FEDERATION_RECORDS = "change federation-wide records (practices, PCNs, tenders, contracts, reference data)"
    EDIT_PRACTICE_RECORDS = "change a practice's staff, sessions and documents"
    VIEW_AUDIT_LOG = "read the federation-wide audit log"
    EXPORT_AUDIT_LOG = "export the audit log"
    MANAGE_USERS = "decide who may sign in and with which role"
    BACKUP = "back up the whole database"
    RESTORE = "restore a backup"
    ERASE_PERSONAL_DATA = "erase a former staff member's personal data"


_GRANTS: dict[UserRole, frozenset[Capability]] = {
    UserRole.ADMINISTRATOR: frozenset(Capability),
    UserRole.MANAGER: frozenset(
        {Capability.EDIT_FEDERATION_RECORDS, Capability.EDIT_PRACTICE_RECORDS, Capability.VIEW_AUDIT_LOG}
    ),
    UserRole.PRACTICE_MANAGER: frozenset({Capability.EDIT_PRACTICE_RECORDS}),
    UserRole.VIEWER: frozenset(),
}


def role_can(role: UserRole, capability: Capability) -> bool:
    return capability in _GRANTS[role]


@dataclass(frozen=True)
class Access:
    login: str
    display_name: str
    role: UserRole
    practice_id: int | None = None
    practice_name: str | None = None
    managed: bool = True  # False: no users are listed, so the person who opened it administers it
    enforced_by: str = "app"  # "database" on PostgreSQL (row-level security), "app" on SQLite
    note: str = ""

    def can(self, capability: Capability) -> bool:
        return role_can(self.role, capability)

    @property
    def summary(self) -> str:
        """One line for the status bar: who, which role, which practice."""
        who = self.display_name if self.display_name and self.display_name != self.login else self.login
        role = self.role.label
        if self.role is UserRole.PRACTICE_MANAGER:
            role = f"Practice manager, {self.practice_name or 'no practice set'}"
        return f"{who} ({role})"

    def rules(self, filter_reads: bool) -> guards.Rules:
        return guards.Rules(self.login, self.role, self.practice_id, self.practice_name, filter_reads)

    def require(self, capability: Capability) -> None:
        if not self.can(capability):
            raise NotPermitted(
                f"You are signed in as {self.login} ({self.role.value}); only "
                f"{_who_may(capability)} can {capability.value}.",
            )


def _who_may(capability: Capability) -> str:
    roles = [r for r in UserRole if role_can(r, capability)]
    names = [f"a {r.value}" for r in roles]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


# ---- who is signed in -----------------------------------------------------------------------------------------


def current_login(session: Session, fallback: str) -> str:
    """The login the database knows this person by: ``current_user`` on PostgreSQL, the given name on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return str(session.scalar(text("SELECT current_user")))
    return fallback


def _is_server_owner(session: Session) -> bool:
    """A superuser, or the login that owns the tables (the IT administrator who set the database up)."""
    row = session.execute(
        text(
            "SELECT r.rolsuper OR EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = current_schema() "
            "AND t.tablename = 'app_user' AND t.tableowner = current_user) FROM pg_roles r "
            "WHERE r.rolname = current_user"
        )
    ).scalar()
    return bool(row)


def not_listed(login: str) -> NotPermitted:
    return NotPermitted(
        f"The login {login} is not listed among this federation database's users, so the server gives it no access.",
        f"Ask your federation's IT administrator to add you: federation-desk-cli --db ... users add {login} "
        "--role ROLE",
    )


def explain_refusal(exc: BaseException, login: str) -> NotPermitted | None:
    """A server's "permission denied" turned into plain English (None if ``exc`` is something else)."""
    orig = getattr(exc, "orig", None)
    # No privilege on a table, or none on the schema (then its tables look missing).
    if type(orig).__name__ in ("InsufficientPrivilege", "UndefinedTable") or "permission denied" in str(orig or ""):
        return not_listed(login)
    return None


def resolve_access(session: Session, login: str) -> Access:
    """The role of ``login`` (on PostgreSQL the connection's own login, whatever ``login`` says)."""
    dialect = session.get_bind().dialect.name
    login = current_login(session, login)
    try:
        return _resolve(session, login, dialect)
    except ProgrammingError as exc:
        refusal = explain_refusal(exc, login)
        if refusal is None:
            raise
        raise refusal from exc


def _resolve(session: Session, login: str, dialect: str) -> Access:
    enforced_by = "database" if dialect == "postgresql" else "app"
    user = session.scalars(select(AppUser).where(AppUser.login == login)).first()
    if user is not None and user.active:
        practice_name = session.scalar(select(Practice.name).where(Practice.id == user.practice_id))
        return Access(
            login,
            user.display_name,
            user.role,
            user.practice_id,
            practice_name,
            managed=True,
            enforced_by=enforced_by,
        )
    if dialect == "postgresql" and _is_server_owner(session):
        return Access(
            login,
            login,
            UserRole.ADMINISTRATOR,
            managed=True,
            enforced_by=enforced_by,
            note="Signed in as the server's owner login, which may do everything.",
        )
    listed = session.scalar(select(func.count(AppUser.id))) or 0
    if not listed:
        return Access(
            login,
            login,
            UserRole.ADMINISTRATOR,
            managed=False,
            enforced_by=enforced_by,
            note="No users are listed in this database yet, so whoever opens it administers it.",
        )
    if user is not None:
        reason = f"The login {login} has been switched off in this database."
    else:
        reason = f"The login {login} is not listed among this database's users."
    if dialect == "postgresql":
        raise not_listed(login) if user is None else NotPermitted(reason)
    return Access(login, login, UserRole.VIEWER, managed=True, enforced_by=enforced_by, note=reason + " Read only.")


def establish(database: object) -> Access:
    """Work out who is signed in to ``database`` and switch on the guard for its engine."""
    db = database  # a db.session.Database
    with db.session() as session:  # type: ignore[attr-defined]
        access = resolve_access(session, db.actor)  # type: ignore[attr-defined]
    if db.dialect == "postgresql":  # type: ignore[attr-defined]
        db.actor = access.login  # type: ignore[attr-defined]  # the audit trail names the login
    guards.enforce(db.engine, access.rules(filter_reads=db.dialect != "postgresql"))  # type: ignore[attr-defined]
    _established[db.engine] = access  # type: ignore[attr-defined]
    return access


_established: weakref.WeakKeyDictionary[Engine, Access] = weakref.WeakKeyDictionary()


def access_for(database: object | None) -> Access | None:
    """The access established for an open database (None before sign-in)."""
    if database is None:
        return None
    return _established.get(database.engine)  # type: ignore[attr-defined]


def release(database: object) -> None:
    guards.release(database.engine)  # type: ignore[attr-defined]
    _established.pop(database.engine, None)  # type: ignore[attr-defined]


# ---- managing users -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    id: int
    version: int
    login: str
    display_name: str
    role: UserRole
    practice_id: int | None
    practice_name: str | None
    practice_ods: str | None
    active: bool


@dataclass(frozen=True)
class UserForm:
    login: str
    display_name: str
    role: UserRole
    practice_ods: str = ""  # a practice manager's practice, by ODS code
    active: bool = True


def list_users(session: Session) -> list[UserRow]:
    rows = session.execute(
        select(AppUser, Practice.name, Practice.ods_code)
        .outerjoin(Practice, Practice.id == AppUser.practice_id)
        .order_by(AppUser.login)
    ).all()
    return [
        UserRow(u.id, u.version, u.login, u.display_name, u.role, u.practice_id, name, ods, u.active)
        for u, name, ods in rows
    ]


def find_user(session: Session, login: str) -> UserRow | None:
    return next((u for u in list_users(session) if u.login == login), None)


LOGIN_CHARACTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@")


def _login(value: str) -> str:
    login = (value or "").strip()
    if not login:
        raise ValidationError([FieldProblem("login", "The login is required.")])
    if len(login) > 63 or not set(login) <= LOGIN_CHARACTERS:
        raise ValidationError(
            [
                FieldProblem(
                    "login",
                    f"'{login}' cannot be a login: use up to 63 letters, digits, dots, hyphens, underscores or @.",
                )
            ]
        )
    return login


def save_user(
    session: Session, form: UserForm, user_id: int | None = None, expected_version: int | None = None
) -> Changes:
    """Add or change a user (login, name, role, practice). The guard and the database allow administrators only."""
    login, name = v.collect(
        lambda: _login(form.login),
        lambda: v.required_text(form.display_name, "display_name", "The person's name"),
    )
    practice_id = None
    if form.role is UserRole.PRACTICE_MANAGER:
        code = (form.practice_ods or "").strip().upper()
        if not code:
            raise ValidationError([FieldProblem("practice", "A practice manager needs their practice's ODS code.")])
        practice_id = session.scalar(select(Practice.id).where(Practice.ods_code == code))
        if practice_id is None:
            raise ValidationError([FieldProblem("practice", f"No member practice has the ODS code '{code}'.")])
    clash = session.scalar(select(AppUser.id).where(AppUser.login == login))
    if clash is not None and clash != user_id:
        raise ValidationError([FieldProblem("login", f"The login '{login}' is already listed.")])
    if user_id is None:
        user = AppUser(login=login, display_name=name, role=form.role, practice_id=practice_id, active=form.active)
        session.add(user)
    else:
        user = load_for_edit(session, AppUser, user_id, expected_version)
        user.login, user.display_name, user.role = login, name, form.role
        user.practice_id, user.active = practice_id, form.active
    session.flush()
    _keep_an_administrator(session)
    return Changes.of("app_user", ids=(user.id,), message=f"{name} ({login}) saved as {form.role.value}.")


def remove_user(session: Session, login: str) -> Changes:
    user = session.scalars(select(AppUser).where(AppUser.login == login)).first()
    if user is None:
        raise ValidationError([FieldProblem("login", f"The login '{login}' is not listed.")])
    session.delete(user)
    session.flush()
    _keep_an_administrator(session)
    return Changes.of("app_user", ids=(user.id,), message=f"{login} can no longer sign in.")


def _keep_an_administrator(session: Session) -> None:
    """On a local file somebody must be able to manage users. (On a server the IT administrator's owner login can
    always do so, so a server may list, say, only practice managers and viewers.)"""
    if session.get_bind().dialect.name == "postgresql":
        return
    users = session.scalar(select(func.count(AppUser.id))) or 0
    admins = (
        session.scalar(
            select(func.count(AppUser.id)).where(AppUser.role == UserRole.ADMINISTRATOR, AppUser.active.is_(True))
        )
        or 0
    )
    if users and not admins:
        raise ValidationError(
            [
                FieldProblem(
                    "role",
                    "At least one active federation administrator must remain, or nobody could manage users.",
                )
            ]
        )
