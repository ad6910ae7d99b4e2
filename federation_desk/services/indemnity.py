"""Indemnity and insurance: lists for the screens, validated saves, and the checks other modules call.

The checks answer in words as well as in data:

* :func:`status_on` — a cover or policy on a date: valid, expiring within a window, expired, not started yet;
* :func:`policy_held_throughout` — "does the holder have a policy of type T with a limit of at least L on every day
  from D1 to D2?", naming gaps between consecutive policies and stretches where the limit drops below L (the
  contract reports use it);
* :func:`own_cover_gate` and :func:`cover_for_service` — "is this clinician covered for this service on this day?"
  (the rota's compliance gate);
* :func:`insurance_schedule` — the policies valid on a date (the bid pack).

Dates are inclusive: a policy from 01/04/2026 to 31/03/2027 covers both days, and a renewal starting 01/04/2027
follows on with no gap. Where renewals overlap, each day counts the highest limit in force that day (limits of
two policies of the same type are not added together: an insurer pays under one policy for one occurrence).
"""

from __future__ import annotations

import enum
import itertools
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from federation_desk.db.session import load_for_edit
from federation_desk.domain.documents import Document
from federation_desk.domain.indemnity import (
    CoverBasis,
    IndemnityCover,
    IndemnityProvider,
    InsurancePolicy,
    Insurer,
    LimitBasis,
    PolicyType,
    PolicyTypeInfo,
)
from federation_desk.domain.organisation import Federation, Practice
from federation_desk.domain.staff import Role, StaffMember
from federation_desk.errors import FieldProblem, NotFound, ValidationError
from federation_desk.services import validators as v
from federation_desk.services.changes import Changes
from federation_desk.services.dashboard import DashboardCard, Severity, dashboard_card
from federation_desk.services.dates import format_date
from federation_desk.services.documents import attach_file
from federation_desk.services.money import format_money, parse_money
from federation_desk.services.reference import read_reference, reference_loader

__all__ = [
    "CoverCheck",
    "CoverStatus",
    "PolicyRow",
    "PolicyType",
    "ServiceScope",
    "cover_for_service",
    "insurance_schedule",
    "own_cover_gate",
    "policy_held_throughout",
    "status_on",
]

# A cover or policy is "expiring" when it ends within this many days (the HR module's default window too).
EXPIRING_WINDOW_DAYS = 60
# The renewal calendar warns at these distances from the end date (DOMAIN.md 3.3, "renewal calendar 60/30/7").
RENEWAL_WARNINGS = (7, 30, 60)
RENEWAL_CALENDAR_DAYS = 90
# CNSGP covers NHS primary medical services for incidents on or after this day (DOMAIN.md 3.1).
CNSGP_START = date(2019, 4, 1)
# Used only when the reference table has no employers' liability row (it is loaded on first run).
EL_STATUTORY_MINIMUM = Decimal("5000000")
LARGEST_LIMIT = Decimal("10000000000")  # £10bn: anything larger is a typing slip
LONGEST_PERIOD_DAYS = 10 * 366

POLICY_KIND = "insurance_policy"
COVER_KIND = "indemnity_cover"


# ---- status on a date ----------------------------------------------------------------------------------------


class CoverStatus(enum.Enum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NOT_STARTED = "not started"
    MISSING = "missing"

    @property
    def label(self) -> str:
        return {
            CoverStatus.VALID: "Valid",
            CoverStatus.EXPIRING: "Expiring",
            CoverStatus.EXPIRED: "Expired",
            CoverStatus.NOT_STARTED: "Not started",
            CoverStatus.MISSING: "None recorded",
        }[self]


@dataclass(frozen=True)
class StatusOnDate:
    status: CoverStatus
    reason: str
    days_left: int | None = None  # days from the date asked about to the last day covered (0: ends that day)


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def status_on(
    start: date, end: date, on: date, window_days: int = EXPIRING_WINDOW_DAYS, what: str = "This policy"
) -> StatusOnDate:
    """Valid, expiring (ends within ``window_days``), expired or not started on ``on``, with a reason in words."""
    if on < start:
        return StatusOnDate(CoverStatus.NOT_STARTED, f"{what} starts on {format_date(start)}.", (end - on).days)
    if on > end:
        return StatusOnDate(CoverStatus.EXPIRED, f"{what} ended on {format_date(end)}.", (end - on).days)
    left = (end - on).days
    if left <= window_days:
        when = "today" if left == 0 else ("tomorrow" if left == 1 else f"in {_days(left)}")
        return StatusOnDate(CoverStatus.EXPIRING, f"{what} ends on {format_date(end)}, {when}.", left)
    return StatusOnDate(CoverStatus.VALID, f"{what} is valid until {format_date(end)}.", left)


# ---- rows ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyRow:
    """An organisation policy as lists, checks and the bid pack see it."""

    id: int
    version: int
    holder_practice_id: int | None  # None: the federation
    holder_name: str
    policy_type: PolicyType
    description: str | None
    insurer: str
    policy_number: str
    limit: Decimal | None  # None: scheme membership with no stated limit
    limit_basis: LimitBasis
    excess: Decimal | None
    start: date
    end: date
    abuse_exclusion: bool
    certificate_document_id: int | None
    certificate_filename: str | None = None
    notes: str | None = None
    renewal_recorded: bool = False  # a policy of the same holder and type follows on from this one

    @property
    def type_label(self) -> str:
        if self.policy_type is PolicyType.OTHER and self.description:
            return self.description
        return self.policy_type.label

    @property
    def limit_text(self) -> str:
        return "No stated limit" if self.limit is None else format_money(self.limit)

    def status(self, on: date, window_days: int = EXPIRING_WINDOW_DAYS) -> StatusOnDate:
        return status_on(
            self.start, self.end, on, window_days, f"{self.holder_name}'s {self.type_label.lower()} policy"
        )


@dataclass(frozen=True)
class CoverRow:
    """A clinician's own indemnity cover."""

    id: int
    version: int
    staff_id: int
    staff_name: str
    provider: IndemnityProvider
    provider_name: str | None
    membership_number: str
    category: str | None
    basis: CoverBasis
    covers_non_nhs: bool
    covers_regulatory: bool
    other_scope: str | None
    start: date
    end: date
    certificate_document_id: int | None
    certificate_filename: str | None = None
    notes: str | None = None
    renewal_recorded: bool = False

    @property
    def provider_label(self) -> str:
        if self.provider is IndemnityProvider.OTHER:
            return self.provider_name or "Other provider"
        return self.provider.value

    @property
    def scope_text(self) -> str:
        parts = []
        if self.covers_non_nhs:
            parts.append("non-NHS work")
        if self.covers_regulatory:
            parts.append("regulatory representation")
        if self.other_scope:
            parts.append(self.other_scope)
        return ", ".join(parts) or "not stated"

    def status(self, on: date, window_days: int = EXPIRING_WINDOW_DAYS) -> StatusOnDate:
        return status_on(self.start, self.end, on, window_days, f"{self.provider_label} cover")


@dataclass(frozen=True)
class ClinicianCoverRow:
    """One clinician and their own cover on a date (the cover shown is the best one that day, else the latest)."""

    staff_id: int
    staff_version: int
    name: str
    role: str
    employer: str
    cover: CoverRow | None
    status: CoverStatus
    reason: str
    ok_for_non_nhs: bool

    @property
    def needs_attention(self) -> bool:
        return not self.ok_for_non_nhs or self.status is CoverStatus.EXPIRING


@dataclass(frozen=True)
class HolderRow:
    practice_id: int | None
    name: str


@dataclass(frozen=True)
class PolicyTypeRow:
    id: int
    version: int
    policy_type: PolicyType
    name: str
    description: str | None
    compulsory: bool
    statutory_minimum: Decimal | None
    typical_minimum: Decimal | None
    needs_limit: bool
    expected_of_holders: bool
    source: str | None
    sort_order: int = 100


@dataclass(frozen=True)
class InsurerRow:
    name: str
    kind: str
    note: str | None


# ---- small helpers -------------------------------------------------------------------------------------------


def _chunks(ids: Sequence[int], size: int = 2000) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def federation_name(session: Session) -> str:
    return session.scalar(select(Federation.name).order_by(Federation.id).limit(1)) or "The federation"


def holder_names(session: Session) -> dict[int | None, str]:
    names: dict[int | None, str] = {None: federation_name(session)}
    names.update(dict(session.execute(select(Practice.id, Practice.name)).all()))
    return names


def list_holders(session: Session) -> list[HolderRow]:
    """The federation first, then member practices (those that left too, marked)."""
    rows = [HolderRow(None, f"{federation_name(session)} (federation)")]
    for pid, name, active in session.execute(
        select(Practice.id, Practice.name, Practice.active).order_by(Practice.name)
    ).all():
        rows.append(HolderRow(pid, name if active else f"{name} (left)"))
    return rows


def _staff_name(given: str, family: str, preferred: str | None) -> str:
    return f"{preferred or given} {family}".strip()


def _holder_clause(holder_practice_id: int | None) -> ColumnElement[bool]:
    if holder_practice_id is None:
        return InsurancePolicy.holder_practice_id.is_(None)
    return InsurancePolicy.holder_practice_id == holder_practice_id


def _document_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    names: dict[int, str] = {}
    for chunk in _chunks(wanted):
        names.update(dict(session.execute(select(Document.id, Document.filename).where(Document.id.in_(chunk))).all()))
    return names


def _renewed(periods: list[tuple[int, date, date]]) -> set[int]:
    """Ids of periods another period follows on from (starts by the day after it ends and ends later)."""
    out: set[int] = set()
    ordered = sorted(periods, key=lambda p: (p[1], p[2]))
    for pid, _start, end in ordered:
        if any(o != pid and s <= end + timedelta(days=1) and e > end for o, s, e in ordered):
            out.add(pid)
    return out


def _policy_rows(session: Session, policies: Sequence[InsurancePolicy], renewed: set[int]) -> list[PolicyRow]:
    names = holder_names(session)
    files = _document_names(session, (p.certificate_document_id for p in policies))
    return [
        PolicyRow(
            p.id,
            p.version,
            p.holder_practice_id,
            names.get(p.holder_practice_id, "Unknown practice"),
            p.policy_type,
            p.description,
            p.insurer,
            p.policy_number,
            p.limit_of_indemnity,
            p.limit_basis,
            p.excess,
            p.start_date,
            p.end_date,
            p.abuse_exclusion,
            p.certificate_document_id,
            files.get(p.certificate_document_id) if p.certificate_document_id else None,
            p.notes,
            p.id in renewed,
        )
        for p in policies
    ]


# ---- reading policies ----------------------------------------------------------------------------------------


def list_policies(session: Session, holder_practice_id: int | None = None, all_holders: bool = True) -> list[PolicyRow]:
    """Every policy (or one holder's), newest first within holder and type."""
    stmt = select(InsurancePolicy)
    if not all_holders:
        stmt = stmt.where(_holder_clause(holder_practice_id))
    policies = list(session.scalars(stmt).all())
    groups: dict[tuple[int | None, PolicyType, str], list[tuple[int, date, date]]] = defaultdict(list)
    for p in policies:
        groups[(p.holder_practice_id, p.policy_type, (p.description or "").casefold())].append(
            (p.id, p.start_date, p.end_date)
        )
    renewed: set[int] = set()
    for periods in groups.values():
        renewed |= _renewed(periods)
    rows = _policy_rows(session, policies, renewed)
    rows.sort(key=lambda r: (r.holder_practice_id is not None, r.holder_name.casefold(), r.type_label, r.start))
    return rows


def get_policy(session: Session, policy_id: int) -> PolicyRow:
    for row in list_policies(session):
        if row.id == policy_id:
            return row
    raise NotFound("This insurance policy")


def insurance_schedule(
    session: Session, on: date, holder_practice_id: int | None = None, *, all_holders: bool = False
) -> list[PolicyRow]:
    """The policies valid on ``on`` held by the federation (``holder_practice_id`` None) or by one practice.

    ``all_holders=True`` lists every holder's. Ordered by policy type as the reference data orders them.
    """
    stmt = select(InsurancePolicy).where(InsurancePolicy.start_date <= on, InsurancePolicy.end_date >= on)
    if not all_holders:
        stmt = stmt.where(_holder_clause(holder_practice_id))
    policies = list(session.scalars(stmt).all())
    order = dict(session.execute(select(PolicyTypeInfo.policy_type, PolicyTypeInfo.sort_order)).all())
    rows = _policy_rows(session, policies, set())
    rows.sort(
        key=lambda r: (
            r.holder_practice_id is not None,
            r.holder_name.casefold(),
            order.get(r.policy_type, 100),
            r.type_label,
            r.start,
        )
    )
    return rows


# ---- "held throughout" ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverCheck:
    ok: bool
    gaps: list[tuple[date, date]] = field(default_factory=list)
    shortfalls: list[tuple[date, date, Decimal]] = field(default_factory=list)
    reason: str = ""


Period = tuple[date, date, Decimal | None]  # first day, last day (inclusive), limit (None: no stated limit)


def evaluate_periods(
    periods: Iterable[Period], start: date, end: date, minimum: Decimal
) -> tuple[list[tuple[date, date]], list[tuple[date, date, Decimal]]]:
    """Gaps (days with no period) and shortfalls (days whose best limit is below ``minimum``) in ``start..end``.

    Each day counts the highest limit of the periods in force that day; a period with no stated limit meets any
    minimum. Adjacent days with the same finding are merged into one stretch.
    """
    clipped = [(max(s, start), min(e, end), lim) for s, e, lim in periods if s <= end and e >= start and s <= e]
    bounds = {start, end + timedelta(days=1)}
    for s, e, _lim in clipped:
        bounds.add(s)
        bounds.add(e + timedelta(days=1))
    edges = sorted(b for b in bounds if start <= b <= end + timedelta(days=1))
    gaps: list[tuple[date, date]] = []
    shortfalls: list[tuple[date, date, Decimal]] = []
    for a, b in itertools.pairwise(edges):
        last = b - timedelta(days=1)
        limits = [lim for s, e, lim in clipped if s <= a <= e]
        if not limits:
            if gaps and gaps[-1][1] + timedelta(days=1) == a:
                gaps[-1] = (gaps[-1][0], last)
            else:
                gaps.append((a, last))
            continue
        if any(lim is None for lim in limits):
            continue
        best = max(lim for lim in limits if lim is not None)
        if best < minimum:
            if shortfalls and shortfalls[-1][1] + timedelta(days=1) == a and shortfalls[-1][2] == best:
                shortfalls[-1] = (shortfalls[-1][0], last, best)
            else:
                shortfalls.append((a, last, best))
    return gaps, shortfalls


def _stretch(a: date, b: date) -> str:
    if a == b:
        return f"on {format_date(a)}"
    return f"from {format_date(a)} to {format_date(b)} ({_days((b - a).days + 1)})"


def describe_check(
    holder: str,
    policy_type: PolicyType,
    minimum: Decimal,
    start: date,
    end: date,
    gaps: list[tuple[date, date]],
    shortfalls: list[tuple[date, date, Decimal]],
    excluded_for_abuse: int = 0,
) -> str:
    kind = policy_type.label.lower() if policy_type is not PolicyType.EMPLOYERS_LIABILITY else "employers' liability"
    what = f"{kind} cover" + (f" of at least {format_money(minimum)}" if minimum > 0 else "")
    period = f"from {format_date(start)} to {format_date(end)}"
    if not gaps and not shortfalls:
        return f"{holder} holds {what} on every day {period}."
    if gaps == [(start, end)]:
        text = f"{holder} has no {kind} policy recorded for any day {period}."
    else:
        parts = [f"no policy {_stretch(a, b)}" for a, b in gaps]
        parts += [
            f"the limit is {format_money(lim)}, below {format_money(minimum)}, {_stretch(a, b)}"
            for a, b, lim in shortfalls
        ]
        text = f"{holder} does not hold {what} throughout {period}: {'; '.join(parts)}."
    if excluded_for_abuse:
        text += (
            f" {excluded_for_abuse} polic{'y' if excluded_for_abuse == 1 else 'ies'} with an abuse exclusion "
            "did not count."
        )
    return text


def policy_held_throughout(
    session: Session,
    holder_practice_id: int | None,
    policy_type: PolicyType,
    minimum_limit: Decimal,
    start: date,
    end: date,
    *,
    no_abuse_exclusion: bool = False,
) -> CoverCheck:
    """Does the holder (None: the federation) hold ``policy_type`` with a limit >= ``minimum_limit`` every day?

    ``no_abuse_exclusion=True`` (contracts with children or vulnerable adults) counts only policies without an
    abuse exclusion.
    """
    if end < start:
        raise ValidationError(
            f"The period {format_date(start)} to {format_date(end)} ends before it starts; give the dates in order."
        )
    minimum = Decimal(minimum_limit)
    rows = session.execute(
        select(
            InsurancePolicy.start_date,
            InsurancePolicy.end_date,
            InsurancePolicy.limit_of_indemnity,
            InsurancePolicy.abuse_exclusion,
        ).where(
            _holder_clause(holder_practice_id),
            InsurancePolicy.policy_type == policy_type,
            InsurancePolicy.start_date <= end,
            InsurancePolicy.end_date >= start,
        )
    ).all()
    excluded = sum(1 for r in rows if no_abuse_exclusion and r[3])
    periods = [(r[0], r[1], r[2]) for r in rows if not (no_abuse_exclusion and r[3])]
    gaps, shortfalls = evaluate_periods(periods, start, end, minimum)
    if holder_practice_id is None:
        holder = federation_name(session)
    else:
        holder = session.scalar(select(Practice.name).where(Practice.id == holder_practice_id)) or "This practice"
    reason = describe_check(holder, policy_type, minimum, start, end, gaps, shortfalls, excluded)
    return CoverCheck(not gaps and not shortfalls, gaps, shortfalls, reason)


# ---- clinicians' own cover -----------------------------------------------------------------------------------


class ServiceScope(enum.Enum):
    """What a session's work is, for deciding which indemnity covers it."""

    NHS_PRIMARY_MEDICAL = "NHS primary medical services"  # GMS/PMS/APMS, Enhanced Access: CNSGP
    NHS_OTHER = "other NHS services"  # community services under the NHS Standard Contract: CNST or own/organisation
    NON_NHS = "non-NHS work"  # private work, medicals, reports: the clinician's own cover

    @property
    def label(self) -> str:
        return self.value[:1].upper() + self.value[1:]


@dataclass(frozen=True)
class CoverDecision:
    covered: bool
    reason: str


@dataclass(frozen=True)
class _Person:
    id: int
    version: int
    name: str
    role: str
    clinical: bool
    employer_practice_id: int | None
    leave_date: date | None


# Above this many ids a query reads every row and filters in Python: cheaper than thousands of bound parameters.
_WHOLE_TABLE_ABOVE = 1000


def _id_filter(column: Any, ids: Sequence[int]) -> tuple[list[Any], set[int] | None]:
    """WHERE clauses (one per chunk) for ``column IN ids``, or one unfiltered read plus the set to keep."""
    if len(ids) > _WHOLE_TABLE_ABOVE:
        return [None], set(ids)
    return [column.in_(chunk) for chunk in _chunks(ids)], None


def _people(session: Session, staff_ids: Sequence[int]) -> dict[int, _Person]:
    out: dict[int, _Person] = {}
    clauses, keep = _id_filter(StaffMember.id, staff_ids)
    for clause in clauses:
        stmt = select(
            StaffMember.id,
            StaffMember.version,
            StaffMember.given_name,
            StaffMember.family_name,
            StaffMember.preferred_name,
            Role.name,
            Role.is_clinical,
            StaffMember.employer_practice_id,
            StaffMember.leave_date,
        ).join(Role, Role.id == StaffMember.role_id)
        if clause is not None:
            stmt = stmt.where(clause)
        for sid, ver, given, family, preferred, role, clinical, employer, leave in session.execute(stmt).all():
            if keep is None or sid in keep:
                out[sid] = _Person(sid, ver, _staff_name(given, family, preferred), role, clinical, employer, leave)
    return out


# The columns a cover row needs (not the whole entity: thousands of ORM objects cost more than the query).
_COVER_COLUMNS = (
    IndemnityCover.id,
    IndemnityCover.version,
    IndemnityCover.staff_id,
    IndemnityCover.provider,
    IndemnityCover.provider_name,
    IndemnityCover.membership_number,
    IndemnityCover.category,
    IndemnityCover.basis,
    IndemnityCover.covers_non_nhs,
    IndemnityCover.covers_regulatory,
    IndemnityCover.other_scope,
    IndemnityCover.start_date,
    IndemnityCover.end_date,
    IndemnityCover.certificate_document_id,
    IndemnityCover.notes,
)


class _Cover(NamedTuple):
    """A cover as the checks read it: the columns of ``_COVER_COLUMNS``, by the names IndemnityCover uses."""

    id: int
    version: int
    staff_id: int
    provider: IndemnityProvider
    provider_name: str | None
    membership_number: str
    category: str | None
    basis: CoverBasis
    covers_non_nhs: bool
    covers_regulatory: bool
    other_scope: str | None
    start_date: date
    end_date: date
    certificate_document_id: int | None
    notes: str | None


def _covers_by_staff(session: Session, staff_ids: Sequence[int]) -> dict[int, list[_Cover]]:
    """Each person's covers as light named tuples (SQLAlchemy rows are slower to read by attribute)."""
    out: dict[int, list[_Cover]] = defaultdict(list)
    clauses, keep = _id_filter(IndemnityCover.staff_id, staff_ids)
    for clause in clauses:
        stmt = select(*_COVER_COLUMNS)
        if clause is not None:
            stmt = stmt.where(clause)
        for row in session.execute(stmt).all():
            cover = _Cover._make(row)
            if keep is None or cover.staff_id in keep:
                out[cover.staff_id].append(cover)
    return out


def _cover_name(c: _Cover) -> str:
    provider = c.provider_name if c.provider is IndemnityProvider.OTHER and c.provider_name else c.provider.value
    return f"{provider} membership {c.membership_number}"


def _own_cover_reason(name: str, covers: Sequence[_Cover], on: date) -> str | None:
    """None when a cover including non-NHS work is in force on ``on``; else why not, in words."""
    current = [c for c in covers if c.start_date <= on <= c.end_date]
    if any(c.covers_non_nhs for c in current):
        return None
    if current:
        c = max(current, key=lambda c: c.end_date)
        return (
            f"{name}'s {_cover_name(c)} does not include non-NHS work, which the state scheme (CNSGP) does not "
            "cover either. Record cover that includes non-NHS work before booking them."
        )
    past = [c for c in covers if c.end_date < on]
    future = [c for c in covers if c.start_date > on]
    if future:
        c = min(future, key=lambda c: c.start_date)
        return f"{name}'s own indemnity cover, {_cover_name(c)}, does not start until {format_date(c.start_date)}."
    if past:
        c = max(past, key=lambda c: c.end_date)
        return (
            f"{name}'s own indemnity cover, {_cover_name(c)}, ended on {format_date(c.end_date)}. Record the "
            "renewal before booking them on non-NHS work."
        )
    return (
        f"{name} has no indemnity cover of their own recorded. Non-NHS work needs it: the state scheme (CNSGP) "
        "covers NHS work only."
    )


def own_cover_gate(session: Session, staff_ids: Collection[int], on: date) -> dict[int, str | None]:
    """For each clinician, why they lack their own cover valid for non-NHS work on ``on`` (None: they have it).

    Non-clinical staff map to None (clinical indemnity does not apply to them); an id with no staff record gets a
    reason. Set-based: a few queries whatever the number of ids.
    """
    ids = sorted(set(staff_ids))
    # 1. Who exists and who is a clinician (two narrow columns).
    clinical: dict[int, bool] = {}
    clauses, keep = _id_filter(StaffMember.id, ids)
    for clause in clauses:
        stmt = select(StaffMember.id, Role.is_clinical).join(Role, Role.id == StaffMember.role_id)
        if clause is not None:
            stmt = stmt.where(clause)
        clinical.update((sid, flag) for sid, flag in session.execute(stmt).all() if keep is None or sid in keep)
    clinicians = [sid for sid in ids if clinical.get(sid)]
    # 2. Which of them hold cover for non-NHS work that day (most do): their ids only.
    covered: set[int] = set()
    clauses, keep = _id_filter(IndemnityCover.staff_id, clinicians)
    for clause in clauses:
        stmt = select(IndemnityCover.staff_id).where(
            IndemnityCover.start_date <= on, IndemnityCover.end_date >= on, IndemnityCover.covers_non_nhs.is_(True)
        )
        if clause is not None:
            stmt = stmt.where(clause)
        covered.update(sid for sid in session.scalars(stmt.distinct()).all() if keep is None or sid in keep)
    # 3. Names and covers only for those lacking cover, to say why.
    lacking = [sid for sid in clinicians if sid not in covered]
    people = _people(session, lacking)
    covers = _covers_by_staff(session, lacking)
    out: dict[int, str | None] = {}
    for sid in ids:
        if sid not in clinical:
            out[sid] = f"There is no staff record with id {sid}; it may have been deleted."
        elif not clinical[sid] or sid in covered:
            out[sid] = None
        else:
            out[sid] = _own_cover_reason(people[sid].name, covers.get(sid, []), on)
    return out


def _organisation_clinical_cover(session: Session, holder_practice_id: int | None, on: date) -> bool:
    return (
        session.scalar(
            select(func.count(InsurancePolicy.id)).where(
                _holder_clause(holder_practice_id),
                InsurancePolicy.policy_type.in_([PolicyType.CLINICAL_NEGLIGENCE]),
                InsurancePolicy.start_date <= on,
                InsurancePolicy.end_date >= on,
            )
        )
        or 0
    ) > 0


def cover_for_service(
    session: Session,
    staff_ids: Collection[int],
    on: date,
    scope: ServiceScope,
    holder_practice_id: int | None = None,
) -> dict[int, str | None]:
    """For each person, why they are NOT covered for work of ``scope`` on ``on`` (None: covered).

    * NHS primary medical services: CNSGP covers everyone working in them from 1 April 2019; before then, the
      clinician's own cover is needed.
    * Other NHS services: covered when the organisation delivering them (``holder_practice_id``, None for the
      federation) holds clinical negligence scheme membership (CNST) that day, else by the clinician's own cover.
    * Non-NHS work: the clinician's own cover including non-NHS work.
    Non-clinical staff are always None.
    """
    ids = sorted(set(staff_ids))
    people = _people(session, ids)
    unknown = {sid: f"There is no staff record with id {sid}; it may have been deleted." for sid in ids}
    if scope is ServiceScope.NHS_PRIMARY_MEDICAL and on >= CNSGP_START:
        return {sid: None if sid in people else unknown[sid] for sid in ids}
    if scope is ServiceScope.NHS_OTHER and _organisation_clinical_cover(session, holder_practice_id, on):
        return {sid: None if sid in people else unknown[sid] for sid in ids}
    prefix = ""
    if scope is ServiceScope.NHS_OTHER:
        holder = federation_name(session)
        if holder_practice_id is not None:
            holder = session.scalar(select(Practice.name).where(Practice.id == holder_practice_id)) or "The practice"
        prefix = (
            f"{holder} holds no clinical negligence scheme membership (CNST) on {format_date(on)}, so the "
            "clinician's own cover is needed. "
        )
    elif scope is ServiceScope.NHS_PRIMARY_MEDICAL:
        prefix = (
            f"Before {format_date(CNSGP_START)} there was no state scheme for general practice, so the clinician's "
            "own cover is needed. "
        )
    gate = own_cover_gate(session, ids, on)
    out: dict[int, str | None] = {}
    for sid in ids:
        reason = gate[sid]
        out[sid] = None if reason is None else (reason if sid not in people else prefix + reason)
    return out


def is_clinician_covered(
    session: Session, staff_id: int, on: date, scope: ServiceScope, holder_practice_id: int | None = None
) -> CoverDecision:
    """ "Is this clinician covered for this service on this day?" with the reason either way."""
    reason = cover_for_service(session, [staff_id], on, scope, holder_practice_id)[staff_id]
    if reason is not None:
        return CoverDecision(False, reason)
    person = _people(session, [staff_id])[staff_id]
    if not person.clinical:
        return CoverDecision(True, f"{person.name} is not in a clinical role, so clinical indemnity does not apply.")
    if scope is ServiceScope.NHS_PRIMARY_MEDICAL and on >= CNSGP_START:
        return CoverDecision(
            True,
            f"{person.name} is covered by the Clinical Negligence Scheme for General Practice (CNSGP) for NHS "
            f"primary medical services on {format_date(on)}.",
        )
    if scope is ServiceScope.NHS_OTHER and _organisation_clinical_cover(session, holder_practice_id, on):
        return CoverDecision(
            True, f"{person.name} is covered by the organisation's clinical negligence scheme membership."
        )
    covers = _covers_by_staff(session, [staff_id]).get(staff_id, [])
    c = max((c for c in covers if c.start_date <= on <= c.end_date and c.covers_non_nhs), key=lambda c: c.end_date)
    return CoverDecision(
        True, f"{person.name} has their own {_cover_name(c)} until {format_date(c.end_date)}, including non-NHS work."
    )


def _cover_rows(
    session: Session,
    covers: Sequence[_Cover],
    names: dict[int, str],
    files: dict[int, str] | None = None,
) -> list[CoverRow]:
    if files is None:
        files = _document_names(session, (c.certificate_document_id for c in covers))
    by_staff: dict[int, list[tuple[int, date, date]]] = defaultdict(list)
    for c in covers:
        by_staff[c.staff_id].append((c.id, c.start_date, c.end_date))
    renewed: set[int] = set()
    for periods in by_staff.values():
        renewed |= _renewed(periods)
    rows: list[CoverRow] = []
    for c in covers:  # rows of _COVER_COLUMNS, unpacked by position (attribute access costs more)
        (
            cid,
            ver,
            sid,
            provider,
            provider_name,
            number,
            category,
            basis,
            non_nhs,
            regulatory,
            other,
            s,
            e,
            doc,
            notes,
        ) = c
        rows.append(
            CoverRow(
                cid,
                ver,
                sid,
                names.get(sid, ""),
                provider,
                provider_name,
                number,
                category,
                basis,
                non_nhs,
                regulatory,
                other,
                s,
                e,
                doc,
                files.get(doc) if doc else None,
                notes,
                cid in renewed,
            )
        )
    return rows


def list_covers(session: Session, staff_id: int) -> list[CoverRow]:
    """One person's covers, newest first."""
    people = _people(session, [staff_id])
    if staff_id not in people:
        raise NotFound("This staff record")
    covers = [
        _Cover._make(row)
        for row in session.execute(
            select(*_COVER_COLUMNS)
            .where(IndemnityCover.staff_id == staff_id)
            .order_by(IndemnityCover.start_date.desc(), IndemnityCover.id.desc())
        ).all()
    ]
    return _cover_rows(session, covers, {staff_id: people[staff_id].name})


def _best_cover(rows: list[CoverRow], on: date) -> CoverRow | None:
    current = [r for r in rows if r.start <= on <= r.end]
    if current:
        return max(current, key=lambda r: (r.covers_non_nhs, r.end))
    past = [r for r in rows if r.end < on]
    future = [r for r in rows if r.start > on]
    if past:
        return max(past, key=lambda r: r.end)
    return min(future, key=lambda r: r.start) if future else None


def list_clinician_cover(
    session: Session, on: date, staff_ids: Collection[int] | None = None, window_days: int = EXPIRING_WINDOW_DAYS
) -> list[ClinicianCoverRow]:
    """Every clinician still in post on ``on`` (or those given) with their own cover that day, in three queries."""
    if staff_ids is None:
        ids = list(
            session.scalars(
                select(StaffMember.id)
                .join(Role, Role.id == StaffMember.role_id)
                .where(Role.is_clinical.is_(True), or_(StaffMember.leave_date.is_(None), StaffMember.leave_date >= on))
            ).all()
        )
    else:
        ids = sorted(set(staff_ids))
    people = _people(session, ids)
    employers = holder_names(session)
    covers = _covers_by_staff(session, list(people))
    files = _document_names(session, (c.certificate_document_id for cs in covers.values() for c in cs))
    names = {sid: p.name for sid, p in people.items()}
    by_staff: dict[int, list[CoverRow]] = defaultdict(list)
    for row in _cover_rows(session, [c for cs in covers.values() for c in cs], names, files):
        by_staff[row.staff_id].append(row)
    rows: list[ClinicianCoverRow] = []
    for sid, person in people.items():
        best = _best_cover(by_staff.get(sid, []), on)
        reason = _own_cover_reason(person.name, covers.get(sid, []), on)
        if best is None:
            status = CoverStatus.MISSING
            text = reason or ""
        else:
            st = best.status(on, window_days)
            status = st.status
            text = reason or st.reason
            if status is CoverStatus.EXPIRING and best.renewal_recorded:
                status = CoverStatus.VALID
                if reason is None:
                    text = f"{st.reason[:-1]}; the renewal is recorded."
        rows.append(
            ClinicianCoverRow(
                sid,
                person.version,
                person.name,
                person.role,
                employers.get(person.employer_practice_id, "Unknown practice"),
                best,
                status,
                text,
                reason is None,
            )
        )
    rows.sort(key=lambda r: (r.name.casefold(), r.staff_id))
    return rows


def list_clinical_staff(session: Session) -> list[tuple[int, str, str]]:
    """(id, name, role) of clinicians still in post, for the cover editor's picker."""
    rows = session.execute(
        select(StaffMember.id, StaffMember.given_name, StaffMember.family_name, StaffMember.preferred_name, Role.name)
        .join(Role, Role.id == StaffMember.role_id)
        .where(Role.is_clinical.is_(True), StaffMember.leave_date.is_(None))
    ).all()
    out = [(sid, _staff_name(g, f, p), role) for sid, g, f, p, role in rows]
    return sorted(out, key=lambda r: r[1].casefold())


# ---- saving --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyForm:
    """What the person typed in the policy editor (raw text for amounts; the service validates everything)."""

    holder_practice_id: int | None
    policy_type: PolicyType
    insurer: str
    policy_number: str
    limit: str
    start: date | None
    end: date | None
    excess: str = ""
    limit_basis: LimitBasis = LimitBasis.EACH_OCCURRENCE
    description: str = ""
    abuse_exclusion: bool = False
    notes: str = ""
    certificate_path: str | None = None  # a file to attach as the certificate in the same transaction


@dataclass(frozen=True)
class CoverForm:
    staff_id: int | None
    provider: IndemnityProvider
    membership_number: str
    start: date | None
    end: date | None
    provider_name: str = ""
    category: str = ""
    basis: CoverBasis = CoverBasis.OCCURRENCE
    covers_non_nhs: bool = True
    covers_regulatory: bool = True
    other_scope: str = ""
    notes: str = ""
    certificate_path: str | None = None


def _money(text: str, field_name: str, label: str, required: bool) -> Decimal | None:
    if not (text or "").strip():
        if required:
            raise ValidationError([FieldProblem(field_name, f"{label} is required (for example £10,000,000).")])
        return None
    try:
        amount = parse_money(text, field_name)
    except ValidationError as err:
        raise ValidationError([FieldProblem(field_name, f"{label}: {err.problems[0].message}")]) from None
    if amount < 0:
        raise ValidationError([FieldProblem(field_name, f"{label} cannot be negative.")])
    if amount > LARGEST_LIMIT:
        raise ValidationError(
            [FieldProblem(field_name, f"{label} of {format_money(amount)} is more than any policy offers; check it.")]
        )
    return amount


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    problems = []
    if start is None:
        problems.append(FieldProblem("start", "The start date is required (dd/mm/yyyy)."))
    if end is None:
        problems.append(FieldProblem("end", "The end date is required: the last day the cover is in force."))
    if problems:
        raise ValidationError(problems)
    assert start is not None and end is not None
    if end < start:
        raise ValidationError(
            [FieldProblem("end", f"The end date {format_date(end)} is before the start date {format_date(start)}.")]
        )
    if (end - start).days > LONGEST_PERIOD_DAYS:
        raise ValidationError(
            [FieldProblem("end", "The period is longer than ten years; policies run a year or a few. Check the dates.")]
        )
    return start, end


def _needs_limit(session: Session, policy_type: PolicyType) -> bool:
    needs = session.scalar(select(PolicyTypeInfo.needs_limit).where(PolicyTypeInfo.policy_type == policy_type))
    if needs is None:
        return policy_type is not PolicyType.CLINICAL_NEGLIGENCE
    return bool(needs)


def save_policy(
    session: Session, form: PolicyForm, policy_id: int | None = None, expected_version: int | None = None
) -> Changes:
    """Add or change an organisation policy (and attach its certificate file if one was chosen)."""
    needs_limit = _needs_limit(session, form.policy_type)
    insurer, number, description, notes, limit, excess, period = v.collect(
        lambda: v.required_text(form.insurer, "insurer", "The insurer", 120),
        lambda: v.required_text(form.policy_number, "policy_number", "The policy number", 60),
        lambda: v.optional_text(form.description, "description", "The description", 200),
        lambda: v.optional_text(form.notes, "notes", "The notes", 4000),
        lambda: _money(form.limit, "limit", "The limit of indemnity", needs_limit),
        lambda: _money(form.excess, "excess", "The excess", False),
        lambda: _period(form.start, form.end),
    )
    problems = []
    if form.policy_type is PolicyType.OTHER and not description:
        problems.append(
            FieldProblem("description", "Say what an 'other' policy covers, e.g. Directors' and officers'.")
        )
    if limit is not None and limit == 0:
        problems.append(
            FieldProblem(
                "limit",
                "The limit of indemnity cannot be £0; leave it empty only for scheme membership with no stated limit.",
            )
        )
    if limit is not None and excess is not None and excess >= limit:
        problems.append(
            FieldProblem(
                "excess", f"The excess {format_money(excess)} is not less than the limit {format_money(limit)}."
            )
        )
    if form.holder_practice_id is not None and session.get(Practice, form.holder_practice_id) is None:
        problems.append(FieldProblem("holder_practice_id", "The chosen practice no longer exists. Choose another."))
    if problems:
        raise ValidationError(problems)
    start, end = period  # type: ignore[misc]
    if policy_id is None:
        policy = InsurancePolicy()
        session.add(policy)
    else:
        policy = load_for_edit(session, InsurancePolicy, policy_id, expected_version)
    policy.holder_practice_id = form.holder_practice_id
    policy.policy_type = form.policy_type
    policy.description = description  # type: ignore[assignment]
    policy.insurer, policy.policy_number = insurer, number  # type: ignore[assignment]
    policy.limit_of_indemnity, policy.excess = limit, excess  # type: ignore[assignment]
    policy.limit_basis = form.limit_basis
    policy.start_date, policy.end_date = start, end
    policy.abuse_exclusion = form.abuse_exclusion
    policy.notes = notes  # type: ignore[assignment]
    session.flush()
    if form.certificate_path:
        doc_id, _c = attach_file(session, Path(form.certificate_path), (POLICY_KIND, policy.id), "certificate")
        policy.certificate_document_id = doc_id
        session.flush()
    label = form.policy_type.label if form.policy_type is not PolicyType.OTHER else (description or "Policy")
    return Changes.of(
        "indemnity", "insurance_policy", "document", ids=(policy.id,), message=f"{label} policy {number} saved."
    )


def delete_policy(session: Session, policy_id: int, expected_version: int | None) -> Changes:
    policy = load_for_edit(session, InsurancePolicy, policy_id, expected_version)
    number = policy.policy_number
    session.delete(policy)
    session.flush()
    return Changes.of("indemnity", "insurance_policy", ids=(policy_id,), message=f"Policy {number} deleted.")


def save_cover(
    session: Session, form: CoverForm, cover_id: int | None = None, expected_version: int | None = None
) -> Changes:
    """Add or change a clinician's own indemnity cover (and attach its certificate if one was chosen)."""
    number, provider_name, category, other_scope, notes, period = v.collect(
        lambda: v.required_text(form.membership_number, "membership_number", "The membership number", 40),
        lambda: v.optional_text(form.provider_name, "provider_name", "The provider's name", 120),
        lambda: v.optional_text(form.category, "category", "The category", 120),
        lambda: v.optional_text(form.other_scope, "other_scope", "Other cover", 200),
        lambda: v.optional_text(form.notes, "notes", "The notes", 4000),
        lambda: _period(form.start, form.end),
    )
    problems = []
    if form.staff_id is None or session.get(StaffMember, form.staff_id) is None:
        problems.append(FieldProblem("staff_id", "Choose the clinician this cover belongs to."))
    if form.provider is IndemnityProvider.OTHER and not provider_name:
        problems.append(FieldProblem("provider_name", "Name the provider when it is not MDU, MPS or MDDUS."))
    if not (form.covers_non_nhs or form.covers_regulatory or other_scope):
        problems.append(
            FieldProblem(
                "scope",
                "Tick what the cover includes (non-NHS work, regulatory representation) or describe other cover.",
            )
        )
    if problems:
        raise ValidationError(problems)
    start, end = period  # type: ignore[misc]
    if cover_id is None:
        cover = IndemnityCover()
        session.add(cover)
    else:
        cover = load_for_edit(session, IndemnityCover, cover_id, expected_version)
    cover.staff_id = form.staff_id  # type: ignore[assignment]
    cover.provider = form.provider
    cover.provider_name = provider_name if form.provider is IndemnityProvider.OTHER else None  # type: ignore[assignment]
    cover.membership_number, cover.category = number, category  # type: ignore[assignment]
    cover.basis = form.basis
    cover.covers_non_nhs, cover.covers_regulatory = form.covers_non_nhs, form.covers_regulatory
    cover.other_scope, cover.notes = other_scope, notes  # type: ignore[assignment]
    cover.start_date, cover.end_date = start, end
    session.flush()
    if form.certificate_path:
        doc_id, _c = attach_file(session, Path(form.certificate_path), (COVER_KIND, cover.id), "certificate")
        cover.certificate_document_id = doc_id
        session.flush()
    return Changes.of(
        "indemnity", "indemnity_cover", "document", ids=(cover.id,), message=f"Indemnity cover {number} saved."
    )


def delete_cover(session: Session, cover_id: int, expected_version: int | None) -> Changes:
    cover = load_for_edit(session, IndemnityCover, cover_id, expected_version)
    session.delete(cover)
    session.flush()
    return Changes.of("indemnity", "indemnity_cover", ids=(cover_id,), message="Indemnity cover deleted.")


def attach_certificate(
    session: Session, kind: str, record_id: int, path: str, expected_version: int | None = None
) -> Changes:
    """Attach a certificate file (chosen or dropped) to a policy or a cover, and make it the current one.

    Earlier certificates stay attached to the record (keep each year's, DOMAIN.md 3.3).
    """
    model: type[InsurancePolicy] | type[IndemnityCover]
    if kind == POLICY_KIND:
        model = InsurancePolicy
    elif kind == COVER_KIND:
        model = IndemnityCover
    else:
        raise ValueError(f"unknown record kind {kind!r}")
    record = load_for_edit(session, model, record_id, expected_version)
    doc_id, _c = attach_file(session, Path(path), (kind, record_id), "certificate")
    record.certificate_document_id = doc_id
    session.flush()
    return Changes.of(
        "indemnity", kind, "document", ids=(record_id,), message=f"Certificate '{Path(path).name}' attached."
    )


# ---- renewals, gaps and the timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class RenewalRow:
    kind: str  # POLICY_KIND or COVER_KIND
    record_id: int
    version: int
    due: date  # the last day covered
    days_left: int
    what: str
    holder: str
    detail: str
    renewal_recorded: bool

    @property
    def band(self) -> int | None:
        """The tightest warning band (7, 30 or 60 days) the due date falls in; None beyond 60 days."""
        return next((b for b in RENEWAL_WARNINGS if self.days_left <= b), None)

    @property
    def state(self) -> str:
        if self.renewal_recorded:
            return "Renewal recorded"
        if self.days_left < 0:
            return f"Lapsed {_days(-self.days_left)} ago"
        if self.days_left == 0:
            return "Ends today"
        return f"{_days(self.days_left)} left"


def renewal_calendar(
    session: Session,
    today: date,
    days: int = RENEWAL_CALENDAR_DAYS,
    lapsed_days: int = 30,
    policies: list[PolicyRow] | None = None,
) -> list[RenewalRow]:
    """Policies and clinicians' covers whose last day falls in the next ``days`` days, soonest first.

    Also lists those that ended in the last ``lapsed_days`` days with no renewal recorded (they have lapsed).
    """
    horizon = today + timedelta(days=days)
    since = today - timedelta(days=lapsed_days)
    rows: list[RenewalRow] = []
    due = [
        p
        for p in (list_policies(session) if policies is None else policies)
        if today <= p.end <= horizon or (since <= p.end < today and not p.renewal_recorded)
    ]
    for p in due:
        rows.append(
            RenewalRow(
                POLICY_KIND,
                p.id,
                p.version,
                p.end,
                (p.end - today).days,
                p.type_label,
                p.holder_name,
                f"{p.insurer}, policy {p.policy_number}, {p.limit_text}",
                p.renewal_recorded,
            )
        )
    staff_ids = sorted(
        session.scalars(
            select(IndemnityCover.staff_id)
            .where(IndemnityCover.end_date >= since, IndemnityCover.end_date <= horizon)
            .distinct()
        ).all()
    )
    people = _people(session, staff_ids)
    all_covers = _covers_by_staff(session, staff_ids)
    files = _document_names(session, (c.certificate_document_id for cs in all_covers.values() for c in cs))
    for sid in staff_ids:
        person = people[sid]
        if person.leave_date is not None and person.leave_date < today:
            continue
        for c in _cover_rows(session, all_covers[sid], {sid: person.name}, files):
            in_window = today <= c.end <= horizon or (since <= c.end < today and not c.renewal_recorded)
            if not in_window:
                continue
            rows.append(
                RenewalRow(
                    COVER_KIND,
                    c.id,
                    c.version,
                    c.end,
                    (c.end - today).days,
                    f"Indemnity cover ({c.provider_label})",
                    person.name,
                    f"{person.role}; membership {c.membership_number}",
                    c.renewal_recorded,
                )
            )
    rows.sort(key=lambda r: (r.due, r.kind, r.holder.casefold()))
    return rows


@dataclass(frozen=True)
class GapRow:
    holder_practice_id: int | None
    holder: str
    policy_type: PolicyType
    start: date
    end: date

    @property
    def text(self) -> str:
        return f"{self.holder}: no {self.policy_type.label.lower()} policy {_stretch(self.start, self.end)}"


def find_gaps(session: Session, start: date, end: date) -> list[GapRow]:
    """Gaps between consecutive policies of one holder and type within ``start..end`` (both sides bounded).

    A holder whose policy simply runs out (no later policy) is not a gap here: the renewal calendar shows it.
    """
    names = holder_names(session)
    groups: dict[tuple[int | None, PolicyType], list[Period]] = defaultdict(list)
    for holder, ptype, s, e, lim in session.execute(
        select(
            InsurancePolicy.holder_practice_id,
            InsurancePolicy.policy_type,
            InsurancePolicy.start_date,
            InsurancePolicy.end_date,
            InsurancePolicy.limit_of_indemnity,
        ).where(InsurancePolicy.policy_type != PolicyType.OTHER)
    ).all():
        groups[(holder, ptype)].append((s, e, lim))
    out: list[GapRow] = []
    for (holder, ptype), periods in groups.items():
        first = min(p[0] for p in periods)
        last = max(p[1] for p in periods)
        lo, hi = max(start, first), min(end, last)
        if lo > hi:
            continue
        gaps, _short = evaluate_periods(periods, lo, hi, Decimal(0))
        out.extend(GapRow(holder, names.get(holder, "Unknown practice"), ptype, a, b) for a, b in gaps)
    out.sort(key=lambda g: (g.start, g.holder.casefold()))
    return out


@dataclass(frozen=True)
class TimelineBar:
    policy_id: int
    start: date  # clipped to the window
    end: date
    limit: Decimal | None
    insurer: str
    policy_number: str
    below_guidance: bool  # limit below the statutory minimum (or, where none, what buyers commonly ask)

    @property
    def label(self) -> str:
        limit = "no stated limit" if self.limit is None else format_money(self.limit)
        return f"{self.insurer} {self.policy_number}: {limit}, {format_date(self.start)} to {format_date(self.end)}"


@dataclass(frozen=True)
class TimelineLane:
    policy_type: PolicyType
    label: str
    bars: tuple[TimelineBar, ...]
    gaps: tuple[tuple[date, date], ...]


@dataclass(frozen=True)
class Timeline:
    holder_practice_id: int | None
    holder: str
    start: date
    end: date
    today: date
    lanes: tuple[TimelineLane, ...]


def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    days_in_month = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, days_in_month))


def default_timeline_start(today: date) -> date:
    """The first of the month three months back: the window shows the recent past and nine months ahead."""
    return add_months(today.replace(day=1), -3)


def policy_timeline(
    session: Session, holder_practice_id: int | None, start: date, today: date, months: int = 12
) -> Timeline:
    """A lane per policy type for one holder over ``months`` months from ``start``: policies as bars, gaps marked.

    Lanes: every type the holder has ever held, plus the types the reference data expects of every holder
    (employers' and public liability), so missing cover shows as a gap across the lane.
    """
    end = add_months(start, months) - timedelta(days=1)
    info = {r.policy_type: r for r in session.scalars(select(PolicyTypeInfo)).all()}
    policies = list(session.scalars(select(InsurancePolicy).where(_holder_clause(holder_practice_id))).all())
    expected = {t for t, r in info.items() if r.expected_of_holders} or (
        {PolicyType.EMPLOYERS_LIABILITY, PolicyType.PUBLIC_LIABILITY} if not info else set()
    )
    # One lane per type; "other" policies get a lane for each thing they cover (D&O, motor ...).
    groups: dict[tuple[PolicyType, str], list[InsurancePolicy]] = {(t, ""): [] for t in expected}
    for p in policies:
        sub = (p.description or "").strip().casefold() if p.policy_type is PolicyType.OTHER else ""
        groups.setdefault((p.policy_type, sub), []).append(p)

    def order(key: tuple[PolicyType, str]) -> tuple[int, str, str]:
        return (info[key[0]].sort_order if key[0] in info else 100, key[0].label, key[1])

    lanes: list[TimelineLane] = []
    for ptype, sub in sorted(groups, key=order):
        guidance = info.get(ptype)
        threshold = None
        if guidance is not None:
            threshold = guidance.statutory_minimum or guidance.typical_minimum
        elif ptype is PolicyType.EMPLOYERS_LIABILITY:
            threshold = EL_STATUTORY_MINIMUM
        mine = sorted(groups[(ptype, sub)], key=lambda p: p.start_date)
        bars = tuple(
            TimelineBar(
                p.id,
                max(p.start_date, start),
                min(p.end_date, end),
                p.limit_of_indemnity,
                p.insurer,
                p.policy_number,
                threshold is not None and p.limit_of_indemnity is not None and p.limit_of_indemnity < threshold,
            )
            for p in mine
            if p.start_date <= end and p.end_date >= start
        )
        # Before a holder first took out a policy nobody expects of them, there was nothing to lapse.
        lane_start = start if ptype in expected or not mine else max(start, mine[0].start_date)
        gaps: list[tuple[date, date]] = []
        if lane_start <= end:
            gaps, _short = evaluate_periods(
                [(p.start_date, p.end_date, p.limit_of_indemnity) for p in mine], lane_start, end, Decimal(0)
            )
        label = guidance.name if guidance is not None else ptype.label
        if ptype is PolicyType.OTHER and mine and mine[-1].description:
            label = mine[-1].description
        lanes.append(TimelineLane(ptype, label, bars, tuple(gaps)))
    if holder_practice_id is None:
        holder = federation_name(session)
    else:
        holder = session.scalar(select(Practice.name).where(Practice.id == holder_practice_id)) or "Practice"
    return Timeline(holder_practice_id, holder, start, end, today, tuple(lanes))


# ---- reference data ------------------------------------------------------------------------------------------


def list_policy_types(session: Session) -> list[PolicyTypeRow]:
    return [
        PolicyTypeRow(
            r.id,
            r.version,
            r.policy_type,
            r.name,
            r.description,
            r.compulsory,
            r.statutory_minimum,
            r.typical_minimum,
            r.needs_limit,
            r.expected_of_holders,
            r.source,
            r.sort_order,
        )
        for r in session.scalars(select(PolicyTypeInfo).order_by(PolicyTypeInfo.sort_order)).all()
    ]


def list_insurers(session: Session) -> list[InsurerRow]:
    return [
        InsurerRow(r.name, r.kind, r.note)
        for r in session.scalars(select(Insurer).where(Insurer.active.is_(True)).order_by(Insurer.kind, Insurer.name))
    ]


@dataclass(frozen=True)
class PolicyTypeForm:
    statutory_minimum: str
    typical_minimum: str
    expected_of_holders: bool
    description: str


def save_policy_type(session: Session, form: PolicyTypeForm, type_id: int, expected_version: int | None) -> Changes:
    """Change the guidance for a kind of policy (the federation's own figures; upgrades never overwrite them)."""
    statutory, typical, description = v.collect(
        lambda: _money(form.statutory_minimum, "statutory_minimum", "The legal minimum", False),
        lambda: _money(form.typical_minimum, "typical_minimum", "What buyers commonly ask", False),
        lambda: v.optional_text(form.description, "description", "The description", 4000),
    )
    info = load_for_edit(session, PolicyTypeInfo, type_id, expected_version)
    info.statutory_minimum, info.typical_minimum = statutory, typical  # type: ignore[assignment]
    info.expected_of_holders = form.expected_of_holders
    info.description = description  # type: ignore[assignment]
    session.flush()
    return Changes.of("indemnity", "policy_type", ids=(type_id,), message=f"Guidance for {info.name} saved.")


def statutory_minimum(session: Session, policy_type: PolicyType) -> Decimal | None:
    value = session.scalar(select(PolicyTypeInfo.statutory_minimum).where(PolicyTypeInfo.policy_type == policy_type))
    if value is None and policy_type is PolicyType.EMPLOYERS_LIABILITY:
        has_row = session.scalar(select(PolicyTypeInfo.id).where(PolicyTypeInfo.policy_type == policy_type))
        return None if has_row else EL_STATUTORY_MINIMUM
    return value


@reference_loader(40, "insurance")
def load_insurance_reference(session: Session) -> int:
    """Policy type guidance and the insurer catalogue, each loaded only while its table is empty."""
    data = read_reference("insurance.json")
    added = 0
    if not session.scalar(select(func.count(PolicyTypeInfo.id))):
        for item in data["policy_types"]:
            session.add(
                PolicyTypeInfo(
                    policy_type=PolicyType(item["policy_type"]),
                    name=item["name"],
                    description=item["description"],
                    compulsory=item["compulsory"],
                    statutory_minimum=Decimal(item["statutory_minimum"]) if item["statutory_minimum"] else None,
                    typical_minimum=Decimal(item["typical_minimum"]) if item["typical_minimum"] else None,
                    needs_limit=item["needs_limit"],
                    expected_of_holders=item["expected_of_holders"],
                    sort_order=item["sort_order"],
                    source=f"{item['source']} [{item['confidence']}]",
                )
            )
            added += 1
    if not session.scalar(select(func.count(Insurer.id))):
        for item in data["insurers"]:
            session.add(
                Insurer(
                    name=item["name"],
                    kind=item["kind"],
                    note=item["note"],
                    source=f"{item['source']} [{item['confidence']}]",
                )
            )
            added += 1
    session.flush()
    return added


# ---- what needs attention ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attention:
    """Everything the dashboard card and the page banner say, computed once."""

    renewals_30: list[RenewalRow]
    lapsed: list[RenewalRow]
    gaps: list[GapRow]
    below_statutory: list[PolicyRow]
    clinicians_without_cover: int
    clinicians: int
    policies_in_force: int
    no_employers_liability: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return len(self.lapsed) + len(self.gaps) + len(self.below_statutory) + len(self.no_employers_liability)


def attention(
    session: Session,
    today: date,
    renewals: list[RenewalRow] | None = None,
    clinicians: list[ClinicianCoverRow] | None = None,
    policies: list[PolicyRow] | None = None,
) -> Attention:
    """What needs attention on ``today``; pass rows already loaded (the page has them) to avoid reading twice."""
    if renewals is None:
        renewals = renewal_calendar(session, today, 60)
    soon = [r for r in renewals if 0 <= r.days_left <= 30 and not r.renewal_recorded and r.kind == POLICY_KIND]
    lapsed = [r for r in renewals if r.days_left < 0 and r.kind == POLICY_KIND]
    gaps = find_gaps(session, today - timedelta(days=365), today + timedelta(days=365))
    if policies is None:
        schedule = insurance_schedule(session, today, all_holders=True)
    else:
        schedule = [p for p in policies if p.start <= today <= p.end]
    el_min = statutory_minimum(session, PolicyType.EMPLOYERS_LIABILITY)
    below = [
        p
        for p in schedule
        if p.policy_type is PolicyType.EMPLOYERS_LIABILITY
        and el_min is not None
        and p.limit is not None
        and p.limit < el_min
    ]
    if clinicians is None:
        clinicians = list_clinician_cover(session, today)
    without = sum(1 for c in clinicians if not c.ok_for_non_nhs)
    return Attention(
        soon, lapsed, gaps, below, without, len(clinicians), len(schedule), missing_compulsory(session, today)
    )


@dashboard_card(40, "indemnity")
def indemnity_card(session: Session, today: date) -> DashboardCard | None:
    if not session.scalar(select(func.count(InsurancePolicy.id))) and not session.scalar(
        select(func.count(IndemnityCover.id))
    ):
        return DashboardCard(
            "indemnity",
            "Insurance and indemnity",
            "No policies recorded yet",
            ("Record the federation's employers' liability (compulsory) and other policies on the Indemnity page.",),
            Severity.WARNING,
            "indemnity",
            40,
        )
    a = attention(session, today)
    details: list[str] = []
    severity = Severity.GOOD
    for text in a.no_employers_liability[:2]:
        details.append(text)
        severity = Severity.DANGER
    for p in a.below_statutory[:2]:
        details.append(
            f"{p.holder_name}'s employers' liability limit {p.limit_text} is below the legal minimum of "
            f"{format_money(statutory_minimum(session, PolicyType.EMPLOYERS_LIABILITY))}."
        )
        severity = Severity.DANGER
    for r in a.lapsed[:2]:
        details.append(f"{r.holder}'s {r.what.lower()} lapsed on {format_date(r.due)} with no renewal recorded.")
        severity = Severity.DANGER
    for g in a.gaps[:2]:
        details.append(f"Gap: {g.text}.")
        if severity is not Severity.DANGER:
            severity = Severity.WARNING
    # One line per holder and day: a practice's surgery policy often carries EL and PL together.
    grouped: dict[tuple[str, date], list[RenewalRow]] = {}
    for r in a.renewals_30:
        grouped.setdefault((r.holder, r.due), []).append(r)
    for (holder, due), items in list(grouped.items())[:3]:
        whats = [r.what.lower() for r in items]
        what = whats[0] if len(whats) == 1 else ", ".join(whats[:-1]) + " and " + whats[-1]
        verb = "ends" if len(items) == 1 else "end"
        details.append(f"{holder}: {what} {verb} {format_date(due)} ({items[0].state}).")
        if severity is Severity.GOOD:
            severity = Severity.WARNING
    if len(grouped) > 3:
        details.append(f"And {len(grouped) - 3} more to renew within 30 days (see the renewal calendar).")
    if a.clinicians_without_cover:
        details.append(
            f"{a.clinicians_without_cover} of {a.clinicians} clinicians have no own cover for non-NHS work today."
        )
        if severity is Severity.GOOD:
            severity = Severity.INFO
    if a.renewals_30:
        headline = f"{len(a.renewals_30)} polic{'y' if len(a.renewals_30) == 1 else 'ies'} to renew within 30 days"
    elif a.problems:
        headline = f"{a.problems} problem{'s' if a.problems != 1 else ''} with insurance cover"
    else:
        headline = f"{a.policies_in_force} policies in force, none due within 30 days"
    return DashboardCard("indemnity", "Insurance and indemnity", headline, tuple(details), severity, "indemnity", 40)


def missing_compulsory(session: Session, on: date) -> list[str]:
    """Holders with no employers' liability policy in force on ``on`` although they employ staff."""
    employers = set(
        session.scalars(
            select(StaffMember.employer_practice_id)
            .where(or_(StaffMember.leave_date.is_(None), StaffMember.leave_date >= on))
            .distinct()
        ).all()
    )
    held = set(
        session.scalars(
            select(InsurancePolicy.holder_practice_id).where(
                and_(
                    InsurancePolicy.policy_type == PolicyType.EMPLOYERS_LIABILITY,
                    InsurancePolicy.start_date <= on,
                    InsurancePolicy.end_date >= on,
                )
            )
        ).all()
    )
    names = holder_names(session)
    return sorted(
        (
            f"{names.get(h, 'Unknown practice')} employs staff but has no employers' liability policy in force on "
            f"{format_date(on)}."
        )
        for h in employers - held
    )


@dataclass(frozen=True)
class IndemnityData:
    """Everything the Indemnity page shows, loaded on a worker in one go."""

    today: date
    policies: list[PolicyRow]
    holders: list[HolderRow]
    insurers: list[InsurerRow]
    clinicians: list[ClinicianCoverRow]
    clinical_staff: list[tuple[int, str, str]]
    renewals: list[RenewalRow]
    attention: Attention
    policy_types: list[PolicyTypeRow]


def load_indemnity(session: Session, today: date) -> IndemnityData:
    clinicians = list_clinician_cover(session, today)
    policies = list_policies(session)
    renewals = renewal_calendar(session, today, policies=policies)
    return IndemnityData(
        today,
        policies,
        list_holders(session),
        list_insurers(session),
        clinicians,
        list_clinical_staff(session),
        renewals,
        attention(session, today, renewals, clinicians, policies),
        list_policy_types(session),
    )


@dataclass(frozen=True)
class StaffCoverData:
    """One person's own cover for the Indemnity tab of their staff record."""

    staff_id: int
    name: str
    role: str
    clinical: bool
    covers: list[CoverRow]
    ok_for_non_nhs: bool
    summary: str


def staff_cover(session: Session, staff_id: int, on: date) -> StaffCoverData:
    people = _people(session, [staff_id])
    if staff_id not in people:
        raise NotFound("This staff record")
    person = people[staff_id]
    covers = list_covers(session, staff_id)
    reason = own_cover_reason_for(session, staff_id, on)
    if not person.clinical:
        summary = (
            f"{person.name} is in a non-clinical role ({person.role}): clinical indemnity does not apply, and the "
            "employer's liability insurance covers them."
        )
        if covers:
            summary += " Cover recorded for them is listed below."
    elif reason is None:
        current = max((c for c in covers if c.start <= on <= c.end and c.covers_non_nhs), key=lambda c: c.end)
        summary = (
            f"Covered for non-NHS work on {format_date(on)}: {current.provider_label} membership "
            f"{current.membership_number}, until {format_date(current.end)}. NHS work is covered by CNSGP."
        )
    else:
        summary = reason
    return StaffCoverData(staff_id, person.name, person.role, person.clinical, covers, reason is None, summary)


def own_cover_reason_for(session: Session, staff_id: int, on: date) -> str | None:
    """Why this clinician lacks own cover for non-NHS work on ``on`` (None: covered, or not a clinician)."""
    return own_cover_gate(session, [staff_id], on)[staff_id]
