"""Contracts the federation holds, their obligations (typed rules with targets and red/amber/green thresholds),
reporting periods, KPI values entered by hand, and a record of every compliance report produced.

An obligation's ``parameters`` are a small JSON object whose keys depend on its type (the insurance policy type and
minimum limit, the PCNs for Enhanced Access ...); ``services.contracts`` validates them and
``services.contract_evaluators`` reads them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from federation_desk.domain.base import Base, EntityMixin, enum_column, utcnow


class ReportingFrequency(enum.Enum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ObligationType(enum.Enum):
    WORKFORCE = "workforce"
    CREDENTIALS = "credentials"
    STAFFING = "staffing"
    INSURANCE = "insurance"
    ACCESS = "access"
    MANUAL_KPI = "manual KPI"

    @property
    def label(self) -> str:
        return {
            ObligationType.WORKFORCE: "Workforce: mandatory training",
            ObligationType.CREDENTIALS: "Clinician credentials",
            ObligationType.STAFFING: "Staffing: sessions filled",
            ObligationType.INSURANCE: "Insurance held",
            ObligationType.ACCESS: "Enhanced Access minutes",
            ObligationType.MANUAL_KPI: "KPI entered each period",
        }[self]

    @property
    def is_automatic(self) -> bool:
        return self is not ObligationType.MANUAL_KPI


class Direction(enum.Enum):
    HIGHER_IS_BETTER = "higher is better"
    LOWER_IS_BETTER = "lower is better"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Rag(enum.Enum):
    """Red/amber/green, and grey when there is nothing to judge (no value entered, no staff on the contract)."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    GREY = "grey"

    @property
    def label(self) -> str:
        return {"red": "Red", "amber": "Amber", "green": "Green", "grey": "No data"}[self.value]

    @property
    def severity(self) -> int:
        return {"red": 3, "amber": 2, "grey": 1, "green": 0}[self.value]


class Contract(EntityMixin, Base):
    __tablename__ = "contract"
    __audit_label__ = "contract"

    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    commissioner: Mapped[str] = mapped_column(String(200))
    service: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date]
    end_date: Mapped[date]
    value: Mapped[Decimal | None]
    reporting_frequency: Mapped[ReportingFrequency] = mapped_column(enum_column(ReportingFrequency, 20))
    # The tender this contract was won from (tenders module); the link clears if the tender is deleted.
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tender.id", ondelete="SET NULL"), index=True)
    # Rota service codes delivered under this contract (space separated); empty: all of the practices' work.
    service_codes: Mapped[str | None] = mapped_column(String(200))
    contract_manager: Mapped[str | None] = mapped_column(String(120))
    commissioner_contact: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)

    practices: Mapped[list[ContractPractice]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractPractice.practice_id"
    )
    obligations: Mapped[list[Obligation]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="Obligation.position"
    )
    periods: Mapped[list[ReportingPeriod]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ReportingPeriod.start_date"
    )


class ContractPractice(EntityMixin, Base):
    """A member practice whose staff and sessions deliver the contract."""

    __tablename__ = "contract_practice"
    __audit_label__ = "practice on a contract"
    __practice_scope__ = "practice_id"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"), index=True)

    contract: Mapped[Contract] = relationship(back_populates="practices")

    __table_args__ = (UniqueConstraint("contract_id", "practice_id"),)


class Obligation(EntityMixin, Base):
    __tablename__ = "contract_obligation"
    __audit_label__ = "contract obligation"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    obligation_type: Mapped[ObligationType] = mapped_column(enum_column(ObligationType, 20))
    parameters: Mapped[str] = mapped_column(Text, default="{}")  # JSON, keys per type (services.contracts)
    unit: Mapped[str] = mapped_column(String(40))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, 20))
    target: Mapped[float | None] = mapped_column(Float)
    green_threshold: Mapped[float] = mapped_column(Float)
    amber_threshold: Mapped[float] = mapped_column(Float)
    schedule_ref: Mapped[str | None] = mapped_column(String(100))  # "Schedule 4C, KPI 3"
    description: Mapped[str | None] = mapped_column(Text)
    kpi_template_code: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)

    contract: Mapped[Contract] = relationship(back_populates="obligations")


class ReportingPeriod(EntityMixin, Base):
    """One reporting period of a contract (2026-Q3, 2026-09, 2026), clipped to the contract's term."""

    __tablename__ = "reporting_period"
    __audit_label__ = "reporting period"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date]
    end_date: Mapped[date]
    submitted_on: Mapped[date | None]

    contract: Mapped[Contract] = relationship(back_populates="periods")

    __table_args__ = (UniqueConstraint("contract_id", "label"),)


class KpiValue(EntityMixin, Base):
    """A KPI value entered by hand for one obligation and period, with who entered it and when."""

    __tablename__ = "kpi_value"
    __audit_label__ = "KPI value"

    obligation_id: Mapped[int] = mapped_column(ForeignKey("contract_obligation.id", ondelete="CASCADE"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id", ondelete="CASCADE"), index=True)
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(120))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("obligation_id", "period_id"),)


class ComplianceReportRun(EntityMixin, Base):
    """A compliance report that was produced: who, when, for which period, and the SHA-256 of the PDF, so a
    printed copy can be traced (its trace code is printed in the footer of every page)."""

    __tablename__ = "compliance_report_run"
    __audit_label__ = "compliance report"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"), index=True)
    period_label: Mapped[str] = mapped_column(String(20))
    trace_code: Mapped[str] = mapped_column(String(40), unique=True)
    produced_at: Mapped[datetime] = mapped_column(default=utcnow)
    produced_by: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    anonymised: Mapped[bool] = mapped_column(default=False)
    filename: Mapped[str] = mapped_column(String(255))
    overall: Mapped[Rag] = mapped_column(enum_column(Rag, 10))
    summary: Mapped[str] = mapped_column(String(200))  # "5 green, 2 amber, 1 red"


class ComplianceReportResult(EntityMixin, Base):
    """One obligation's result as a produced report showed it. Later reports show earlier periods "as reported"
    from these rows, so their trend matches what was submitted (and needs no re-evaluation of past periods)."""

    __tablename__ = "compliance_report_result"
    __audit_label__ = "compliance report result"

    run_id: Mapped[int] = mapped_column(ForeignKey("compliance_report_run.id", ondelete="CASCADE"), index=True)
    obligation_id: Mapped[int | None] = mapped_column(
        ForeignKey("contract_obligation.id", ondelete="SET NULL"), index=True
    )
    obligation_name: Mapped[str] = mapped_column(String(200))
    value: Mapped[float | None] = mapped_column(Float)
    rag: Mapped[Rag] = mapped_column(enum_column(Rag, 10))
    summary: Mapped[str] = mapped_column(Text)


class KpiTemplate(EntityMixin, Base):
    """The KPI template library (reference data with its source): common KPI families with unit, direction,
    default thresholds and cadence (DOMAIN.md 6.2). Obligations can start from a template."""

    __tablename__ = "kpi_template"
    __audit_label__ = "KPI template"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    family: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    obligation_type: Mapped[ObligationType] = mapped_column(enum_column(ObligationType, 20))
    unit: Mapped[str] = mapped_column(String(40))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, 20))
    target: Mapped[float | None] = mapped_column(Float)
    green_threshold: Mapped[float] = mapped_column(Float)
    amber_threshold: Mapped[float] = mapped_column(Float)
    cadence: Mapped[str | None] = mapped_column(String(60))
    source: Mapped[str | None] = mapped_column(String(400))
    source_date: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[str | None] = mapped_column(String(4))
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(default=True)
