"""Tenders and bids: the pipeline, a tender's details, questions and answers (with revisions and the portal's count
rules), the content library, clarifications, tasks, the documents checklist, bid/no-bid, pricing and outcome.

Interfaces other modules use (../prompts/interfaces.md): :func:`list_tenders` and :func:`find_tender`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from federation_desk.db.session import load_for_edit
from federation_desk.domain.contracts import Contract
from federation_desk.domain.documents import Document
from federation_desk.domain.tenders import (
    AnswerRevision,
    BidDecision,
    BidScore,
    Buyer,
    Clarification,
    CountRule,
    CriterionKind,
    DocumentCategory,
    EvaluationCriterion,
    KeyDateKind,
    LibraryAnswer,
    OutcomeResult,
    PriceLine,
    ProcurementProcess,
    ProcurementRegime,
    QuestionStatus,
    Regime,
    RequiredDocument,
    Tender,
    TenderKeyDate,
    TenderLink,
    TenderLot,
    TenderOutcome,
    TenderQuestion,
    TenderSource,
    TenderStatus,
    TenderTask,
)
from federation_desk.errors import FieldProblem, NotFound, ValidationError
from federation_desk.services import validators as v
from federation_desk.services.changes import Changes
from federation_desk.services.dashboard import DashboardCard, Severity, dashboard_card
from federation_desk.services.dates import format_date
from federation_desk.services.dates import today as london_today
from federation_desk.services.money import format_money, parse_money
from federation_desk.services.procurement_calendar import (
    Calendar,
    StandstillRule,
    extra_non_working_days,
    non_working_day_warning,
    standstill_end,
    standstill_end_after_representations,
    standstill_rules,
)
from federation_desk.services.reference import read_reference, reference_loader

KIND = "tender"
LIBRARY = "library"

# ---- counting as a portal does ------------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_ODD_SPACES = str.maketrans({"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\t": " ", "\u2028": "\n", "\u2029": "\n"})


def portal_text(text: str | None) -> str:
    """The answer as a plain-text portal receives it: Unicode composed (é is one character), Windows and old Mac
    line ends made single line breaks, zero-width characters and soft hyphens removed, no-break spaces and tabs made
    ordinary spaces, and spaces at the ends of lines and of the answer trimmed (portals trim them)."""
    value = unicodedata.normalize("NFC", text or "")
    value = value.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE).translate(_ODD_SPACES)
    return "\n".join(line.rstrip() for line in value.split("\n")).strip()


def count_answer(text: str | None, rule: CountRule) -> int:
    """Count ``text`` under a question's rule, on the text a portal receives (:func:`portal_text`).

    Words: runs of non-space characters holding at least one letter or digit (a lone dash or bullet is not a
    word; "co-ordinate" and "24/7" are one word each). Characters with spaces: every character, a line break
    counting as one. Characters without spaces: every character that is not a space or a line break.
    """
    value = portal_text(text)
    if rule is CountRule.WORDS:
        return sum(1 for token in value.split() if any(ch.isalnum() for ch in token))
    if rule is CountRule.CHARACTERS:
        return len(value)
    return sum(1 for ch in value if not ch.isspace())


def count_label(count: int, limit: int | None, rule: CountRule) -> str:
    """``412 / 500 words``; ``1,250 characters`` without a limit."""
    if limit is None:
        return f"{count:,} {rule.unit}"
    return f"{count:,} / {limit:,} {rule.unit}"


def over_limit(count: int, limit: int | None) -> bool:
    return limit is not None and count > limit


# ---- reference data -----------------------------------------------------------------------------------------


def procurement_reference() -> dict[str, Any]:
    return read_reference("procurement.json")


@reference_loader(60, "procurement")
def load_procurement_reference(session: Session) -> int:
    """Fill the regime and process tables from resources/reference/procurement.json when they are empty."""
    data = procurement_reference()
    added = 0
    if not session.scalar(select(func.count(ProcurementRegime.id))):
        for item in data["regimes"]:
            session.add(
                ProcurementRegime(
                    code=Regime(item["code"]),
                    name=item["name"],
                    standstill_working_days=item["standstill_working_days"],
                    standstill_counts_publication_day=item["standstill_counts_publication_day"],
                    holiday_set=item["holiday_set"],
                    representations_extra_days=item["representations_extra_days"],
                    notes=item["notes"],
                    source=item["source"],
                    source_date=date.fromisoformat(item["source_date"]),
                    confidence=item["confidence"],
                )
            )
            added += 1
    if not session.scalar(select(func.count(ProcurementProcess.id))):
        source_date = date.fromisoformat(data["source_date"])
        for order, item in enumerate(data["processes"]):
            session.add(
                ProcurementProcess(
                    code=item["code"],
                    regime=Regime(item["regime"]),
                    name=item["name"],
                    standstill_applies=item["standstill_applies"],
                    description=item["description"],
                    sort_order=(order + 1) * 10,
                    source=item["source"],
                    source_date=source_date,
                    confidence=item["confidence"],
                )
            )
            added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class ProcessRow:
    id: int
    code: str
    regime: Regime
    regime_name: str
    name: str
    standstill_applies: bool
    description: str | None
    source: str | None
    confidence: str | None

    @property
    def label(self) -> str:
        return f"{self.regime_name}: {self.name}"


@dataclass(frozen=True)
class RegimeRow:
    id: int
    version: int
    code: Regime
    name: str
    standstill_working_days: int | None
    counts_publication_day: bool
    holiday_set: str
    representations_extra_days: int | None
    notes: str | None
    source: str | None
    source_date: date | None
    confidence: str | None


def list_regimes(session: Session) -> list[RegimeRow]:
    return [
        RegimeRow(
            r.id,
            r.version,
            r.code,
            r.name,
            r.standstill_working_days,
            r.standstill_counts_publication_day,
            r.holiday_set,
            r.representations_extra_days,
            r.notes,
            r.source,
            r.source_date,
            r.confidence,
        )
        for r in session.scalars(select(ProcurementRegime).order_by(ProcurementRegime.id)).all()
    ]


def list_processes(session: Session) -> list[ProcessRow]:
    names = dict(session.execute(select(ProcurementRegime.code, ProcurementRegime.name)).all())
    return [
        ProcessRow(
            p.id,
            p.code,
            p.regime,
            names.get(p.regime, p.regime.value),
            p.name,
            p.standstill_applies,
            p.description,
            p.source,
            p.confidence,
        )
        for p in session.scalars(
            select(ProcurementProcess)
            .where(ProcurementProcess.active.is_(True))
            .order_by(ProcurementProcess.sort_order)
        ).all()
    ]


# ---- the pipeline -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenderRow:
    id: int
    version: int
    reference: str
    title: str
    status: TenderStatus
    buyer_id: int | None
    buyer_name: str | None
    source: TenderSource
    regime: Regime | None
    process_name: str | None
    estimated_value: Decimal | None
    owner: str | None
    submission_deadline: date | None
    submission_time: time | None
    next_deadline: date | None
    next_deadline_label: str | None
    questions: int
    questions_final: int
    bid_decision: BidDecision
    ocid: str | None

    def days_to_submission(self, today: date) -> int | None:
        return None if self.submission_deadline is None else (self.submission_deadline - today).days


def _tender_rows(session: Session, where: Any = None, today: date | None = None) -> list[TenderRow]:
    stmt = (
        select(Tender, Buyer.name, ProcurementProcess.name)
        .outerjoin(Buyer, Buyer.id == Tender.buyer_id)
        .outerjoin(ProcurementProcess, ProcurementProcess.id == Tender.process_id)
        .order_by(Tender.reference)
    )
    if where is not None:
        stmt = stmt.where(where)
    rows = session.execute(stmt).all()
    if not rows:
        return []
    ids = [t.id for t, _b, _p in rows]
    # Key dates: the submission deadline, and the next deadline of any kind from today on.
    today = today or london_today()
    submission: dict[int, tuple[date, time | None]] = {}
    upcoming: dict[int, tuple[date, str]] = {}
    for tid, kind, label, on, at in session.execute(
        select(
            TenderKeyDate.tender_id,
            TenderKeyDate.kind,
            TenderKeyDate.label,
            TenderKeyDate.on_date,
            TenderKeyDate.at_time,
        )
        .where(TenderKeyDate.tender_id.in_(ids))
        .order_by(TenderKeyDate.on_date)
    ).all():
        if kind is KeyDateKind.SUBMISSION_DEADLINE and tid not in submission:
            submission[tid] = (on, at)
        if kind.is_deadline and on >= today and tid not in upcoming:
            upcoming[tid] = (on, label or kind.label)
    counts = {
        tid: (n, final or 0)
        for tid, n, final in session.execute(
            select(
                TenderQuestion.tender_id,
                func.count(TenderQuestion.id),
                func.sum(case((TenderQuestion.status == QuestionStatus.FINAL, 1), else_=0)),
            )
            .where(TenderQuestion.tender_id.in_(ids))
            .group_by(TenderQuestion.tender_id)
        ).all()
    }
    result = []
    for t, buyer_name, process_name in rows:
        sub = submission.get(t.id)
        nxt = upcoming.get(t.id)
        n, final = counts.get(t.id, (0, 0))
        result.append(
            TenderRow(
                t.id,
                t.version,
                t.reference,
                t.title,
                t.status,
                t.buyer_id,
                buyer_name,
                t.source,
                t.regime,
                process_name,
                t.estimated_value,
                t.owner,
                sub[0] if sub else None,
                sub[1] if sub else None,
                nxt[0] if nxt else None,
                nxt[1] if nxt else None,
                n,
                int(final),
                t.bid_decision,
                t.ocid,
            )
        )
    return result


def list_tenders(session: Session, today: date | None = None) -> list[TenderRow]:
    """Every tender with its buyer, submission deadline and answer progress (a handful of queries)."""
    return _tender_rows(session, today=today)


def find_tender(session: Session, reference: str) -> TenderRow:
    """The tender with this reference (case and surrounding spaces ignored)."""
    wanted = (reference or "").strip()
    rows = _tender_rows(session, func.lower(Tender.reference) == wanted.lower())
    if not rows:
        raise NotFound(f"Tender '{wanted}'")
    return rows[0]


def get_tender_row(session: Session, tender_id: int) -> TenderRow:
    rows = _tender_rows(session, Tender.id == tender_id)
    if not rows:
        raise NotFound("This tender")
    return rows[0]


def next_reference(session: Session, today: date) -> str:
    prefix = f"T-{today.year}-"
    existing = session.scalars(select(Tender.reference).where(Tender.reference.like(f"{prefix}%"))).all()
    numbers = [int(m.group(1)) for r in existing if (m := re.fullmatch(rf"{re.escape(prefix)}(\d+)", r))]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


# ---- buyers -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuyerRow:
    id: int
    version: int
    name: str
    kind: str | None
    identifier_scheme: str | None
    identifier: str | None
    address: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    website: str | None
    tenders: int = 0


@dataclass(frozen=True)
class BuyerForm:
    name: str
    kind: str = ""
    identifier_scheme: str = ""
    identifier: str = ""
    address: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    website: str = ""


def _buyer_row(b: Buyer, tenders: int = 0) -> BuyerRow:
    return BuyerRow(
        b.id,
        b.version,
        b.name,
        b.kind,
        b.identifier_scheme,
        b.identifier,
        b.address,
        b.contact_name,
        b.contact_email,
        b.contact_phone,
        b.website,
        tenders,
    )


def list_buyers(session: Session) -> list[BuyerRow]:
    counts = dict(session.execute(select(Tender.buyer_id, func.count(Tender.id)).group_by(Tender.buyer_id)).all())
    return [_buyer_row(b, counts.get(b.id, 0)) for b in session.scalars(select(Buyer).order_by(Buyer.name)).all()]


def save_buyer(
    session: Session, form: BuyerForm, buyer_id: int | None = None, expected_version: int | None = None
) -> Changes:
    name, kind, scheme, ident, address, contact, mail, tel, web = v.collect(
        lambda: v.required_text(form.name, "name", "The buyer's name", 300),
        lambda: v.optional_text(form.kind, "kind", "The kind of buyer", 80),
        lambda: v.optional_text(form.identifier_scheme, "identifier_scheme", "The identifier scheme", 40),
        lambda: v.optional_text(form.identifier, "identifier", "The identifier", 80),
        lambda: v.optional_text(form.address, "address", "The address", 1000),
        lambda: v.optional_text(form.contact_name, "contact_name", "The contact's name"),
        lambda: v.email(form.contact_email, "contact_email"),
        lambda: v.phone(form.contact_phone, "contact_phone"),
        lambda: v.optional_text(form.website, "website", "The website", 300),
    )
    if buyer_id is None:
        buyer = Buyer(name=name)
        session.add(buyer)
    else:
        buyer = load_for_edit(session, Buyer, buyer_id, expected_version)
    buyer.name, buyer.kind, buyer.identifier_scheme, buyer.identifier = name, kind, scheme, ident  # type: ignore[assignment]
    buyer.address, buyer.contact_name, buyer.contact_email = address, contact, mail  # type: ignore[assignment]
    buyer.contact_phone, buyer.website = tel, web  # type: ignore[assignment]
    session.flush()
    return Changes.of("buyer", KIND, ids=(buyer.id,), message=f"Buyer {name} saved.")


# ---- small parsers ------------------------------------------------------------------------------------------


def _fail(field_name: str, message: str) -> ValidationError:
    return ValidationError([FieldProblem(field_name, message)])


def parse_whole(value: str | int | None, field_name: str, label: str, maximum: int = 1_000_000) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().replace(",", "")
    if not text.isdigit():
        raise _fail(field_name, f"{label} must be a whole number, not '{str(value).strip()}'.")
    number = int(text)
    if number > maximum:
        raise _fail(field_name, f"{label} of {number:,} is more than {maximum:,}; please check it.")
    return number


def parse_percent(value: str | None, field_name: str, label: str, maximum: Decimal = Decimal(100)) -> Decimal | None:
    text = (value or "").strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _fail(field_name, f"{label} must be a number such as 20 or 12.5, not '{value}'.") from None
    if not number.is_finite() or number < 0 or number > maximum:
        raise _fail(field_name, f"{label} must be between 0 and {maximum}, not {text}.")
    if number != number.quantize(Decimal("0.001")):
        raise _fail(field_name, f"{label} has more than three decimal places.")
    return number


def parse_time(value: str | None, field_name: str = "at_time") -> time | None:
    text = (value or "").strip().lower().replace(".", ":")
    if not text:
        return None
    if text in ("noon", "midday"):
        return time(12, 0)
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", text)
    if not m:
        raise _fail(field_name, f"'{value}' is not a time. Write it as 12:00 or 5pm.")
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "pm" and hour < 12:
        hour += 12
    if m.group(3) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise _fail(field_name, f"'{value}' is not a time of day.")
    return time(hour, minute)


def _money(value: str | None, field_name: str, label: str) -> Decimal | None:
    if value is None or not str(value).strip():
        return None
    try:
        amount = parse_money(str(value), field_name)
    except ValidationError as err:
        raise _fail(field_name, f"{label}: {err.message}") from None
    if amount < 0:
        raise _fail(field_name, f"{label} cannot be negative.")
    return amount


def _text(value: str | None, max_length: int = 100_000) -> str | None:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > max_length:
        raise ValidationError(f"The text is too long: {len(text):,} characters, at most {max_length:,}.")
    return text or None


# ---- tender overview ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenderForm:
    reference: str
    title: str
    description: str = ""
    buyer_id: int | None = None
    buyer_reference: str = ""
    source: TenderSource = TenderSource.DIRECT
    regime: Regime | None = None
    process_id: int | None = None
    estimated_value: str = ""
    value_note: str = ""
    term_months: str = ""
    extension_count: str = ""
    extension_months: str = ""
    owner: str = ""
    portal_url: str = ""
    cpv_codes: str = ""
    notes: str = ""
    status: TenderStatus = TenderStatus.IDENTIFIED


def save_tender(
    session: Session,
    form: TenderForm,
    tender_id: int | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> Changes:
    reference, title, buyer_ref, value, note, term, ext_n, ext_m, owner, url, cpv = v.collect(
        lambda: v.required_text(form.reference, "reference", "The reference", 60),
        lambda: v.required_text(form.title, "title", "The title", 400),
        lambda: v.optional_text(form.buyer_reference, "buyer_reference", "The buyer's reference", 120),
        lambda: _money(form.estimated_value, "estimated_value", "Estimated value"),
        lambda: v.optional_text(form.value_note, "value_note", "The note on the value"),
        lambda: parse_whole(form.term_months, "term_months", "The term in months", 600),
        lambda: parse_whole(form.extension_count, "extension_count", "The number of extensions", 20),
        lambda: parse_whole(form.extension_months, "extension_months", "The length of each extension", 240),
        lambda: v.optional_text(form.owner, "owner", "The owner", 120),
        lambda: v.optional_text(form.portal_url, "portal_url", "The portal address", 500),
        lambda: v.optional_text(form.cpv_codes, "cpv_codes", "The CPV codes", 400),
    )
    description, notes = _text(form.description), _text(form.notes)
    clash = session.scalar(
        select(Tender).where(func.lower(Tender.reference) == str(reference).lower(), Tender.id != (tender_id or -1))
    )
    if clash is not None:
        raise _fail("reference", f"Reference {reference} is already used by '{clash.title}'. Each tender has its own.")
    if form.buyer_id is not None and session.get(Buyer, form.buyer_id) is None:
        raise _fail("buyer_id", "The chosen buyer no longer exists. Choose another.")
    regime = form.regime
    if form.process_id is not None:
        process = session.get(ProcurementProcess, form.process_id)
        if process is None:
            raise _fail("process_id", "The chosen process no longer exists. Choose another.")
        regime = process.regime
    if tender_id is None:
        tender = Tender(reference=reference, title=title, status=form.status, status_changed_on=today or london_today())
        session.add(tender)
    else:
        tender = load_for_edit(session, Tender, tender_id, expected_version)
        if tender.status is not form.status:
            tender.status, tender.status_changed_on = form.status, today or london_today()
    tender.reference, tender.title, tender.description = reference, title, description  # type: ignore[assignment]
    tender.buyer_id, tender.buyer_reference, tender.source = form.buyer_id, buyer_ref, form.source  # type: ignore[assignment]
    tender.regime, tender.process_id = regime, form.process_id
    tender.estimated_value, tender.value_note, tender.term_months = value, note, term  # type: ignore[assignment]
    tender.extension_count, tender.extension_months = ext_n, ext_m  # type: ignore[assignment]
    tender.owner, tender.portal_url, tender.cpv_codes, tender.notes = owner, url, cpv, notes  # type: ignore[assignment]
    session.flush()
    return Changes.of(KIND, ids=(tender.id,), message=f"{reference} saved.")


def change_status(
    session: Session, tender_id: int, expected_version: int | None, status: TenderStatus, today: date | None = None
) -> Changes:
    """Move a tender along the pipeline (the board's drag and drop)."""
    tender = load_for_edit(session, Tender, tender_id, expected_version)
    if tender.status is status:
        return Changes.of(KIND, ids=(tender.id,), message=f"{tender.reference} is already at {status.label}.")
    tender.status, tender.status_changed_on = status, today or london_today()
    session.flush()
    return Changes.of(KIND, ids=(tender.id,), message=f"{tender.reference} moved to {status.label}.")


def delete_tender(session: Session, tender_id: int, expected_version: int | None) -> Changes:
    tender = load_for_edit(session, Tender, tender_id, expected_version)
    reference = tender.reference
    # Children go first so the audit trail records each of them (the database would cascade silently).
    for model in (AnswerRevision,):
        ids = select(TenderQuestion.id).where(TenderQuestion.tender_id == tender_id)
        for obj in session.scalars(select(model).where(model.question_id.in_(ids))).all():
            session.delete(obj)
    for child in (
        TenderQuestion,
        EvaluationCriterion,
        PriceLine,
        TenderKeyDate,
        Clarification,
        TenderTask,
        RequiredDocument,
        BidScore,
        TenderOutcome,
        TenderLink,
    ):
        for obj in session.scalars(select(child).where(child.tender_id == tender_id)).all():  # type: ignore[attr-defined]
            session.delete(obj)
    session.flush()
    for lot in session.scalars(select(TenderLot).where(TenderLot.tender_id == tender_id)).all():
        session.delete(lot)
    session.flush()
    session.delete(tender)
    session.flush()
    return Changes.of(KIND, message=f"Tender {reference} deleted.")


@dataclass(frozen=True)
class TenderContents:
    """What deleting a tender takes with it, counted for the question asked first."""

    id: int
    version: int
    reference: str
    title: str
    questions: int = 0
    key_dates: int = 0
    lots: int = 0
    criteria: int = 0
    checklist: int = 0
    evidence_files: int = 0
    clarifications: int = 0
    tasks: int = 0
    bid_scores: int = 0
    price_lines: int = 0
    outcome: bool = False
    links: int = 0
    contracts: tuple[str, ...] = ()  # references of contracts won from it: they stay, their link clears

    @property
    def parts(self) -> list[str]:
        """The records that go with the tender, in plain words (empty kinds left out)."""

        def n(count: int, one: str, many: str) -> str | None:
            return None if not count else f"{count} {one if count == 1 else many}"

        parts = [
            n(self.questions, "question and answer", "questions and answers"),
            n(self.key_dates, "key date", "key dates"),
            n(self.lots, "lot", "lots"),
            n(self.criteria, "evaluation criterion", "evaluation criteria"),
            n(self.checklist, "documents checklist line", "documents checklist lines"),
            n(self.clarifications, "clarification", "clarifications"),
            n(self.tasks, "task", "tasks"),
            "bid/no-bid scores" if self.bid_scores else None,
            n(self.price_lines, "price line", "price lines"),
            "outcome record" if self.outcome else None,
            n(self.links, "notice link", "notice links"),
        ]
        return [p for p in parts if p]

    @property
    def question(self) -> str:
        return f"Delete tender {self.reference} '{self.title}'?"

    @property
    def consequences(self) -> str:
        """What goes with it, what stays, and that it cannot be undone."""
        parts = self.parts
        if parts:
            listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
            text = f"Its {listed} will be deleted too."
        else:
            text = "It has no questions, dates or other records yet."
        if self.evidence_files:
            text += (
                " The file attached as evidence stays in the document store."
                if self.evidence_files == 1
                else f" The {self.evidence_files} files attached as evidence stay in the document store."
            )
        if self.contracts:
            text += (
                f" Contract {self.contracts[0]} stays, no longer linked to this tender."
                if len(self.contracts) == 1
                else f" Contracts {', '.join(self.contracts)} stay, no longer linked to this tender."
            )
        return text + " This cannot be undone; the audit log keeps a record of what was deleted."

    @property
    def deletion_question(self) -> str:
        """``Delete tender T-2026-004 'Title'? Its 12 questions and answers, 5 key dates ... This cannot be undone.``"""
        return f"{self.question} {self.consequences}"


def count_tender_contents(session: Session, tender_id: int) -> TenderContents:
    """The tender and how many of each kind of record :func:`delete_tender` would delete with it (read only)."""
    tender = session.get(Tender, tender_id)
    if tender is None:
        raise NotFound("This tender")

    def count(model: Any, *where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(model.tender_id == tender_id, *where)))

    return TenderContents(
        tender.id,
        tender.version,
        tender.reference,
        tender.title,
        questions=count(TenderQuestion),
        key_dates=count(TenderKeyDate),
        lots=count(TenderLot),
        criteria=count(EvaluationCriterion),
        checklist=count(RequiredDocument),
        evidence_files=count(RequiredDocument, RequiredDocument.document_id.is_not(None)),
        clarifications=count(Clarification),
        tasks=count(TenderTask),
        bid_scores=count(BidScore),
        price_lines=count(PriceLine),
        outcome=count(TenderOutcome) > 0,
        links=count(TenderLink),
        contracts=tuple(
            session.scalars(
                select(Contract.reference).where(Contract.tender_id == tender_id).order_by(Contract.reference)
            )
        ),
    )


# ---- a tender's details -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyDateRow:
    id: int
    version: int
    kind: KeyDateKind
    label: str | None
    on_date: date
    at_time: time | None
    from_notice: bool
    notes: str | None
    warning: str | None = None

    @property
    def title(self) -> str:
        return self.label or self.kind.label

    @property
    def when(self) -> str:
        return format_date(self.on_date) + (f" {self.at_time:%H:%M}" if self.at_time else "")


@dataclass(frozen=True)
class ComputedDate:
    title: str
    on_date: date
    explanation: str


@dataclass(frozen=True)
class LotRow:
    id: int
    version: int
    number: str
    title: str
    description: str | None
    estimated_value: Decimal | None
    bidding: bool


@dataclass(frozen=True)
class CriterionRow:
    id: int
    version: int
    lot_id: int | None
    lot_number: str | None
    kind: CriterionKind
    name: str
    description: str | None
    weight: Decimal | None
    from_notice: bool


@dataclass(frozen=True)
class QuestionRow:
    id: int
    version: int
    number: str
    section: str | None
    text: str
    answer_limit: int | None
    count_rule: CountRule
    weighting: Decimal | None
    owner: str | None
    due_on: date | None
    status: QuestionStatus
    answer: str | None
    count: int
    lot_id: int | None
    library_answer_id: int | None
    revisions: int
    score_received: Decimal | None
    max_score: Decimal | None
    feedback: str | None

    @property
    def is_answered(self) -> bool:
        return bool(portal_text(self.answer))

    @property
    def is_over_limit(self) -> bool:
        return over_limit(self.count, self.answer_limit)

    @property
    def count_text(self) -> str:
        return count_label(self.count, self.answer_limit, self.count_rule)


@dataclass(frozen=True)
class ClarificationRow:
    id: int
    version: int
    number: str | None
    question: str
    answer: str | None
    raised_by_us: bool
    asked_on: date | None
    answered_on: date | None


@dataclass(frozen=True)
class TaskRow:
    id: int
    version: int
    title: str
    owner: str | None
    due_on: date | None
    done: bool
    done_on: date | None
    notes: str | None


@dataclass(frozen=True)
class RequiredDocumentRow:
    id: int
    version: int
    name: str
    category: DocumentCategory
    mandatory: bool
    document_id: int | None
    filename: str | None
    media_type: str | None
    valid_from: date | None
    expires_on: date | None
    reference: str | None
    append_to_pack: bool
    insurance_type: str | None
    minimum_limit: Decimal | None
    notes: str | None


@dataclass(frozen=True)
class BidScoreRow:
    id: int
    version: int
    criterion: str
    guidance: str | None
    weight: int
    score: int | None
    notes: str | None


@dataclass(frozen=True)
class PriceLineRow:
    id: int
    version: int
    lot_id: int | None
    item: str
    unit: str | None
    quantity: Decimal
    unit_price: Decimal
    notes: str | None

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class OutcomeRow:
    id: int
    version: int
    result: OutcomeResult
    notified_on: date | None
    our_quality_score: Decimal | None
    our_price_score: Decimal | None
    our_total_score: Decimal | None
    winner_total_score: Decimal | None
    winner: str | None
    contract_value: Decimal | None
    feedback: str | None
    lessons: str | None


@dataclass(frozen=True)
class LinkRow:
    id: int
    title: str
    url: str | None
    document_type: str | None
    notice_type: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class TenderDetail:
    id: int
    version: int
    reference: str
    title: str
    description: str | None
    buyer: BuyerRow | None
    buyer_reference: str | None
    source: TenderSource
    regime: Regime | None
    process_id: int | None
    process_name: str | None
    estimated_value: Decimal | None
    value_note: str | None
    term_months: int | None
    extension_count: int | None
    extension_months: int | None
    status: TenderStatus
    status_changed_on: date | None
    owner: str | None
    portal_url: str | None
    cpv_codes: str | None
    award_criteria_basis: str | None
    notes: str | None
    bid_decision: BidDecision
    bid_decision_reason: str | None
    bid_decision_on: date | None
    bid_decided_by: str | None
    ocid: str | None
    notice_id: str | None
    notice_url: str | None
    ocds_imported_at: datetime | None
    key_dates: list[KeyDateRow] = field(default_factory=list)
    computed_dates: list[ComputedDate] = field(default_factory=list)
    lots: list[LotRow] = field(default_factory=list)
    criteria: list[CriterionRow] = field(default_factory=list)
    questions: list[QuestionRow] = field(default_factory=list)
    clarifications: list[ClarificationRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    documents: list[RequiredDocumentRow] = field(default_factory=list)
    bid_scores: list[BidScoreRow] = field(default_factory=list)
    price_lines: list[PriceLineRow] = field(default_factory=list)
    outcome: OutcomeRow | None = None
    links: list[LinkRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def submission_date(self) -> date | None:
        return submission_date_of(self.key_dates)

    @property
    def term_text(self) -> str:
        return term_text(self.term_months, self.extension_count, self.extension_months)

    @property
    def pricing_total(self) -> Decimal:
        return sum((p.total for p in self.price_lines), Decimal("0.00"))

    @property
    def criteria_weight_total(self) -> Decimal:
        return sum((c.weight or Decimal(0) for c in self.criteria if c.lot_id is None), Decimal(0))


def submission_date_of(key_dates: Sequence[KeyDateRow]) -> date | None:
    dates_ = [k.on_date for k in key_dates if k.kind is KeyDateKind.SUBMISSION_DEADLINE]
    return min(dates_) if dates_ else None


def _years_months(months: int) -> str:
    if months % 12 == 0:
        years = months // 12
        return f"{years} year{'s' if years != 1 else ''}"
    return f"{months} month{'s' if months != 1 else ''}"


def term_text(term: int | None, ext_count: int | None, ext_months: int | None) -> str:
    """``3 years + 2 × 1 year``."""
    if not term:
        return ""
    text = _years_months(term)
    if ext_count and ext_months:
        text += f" + {ext_count} × {_years_months(ext_months)}"
    return text


def bid_percent(scores: Sequence[BidScoreRow]) -> Decimal | None:
    """The weighted bid/no-bid score as a percentage of the maximum (None until every criterion is scored)."""
    if not scores or any(s.score is None for s in scores):
        return None
    total = sum(s.weight * (s.score or 0) for s in scores)
    maximum = sum(s.weight * 5 for s in scores)
    if not maximum:
        return None
    return (Decimal(total) * 100 / Decimal(maximum)).quantize(Decimal("0.1"))


def load_tender(session: Session, tender_id: int) -> TenderDetail:
    """Everything a tender's page shows, one query per kind of record."""
    tender = session.get(Tender, tender_id)
    if tender is None:
        raise NotFound("This tender")
    buyer = _buyer_row(tender.buyer) if tender.buyer is not None else None
    process_name = tender.process.name if tender.process is not None else None
    extra = extra_non_working_days(session)
    key_dates = _key_dates(session, tender_id)
    rules = standstill_rules(session)
    key_dates, computed, warnings = _date_checks(key_dates, tender.regime, rules, extra, tender.process)
    lots = [
        LotRow(lot.id, lot.version, lot.number, lot.title, lot.description, lot.estimated_value, lot.bidding)
        for lot in session.scalars(select(TenderLot).where(TenderLot.tender_id == tender_id)).all()
    ]
    lots.sort(key=lambda r: _natural(r.number))
    lot_numbers = {lot.id: lot.number for lot in lots}
    criteria = [
        CriterionRow(
            c.id,
            c.version,
            c.lot_id,
            lot_numbers.get(c.lot_id) if c.lot_id else None,
            c.kind,
            c.name,
            c.description,
            c.weight,
            c.from_notice,
        )
        for c in session.scalars(
            select(EvaluationCriterion)
            .where(EvaluationCriterion.tender_id == tender_id)
            .order_by(EvaluationCriterion.lot_id.is_not(None), EvaluationCriterion.sort_order, EvaluationCriterion.id)
        ).all()
    ]
    detail = TenderDetail(
        tender.id,
        tender.version,
        tender.reference,
        tender.title,
        tender.description,
        buyer,
        tender.buyer_reference,
        tender.source,
        tender.regime,
        tender.process_id,
        process_name,
        tender.estimated_value,
        tender.value_note,
        tender.term_months,
        tender.extension_count,
        tender.extension_months,
        tender.status,
        tender.status_changed_on,
        tender.owner,
        tender.portal_url,
        tender.cpv_codes,
        tender.award_criteria_basis,
        tender.notes,
        tender.bid_decision,
        tender.bid_decision_reason,
        tender.bid_decision_on,
        tender.bid_decided_by,
        tender.ocid,
        tender.notice_id,
        tender.notice_url,
        tender.ocds_imported_at,
        key_dates,
        computed,
        lots,
        criteria,
        list_questions(session, tender_id),
        _clarifications(session, tender_id),
        _tasks(session, tender_id),
        list_required_documents(session, tender_id),
        _bid_scores(session, tender_id),
        _price_lines(session, tender_id),
        _outcome(session, tender_id),
        _links(session, tender_id),
        warnings,
    )
    total = detail.criteria_weight_total
    if criteria and any(c.lot_id is None for c in criteria) and total != 100:
        warnings.append(f"The evaluation criteria weights add up to {total.normalize():f}%, not 100%.")
    return detail


def _natural(text: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", text or ""))


def _key_dates(session: Session, tender_id: int) -> list[KeyDateRow]:
    return [
        KeyDateRow(k.id, k.version, k.kind, k.label, k.on_date, k.at_time, k.from_notice, k.notes)
        for k in session.scalars(
            select(TenderKeyDate).where(TenderKeyDate.tender_id == tender_id).order_by(TenderKeyDate.on_date)
        ).all()
    ]


def _date_checks(
    key_dates: list[KeyDateRow],
    regime: Regime | None,
    rules: dict[Regime, StandstillRule],
    extra: tuple[tuple[date, str], ...],
    process: ProcurementProcess | None,
) -> tuple[list[KeyDateRow], list[ComputedDate], list[str]]:
    """Warnings for deadlines on non-working days, and the standstill end computed from the award notice."""
    rule = rules.get(regime) if regime is not None else None
    calendar = Calendar(rule.holiday_set if rule else "england-and-wales", extra)
    checked: list[KeyDateRow] = []
    warnings: list[str] = []
    for k in key_dates:
        warning = non_working_day_warning(k.title.lower(), k.on_date, calendar) if k.kind.is_deadline else None
        if warning:
            warnings.append(warning)
        checked.append(KeyDateRow(**{**k.__dict__, "warning": warning}))
    computed: list[ComputedDate] = []
    notices = [k for k in key_dates if k.kind is KeyDateKind.AWARD_NOTICE]
    if notices and rule is not None and (process is None or process.standstill_applies):
        published = max(k.on_date for k in notices)
        end = standstill_end(published, rule, extra)
        computed.append(
            ComputedDate(
                "Standstill ends",
                end,
                f"Midnight at the end of this day: {rule.describe()} Notice published {format_date(published)}.",
            )
        )
        decisions = [k for k in key_dates if k.kind is KeyDateKind.REPRESENTATIONS_DECISION]
        if decisions:
            after = standstill_end_after_representations(max(k.on_date for k in decisions), rule, extra)
            if after is not None:
                computed.append(
                    ComputedDate(
                        "Standstill ends (after representations)",
                        max(after, end),
                        f"{rule.representations_extra_days} working days after the further decision of "
                        f"{format_date(max(k.on_date for k in decisions))}.",
                    )
                )
    elif notices and process is not None and not process.standstill_applies:
        computed.append(
            ComputedDate("No standstill", max(k.on_date for k in notices), f"{process.name} has no standstill period.")
        )
    return checked, computed, warnings


def list_questions(session: Session, tender_id: int) -> list[QuestionRow]:
    revisions = dict(
        session.execute(
            select(AnswerRevision.question_id, func.count(AnswerRevision.id))
            .join(TenderQuestion, TenderQuestion.id == AnswerRevision.question_id)
            .where(TenderQuestion.tender_id == tender_id)
            .group_by(AnswerRevision.question_id)
        ).all()
    )
    rows = [
        QuestionRow(
            q.id,
            q.version,
            q.number,
            q.section,
            q.text,
            q.answer_limit,
            q.count_rule,
            q.weighting,
            q.owner,
            q.due_on,
            q.status,
            q.answer,
            count_answer(q.answer, q.count_rule),
            q.lot_id,
            q.library_answer_id,
            revisions.get(q.id, 0),
            q.score_received,
            q.max_score,
            q.feedback,
        )
        for q in session.scalars(select(TenderQuestion).where(TenderQuestion.tender_id == tender_id)).all()
    ]
    rows.sort(key=lambda r: _natural(r.number))
    return rows


def _clarifications(session: Session, tender_id: int) -> list[ClarificationRow]:
    return [
        ClarificationRow(c.id, c.version, c.number, c.question, c.answer, c.raised_by_us, c.asked_on, c.answered_on)
        for c in session.scalars(
            select(Clarification).where(Clarification.tender_id == tender_id).order_by(Clarification.id)
        ).all()
    ]


def _tasks(session: Session, tender_id: int) -> list[TaskRow]:
    return [
        TaskRow(t.id, t.version, t.title, t.owner, t.due_on, t.done, t.done_on, t.notes)
        for t in session.scalars(
            select(TenderTask)
            .where(TenderTask.tender_id == tender_id)
            .order_by(TenderTask.done, TenderTask.due_on.is_(None), TenderTask.due_on, TenderTask.id)
        ).all()
    ]


def list_required_documents(session: Session, tender_id: int) -> list[RequiredDocumentRow]:
    return [
        RequiredDocumentRow(
            d.id,
            d.version,
            d.name,
            d.category,
            d.mandatory,
            d.document_id,
            filename,
            media,
            d.valid_from,
            d.expires_on,
            d.reference,
            d.append_to_pack,
            d.insurance_type,
            d.minimum_limit,
            d.notes,
        )
        for d, filename, media in session.execute(
            select(RequiredDocument, Document.filename, Document.media_type)
            .outerjoin(Document, Document.id == RequiredDocument.document_id)
            .where(RequiredDocument.tender_id == tender_id)
            .order_by(RequiredDocument.sort_order, RequiredDocument.id)
        ).all()
    ]


def _bid_scores(session: Session, tender_id: int) -> list[BidScoreRow]:
    return [
        BidScoreRow(b.id, b.version, b.criterion, b.guidance, b.weight, b.score, b.notes)
        for b in session.scalars(
            select(BidScore).where(BidScore.tender_id == tender_id).order_by(BidScore.sort_order, BidScore.id)
        ).all()
    ]


def _price_lines(session: Session, tender_id: int) -> list[PriceLineRow]:
    return [
        PriceLineRow(p.id, p.version, p.lot_id, p.item, p.unit, p.quantity, p.unit_price, p.notes)
        for p in session.scalars(
            select(PriceLine).where(PriceLine.tender_id == tender_id).order_by(PriceLine.sort_order, PriceLine.id)
        ).all()
    ]


def _outcome(session: Session, tender_id: int) -> OutcomeRow | None:
    o = session.scalar(select(TenderOutcome).where(TenderOutcome.tender_id == tender_id))
    if o is None:
        return None
    return OutcomeRow(
        o.id,
        o.version,
        o.result,
        o.notified_on,
        o.our_quality_score,
        o.our_price_score,
        o.our_total_score,
        o.winner_total_score,
        o.winner,
        o.contract_value,
        o.feedback,
        o.lessons,
    )


def _links(session: Session, tender_id: int) -> list[LinkRow]:
    return [
        LinkRow(link.id, link.title, link.url, link.document_type, link.notice_type, link.published_at)
        for link in session.scalars(
            select(TenderLink).where(TenderLink.tender_id == tender_id).order_by(TenderLink.id)
        ).all()
    ]


def _tender_for_child(session: Session, tender_id: int) -> Tender:
    tender = session.get(Tender, tender_id)
    if tender is None:
        raise NotFound("This tender")
    return tender


def _delete(session: Session, model: type[Any], row_id: int, expected_version: int | None, what: str) -> Changes:
    obj = load_for_edit(session, model, row_id, expected_version)
    session.delete(obj)
    session.flush()
    return Changes.of(KIND, ids=(getattr(obj, "tender_id", 0),), message=f"{what} deleted.")


# ---- key dates ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyDateForm:
    kind: KeyDateKind
    on_date: date | None
    at_time: str = ""
    label: str = ""
    notes: str = ""


def save_key_date(
    session: Session, tender_id: int, form: KeyDateForm, row_id: int | None = None, expected_version: int | None = None
) -> Changes:
    at, label = v.collect(
        lambda: parse_time(form.at_time),
        lambda: v.optional_text(form.label, "label", "The label"),
    )
    if form.on_date is None:
        raise _fail("on_date", "Enter the date (dd/mm/yyyy).")
    _tender_for_child(session, tender_id)
    if row_id is None:
        row = TenderKeyDate(tender_id=tender_id, kind=form.kind, on_date=form.on_date)
        session.add(row)
    else:
        row = load_for_edit(session, TenderKeyDate, row_id, expected_version)
        row.from_notice = False  # edited by hand: a re-import no longer replaces it
    row.kind, row.on_date, row.at_time, row.label = form.kind, form.on_date, at, label  # type: ignore[assignment]
    row.notes = _text(form.notes, 2000)
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"{label or form.kind.label} saved.")


def delete_key_date(session: Session, row_id: int, expected_version: int | None) -> Changes:
    return _delete(session, TenderKeyDate, row_id, expected_version, "The date")


# ---- lots and evaluation criteria ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LotForm:
    number: str
    title: str
    description: str = ""
    estimated_value: str = ""
    bidding: bool = True


def save_lot(
    session: Session, tender_id: int, form: LotForm, row_id: int | None = None, expected_version: int | None = None
) -> Changes:
    number, title, value = v.collect(
        lambda: v.required_text(form.number, "number", "The lot number", 40),
        lambda: v.required_text(form.title, "title", "The lot title", 400),
        lambda: _money(form.estimated_value, "estimated_value", "Estimated value"),
    )
    _tender_for_child(session, tender_id)
    clash = session.scalar(
        select(TenderLot.id).where(
            TenderLot.tender_id == tender_id, TenderLot.number == number, TenderLot.id != (row_id or -1)
        )
    )
    if clash is not None:
        raise _fail("number", f"This tender already has a lot {number}.")
    if row_id is None:
        row = TenderLot(tender_id=tender_id, number=number, title=title)
        session.add(row)
    else:
        row = load_for_edit(session, TenderLot, row_id, expected_version)
    row.number, row.title, row.estimated_value, row.bidding = number, title, value, form.bidding  # type: ignore[assignment]
    row.description = _text(form.description)
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"Lot {number} saved.")


def delete_lot(session: Session, row_id: int, expected_version: int | None) -> Changes:
    lot = load_for_edit(session, TenderLot, row_id, expected_version)
    for criterion in session.scalars(select(EvaluationCriterion).where(EvaluationCriterion.lot_id == row_id)).all():
        session.delete(criterion)
    session.flush()
    return _delete(session, TenderLot, row_id, lot.version, f"Lot {lot.number}")


@dataclass(frozen=True)
class CriterionForm:
    kind: CriterionKind
    name: str
    weight: str = ""
    description: str = ""
    lot_id: int | None = None


def save_criterion(
    session: Session,
    tender_id: int,
    form: CriterionForm,
    row_id: int | None = None,
    expected_version: int | None = None,
) -> Changes:
    name, weight = v.collect(
        lambda: v.required_text(form.name, "name", "The criterion's name", 300),
        lambda: parse_percent(form.weight, "weight", "The weight"),
    )
    _tender_for_child(session, tender_id)
    if row_id is None:
        order = session.scalar(
            select(func.coalesce(func.max(EvaluationCriterion.sort_order), 0)).where(
                EvaluationCriterion.tender_id == tender_id
            )
        )
        row = EvaluationCriterion(tender_id=tender_id, kind=form.kind, name=name, sort_order=(order or 0) + 10)
        session.add(row)
    else:
        row = load_for_edit(session, EvaluationCriterion, row_id, expected_version)
        row.from_notice = False
    row.kind, row.name, row.weight, row.lot_id = form.kind, name, weight, form.lot_id  # type: ignore[assignment]
    row.description = _text(form.description, 5000)
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"Criterion '{name}' saved.")


def delete_criterion(session: Session, row_id: int, expected_version: int | None) -> Changes:
    return _delete(session, EvaluationCriterion, row_id, expected_version, "The criterion")


# ---- questions and answers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionForm:
    number: str
    text: str
    answer_limit: str = ""
    count_rule: CountRule = CountRule.WORDS
    weighting: str = ""
    owner: str = ""
    due_on: date | None = None
    status: QuestionStatus = QuestionStatus.NOT_STARTED
    section: str = ""
    lot_id: int | None = None


def save_question(
    session: Session,
    tender_id: int,
    form: QuestionForm,
    row_id: int | None = None,
    expected_version: int | None = None,
) -> Changes:
    number, limit, weighting, owner, section = v.collect(
        lambda: v.required_text(form.number, "number", "The question number", 20),
        lambda: parse_whole(form.answer_limit, "answer_limit", "The limit", 1_000_000),
        lambda: parse_percent(form.weighting, "weighting", "The weighting"),
        lambda: v.optional_text(form.owner, "owner", "The owner", 120),
        lambda: v.optional_text(form.section, "section", "The section"),
    )
    text = _text(form.text, 20_000)
    if not text:
        raise _fail("text", "Enter the question as the buyer wrote it.")
    if limit == 0:
        raise _fail("answer_limit", "A limit of 0 leaves no room for an answer; leave it empty for no limit.")
    _tender_for_child(session, tender_id)
    clash = session.scalar(
        select(TenderQuestion.id).where(
            TenderQuestion.tender_id == tender_id, TenderQuestion.number == number, TenderQuestion.id != (row_id or -1)
        )
    )
    if clash is not None:
        raise _fail("number", f"This tender already has a question {number}.")
    if row_id is None:
        order = session.scalar(
            select(func.coalesce(func.max(TenderQuestion.sort_order), 0)).where(TenderQuestion.tender_id == tender_id)
        )
        row = TenderQuestion(tender_id=tender_id, number=number, text=text, sort_order=(order or 0) + 10)
        session.add(row)
    else:
        row = load_for_edit(session, TenderQuestion, row_id, expected_version)
    row.number, row.text, row.answer_limit, row.count_rule = number, text, limit, form.count_rule  # type: ignore[assignment]
    row.weighting, row.owner, row.due_on, row.status = weighting, owner, form.due_on, form.status  # type: ignore[assignment]
    row.section, row.lot_id = section, form.lot_id  # type: ignore[assignment]
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"Question {number} saved.")


def delete_question(session: Session, row_id: int, expected_version: int | None) -> Changes:
    question = load_for_edit(session, TenderQuestion, row_id, expected_version)
    for revision in session.scalars(select(AnswerRevision).where(AnswerRevision.question_id == row_id)).all():
        session.delete(revision)
    session.flush()
    return _delete(session, TenderQuestion, row_id, question.version, f"Question {question.number}")


MAX_ANSWER_CHARACTERS = 100_000


def save_answer(
    session: Session,
    question_id: int,
    text: str,
    expected_version: int | None,
    status: QuestionStatus | None = None,
    library_answer_id: int | None = None,
    note: str | None = None,
) -> Changes:
    """Save an answer; every change of its text keeps a revision (who, when, the text and its count)."""
    question = load_for_edit(session, TenderQuestion, question_id, expected_version)
    value = (text or "").replace("\r\n", "\n")
    if len(value) > MAX_ANSWER_CHARACTERS:
        raise _fail(
            "answer",
            f"The answer is {len(value):,} characters long; Federation Desk keeps answers of up to "
            f"{MAX_ANSWER_CHARACTERS:,}.",
        )
    stored = value if value.strip() else None
    changed = (question.answer or None) != stored
    if changed:
        last = session.scalar(
            select(func.coalesce(func.max(AnswerRevision.revision), 0)).where(AnswerRevision.question_id == question_id)
        )
        session.add(
            AnswerRevision(
                question_id=question_id,
                revision=(last or 0) + 1,
                text=stored or "",
                count=count_answer(stored, question.count_rule),
                saved_by=str(session.info.get("actor") or "unknown"),
                note=note,
            )
        )
        question.answer = stored
    if library_answer_id is not None:
        question.library_answer_id = library_answer_id
    if status is not None:
        question.status = status
    elif changed and stored and question.status is QuestionStatus.NOT_STARTED:
        question.status = QuestionStatus.DRAFTING
    session.flush()
    used = count_label(count_answer(stored, question.count_rule), question.answer_limit, question.count_rule)
    message = f"Answer to question {question.number} saved ({used})." if changed else "No change to save."
    return Changes.of(KIND, ids=(question.tender_id,), message=message)


@dataclass(frozen=True)
class RevisionRow:
    id: int
    revision: int
    text: str
    count: int
    saved_by: str
    saved_at: datetime
    note: str | None


def list_revisions(session: Session, question_id: int) -> list[RevisionRow]:
    return [
        RevisionRow(r.id, r.revision, r.text, r.count, r.saved_by, r.created_at, r.note)
        for r in session.scalars(
            select(AnswerRevision)
            .where(AnswerRevision.question_id == question_id)
            .order_by(AnswerRevision.revision.desc())
        ).all()
    ]


# ---- the content library ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryRow:
    id: int
    version: int
    title: str
    body: str
    tags: tuple[str, ...]
    owner: str | None
    last_reviewed_on: date | None
    review_interval_months: int
    source_note: str | None
    words: int
    used_in: int

    def review_due(self) -> date | None:
        if self.last_reviewed_on is None:
            return None
        return add_months(self.last_reviewed_on, self.review_interval_months)

    def past_review(self, today: date) -> bool:
        due = self.review_due()
        return due is None or due < today

    def review_text(self, today: date) -> str:
        due = self.review_due()
        if due is None:
            return "Never reviewed"
        if due < today:
            return f"Review was due {format_date(due)}"
        return f"Next review {format_date(due)}"


def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    day = min(
        d.day,
        [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
            month - 1
        ],
    )
    return date(year, month, day)


def normalise_tags(text: str | Sequence[str] | None) -> tuple[str, ...]:
    parts = text.split(",") if isinstance(text, str) else list(text or ())
    seen: list[str] = []
    for part in parts:
        tag = " ".join(part.strip().lower().lstrip("#").split())
        if tag and tag not in seen:
            seen.append(tag)
    return tuple(seen)


def list_library(session: Session) -> list[LibraryRow]:
    used = dict(
        session.execute(
            select(TenderQuestion.library_answer_id, func.count(TenderQuestion.id))
            .where(TenderQuestion.library_answer_id.is_not(None))
            .group_by(TenderQuestion.library_answer_id)
        ).all()
    )
    return [
        LibraryRow(
            a.id,
            a.version,
            a.title,
            a.body,
            normalise_tags(a.tags),
            a.owner,
            a.last_reviewed_on,
            a.review_interval_months,
            a.source_note,
            count_answer(a.body, CountRule.WORDS),
            used.get(a.id, 0),
        )
        for a in session.scalars(select(LibraryAnswer).order_by(LibraryAnswer.title)).all()
    ]


def library_past_review(session: Session, today: date) -> list[LibraryRow]:
    """Library answers whose review date has passed (or that were never reviewed), oldest first."""
    rows = [r for r in list_library(session) if r.past_review(today)]
    return sorted(rows, key=lambda r: r.review_due() or date.min)


def search_library(rows: Sequence[LibraryRow], words: str = "", tags: Sequence[str] = ()) -> list[LibraryRow]:
    """Library answers holding every word (in the title, body or tags) and every tag; best matches first
    (title matches before body matches)."""
    wanted_words = [w for w in re.split(r"\s+", (words or "").casefold()) if w]
    wanted_tags = set(normalise_tags(list(tags)))
    scored: list[tuple[int, str, LibraryRow]] = []
    for row in rows:
        if wanted_tags and not wanted_tags.issubset(row.tags):
            continue
        title = row.title.casefold()
        haystack = f"{title}\n{row.body.casefold()}\n{' '.join(row.tags)}"
        if not all(w in haystack for w in wanted_words):
            continue
        score = sum(3 if w in title else 1 for w in wanted_words) + sum(2 for w in wanted_words if w in row.tags)
        scored.append((-score, title, row))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [row for _s, _t, row in scored]


@dataclass(frozen=True)
class LibraryForm:
    title: str
    body: str
    tags: str = ""
    owner: str = ""
    last_reviewed_on: date | None = None
    review_interval_months: str = "12"


def save_library_answer(
    session: Session, form: LibraryForm, row_id: int | None = None, expected_version: int | None = None
) -> Changes:
    title, owner, interval = v.collect(
        lambda: v.required_text(form.title, "title", "The title", 300),
        lambda: v.optional_text(form.owner, "owner", "The owner", 120),
        lambda: parse_whole(form.review_interval_months or "12", "review_interval_months", "The review interval", 120),
    )
    body = _text(form.body, MAX_ANSWER_CHARACTERS)
    if not body:
        raise _fail("body", "Enter the answer text.")
    tags = ", ".join(normalise_tags(form.tags))
    if len(tags) > 500:
        raise _fail("tags", "Too many tags: at most 500 characters in all.")
    if row_id is None:
        row = LibraryAnswer(title=title, body=body)
        session.add(row)
    else:
        row = load_for_edit(session, LibraryAnswer, row_id, expected_version)
    row.title, row.body, row.tags, row.owner = title, body, tags or None, owner  # type: ignore[assignment]
    row.last_reviewed_on, row.review_interval_months = form.last_reviewed_on, interval or 12
    session.flush()
    return Changes.of(LIBRARY, ids=(row.id,), message=f"Library answer '{title}' saved.")


def mark_library_reviewed(session: Session, row_id: int, expected_version: int | None, today: date) -> Changes:
    row = load_for_edit(session, LibraryAnswer, row_id, expected_version)
    row.last_reviewed_on = today
    session.flush()
    return Changes.of(LIBRARY, ids=(row.id,), message=f"'{row.title}' marked as reviewed on {format_date(today)}.")


def delete_library_answer(session: Session, row_id: int, expected_version: int | None) -> Changes:
    row = load_for_edit(session, LibraryAnswer, row_id, expected_version)
    for q in session.scalars(select(TenderQuestion).where(TenderQuestion.library_answer_id == row_id)).all():
        q.library_answer_id = None
    session.delete(row)
    session.flush()
    return Changes.of(LIBRARY, KIND, message=f"Library answer '{row.title}' deleted.")


def save_answer_to_library(
    session: Session,
    question_id: int,
    title: str,
    tags: str,
    today: date,
    text: str | None = None,
    owner: str | None = None,
) -> Changes:
    """Keep a question's answer (or the text being edited) as a reusable library answer, reviewed today."""
    question = session.get(TenderQuestion, question_id)
    if question is None:
        raise NotFound("This question")
    body = text if text is not None else question.answer
    if not portal_text(body):
        raise _fail("body", "The answer is empty, so there is nothing to keep in the library.")
    tender = session.get(Tender, question.tender_id)
    note = f"{tender.reference if tender else ''} question {question.number}".strip()
    changes = save_library_answer(
        session,
        LibraryForm(
            title=title, body=body or "", tags=tags, owner=owner or question.owner or "", last_reviewed_on=today
        ),
    )
    row = session.get(LibraryAnswer, changes.ids[0])
    assert row is not None
    row.source_note = note
    session.flush()
    return Changes.of(LIBRARY, ids=changes.ids, message=f"Saved to the library as '{title}'.")


# ---- clarifications and tasks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClarificationForm:
    question: str
    answer: str = ""
    number: str = ""
    raised_by_us: bool = True
    asked_on: date | None = None
    answered_on: date | None = None


def save_clarification(
    session: Session,
    tender_id: int,
    form: ClarificationForm,
    row_id: int | None = None,
    expected_version: int | None = None,
) -> Changes:
    (number,) = v.collect(lambda: v.optional_text(form.number, "number", "The number", 20))
    question = _text(form.question, 20_000)
    if not question:
        raise _fail("question", "Enter the clarification question.")
    if form.asked_on and form.answered_on and form.answered_on < form.asked_on:
        raise _fail("answered_on", "The answer cannot come before the question was asked.")
    _tender_for_child(session, tender_id)
    if row_id is None:
        row = Clarification(tender_id=tender_id, question=question)
        session.add(row)
    else:
        row = load_for_edit(session, Clarification, row_id, expected_version)
    row.number, row.question, row.answer, row.raised_by_us = number, question, _text(form.answer), form.raised_by_us  # type: ignore[assignment]
    row.asked_on, row.answered_on = form.asked_on, form.answered_on
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message="Clarification saved.")


def delete_clarification(session: Session, row_id: int, expected_version: int | None) -> Changes:
    return _delete(session, Clarification, row_id, expected_version, "The clarification")


@dataclass(frozen=True)
class TaskForm:
    title: str
    owner: str = ""
    due_on: date | None = None
    done: bool = False
    notes: str = ""


def save_task(
    session: Session,
    tender_id: int,
    form: TaskForm,
    row_id: int | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> Changes:
    title, owner = v.collect(
        lambda: v.required_text(form.title, "title", "The task", 300),
        lambda: v.optional_text(form.owner, "owner", "The owner", 120),
    )
    _tender_for_child(session, tender_id)
    if row_id is None:
        row = TenderTask(tender_id=tender_id, title=title)
        session.add(row)
    else:
        row = load_for_edit(session, TenderTask, row_id, expected_version)
    if form.done and not row.done:
        row.done_on = today or london_today()
    if not form.done:
        row.done_on = None
    row.title, row.owner, row.due_on, row.done, row.notes = title, owner, form.due_on, form.done, _text(form.notes)  # type: ignore[assignment]
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"Task '{title}' saved.")


def set_task_done(
    session: Session, row_id: int, expected_version: int | None, done: bool, today: date | None = None
) -> Changes:
    row = load_for_edit(session, TenderTask, row_id, expected_version)
    row.done, row.done_on = done, (today or london_today()) if done else None
    session.flush()
    return Changes.of(KIND, ids=(row.tender_id,), message=f"'{row.title}' {'done' if done else 'reopened'}.")


def delete_task(session: Session, row_id: int, expected_version: int | None) -> Changes:
    return _delete(session, TenderTask, row_id, expected_version, "The task")


# ---- required documents -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequiredDocumentForm:
    name: str
    category: DocumentCategory
    mandatory: bool = True
    valid_from: date | None = None
    expires_on: date | None = None
    reference: str = ""
    append_to_pack: bool = True
    insurance_type: str = ""
    minimum_limit: str = ""
    notes: str = ""


def save_required_document(
    session: Session,
    tender_id: int,
    form: RequiredDocumentForm,
    row_id: int | None = None,
    expected_version: int | None = None,
) -> Changes:
    name, reference, limit = v.collect(
        lambda: v.required_text(form.name, "name", "The document's name", 300),
        lambda: v.optional_text(form.reference, "reference", "The reference", 120),
        lambda: _money(form.minimum_limit, "minimum_limit", "The minimum limit of indemnity"),
    )
    if form.valid_from and form.expires_on and form.expires_on < form.valid_from:
        raise _fail("expires_on", "The expiry date is before the date the document is valid from.")
    _tender_for_child(session, tender_id)
    if row_id is None:
        order = session.scalar(
            select(func.coalesce(func.max(RequiredDocument.sort_order), 0)).where(
                RequiredDocument.tender_id == tender_id
            )
        )
        row = RequiredDocument(tender_id=tender_id, name=name, category=form.category, sort_order=(order or 0) + 10)
        session.add(row)
    else:
        row = load_for_edit(session, RequiredDocument, row_id, expected_version)
    row.name, row.category, row.mandatory, row.reference = name, form.category, form.mandatory, reference  # type: ignore[assignment]
    row.valid_from, row.expires_on, row.append_to_pack = form.valid_from, form.expires_on, form.append_to_pack
    row.insurance_type = (form.insurance_type or "").strip() or None
    row.minimum_limit, row.notes = limit, _text(form.notes)  # type: ignore[assignment]
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"'{name}' saved.")


def attach_evidence(session: Session, row_id: int, expected_version: int | None, filename: str, data: bytes) -> Changes:
    """Store a file (documents store: size limit, type sniffed) as the evidence for a checklist line."""
    from federation_desk.services.documents import store_document

    row = load_for_edit(session, RequiredDocument, row_id, expected_version)
    document_id, _changes = store_document(
        session, filename, data, attach_to=("required_document", row.id), purpose=row.name
    )
    row.document_id = document_id
    session.flush()
    return Changes.of(KIND, "document", ids=(row.tender_id,), message=f"'{filename}' attached to '{row.name}'.")


def use_existing_document(session: Session, row_id: int, expected_version: int | None, document_id: int) -> Changes:
    row = load_for_edit(session, RequiredDocument, row_id, expected_version)
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("This document")
    row.document_id = document_id
    session.flush()
    return Changes.of(KIND, ids=(row.tender_id,), message=f"'{doc.filename}' attached to '{row.name}'.")


def detach_evidence(session: Session, row_id: int, expected_version: int | None) -> Changes:
    row = load_for_edit(session, RequiredDocument, row_id, expected_version)
    row.document_id = None
    session.flush()
    return Changes.of(KIND, ids=(row.tender_id,), message=f"Evidence removed from '{row.name}'.")


def delete_required_document(session: Session, row_id: int, expected_version: int | None) -> Changes:
    return _delete(session, RequiredDocument, row_id, expected_version, "The checklist line")


def add_standard_checklist(session: Session, tender_id: int) -> Changes:
    """Add the standard bid pack checklist (reference data), skipping lines the tender already has."""
    _tender_for_child(session, tender_id)
    existing = {
        n.casefold()
        for n in session.scalars(select(RequiredDocument.name).where(RequiredDocument.tender_id == tender_id)).all()
    }
    order = (
        session.scalar(
            select(func.coalesce(func.max(RequiredDocument.sort_order), 0)).where(
                RequiredDocument.tender_id == tender_id
            )
        )
        or 0
    )
    added = 0
    for item in procurement_reference()["standard_checklist"]["items"]:
        if item["name"].casefold() in existing:
            continue
        order += 10
        session.add(
            RequiredDocument(
                tender_id=tender_id,
                name=item["name"],
                category=DocumentCategory(item["category"]),
                mandatory=item["mandatory"],
                insurance_type=item.get("insurance_type"),
                minimum_limit=Decimal(item["minimum_limit"]) if item.get("minimum_limit") else None,
                sort_order=order,
            )
        )
        added += 1
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"{added} standard checklist lines added.")


# ---- bid/no-bid ---------------------------------------------------------------------------------------------


def default_bid_criteria() -> list[dict[str, Any]]:
    return list(procurement_reference()["bid_no_bid_criteria"])


def bid_threshold_percent() -> int:
    return int(procurement_reference()["bid_no_bid_threshold_percent"])


def ensure_bid_scores(session: Session, tender_id: int) -> Changes:
    """Give a tender the default bid/no-bid criteria if it has none yet."""
    _tender_for_child(session, tender_id)
    if session.scalar(select(func.count(BidScore.id)).where(BidScore.tender_id == tender_id)):
        return Changes.of(KIND, ids=(tender_id,), message="")
    for order, item in enumerate(default_bid_criteria()):
        session.add(
            BidScore(
                tender_id=tender_id,
                criterion=item["criterion"],
                guidance=item["guidance"],
                weight=item["weight"],
                sort_order=(order + 1) * 10,
            )
        )
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message="Bid/no-bid criteria added.")


@dataclass(frozen=True)
class ScoreEntry:
    id: int
    version: int
    score: int | None
    notes: str = ""


def save_bid_assessment(
    session: Session,
    tender_id: int,
    expected_version: int | None,
    scores: Sequence[ScoreEntry],
    decision: BidDecision,
    reason: str,
    today: date,
) -> Changes:
    """Save the scored criteria and the decision with its reason (a decision needs a reason)."""
    problems = []
    for entry in scores:
        if entry.score is not None and not 0 <= entry.score <= 5:
            problems.append(FieldProblem(f"score_{entry.id}", "Scores run from 0 to 5."))
    reason_text = _text(reason, 5000)
    if decision is not BidDecision.UNDECIDED and not reason_text:
        problems.append(FieldProblem("reason", "Give the reason for the decision; the board will ask for it."))
    if problems:
        raise ValidationError(problems)
    tender = load_for_edit(session, Tender, tender_id, expected_version)
    for entry in scores:
        row = load_for_edit(session, BidScore, entry.id, entry.version)
        if row.tender_id != tender_id:
            raise NotFound("This score")
        row.score, row.notes = entry.score, _text(entry.notes, 2000)
    if decision is not tender.bid_decision or (reason_text or None) != tender.bid_decision_reason:
        tender.bid_decision_on = today if decision is not BidDecision.UNDECIDED else None
        decided = decision is not BidDecision.UNDECIDED
        tender.bid_decided_by = str(session.info.get("actor") or "unknown") if decided else None
    tender.bid_decision, tender.bid_decision_reason = decision, reason_text
    if decision is BidDecision.NO_BID and not tender.status.is_closed:
        tender.status, tender.status_changed_on = TenderStatus.WITHDRAWN, today
    elif decision is BidDecision.BID and tender.status in (TenderStatus.IDENTIFIED, TenderStatus.BID_NO_BID):
        tender.status, tender.status_changed_on = TenderStatus.QUALIFICATION, today
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"Bid/no-bid saved: {decision.label}.")


# ---- pricing ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceLineForm:
    item: str
    unit_price: str
    quantity: str = "1"
    unit: str = ""
    notes: str = ""
    lot_id: int | None = None


def save_price_line(
    session: Session,
    tender_id: int,
    form: PriceLineForm,
    row_id: int | None = None,
    expected_version: int | None = None,
) -> Changes:
    item, unit, price = v.collect(
        lambda: v.required_text(form.item, "item", "The item", 300),
        lambda: v.optional_text(form.unit, "unit", "The unit", 60),
        lambda: _money(form.unit_price, "unit_price", "The unit price"),
    )
    text = (form.quantity or "1").strip().replace(",", "")
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise _fail("quantity", f"The quantity must be a number, not '{form.quantity}'.") from None
    if (
        not quantity.is_finite()
        or quantity <= 0
        or quantity > Decimal("1e9")
        or quantity != quantity.quantize(Decimal("0.001"))
    ):
        raise _fail("quantity", "The quantity must be more than 0, with at most three decimal places.")
    if price is None:
        raise _fail("unit_price", "Enter the unit price (for example £45.50).")
    _tender_for_child(session, tender_id)
    if row_id is None:
        order = session.scalar(
            select(func.coalesce(func.max(PriceLine.sort_order), 0)).where(PriceLine.tender_id == tender_id)
        )
        row = PriceLine(tender_id=tender_id, item=item, unit_price=price, sort_order=(order or 0) + 10)
        session.add(row)
    else:
        row = load_for_edit(session, PriceLine, row_id, expected_version)
    row.item, row.unit, row.quantity, row.unit_price = item, unit, quantity, price  # type: ignore[assignment]
    row.notes, row.lot_id = _text(form.notes), form.lot_id
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"Pricing line '{item}' saved.")


def delete_price_line(session: Session, row_id: int, expected_version: int | None) -> Changes:
    return _delete(session, PriceLine, row_id, expected_version, "The pricing line")


# ---- outcome ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeForm:
    result: OutcomeResult
    notified_on: date | None = None
    our_quality_score: str = ""
    our_price_score: str = ""
    our_total_score: str = ""
    winner_total_score: str = ""
    winner: str = ""
    contract_value: str = ""
    feedback: str = ""
    lessons: str = ""


_OUTCOME_STATUS = {
    OutcomeResult.WON: TenderStatus.AWARDED,
    OutcomeResult.LOST: TenderStatus.LOST,
    OutcomeResult.WITHDRAWN: TenderStatus.WITHDRAWN,
    OutcomeResult.ABANDONED: TenderStatus.WITHDRAWN,
}


def save_outcome(
    session: Session, tender_id: int, form: OutcomeForm, expected_version: int | None, today: date | None = None
) -> Changes:
    """Record the result, scores and feedback received and the lessons learned; the tender moves to Awarded,
    Lost or Withdrawn to match."""
    quality, price, total, winner_total, winner, value = v.collect(
        lambda: parse_percent(form.our_quality_score, "our_quality_score", "Our quality score", Decimal(1000)),
        lambda: parse_percent(form.our_price_score, "our_price_score", "Our price score", Decimal(1000)),
        lambda: parse_percent(form.our_total_score, "our_total_score", "Our total score", Decimal(1000)),
        lambda: parse_percent(form.winner_total_score, "winner_total_score", "The winner's score", Decimal(1000)),
        lambda: v.optional_text(form.winner, "winner", "The winner", 300),
        lambda: _money(form.contract_value, "contract_value", "The contract value"),
    )
    tender = _tender_for_child(session, tender_id)
    outcome = session.scalar(select(TenderOutcome).where(TenderOutcome.tender_id == tender_id))
    if outcome is None:
        outcome = TenderOutcome(tender_id=tender_id, result=form.result)
        session.add(outcome)
    else:
        outcome = load_for_edit(session, TenderOutcome, outcome.id, expected_version)
    outcome.result, outcome.notified_on = form.result, form.notified_on
    outcome.our_quality_score, outcome.our_price_score, outcome.our_total_score = quality, price, total  # type: ignore[assignment]
    outcome.winner_total_score, outcome.winner, outcome.contract_value = winner_total, winner, value  # type: ignore[assignment]
    outcome.feedback, outcome.lessons = _text(form.feedback), _text(form.lessons)
    status = _OUTCOME_STATUS[form.result]
    if tender.status is not status:
        tender.status, tender.status_changed_on = status, today or london_today()
    session.flush()
    return Changes.of(KIND, ids=(tender_id,), message=f"Outcome saved: {form.result.label}.")


@dataclass(frozen=True)
class QuestionFeedbackEntry:
    id: int
    version: int
    score_received: str = ""
    max_score: str = ""
    feedback: str = ""


def save_question_feedback(session: Session, entries: Sequence[QuestionFeedbackEntry]) -> Changes:
    tender_ids: set[int] = set()
    for entry in entries:
        score, maximum = v.collect(
            lambda e=entry: parse_percent(e.score_received, "score_received", "The score", Decimal(1000)),
            lambda e=entry: parse_percent(e.max_score, "max_score", "The maximum score", Decimal(1000)),
        )
        row = load_for_edit(session, TenderQuestion, entry.id, entry.version)
        row.score_received, row.max_score, row.feedback = score, maximum, _text(entry.feedback)  # type: ignore[assignment]
        tender_ids.add(row.tender_id)
    session.flush()
    return Changes.of(KIND, ids=tuple(tender_ids), message="Feedback saved.")


# ---- dashboard ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRow:
    tender_id: int
    reference: str
    title: str
    what: str
    on_date: date
    at_time: time | None

    def days_left(self, today: date) -> int:
        return (self.on_date - today).days


def upcoming_deadlines(session: Session, today: date, days: int = 14) -> list[DeadlineRow]:
    """Deadlines of open tenders (key dates, open tasks, unfinished questions' due dates) in the next ``days``."""
    from datetime import timedelta

    end = today + timedelta(days=days)
    open_status = Tender.status.not_in([s for s in TenderStatus if s.is_closed])
    rows: list[DeadlineRow] = []
    deadline_kinds = [k for k in KeyDateKind if k.is_deadline]
    for tid, ref, title, kind, label, on, at in session.execute(
        select(
            Tender.id,
            Tender.reference,
            Tender.title,
            TenderKeyDate.kind,
            TenderKeyDate.label,
            TenderKeyDate.on_date,
            TenderKeyDate.at_time,
        )
        .join(TenderKeyDate, TenderKeyDate.tender_id == Tender.id)
        .where(
            open_status,
            TenderKeyDate.on_date >= today,
            TenderKeyDate.on_date <= end,
            TenderKeyDate.kind.in_(deadline_kinds),
        )
    ).all():
        rows.append(DeadlineRow(tid, ref, title, label or kind.label, on, at))
    for tid, ref, title, task, on in session.execute(
        select(Tender.id, Tender.reference, Tender.title, TenderTask.title, TenderTask.due_on)
        .join(TenderTask, TenderTask.tender_id == Tender.id)
        .where(open_status, TenderTask.done.is_(False), TenderTask.due_on >= today, TenderTask.due_on <= end)
    ).all():
        rows.append(DeadlineRow(tid, ref, title, f"task: {task}", on, None))
    rows.sort(key=lambda r: (r.on_date, r.at_time or time(23, 59), r.reference))
    return rows


def _when(row: DeadlineRow, today: date) -> str:
    days = row.days_left(today)
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"in {days} days ({format_date(row.on_date)})"


@dashboard_card(60, "tenders")
def tenders_card(session: Session, today: date) -> DashboardCard | None:
    if not session.scalar(select(func.count(Tender.id))):
        return None
    rows = upcoming_deadlines(session, today, 14)
    open_count = (
        session.scalar(
            select(func.count(Tender.id)).where(Tender.status.not_in([s for s in TenderStatus if s.is_closed]))
        )
        or 0
    )
    if not rows:
        return DashboardCard(
            "tenders",
            "Tender deadlines",
            "No tender deadlines in the next 14 days",
            (f"{open_count} open tender{'s' if open_count != 1 else ''} in the pipeline.",),
            Severity.GOOD,
            "tenders",
            60,
        )
    details = [f"{r.reference} {r.what} {_when(r, today)}: {r.title}" for r in rows[:4]]
    if len(rows) > 4:
        details.append(f"and {len(rows) - 4} more.")
    soonest = rows[0].days_left(today)
    severity = Severity.DANGER if soonest <= 3 else Severity.WARNING
    return DashboardCard(
        "tenders",
        "Tender deadlines",
        f"{len(rows)} deadline{'s' if len(rows) != 1 else ''} in the next 14 days",
        tuple(details),
        severity,
        "tenders",
        60,
    )


def value_text(value: Decimal | None) -> str:
    return format_money(value) if value is not None else ""
