"""Opening a federation database: engine, schema check or upgrade, reference data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from federation_desk.db import migrate
from federation_desk.db.engine import parse_location
from federation_desk.db.session import Database
from federation_desk.errors import DatabaseUnavailable
from federation_desk.services.reference import load_reference_data


@dataclass(frozen=True)
class OpenResult:
    database: Database
    upgraded: bool
    backup: Path | None
    reference_rows_added: int


def open_database(path_or_url: str | Path, actor: str | None = None, backup_folder: Path | None = None) -> OpenResult:
    """Open (creating or upgrading a local file as needed) and return the database ready to use."""
    try:
        location = parse_location(path_or_url)
    except ValueError as exc:
        raise DatabaseUnavailable(str(exc), "Choose a .sqlite file or a postgresql:// address.") from exc
    database = Database(location, actor=actor)
    try:
        result = migrate.prepare(database.engine, location, backup_folder)
        with database.unit_of_work() as session:
            added = sum(load_reference_data(session).values())
    except Exception:
        database.dispose()
        raise
    return OpenResult(database, result.upgraded, result.backup, added)
