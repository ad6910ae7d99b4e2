"""Indemnity and insurance: clinicians' own indemnity cover and the organisation's insurance policies.

NHS primary medical services are covered by the state scheme (CNSGP, NHS Resolution) for everyone who works in
them; clinicians still need their own cover (a medical defence organisation) for non-NHS work and for advice and
representation at regulators, inquests and the like (DOMAIN.md 3.1, 3.2). The federation and each practice hold
organisation policies: employers' liability (compulsory, at least £5m), public liability, professional indemnity,
clinical negligence scheme membership, cyber and others (DOMAIN.md 3.3).

Dates are inclusive: a policy from 01/04/2026 to 31/03/2027 covers both of those days. Money is exact
(``Decimal`` stored as pence).
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from federation_desk.domain.base import Base, EntityMixin, enum_column


class PolicyType(enum.Enum):
    EMPLOYERS_LIABILITY = "employers liability"
    PUBLIC_LIABILITY = "public liability"
    PROFESSIONAL_INDEMNITY = "professional indemnity"
    CLINICAL_NEGLIGENCE = "clinical negligence scheme"
    CYBER = "cyber"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _POLICY_LABELS[self]


_POLICY_LABELS = {
    PolicyType.EMPLOYERS_LIABILITY: "Employers' liability",
    PolicyType.PUBLIC_LIABILITY: "Public liability",
    PolicyType.PROFESSIONAL_INDEMNITY: "Professional indemnity",
    PolicyType.CLINICAL_NEGLIGENCE: "Clinical negligence scheme",
    PolicyType.CYBER: "Cyber",
    PolicyType.OTHER: "Other",
}


class LimitBasis(enum.Enum):
    EACH_OCCURRENCE = "each occurrence"
    AGGREGATE = "aggregate"

    @property
    def label(self) -> str:
        return "Any one occurrence" if self is LimitBasis.EACH_OCCURRENCE else "In the aggregate"


class IndemnityProvider(enum.Enum):
    MDU = "MDU"
    MPS = "MPS"
    MDDUS = "MDDUS"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            IndemnityProvider.MDU: "MDU (Medical Defence Union)",
            IndemnityProvider.MPS: "MPS (Medical Protection Society)",
            IndemnityProvider.MDDUS: "MDDUS",
            IndemnityProvider.OTHER: "Other provider",
        }[self]

    @property
    def short(self) -> str:
        return "Other" if self is IndemnityProvider.OTHER else self.value


class CoverBasis(enum.Enum):
    OCCURRENCE = "occurrence"
    CLAIMS_MADE = "claims-made"

    @property
    def label(self) -> str:
        return "Occurrence-based" if self is CoverBasis.OCCURRENCE else "Claims-made"


class PolicyTypeInfo(EntityMixin, Base):
    """Reference data about a kind of policy: whether it is compulsory, the legal minimum, what buyers ask for.

    Loaded from ``resources/reference/insurance.json`` (with sources) and editable by the federation.
    """

    __tablename__ = "insurance_policy_type"
    __audit_label__ = "policy type guidance"

    policy_type: Mapped[PolicyType] = mapped_column(enum_column(PolicyType), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    compulsory: Mapped[bool] = mapped_column(default=False)
    statutory_minimum: Mapped[Decimal | None]
    typical_minimum: Mapped[Decimal | None]
    needs_limit: Mapped[bool] = mapped_column(default=True)
    expected_of_holders: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=100)
    source: Mapped[str | None] = mapped_column(Text)


class Insurer(EntityMixin, Base):
    """A catalogue entry offered in the editors: an insurer, a medical defence organisation or a state scheme."""

    __tablename__ = "insurer"
    __audit_label__ = "insurer"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # "insurer", "medical defence organisation", "state scheme"
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)


class InsurancePolicy(EntityMixin, Base):
    """An organisation's insurance policy. The holder is a practice, or the federation when the practice is empty."""

    __tablename__ = "insurance_policy"
    __audit_label__ = "insurance policy"
    __practice_scope__ = "holder_practice_id"

    holder_practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"))
    policy_type: Mapped[PolicyType] = mapped_column(enum_column(PolicyType))
    # What an "other" policy is ("Directors' and officers'"), or a note on the cover.
    description: Mapped[str | None] = mapped_column(String(200))
    insurer: Mapped[str] = mapped_column(String(120))
    policy_number: Mapped[str] = mapped_column(String(60))
    # None only for scheme membership with no stated limit (e.g. CNST, which is state-backed and unlimited).
    limit_of_indemnity: Mapped[Decimal | None]
    limit_basis: Mapped[LimitBasis] = mapped_column(enum_column(LimitBasis, 20), default=LimitBasis.EACH_OCCURRENCE)
    excess: Mapped[Decimal | None]
    start_date: Mapped[date]
    end_date: Mapped[date]
    abuse_exclusion: Mapped[bool] = mapped_column(default=False)
    certificate_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="period"),
        Index("ix_insurance_policy_holder_type", "holder_practice_id", "policy_type", "start_date"),
        Index("ix_insurance_policy_end_date", "end_date"),
    )


class IndemnityCover(EntityMixin, Base):
    """A clinician's own indemnity (medical defence organisation membership or an insurance policy)."""

    __tablename__ = "indemnity_cover"
    __audit_label__ = "indemnity cover"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"))
    provider: Mapped[IndemnityProvider] = mapped_column(enum_column(IndemnityProvider, 10))
    provider_name: Mapped[str | None] = mapped_column(String(120))  # for "other"
    membership_number: Mapped[str] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(120))
    basis: Mapped[CoverBasis] = mapped_column(enum_column(CoverBasis, 20), default=CoverBasis.OCCURRENCE)
    covers_non_nhs: Mapped[bool] = mapped_column(default=True)
    covers_regulatory: Mapped[bool] = mapped_column(default=True)
    other_scope: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date]
    end_date: Mapped[date]
    certificate_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="period"),
        Index("ix_indemnity_cover_staff_dates", "staff_id", "start_date", "end_date"),
        Index("ix_indemnity_cover_end_date", "end_date"),
    )
