"""Tenders and bids: buyers, opportunities and their key dates, lots, evaluation criteria, questions with the
answers' revision history, the content library of reusable answers, clarifications, tasks, the required documents
checklist, bid/no-bid scoring, pricing, the outcome, and the procurement reference data (regimes, processes, extra
non-working days).

Everything a person edits has a version column (stale saves are refused) and is audited by the session hook.
Tenders belong to the federation, not to one practice, so no table here is practice-scoped.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from federation_desk.domain.base import Base, EntityMixin, enum_column

PERCENT = Numeric(7, 3)  # weights and scores: exact decimals such as 12.5 or 33.333


def _label(value: str) -> str:
    return value[:1].upper() + value[1:]


class TenderStatus(enum.Enum):
    """The pipeline, in order. The last three are closed."""

    IDENTIFIED = "identified"
    BID_NO_BID = "bid/no-bid"
    QUALIFICATION = "qualification"
    TENDER = "tender"
    SUBMITTED = "submitted"
    AWARDED = "awarded"
    LOST = "lost"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            TenderStatus.IDENTIFIED: "Identified",
            TenderStatus.BID_NO_BID: "Bid / no-bid",
            TenderStatus.QUALIFICATION: "Qualification",
            TenderStatus.TENDER: "Tender",
            TenderStatus.SUBMITTED: "Submitted",
            TenderStatus.AWARDED: "Awarded",
            TenderStatus.LOST: "Lost",
            TenderStatus.WITHDRAWN: "Withdrawn",
        }[self]

    @property
    def is_closed(self) -> bool:
        return self in (TenderStatus.AWARDED, TenderStatus.LOST, TenderStatus.WITHDRAWN)


class TenderSource(enum.Enum):
    FIND_A_TENDER = "Find a Tender"
    CONTRACTS_FINDER = "Contracts Finder"
    BUYER_PORTAL = "buyer's portal"
    DIRECT = "direct approach"

    @property
    def label(self) -> str:
        return _label(self.value)


class CountRule(enum.Enum):
    """How a question's limit is counted (the portal's rule)."""

    WORDS = "words"
    CHARACTERS = "characters with spaces"
    CHARACTERS_NO_SPACES = "characters without spaces"

    @property
    def label(self) -> str:
        return _label(self.value)

    @property
    def unit(self) -> str:
        return "words" if self is CountRule.WORDS else "characters"


class QuestionStatus(enum.Enum):
    NOT_STARTED = "not started"
    DRAFTING = "drafting"
    IN_REVIEW = "in review"
    FINAL = "final"

    @property
    def label(self) -> str:
        return _label(self.value)


class KeyDateKind(enum.Enum):
    EXPRESSION_OF_INTEREST = "expression of interest deadline"
    CLARIFICATION_DEADLINE = "clarification deadline"
    SUBMISSION_DEADLINE = "submission deadline"
    PRESENTATION = "presentation or interview"
    AWARD_NOTICE = "award notice published"  # PSR intention to award / PA23 contract award notice (starts standstill)
    REPRESENTATIONS_DECISION = "decision after representations"  # PSR: the further decision (+5 working days)
    CONTRACT_START = "contract start"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _label(self.value)

    @property
    def is_deadline(self) -> bool:
        return self in (
            KeyDateKind.EXPRESSION_OF_INTEREST,
            KeyDateKind.CLARIFICATION_DEADLINE,
            KeyDateKind.SUBMISSION_DEADLINE,
            KeyDateKind.PRESENTATION,
        )


class CriterionKind(enum.Enum):
    QUALITY = "quality"
    PRICE = "price"
    COST = "cost"
    SOCIAL_VALUE = "social value"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _label(self.value)


class DocumentCategory(enum.Enum):
    ORGANISATION = "organisation"
    CERTIFICATE = "certificate"
    ACCOUNTS = "accounts"
    INSURANCE = "insurance"
    POLICY = "policy"
    CASE_STUDY = "case study"
    CV = "CV"
    FORM = "form or declaration"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _label(self.value)


class BidDecision(enum.Enum):
    UNDECIDED = "undecided"
    BID = "bid"
    NO_BID = "no bid"

    @property
    def label(self) -> str:
        return {"undecided": "Not decided", "bid": "Bid", "no bid": "No bid"}[self.value]


class OutcomeResult(enum.Enum):
    WON = "won"
    LOST = "lost"
    WITHDRAWN = "withdrawn"
    ABANDONED = "abandoned by the buyer"

    @property
    def label(self) -> str:
        return _label(self.value)


class Regime(enum.Enum):
    PSR = "PSR"
    PA23 = "PA23"
    PCR2015 = "PCR2015"
    OTHER = "other"


# ---- procurement reference data -----------------------------------------------------------------------------


class ProcurementRegime(EntityMixin, Base):
    """A procurement regime and how it counts standstill (editable reference data, with its source)."""

    __tablename__ = "procurement_regime"
    __audit_label__ = "procurement regime"

    code: Mapped[Regime] = mapped_column(enum_column(Regime, 10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    standstill_working_days: Mapped[int | None] = mapped_column(Integer)
    # True: the day the notice is published is day one (PA23 s.51); False: counting starts the day after (PSR).
    standstill_counts_publication_day: Mapped[bool] = mapped_column(default=False)
    # "england-and-wales" or "all-uk": whose bank holidays are not working days.
    holiday_set: Mapped[str] = mapped_column(String(30), default="england-and-wales")
    representations_extra_days: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[date | None]
    confidence: Mapped[str | None] = mapped_column(String(2))


class ProcurementProcess(EntityMixin, Base):
    """A process or procedure under a regime (PSR direct award C, PA23 competitive flexible ...)."""

    __tablename__ = "procurement_process"
    __audit_label__ = "procurement process"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    regime: Mapped[Regime] = mapped_column(enum_column(Regime, 10))
    name: Mapped[str] = mapped_column(String(200))
    standstill_applies: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[date | None]
    confidence: Mapped[str | None] = mapped_column(String(2))


class NonWorkingDay(EntityMixin, Base):
    """A day the federation treats as not working on top of weekends and bank holidays (a proclaimed one-off
    holiday the holidays library does not know yet, say)."""

    __tablename__ = "non_working_day"
    __audit_label__ = "extra non-working day"

    day: Mapped[date] = mapped_column(unique=True)
    reason: Mapped[str] = mapped_column(String(200))


# ---- buyers and tenders -------------------------------------------------------------------------------------


class Buyer(EntityMixin, Base):
    __tablename__ = "buyer"
    __audit_label__ = "buyer"

    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str | None] = mapped_column(String(80))  # ICB, NHS trust, local authority ...
    identifier_scheme: Mapped[str | None] = mapped_column(String(40))  # GB-PPON, GB-COH, GB-GOR ...
    identifier: Mapped[str | None] = mapped_column(String(80))
    address: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (UniqueConstraint("identifier_scheme", "identifier"),)


class Tender(EntityMixin, Base):
    __tablename__ = "tender"
    __audit_label__ = "tender"

    reference: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(400))
    description: Mapped[str | None] = mapped_column(Text)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("buyer.id", ondelete="SET NULL"), index=True)
    buyer_reference: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[TenderSource] = mapped_column(enum_column(TenderSource, 30), default=TenderSource.DIRECT)
    regime: Mapped[Regime | None] = mapped_column(enum_column(Regime, 10))
    process_id: Mapped[int | None] = mapped_column(ForeignKey("procurement_process.id", ondelete="SET NULL"))
    estimated_value: Mapped[Decimal | None]
    value_note: Mapped[str | None] = mapped_column(String(200))
    term_months: Mapped[int | None] = mapped_column(Integer)
    extension_count: Mapped[int | None] = mapped_column(Integer)
    extension_months: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[TenderStatus] = mapped_column(
        enum_column(TenderStatus, 20), default=TenderStatus.IDENTIFIED, index=True
    )
    status_changed_on: Mapped[date | None]
    owner: Mapped[str | None] = mapped_column(String(120))
    portal_url: Mapped[str | None] = mapped_column(String(500))
    cpv_codes: Mapped[str | None] = mapped_column(String(400))
    award_criteria_basis: Mapped[str | None] = mapped_column(String(60))  # OCDS 1.1 code string, as published
    notes: Mapped[str | None] = mapped_column(Text)
    # Bid/no-bid decision (the scored criteria are BidScore rows).
    bid_decision: Mapped[BidDecision] = mapped_column(enum_column(BidDecision, 12), default=BidDecision.UNDECIDED)
    bid_decision_reason: Mapped[str | None] = mapped_column(Text)
    bid_decision_on: Mapped[date | None]
    bid_decided_by: Mapped[str | None] = mapped_column(String(120))
    # From an OCDS import: the procurement's ocid (re-importing the same notice updates this tender).
    ocid: Mapped[str | None] = mapped_column(String(120), unique=True)
    notice_id: Mapped[str | None] = mapped_column(String(120))
    notice_url: Mapped[str | None] = mapped_column(String(500))
    ocds_release_date: Mapped[datetime | None]
    ocds_imported_at: Mapped[datetime | None]

    buyer: Mapped[Buyer | None] = relationship()
    process: Mapped[ProcurementProcess | None] = relationship()


class TenderLot(EntityMixin, Base):
    __tablename__ = "tender_lot"
    __audit_label__ = "lot"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40))  # the buyer's lot id ("1", "LOT-0001")
    title: Mapped[str] = mapped_column(String(400))
    description: Mapped[str | None] = mapped_column(Text)
    estimated_value: Mapped[Decimal | None]
    bidding: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (UniqueConstraint("tender_id", "number"),)


class TenderKeyDate(EntityMixin, Base):
    __tablename__ = "tender_key_date"
    __audit_label__ = "key date"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    kind: Mapped[KeyDateKind] = mapped_column(enum_column(KeyDateKind, 40))
    label: Mapped[str | None] = mapped_column(String(200))
    on_date: Mapped[date] = mapped_column(index=True)
    at_time: Mapped[time | None] = mapped_column(Time)  # London wall time, when the notice gives one
    from_notice: Mapped[bool] = mapped_column(default=False)  # set by an OCDS import (re-import replaces it)
    notes: Mapped[str | None] = mapped_column(Text)


class EvaluationCriterion(EntityMixin, Base):
    __tablename__ = "evaluation_criterion"
    __audit_label__ = "evaluation criterion"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("tender_lot.id", ondelete="CASCADE"))
    kind: Mapped[CriterionKind] = mapped_column(enum_column(CriterionKind, 20))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[Decimal | None] = mapped_column(PERCENT)  # percent of the total score
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    from_notice: Mapped[bool] = mapped_column(default=False)


class LibraryAnswer(EntityMixin, Base):
    """A reusable answer in the content library."""

    __tablename__ = "library_answer"
    __audit_label__ = "library answer"

    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(String(500))  # lower-case, comma separated
    owner: Mapped[str | None] = mapped_column(String(120))
    last_reviewed_on: Mapped[date | None]
    review_interval_months: Mapped[int] = mapped_column(Integer, default=12)
    source_note: Mapped[str | None] = mapped_column(String(300))  # where it came from ("T-2026-004 question 3")


class TenderQuestion(EntityMixin, Base):
    __tablename__ = "tender_question"
    __audit_label__ = "question"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("tender_lot.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(String(20))
    section: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    answer_limit: Mapped[int | None] = mapped_column(Integer)  # in the unit of count_rule; None: no limit
    count_rule: Mapped[CountRule] = mapped_column(enum_column(CountRule, 30), default=CountRule.WORDS)
    weighting: Mapped[Decimal | None] = mapped_column(PERCENT)
    owner: Mapped[str | None] = mapped_column(String(120))
    due_on: Mapped[date | None]
    status: Mapped[QuestionStatus] = mapped_column(enum_column(QuestionStatus, 20), default=QuestionStatus.NOT_STARTED)
    answer: Mapped[str | None] = mapped_column(Text)
    # The library answer last inserted into this answer.
    library_answer_id: Mapped[int | None] = mapped_column(ForeignKey("library_answer.id", ondelete="SET NULL"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    score_received: Mapped[Decimal | None] = mapped_column(PERCENT)
    max_score: Mapped[Decimal | None] = mapped_column(PERCENT)
    feedback: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("tender_id", "number"),)


class AnswerRevision(EntityMixin, Base):
    """One saved version of an answer (kept every time the answer text changes)."""

    __tablename__ = "answer_revision"
    __audit_label__ = "answer revision"

    question_id: Mapped[int] = mapped_column(ForeignKey("tender_question.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer)  # under the question's count rule when saved
    saved_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("question_id", "revision"),)


class Clarification(EntityMixin, Base):
    __tablename__ = "clarification"
    __audit_label__ = "clarification"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    number: Mapped[str | None] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    raised_by_us: Mapped[bool] = mapped_column(default=True)
    asked_on: Mapped[date | None]
    answered_on: Mapped[date | None]


class TenderTask(EntityMixin, Base):
    __tablename__ = "tender_task"
    __audit_label__ = "task"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str | None] = mapped_column(String(120))
    due_on: Mapped[date | None] = mapped_column(index=True)
    done: Mapped[bool] = mapped_column(default=False)
    done_on: Mapped[date | None]
    notes: Mapped[str | None] = mapped_column(Text)


class RequiredDocument(EntityMixin, Base):
    """A line of the tender's documents checklist, and the evidence that meets it."""

    __tablename__ = "required_document"
    __audit_label__ = "required document"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    category: Mapped[DocumentCategory] = mapped_column(enum_column(DocumentCategory, 30))
    mandatory: Mapped[bool] = mapped_column(default=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    valid_from: Mapped[date | None]
    expires_on: Mapped[date | None]
    reference: Mapped[str | None] = mapped_column(String(120))  # version of a policy, certificate number ...
    append_to_pack: Mapped[bool] = mapped_column(default=True)
    # For insurance evidence: the policy type (indemnity's PolicyType value) and the buyer's minimum limit,
    # checked against the insurance schedule on the submission date.
    insurance_type: Mapped[str | None] = mapped_column(String(60))
    minimum_limit: Mapped[Decimal | None]
    notes: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class BidScore(EntityMixin, Base):
    """One scored criterion of the bid/no-bid assessment."""

    __tablename__ = "bid_score"
    __audit_label__ = "bid/no-bid score"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    criterion: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    score: Mapped[int | None] = mapped_column(Integer)  # 0-5
    notes: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class PriceLine(EntityMixin, Base):
    """A line of the pricing schedule (quantity x unit price)."""

    __tablename__ = "price_line"
    __audit_label__ = "pricing line"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("tender_lot.id", ondelete="SET NULL"))
    item: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str | None] = mapped_column(String(60))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3), default=Decimal(1))
    unit_price: Mapped[Decimal]
    notes: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class TenderOutcome(EntityMixin, Base):
    __tablename__ = "tender_outcome"
    __audit_label__ = "outcome"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), unique=True)
    result: Mapped[OutcomeResult] = mapped_column(enum_column(OutcomeResult, 30))
    notified_on: Mapped[date | None]
    our_quality_score: Mapped[Decimal | None] = mapped_column(PERCENT)
    our_price_score: Mapped[Decimal | None] = mapped_column(PERCENT)
    our_total_score: Mapped[Decimal | None] = mapped_column(PERCENT)
    winner_total_score: Mapped[Decimal | None] = mapped_column(PERCENT)
    winner: Mapped[str | None] = mapped_column(String(300))
    contract_value: Mapped[Decimal | None]
    feedback: Mapped[str | None] = mapped_column(Text)
    lessons: Mapped[str | None] = mapped_column(Text)


class TenderLink(EntityMixin, Base):
    """A document the buyer published with the notice, kept as a link (from an OCDS import or typed in)."""

    __tablename__ = "tender_link"
    __audit_label__ = "notice document"

    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    ocds_id: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(400))
    url: Mapped[str | None] = mapped_column(String(1000))
    document_type: Mapped[str | None] = mapped_column(String(80))
    notice_type: Mapped[str | None] = mapped_column(String(20))  # UK extension: UK4, UK6 ...
    published_at: Mapped[datetime | None]
    from_notice: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (Index("ix_tender_link_ocds", "tender_id", "ocds_id"),)
