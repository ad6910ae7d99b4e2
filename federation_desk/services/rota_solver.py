"""Auto-fill: fill a period's vacancies under every hard rule, with as few soft-rule breaches as possible and the
sessions spread fairly. Nothing is written: :func:`propose_fill` returns proposals (and the vacancies it cannot
fill, with the reason) for the person to accept; :func:`accept_proposals` books them after checking each one again.

How it stays fast at federation scale (4 weeks x 15 sites x 150 staff):

* **Set-based pre-filter.** The hard rules that depend only on a person and a day (in post, approved leave, a
  clinician for a clinical session, the compliance gate, own indemnity for non-NHS work) come from one rules
  context loaded with a handful of queries, through :func:`rota_rules.standing_problems` -- the same function the
  rules engine uses, so they cannot disagree. Double booking against the person's existing sessions is an
  interval test on their sorted timeline.
* **Interchangeable sessions are one group.** Sessions on the same day at the same times needing the same role,
  skill and indemnity are the same problem for everyone in the pool, so the model has one variable per person
  and group, not per person and session; each group is shared out to its sessions afterwards (staff of the
  session's own practice first).
* **Working Time as constraints, not per-pair checks.** Overlapping groups are at-most-one; two new sessions that
  together break the 11-hour daily rest cost a soft penalty; the 24-hour weekly rest becomes "no more than six
  days in a row starting work"; the 17-week 48-hour average is a linear constraint per reference period, added
  only for people near the limit. The full rules engine is run per person and group only where their existing
  sessions are close enough to matter.
* **Greedy warm start, then CP-SAT with LNS** (:mod:`federation_desk.services.rota_core`). The greedy fill is
  already rule-abiding; the solver improves it within the time left.
* **Checked again.** The final proposal is checked by the real rules engine, booking by booking in the order
  they would be accepted; anything the model did not foresee is dropped (a hard rule) or shown with its warning
  (a soft rule).
"""

from __future__ import annotations

import bisect
import math
import random
import time as _time
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from federation_desk.domain.organisation import Practice
from federation_desk.domain.rota import Assignment, RotaSession
from federation_desk.domain.staff import Role, StaffMember
from federation_desk.errors import Cancelled, ValidationError
from federation_desk.services import rota
from federation_desk.services import rota_rules as rules
from federation_desk.services.changes import Changes
from federation_desk.services.dates import format_date
from federation_desk.services.progress import NullProgress, Progress

if TYPE_CHECKING:  # the engine imports OR-Tools (about 0.5 s): loaded when a fill is built, on its worker
    from federation_desk.services.rota_core import RosterCore, SolveOutcome

FILL_WEIGHT = 10_000  # an unfilled place
SOFT_WEIGHT = 400  # a soft-rule breach (daily/weekly rest, 48-hour average, skill)
ADVISORY_WEIGHT = 100  # an advisory warning (a locum outside the Working Time Regulations)
SUBSTITUTE_WEIGHT = 30  # a more senior colleague standing in
FAIR_WEIGHT = 20  # per session above a person's fair share
MAX_DAYS = 62

# ---- results -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    session_id: int
    staff_id: int
    staff_name: str
    role_name: str
    session_label: str
    session_date: date
    soft: tuple[rules.Violation, ...] = ()
    starts_at: datetime | None = None
    site_name: str = ""
    service_name: str = ""
    time_text: str = ""

    @property
    def note(self) -> str:
        return " ".join(v.reason for v in self.soft)

    @property
    def needs_reason(self) -> bool:
        return any(v.severity is rules.Severity.SOFT for v in self.soft)


@dataclass(frozen=True)
class Unfillable:
    session_id: int
    session_label: str
    session_date: date
    missing: int
    reason: str
    site_name: str = ""
    service_name: str = ""
    time_text: str = ""
    role_name: str = ""


@dataclass(frozen=True)
class AutoFillResult:
    proposals: list[Proposal]
    unfillable: list[Unfillable]
    vacancies: int
    places: int
    status: str
    seconds: float
    soft_breaches: int
    notes: tuple[str, ...] = ()
    trace: list[tuple[float, float]] = field(default_factory=list)
    people: int = 0
    build_seconds: float = 0.0
    search_seconds: float = 0.0
    check_seconds: float = 0.0
    greedy_filled: int = 0
    dropped: int = 0  # proposals the final check removed

    @property
    def summary(self) -> str:
        filled = len(self.proposals)
        if not self.places:
            return "There are no vacant places in this period."
        text = f"{filled} of {self.places} vacant places can be filled"
        if self.soft_breaches:
            text += f" ({self.soft_breaches} need an override reason)"
        if self.unfillable:
            text += f"; {sum(u.missing for u in self.unfillable)} cannot"
        return text + "."


# ---- the model's pieces --------------------------------------------------------------------------------------


@dataclass
class _Group:
    """Sessions that are the same problem for everyone: same day, times, role, skill and indemnity need."""

    index: int
    facts: rules.SessionFacts  # one of them, for the rules
    role_id: int
    role_name: str
    sessions: list[rota.VacancyRow]
    demand: int
    day: int  # days from the start of the period
    start_day: int  # the day it starts (for the weekly rest)
    minutes: int
    week_minutes: dict[date, int]  # minutes per Monday (a session across midnight on Sunday counts to both)

    @property
    def start(self) -> datetime:
        return self.facts.starts_at

    @property
    def end(self) -> datetime:
        return self.facts.ends_at


@dataclass
class _Candidate:
    cost: int
    soft: tuple[rules.Violation, ...]
    substitute: bool


@dataclass
class _Explain:
    """Why the people in a group's pool cannot take it (rule -> how many)."""

    pool: int = 0
    blocked: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    needs_reason: int = 0


HARD_WORDS = {
    rules.Rule.DOUBLE_BOOKING.value: "already booked at that time",
    rules.Rule.LEAVE.value: "on approved leave",
    rules.Rule.COMPLIANCE.value: "not cleared by the compliance gate (registration, DBS or training)",
    rules.Rule.OWN_INDEMNITY.value: "without their own indemnity for non-NHS work",
    rules.Rule.NOT_EMPLOYED.value: "not in post that day",
    rules.Rule.NOT_CLINICIAN.value: "not clinicians",
}


def _pool(
    session: Session, role_ids: Collection[int], staff_ids: Collection[int] | None, start: date, end: date
) -> dict[int, list[int]]:
    """Who may stand in each role without a mismatch: the role itself and its senior cover (rules.ROLE_COVER),
    among staff in post at some time in the period."""
    codes = dict(session.execute(select(Role.id, Role.code)).all())
    ids_by_code = {c: i for i, c in codes.items()}
    stmt = select(StaffMember.id, StaffMember.role_id).where(
        or_(StaffMember.leave_date.is_(None), StaffMember.leave_date >= start),
        or_(StaffMember.start_date.is_(None), StaffMember.start_date <= end),
    )
    if staff_ids is not None:
        stmt = stmt.where(StaffMember.id.in_(list(staff_ids)))
    by_role: dict[int, list[int]] = defaultdict(list)
    for sid, rid in session.execute(stmt).all():
        by_role[rid].append(sid)
    out: dict[int, list[int]] = {}
    for rid in role_ids:
        allowed = {rid} | {ids_by_code[c] for c in rules.ROLE_COVER.get(codes.get(rid, ""), ()) if c in ids_by_code}
        out[rid] = sorted(p for r in allowed for p in by_role.get(r, []))
    return out


def _week_minutes(start: datetime, end: datetime) -> dict[date, int]:
    out: dict[date, int] = defaultdict(int)
    for day, hours in rules.hours_by_day(start, end):
        out[day - timedelta(days=day.weekday())] += round(hours * 60)
    return dict(out)


class _Planner:
    """Builds and solves the auto-fill model for one period (see the module docstring)."""

    def __init__(
        self,
        session: Session,
        start: date,
        end: date,
        vacancies: list[rota.VacancyRow],
        staff_ids: Collection[int] | None,
        allow_soft: bool,
        progress: Progress,
    ) -> None:
        self.session = session
        self.start, self.end = start, end
        self.vacancies = vacancies
        self.allow_soft = allow_soft
        self.progress = progress
        self.facts = rules.load_session_facts(session, [v.session_id for v in vacancies])
        self.vacancy = {v.session_id: v for v in vacancies}
        self.pool = _pool(session, {v.role_id for v in vacancies}, staff_ids, start, end)
        self.people = sorted({p for ids in self.pool.values() for p in ids})
        first = min(f.starts_at for f in self.facts.values())
        last = max(f.ends_at for f in self.facts.values())
        progress.update(0, None, f"Loading the rules for {len(self.people)} people and {len(vacancies)} sessions ...")
        self.ctx = rules.load_context(session, self.people, first, last)  # the gates come next
        self.params = self.ctx.params
        self._gates()
        self._groups()
        self._affinity()

    # -- the compliance gates ----------------------------------------------------------------------------------
    def _gates(self) -> None:
        """The compliance gate for every clinician in the pool on every session date, from a few calls.

        HR's gate clears a person from their start date until the first of their required items expires (or they
        leave), so the days they are clear form one stretch. It is asked for everyone on the first and last
        session dates; people clear on both are clear throughout; for people clear on only one, the day it
        changes is found by bisection (a handful of calls for all of them together); people blocked on both are
        treated as blocked throughout (at worst a missed option, never a broken rule). The final check asks the
        gate again, exactly, for each proposed booking's person and date (:meth:`exact_gates`)."""
        ctx = self.ctx
        dates = sorted({f.session_date for f in self.facts.values()})
        clinical = sorted(i for i in self.people if ctx.people.get(i) and ctx.people[i].is_clinical)
        if not clinical or not dates:
            return
        n = len(dates)
        first = rules.fetch_credentials(self.session, clinical, dates[0], ctx.notes)
        last = rules.fetch_credentials(self.session, clinical, dates[-1], ctx.notes) if n > 1 else first
        probed: dict[int, dict[int, list[str]]] = {
            pid: {0: first.get((pid, dates[0]), []), n - 1: last.get((pid, dates[-1]), [])} for pid in clinical
        }
        # Bisection for people clear on only one of the two days: (lo, hi) are date indexes with the state of
        # the first and of the last day; shrink until adjacent.
        bounds = {pid: (0, n - 1) for pid, seen in probed.items() if bool(seen[0]) != bool(seen[n - 1])}
        while True:
            probes: dict[int, list[int]] = defaultdict(list)
            for pid, (lo, hi) in bounds.items():
                if hi - lo > 1:
                    probes[(lo + hi) // 2].append(pid)
            if not probes:
                break
            for mid, pids in probes.items():
                found = rules.fetch_credentials(self.session, pids, dates[mid], ctx.notes)
                for pid in pids:
                    probed[pid][mid] = found.get((pid, dates[mid]), [])
                    lo, hi = bounds[pid]
                    bounds[pid] = (mid, hi) if bool(probed[pid][mid]) == bool(probed[pid][0]) else (lo, mid)
        for pid, seen in probed.items():
            if not seen[0] and not seen[n - 1]:
                continue  # clear throughout
            lo, hi = bounds.get(pid, (n - 1, n - 1))  # blocked on both days: blocked throughout
            for i, d in enumerate(dates):
                blocked_like = seen[0] if i <= lo else seen[n - 1]
                if not blocked_like:
                    continue
                reasons = (
                    seen.get(i)
                    or min(((abs(j - i), r) for j, r in seen.items() if r), key=lambda jr: jr[0], default=(0, []))[1]
                )
                ctx.credential[(pid, d)] = reasons
        self._own_cover(clinical)

    def exact_gates(self, placed: list[tuple[int, int]]) -> None:
        """Ask the compliance gate again, exactly, for each proposed booking's person on its date."""
        by_date: dict[date, set[int]] = defaultdict(set)
        for sid, pid in placed:
            person = self.ctx.people.get(pid)
            if person is not None and person.is_clinical:
                by_date[self.facts[sid].session_date].add(pid)
        for d, pids in sorted(by_date.items()):
            found = rules.fetch_credentials(self.session, sorted(pids), d, self.ctx.notes)
            for pid in pids:
                reasons = found.get((pid, d))
                if reasons:
                    self.ctx.credential[(pid, d)] = reasons
                else:
                    self.ctx.credential.pop((pid, d), None)

    def _own_cover(self, clinical: list[int]) -> None:
        non_nhs_dates = sorted({f.session_date for f in self.facts.values() if f.non_nhs})
        for d in non_nhs_dates:
            self.ctx.own_cover.update(rules.fetch_own_cover(self.session, clinical, d, self.ctx.notes))

    # -- groups and candidates ---------------------------------------------------------------------------------
    def _groups(self) -> None:
        by_key: dict[tuple[object, ...], list[rota.VacancyRow]] = defaultdict(list)
        for v in self.vacancies:
            f = self.facts[v.session_id]
            by_key[(f.starts_at, f.ends_at, f.role_id, (f.skill or "").casefold(), f.non_nhs)].append(v)
        self.groups: list[_Group] = []
        for rows in sorted(by_key.values(), key=lambda rs: (self.facts[rs[0].session_id].starts_at, rs[0].role_id)):
            f = self.facts[rows[0].session_id]
            start_day = (f.session_date - self.start).days
            self.groups.append(
                _Group(
                    len(self.groups),
                    f,
                    rows[0].role_id,
                    rows[0].role_name,
                    rows,
                    sum(r.missing for r in rows),
                    start_day,
                    start_day,
                    max(1, round((f.ends_at - f.starts_at).total_seconds() / 60)),
                    _week_minutes(f.starts_at, f.ends_at),
                )
            )

    def _affinity(self) -> None:
        rows = self.session.execute(
            select(StaffMember.id, StaffMember.employer_practice_id, StaffMember.host_pcn_id, Practice.pcn_id)
            .outerjoin(Practice, Practice.id == StaffMember.employer_practice_id)
            .where(StaffMember.id.in_(self.people))
        ).all()
        self.employer = {r[0]: r[1] for r in rows}
        self.person_pcn = {r[0]: r[3] if r[1] is not None else r[2] for r in rows}
        self.practice_pcn = dict(self.session.execute(select(Practice.id, Practice.pcn_id)).all())

    def candidates(self) -> None:
        """Every (person, group) the hard rules allow, with the soft rules it would break on its own."""
        ctx = self.ctx
        self.cands: dict[int, dict[int, _Candidate]] = defaultdict(dict)  # person -> group -> candidate
        self.explain: dict[int, _Explain] = {}
        starts = {pid: ctx.starts(pid) for pid in self.people}
        self.avg_room = avg_room = {pid: self._average_room(pid) for pid in self.people}
        for n, g in enumerate(self.groups):
            if n % 40 == 0:
                self.progress.update(n, len(self.groups), "Checking who can work each session ...")
            explain = _Explain()
            self.explain[g.index] = explain
            for pid in self.pool.get(g.role_id, []):
                person = ctx.people.get(pid)
                if person is None:
                    continue
                explain.pool += 1
                hard = rules.standing_problems(ctx, person, g.facts)
                shifts = ctx.person_shifts(pid)
                near: list[rules.Shift] = []
                if shifts:
                    lo = bisect.bisect_left(starts[pid], g.start - timedelta(days=10))
                    hi = bisect.bisect_right(starts[pid], g.end + timedelta(days=8))
                    near = shifts[lo:hi]
                if any(s.start < g.end and g.start < s.end for s in near):
                    explain.blocked[rules.Rule.DOUBLE_BOOKING.value] += 1
                    continue
                if hard:
                    explain.blocked[hard[0].rule.value] += 1
                    continue
                soft: list[rules.Violation] = []
                if g.facts.skill and g.facts.skill.casefold() not in {s.casefold() for s in person.skills}:
                    soft.append(
                        rules.Violation(
                            rules.Rule.SKILL,
                            rules.Severity.SOFT,
                            f"This session needs {g.facts.skill}; {person.name} has no record of it.",
                        )
                    )
                if self._working_time_may_matter(pid, g, near, avg_room[pid]):
                    soft.extend(rules.working_time_problems(ctx, person, g.facts))
                needs_reason = any(v.severity is rules.Severity.SOFT for v in soft)
                if needs_reason and not self.allow_soft:
                    explain.needs_reason += 1
                    continue
                cost = sum(SOFT_WEIGHT if v.severity is rules.Severity.SOFT else ADVISORY_WEIGHT for v in soft)
                substitute = person.role_id != g.role_id
                if substitute:
                    cost += SUBSTITUTE_WEIGHT
                self.cands[pid][g.index] = _Candidate(cost, tuple(soft), substitute)

    def _average_room(self, pid: int) -> float:
        """Hours a person could add anywhere in the period before any 17-week average could go over the limit."""
        if self.ctx.people[pid].opted_out:
            return math.inf
        p = self.params
        weekly = self.ctx.weekly_hours(pid)
        if not weekly:
            return p.average_limit_hours * p.reference_weeks - self._leave_weeks(pid) * p.average_limit_hours
        first = rota.monday_of(self.start) - timedelta(weeks=p.reference_weeks - 1)
        last = rota.monday_of(self.end)
        worst = 0.0
        monday = first
        while monday <= last:
            total = sum(weekly.get(monday + timedelta(weeks=i), 0.0) for i in range(p.reference_weeks))
            worst = max(worst, total)
            monday += timedelta(weeks=1)
        capacity = p.average_limit_hours * (p.reference_weeks - self._leave_weeks(pid))
        return capacity - worst

    def _leave_weeks(self, pid: int) -> float:
        p = self.params
        lo = rota.monday_of(self.start) - timedelta(weeks=p.reference_weeks)
        hi = self.end + timedelta(weeks=p.reference_weeks)
        return rules.leave_weeks_in(self.ctx, pid, lo, hi)

    def _working_time_may_matter(self, pid: int, g: _Group, near: list[rules.Shift], room: float) -> bool:
        """Could the Working Time rules say anything about this person working this group, given their existing
        sessions? (Cheap bounds; when True the full rules are run.)"""
        if g.minutes / 60 > room:
            return True
        if not near:
            return False
        p = self.params
        reach = timedelta(hours=24) + p.daily_rest
        if any(s.end > g.start - reach and s.start < g.end + reach for s in near):
            return True
        week = [s for s in near if s.end > g.start - p.weekly_rest_period and s.start < g.end + p.weekly_rest_period]
        hours = sum((s.end - s.start).total_seconds() for s in week) / 3600 + g.minutes / 60
        rest, period = p.weekly_rest.total_seconds() / 3600, p.weekly_rest_period.total_seconds() / 3600
        return hours + rest * (len(week) + 1) >= period

    # -- the model ---------------------------------------------------------------------------------------------
    def build(self) -> RosterCore:
        from federation_desk.services.rota_core import RosterCore

        core = RosterCore()
        self.core = core
        p = self.params
        groups = self.groups
        for pid, options in self.cands.items():
            for gi, cand in options.items():
                core.allow(pid, gi, cand.cost, day=groups[gi].day)
        for g in groups:
            core.cover(g.index, g.demand, FILL_WEIGHT, None)
        self.pair_conflicts: dict[int, set[tuple[int, int]]] = defaultdict(set)
        self.fair = self._fair_shares()
        for pid, options in self.cands.items():
            mine = sorted(options, key=lambda gi: groups[gi].start)
            if not mine:
                continue
            # Double booking between new sessions: at most one of any set that overlaps at one instant.
            active: list[int] = []
            for gi in mine:
                at = groups[gi].start
                active = [gj for gj in active if groups[gj].end > at]
                active.append(gi)
                if len(active) > 1:
                    core.at_most_one(pid, active)
            # Daily rest between two new sessions (with the person's existing sessions around them).
            busy = [(s.start, s.end) for s in self.ctx.person_shifts(pid)]
            busy_starts = [b[0] for b in busy]
            for i, a in enumerate(mine):
                ga = groups[a]
                for b in mine[i + 1 :]:
                    gb = groups[b]
                    if gb.start >= ga.end + p.daily_rest:
                        break
                    if gb.start < ga.end:
                        continue  # overlapping: already at most one
                    lo = bisect.bisect_left(busy_starts, ga.start - timedelta(days=2))
                    hi = bisect.bisect_right(busy_starts, gb.end + timedelta(days=1))
                    around = busy[lo:hi]
                    pair = [*around, (ga.start, ga.end)]
                    if rules.rest_breach(pair, (gb.start, gb.end), timedelta(hours=24), p.daily_rest):
                        self.pair_conflicts[pid].add((a, b))
                        core.forbid_together(pid, a, b, self._soft_weight(pid))
            self._weekly_rest(core, pid, mine)
            self._average(core, pid, mine)
            # Fairness: sessions above the person's fair share cost a little each.
            existing = self.existing_count.get(pid, 0)
            load = sum(core.x[(pid, gi)] for gi in mine) + existing
            fair = self.fair.get(pid, 1)
            if existing + len(mine) > fair:
                excess = core.model.NewIntVar(0, existing + len(mine), f"fair_{pid}")
                core.model.Add(load - fair <= excess)
                core.penalise(excess, FAIR_WEIGHT)
        return core

    def _soft_weight(self, pid: int) -> int | None:
        """The cost of a Working Time breach between new sessions (None: not allowed)."""
        if self.ctx.people[pid].is_locum:
            return ADVISORY_WEIGHT
        return SOFT_WEIGHT if self.allow_soft else None

    def _fair_shares(self) -> dict[int, int]:
        """Each person's fair share of sessions in the period: their role's sessions (booked and vacant) over the
        people in that role who could take any."""
        lo, hi = rules.london_midnight(self.start), rules.london_midnight(self.end + timedelta(days=1))
        self.existing_count = {
            pid: sum(1 for s in self.ctx.person_shifts(pid) if lo <= s.start < hi) for pid in self.people
        }
        by_role: dict[int, list[int]] = defaultdict(list)
        for pid in self.cands:
            by_role[self.ctx.people[pid].role_id].append(pid)
        demand: dict[int, int] = defaultdict(int)
        for g in self.groups:
            demand[g.role_id] += g.demand
        out: dict[int, int] = {}
        for role_id, ids in by_role.items():
            total = sum(self.existing_count.get(i, 0) for i in ids) + demand.get(role_id, 0)
            share = math.ceil(total / max(1, len(ids)))
            for i in ids:
                out[i] = share
        return out

    def _weekly_rest(self, core: RosterCore, pid: int, mine: list[int]) -> None:
        """No more than six days in a row starting work (existing sessions count): the 24-hour weekly rest."""
        limit = 6
        groups = self.groups
        existing_days = {
            (s.start.astimezone(rules.LONDON).date() - self.start).days for s in self.ctx.person_shifts(pid)
        }
        by_day: dict[int, list[int]] = defaultdict(list)
        for gi in mine:
            by_day[groups[gi].start_day].append(gi)
        span = (self.end - self.start).days + 1
        days = range(-limit, span + limit)
        possible = [1 if d in existing_days else (0 if d not in by_day else None) for d in days]
        if not any(sum(1 for v in possible[i : i + limit + 1] if v != 0) > limit for i in range(len(possible) - limit)):
            return
        work: list[object] = []
        for d, v in zip(days, possible):
            if v is not None:
                work.append(v)
                continue
            xs = [core.x[(pid, gi)] for gi in by_day[d]]
            if len(xs) == 1:
                work.append(xs[0])
            else:
                w = core.model.NewBoolVar(f"start_{pid}_{d}")
                core.model.AddMaxEquality(w, xs)
                work.append(w)
        core.max_consecutive(work, limit, self._soft_weight(pid))  # type: ignore[arg-type]

    def _average(self, core: RosterCore, pid: int, mine: list[int]) -> None:
        """The 48-hour average over each 17-week reference period touching the period (people near the limit)."""
        person = self.ctx.people[pid]
        if person.opted_out:
            return
        p = self.params
        groups = self.groups
        extra = sum(groups[gi].minutes for gi in mine) / 60
        if extra <= self.avg_room[pid]:
            return
        weekly = self.ctx.weekly_hours(pid)
        first = rota.monday_of(self.start) - timedelta(weeks=p.reference_weeks - 1)
        monday = first
        while monday <= rota.monday_of(self.end):
            last = monday + timedelta(weeks=p.reference_weeks, days=-1)
            inside = [(gi, sum(m for wk, m in groups[gi].week_minutes.items() if monday <= wk <= last)) for gi in mine]
            inside = [(gi, m) for gi, m in inside if m]
            if inside:
                existing = sum(weekly.get(monday + timedelta(weeks=i), 0.0) for i in range(p.reference_weeks))
                divisor = p.reference_weeks - rules.leave_weeks_in(self.ctx, pid, monday, last)
                room = math.floor((p.average_limit_hours * max(0.0, divisor) - existing) * 60)
                if sum(m for _gi, m in inside) > room:
                    expr = sum(m * core.x[(pid, gi)] for gi, m in inside)
                    weight = self._soft_weight(pid)
                    if weight is None:
                        core.model.Add(expr <= max(0, room))
                    else:
                        over = core.model.NewBoolVar(f"avg_{pid}_{monday}")
                        core.model.Add(expr <= max(0, room) + sum(m for _gi, m in inside) * over)
                        core.penalise(over, weight)
            monday += timedelta(weeks=1)

    # -- a greedy fill (the warm start, and the answer if the solver has no time) --------------------------------
    def greedy(self, seed: int = 7) -> dict[int, list[int]]:
        """Fill the scarcest groups first with the least-loaded free person whose new sessions break nothing."""
        rng = random.Random(seed)
        groups = self.groups
        chosen: dict[int, list[int]] = defaultdict(list)  # person -> groups
        load = dict(self.existing_count)
        by_group: dict[int, list[int]] = defaultdict(list)
        for pid, options in self.cands.items():
            for gi in options:
                by_group[gi].append(pid)
        order = sorted(groups, key=lambda g: (len(by_group[g.index]) / max(1, g.demand), g.start))
        taken: dict[int, list[int]] = defaultdict(list)
        for g in order:
            options = by_group[g.index]
            rng.shuffle(options)
            options.sort(key=lambda pid: (self.cands[pid][g.index].cost, load.get(pid, 0) - self.fair.get(pid, 0)))
            for pid in options:
                if len(taken[g.index]) >= g.demand:
                    break
                if self.cands[pid][g.index].cost >= SOFT_WEIGHT:
                    continue
                if not self._fits(pid, g.index, chosen[pid]):
                    continue
                chosen[pid].append(g.index)
                taken[g.index].append(pid)
                load[pid] = load.get(pid, 0) + 1
        return taken

    def _fits(self, pid: int, gi: int, mine: list[int]) -> bool:
        g = self.groups[gi]
        conflicts = self.pair_conflicts.get(pid, set())
        for other in mine:
            o = self.groups[other]
            if o.start < g.end and g.start < o.end:
                return False
            if (other, gi) in conflicts or (gi, other) in conflicts:
                return False
        # Six days in a row at most, counting existing sessions.
        days = {self.groups[o].start_day for o in mine} | {g.start_day}
        days |= {(s.start.astimezone(rules.LONDON).date() - self.start).days for s in self.ctx.person_shifts(pid)}
        run = 0
        for d in range(g.start_day - 6, g.start_day + 7):
            run = run + 1 if d in days else 0
            if run > 6:
                return False
        extra = sum(self.groups[o].minutes for o in [*mine, gi]) / 60
        return extra <= self.avg_room[pid]

    # -- sharing groups out to sessions ------------------------------------------------------------------------
    def share_out(self, taken: dict[int, list[int]]) -> list[tuple[int, int]]:
        """(session id, staff id) for each place filled: a practice's own staff first, then its PCN's."""
        out: list[tuple[int, int]] = []
        for gi, people in taken.items():
            g = self.groups[gi]
            places = {v.session_id: v.missing for v in g.sessions}
            practice = {v.session_id: v.practice_id for v in g.sessions}

            def affinity(pid: int, sid: int, practice: dict[int, int | None] = practice) -> int:
                owner = practice[sid]
                if owner is not None and self.employer.get(pid) == owner:
                    return 0
                pcn = self.practice_pcn.get(owner) if owner is not None else None
                if pcn is not None and self.person_pcn.get(pid) == pcn:
                    return 1
                return 2 if owner is not None else 1

            pairs = sorted((affinity(pid, sid), sid, pid) for pid in people for sid in places)
            placed: set[int] = set()
            for _a, sid, pid in pairs:
                if pid in placed or places[sid] <= 0:
                    continue
                places[sid] -= 1
                placed.add(pid)
                out.append((sid, pid))
        return out


def propose_fill(
    session: Session,
    start: date,
    end: date,
    site_ids: Collection[int] | None = None,
    staff_ids: Collection[int] | None = None,
    seconds: float = 8.0,
    progress: Progress | None = None,
    allow_soft: bool = True,
    workers: int | None = None,
) -> AutoFillResult:
    """Proposals that fill the vacancies between ``start`` and ``end`` (nothing is written), found within about
    ``seconds`` in all. With ``allow_soft`` False, no proposal needs an override reason."""
    started = _time.perf_counter()
    progress = progress or NullProgress()
    if end < start:
        raise ValidationError("The end date is before the start date.", "Choose a period that ends after it starts.")
    if (end - start).days >= MAX_DAYS:
        raise ValidationError(f"Auto-fill works on at most {MAX_DAYS} days at a time.", "Choose a shorter period.")
    progress.update(0, None, "Finding vacancies ...")
    vacancies = rota.list_vacancies(session, start, end, site_ids=site_ids)
    places = sum(v.missing for v in vacancies)
    if not vacancies:
        return AutoFillResult([], [], 0, 0, "nothing to fill", _time.perf_counter() - started, 0)
    published = rota._published_weeks(session, {v.session_date for v in vacancies})
    locked = [v for v in vacancies if rota.monday_of(v.session_date) in published]
    open_ = [v for v in vacancies if rota.monday_of(v.session_date) not in published]
    unfillable: list[Unfillable] = []
    labels = rules.load_session_facts(session, [v.session_id for v in locked]) if locked else {}
    for v in locked:
        unfillable.append(
            _unfillable(
                v,
                labels[v.session_id].label,
                v.missing,
                f"The week beginning {format_date(rota.monday_of(v.session_date))} is published; reopen it to fill "
                "this session.",
            )
        )
    if not open_:
        return AutoFillResult([], unfillable, len(vacancies), places, "published", _time.perf_counter() - started, 0)
    planner = _Planner(session, start, end, open_, staff_ids, allow_soft, progress)
    planner.candidates()
    core = planner.build()
    greedy = planner.greedy()
    hinted = {(pid, gi) for gi, people in greedy.items() for pid in people}
    for key in core.x:
        core.add_hint(key[0], key[1], 1 if key in hinted else 0)
    greedy_filled = sum(len(p) for p in greedy.values())
    built = _time.perf_counter()
    reserve = 0.6 + 0.0015 * places  # the final check against the full rules
    budget = seconds - (built - started) - reserve
    taken: dict[int, list[int]]
    status = "greedy"
    outcome: SolveOutcome | None = None
    if budget >= 0.8 and core.x:
        progress.update(0, None, "Searching for the best fill ...")
        outcome = core.solve(budget, progress, workers=workers, first_phase=min(2.0, budget / 3), stall=1.5)
        if outcome.cancelled:
            raise Cancelled()
        if outcome.values:
            status = outcome.status.lower()
            taken = defaultdict(list)
            for (pid, gi), value in outcome.values.items():
                if value:
                    taken[gi].append(pid)  # type: ignore[index]
            if sum(len(v) for v in taken.values()) < greedy_filled:
                taken, status = greedy, "greedy"  # cannot happen with the hint, but never do worse
        else:
            taken = greedy
    else:
        taken = greedy
    searched = _time.perf_counter()
    progress.update(0, None, "Checking the proposals against every rule ...")
    placed = planner.share_out(taken)
    planner.exact_gates(placed)
    proposals, dropped, dropped_count = _verify(planner, placed, allow_soft)
    filled: dict[int, int] = defaultdict(int)
    for prop in proposals:
        filled[prop.session_id] += 1
    group_of = {v.session_id: g for g in planner.groups for v in g.sessions}
    for v in open_:
        left = v.missing - filled.get(v.session_id, 0)
        if left <= 0:
            continue
        reason = dropped.get(v.session_id) or _why_unfilled(planner, group_of[v.session_id], allow_soft)
        unfillable.append(_unfillable(v, planner.facts[v.session_id].label, left, reason))
    unfillable.sort(key=lambda u: (u.session_date, u.session_label))
    soft_count = sum(1 for p in proposals if p.needs_reason)
    finished = _time.perf_counter()
    return AutoFillResult(
        proposals,
        unfillable,
        len(vacancies),
        places,
        status,
        finished - started,
        soft_count,
        tuple(planner.ctx.notes),
        outcome.trace if outcome else [],
        len(planner.people),
        built - started,
        searched - built,
        finished - searched,
        greedy_filled,
        dropped_count,
    )


def _unfillable(v: rota.VacancyRow, label: str, missing: int, reason: str) -> Unfillable:
    return Unfillable(
        v.session_id, label, v.session_date, missing, reason, v.site_name, v.service_name, v.time_text, v.role_name
    )


def _verify(
    planner: _Planner, placed: list[tuple[int, int]], allow_soft: bool
) -> tuple[list[Proposal], dict[int, str], int]:
    """Check each proposed booking with the real rules engine, in the order they would be booked, each against
    the ones before it. A booking the model did not foresee breaking a rule (a chain of three sessions that cuts
    the daily rest, say) is given to someone else in the pool whom the rules allow without a reason, if there is
    one; otherwise it is dropped (a hard rule) or kept with its warning (a soft rule, when allowed).

    Returns the proposals that pass, per session why one was dropped, and how many were."""
    ctx, facts = planner.ctx, planner.facts
    placed.sort(key=lambda sp: (facts[sp[0]].starts_at, ctx.people[sp[1]].name.casefold(), sp[1]))
    group_of = {v.session_id: g.index for g in planner.groups for v in g.sessions}
    pool: dict[int, list[int]] = defaultdict(list)
    for pid, options in planner.cands.items():
        for gi in options:
            pool[gi].append(pid)
    pending: dict[int, list[tuple[int, datetime, datetime]]] = defaultdict(list)
    in_session: dict[int, set[int]] = defaultdict(set)
    load: dict[int, int] = defaultdict(int, planner.existing_count)
    for sid, pid in placed:
        pending[pid].append((sid, facts[sid].starts_at, facts[sid].ends_at))
        in_session[sid].add(pid)
        load[pid] += 1
    out: list[Proposal] = []
    dropped: dict[int, str] = {}
    count = 0
    for sid, pid in placed:
        f = facts[sid]
        pending[pid] = [x for x in pending[pid] if x[0] != sid]
        found = rules.check(ctx, pid, f)
        if rules.blocking(found) or rules.needing_reason(found):
            better = _another(planner, pool.get(group_of[sid], []), pid, f, pending, in_session[sid], load)
            if better is not None:
                in_session[sid].discard(pid)
                load[pid] -= 1
                pid, found = better
                in_session[sid].add(pid)
                load[pid] += 1
        hard = rules.blocking(found)
        if hard or (not allow_soft and rules.needing_reason(found)):
            dropped[sid] = "Checked again before proposing: " + " ".join(v.reason for v in (hard or found))
            in_session[sid].discard(pid)
            count += 1
            continue
        person = ctx.people[pid]
        v = planner.vacancy[sid]
        out.append(
            Proposal(
                sid,
                pid,
                person.name,
                person.role_name,
                f.label,
                f.session_date,
                tuple(found),
                f.starts_at,
                v.site_name,
                v.service_name,
                v.time_text,
            )
        )
        ctx.add_shift(pid, rules.Shift(sid, f.starts_at, f.ends_at))
    return out, dropped, count


def _another(
    planner: _Planner,
    pool: list[int],
    instead_of: int,
    f: rules.SessionFacts,
    pending: dict[int, list[tuple[int, datetime, datetime]]],
    taken: set[int],
    load: dict[int, int],
) -> tuple[int, list[rules.Violation]] | None:
    """Someone else in the pool the rules allow in session ``f`` without a reason (least loaded first), who is
    not already in it and has no later proposal that overlaps it."""
    for pid in sorted(pool, key=lambda p: (load.get(p, 0), p))[:60]:
        if pid == instead_of or pid in taken:
            continue
        if any(s < f.ends_at and f.starts_at < e for _sid, s, e in pending.get(pid, ())):
            continue
        found = rules.check(planner.ctx, pid, f)
        if not rules.blocking(found) and not rules.needing_reason(found):
            return pid, found
    return None


def _why_unfilled(planner: _Planner, g: _Group, allow_soft: bool) -> str:
    explain = planner.explain.get(g.index) or _Explain()
    role = g.role_name.lower()
    if not explain.pool:
        return f"Nobody in post holds the role {g.role_name} (or may stand in for it)."
    parts = [f"{n} {HARD_WORDS.get(rule, rule)}" for rule, n in sorted(explain.blocked.items(), key=lambda kv: -kv[1])]
    if explain.needs_reason:
        parts.append(f"{explain.needs_reason} would need an override reason (a soft rule)")
    blocked = sum(explain.blocked.values()) + explain.needs_reason
    rest = explain.pool - blocked
    if rest > 0:
        tail = (
            f"the other {rest} {'is' if rest == 1 else 'are'} proposed for other sessions at that time or nearby, "
            "or would break the rest rules"
        )
        if not allow_soft:
            tail += " (proposals needing an override were not allowed)"
        parts.append(tail)
    return f"No {role} can take it: " + "; ".join(parts) + "."


# ---- accepting -----------------------------------------------------------------------------------------------


def accept_proposals(session: Session, proposals: Sequence[Proposal], progress: Progress | None = None) -> Changes:
    """Book the accepted proposals in one transaction, each checked again against every rule and the ones booked
    before it. Anything that changed meanwhile (a place taken, leave approved, a week published) refuses the
    whole acceptance, naming it; soft-rule warnings are booked with a recorded reason."""
    progress = progress or NullProgress()
    if not proposals:
        raise ValidationError("There are no proposals to book.", "Run auto-fill again.")
    actor = str(session.info.get("actor") or "unknown")
    ids = sorted({p.session_id for p in proposals})
    sessions = {s.id: s for s in session.scalars(select(RotaSession).where(RotaSession.id.in_(ids)))}
    missing = [p for p in proposals if p.session_id not in sessions]
    if missing:
        raise ValidationError(
            f"The session {missing[0].session_label} has been deleted since auto-fill ran.",
            "Nothing was booked. Run auto-fill again to get proposals that fit the rota as it is now.",
        )
    published = rota._published_weeks(session, {s.session_date for s in sessions.values()})
    for p in proposals:
        if rota.monday_of(p.session_date) in published:
            raise ValidationError(
                f"The week beginning {format_date(rota.monday_of(p.session_date))} has been published since "
                "auto-fill ran.",
                "Nothing was booked. Reopen the week, then run auto-fill again.",
            )
    booked: dict[int, set[int]] = defaultdict(set)
    for sid, staff_id in session.execute(
        select(Assignment.session_id, Assignment.staff_id).where(Assignment.session_id.in_(ids))
    ).all():
        booked[sid].add(staff_id)
    facts = rules.load_session_facts(session, ids)
    people = {p.staff_id for p in proposals}
    first = min(f.starts_at for f in facts.values())
    last = max(f.ends_at for f in facts.values())
    who: dict[date, set[int]] = defaultdict(set)
    for p in proposals:
        who[facts[p.session_id].session_date].add(p.staff_id)
    ctx = rules.load_context(session, people, first, last, facts.values(), who)
    ordered = sorted(proposals, key=lambda p: (facts[p.session_id].starts_at, p.staff_name.casefold(), p.staff_id))
    now = datetime.now(UTC)
    rows: list[Assignment] = []
    for n, p in enumerate(ordered):
        if n % 50 == 0:
            progress.update(n, len(ordered), "Checking and booking the accepted proposals ...")
        rs, f = sessions[p.session_id], facts[p.session_id]
        again = "Nothing was booked. Run auto-fill again to get proposals that fit the rota as it is now."
        if p.staff_id in booked[p.session_id]:
            raise ValidationError(f"{p.staff_name} is already booked into {p.session_label}.", again)
        if len(booked[p.session_id]) >= rs.needed:
            raise ValidationError(f"{p.session_label} has been filled since auto-fill ran.", again)
        found = rules.check(ctx, p.staff_id, f)
        hard = rules.blocking(found)
        if hard:
            raise ValidationError(
                f"{p.staff_name} can no longer be booked into {p.session_label}: " + " ".join(v.reason for v in hard),
                again,
            )
        soft = rules.needing_reason(found)
        rows.append(
            Assignment(
                session_id=rs.id,
                staff_id=p.staff_id,
                practice_id=rs.practice_id,
                overridden_rules=", ".join(sorted({v.rule.value for v in soft})) or None,
                override_reason=(
                    f"Auto-fill proposal accepted by {actor}: " + "; ".join(v.reason for v in soft) if soft else None
                ),
            )
        )
        booked[p.session_id].add(p.staff_id)
        ctx.add_shift(p.staff_id, rules.Shift(rs.id, f.starts_at, f.ends_at))
        rs.updated_at = now  # bump the session's version: the screens' copies are now stale
    session.add_all(rows)
    session.flush()
    overrides = sum(1 for r in rows if r.override_reason)
    message = f"{len(rows)} auto-fill proposal{'s' if len(rows) != 1 else ''} booked"
    if overrides:
        message += f" ({overrides} with a recorded override reason)"
    return Changes.of(rota.KIND, ids=tuple(r.id for r in rows), message=message + ".")


def clear_assignments(session: Session, start: date, end: date, site_ids: Collection[int]) -> int:
    """Remove every assignment in the period at the sites (for benchmarks and a fresh auto-fill)."""
    ids = session.scalars(
        select(Assignment.id)
        .join(RotaSession, RotaSession.id == Assignment.session_id)
        .where(RotaSession.session_date.between(start, end), RotaSession.site_id.in_(list(site_ids)))
    ).all()
    for a in session.scalars(select(Assignment).where(Assignment.id.in_(ids))):
        session.delete(a)
    session.flush()
    return len(ids)
