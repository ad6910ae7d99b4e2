"""Server set-up, backup, restore, erasure and users on the command line.

    federation-desk-cli --db URL db init-server [--group-prefix NAME]
    federation-desk-cli --db PATH_OR_URL db backup --out FILE
    federation-desk-cli --db EMPTY_PATH_OR_URL db restore --from FILE
    federation-desk-cli --db PATH_OR_URL db erase-staff STAFF_ID [--yes]
    federation-desk-cli --db PATH_OR_URL users list
    federation-desk-cli --db PATH_OR_URL users add LOGIN --role ROLE [--practice ODS] [--name NAME]
                                                   [--create-login [--password-prompt]]
    federation-desk-cli --db PATH_OR_URL users set LOGIN [--role ROLE] [--practice ODS] [--name NAME]
                                                   [--active yes|no]
    federation-desk-cli --db PATH_OR_URL users remove LOGIN

ROLE is one of administrator, manager, practice-manager, viewer. Passwords are only ever read from the keyboard
(``--password-prompt``), sent to the server and forgotten: never printed, logged or written to a file.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from federation_desk.commands import subparsers_of
from federation_desk.domain.users import UserRole
from federation_desk.errors import FederationDeskError

ROLE_NAMES = {r.cli_name: r for r in UserRole}


def _role(value: str) -> UserRole:
    try:
        return ROLE_NAMES[value.strip().lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(f"choose one of: {', '.join(ROLE_NAMES)}") from None


def register(sub: Any) -> None:
    db = sub.choices.get("db") or sub.add_parser("db", help="database administration")
    db_sub = subparsers_of(db)

    upgrade = db_sub.choices.get("upgrade")
    if upgrade is not None and upgrade.get_default("func") is not None:
        # On a server set up for shared use, an upgrade also re-applies the grants and row-level security, so new
        # tables are never left open (or closed) to everyone.
        upgrade.set_defaults(func=_upgrade_then_secure(upgrade.get_default("func")))

    init = db_sub.add_parser(
        "init-server", help="set up a PostgreSQL database for shared use: schema, group roles, grants, row security"
    )
    init.add_argument("--group-prefix", help="name the group roles PREFIX_administrator ... (default federation_desk)")
    init.set_defaults(func=cmd_init_server)

    backup = db_sub.add_parser("backup", help="write the whole database to one file")
    backup.add_argument("--out", required=True, help="the backup file to write")
    backup.set_defaults(func=cmd_backup)

    restore = db_sub.add_parser("restore", help="restore a backup file into an empty database (--db)")
    restore.add_argument("--from", dest="source", required=True, help="the backup file")
    restore.set_defaults(func=cmd_restore)

    erase = db_sub.add_parser("erase-staff", help="erase a former staff member's personal data after retention")
    erase.add_argument("staff_id", type=int)
    erase.add_argument("--yes", action="store_true", help="do it (without --yes: only say what would go)")
    erase.set_defaults(func=cmd_erase_staff)

    users = sub.add_parser("users", help="who may sign in, and with which role")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION")
    users_sub.add_parser("list", help="list the users").set_defaults(func=cmd_users_list)
    add = users_sub.add_parser("add", help="let a login sign in with a role")
    add.add_argument("login")
    add.add_argument("--role", type=_role, required=True, help=" | ".join(ROLE_NAMES))
    add.add_argument("--practice", default="", help="a practice manager's practice (ODS code)")
    add.add_argument("--name", default="", help="the person's name (default: the login)")
    add.add_argument("--create-login", action="store_true", help="PostgreSQL: create the login on the server too")
    add.add_argument("--password-prompt", action="store_true", help="ask for the new login's password")
    add.set_defaults(func=cmd_users_add)
    change = users_sub.add_parser("set", help="change a user's role, practice, name or whether they may sign in")
    change.add_argument("login")
    change.add_argument("--role", type=_role)
    change.add_argument("--practice")
    change.add_argument("--name")
    change.add_argument("--active", choices=["yes", "no"])
    change.set_defaults(func=cmd_users_set)
    remove = users_sub.add_parser("remove", help="stop a login signing in (the login itself stays on the server)")
    remove.add_argument("login")
    remove.set_defaults(func=cmd_users_remove)


# ---- db -------------------------------------------------------------------------------------------------------


def cmd_init_server(args: argparse.Namespace) -> int:
    from federation_desk.db.engine import create_engine_for, parse_location
    from federation_desk.db.server_setup import init_server

    location = parse_location(args.db)
    engine = create_engine_for(location)
    try:
        report = init_server(engine, args.group_prefix)
    finally:
        engine.dispose()
    print(f"{location.display} is set up for shared use.")
    for line in report.lines():
        print(line)
    return 0


def _upgrade_then_secure(upgrade: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        code = int(upgrade(args) or 0)
        from federation_desk.db.engine import create_engine_for, parse_location

        location = parse_location(args.db)
        if code or not location.is_postgres:
            return code
        from sqlalchemy.exc import SQLAlchemyError

        from federation_desk.db.server_setup import group_roles, init_server

        engine = create_engine_for(location)
        try:
            try:
                with engine.connect() as conn:
                    groups = group_roles(conn)
            except SQLAlchemyError:
                groups = None
            if groups is not None:
                report = init_server(engine, groups.prefix)
                print(f"Row-level security and grants re-applied to {len(report.protected_tables)} tables.")
        finally:
            engine.dispose()
        return code

    return run


def cmd_backup(args: argparse.Namespace) -> int:
    from federation_desk.services.backup import backup_database
    from federation_desk.services.progress import PrintProgress
    from federation_desk.services.startup import open_database

    database = open_database(args.db).database
    try:
        result = backup_database(database, Path(args.out), progress=PrintProgress())
    finally:
        database.dispose()
    print(result.message)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from federation_desk.services.backup import restore_database
    from federation_desk.services.progress import PrintProgress

    result = restore_database(Path(args.source), args.db, progress=PrintProgress())
    print(result.message)
    return 0


def cmd_erase_staff(args: argparse.Namespace) -> int:
    from federation_desk.services import erasure
    from federation_desk.services.startup import open_database

    database = open_database(args.db).database
    try:
        with database.session() as session:
            preview = erasure.erasure_preview(session, args.staff_id)
        print(preview.confirmation_text)
        if not args.yes:
            print("Nothing was erased. Run again with --yes to erase.")
            return 0
        with database.unit_of_work() as session:
            changes = erasure.erase_staff_member(session, args.staff_id, preview.version)
        print(changes.message)
    finally:
        database.dispose()
    return 0


# ---- users ----------------------------------------------------------------------------------------------------


def _open(args: argparse.Namespace) -> Any:
    from federation_desk.services.startup import open_database

    return open_database(args.db).database


def cmd_users_list(args: argparse.Namespace) -> int:
    from federation_desk.services.access import list_users

    database = _open(args)
    try:
        with database.session() as session:
            rows = list_users(session)
    finally:
        database.dispose()
    if not rows:
        print("No users are listed: whoever opens this database administers it.")
        return 0
    print(f"{'Login':<24} {'Name':<28} {'Role':<26} {'Practice':<30} Active")
    for r in rows:
        practice = f"{r.practice_ods} {r.practice_name}" if r.practice_ods else ""
        print(
            f"{r.login:<24} {r.display_name[:28]:<28} {r.role.value:<26} {practice[:30]:<30} "
            f"{'yes' if r.active else 'no'}"
        )
    return 0


def _sync_server(session: Any, login: str, role: UserRole | None, create: bool, password: str | None) -> None:
    """On PostgreSQL: create the login if asked and make it a member of its role's group, in the same transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return
    from federation_desk.db.server_setup import create_login, sync_login_groups

    conn = session.connection()
    if create:
        create_login(conn, login, password)
    sync_login_groups(conn, login, role)


def _server_refusal(exc: Exception, login: str) -> FederationDeskError:
    first_line = str(getattr(exc, "orig", exc)).splitlines()[0]
    return FederationDeskError(
        f"The server refused to set up the login {login}: {first_line}",
        "Run this command as the IT administrator's login (it needs the right to create and grant roles).",
    )


def _ask_password() -> str:
    first = getpass.getpass("New password for the login: ")
    second = getpass.getpass("The same password again: ")
    if first != second:
        raise FederationDeskError("The two passwords differ.", "Run the command again.")
    if len(first) < 12:
        raise FederationDeskError("That password is too short.", "Use at least 12 characters.")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    from federation_desk.services.access import UserForm, save_user

    password = _ask_password() if args.password_prompt else None
    from sqlalchemy.exc import ProgrammingError

    database = _open(args)
    try:
        with database.unit_of_work() as session:
            changes = save_user(session, UserForm(args.login, args.name or args.login, args.role, args.practice))
            _sync_server(session, args.login, args.role, args.create_login, password)
    except ProgrammingError as exc:
        raise _server_refusal(exc, args.login) from exc
    finally:
        database.dispose()
    print(changes.message)
    return 0


def cmd_users_set(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import ProgrammingError

    from federation_desk.services.access import UserForm, find_user, save_user

    database = _open(args)
    try:
        with database.unit_of_work() as session:
            row = find_user(session, args.login)
            if row is None:
                raise FederationDeskError(f"{args.login} is not listed.", "Add it with: users add LOGIN --role ROLE")
            form = UserForm(
                args.login,
                args.name if args.name is not None else row.display_name,
                args.role or row.role,
                args.practice if args.practice is not None else (row.practice_ods or ""),
                row.active if args.active is None else args.active == "yes",
            )
            changes = save_user(session, form, row.id, row.version)
            _sync_server(session, args.login, form.role if form.active else None, False, None)
    except ProgrammingError as exc:
        raise _server_refusal(exc, args.login) from exc
    finally:
        database.dispose()
    print(changes.message)
    return 0


def cmd_users_remove(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import ProgrammingError

    from federation_desk.services.access import remove_user

    database = _open(args)
    try:
        with database.unit_of_work() as session:
            changes = remove_user(session, args.login)
            _sync_server(session, args.login, None, False, None)
    except ProgrammingError as exc:
        raise _server_refusal(exc, args.login) from exc
    finally:
        database.dispose()
    print(changes.message)
    return 0


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - convenience for `python -m`
    from federation_desk.cli import main as cli_main

    return cli_main(argv if argv is not None else sys.argv[1:])
