"""Contracts: their obligations, reporting periods, KPI values entered by hand, and produced-report records.

Reading returns frozen rows; writing validates the raw text a person typed and returns ``Changes``. The evaluation
of obligations against live data is in ``services.contract_evaluators``; the PDF in ``reports.compliance_report``.

Reporting periods are calendar months (``2026-09``), calendar quarters (``2026-Q3`` is July to September 2026) or
NHS financial years (``2026/27`` is 1 April 2026 to 31 March 2027), clipped to the contract's term.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation_desk.db.session import load_for_edit
from federation_desk.domain.contracts import (
    ComplianceReportResult,
    ComplianceReportRun,
    Contract,
    ContractPractice,
    Direction,
    KpiTemplate,
    KpiValue,
    Obligation,
    ObligationType,
    Rag,
    ReportingFrequency,
    ReportingPeriod,
)
from federation_desk.domain.organisation import Pcn, Practice
from federation_desk.domain.staff import StaffMember
from federation_desk.errors import FieldProblem, NotFound, StaleEditError, ValidationError
from federation_desk.services import validators as v
from federation_desk.services.changes import Changes
from federation_desk.services.dates import format_date, today
from federation_desk.services.money import format_money, parse_money
from federation_desk.services.reference import read_reference, reference_loader

CHANGE_KINDS = ("contract",)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# ---- units and red/amber/green -------------------------------------------------------------------------------

PERCENT = "%"
UNITS: dict[str, int] = {  # unit -> decimals shown
    PERCENT: 1,
    "count": 0,
    "minutes per 1,000 per week": 1,
    "days": 1,
    "rate per 1,000": 2,
    "score": 1,
    "number": 2,
}


def format_value(value: float | None, unit: str, empty: str = "–") -> str:
    """A value as a person reads it: ``94.5%``, ``12``, ``61.3 minutes per 1,000 per week``."""
    if value is None:
        return empty
    decimals = UNITS.get(unit, 2)
    text = f"{value:,.{decimals}f}"
    if decimals and "." in text and unit not in UNITS:
        text = text.rstrip("0").rstrip(".")
    if unit == PERCENT:
        return f"{text}%"
    if unit in ("count", "number", "score", ""):
        return text
    return f"{text} {unit}"


def format_short(value: float | None, unit: str, empty: str = "–") -> str:
    """Like :func:`format_value` without a long unit name (for table cells with the unit in the header)."""
    if value is None:
        return empty
    decimals = UNITS.get(unit, 2)
    text = f"{value:,.{decimals}f}"
    return f"{text}%" if unit == PERCENT else text


def rag_for(value: float | None, direction: Direction, green: float, amber: float) -> Rag:
    """Red, amber or green for ``value`` against the thresholds; grey when there is no value.

    Higher is better: green at or above ``green``, amber at or above ``amber``, red below. Lower is better: green
    at or below ``green``, amber at or below ``amber``, red above. Values are compared to six decimal places so a
    percentage computed as 19/20 x 100 is exactly 95.
    """
    if value is None:
        return Rag.GREY
    value = round(value, 6)
    if direction is Direction.HIGHER_IS_BETTER:
        if value >= green:
            return Rag.GREEN
        return Rag.AMBER if value >= amber else Rag.RED
    if value <= green:
        return Rag.GREEN
    return Rag.AMBER if value <= amber else Rag.RED


def threshold_text(direction: Direction, green: float, amber: float, unit: str) -> str:
    """ "Green at 95.0% or more; amber from 85.0%; red below 85.0%"."""
    g, a = format_value(green, unit), format_value(amber, unit)
    if direction is Direction.HIGHER_IS_BETTER:
        if green == amber:
            return f"Green at {g} or more; red below {g}"
        return f"Green at {g} or more; amber from {a}; red below {a}"
    if green == amber:
        return f"Green at {g} or less; red above {g}"
    return f"Green at {g} or less; amber up to {a}; red above {a}"


def worst(rags: Iterable[Rag]) -> Rag:
    """The overall RAG: the worst judged result (grey only when nothing could be judged)."""
    judged = [r for r in rags if r is not Rag.GREY]
    if not judged:
        return Rag.GREY
    return max(judged, key=lambda r: r.severity)


def rag_counts_text(rags: Sequence[Rag]) -> str:
    parts = []
    for rag in (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.GREY):
        n = sum(1 for r in rags if r is rag)
        if n:
            parts.append(f"{n} {rag.label.lower()}")
    return ", ".join(parts) or "no obligations"


# ---- reporting periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodSpan:
    label: str
    start: date
    end: date


def _month_end(year: int, month: int) -> date:
    return (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)


def period_containing(frequency: ReportingFrequency, day: date) -> PeriodSpan:
    """The whole (unclipped) period of ``frequency`` that contains ``day``."""
    if frequency is ReportingFrequency.MONTHLY:
        return PeriodSpan(f"{day.year}-{day.month:02d}", day.replace(day=1), _month_end(day.year, day.month))
    if frequency is ReportingFrequency.QUARTERLY:
        q = (day.month - 1) // 3 + 1
        first = 3 * q - 2
        return PeriodSpan(f"{day.year}-Q{q}", date(day.year, first, 1), _month_end(day.year, first + 2))
    fy = day.year if day.month >= 4 else day.year - 1
    return PeriodSpan(f"{fy}/{(fy + 1) % 100:02d}", date(fy, 4, 1), date(fy + 1, 3, 31))


_QUARTER = re.compile(r"^(\d{4})\s*[-/ ]?\s*Q([1-4])$|^Q([1-4])\s*[-/ ]?\s*(\d{4})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$|^(\d{1,2})/(\d{4})$")
_YEAR = re.compile(r"^(?:FY\s*)?(\d{4})\s*/\s*(\d{2}|\d{4})$", re.IGNORECASE)


def parse_period_label(text: str, frequency: ReportingFrequency) -> PeriodSpan:
    """Read a period as people write it: ``2026-Q3``, ``Q3 2026``, ``2026-09``, ``09/2026``, ``2026/27``."""
    raw = " ".join(text.split())
    if frequency is ReportingFrequency.QUARTERLY:
        m = _QUARTER.match(raw)
        if m:
            year, q = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(4)), int(m.group(3)))
            return period_containing(frequency, date(year, 3 * q - 2, 1))
        example = "2026-Q3 (July to September 2026)"
    elif frequency is ReportingFrequency.MONTHLY:
        m = _MONTH.match(raw)
        if m:
            year, month = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(4)), int(m.group(3)))
            if 1 <= month <= 12:
                return period_containing(frequency, date(year, month, 1))
        example = "2026-09 (September 2026)"
    else:
        m = _YEAR.match(raw)
        if m:
            start = int(m.group(1))
            end = int(m.group(2))
            if end in (start + 1, (start + 1) % 100):
                return period_containing(frequency, date(start, 4, 1))
        example = "2026/27 (April 2026 to March 2027)"
    raise ValidationError(
        [
            FieldProblem(
                "period", f"'{text.strip()}' is not a {frequency.value} reporting period. Write it like {example}."
            )
        ]
    )


def describe_period(label: str, start: date, end: date) -> str:
    """ "July to September 2026" (the months a period covers), with the exact dates if it is clipped."""
    if start.day == 1 and end == _month_end(end.year, end.month):
        first = f"{MONTHS[start.month - 1]} {start.year}"
        last = f"{MONTHS[end.month - 1]} {end.year}"
        if (start.year, start.month) == (end.year, end.month):
            return first
        if start.year == end.year:
            return f"{MONTHS[start.month - 1]} to {last}"
        return f"{first} to {last}"
    return f"{format_date(start)} to {format_date(end)}"


def term_periods(frequency: ReportingFrequency, start: date, end: date) -> list[PeriodSpan]:
    """Every reporting period of a term, the first and last clipped to the term's dates."""
    spans: list[PeriodSpan] = []
    day = start
    while day <= end:
        whole = period_containing(frequency, day)
        spans.append(PeriodSpan(whole.label, max(whole.start, start), min(whole.end, end)))
        day = whole.end + timedelta(days=1)
    return spans


# ---- obligation types and their parameters -------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSpec:
    key: str
    label: str
    kind: str  # "bool", "money", "choice", "practice_or_federation", "pcns"
    default: Any = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    hint: str = ""


@dataclass(frozen=True)
class TypeSpec:
    obligation_type: ObligationType
    unit: str
    direction: Direction
    target: float | None
    green: float
    amber: float
    method: str  # how the value is measured (shown in the editor and in the report's evidence appendix)
    params: tuple[ParamSpec, ...] = ()


STAFF_BASIS = (
    ("auto", "Automatic: rota staff when the contract names services, else the practices' staff"),
    ("rota", "Staff who worked a rota session for the contract in the period"),
    ("practices", "Staff employed by or working for the contract's practices"),
)


def policy_choices() -> tuple[tuple[str, str], ...]:
    from federation_desk.domain.indemnity import PolicyType

    return tuple((p.value, p.label) for p in PolicyType)


def type_specs() -> dict[ObligationType, TypeSpec]:
    """What each obligation type measures, its default unit and thresholds, and its parameters."""
    staff_basis = ParamSpec(
        "staff_basis", "Staff counted", "choice", "auto", STAFF_BASIS, "Who counts as working on the contract"
    )
    return {
        ObligationType.WORKFORCE: TypeSpec(
            ObligationType.WORKFORCE,
            PERCENT,
            Direction.HIGHER_IS_BETTER,
            95.0,
            95.0,
            85.0,
            "Percentage of the staff working on the contract whose mandatory training is all in date at the end "
            "of the period (HR compliance engine, role training requirements).",
            (staff_basis,),
        ),
        ObligationType.CREDENTIALS: TypeSpec(
            ObligationType.CREDENTIALS,
            PERCENT,
            Direction.HIGHER_IS_BETTER,
            100.0,
            100.0,
            95.0,
            "Percentage of the clinicians working on the contract with a valid professional registration, DBS check "
            "and mandatory training at the end of the period, and (when asked) their own indemnity cover.",
            (
                staff_basis,
                ParamSpec(
                    "include_indemnity",
                    "Check own indemnity cover",
                    "bool",
                    True,
                    hint="Clinicians need their own cover for non-NHS work (CNSGP covers NHS work)",
                ),
            ),
        ),
        ObligationType.STAFFING: TypeSpec(
            ObligationType.STAFFING,
            PERCENT,
            Direction.HIGHER_IS_BETTER,
            98.0,
            98.0,
            90.0,
            "Rota places filled as a percentage of the places planned for the contract's services and practices "
            "in the period.",
        ),
        ObligationType.INSURANCE: TypeSpec(
            ObligationType.INSURANCE,
            PERCENT,
            Direction.HIGHER_IS_BETTER,
            100.0,
            100.0,
            100.0,
            "Percentage of the days of the period on which the holder had a policy of the type with at least the "
            "minimum limit of indemnity (gaps between policies and lower limits count against it).",
            (
                ParamSpec("policy_type", "Policy type", "choice", "employers liability"),
                ParamSpec(
                    "minimum_limit",
                    "Minimum limit of indemnity",
                    "money",
                    "5000000.00",
                    hint="For example £5m (the legal minimum for employers' liability)",
                ),
                ParamSpec("holder_practice_id", "Policy holder", "practice_or_federation", None),
            ),
        ),
        ObligationType.ACCESS: TypeSpec(
            ObligationType.ACCESS,
            "minutes per 1,000 per week",
            Direction.HIGHER_IS_BETTER,
            60.0,
            60.0,
            54.0,
            "Enhanced Access appointment minutes offered inside the Network Standard Hours per 1,000 PCN adjusted "
            "population per week, averaged over the weeks of the period (requirement 60). Green also needs every "
            "window covered with a GP on site in every week.",
            (ParamSpec("pcn_ids", "PCNs", "pcns", [], hint="None ticked: the PCNs of the contract's practices"),),
        ),
        ObligationType.MANUAL_KPI: TypeSpec(
            ObligationType.MANUAL_KPI,
            PERCENT,
            Direction.HIGHER_IS_BETTER,
            None,
            90.0,
            80.0,
            "A value entered for each reporting period (with who entered it and when).",
        ),
    }


def _clean_parameters(session: Session, kind: ObligationType, raw: dict[str, Any]) -> dict[str, Any]:
    spec = type_specs()[kind]
    clean: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for p in spec.params:
        value = raw.get(p.key, p.default)
        field_name = f"param:{p.key}"
        if p.kind == "bool":
            clean[p.key] = bool(value)
        elif p.kind == "choice":
            choices = policy_choices() if p.key == "policy_type" else p.choices
            allowed = {c for c, _label in choices}
            if value not in allowed:
                problems.append(FieldProblem(field_name, f"Choose the {p.label.lower()} from the list."))
            clean[p.key] = value
        elif p.kind == "money":
            try:
                amount = parse_money(str(value or ""), field_name)
            except ValidationError as err:
                problems.append(FieldProblem(field_name, f"{p.label}: {err.problems[0].message}"))
                continue
            if amount <= 0:
                problems.append(FieldProblem(field_name, f"{p.label} must be more than £0."))
            clean[p.key] = str(amount)
        elif p.kind == "practice_or_federation":
            if value in (None, "", 0):
                clean[p.key] = None
            elif session.get(Practice, int(value)) is None:
                problems.append(FieldProblem(field_name, "The chosen policy holder practice no longer exists."))
            else:
                clean[p.key] = int(value)
        elif p.kind == "pcns":
            ids = sorted({int(x) for x in (value or [])})
            if ids:
                found = set(session.scalars(select(Pcn.id).where(Pcn.id.in_(ids))).all())
                if found != set(ids):
                    problems.append(FieldProblem(field_name, "A chosen PCN no longer exists; choose again."))
            clean[p.key] = ids
    if problems:
        raise ValidationError(problems)
    return clean


def decode_parameters(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def describe_parameters(kind: ObligationType, params: dict[str, Any], names: dict[str, dict[int, str]]) -> str:
    """The parameters in words ("Employers' liability of at least £5,000,000 held by the federation")."""
    if kind is ObligationType.INSURANCE:
        labels = dict(policy_choices())
        holder = params.get("holder_practice_id")
        holder_text = "the federation" if not holder else names.get("practice", {}).get(holder, "a practice")
        limit = params.get("minimum_limit")
        limit_text = format_money(Decimal(limit)) if limit else "any limit"
        return f"{labels.get(params.get('policy_type', ''), 'Policy')} of at least {limit_text} held by {holder_text}"
    if kind is ObligationType.ACCESS:
        ids = params.get("pcn_ids") or []
        if not ids:
            return "PCNs of the contract's practices"
        return "PCNs: " + ", ".join(names.get("pcn", {}).get(i, f"#{i}") for i in ids)
    if kind in (ObligationType.WORKFORCE, ObligationType.CREDENTIALS):
        basis = dict(STAFF_BASIS).get(params.get("staff_basis", "auto"), "")
        extra = ""
        if kind is ObligationType.CREDENTIALS:
            extra = "; own indemnity checked" if params.get("include_indemnity", True) else "; indemnity not checked"
        return basis.split(":")[0] + extra
    return ""


# ---- rows ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractRow:
    id: int
    version: int
    reference: str
    title: str
    commissioner: str
    service: str | None
    start_date: date
    end_date: date
    value: Decimal | None
    reporting_frequency: ReportingFrequency
    tender_id: int | None
    tender_reference: str | None
    tender_title: str | None
    service_codes: tuple[str, ...]
    practice_ids: tuple[int, ...]
    practice_names: tuple[str, ...]
    contract_manager: str | None
    commissioner_contact: str | None
    notes: str | None
    obligation_count: int

    def status(self, today: date) -> str:
        if today < self.start_date:
            return "Not started"
        if today > self.end_date:
            return "Ended"
        return "Live"

    @property
    def term_text(self) -> str:
        return f"{format_date(self.start_date)} to {format_date(self.end_date)}"

    @property
    def scope_text(self) -> str:
        practices = (
            "all member practices"
            if not self.practice_ids
            else f"{len(self.practice_ids)} practice{'s' if len(self.practice_ids) != 1 else ''}"
        )
        services = ", ".join(self.service_codes) if self.service_codes else "all services"
        return f"{practices}; rota services: {services}"


@dataclass(frozen=True)
class ObligationRow:
    id: int
    version: int
    contract_id: int
    position: int
    name: str
    obligation_type: ObligationType
    parameters: dict[str, Any]
    unit: str
    direction: Direction
    target: float | None
    green_threshold: float
    amber_threshold: float
    schedule_ref: str | None
    description: str | None
    kpi_template_code: str | None
    active: bool

    def rag(self, value: float | None) -> Rag:
        return rag_for(value, self.direction, self.green_threshold, self.amber_threshold)

    @property
    def target_text(self) -> str:
        target = self.target if self.target is not None else self.green_threshold
        sign = "≥" if self.direction is Direction.HIGHER_IS_BETTER else "≤"
        return f"{sign} {format_value(target, self.unit)}"

    @property
    def target_short(self) -> str:
        """The target without a long unit name ("≥ 60.0", "≥ 95.0%") for table cells."""
        target = self.target if self.target is not None else self.green_threshold
        sign = "≥" if self.direction is Direction.HIGHER_IS_BETTER else "≤"
        return f"{sign} {format_short(target, self.unit)}"

    @property
    def thresholds_text(self) -> str:
        return threshold_text(self.direction, self.green_threshold, self.amber_threshold, self.unit)


@dataclass(frozen=True)
class PeriodRow:
    id: int
    version: int
    contract_id: int
    label: str
    start_date: date
    end_date: date
    submitted_on: date | None

    @property
    def description(self) -> str:
        return describe_period(self.label, self.start_date, self.end_date)

    @property
    def title(self) -> str:
        return f"{self.label}: {self.description}"

    @property
    def dates_text(self) -> str:
        return f"{format_date(self.start_date)} to {format_date(self.end_date)}"


@dataclass(frozen=True)
class KpiValueRow:
    id: int
    version: int
    obligation_id: int
    period_id: int
    value: float
    note: str | None
    entered_by: str
    entered_at: datetime


@dataclass(frozen=True)
class ReportRunRow:
    id: int
    contract_id: int
    period_id: int
    period_label: str
    trace_code: str
    produced_at: datetime
    produced_by: str
    sha256: str
    size_bytes: int
    pages: int
    anonymised: bool
    filename: str
    overall: Rag
    summary: str


@dataclass(frozen=True)
class KpiTemplateRow:
    id: int
    code: str
    family: str
    name: str
    description: str | None
    obligation_type: ObligationType
    unit: str
    direction: Direction
    target: float | None
    green_threshold: float
    amber_threshold: float
    cadence: str | None
    source: str | None
    source_date: str | None
    confidence: str | None


@dataclass(frozen=True)
class ContractDetail:
    contract: ContractRow
    obligations: list[ObligationRow]
    periods: list[PeriodRow]
    runs: list[ReportRunRow]


# ---- forms -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractForm:
    """What the person typed in the contract editor (raw text; the service validates it)."""

    reference: str
    title: str
    commissioner: str
    start_date: date | None
    end_date: date | None
    reporting_frequency: ReportingFrequency | None
    service: str = ""
    value: str = ""
    tender_id: int | None = None
    service_codes: str = ""
    practice_ids: tuple[int, ...] = ()
    contract_manager: str = ""
    commissioner_contact: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ObligationForm:
    name: str
    obligation_type: ObligationType
    unit: str
    direction: Direction
    target: str
    green_threshold: str
    amber_threshold: str
    parameters: dict[str, Any] = field(default_factory=dict)
    schedule_ref: str = ""
    description: str = ""
    kpi_template_code: str | None = None
    active: bool = True


@dataclass(frozen=True)
class KpiEntry:
    """One cell of the KPI entry grid: the text typed for an obligation in a period (empty clears the value)."""

    obligation_id: int
    value: str
    note: str = ""
    expected_version: int | None = None  # the version of the value the grid showed (None: there was none)


# ---- reading ---------------------------------------------------------------------------------------------------


def _tender_names(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    from federation_desk.domain.tenders import Tender

    rows = session.execute(select(Tender.id, Tender.reference, Tender.title).where(Tender.id.in_(wanted))).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def list_contracts(session: Session) -> list[ContractRow]:
    contracts = session.scalars(select(Contract).order_by(Contract.start_date.desc(), Contract.reference)).all()
    links = session.execute(
        select(ContractPractice.contract_id, Practice.id, Practice.name)
        .join(Practice, Practice.id == ContractPractice.practice_id)
        .order_by(Practice.name)
    ).all()
    practices: dict[int, list[tuple[int, str]]] = {}
    for contract_id, pid, name in links:
        practices.setdefault(contract_id, []).append((pid, name))
    counts = dict(
        session.execute(
            select(Obligation.contract_id, func.count(Obligation.id))
            .where(Obligation.active.is_(True))
            .group_by(Obligation.contract_id)
        ).all()
    )
    tenders = _tender_names(session, (c.tender_id for c in contracts if c.tender_id is not None))
    rows = []
    for c in contracts:
        linked = practices.get(c.id, [])
        tender = tenders.get(c.tender_id) if c.tender_id is not None else None
        rows.append(
            ContractRow(
                c.id,
                c.version,
                c.reference,
                c.title,
                c.commissioner,
                c.service,
                c.start_date,
                c.end_date,
                c.value,
                c.reporting_frequency,
                c.tender_id,
                tender[0] if tender else None,
                tender[1] if tender else None,
                split_codes(c.service_codes),
                tuple(p for p, _n in linked),
                tuple(n for _p, n in linked),
                c.contract_manager,
                c.commissioner_contact,
                c.notes,
                counts.get(c.id, 0),
            )
        )
    return rows


def get_contract(session: Session, contract_id: int) -> ContractRow:
    for row in list_contracts(session):
        if row.id == contract_id:
            return row
    raise NotFound("This contract")


def find_contract(session: Session, reference: str) -> ContractRow:
    wanted = reference.strip().casefold()
    rows = list_contracts(session)
    for row in rows:
        if row.reference.casefold() == wanted:
            return row
    known = ", ".join(r.reference for r in rows[:8]) or "none yet"
    raise ValidationError(
        [FieldProblem("contract", f"There is no contract with the reference '{reference.strip()}'.")],
        f"Check the reference. Contracts in this database: {known}.",
    )


def _obligation_row(o: Obligation) -> ObligationRow:
    return ObligationRow(
        o.id,
        o.version,
        o.contract_id,
        o.position,
        o.name,
        o.obligation_type,
        decode_parameters(o.parameters),
        o.unit,
        o.direction,
        o.target,
        o.green_threshold,
        o.amber_threshold,
        o.schedule_ref,
        o.description,
        o.kpi_template_code,
        o.active,
    )


def list_obligations(session: Session, contract_id: int, include_inactive: bool = True) -> list[ObligationRow]:
    stmt = select(Obligation).where(Obligation.contract_id == contract_id).order_by(Obligation.position, Obligation.id)
    if not include_inactive:
        stmt = stmt.where(Obligation.active.is_(True))
    return [_obligation_row(o) for o in session.scalars(stmt).all()]


def _period_row(p: ReportingPeriod) -> PeriodRow:
    return PeriodRow(p.id, p.version, p.contract_id, p.label, p.start_date, p.end_date, p.submitted_on)


def list_periods(session: Session, contract_id: int) -> list[PeriodRow]:
    stmt = (
        select(ReportingPeriod).where(ReportingPeriod.contract_id == contract_id).order_by(ReportingPeriod.start_date)
    )
    return [_period_row(p) for p in session.scalars(stmt).all()]


def find_period(session: Session, contract_id: int, label: str) -> PeriodRow:
    """The contract's period named ``label`` (``2026-Q3``, ``Q3 2026`` ...), or a message listing the valid ones."""
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound("This contract")
    span = parse_period_label(label, contract.reporting_frequency)
    periods = list_periods(session, contract_id)
    for p in periods:
        if p.label == span.label:
            return p
    first, last = (periods[0].label, periods[-1].label) if periods else ("", "")
    raise ValidationError(
        [
            FieldProblem(
                "period",
                f"{span.label} is outside contract {contract.reference}'s term "
                f"({format_date(contract.start_date)} to {format_date(contract.end_date)}).",
            )
        ],
        f"Choose a period from {first} to {last}." if periods else "",
    )


def default_period(periods: Sequence[PeriodRow], today: date) -> PeriodRow | None:
    """The period a report is usually wanted for: the latest that has ended, else the one in progress."""
    ended = [p for p in periods if p.end_date < today]
    if ended:
        return ended[-1]
    current = [p for p in periods if p.start_date <= today]
    return current[-1] if current else (periods[0] if periods else None)


def previous_periods(periods: Sequence[PeriodRow], period_id: int, count: int = 4) -> list[PeriodRow]:
    """Up to ``count`` periods before ``period_id``, oldest first."""
    index = next((i for i, p in enumerate(periods) if p.id == period_id), None)
    if index is None:
        return []
    return list(periods[max(0, index - count) : index])


def _run_row(r: ComplianceReportRun) -> ReportRunRow:
    return ReportRunRow(
        r.id,
        r.contract_id,
        r.period_id,
        r.period_label,
        r.trace_code,
        r.produced_at,
        r.produced_by,
        r.sha256,
        r.size_bytes,
        r.pages,
        r.anonymised,
        r.filename,
        r.overall,
        r.summary,
    )


def list_report_runs(session: Session, contract_id: int | None = None) -> list[ReportRunRow]:
    stmt = select(ComplianceReportRun).order_by(ComplianceReportRun.produced_at.desc(), ComplianceReportRun.id.desc())
    if contract_id is not None:
        stmt = stmt.where(ComplianceReportRun.contract_id == contract_id)
    return [_run_row(r) for r in session.scalars(stmt).all()]


def find_report_run(session: Session, sha256_or_trace: str) -> ReportRunRow:
    """The run that produced a file (by its SHA-256) or whose trace code is printed on a page."""
    text = sha256_or_trace.strip()
    run = session.scalars(
        select(ComplianceReportRun).where(
            (ComplianceReportRun.sha256 == text.lower()) | (ComplianceReportRun.trace_code == text.upper())
        )
    ).first()
    if run is None:
        raise NotFound(f"A compliance report with trace code or SHA-256 '{text}'")
    return _run_row(run)


def load_contract_detail(session: Session, contract_id: int) -> ContractDetail:
    return ContractDetail(
        get_contract(session, contract_id),
        list_obligations(session, contract_id),
        list_periods(session, contract_id),
        list_report_runs(session, contract_id),
    )


def kpi_values(
    session: Session, obligation_ids: Collection[int], period_ids: Collection[int]
) -> dict[tuple[int, int], KpiValueRow]:
    """Values entered for these obligations and periods, keyed by (obligation id, period id)."""
    if not obligation_ids or not period_ids:
        return {}
    rows = session.scalars(
        select(KpiValue).where(
            KpiValue.obligation_id.in_(list(obligation_ids)), KpiValue.period_id.in_(list(period_ids))
        )
    ).all()
    return {
        (k.obligation_id, k.period_id): KpiValueRow(
            k.id, k.version, k.obligation_id, k.period_id, k.value, k.note, k.entered_by, k.entered_at
        )
        for k in rows
    }


@dataclass(frozen=True)
class KpiGridRow:
    obligation: ObligationRow
    value: KpiValueRow | None
    previous: tuple[tuple[str, float | None], ...]  # (period label, value), oldest first


@dataclass(frozen=True)
class KpiGrid:
    period: PeriodRow
    rows: list[KpiGridRow]


def load_kpi_grid(session: Session, contract_id: int, period_id: int) -> KpiGrid:
    """The manual KPIs of a contract for one period, with the values of the four periods before it."""
    periods = list_periods(session, contract_id)
    period = next((p for p in periods if p.id == period_id), None)
    if period is None:
        raise NotFound("This reporting period")
    earlier = previous_periods(periods, period_id)
    obligations = [
        o for o in list_obligations(session, contract_id, False) if o.obligation_type is ObligationType.MANUAL_KPI
    ]
    values = kpi_values(session, [o.id for o in obligations], [p.id for p in [*earlier, period]])
    rows = []
    for o in obligations:
        previous = tuple((p.label, values[(o.id, p.id)].value if (o.id, p.id) in values else None) for p in earlier)
        rows.append(KpiGridRow(o, values.get((o.id, period_id)), previous))
    return KpiGrid(period, rows)


def list_kpi_templates(session: Session) -> list[KpiTemplateRow]:
    rows = session.scalars(
        select(KpiTemplate).where(KpiTemplate.active.is_(True)).order_by(KpiTemplate.sort_order, KpiTemplate.name)
    ).all()
    return [
        KpiTemplateRow(
            t.id,
            t.code,
            t.family,
            t.name,
            t.description,
            t.obligation_type,
            t.unit,
            t.direction,
            t.target,
            t.green_threshold,
            t.amber_threshold,
            t.cadence,
            t.source,
            t.source_date,
            t.confidence,
        )
        for t in rows
    ]


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class EditorChoices:
    """What the contract and obligation editors offer: practices, PCNs, tenders, rota services, KPI templates."""

    practices: list[Choice]
    pcns: list[Choice]
    tenders: list[Choice]
    services: list[tuple[str, str]]  # (code, name)
    templates: list[KpiTemplateRow]


def editor_choices(session: Session) -> EditorChoices:
    practices = [
        Choice(i, f"{n} ({c})")
        for i, n, c in session.execute(
            select(Practice.id, Practice.name, Practice.ods_code)
            .where(Practice.active.is_(True))
            .order_by(Practice.name)
        ).all()
    ]
    pcns = [Choice(i, n) for i, n in session.execute(select(Pcn.id, Pcn.name).order_by(Pcn.name)).all()]
    from federation_desk.domain.tenders import Tender, TenderStatus

    tenders = [
        Choice(i, f"{ref}: {title}" + ("" if status is TenderStatus.AWARDED else f" ({status.label.lower()})"))
        for i, ref, title, status in session.execute(
            select(Tender.id, Tender.reference, Tender.title, Tender.status).order_by(
                Tender.status != TenderStatus.AWARDED, Tender.reference
            )
        ).all()
    ]
    from federation_desk.domain.rota import RotaService

    services = [
        (c, n)
        for c, n in session.execute(
            select(RotaService.code, RotaService.name).where(RotaService.active.is_(True)).order_by(RotaService.name)
        ).all()
    ]
    return EditorChoices(practices, pcns, tenders, services, list_kpi_templates(session))


@dataclass(frozen=True)
class ContractViewData:
    """Everything the contract page shows apart from the evaluation (which runs on its own worker)."""

    detail: ContractDetail
    choices: EditorChoices
    names: dict[str, dict[int, str]]
    kpi_value_ids: list[int]
    default_period_id: int | None


def load_contract_view(session: Session, contract_id: int, today: date) -> ContractViewData:
    detail = load_contract_detail(session, contract_id)
    period = default_period(detail.periods, today)
    value_ids = list(
        session.scalars(
            select(KpiValue.id).where(KpiValue.obligation_id.in_([o.id for o in detail.obligations] or [-1]))
        ).all()
    )
    return ContractViewData(
        detail, editor_choices(session), name_maps(session), value_ids, period.id if period is not None else None
    )


def name_maps(session: Session) -> dict[str, dict[int, str]]:
    """Practice and PCN names by id (for describing parameters)."""
    return {
        "practice": dict(session.execute(select(Practice.id, Practice.name)).all()),
        "pcn": dict(session.execute(select(Pcn.id, Pcn.name)).all()),
    }


# ---- writing: contracts --------------------------------------------------------------------------------------

REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.\-]{1,39}$")
SERVICE_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")


def split_codes(text: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for c in re.split(r"[\s,;]+", text or "") if c))


def save_contract(
    session: Session, form: ContractForm, contract_id: int | None = None, expected_version: int | None = None
) -> Changes:
    problems: list[FieldProblem] = []
    texts = _gather(
        problems,
        lambda: _reference(form.reference),
        lambda: v.required_text(form.title, "title", "The contract title"),
        lambda: v.required_text(form.commissioner, "commissioner", "The commissioner"),
        lambda: v.optional_text(form.service, "service", "The service description", 4000),
        lambda: v.optional_text(form.contract_manager, "contract_manager", "The contract manager", 120),
        lambda: v.optional_text(form.commissioner_contact, "commissioner_contact", "The commissioner contact"),
        lambda: v.optional_text(form.notes, "notes", "The notes", 4000),
    )
    reference, title, commissioner, service, manager, contact, notes = texts
    value: Decimal | None = None
    if form.value.strip():
        try:
            value = parse_money(form.value, "value")
            if value < 0:
                problems.append(FieldProblem("value", "The contract value cannot be negative."))
        except ValidationError as err:
            problems.append(FieldProblem("value", err.problems[0].message))
    if form.start_date is None:
        problems.append(FieldProblem("start_date", "The start date is required (dd/mm/yyyy)."))
    if form.end_date is None:
        problems.append(FieldProblem("end_date", "The end date is required (dd/mm/yyyy)."))
    if form.start_date and form.end_date:
        if form.end_date < form.start_date:
            problems.append(FieldProblem("end_date", "The contract ends before it starts; check the two dates."))
        elif (form.end_date - form.start_date).days > 15 * 366:
            problems.append(FieldProblem("end_date", "A term of more than 15 years is not plausible; check the dates."))
    if form.reporting_frequency is None:
        problems.append(FieldProblem("reporting_frequency", "Choose how often the commissioner wants reports."))
    codes = split_codes(form.service_codes)
    bad = [c for c in codes if not SERVICE_CODE.match(c)]
    if bad:
        problems.append(
            FieldProblem("service_codes", f"'{bad[0]}' is not a rota service code (letters, digits, - and _ only).")
        )
    clash = session.scalar(select(Contract).where(Contract.reference == reference, Contract.id != (contract_id or -1)))
    if reference and clash is not None:
        problems.append(FieldProblem("reference", f"Reference {reference} is already used by '{clash.title}'."))
    practice_ids = sorted(set(form.practice_ids))
    if practice_ids:
        found = set(session.scalars(select(Practice.id).where(Practice.id.in_(practice_ids))).all())
        if found != set(practice_ids):
            problems.append(FieldProblem("practice_ids", "A chosen practice no longer exists; choose again."))
    if form.tender_id is not None and not _tender_names(session, [form.tender_id]):
        problems.append(FieldProblem("tender_id", "The chosen tender no longer exists; choose again."))
    if problems:
        raise ValidationError(problems)
    assert form.start_date and form.end_date and form.reporting_frequency
    if contract_id is None:
        contract = Contract(reference=reference)
        session.add(contract)
    else:
        contract = load_for_edit(session, Contract, contract_id, expected_version)
    frequency_changed = contract_id is not None and contract.reporting_frequency is not form.reporting_frequency
    if frequency_changed and _period_data_exists(session, contract.id):
        raise ValidationError(
            [
                FieldProblem(
                    "reporting_frequency",
                    "KPI values or reports already exist for this contract's "
                    f"{contract.reporting_frequency.value} periods, so the frequency cannot change.",
                )
            ],
            "Nothing has been saved. Keep the frequency, or set up a new contract record for the new schedule.",
        )
    contract.reference, contract.title, contract.commissioner = reference, title, commissioner  # type: ignore[assignment]
    contract.service, contract.start_date, contract.end_date = service, form.start_date, form.end_date  # type: ignore[assignment]
    contract.value, contract.reporting_frequency, contract.tender_id = value, form.reporting_frequency, form.tender_id
    contract.service_codes = " ".join(codes) or None
    contract.contract_manager, contract.commissioner_contact, contract.notes = manager, contact, notes  # type: ignore[assignment]
    session.flush()
    _sync_practices(session, contract, practice_ids)
    _sync_periods(session, contract)
    session.flush()
    return Changes.of("contract", ids=(contract.id,), message=f"Contract {reference} saved.")


def _gather(problems: list[FieldProblem], *checks: Callable[[], Any]) -> list[Any]:
    """Run field checks, adding each problem to ``problems``; a failed check gives None (so later checks that
    need several fields can still run and every problem is reported at once)."""
    results: list[Any] = []
    for check in checks:
        try:
            results.append(check())
        except ValidationError as err:
            problems.extend(err.problems)
            results.append(None)
    return results


def _reference(text: str) -> str:
    value = v.required_text(text, "reference", "The contract reference", 40).replace(" ", "-")
    if not REFERENCE.match(value):
        raise ValidationError(
            [
                FieldProblem(
                    "reference",
                    f"'{text.strip()}' is not a usable reference: use letters, digits and - / _ . only "
                    "(for example NDHF-EA-2025).",
                )
            ]
        )
    return value.upper()


def _period_data_exists(session: Session, contract_id: int) -> bool:
    period_ids = select(ReportingPeriod.id).where(ReportingPeriod.contract_id == contract_id)
    values = session.scalar(select(func.count(KpiValue.id)).where(KpiValue.period_id.in_(period_ids)))
    runs = session.scalar(
        select(func.count(ComplianceReportRun.id)).where(ComplianceReportRun.contract_id == contract_id)
    )
    return bool(values or runs)


def _sync_practices(session: Session, contract: Contract, practice_ids: list[int]) -> None:
    current = {link.practice_id: link for link in contract.practices}
    for pid, link in current.items():
        if pid not in practice_ids:
            contract.practices.remove(link)
    for pid in practice_ids:
        if pid not in current:
            contract.practices.append(ContractPractice(practice_id=pid))


def _sync_periods(session: Session, contract: Contract) -> None:
    """Make the contract's periods match its term and frequency, keeping every period that holds data."""
    wanted = {s.label: s for s in term_periods(contract.reporting_frequency, contract.start_date, contract.end_date)}
    existing = {p.label: p for p in contract.periods}
    used = set()
    if existing:
        ids = [p.id for p in existing.values() if p.id is not None]
        if ids:
            used = set(session.scalars(select(KpiValue.period_id).where(KpiValue.period_id.in_(ids))).all())
            used |= set(
                session.scalars(
                    select(ComplianceReportRun.period_id).where(ComplianceReportRun.period_id.in_(ids))
                ).all()
            )
    for label, period in existing.items():
        span = wanted.get(label)
        if span is None:
            if period.id in used:
                raise ValidationError(
                    [
                        FieldProblem(
                            "end_date",
                            f"Period {label} holds KPI values or reports, so the term cannot be shortened to "
                            "leave it out.",
                        )
                    ]
                )
            contract.periods.remove(period)
        elif (period.start_date, period.end_date) != (span.start, span.end):
            period.start_date, period.end_date = span.start, span.end
    for label, span in wanted.items():
        if label not in existing:
            contract.periods.append(ReportingPeriod(label=label, start_date=span.start, end_date=span.end))


def delete_contract(session: Session, contract_id: int, expected_version: int | None) -> Changes:
    contract = load_for_edit(session, Contract, contract_id, expected_version)
    runs = session.scalar(
        select(func.count(ComplianceReportRun.id)).where(ComplianceReportRun.contract_id == contract_id)
    )
    if runs:
        raise ValidationError(
            f"Contract {contract.reference} has {runs} compliance report{'s' if runs != 1 else ''} on record, so it "
            "cannot be deleted (the record lets a printed report be traced).",
            "Nothing was deleted. Leave the contract in place; its end date marks it as ended.",
        )
    reference = contract.reference
    session.delete(contract)
    session.flush()
    return Changes.of("contract", ids=(contract_id,), message=f"Contract {reference} deleted.")


def mark_period_submitted(
    session: Session, period_id: int, submitted_on: date | None, expected_version: int | None, on: date | None = None
) -> Changes:
    """Record the day a period's figures were sent to the commissioner (None: not sent). ``on`` is today."""
    period = load_for_edit(session, ReportingPeriod, period_id, expected_version)
    if submitted_on is not None and submitted_on > (on or today()):
        raise ValidationError(
            [FieldProblem("submitted_on", f"{format_date(submitted_on)} is in the future. Enter the day it was sent.")]
        )
    if submitted_on is not None and submitted_on < period.start_date:
        raise ValidationError(
            [
                FieldProblem(
                    "submitted_on",
                    f"{format_date(submitted_on)} is before period {period.label} began "
                    f"({format_date(period.start_date)}). Enter the day its figures were sent.",
                )
            ]
        )
    period.submitted_on = submitted_on
    session.flush()
    what = f"marked as submitted on {format_date(submitted_on)}" if submitted_on else "marked as not submitted"
    return Changes.of("contract", ids=(period.contract_id,), message=f"Period {period.label} {what}.")


# ---- writing: obligations ------------------------------------------------------------------------------------


def _number(text: str, field_name: str, label: str, required: bool = True) -> float | None:
    raw = (text or "").strip().replace(",", "").removesuffix("%").strip()
    if not raw:
        if required:
            raise ValidationError([FieldProblem(field_name, f"{label} is required.")])
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError([FieldProblem(field_name, f"{label}: '{text.strip()}' is not a number.")]) from None
    if value != value or value in (float("inf"), float("-inf")) or abs(value) >= 1e12:
        raise ValidationError([FieldProblem(field_name, f"{label}: '{text.strip()}' is not a usable number.")])
    return value


def save_obligation(
    session: Session,
    contract_id: int,
    form: ObligationForm,
    obligation_id: int | None = None,
    expected_version: int | None = None,
) -> Changes:
    problems: list[FieldProblem] = []
    name, unit, schedule_ref, description, target, green, amber = _gather(
        problems,
        lambda: v.required_text(form.name, "name", "The obligation's name"),
        lambda: v.required_text(form.unit, "unit", "The unit", 40),
        lambda: v.optional_text(form.schedule_ref, "schedule_ref", "The schedule reference", 100),
        lambda: v.optional_text(form.description, "description", "The description", 4000),
        lambda: _number(form.target, "target", "The target", required=False),
        lambda: _number(form.green_threshold, "green_threshold", "The green threshold"),
        lambda: _number(form.amber_threshold, "amber_threshold", "The amber threshold"),
    )
    if isinstance(green, float) and isinstance(amber, float):
        if form.direction is Direction.HIGHER_IS_BETTER and amber > green:
            problems.append(
                FieldProblem(
                    "amber_threshold", "When higher is better, the amber threshold cannot be above the green one."
                )
            )
        if form.direction is Direction.LOWER_IS_BETTER and amber < green:
            problems.append(
                FieldProblem(
                    "amber_threshold", "When lower is better, the amber threshold cannot be below the green one."
                )
            )
    if unit == PERCENT:
        for key, value, label in (("target", target, "target"), ("green_threshold", green, "green threshold")):
            if value is not None and not 0 <= value <= 100:  # type: ignore[operator]
                problems.append(FieldProblem(key, f"The {label} is a percentage: between 0 and 100."))
    if problems:
        raise ValidationError(problems)
    assert isinstance(green, float) and isinstance(amber, float)
    if session.get(Contract, contract_id) is None:
        raise NotFound("This contract")
    params = _clean_parameters(session, form.obligation_type, form.parameters)
    if obligation_id is None:
        position = session.scalar(
            select(func.coalesce(func.max(Obligation.position), 0)).where(Obligation.contract_id == contract_id)
        )
        obligation = Obligation(contract_id=contract_id, position=int(position or 0) + 1)
        session.add(obligation)
    else:
        obligation = load_for_edit(session, Obligation, obligation_id, expected_version)
        if obligation.contract_id != contract_id:
            raise NotFound("This obligation")
        if obligation.obligation_type is not form.obligation_type:
            entered = session.scalar(select(func.count(KpiValue.id)).where(KpiValue.obligation_id == obligation_id))
            if entered:
                raise ValidationError(
                    [
                        FieldProblem(
                            "obligation_type",
                            f"{entered} KPI value{'s have' if entered != 1 else ' has'} been entered for this "
                            "obligation, so its type cannot change.",
                        )
                    ],
                    "Nothing has been saved. Add a new obligation for the new measure and switch this one off.",
                )
    obligation.name, obligation.obligation_type = name, form.obligation_type  # type: ignore[assignment]
    obligation.parameters = json.dumps(params, sort_keys=True)
    obligation.unit, obligation.direction, obligation.target = unit, form.direction, target  # type: ignore[assignment]
    obligation.green_threshold, obligation.amber_threshold = green, amber
    obligation.schedule_ref, obligation.description = schedule_ref, description  # type: ignore[assignment]
    obligation.kpi_template_code, obligation.active = form.kpi_template_code, form.active
    session.flush()
    return Changes.of("contract", ids=(contract_id,), message=f"Obligation '{name}' saved.")


def delete_obligation(session: Session, obligation_id: int, expected_version: int | None) -> Changes:
    obligation = load_for_edit(session, Obligation, obligation_id, expected_version)
    entered = session.scalar(select(func.count(KpiValue.id)).where(KpiValue.obligation_id == obligation_id))
    if entered:
        raise ValidationError(
            f"'{obligation.name}' has {entered} KPI value{'s' if entered != 1 else ''} entered, so it cannot be "
            "deleted (past reports show them).",
            "Nothing was deleted. Untick 'Active' in the editor to stop reporting it.",
        )
    contract_id, name = obligation.contract_id, obligation.name
    session.delete(obligation)
    session.flush()
    return Changes.of("contract", ids=(contract_id,), message=f"Obligation '{name}' deleted.")


def move_obligation(session: Session, obligation_id: int, step: int) -> Changes:
    """Move an obligation up (-1) or down (+1) in its contract's order."""
    obligation = session.get(Obligation, obligation_id)
    if obligation is None:
        raise NotFound("This obligation")
    siblings = list(
        session.scalars(
            select(Obligation)
            .where(Obligation.contract_id == obligation.contract_id)
            .order_by(Obligation.position, Obligation.id)
        ).all()
    )
    index = siblings.index(obligation)
    other = index + step
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, item in enumerate(siblings, start=1):
            if item.position != position:
                item.position = position
        session.flush()
    return Changes.of("contract", ids=(obligation.contract_id,))


# ---- writing: KPI values -------------------------------------------------------------------------------------


def save_kpi_values(session: Session, period_id: int, entries: Sequence[KpiEntry]) -> Changes:
    """Save the KPI grid of one period in one transaction: every entry is checked first, and if any is wrong
    nothing is saved. An empty value removes a value entered before."""
    period = session.get(ReportingPeriod, period_id)
    if period is None:
        raise NotFound("This reporting period")
    ids = [e.obligation_id for e in entries]
    obligations = {
        o.id: o
        for o in session.scalars(
            select(Obligation).where(Obligation.id.in_(ids), Obligation.contract_id == period.contract_id)
        ).all()
    }
    existing = {
        k.obligation_id: k
        for k in session.scalars(
            select(KpiValue).where(KpiValue.period_id == period_id, KpiValue.obligation_id.in_(ids))
        ).all()
    }
    problems: list[FieldProblem] = []
    parsed: list[tuple[KpiEntry, Obligation, float | None, str | None]] = []
    for entry in entries:
        obligation = obligations.get(entry.obligation_id)
        if obligation is None:
            raise NotFound("An obligation in this grid")
        if obligation.obligation_type is not ObligationType.MANUAL_KPI:
            problems.append(
                FieldProblem(f"value:{entry.obligation_id}", f"'{obligation.name}' is measured from live data.")
            )
            continue
        key = f"value:{entry.obligation_id}"
        try:
            value = _number(entry.value, key, obligation.name, required=False)
            if value is not None and obligation.unit == PERCENT and not 0 <= value <= 100:
                raise ValidationError([FieldProblem(key, f"{obligation.name}: a percentage is between 0 and 100.")])
            if value is not None and value < 0:
                raise ValidationError([FieldProblem(key, f"{obligation.name}: the value cannot be negative.")])
            if value is not None and obligation.unit == "count" and value != int(value):
                raise ValidationError([FieldProblem(key, f"{obligation.name}: a count is a whole number.")])
            note = v.optional_text(entry.note, f"note:{entry.obligation_id}", f"The note for {obligation.name}", 2000)
        except ValidationError as err:
            problems.extend(err.problems)
            continue
        parsed.append((entry, obligation, value, note))
    if problems:
        raise ValidationError(problems)
    actor = str(session.info.get("actor") or "unknown")
    from federation_desk.domain.base import utcnow

    now = utcnow()
    changed = 0
    for entry, obligation, value, note in parsed:
        current = existing.get(entry.obligation_id)
        if current is not None and current.version != entry.expected_version:
            raise _stale_value(session, obligation, current)
        if current is None and entry.expected_version is not None:
            raise StaleEditError(f"The value of '{obligation.name}' for {period.label}")
        if value is None:
            if current is not None:
                session.delete(current)
                changed += 1
            continue
        if current is None:
            session.add(
                KpiValue(
                    obligation_id=obligation.id,
                    period_id=period_id,
                    value=value,
                    note=note,
                    entered_by=actor,
                    entered_at=now,
                )
            )
            changed += 1
        elif current.value != value or (current.note or None) != note:
            current.value, current.note, current.entered_by, current.entered_at = value, note, actor, now  # type: ignore[assignment]
            changed += 1
    session.flush()
    message = f"{changed} KPI value{'s' if changed != 1 else ''} saved for {period.label}." if changed else ""
    return Changes.of("contract", ids=(period.contract_id,), message=message or "No values changed.")


def _stale_value(session: Session, obligation: Obligation, current: KpiValue) -> StaleEditError:
    from federation_desk.db.session import last_change

    who, when = last_change(session, KpiValue.__tablename__, current.id)
    return StaleEditError(f"The value of '{obligation.name}'", who or current.entered_by, when or current.entered_at)


# ---- produced reports ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRecord:
    """One obligation's result as the report showed it."""

    obligation_id: int
    obligation_name: str
    value: float | None
    rag: Rag
    summary: str


@dataclass(frozen=True)
class RunRecord:
    contract_id: int
    period_id: int
    period_label: str
    trace_code: str
    sha256: str
    size_bytes: int
    pages: int
    anonymised: bool
    filename: str
    overall: Rag
    summary: str
    results: tuple[ResultRecord, ...] = ()


def record_report_run(session: Session, record: RunRecord) -> tuple[ReportRunRow, Changes]:
    """Record a produced report (who, when, period, SHA-256) and the result of each obligation it showed."""
    run = ComplianceReportRun(
        contract_id=record.contract_id,
        period_id=record.period_id,
        period_label=record.period_label,
        trace_code=record.trace_code,
        produced_by=str(session.info.get("actor") or "unknown"),
        sha256=record.sha256,
        size_bytes=record.size_bytes,
        pages=record.pages,
        anonymised=record.anonymised,
        filename=record.filename[:255],
        overall=record.overall,
        summary=record.summary[:200],
    )
    session.add(run)
    session.flush()
    session.add_all(
        ComplianceReportResult(
            run_id=run.id,
            obligation_id=r.obligation_id,
            obligation_name=r.obligation_name[:200],
            value=r.value,
            rag=r.rag,
            summary=r.summary,
        )
        for r in record.results
    )
    session.flush()
    return _run_row(run), Changes.of("contract", ids=(record.contract_id,), message="Report recorded.")


@dataclass(frozen=True)
class ReportedResult:
    run: ReportRunRow
    value: float | None
    rag: Rag
    summary: str


def reported_results(
    session: Session, contract_id: int, period_ids: Collection[int]
) -> dict[tuple[int, int], ReportedResult]:
    """The results the latest report of each period showed, keyed by (obligation id, period id)."""
    if not period_ids:
        return {}
    runs = session.scalars(
        select(ComplianceReportRun)
        .where(ComplianceReportRun.contract_id == contract_id, ComplianceReportRun.period_id.in_(list(period_ids)))
        .order_by(ComplianceReportRun.produced_at, ComplianceReportRun.id)
    ).all()
    latest = {r.period_id: r for r in runs}  # the last one wins
    if not latest:
        return {}
    by_run = {r.id: _run_row(r) for r in latest.values()}
    rows = session.scalars(
        select(ComplianceReportResult).where(
            ComplianceReportResult.run_id.in_(list(by_run)), ComplianceReportResult.obligation_id.is_not(None)
        )
    ).all()
    out: dict[tuple[int, int], ReportedResult] = {}
    for row in rows:
        run = by_run[row.run_id]
        out[(int(row.obligation_id or 0), run.period_id)] = ReportedResult(run, row.value, row.rag, row.summary)
    return out


# ---- staff helpers shared with the evaluators --------------------------------------------------------------


def practice_staff_ids(session: Session, practice_ids: Collection[int], start: date, end: date) -> set[int]:
    """Staff employed by, or working for, any of the practices (all staff when none are given) who were in post
    at some time from ``start`` to ``end``."""
    from federation_desk.domain.staff import StaffPractice

    in_post = (StaffMember.start_date.is_(None) | (StaffMember.start_date <= end)) & (
        StaffMember.leave_date.is_(None) | (StaffMember.leave_date >= start)
    )
    if not practice_ids:
        return set(session.scalars(select(StaffMember.id).where(in_post)).all())
    ids = list(practice_ids)
    employed = set(
        session.scalars(select(StaffMember.id).where(in_post, StaffMember.employer_practice_id.in_(ids))).all()
    )
    shared = set(
        session.scalars(
            select(StaffMember.id)
            .join(StaffPractice, StaffPractice.staff_id == StaffMember.id)
            .where(in_post, StaffPractice.practice_id.in_(ids))
        ).all()
    )
    return employed | shared


# ---- reference data: the KPI template library -----------------------------------------------------------------


@reference_loader(70, "kpi templates")
def load_kpi_templates(session: Session) -> int:
    if session.scalar(select(func.count(KpiTemplate.id))):
        return 0
    data = read_reference("kpi_templates.json")
    for order, item in enumerate(data["templates"], start=1):
        session.add(
            KpiTemplate(
                code=item["code"],
                family=item["family"],
                name=item["name"],
                description=item.get("description"),
                obligation_type=ObligationType(item.get("obligation_type", "manual KPI")),
                unit=item["unit"],
                direction=Direction(item["direction"]),
                target=item.get("target"),
                green_threshold=item["green"],
                amber_threshold=item["amber"],
                cadence=item.get("cadence"),
                source=item.get("source"),
                source_date=item.get("source_date"),
                confidence=item.get("confidence"),
                sort_order=order * 10,
            )
        )
    session.flush()
    return len(data["templates"])
