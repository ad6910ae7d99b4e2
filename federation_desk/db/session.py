"""Sessions and units of work.

Every write runs in :meth:`Database.unit_of_work`: one transaction, committed on success, rolled back on any
error, with stale writes turned into :class:`StaleEditError`. Each worker thread opens its own session; no ORM
object crosses threads.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from federation_desk.db import audit_hook
from federation_desk.db.engine import DatabaseLocation, create_engine_for, parse_location
from federation_desk.domain.audit import AuditEntry
from federation_desk.errors import DatabaseUnavailable, NotFound, StaleEditError, ValidationError

T = TypeVar("T")


class FederationSession(Session):
    """The session class every unit of work uses; the audit hook listens on it."""


audit_hook.install(FederationSession)

# What the current flush changes that carries a version: (model, id, the version read), kept so that a save the
# database refuses as stale (UPDATE ... WHERE version = read matched no row) can say who saved first and when.
_VERSIONED = "fd_versioned_changes"


@event.listens_for(FederationSession, "before_flush")
def _remember_versions(session: Session, _context: Any, _instances: Any) -> None:
    changes: list[tuple[type[Any], Any, Any]] = []
    for obj in (*session.dirty, *session.deleted):
        mapper = inspect(obj).mapper
        version_col = mapper.version_id_col
        if version_col is None or getattr(obj, "id", None) is None:
            continue
        history = inspect(obj).attrs[version_col.key].history
        read = history.deleted[0] if history.deleted else history.unchanged[0] if history.unchanged else None
        if read is not None:
            changes.append((type(obj), obj.id, read))
    session.info[_VERSIONED] = changes


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


class Database:
    """An open federation database: its location, engine, and who is working on it."""

    def __init__(self, location: DatabaseLocation, actor: str | None = None, engine: Engine | None = None) -> None:
        self.location = location
        self.engine = engine or create_engine_for(location)
        self.actor = actor or (location.url.username if location.is_postgres else None) or default_actor()
        self._factory = sessionmaker(bind=self.engine, class_=FederationSession, expire_on_commit=False)

    @classmethod
    def open(cls, path_or_url: str, actor: str | None = None) -> Database:
        return cls(parse_location(path_or_url), actor=actor)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        """A session for reading. Close it (use ``with``)."""
        session = self._factory()
        session.info["actor"] = self.actor
        return session

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit if the block finishes, roll back if it raises."""
        session = self._factory()
        session.info["actor"] = self.actor
        try:
            with session.begin():
                yield session
        except StaleDataError as exc:
            raise self._who_saved_first(session.info.get(_VERSIONED, [])) from exc
        except IntegrityError as exc:
            raise ValidationError(
                "The change conflicts with a record already in the database (a duplicate code or number, or a "
                "record that others still refer to)."
            ) from exc
        except OperationalError as exc:
            raise database_error(exc) from exc
        finally:
            session.close()

    def _who_saved_first(self, changes: list[tuple[type[Any], Any, Any]]) -> StaleEditError:
        """After the database refused a stale save: which record moved on, who saved it and when."""
        try:
            with self.session() as session:
                for model, row_id, read in changes:
                    current = session.get(model, row_id)
                    version_key = inspect(model).version_id_col.key
                    if current is not None and getattr(current, version_key) == read:
                        continue
                    label = model.audit_label() if hasattr(model, "audit_label") else model.__tablename__
                    who, when = last_change(session, model.__tablename__, row_id)
                    return StaleEditError(f"This {label}", who, when)
        except OperationalError:
            pass  # the refusal stands; only the name of who saved first is missing
        return StaleEditError("This record")

    def dispose(self) -> None:
        self.engine.dispose()


def database_error(exc: OperationalError) -> DatabaseUnavailable:
    text = str(exc.orig or exc).lower()
    if "locked" in text or "busy" in text:
        return DatabaseUnavailable(
            "The database file is busy: another program is writing to it.",
            "Wait a moment and try again. If it keeps happening, close other copies of Federation Desk.",
        )
    return DatabaseUnavailable(
        "The database could not be reached.",
        "Check the network connection or the database file, then try again.",
    )


def last_change(session: Session, table_name: str, row_id: int) -> tuple[str | None, Any]:
    """Who changed a record last and when, from the audit trail."""
    row = session.execute(
        select(AuditEntry.actor, AuditEntry.at)
        .where(AuditEntry.table_name == table_name, AuditEntry.row_id == str(row_id))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def load_for_edit(session: Session, model: type[T], row_id: int, expected_version: int | None) -> T:
    """Load a record to change it, refusing if it moved on since the person opened it.

    ``expected_version`` is the version the screen showed; ``None`` skips the check (a brand-new edit).
    """
    obj = session.get(model, row_id)
    label = model.audit_label() if hasattr(model, "audit_label") else model.__name__  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound(f"This {label}")
    if expected_version is not None and obj.version != expected_version:  # type: ignore[attr-defined]
        who, when = last_change(session, model.__tablename__, row_id)  # type: ignore[attr-defined]
        raise StaleEditError(f"This {label}", who, when)
    return obj
