"""Staff records and the role catalogue.

The HR module adds registrations, checks, training and leave in ``domain/compliance.py``; this file holds the
person and what they do.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from federation_desk.domain.base import Base, EntityMixin, enum_column


class Regulator(enum.Enum):
    GMC = "GMC"
    NMC = "NMC"
    GPHC = "GPhC"
    HCPC = "HCPC"
    NONE = "none"


class EmploymentType(enum.Enum):
    EMPLOYED = "employed"
    SESSIONAL = "sessional"
    LOCUM = "locum"
    ARRS = "ARRS-funded"
    BANK = "bank"

    @property
    def label(self) -> str:
        return self.value[:1].upper() + self.value[1:]


class Role(EntityMixin, Base):
    """A job role from the editable catalogue (GP, practice nurse, receptionist ...)."""

    __tablename__ = "role"
    __audit_label__ = "role"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    is_clinical: Mapped[bool] = mapped_column(default=False)
    regulator: Mapped[Regulator] = mapped_column(enum_column(Regulator, 10), default=Regulator.NONE)
    arrs: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str | None] = mapped_column(String(300))


class StaffMember(EntityMixin, Base):
    __tablename__ = "staff_member"
    __audit_label__ = "staff record"
    __practice_scope__ = "employer_practice_id"

    staff_number: Mapped[str | None] = mapped_column(String(30), unique=True)
    given_name: Mapped[str] = mapped_column(String(120))
    family_name: Mapped[str] = mapped_column(String(120))
    preferred_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), index=True)
    # Employer: a member practice, or the federation itself when employer_practice_id is empty.
    employer_practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id", ondelete="SET NULL"), index=True)
    employment_type: Mapped[EmploymentType] = mapped_column(enum_column(EmploymentType, 20))
    host_pcn_id: Mapped[int | None] = mapped_column(ForeignKey("pcn.id", ondelete="SET NULL"))
    start_date: Mapped[date | None]
    leave_date: Mapped[date | None]
    contracted_hours: Mapped[float | None] = mapped_column(Float)
    line_manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    # Added by the HR module (revision 0002): the person signed a Working Time Regulations 48-hour opt-out.
    working_time_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())

    role: Mapped[Role] = relationship()
    worked_practices: Mapped[list[StaffPractice]] = relationship(back_populates="staff", cascade="all, delete-orphan")

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.given_name} {self.family_name}".strip()


class StaffPractice(EntityMixin, Base):
    """A practice a shared member of staff (an ARRS role, say) works for, apart from their employer."""

    __tablename__ = "staff_practice"
    __audit_label__ = "practice worked for"
    __practice_scope__ = "practice_id"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"), index=True)

    staff: Mapped[StaffMember] = relationship(back_populates="worked_practices")

    __table_args__ = (UniqueConstraint("staff_id", "practice_id"),)
