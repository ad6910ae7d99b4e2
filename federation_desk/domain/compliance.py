"""HR compliance: professional registrations, the Performers List, DBS checks, right to work, hepatitis B immunity,
the training catalogue (subjects, levels, refresher periods, role requirements), training records, appraisals and
leave.

Renewing an item adds a row and keeps the earlier ones as history: a new DBS certificate, a new training
completion or a renewed registration is a new record, never an overwrite. Statuses (valid, expiring, expired,
missing) are never stored; ``services.compliance`` computes them from the dates for the day asked about.

Item rows belong to a member of staff; their practice is the staff member's employer
(``staff_member.employer_practice_id``). ``__owner_staff__`` names the column that leads there, for access control.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from federation_desk.domain.base import Base, EntityMixin, enum_column
from federation_desk.domain.staff import Regulator


def _label(value: str) -> str:
    return value[:1].upper() + value[1:]


class ItemKind(enum.Enum):
    """The kinds of compliance item a person can be asked for."""

    REGISTRATION = "registration"
    REVALIDATION = "revalidation"
    PERFORMERS_LIST = "performers list"
    DBS = "DBS"
    RIGHT_TO_WORK = "right to work"
    HEPATITIS_B = "hepatitis B"
    APPRAISAL = "appraisal"
    TRAINING = "training"

    @property
    def label(self) -> str:
        return {
            ItemKind.REGISTRATION: "Professional registration",
            ItemKind.REVALIDATION: "Revalidation",
            ItemKind.PERFORMERS_LIST: "Performers List",
            ItemKind.DBS: "DBS check",
            ItemKind.RIGHT_TO_WORK: "Right to work",
            ItemKind.HEPATITIS_B: "Hepatitis B immunity",
            ItemKind.APPRAISAL: "Appraisal",
            ItemKind.TRAINING: "Training",
        }[self]


class RegistrationStatus(enum.Enum):
    REGISTERED = "registered"
    CONDITIONS = "registered with conditions"
    SUSPENDED = "suspended"
    LAPSED = "lapsed"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        return _label(self.value)

    @property
    def allows_practice(self) -> bool:
        return self in (RegistrationStatus.REGISTERED, RegistrationStatus.CONDITIONS)


class PerformersStatus(enum.Enum):
    INCLUDED = "included"
    CONDITIONS = "included with conditions"
    APPLIED = "application in progress"
    SUSPENDED = "suspended"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        return _label(self.value)

    @property
    def allows_practice(self) -> bool:
        return self in (PerformersStatus.INCLUDED, PerformersStatus.CONDITIONS)


class DbsLevel(enum.Enum):
    BASIC = "basic"
    STANDARD = "standard"
    ENHANCED = "enhanced"
    ENHANCED_BARRED = "enhanced with barred lists"

    @property
    def label(self) -> str:
        return _label(self.value)

    @property
    def rank(self) -> int:
        return list(DbsLevel).index(self)


class DbsWorkforce(enum.Enum):
    ADULT = "adult"
    CHILD = "child"
    ADULT_AND_CHILD = "adult and child"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _label(self.value)


class RightToWorkMethod(enum.Enum):
    LIST_A = "List A document (no follow-up)"
    LIST_B_GROUP_1 = "List B group 1 (time-limited permission)"
    LIST_B_GROUP_2 = "List B group 2 (Positive Verification Notice)"
    ONLINE = "Home Office online check (share code)"
    IDVT = "Identity service provider (IDVT)"

    @property
    def label(self) -> str:
        return self.value


class HepBOutcome(enum.Enum):
    RESPONDER = "responder"
    IMMUNE_BY_INFECTION = "immune by past infection"
    IN_PROGRESS = "course in progress"
    NON_RESPONDER = "non-responder"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return _label(self.value)


class LeaveKind(enum.Enum):
    ANNUAL = "annual leave"
    SICKNESS = "sickness"
    STUDY = "study leave"
    PARENTAL = "parental leave"
    COMPASSIONATE = "compassionate leave"
    OTHER = "other absence"

    @property
    def label(self) -> str:
        return _label(self.value)


class LeaveStatus(enum.Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return _label(self.value)


class ReferenceMixin:
    """Where a reference figure comes from: the source, its date, and a confidence marker (V, S or U)."""

    source: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[date | None]
    confidence: Mapped[str | None] = mapped_column(String(1))


# ---- the catalogue (reference data, editable) -----------------------------------------------------------------


class TrainingSubject(ReferenceMixin, EntityMixin, Base):
    """A training subject (Core Skills Training Framework or another statutory or role-specific course)."""

    __tablename__ = "training_subject"
    __audit_label__ = "training subject"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    short_name: Mapped[str] = mapped_column(String(24))
    category: Mapped[str] = mapped_column(String(20), default="CSTF")  # CSTF / statutory / role-specific
    esr_name: Mapped[str | None] = mapped_column(String(120))  # "Fire Safety" in NHS|CSTF|Fire Safety - 2 Years|
    aliases: Mapped[str | None] = mapped_column(Text)  # other names an import file may use, separated by "|"
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(default=True)


class TrainingLevel(ReferenceMixin, EntityMixin, Base):
    """A level of a subject with its refresher period. A higher level satisfies a requirement for a lower one."""

    __tablename__ = "training_level"
    __audit_label__ = "training level"

    subject_id: Mapped[int] = mapped_column(ForeignKey("training_subject.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(60), default="")  # "Level 3", "Tier 2"; empty for a single level
    refresher_months: Mapped[int | None] = mapped_column(Integer)  # None: done once, no refresher
    hours_per_3_years: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("subject_id", "level"),)


class RoleTrainingRequirement(ReferenceMixin, EntityMixin, Base):
    """The level of a subject a role needs (safeguarding children level 3 for a GP ...)."""

    __tablename__ = "role_training_requirement"
    __audit_label__ = "role training requirement"

    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("training_subject.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("role_id", "subject_id"),)


class ComplianceItemType(ReferenceMixin, EntityMixin, Base):
    """Policy figures per kind of item: the warning lead time and the re-check interval."""

    __tablename__ = "compliance_item_type"
    __audit_label__ = "compliance item type"

    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind, 30), unique=True)
    lead_days: Mapped[int] = mapped_column(Integer, default=60)
    interval_months: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)


class RoleCheckRequirement(ReferenceMixin, EntityMixin, Base):
    """A check a role needs (DBS at a level, Performers List, hepatitis B immunity ...). ``detail`` holds the DBS
    level for a DBS requirement."""

    __tablename__ = "role_check_requirement"
    __audit_label__ = "role check requirement"

    role_id: Mapped[int] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind, 30))
    detail: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (UniqueConstraint("role_id", "kind"),)


# ---- a person's items -----------------------------------------------------------------------------------------


class StaffItemMixin:
    __owner_staff__ = "staff_id"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)


class ProfessionalRegistration(StaffItemMixin, EntityMixin, Base):
    __tablename__ = "professional_registration"
    __audit_label__ = "professional registration"

    regulator: Mapped[Regulator] = mapped_column(enum_column(Regulator, 10))
    number: Mapped[str] = mapped_column(String(12))
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus, 30), default=RegistrationStatus.REGISTERED
    )
    registered_on: Mapped[date | None]
    expires_on: Mapped[date | None]  # renewal (retention) date
    revalidation_due: Mapped[date | None]
    checked_on: Mapped[date | None]  # when the live register was last checked

    __table_args__ = (Index("ix_professional_registration_number", "regulator", "number"),)


class PerformersListEntry(StaffItemMixin, EntityMixin, Base):
    __tablename__ = "performers_list_entry"
    __audit_label__ = "Performers List entry"

    list_name: Mapped[str] = mapped_column(String(120), default="NHS England Medical Performers List")
    status: Mapped[PerformersStatus] = mapped_column(enum_column(PerformersStatus, 30))
    included_on: Mapped[date | None]
    checked_on: Mapped[date]
    responsible_officer: Mapped[str | None] = mapped_column(String(200))


class DbsCheck(StaffItemMixin, EntityMixin, Base):
    __tablename__ = "dbs_check"
    __audit_label__ = "DBS check"

    level: Mapped[DbsLevel] = mapped_column(enum_column(DbsLevel, 30))
    workforce: Mapped[DbsWorkforce | None] = mapped_column(enum_column(DbsWorkforce, 20))
    certificate_number: Mapped[str | None] = mapped_column(String(12), index=True)
    issued_on: Mapped[date]
    update_service: Mapped[bool] = mapped_column(default=False)
    status_checked_on: Mapped[date | None]
    status_check_result: Mapped[str | None] = mapped_column(String(200))
    recheck_due: Mapped[date | None]  # overrides the policy interval when set


class RightToWorkCheck(StaffItemMixin, EntityMixin, Base):
    __tablename__ = "right_to_work_check"
    __audit_label__ = "right to work check"

    method: Mapped[RightToWorkMethod] = mapped_column(enum_column(RightToWorkMethod, 60))
    document_type: Mapped[str | None] = mapped_column(String(120))
    checked_on: Mapped[date]
    checked_by: Mapped[str | None] = mapped_column(String(120))
    share_code_reference: Mapped[str | None] = mapped_column(String(20))
    permission_expires_on: Mapped[date | None]
    follow_up_due: Mapped[date | None]  # overrides the rule for the method when set


class HepatitisBRecord(StaffItemMixin, EntityMixin, Base):
    __tablename__ = "hepatitis_b_record"
    __audit_label__ = "hepatitis B record"

    dose1_on: Mapped[date | None]
    dose2_on: Mapped[date | None]
    dose3_on: Mapped[date | None]
    booster_on: Mapped[date | None]
    tested_on: Mapped[date | None]
    anti_hbs: Mapped[int | None] = mapped_column(Integer)  # mIU/ml
    outcome: Mapped[HepBOutcome] = mapped_column(enum_column(HepBOutcome, 30))
    oh_cleared_on: Mapped[date | None]  # occupational health clearance (e.g. for a non-responder)


class TrainingRecord(StaffItemMixin, EntityMixin, Base):
    __tablename__ = "training_record"
    __audit_label__ = "training record"

    subject_id: Mapped[int] = mapped_column(ForeignKey("training_subject.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    completed_on: Mapped[date]
    expires_on: Mapped[date | None]  # the certificate's own expiry; otherwise the level's refresher period
    hours: Mapped[float | None] = mapped_column(Float)
    provider: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (UniqueConstraint("staff_id", "subject_id", "level", "completed_on"),)


class Appraisal(StaffItemMixin, EntityMixin, Base):
    __tablename__ = "appraisal"
    __audit_label__ = "appraisal"

    completed_on: Mapped[date]
    next_due: Mapped[date | None]  # overrides the policy interval when set
    appraiser: Mapped[str | None] = mapped_column(String(120))
    supports_revalidation: Mapped[bool] = mapped_column(default=False)


class LeaveRecord(StaffItemMixin, EntityMixin, Base):
    __tablename__ = "leave_record"
    __audit_label__ = "leave"

    kind: Mapped[LeaveKind] = mapped_column(enum_column(LeaveKind, 30))
    start_on: Mapped[date]
    end_on: Mapped[date]  # inclusive
    status: Mapped[LeaveStatus] = mapped_column(enum_column(LeaveStatus, 20), default=LeaveStatus.APPROVED)

    __table_args__ = (Index("ix_leave_record_dates", "start_on", "end_on"),)


STAFF_ITEM_MODELS: tuple[type[Base], ...] = (
    ProfessionalRegistration,
    PerformersListEntry,
    DbsCheck,
    RightToWorkCheck,
    HepatitisBRecord,
    TrainingRecord,
    Appraisal,
    LeaveRecord,
)
