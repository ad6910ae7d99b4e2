"""The rota rules engine: is this person allowed in this session, and if not, why (in words)?

Every rule returns :class:`Violation` rows with a plain-English reason and a severity:

* **hard** (never overridden): double booking, approved leave, not employed on the day, and the compliance gate
  (for a clinical session: a clinician whose registration, DBS and mandatory training are valid on the session
  date, from HR's ``credential_gate``; for a non-NHS service also their own indemnity, from ``own_cover_gate``);
* **soft** (a manager may override with a reason, which is audited): the Working Time Regulations (11 h daily
  rest, 24 h weekly rest, 48 h average over 17 weeks unless opted out) and role or skill mismatch;
* **advisory**: the Working Time checks for self-employed locums, who are outside the Regulations (shown for
  safety, no reason needed).

The engine is pure: :func:`check` works on a :class:`RuleContext` of plain facts, which :func:`load_context`
fills with a handful of set-based queries (people, skills, their sessions for the reference period, leave, and
the two gates per session date). Checking one assignment is a few list scans; a four-week rota is checked against
one context.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation_desk.domain.organisation import Site
from federation_desk.domain.rota import Assignment, RotaParameter, RotaService, RotaSession, StaffSkill
from federation_desk.domain.staff import EmploymentType, Role, StaffMember
from federation_desk.services.dates import LONDON, format_date

# ---- vocabulary ----------------------------------------------------------------------------------------------


class Severity(enum.Enum):
    HARD = "hard"
    SOFT = "soft"
    ADVISORY = "advisory"

    @property
    def label(self) -> str:
        return {"hard": "Not allowed", "soft": "Needs a reason to override", "advisory": "Advisory"}[self.value]


class Rule(enum.Enum):
    DOUBLE_BOOKING = "double booking"
    LEAVE = "leave"
    NOT_EMPLOYED = "not employed"
    NOT_CLINICIAN = "not a clinician"
    COMPLIANCE = "compliance"
    OWN_INDEMNITY = "own indemnity"
    DAILY_REST = "daily rest"
    WEEKLY_REST = "weekly rest"
    AVERAGE_HOURS = "48-hour average"
    ROLE = "role"
    SKILL = "skill"


HARD_RULES = frozenset(
    {Rule.DOUBLE_BOOKING, Rule.LEAVE, Rule.NOT_EMPLOYED, Rule.NOT_CLINICIAN, Rule.COMPLIANCE, Rule.OWN_INDEMNITY}
)
WORKING_TIME_RULES = frozenset({Rule.DAILY_REST, Rule.WEEKLY_REST, Rule.AVERAGE_HOURS})

# Who may stand in for a role without it counting as a mismatch (a more qualified colleague of the same team).
ROLE_COVER: dict[str, frozenset[str]] = {
    "practice_nurse": frozenset({"anp"}),
    "hca": frozenset({"practice_nurse", "nursing_associate", "anp"}),
    "nursing_associate": frozenset({"practice_nurse", "anp"}),
    "pharmacy_technician": frozenset({"clinical_pharmacist"}),
    "receptionist": frozenset({"administrator", "care_coordinator"}),
    "administrator": frozenset({"receptionist", "manager"}),
}


@dataclass(frozen=True)
class Violation:
    rule: Rule
    severity: Severity
    reason: str

    @property
    def needs_reason(self) -> bool:
        return self.severity is Severity.SOFT


@dataclass(frozen=True)
class WorkingTimeParams:
    daily_rest: timedelta = timedelta(hours=11)
    weekly_rest: timedelta = timedelta(hours=24)
    weekly_rest_period: timedelta = timedelta(days=7)
    average_limit_hours: float = 48.0
    reference_weeks: int = 17


@dataclass(frozen=True)
class SessionFacts:
    id: int
    role_id: int
    session_date: date
    starts_at: datetime
    ends_at: datetime
    non_nhs: bool
    skill: str | None
    label: str


@dataclass(frozen=True)
class PersonFacts:
    id: int
    name: str
    role_id: int
    role_code: str
    role_name: str
    is_clinical: bool
    employment: EmploymentType
    opted_out: bool
    start_date: date | None
    leave_date: date | None
    skills: frozenset[str] = frozenset()

    @property
    def is_locum(self) -> bool:
        return self.employment is EmploymentType.LOCUM


@dataclass(frozen=True)
class Shift:
    session_id: int
    start: datetime
    end: datetime


@dataclass
class RuleContext:
    params: WorkingTimeParams
    people: dict[int, PersonFacts]
    roles: dict[int, tuple[str, str, bool]]  # role id -> (code, name, clinical)
    shifts: dict[int, list[Shift]] = field(default_factory=dict)  # per person, sorted by start
    leave: dict[int, list[tuple[date, date, str]]] = field(default_factory=dict)
    credential: dict[tuple[int, date], list[str]] = field(default_factory=dict)
    own_cover: dict[tuple[int, date], str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # checks that could not be made, in words
    _starts: dict[int, list[datetime]] = field(default_factory=dict)
    _weekly: dict[int, dict[date, float]] = field(default_factory=dict)

    def person_shifts(self, staff_id: int) -> list[Shift]:
        return self.shifts.get(staff_id, [])

    def starts(self, staff_id: int) -> list[datetime]:
        if staff_id not in self._starts:
            self._starts[staff_id] = [s.start for s in self.person_shifts(staff_id)]
        return self._starts[staff_id]

    def add_shift(self, staff_id: int, shift: Shift) -> None:
        """Put a new booking into the person's timeline (auto-fill checks its proposals one after another, as
        they will be booked)."""
        shifts = self.shifts.setdefault(staff_id, [])
        bisect.insort(shifts, shift, key=lambda s: s.start)
        self._starts.pop(staff_id, None)
        self._weekly.pop(staff_id, None)

    def weekly_hours(self, staff_id: int) -> dict[date, float]:
        if staff_id not in self._weekly:
            weeks: dict[date, float] = {}
            for s in self.person_shifts(staff_id):
                for day, hours in hours_by_day(s.start, s.end):
                    monday = day - timedelta(days=day.weekday())
                    weeks[monday] = weeks.get(monday, 0.0) + hours
            self._weekly[staff_id] = weeks
        return self._weekly[staff_id]


# ---- time helpers --------------------------------------------------------------------------------------------


def london_midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=LONDON).astimezone(UTC)


def hours_by_day(start: datetime, end: datetime) -> list[tuple[date, float]]:
    """Split an interval at London midnights: [(day, hours worked that day)], so overnight work counts towards
    both days and a day with a clock change is 23 or 25 hours long."""
    out: list[tuple[date, float]] = []
    day = start.astimezone(LONDON).date()
    cursor = start
    while cursor < end:
        next_midnight = london_midnight(day + timedelta(days=1))
        stop = min(end, next_midnight)
        out.append((day, (stop - cursor).total_seconds() / 3600))
        cursor = stop
        day += timedelta(days=1)
    return out


def days_touched(start: datetime, end: datetime) -> list[date]:
    """The London dates an interval has any time in (an interval ending at midnight does not touch the next)."""
    first = start.astimezone(LONDON).date()
    last = (end - timedelta(microseconds=1)).astimezone(LONDON).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def hm(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    h, m = divmod(minutes, 60)
    if m == 0:
        return f"{h} h"
    return f"{h} h {m} min" if h else f"{m} min"


def when(instant: datetime) -> str:
    local = instant.astimezone(LONDON)
    return f"{local:%H:%M} on {local:%a} {format_date(local.date())}"


# ---- the rules -----------------------------------------------------------------------------------------------


def _merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def rest_breach(
    busy: Sequence[tuple[datetime, datetime]],
    new: tuple[datetime, datetime],
    period: timedelta,
    need: timedelta,
    clip: bool = False,
) -> tuple[datetime, datetime] | None:
    """Is there a ``period`` (24 h, 7 days) after a start of work, touching ``new``, in which no rest of at least
    ``need`` begins? Returns the rest gap to name (the short one next to ``new``, else the longest), or None.

    A rest gap counts in a period if it begins inside it. For daily rest its true length counts, even where it
    runs on past the period's end (a long day followed by a free day is not a breach); with ``clip`` (weekly rest)
    only the part inside the period counts: seven days' work in a row breaks it whatever follows.
    """
    merged = _merge([*busy, new])
    never = datetime.max.replace(tzinfo=UTC)
    gaps = [(merged[i][1], merged[i + 1][0] if i + 1 < len(merged) else never) for i in range(len(merged))]
    for k, (start, _end) in enumerate(merged):
        if start < new[0] - period or start > new[1]:
            continue
        window_end = start + period
        in_window = [(g[0], min(g[1], window_end)) if clip else g for g in gaps[k:] if g[0] < window_end]
        if any(g[1] - g[0] >= need for g in in_window):
            continue
        touching = [g for g in in_window if g[1] == new[0] or g[0] == new[1]]
        candidates = [g for g in touching if g[1] - g[0] < need] or in_window
        if not candidates:
            continue
        return min(candidates, key=lambda g: g[1] - g[0]) if touching else max(candidates, key=lambda g: g[1] - g[0])
    return None


def _employment_problem(person: PersonFacts, day: date) -> str | None:
    if person.start_date and day < person.start_date:
        return f"{person.name} starts work on {format_date(person.start_date)}, after this session."
    if person.leave_date and day > person.leave_date:
        return f"{person.name} left on {format_date(person.leave_date)}."
    return None


def standing_problems(ctx: RuleContext, person: PersonFacts, sess: SessionFacts) -> list[Violation]:
    """The hard rules that depend only on the person and the session's day, not on their other sessions: in post
    that day, approved leave, a clinician for a clinical session, the compliance gate and (non-NHS) their own
    indemnity. Auto-fill uses this as its pre-filter, so it and :func:`check` cannot disagree."""
    out: list[Violation] = []
    problem = _employment_problem(person, sess.session_date)
    if problem:
        out.append(Violation(Rule.NOT_EMPLOYED, Severity.HARD, problem))
    leave = ctx.leave.get(person.id)
    if leave:
        touched = days_touched(sess.starts_at, sess.ends_at)
        for start, end, kind in leave:
            if any(start <= d <= end for d in touched):
                span = format_date(start) if start == end else f"{format_date(start)} to {format_date(end)}"
                out.append(Violation(Rule.LEAVE, Severity.HARD, f"{person.name} is on approved {kind} ({span})."))
                break
    _code, role_name, role_clinical = ctx.roles.get(sess.role_id, ("", "this role", False))
    if role_clinical and not person.is_clinical:
        out.append(
            Violation(
                Rule.NOT_CLINICIAN,
                Severity.HARD,
                f"{person.name} is a {person.role_name.lower()}, not a registered clinician; "
                f"a {role_name} session needs one.",
            )
        )
    if role_clinical:
        for reason in ctx.credential.get((person.id, sess.session_date), []):
            out.append(Violation(Rule.COMPLIANCE, Severity.HARD, reason))
    if sess.non_nhs and person.is_clinical:
        reason = ctx.own_cover.get((person.id, sess.session_date))
        if reason:
            out.append(Violation(Rule.OWN_INDEMNITY, Severity.HARD, reason))
    return out


def check(ctx: RuleContext, staff_id: int, sess: SessionFacts, ignore_session: int | None = None) -> list[Violation]:
    """Every rule for ``staff_id`` working ``sess`` (their existing sessions are in ``ctx``; the session
    ``ignore_session`` -- the one being re-checked -- is left out of their timeline)."""
    person = ctx.people.get(staff_id)
    if person is None:
        return [Violation(Rule.NOT_EMPLOYED, Severity.HARD, "This member of staff could not be found.")]
    out: list[Violation] = []
    new = (sess.starts_at, sess.ends_at)
    ignore = sess.id if ignore_session is None else ignore_session
    shifts = [
        s for s in _near(ctx, staff_id, sess.starts_at - timedelta(days=8), sess.ends_at) if s.session_id != ignore
    ]

    # Hard: employed on the day, double booking, leave, the compliance gate.
    out.extend(standing_problems(ctx, person, sess))
    for s in shifts:
        if s.start < new[1] and new[0] < s.end:
            out.insert(
                1 if out and out[0].rule is Rule.NOT_EMPLOYED else 0,
                Violation(
                    Rule.DOUBLE_BOOKING,
                    Severity.HARD,
                    f"{person.name} is already booked from {when(s.start)} to {when(s.end)}, "
                    "which overlaps this session.",
                ),
            )
            break
    role_code, role_name, _clinical = ctx.roles.get(sess.role_id, ("", "this role", False))

    # Soft: role and skill.
    if sess.role_id != person.role_id and person.role_code not in ROLE_COVER.get(role_code, frozenset()):
        out.append(
            Violation(
                Rule.ROLE,
                Severity.SOFT,
                f"This session needs a {role_name}; {person.name} is a {person.role_name.lower()}.",
            )
        )
    if sess.skill and sess.skill.casefold() not in {s.casefold() for s in person.skills}:
        out.append(
            Violation(Rule.SKILL, Severity.SOFT, f"This session needs {sess.skill}; {person.name} has no record of it.")
        )

    # Working Time Regulations: soft, or advisory for self-employed locums.
    out.extend(_working_time(ctx, person, sess, shifts, ignore))
    return out


def working_time_problems(ctx: RuleContext, person: PersonFacts, sess: SessionFacts) -> list[Violation]:
    """The Working Time rules alone for ``person`` working ``sess`` (as :func:`check` finds them)."""
    shifts = [
        s for s in _near(ctx, person.id, sess.starts_at - timedelta(days=8), sess.ends_at) if s.session_id != sess.id
    ]
    return _working_time(ctx, person, sess, shifts, sess.id)


def _near(ctx: RuleContext, staff_id: int, start: datetime, end: datetime) -> list[Shift]:
    shifts = ctx.person_shifts(staff_id)
    starts = ctx.starts(staff_id)
    lo = bisect.bisect_left(starts, start - timedelta(days=2))  # a shift may run up to two days
    hi = bisect.bisect_right(starts, end + timedelta(days=8))
    return shifts[lo:hi]


def _working_time(
    ctx: RuleContext, person: PersonFacts, sess: SessionFacts, shifts: list[Shift], ignore: int
) -> list[Violation]:
    p = ctx.params
    severity = Severity.ADVISORY if person.is_locum else Severity.SOFT
    suffix = " (advisory: self-employed locums are outside the Working Time Regulations)" if person.is_locum else ""
    new = (sess.starts_at, sess.ends_at)
    busy = [(s.start, s.end) for s in shifts]
    out: list[Violation] = []
    gap = rest_breach(busy, new, timedelta(hours=24), p.daily_rest)
    if gap is not None:
        out.append(
            Violation(
                Rule.DAILY_REST,
                severity,
                f"{person.name} would have only {hm(gap[1] - gap[0])} rest between {when(gap[0])} and "
                f"{when(gap[1])}; the Working Time Regulations need {hm(p.daily_rest)} in a row in each "
                f"24 hours{suffix}.",
            )
        )
    gap = rest_breach(busy, new, p.weekly_rest_period, p.weekly_rest, clip=True)
    if gap is not None:
        out.append(
            Violation(
                Rule.WEEKLY_REST,
                severity,
                f"{person.name} would have no {hm(p.weekly_rest)} break in {p.weekly_rest_period.days} days "
                f"(the longest is {hm(gap[1] - gap[0])}, from {when(gap[0])}){suffix}.",
            )
        )
    if not person.opted_out:
        worst = average_breach(ctx, person.id, sess, ignore)
        if worst is not None:
            first, average, leave_weeks = worst
            last = first + timedelta(weeks=p.reference_weeks, days=-1)
            leave_text = f", allowing for {leave_weeks:g} weeks of leave" if leave_weeks else ""
            out.append(
                Violation(
                    Rule.AVERAGE_HOURS,
                    severity,
                    f"{person.name} would average {average:.1f} hours a week over the {p.reference_weeks} weeks "
                    f"{format_date(first)} to {format_date(last)}{leave_text}; the limit is "
                    f"{p.average_limit_hours:g} unless they opt out in writing{suffix}.",
                )
            )
    return out


def leave_weeks_in(ctx: RuleContext, staff_id: int, first: date, last: date) -> float:
    """Weeks of leave in a period: leave working days (Monday-Friday) / 5."""
    days = 0
    for start, end, _kind in ctx.leave.get(staff_id, []):
        lo, hi = max(start, first), min(end, last)
        d = lo
        while d <= hi:
            if d.weekday() < 5:
                days += 1
            d += timedelta(days=1)
    return days / 5


def average_breach(
    ctx: RuleContext, staff_id: int, sess: SessionFacts, ignore: int
) -> tuple[date, float, float] | None:
    """The worst 17-week reference period containing the session whose average is over the limit:
    (first Monday, average hours, leave weeks), or None."""
    p = ctx.params
    weekly = dict(ctx.weekly_hours(staff_id))
    sign = {s.session_id for s in ctx.person_shifts(staff_id)}
    own = ctx.person_shifts(staff_id)
    if ignore in sign:  # re-checking an existing assignment: take it out, then add it back below
        for s in own:
            if s.session_id == ignore:
                for day, hours in hours_by_day(s.start, s.end):
                    monday = day - timedelta(days=day.weekday())
                    weekly[monday] = weekly.get(monday, 0.0) - hours
    session_weeks = set()
    for day, hours in hours_by_day(sess.starts_at, sess.ends_at):
        monday = day - timedelta(days=day.weekday())
        weekly[monday] = weekly.get(monday, 0.0) + hours
        session_weeks.add(monday)
    worst: tuple[date, float, float] | None = None
    span = p.reference_weeks
    for week in session_weeks:
        firsts = [week - timedelta(weeks=back) for back in range(span)]
        values = [weekly.get(firsts[-1] + timedelta(weeks=i), 0.0) for i in range(2 * span - 1)]
        total = sum(values[:span])
        for k in range(span):  # windows starting at firsts[-1] + k weeks
            if k:
                total += values[k + span - 1] - values[k - 1]
            if total <= p.average_limit_hours:  # cannot be over the limit whatever the leave
                continue
            first = firsts[-1] + timedelta(weeks=k)
            last = first + timedelta(weeks=span, days=-1)
            leave = leave_weeks_in(ctx, staff_id, first, last)
            divisor = span - leave
            average = total / divisor if divisor > 0 else float("inf")
            if average > p.average_limit_hours + 1e-9 and (worst is None or average > worst[1]):
                worst = (first, average, leave)
    return worst


def blocking(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.severity is Severity.HARD]


def needing_reason(violations: Iterable[Violation]) -> list[Violation]:
    return [v for v in violations if v.severity is Severity.SOFT]


# ---- loading facts -------------------------------------------------------------------------------------------


def working_time_params(session: Session) -> WorkingTimeParams:
    values = dict(session.execute(select(RotaParameter.key, RotaParameter.value)).all())

    def num(key: str, default: float) -> float:
        try:
            return float(values[key])
        except (KeyError, ValueError):
            return default

    return WorkingTimeParams(
        daily_rest=timedelta(hours=num("wtr.daily_rest_hours", 11)),
        weekly_rest=timedelta(hours=num("wtr.weekly_rest_hours", 24)),
        weekly_rest_period=timedelta(days=num("wtr.weekly_rest_period_days", 7)),
        average_limit_hours=num("wtr.average_weekly_hours", 48),
        reference_weeks=int(num("wtr.reference_weeks", 17)),
    )


def session_label(role_name: str, service_name: str, site_name: str, starts: datetime, ends: datetime) -> str:
    a, b = starts.astimezone(LONDON), ends.astimezone(LONDON)
    return f"{role_name} ({service_name}) at {site_name}, {a:%a} {format_date(a.date())} {a:%H:%M}-{b:%H:%M}"


def load_session_facts(session: Session, session_ids: Collection[int]) -> dict[int, SessionFacts]:
    rows = session.execute(
        select(
            RotaSession.id,
            RotaSession.role_id,
            RotaSession.session_date,
            RotaSession.starts_at,
            RotaSession.ends_at,
            RotaService.non_nhs,
            RotaSession.skill,
            Role.name,
            RotaService.name,
            Site.name,
        )
        .join(RotaService, RotaService.id == RotaSession.service_id)
        .join(Role, Role.id == RotaSession.role_id)
        .join(Site, Site.id == RotaSession.site_id)
        .where(RotaSession.id.in_(list(session_ids)))
    ).all()
    return {
        r[0]: SessionFacts(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], session_label(r[7], r[8], r[9], r[3], r[4]))
        for r in rows
    }


def load_context(
    session: Session,
    staff_ids: Collection[int],
    start: datetime,
    end: datetime,
    sessions: Iterable[SessionFacts] = (),
    who_by_date: dict[date, set[int]] | None = None,
) -> RuleContext:
    """Facts for checking ``staff_ids`` in sessions between ``start`` and ``end``: their other sessions over the
    whole reference period either side, leave, skills, and the compliance gates for each session date (for
    everyone, or only for the people ``who_by_date`` names on each date)."""
    params = working_time_params(session)
    ids = sorted(set(staff_ids))
    roles = {
        r[0]: (r[1], r[2], bool(r[3])) for r in session.execute(select(Role.id, Role.code, Role.name, Role.is_clinical))
    }
    ctx = RuleContext(params, {}, roles)
    if not ids:
        return ctx
    cols = [
        StaffMember.id,
        StaffMember.given_name,
        StaffMember.preferred_name,
        StaffMember.family_name,
        StaffMember.role_id,
        StaffMember.employment_type,
        StaffMember.start_date,
        StaffMember.leave_date,
        StaffMember.working_time_opt_out,
    ]
    people_rows = session.execute(select(*cols).where(StaffMember.id.in_(ids))).all()
    skills: dict[int, set[str]] = {}
    for sid, skill in session.execute(
        select(StaffSkill.staff_id, StaffSkill.skill).where(StaffSkill.staff_id.in_(ids))
    ).all():
        skills.setdefault(sid, set()).add(skill)
    for r in people_rows:
        code, name, clinical = roles.get(r[4], ("", "", False))
        ctx.people[r[0]] = PersonFacts(
            id=r[0],
            name=f"{r[2] or r[1]} {r[3]}".strip(),
            role_id=r[4],
            role_code=code,
            role_name=name,
            is_clinical=clinical,
            employment=r[5],
            opted_out=bool(r[8]),
            start_date=r[6],
            leave_date=r[7],
            skills=frozenset(skills.get(r[0], ())),
        )
    reach = timedelta(weeks=params.reference_weeks)
    lo, hi = start - reach - timedelta(days=2), end + reach
    for staff_id, sid, s_start, s_end in session.execute(
        select(Assignment.staff_id, RotaSession.id, RotaSession.starts_at, RotaSession.ends_at)
        .join(RotaSession, RotaSession.id == Assignment.session_id)
        .where(Assignment.staff_id.in_(ids), RotaSession.starts_at >= lo, RotaSession.starts_at < hi)
        .order_by(Assignment.staff_id, RotaSession.starts_at)
    ).all():
        ctx.shifts.setdefault(staff_id, []).append(Shift(sid, s_start, s_end))
    first_day = (lo.astimezone(LONDON)).date()
    last_day = (hi.astimezone(LONDON)).date()
    ctx.leave = fetch_leave(session, ids, first_day, last_day, ctx.notes)
    by_date: dict[date, set[bool]] = {}
    for s in sessions:
        by_date.setdefault(s.session_date, set()).add(s.non_nhs)
    clinical_ids = {i for i in ids if ctx.people.get(i) and ctx.people[i].is_clinical}
    for day in sorted(by_date):
        who = sorted(clinical_ids if who_by_date is None else clinical_ids & who_by_date.get(day, set()))
        ctx.credential.update(fetch_credentials(session, who, day, ctx.notes))
        if True in by_date[day]:
            ctx.own_cover.update(fetch_own_cover(session, who, day, ctx.notes))
    return ctx


def fetch_leave(
    session: Session, ids: Sequence[int], first: date, last: date, notes: list[str]
) -> dict[int, list[tuple[date, date, str]]]:
    from federation_desk.services.staff import approved_leave  # HR (issue 3)

    found = approved_leave(session, ids, first, last)
    return {
        sid: [(row.start, row.end, str(getattr(row.kind, "value", row.kind))) for row in rows]
        for sid, rows in found.items()
        if rows
    }


def fetch_credentials(
    session: Session, ids: Sequence[int], day: date, notes: list[str]
) -> dict[tuple[int, date], list[str]]:
    if not ids:
        return {}
    from federation_desk.services.compliance import credential_gate  # HR (issue 3)

    return {(sid, day): reasons for sid, reasons in credential_gate(session, ids, day).items() if reasons}


def fetch_own_cover(
    session: Session, ids: Sequence[int], day: date, notes: list[str]
) -> dict[tuple[int, date], str | None]:
    if not ids:
        return {}
    from federation_desk.services.indemnity import own_cover_gate  # indemnity (issue 5)

    return {(sid, day): reason for sid, reason in own_cover_gate(session, ids, day).items() if reason}


def _note(notes: list[str], text: str) -> None:
    if text not in notes:
        notes.append(text)
