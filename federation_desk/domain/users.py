"""People who sign in, what they may do, and the record of personal-data erasures.

``AppUser`` maps a login to a role (and, for a practice manager, to the one practice they manage). On PostgreSQL the
login is the person's own database login and the row-level security policies read this table through
``current_user``; only federation administrators may change it. On a local SQLite file the login is the Windows
user name and the services layer enforces the same rules (``db.guards``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from federation_desk.domain.base import Base, EntityMixin, enum_column, utcnow


class UserRole(enum.Enum):
    ADMINISTRATOR = "federation administrator"
    MANAGER = "federation manager"
    PRACTICE_MANAGER = "practice manager"
    VIEWER = "viewer"

    @property
    def label(self) -> str:
        return self.value[:1].upper() + self.value[1:]

    @property
    def cli_name(self) -> str:
        """How the command line names the role: ``administrator``, ``manager``, ``practice-manager``, ``viewer``."""
        return {
            UserRole.ADMINISTRATOR: "administrator",
            UserRole.MANAGER: "manager",
            UserRole.PRACTICE_MANAGER: "practice-manager",
            UserRole.VIEWER: "viewer",
        }[self]


class AppUser(EntityMixin, Base):
    __tablename__ = "app_user"
    __audit_label__ = "user"

    # The database login on PostgreSQL (case-sensitive, as the server knows it); the Windows user name on SQLite.
    login: Mapped[str] = mapped_column(String(63), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole, 30))
    # Only for a practice manager: the practice whose records they may see and change.
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(default=True)


class AccessSetting(Base):
    """Facts the server set-up keeps about itself (for example the names of the group roles it created)."""

    __tablename__ = "access_setting"
    __audited__ = False

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ErasureRecord(Base):
    """A former staff member's personal data was erased: when, by whom, and the pseudonym left in their place."""

    __tablename__ = "personal_data_erasure"
    __audit_label__ = "personal data erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(unique=True)  # no foreign key: the record outlives any later clean-up
    pseudonym: Mapped[str] = mapped_column(String(120))
    left_on: Mapped[date | None]
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    erased_by: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text)  # what went (counts by kind), never the values
