"""The rota: services, session templates, sessions, assignments, published weeks, and the rota's reference data.

Times: a template holds London wall-clock times (what a manager types); a generated or one-off session holds the
instants it starts and ends (``UtcDateTime``, stored in UTC), plus ``session_date``, the London date it starts on.
A session whose end is not after its start on the wall clock ends on the next day (overnight home visiting), and
the instants make the length right on the two clock-change Sundays (a 22:00-08:00 night is 9 h in March and
11 h in October).
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from federation_desk.domain.base import Base, EntityMixin

ALL_WEEKDAYS = 0b1111111  # bit 0 = Monday ... bit 6 = Sunday


class RotaService(EntityMixin, Base):
    """A service sessions are run for: Enhanced Access, home visiting, shared pharmacist clinics, core sessions."""

    __tablename__ = "rota_service"
    __audit_label__ = "rota service"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Non-NHS work (private medicals, occupational health ...) is outside CNSGP: clinicians need their own cover.
    non_nhs: Mapped[bool] = mapped_column(Boolean, default=False)
    # Appointments in these sessions count towards the PCN's Enhanced Access minutes.
    enhanced_access: Mapped[bool] = mapped_column(Boolean, default=False)
    colour: Mapped[str | None] = mapped_column(String(7))  # "#RRGGBB" for the week grid
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SessionTemplate(EntityMixin, Base):
    """A repeating session: at a site, on some weekdays, from start to end (London time), needing N of a role."""

    __tablename__ = "rota_template"
    __audit_label__ = "session template"
    __practice_scope__ = "practice_id"

    service_id: Mapped[int] = mapped_column(ForeignKey("rota_service.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    # The site's practice, copied so access control can scope templates (None: a federation hub).
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"))
    weekdays: Mapped[int] = mapped_column(Integer, default=0b0011111)  # bit 0 Monday ... bit 6 Sunday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)  # not after start_time: the session ends the next day
    needed: Mapped[int] = mapped_column(Integer, default=1)
    appointment_minutes: Mapped[int] = mapped_column(Integer, default=0)  # per person, per session
    skill: Mapped[str | None] = mapped_column(String(80))
    runs_on_bank_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    label: Mapped[str | None] = mapped_column(String(120))


class RotaSession(EntityMixin, Base):
    """One session on one day (generated from a template, or a one-off)."""

    __tablename__ = "rota_session"
    __audit_label__ = "rota session"
    __practice_scope__ = "practice_id"

    template_id: Mapped[int | None] = mapped_column(ForeignKey("rota_template.id", ondelete="SET NULL"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("rota_service.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"))
    session_date: Mapped[date] = mapped_column(index=True)  # the London date it starts on
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    needed: Mapped[int] = mapped_column(Integer, default=1)
    appointment_minutes: Mapped[int] = mapped_column(Integer, default=0)
    skill: Mapped[str | None] = mapped_column(String(80))
    label: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)

    assignments: Mapped[list[Assignment]] = relationship(back_populates="rota_session", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("template_id", "session_date"),)


class Assignment(EntityMixin, Base):
    """A person booked into a session. ``override_reason`` records why a soft rule was overridden."""

    __tablename__ = "rota_assignment"
    __audit_label__ = "rota assignment"
    __practice_scope__ = "practice_id"

    session_id: Mapped[int] = mapped_column(ForeignKey("rota_session.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"), index=True)
    # The soft rules overridden (rule codes, comma-separated) and the manager's reason, kept in the audit trail.
    overridden_rules: Mapped[str | None] = mapped_column(String(200))
    override_reason: Mapped[str | None] = mapped_column(Text)

    rota_session: Mapped[RotaSession] = relationship(back_populates="assignments")

    __table_args__ = (UniqueConstraint("session_id", "staff_id"),)


class StaffSkill(EntityMixin, Base):
    """A skill a person has that some sessions need (cervical screening, minor surgery, driving for visits)."""

    __tablename__ = "rota_staff_skill"
    __audit_label__ = "staff skill"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    skill: Mapped[str] = mapped_column(String(80))

    __table_args__ = (UniqueConstraint("staff_id", "skill"),)


class RotaWeek(EntityMixin, Base):
    """A published week (Monday to Sunday): its sessions are read-only until the week is reopened."""

    __tablename__ = "rota_week"
    __audit_label__ = "rota week"

    week_start: Mapped[date] = mapped_column(unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(120))


class RotaParameter(EntityMixin, Base):
    """Editable reference data for the rota rules and Enhanced Access (value, unit, source)."""

    __tablename__ = "rota_parameter"
    __audit_label__ = "rota parameter"

    key: Mapped[str] = mapped_column(String(80), unique=True)
    value: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str | None] = mapped_column(String(20))  # hard / soft / advisory for rule thresholds
    source: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[date | None]
    confidence: Mapped[str | None] = mapped_column(String(4))


class EnhancedAccessWindow(EntityMixin, Base):
    """A window of Network Standard Hours (Monday-Friday 18:30-20:00, Saturday 09:00-17:00), as reference data."""

    __tablename__ = "ea_window"
    __audit_label__ = "Enhanced Access window"

    weekday: Mapped[int] = mapped_column(Integer)  # 0 Monday ... 6 Sunday
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    source: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[date | None]
    confidence: Mapped[str | None] = mapped_column(String(4))


Index("ix_rota_session_site_date", RotaSession.site_id, RotaSession.session_date)
