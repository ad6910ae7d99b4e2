"""Alembic, driven from code. The migrations ship inside the package (``db/migrations``).

* SQLite: :func:`prepare` upgrades the file at start-up, after a backup copy.
* PostgreSQL: :func:`prepare` refuses an older schema and names the command that upgrades it.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from federation_desk.db.engine import DatabaseLocation
from federation_desk.errors import SchemaOutOfDate

if TYPE_CHECKING:
    from alembic.config import Config

# The revisions a database of this version records (what head_revisions() computes from the scripts; a test keeps
# the two equal). Opening a database already at them needs no migration machinery: Alembic is not even imported,
# which saves a fifth of a second on every start.
SCHEMA_HEADS = frozenset({"0002", "0003", "0004", "0006", "0007"})


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("federation_desk.db").joinpath("migrations")))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revisions() -> set[str]:
    """The revisions a fully upgraded database records. Alembic records a branch head that another revision
    ``depends_on`` as an ancestor of that revision, not as a head of its own, so such heads are left out."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())
    needed: set[str] = set()
    for head in heads:
        stack = list(_tuple(script.get_revision(head).dependencies))
        while stack:
            for rev in script.revision_map.get_revisions(stack.pop()):
                if rev is not None and rev.revision not in needed:
                    needed.add(rev.revision)
                    stack.extend(_tuple(rev.down_revision) + _tuple(rev.dependencies))
    return heads - needed


def _tuple(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def _recorded_revisions(engine: Engine) -> set[str] | None:
    """The revisions in the database's ``alembic_version`` table read with plain SQL; None if it cannot be read
    that way (no such table yet)."""
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except DBAPIError:
        return None


def is_blank(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


def upgrade(engine: Engine) -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), "heads")


@dataclass(frozen=True)
class PrepareResult:
    upgraded: bool
    backup: Path | None


def backup_sqlite(path: Path, folder: Path, label: str) -> Path:
    """A consistent copy of a SQLite file (the online backup API, safe with WAL)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{path.stem}-before-{label}-{stamp}.sqlite"
    tmp = target.with_suffix(".partial")
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    shutil.move(tmp, target)
    return target


def upgrade_command(location: DatabaseLocation) -> str:
    return f'federation-desk-cli --db "{location.safe_url}" db upgrade'


def prepare(engine: Engine, location: DatabaseLocation, backup_folder: Path | None = None) -> PrepareResult:
    """Make the database ready for this version of the app, or explain why it cannot be used."""
    if _recorded_revisions(engine) == SCHEMA_HEADS:
        return PrepareResult(upgraded=False, backup=None)
    heads = head_revisions()
    current = current_revisions(engine)
    if current == heads:
        return PrepareResult(upgraded=False, backup=None)
    unknown = current - _all_revisions()
    if unknown:
        raise SchemaOutOfDate(
            "This database was last used by a newer version of Federation Desk.",
            "Install the latest version of Federation Desk, or ask your administrator which version to use.",
        )
    if location.is_sqlite:
        backup = None
        path = location.sqlite_path
        if path is not None and current and path.exists():
            from federation_desk.paths import backup_dir

            backup = backup_sqlite(path, backup_folder or backup_dir(), "upgrade")
        upgrade(engine)
        return PrepareResult(upgraded=True, backup=backup)
    if not current and is_blank(engine):
        raise SchemaOutOfDate(
            f"The database {location.display} is empty: it has not been set up for Federation Desk.",
            f"Ask your IT administrator to run: {upgrade_command(location)}",
        )
    raise SchemaOutOfDate(
        f"The federation database {location.display} uses an older layout than this version of Federation Desk.",
        f"Ask your IT administrator to upgrade it by running: {upgrade_command(location)}",
    )


def _all_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}
