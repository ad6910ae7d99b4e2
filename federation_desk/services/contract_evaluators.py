"""Evaluating a contract's obligations for a reporting period, from live data and the KPI values entered.

Each evaluator returns the value, the target, red/amber/green and the records behind any exception:

* workforce: staff working on the contract whose mandatory training is all in date (HR ``training_status``);
* credentials: clinicians with valid registration, DBS and training (HR ``credential_gate``) and, when asked, their
  own indemnity (indemnity ``own_cover_gate``); target 100%;
* staffing: rota places filled against places planned (rota ``staffing_counts``);
* insurance: a policy of a type with at least a minimum limit on every day (indemnity ``policy_held_throughout``);
* access: Enhanced Access minutes per 1,000 adjusted population per week (rota ``enhanced_access_weeks``);
* manual KPIs: the value entered for the period against the obligation's thresholds.

Status checks are made "as at" the end of the period, or today while the period is still running. Every evaluator
is set-based: a handful of queries per obligation whatever the number of staff, sessions or weeks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation_desk.domain.contracts import ObligationType, Rag
from federation_desk.domain.organisation import Pcn, Practice
from federation_desk.domain.staff import Role, StaffMember
from federation_desk.errors import FederationDeskError
from federation_desk.services.anonymise import scrub_strings
from federation_desk.services.contracts import (
    ContractRow,
    KpiValueRow,
    ObligationRow,
    PeriodRow,
    ReportedResult,
    format_value,
    get_contract,
    kpi_values,
    list_obligations,
    list_periods,
    practice_staff_ids,
    previous_periods,
    rag_counts_text,
    reported_results,
    worst,
)
from federation_desk.services.dashboard import DashboardCard, Severity, dashboard_card
from federation_desk.services.dates import format_date, format_instant
from federation_desk.services.money import format_money
from federation_desk.services.progress import NullProgress, Progress


@dataclass(frozen=True)
class ExceptionRow:
    """One record behind a red or amber result: a person, a session, a week, a policy gap, a KPI value."""

    subject: str
    detail: str
    role: str | None = None
    practice: str | None = None
    staff_id: int | None = None
    when: date | None = None
    names: tuple[str, ...] = ()  # the person's names, hidden when the report is anonymised


@dataclass(frozen=True)
class Evaluation:
    obligation: ObligationRow
    period: PeriodRow
    as_of: date
    value: float | None
    rag: Rag
    summary: str
    numerator: int | None = None
    denominator: int | None = None
    exceptions: tuple[ExceptionRow, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()  # (what, detail) for the evidence appendix
    reported_in: str | None = None  # the trace code of the report this result is taken from (earlier periods)

    @property
    def value_text(self) -> str:
        return format_value(self.value, self.obligation.unit, "no data")

    @property
    def is_exception(self) -> bool:
        return self.rag in (Rag.RED, Rag.AMBER)


@dataclass(frozen=True)
class ContractEvaluation:
    contract: ContractRow
    period: PeriodRow
    as_of: date
    results: tuple[Evaluation, ...]
    trend_periods: tuple[PeriodRow, ...] = ()  # the periods before this one, oldest first
    trend: dict[int, tuple[Evaluation, ...]] = field(default_factory=dict)  # obligation id -> one per trend period

    @property
    def overall(self) -> Rag:
        return worst(r.rag for r in self.results)

    @property
    def counts_text(self) -> str:
        return rag_counts_text([r.rag for r in self.results])

    def count(self, rag: Rag) -> int:
        return sum(1 for r in self.results if r.rag is rag)


@dataclass(frozen=True)
class StaffInfo:
    id: int
    name: str
    names: tuple[str, ...]
    role: str
    clinical: bool
    practice: str


def as_of_date(period: PeriodRow, today: date) -> date:
    """The day statuses are checked on: the period's last day, or today while the period is running."""
    return min(period.end_date, today)


class EvalContext:
    """What the evaluators of one contract and period share: the scope, and caches so no query repeats."""

    def __init__(
        self,
        session: Session,
        contract: ContractRow,
        period: PeriodRow,
        today: date,
        kpis: dict[tuple[int, int], KpiValueRow] | None = None,
    ) -> None:
        self.session = session
        self.contract = contract
        self.period = period
        self.today = today
        self.as_of = as_of_date(period, today)
        self.start = period.start_date
        self.end = self.as_of  # a running period is judged up to today
        self.kpis = kpis or {}
        self._staff: dict[str, set[int]] = {}
        self._info: dict[int, StaffInfo] = {}
        self._training: dict[int, Any] = {}

    # -- scope ------------------------------------------------------------------------------------------------
    @property
    def practice_ids(self) -> list[int] | None:
        return list(self.contract.practice_ids) or None

    @property
    def service_codes(self) -> list[str] | None:
        return list(self.contract.service_codes) or None

    def rota_scope(self) -> tuple[list[int] | None, list[str] | None]:
        """(practice ids, service codes) for rota queries. Services name the work wherever it happens (hubs
        belong to no practice), so when the contract names services they alone set the scope."""
        if self.service_codes:
            return None, self.service_codes
        return self.practice_ids, None

    def staff_ids(self, basis: str = "auto") -> set[int]:
        if basis == "auto":
            basis = "rota" if self.service_codes else "practices"
        if basis not in self._staff:
            if basis == "rota":
                from federation_desk.services.rota import staff_on_service

                practices, codes = self.rota_scope()
                self._staff[basis] = staff_on_service(self.session, self.start, self.end, codes, practices)
            else:
                self._staff[basis] = practice_staff_ids(self.session, self.practice_ids or [], self.start, self.end)
        return self._staff[basis]

    def staff_basis_text(self, basis: str = "auto") -> str:
        if basis == "auto":
            basis = "rota" if self.service_codes else "practices"
        if basis == "rota":
            _practices, codes = self.rota_scope()
            where = f"services {', '.join(codes)}" if codes else _practices_text(self.contract)
            return f"staff with a rota session for {where} from {format_date(self.start)} to {format_date(self.end)}"
        return f"staff of {_practices_text(self.contract)} in post at some time in the period"

    def training(self, ids: Collection[int]) -> dict[int, Any]:
        """HR's training status on the as-at day, computed once per person whatever the obligations asking."""
        from federation_desk.services.compliance import training_status

        missing = [i for i in ids if i not in self._training]
        if missing:
            found = training_status(self.session, self.as_of, missing)
            for sid in missing:
                self._training[sid] = found.get(sid)
        return {i: self._training[i] for i in ids}

    def staff_info(self, ids: Collection[int]) -> dict[int, StaffInfo]:
        missing = [i for i in ids if i not in self._info]
        for chunk in _chunks(sorted(missing), 900):
            rows = self.session.execute(
                select(
                    StaffMember.id,
                    StaffMember.given_name,
                    StaffMember.family_name,
                    StaffMember.preferred_name,
                    Role.name,
                    Role.is_clinical,
                    Practice.name,
                )
                .join(Role, Role.id == StaffMember.role_id)
                .outerjoin(Practice, Practice.id == StaffMember.employer_practice_id)
                .where(StaffMember.id.in_(chunk))
            ).all()
            for sid, given, family, preferred, role, clinical, practice in rows:
                shown = f"{preferred or given} {family}".strip()
                names = tuple(dict.fromkeys(n for n in (shown, f"{given} {family}", preferred, given, family) if n))
                self._info[sid] = StaffInfo(
                    sid, shown, names, role, bool(clinical), practice or "Employed by the federation"
                )
        return {i: self._info[i] for i in ids if i in self._info}


def _chunks(items: Sequence[int], size: int) -> list[Sequence[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _practices_text(contract: ContractRow) -> str:
    if not contract.practice_ids:
        return "every member practice"
    if len(contract.practice_names) <= 3:
        return ", ".join(contract.practice_names)
    return f"{len(contract.practice_names)} practices"


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole


def _grey(ctx: EvalContext, ob: ObligationRow, summary: str, evidence: tuple[tuple[str, str], ...] = ()) -> Evaluation:
    return Evaluation(ob, ctx.period, ctx.as_of, None, Rag.GREY, summary, evidence=evidence)


def _result(
    ctx: EvalContext,
    ob: ObligationRow,
    value: float,
    summary: str,
    numerator: int | None = None,
    denominator: int | None = None,
    exceptions: Sequence[ExceptionRow] = (),
    evidence: Sequence[tuple[str, str]] = (),
    rag: Rag | None = None,
) -> Evaluation:
    rag = rag or ob.rag(value)
    shown = tuple(exceptions) if rag in (Rag.RED, Rag.AMBER) else ()
    return Evaluation(ob, ctx.period, ctx.as_of, value, rag, summary, numerator, denominator, shown, tuple(evidence))


# ---- the evaluators ------------------------------------------------------------------------------------------


def evaluate_workforce(ctx: EvalContext, ob: ObligationRow) -> Evaluation:
    basis = ob.parameters.get("staff_basis", "auto")
    ids = ctx.staff_ids(basis)
    evidence = (("Staff counted", ctx.staff_basis_text(basis)), ("Checked on", format_date(ctx.as_of)))
    if not ids:
        return _grey(ctx, ob, f"No staff worked on the contract in {ctx.period.label}.", evidence)
    status = ctx.training(ids)
    info = ctx.staff_info(ids)
    exceptions = []
    compliant = 0
    for sid in sorted(ids, key=lambda i: (info[i].practice, info[i].name) if i in info else ("", "")):
        summary = status.get(sid)
        if summary is None or summary.in_date >= summary.required:
            compliant += 1
            continue
        person = info.get(sid)
        parts = []
        if summary.expired:
            parts.append("expired: " + ", ".join(summary.expired))
        if summary.missing:
            parts.append("missing: " + ", ".join(summary.missing))
        detail = f"{summary.in_date} of {summary.required} subjects in date; " + "; ".join(parts)
        exceptions.append(_person_row(person, sid, detail))
    total = len(ids)
    value = _percent(compliant, total)
    return _result(
        ctx,
        ob,
        value,
        f"{compliant:,} of {total:,} staff ({format_value(value, '%')}) have all their mandatory training in date "
        f"on {format_date(ctx.as_of)}.",
        compliant,
        total,
        exceptions,
        (*evidence, ("Source", "HR compliance engine: training records against each role's requirements")),
    )


def evaluate_credentials(ctx: EvalContext, ob: ObligationRow) -> Evaluation:
    from federation_desk.services.compliance import credential_gate

    basis = ob.parameters.get("staff_basis", "auto")
    include_indemnity = bool(ob.parameters.get("include_indemnity", True))
    ids = ctx.staff_ids(basis)
    info = ctx.staff_info(ids)
    clinicians = sorted(
        (i for i in ids if i in info and info[i].clinical), key=lambda i: (info[i].practice, info[i].name)
    )
    checks = "registration, DBS and mandatory training" + (" and own indemnity cover" if include_indemnity else "")
    evidence: tuple[tuple[str, str], ...] = (
        ("Clinicians counted", "clinical roles among " + ctx.staff_basis_text(basis)),
        ("Checked", f"{checks}, on {format_date(ctx.as_of)}"),
    )
    if not clinicians:
        return _grey(ctx, ob, f"No clinicians worked on the contract in {ctx.period.label}.", evidence)
    gate = credential_gate(ctx.session, clinicians, ctx.as_of)
    cover: dict[int, str | None] = {}
    if include_indemnity:
        from federation_desk.services.indemnity import own_cover_gate

        cover = own_cover_gate(ctx.session, clinicians, ctx.as_of)
    exceptions = []
    for sid in clinicians:
        reasons = list(gate.get(sid, []))
        if cover.get(sid):
            reasons.append(str(cover[sid]))
        if reasons:
            exceptions.append(_person_row(info[sid], sid, " ".join(_sentence(r) for r in reasons)))
    clear = len(clinicians) - len(exceptions)
    value = _percent(clear, len(clinicians))
    return _result(
        ctx,
        ob,
        value,
        f"{clear:,} of {len(clinicians):,} clinicians ({format_value(value, '%')}) had valid {checks} on "
        f"{format_date(ctx.as_of)}.",
        clear,
        len(clinicians),
        exceptions,
        (
            *evidence,
            (
                "Source",
                "HR compliance engine (credential gate)" + ("; indemnity register" if include_indemnity else ""),
            ),
        ),
    )


def evaluate_staffing(ctx: EvalContext, ob: ObligationRow) -> Evaluation:
    from federation_desk.services.rota import staffing_counts

    practices, codes = ctx.rota_scope()
    counts = staffing_counts(ctx.session, ctx.start, ctx.end, practices, codes)
    where = f"services {', '.join(codes)}" if codes else _practices_text(ctx.contract)
    evidence = (
        ("Sessions counted", f"rota sessions for {where} from {format_date(ctx.start)} to {format_date(ctx.end)}"),
        ("Source", "Rota: places needed and people assigned"),
    )
    if counts.planned == 0:
        return _grey(ctx, ob, f"No rota places were planned for the contract in {ctx.period.label}.", evidence)
    exceptions = [
        ExceptionRow(
            f"{format_date(v.session_date)} {v.time_text}",
            f"{v.service_name} at {v.site_name}: {v.missing} of {v.needed} {v.role_name} "
            f"place{'s' if v.needed != 1 else ''} unfilled",
            v.role_name,
            v.site_name,
            when=v.session_date,
        )
        for v in counts.unfilled
    ]
    value = _percent(counts.filled, counts.planned)
    return _result(
        ctx,
        ob,
        value,
        f"{counts.filled:,} of {counts.planned:,} rota places ({format_value(value, '%')}) were filled; "
        f"{len(counts.unfilled):,} session{'s' if len(counts.unfilled) != 1 else ''} had a vacancy.",
        counts.filled,
        counts.planned,
        exceptions,
        evidence,
    )


def evaluate_insurance(ctx: EvalContext, ob: ObligationRow) -> Evaluation:
    from federation_desk.domain.indemnity import PolicyType
    from federation_desk.services.indemnity import list_policies, policy_held_throughout

    params = ob.parameters
    try:
        policy_type = PolicyType(params.get("policy_type", ""))
    except ValueError:
        return _grey(ctx, ob, "The obligation names no policy type; choose one in the obligation editor.")
    minimum = Decimal(str(params.get("minimum_limit") or "0"))
    holder = params.get("holder_practice_id")
    if holder is not None and ctx.session.get(Practice, holder) is None:
        return _grey(ctx, ob, "The policy holder practice no longer exists; choose another in the obligation editor.")
    check = policy_held_throughout(ctx.session, holder, policy_type, minimum, ctx.start, ctx.end)
    days = (ctx.end - ctx.start).days + 1
    bad = sum((b - a).days + 1 for a, b in check.gaps) + sum((b - a).days + 1 for a, b, _lim in check.shortfalls)
    exceptions = [
        ExceptionRow(
            "No policy in force",
            f"{_span(a, b)}: no {policy_type.label.lower()} policy recorded",
            when=a,
        )
        for a, b in check.gaps
    ] + [
        ExceptionRow(
            "Limit below the minimum",
            f"{_span(a, b)}: limit {format_money(limit)}, below {format_money(minimum)}",
            when=a,
        )
        for a, b, limit in check.shortfalls
    ]
    exceptions.sort(key=lambda e: e.when or ctx.start)
    policies = [
        p
        for p in list_policies(ctx.session, holder, all_holders=False)
        if p.policy_type is policy_type and p.start <= ctx.end and p.end >= ctx.start
    ]
    evidence: list[tuple[str, str]] = [("Check", check.reason)]
    for p in sorted(policies, key=lambda p: p.start):
        evidence.append(
            (
                "Policy relied on",
                f"{p.holder_name}: {p.type_label}, {p.insurer} policy {p.policy_number}, limit {p.limit_text}, "
                f"{format_date(p.start)} to {format_date(p.end)}"
                + (
                    f", certificate {p.certificate_filename}" if p.certificate_filename else ", no certificate attached"
                ),
            )
        )
    value = _percent(days - bad, days)
    return _result(ctx, ob, value, check.reason, days - bad, days, exceptions, evidence)


def _span(a: date, b: date) -> str:
    n = (b - a).days + 1
    return format_date(a) if a == b else f"{format_date(a)} to {format_date(b)} ({n} days)"


def evaluate_access(ctx: EvalContext, ob: ObligationRow) -> Evaluation:
    from federation_desk.services.enhanced_access import enhanced_access_weeks

    pcn_ids = list(ob.parameters.get("pcn_ids") or [])
    if not pcn_ids:
        stmt = select(Practice.pcn_id).where(Practice.pcn_id.is_not(None)).distinct()
        if ctx.practice_ids:
            stmt = stmt.where(Practice.id.in_(ctx.practice_ids))
        pcn_ids = sorted(ctx.session.scalars(stmt).all())
    names = dict(ctx.session.execute(select(Pcn.id, Pcn.name).where(Pcn.id.in_(pcn_ids))).all()) if pcn_ids else {}
    evidence: list[tuple[str, str]] = [
        ("PCNs", ", ".join(names.get(i, f"#{i}") for i in pcn_ids) or "none"),
        ("Source", "Rota: Enhanced Access sessions inside the Network Standard Hours; practices' adjusted population"),
    ]
    if not pcn_ids:
        return _grey(ctx, ob, "No PCN is linked to this obligation or to the contract's practices.", tuple(evidence))
    from federation_desk.domain.rota import RotaSession

    rota_start = ctx.session.scalar(select(func.min(RotaSession.session_date)))
    if rota_start is None or rota_start > ctx.period.end_date:
        return _grey(ctx, ob, "The rota holds no sessions for this period, so Enhanced Access cannot be measured.")
    offered = required = weeks = skipped = 0
    exceptions = []
    problem_weeks = 0
    for pcn_id in pcn_ids:
        for w in enhanced_access_weeks(ctx.session, pcn_id, ctx.start, ctx.period.end_date):
            # A week belongs to the period holding its Monday, and counts once it is over and on the rota.
            if not ctx.start <= w.week_start <= ctx.period.end_date or w.week_start + timedelta(days=6) >= ctx.today:
                continue
            if w.week_start + timedelta(days=6) < rota_start:
                skipped += 1
                continue
            weeks += 1
            offered += w.minutes_offered
            required += w.minutes_required
            problems = list(w.problems)
            if not w.windows_covered or not w.gp_on_site_throughout:
                problem_weeks += 1
            short = w.minutes_offered < w.minutes_required
            if short or problems or not w.windows_covered or not w.gp_on_site_throughout:
                per_1000 = 60.0 * w.minutes_offered / w.minutes_required if w.minutes_required else 0.0
                text = f"{w.minutes_offered:,} of {w.minutes_required:,} minutes ({per_1000:.1f} per 1,000)"
                extra = [p for p in problems if "appointment minutes offered" not in p] or (
                    ([] if w.windows_covered else ["not every required window covered"])
                    + ([] if w.gp_on_site_throughout else ["no GP on site throughout"])
                )
                exceptions.append(
                    ExceptionRow(
                        f"Week of {format_date(w.week_start)}",
                        "; ".join([text, *extra]),
                        practice=names.get(pcn_id),
                        when=w.week_start,
                    )
                )
    counted = f"{weeks} completed PCN-week{'s' if weeks != 1 else ''} starting in the period"
    if skipped:
        counted += f"; {skipped} before the rota began on {format_date(rota_start)} not counted"
    evidence.append(("Weeks counted", counted))
    if weeks == 0:
        return _grey(ctx, ob, "No completed week of this period is on the rota yet.", tuple(evidence))
    if required == 0:
        return _grey(
            ctx,
            ob,
            "No Enhanced Access requirement could be worked out: record the practices' adjusted population.",
            tuple(evidence),
        )
    value = 60.0 * offered / required
    rag = ob.rag(value)
    summary = (
        f"{offered:,} minutes offered against {required:,} required over {weeks} PCN-week"
        f"{'s' if weeks != 1 else ''}: {value:.1f} minutes per 1,000 adjusted population per week."
    )
    if rag is Rag.GREEN and problem_weeks:
        rag = Rag.AMBER
        summary += (
            f" Amber although the minutes were met: {problem_weeks} week{'s' if problem_weeks != 1 else ''} missed "
            "a required window or a GP on site."
        )
    return _result(ctx, ob, value, summary, offered, required, exceptions, evidence, rag)


def evaluate_manual(ctx: EvalContext, ob: ObligationRow) -> Evaluation:
    entered = ctx.kpis.get((ob.id, ctx.period.id))
    if entered is None:
        return _grey(ctx, ob, f"No value has been entered for {ctx.period.label}.")
    evidence = (
        ("Entered by", f"{entered.entered_by} on {format_instant(entered.entered_at)}"),
        ("Note", entered.note or "none"),
    )
    row = ExceptionRow(
        ob.name,
        f"{format_value(entered.value, ob.unit)} against {ob.target_text}. "
        + (f"Explanation: {entered.note}" if entered.note else "No explanation was recorded with the value."),
        when=entered.entered_at.date(),
    )
    return _result(
        ctx,
        ob,
        entered.value,
        f"{format_value(entered.value, ob.unit)} entered by {entered.entered_by} on "
        f"{format_instant(entered.entered_at)}.",
        exceptions=[row],
        evidence=evidence,
    )


def _person_row(person: StaffInfo | None, sid: int, detail: str) -> ExceptionRow:
    if person is None:
        return ExceptionRow(f"Staff record {sid}", detail, staff_id=sid)
    return ExceptionRow(person.name, detail, person.role, person.practice, sid, names=person.names)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


EVALUATORS: dict[ObligationType, Callable[[EvalContext, ObligationRow], Evaluation]] = {
    ObligationType.WORKFORCE: evaluate_workforce,
    ObligationType.CREDENTIALS: evaluate_credentials,
    ObligationType.STAFFING: evaluate_staffing,
    ObligationType.INSURANCE: evaluate_insurance,
    ObligationType.ACCESS: evaluate_access,
    ObligationType.MANUAL_KPI: evaluate_manual,
}


def evaluate_obligation(ctx: EvalContext, ob: ObligationRow) -> Evaluation:
    if ctx.today < ctx.period.start_date:
        return _grey(ctx, ob, f"{ctx.period.label} has not started yet.")
    try:
        return EVALUATORS[ob.obligation_type](ctx, ob)
    except FederationDeskError as exc:  # a setting that no longer makes sense: say so, judge nothing
        return _grey(ctx, ob, f"Could not be evaluated: {exc.message}")


# ---- a whole contract ----------------------------------------------------------------------------------------


def evaluate_contract(
    session: Session,
    contract_id: int,
    period_id: int,
    today: date,
    trend_count: int = 4,
    progress: Progress | None = None,
    use_reported: bool = True,
) -> ContractEvaluation:
    """Every active obligation of a contract for one period, and for the ``trend_count`` periods before it.

    With ``use_reported``, an earlier period's result is taken from the last report produced for that period (as it
    was submitted); the others are evaluated now.
    """
    progress = progress or NullProgress()
    contract = get_contract(session, contract_id)
    periods = list_periods(session, contract_id)
    period = next((p for p in periods if p.id == period_id), None)
    if period is None:
        from federation_desk.errors import NotFound

        raise NotFound("This reporting period")
    obligations = list_obligations(session, contract_id, include_inactive=False)
    earlier = previous_periods(periods, period_id, trend_count)
    manual = [o.id for o in obligations if o.obligation_type is ObligationType.MANUAL_KPI]
    kpis = kpi_values(session, manual, [p.id for p in [*earlier, period]])
    reported = reported_results(session, contract_id, [p.id for p in earlier]) if use_reported else {}
    total = len(obligations) * (1 + len(earlier))
    done = 0

    def run(p: PeriodRow) -> tuple[Evaluation, ...]:
        nonlocal done
        ctx = EvalContext(session, contract, p, today, kpis)
        out = []
        for ob in obligations:
            progress.update(done, total, f"Evaluating the obligations for {p.label} ...")
            stored = reported.get((ob.id, p.id)) if p.id != period_id else None
            out.append(_as_reported(ob, p, stored) if stored is not None else evaluate_obligation(ctx, ob))
            done += 1
        return tuple(out)

    results = run(period)
    trend: dict[int, list[Evaluation]] = {o.id: [] for o in obligations}
    for p in earlier:
        for ev in run(p):
            trend[ev.obligation.id].append(ev)
    return ContractEvaluation(
        contract, period, as_of_date(period, today), results, tuple(earlier), {k: tuple(v) for k, v in trend.items()}
    )


def _as_reported(ob: ObligationRow, period: PeriodRow, stored: ReportedResult) -> Evaluation:
    run = stored.run
    return Evaluation(
        ob,
        period,
        as_of_date(period, run.produced_at.date()),
        stored.value,
        stored.rag,
        stored.summary,
        evidence=(("As reported", f"in report {run.trace_code}, produced {format_instant(run.produced_at)}"),),
        reported_in=run.trace_code,
    )


@dataclass(frozen=True)
class ContractStatusRow:
    contract: ContractRow
    period: PeriodRow | None
    overall: Rag
    counts_text: str
    worst_items: tuple[str, ...]  # names of red (then amber) obligations


def contract_status(session: Session, contract: ContractRow, today: date) -> ContractStatusRow:
    """A contract's RAG for its current reporting period: the latest that has ended, else the running one.
    Contracts not started yet, or ended over a year ago, are not evaluated."""
    from federation_desk.services.contracts import default_period

    if contract.start_date > today:
        return ContractStatusRow(contract, None, Rag.GREY, "not started yet", ())
    if contract.end_date < today - timedelta(days=400):
        return ContractStatusRow(contract, None, Rag.GREY, "ended", ())
    period = default_period(list_periods(session, contract.id), today)
    if period is None:
        return ContractStatusRow(contract, None, Rag.GREY, "no reporting periods", ())
    evaluation = evaluate_contract(session, contract.id, period.id, today, trend_count=0)
    bad = sorted((r for r in evaluation.results if r.is_exception), key=lambda r: -r.rag.severity)
    return ContractStatusRow(
        contract,
        period,
        evaluation.overall,
        evaluation.counts_text,
        tuple(f"{r.obligation.name} ({r.rag.label.lower()})" for r in bad),
    )


def current_statuses(session: Session, today: date, live_only: bool = True) -> list[ContractStatusRow]:
    """Every contract's status (live ones only, unless ``live_only`` is False)."""
    from federation_desk.services.contracts import list_contracts

    rows = [contract_status(session, c, today) for c in list_contracts(session)]
    return [r for r in rows if r.period is not None] if live_only else rows


@dashboard_card(60, "contracts")
def contracts_card(session: Session, today: date) -> DashboardCard | None:
    statuses = current_statuses(session, today)
    if not statuses:
        return None
    reds = [s for s in statuses if s.overall is Rag.RED]
    ambers = [s for s in statuses if s.overall is Rag.AMBER]
    if reds or ambers:
        parts = [f"{len(reds)} red" if reds else "", f"{len(ambers)} amber" if ambers else ""]
        headline = (
            f"{' and '.join(p for p in parts if p)} of {len(statuses)} contract{'s' if len(statuses) != 1 else ''}"
        )
    else:
        headline = f"All {len(statuses)} contract{'s' if len(statuses) != 1 else ''} on track"
    details = []
    for st in sorted(statuses, key=lambda st: (-st.overall.severity, st.contract.reference)):
        assert st.period is not None
        line = f"{st.contract.reference}: {st.overall.label.lower()} for {st.period.label} ({st.counts_text})"
        if st.worst_items:
            more = len(st.worst_items) - 2
            line += " - " + ", ".join(st.worst_items[:2]) + (f" and {more} more" if more > 0 else "")
        details.append(line)
    severity = Severity.DANGER if reds else Severity.WARNING if ambers else Severity.GOOD
    return DashboardCard("contracts", "Contracts", headline, tuple(details), severity, "contracts", 60)


# ---- hiding names ---------------------------------------------------------------------------------------------


def anonymise_text(text: str, names: Sequence[str], replacement: str) -> str:
    """Replace a person's names in ``text`` (whole words, longest first) by ``replacement``."""
    for name in sorted({n for n in names if n and n.strip()}, key=len, reverse=True):
        pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)")
        text = pattern.sub(replacement, text)
    return text


def anonymise_row(row: ExceptionRow, scrub: Callable[[str], str] | None = None) -> ExceptionRow:
    """An exception row fit for an anonymised report: the person's own names in its detail become "this person",
    then ``scrub`` (a :class:`~federation_desk.services.anonymise.NameScrubber`) hides anybody else's; the row no
    longer carries the names."""
    detail = row.detail
    if row.names:
        detail = anonymise_text(detail, row.names, "this person")
        if detail.startswith("this person"):
            detail = detail[:1].upper() + detail[1:]
    row = replace(row, detail=detail, names=())
    return scrub_strings(row, scrub) if scrub is not None else row


def anonymise_evaluation(evaluation: ContractEvaluation, scrub: Callable[[str], str]) -> ContractEvaluation:
    """The evaluation with staff names hidden from every text it holds: the contract's, the period's and the
    obligations' fields (names, descriptions, notes), the results' summaries and evidence (KPI notes, who entered
    them), and the exception rows (see :func:`anonymise_row`), for this period and the trend periods."""
    memo: dict[int, Any] = {}

    def results(items: Sequence[Evaluation]) -> tuple[Evaluation, ...]:
        return tuple(
            scrub_strings(replace(r, exceptions=tuple(anonymise_row(x) for x in r.exceptions)), scrub, memo)
            for r in items
        )

    return replace(
        evaluation,
        contract=scrub_strings(evaluation.contract, scrub, memo),
        period=scrub_strings(evaluation.period, scrub, memo),
        results=results(evaluation.results),
        trend_periods=scrub_strings(evaluation.trend_periods, scrub, memo),
        trend={k: results(v) for k, v in evaluation.trend.items()},
    )
