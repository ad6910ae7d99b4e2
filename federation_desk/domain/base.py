"""Declarative base, naming convention and the mixins every table uses.

* ``IdMixin``: an integer primary key ``id``.
* ``VersionedMixin``: a ``version`` column wired to SQLAlchemy's ``version_id_col``, so a stale write fails
  (services turn that into :class:`federation_desk.errors.StaleEditError`).
* ``TimestampMixin``: ``created_at`` / ``updated_at`` instants in UTC.

Every mapped class is audited by ``db.audit_hook`` unless it sets ``__audited__ = False``. Fields listed in
``__audit_redact__`` are audited as changed without their values (secrets, file bytes).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import Date, Enum, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from federation_desk.domain.types import Money, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        date: Date(),
        Decimal: Money(),
        str: String(200),
    }

    __audited__: ClassVar[bool] = True
    # The column holding the id of the practice a row belongs to (None: the table is not practice-scoped). Access
    # control (services and PostgreSQL row-level security) keys on it: a practice manager may see and change only
    # rows of their own practice; rows where the column is empty belong to the federation.
    __practice_scope__: ClassVar[str | None] = None
    __audit_redact__: ClassVar[frozenset[str]] = frozenset()
    __audit_label__: ClassVar[str] = ""

    @classmethod
    def audit_label(cls) -> str:
        """What a person calls one row of this table ("practice", "site")."""
        return cls.__audit_label__ or cls.__tablename__.replace("_", " ")  # type: ignore[attr-defined]


def enum_column(enum_cls: type[enum.Enum], length: int = 40) -> Enum:
    """A portable enum column storing the member's value as text (no native PostgreSQL enum type)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class IdMixin:
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-100)


class VersionedMixin:
    version: Mapped[int] = mapped_column(nullable=False, default=1, sort_order=900)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False, sort_order=901)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False, sort_order=902)


class EntityMixin(IdMixin, VersionedMixin, TimestampMixin):
    """An editable record: id, version for stale-edit detection, and timestamps."""


LongText = Text
