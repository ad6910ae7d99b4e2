"""The rota rules pinned at their boundaries: exactly 11 h rest, the 24 h weekly rest, the 17-week average, a
session across a clock change, overnight sessions, hard versus soft versus advisory."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from federation_desk.domain.staff import EmploymentType
from federation_desk.services import rota_rules as rules
from federation_desk.services.dates import LONDON
from federation_desk.services.rota import session_instants

GP_ROLE, NURSE_ROLE, ANP_ROLE, RECEPTION_ROLE = 1, 2, 3, 4
ROLES = {
    GP_ROLE: ("gp", "GP", True),
    NURSE_ROLE: ("practice_nurse", "Practice nurse", True),
    ANP_ROLE: ("anp", "Advanced nurse practitioner", True),
    RECEPTION_ROLE: ("receptionist", "Receptionist", False),
}


def at(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), tzinfo=LONDON).astimezone(UTC)


def person(
    pid: int = 1, role: int = GP_ROLE, employment: EmploymentType = EmploymentType.EMPLOYED, **kw: object
) -> rules.PersonFacts:
    code, name, clinical = ROLES[role]
    base = rules.PersonFacts(pid, f"Person {pid}", role, code, name, clinical, employment, False, None, None)
    return replace(base, **kw)  # type: ignore[arg-type]


@dataclass
class Timeline:
    """One person's booked sessions, as facts for the pure engine."""

    who: rules.PersonFacts
    shifts: list[tuple[datetime, datetime]]
    leave: list[tuple[date, date, str]] | None = None

    def context(self) -> rules.RuleContext:
        ctx = rules.RuleContext(rules.WorkingTimeParams(), {self.who.id: self.who}, ROLES)
        ctx.shifts[self.who.id] = [rules.Shift(1000 + i, s, e) for i, (s, e) in enumerate(sorted(self.shifts))]
        if self.leave:
            ctx.leave[self.who.id] = self.leave
        return ctx


def session(start: datetime, end: datetime, role: int = GP_ROLE, **kw: object) -> rules.SessionFacts:
    base = rules.SessionFacts(1, role, start.astimezone(LONDON).date(), start, end, False, None, "the session")
    return replace(base, **kw)  # type: ignore[arg-type]


def rules_of(found: list[rules.Violation]) -> dict[rules.Rule, rules.Severity]:
    return {v.rule: v.severity for v in found}


MON = date(2026, 12, 7)


# ---- clocks and days -----------------------------------------------------------------------------------------


def test_overnight_sessions_on_the_clock_change_sundays_have_their_real_length() -> None:
    autumn = session_instants(date(2026, 10, 24), time(22), time(8))  # clocks go back at 02:00 BST on 25/10
    spring = session_instants(date(2026, 3, 28), time(22), time(8))  # clocks go forward at 01:00 GMT on 29/03
    normal = session_instants(date(2026, 11, 14), time(22), time(8))
    assert autumn[1] - autumn[0] == timedelta(hours=11)
    assert spring[1] - spring[0] == timedelta(hours=9)
    assert normal[1] - normal[0] == timedelta(hours=10)
    # Stored as UTC instants, shown as London wall time.
    assert autumn[0].tzinfo is UTC and autumn[0].astimezone(LONDON).hour == 22
    assert autumn[1].astimezone(LONDON).time() == time(8) and spring[1].astimezone(LONDON).time() == time(8)
    # The hours count towards the days they fall on: 2 h on Saturday, the rest on the Sunday.
    assert rules.hours_by_day(*autumn) == [(date(2026, 10, 24), 2.0), (date(2026, 10, 25), 9.0)]
    assert rules.hours_by_day(*spring) == [(date(2026, 3, 28), 2.0), (date(2026, 3, 29), 7.0)]
    # A day session on the autumn Sunday straddling 01:00-03:00 wall time is 3 h long, not 2.
    s, e = session_instants(date(2026, 10, 25), time(0, 30), time(2, 30))
    assert e - s == timedelta(hours=3)


def test_a_session_ending_at_midnight_does_not_touch_the_next_day() -> None:
    s, e = session_instants(MON, time(20), time(0))
    assert rules.days_touched(s, e) == [MON]
    assert rules.days_touched(*session_instants(MON, time(20), time(0, 1))) == [MON, MON + timedelta(days=1)]


def test_the_average_counts_an_overnight_session_in_both_weeks() -> None:
    sunday = date(2026, 12, 13)
    s, e = session_instants(sunday, time(20), time(8))
    tl = Timeline(person(), [(s, e)])
    weeks = tl.context().weekly_hours(1)
    assert weeks == {date(2026, 12, 7): 4.0, date(2026, 12, 14): 8.0}


# ---- daily rest ----------------------------------------------------------------------------------------------


def test_exactly_eleven_hours_rest_is_allowed_and_one_minute_less_is_not() -> None:
    tl = Timeline(person(), [(at(MON, 8), at(MON, 19))])
    ctx = tl.context()
    ok = rules.check(ctx, 1, session(at(MON + timedelta(days=1), 6), at(MON + timedelta(days=1), 12)))
    assert rules.Rule.DAILY_REST not in rules_of(ok)
    short = rules.check(ctx, 1, session(at(MON + timedelta(days=1), 5, 59), at(MON + timedelta(days=1), 12)))
    found = [v for v in short if v.rule is rules.Rule.DAILY_REST]
    assert found and found[0].severity is rules.Severity.SOFT
    assert "10 h 59 min rest between 19:00 on Mon 07/12/2026 and 05:59 on Tue 08/12/2026" in found[0].reason
    assert "11 h in a row" in found[0].reason


def test_morning_and_afternoon_sessions_on_one_day_are_not_a_rest_breach() -> None:
    tl = Timeline(person(), [(at(MON, 8), at(MON, 12, 10))])
    found = rules.check(tl.context(), 1, session(at(MON, 13), at(MON, 18, 30)))
    assert found == []


def test_rest_is_measured_across_the_autumn_clock_change() -> None:
    # Saturday 24/10 until 21:00 BST, then Sunday 25/10 from 07:00 GMT: the wall clock says 10 h, the real
    # rest is 11 h because the night had 25 hours.
    sat, sun = date(2026, 10, 24), date(2026, 10, 25)
    tl = Timeline(person(), [(at(sat, 11), at(sat, 21))])
    found = rules.check(tl.context(), 1, session(at(sun, 7), at(sun, 12)))
    assert rules.Rule.DAILY_REST not in rules_of(found)
    # In spring the same wall times give only 9 h.
    sat, sun = date(2026, 3, 28), date(2026, 3, 29)
    tl = Timeline(person(), [(at(sat, 11), at(sat, 21))])
    found = rules.check(tl.context(), 1, session(at(sun, 7), at(sun, 12)))
    assert "only 9 h rest" in next(v.reason for v in found if v.rule is rules.Rule.DAILY_REST)


def test_working_time_is_advisory_for_self_employed_locums() -> None:
    tl = Timeline(person(employment=EmploymentType.LOCUM), [(at(MON, 8), at(MON, 22))])
    found = rules.check(tl.context(), 1, session(at(MON + timedelta(days=1), 6), at(MON + timedelta(days=1), 12)))
    rest = next(v for v in found if v.rule is rules.Rule.DAILY_REST)
    assert rest.severity is rules.Severity.ADVISORY and "advisory" in rest.reason
    assert not rest.needs_reason


# ---- weekly rest ---------------------------------------------------------------------------------------------


def test_a_seventh_day_in_a_row_breaks_the_weekly_rest() -> None:
    six = [(at(MON + timedelta(days=i), 8), at(MON + timedelta(days=i), 18)) for i in range(6)]
    sunday = MON + timedelta(days=6)
    found = rules.check(Timeline(person(), six).context(), 1, session(at(sunday, 8), at(sunday, 18)))
    weekly = next(v for v in found if v.rule is rules.Rule.WEEKLY_REST)
    assert weekly.severity is rules.Severity.SOFT and "no 24 h break in 7 days" in weekly.reason
    # With Sunday off and work again on Monday the rest is 38 h: fine.
    next_monday = MON + timedelta(days=7)
    ok = rules.check(Timeline(person(), six).context(), 1, session(at(next_monday, 8), at(next_monday, 18)))
    assert rules.Rule.WEEKLY_REST not in rules_of(ok)


def test_exactly_24_hours_weekly_rest_is_enough() -> None:
    # Monday 08:00 to Saturday 18:00 daily, then Sunday 18:00 onwards: the break Saturday 18:00-Sunday 18:00 is 24 h.
    days = [(at(MON + timedelta(days=i), 8), at(MON + timedelta(days=i), 18)) for i in range(6)]
    sunday = MON + timedelta(days=6)
    ok = rules.check(Timeline(person(), days).context(), 1, session(at(sunday, 18), at(sunday, 23)))
    assert rules.Rule.WEEKLY_REST not in rules_of(ok)
    short = rules.check(Timeline(person(), days).context(), 1, session(at(sunday, 17, 59), at(sunday, 23)))
    assert rules.Rule.WEEKLY_REST in rules_of(short)


# ---- the 17-week average -------------------------------------------------------------------------------------


def _weeks_of(hours: float, weeks: int, first_monday: date) -> list[tuple[datetime, datetime]]:
    """``hours`` a week as Monday-to-Thursday days, for ``weeks`` weeks."""
    out = []
    per_day = hours / 4
    for w in range(weeks):
        for d in range(4):
            day = first_monday + timedelta(weeks=w, days=d)
            out.append((at(day, 7), at(day, 7) + timedelta(hours=per_day)))
    return out


def test_the_17_week_average_at_its_boundary() -> None:
    first = date(2026, 8, 17)  # a Monday; the 17th week begins 07/12/2026
    assert first + timedelta(weeks=16) == MON
    # 16 weeks at 48 h plus a Friday session of 48 h - 0 in the 17th week ... built so the total is 17 x 48 exactly.
    shifts = _weeks_of(48, 16, first) + _weeks_of(40, 1, MON)
    friday = MON + timedelta(days=4)
    exactly = session(at(friday, 7), at(friday, 15))  # 8 h: week 17 = 48 h, average exactly 48.0
    assert rules.Rule.AVERAGE_HOURS not in rules_of(rules.check(Timeline(person(), shifts).context(), 1, exactly))
    over = session(at(friday, 7), at(friday, 15, 30))  # half an hour more: 48.03 h
    found = rules.check(Timeline(person(), shifts).context(), 1, over)
    average = next(v for v in found if v.rule is rules.Rule.AVERAGE_HOURS)
    assert average.severity is rules.Severity.SOFT
    assert "average 48.0 hours a week over the 17 weeks 17/08/2026 to 13/12/2026" in average.reason


def test_leave_weeks_shrink_the_divisor_and_an_opt_out_removes_the_limit() -> None:
    first = date(2026, 8, 17)
    # 15 weeks at 50 h and two weeks of leave (10 working days): 750 / (17 - 2) = 50 h.
    shifts = _weeks_of(50, 14, first) + _weeks_of(42, 1, MON)
    leave = [(first + timedelta(weeks=14), first + timedelta(weeks=15, days=6), "annual leave")]
    friday = MON + timedelta(days=4)
    sess = session(at(friday, 7), at(friday, 15))
    found = rules.check(Timeline(person(), shifts, leave).context(), 1, sess)
    average = next(v for v in found if v.rule is rules.Rule.AVERAGE_HOURS)
    assert "average 50.0 hours" in average.reason and "allowing for 2 weeks of leave" in average.reason
    opted = rules.check(Timeline(person(opted_out=True), shifts, leave).context(), 1, sess)
    assert rules.Rule.AVERAGE_HOURS not in rules_of(opted)


# ---- hard rules and role/skill -------------------------------------------------------------------------------


def test_double_booking_and_leave_are_hard() -> None:
    tl = Timeline(
        person(), [(at(MON, 9), at(MON, 13))], [(MON + timedelta(days=1), MON + timedelta(days=2), "annual leave")]
    )
    found = rules.check(tl.context(), 1, session(at(MON, 12), at(MON, 16)))
    assert rules_of(found)[rules.Rule.DOUBLE_BOOKING] is rules.Severity.HARD
    # An overnight session from Monday into Tuesday touches the leave that starts on Tuesday.
    found = rules.check(tl.context(), 1, session(at(MON, 22), at(MON + timedelta(days=1), 6)))
    leave = next(v for v in found if v.rule is rules.Rule.LEAVE)
    assert leave.severity is rules.Severity.HARD and "08/12/2026 to 09/12/2026" in leave.reason
    # Back to back (one ends as the other starts) is not a double booking.
    assert rules.Rule.DOUBLE_BOOKING not in rules_of(rules.check(tl.context(), 1, session(at(MON, 13), at(MON, 17))))


def test_role_and_skill_mismatch_are_soft_and_a_senior_colleague_may_cover() -> None:
    nurse_session = session(at(MON, 9), at(MON, 13), role=NURSE_ROLE, skill="Cervical screening")
    gp = Timeline(person(role=GP_ROLE), [])
    found = rules_of(rules.check(gp.context(), 1, nurse_session))
    assert found == {rules.Rule.ROLE: rules.Severity.SOFT, rules.Rule.SKILL: rules.Severity.SOFT}
    anp = Timeline(person(role=ANP_ROLE, skills=frozenset({"cervical screening"})), [])
    assert rules.check(anp.context(), 1, nurse_session) == []


def test_the_compliance_gate_is_hard_and_a_non_clinician_cannot_take_a_clinical_session() -> None:
    gp_session = session(at(MON, 9), at(MON, 13))
    tl = Timeline(person(), [])
    ctx = tl.context()
    ctx.credential[(1, MON)] = ["GMC registration expired on 07/12/2026."]
    found = rules.check(ctx, 1, gp_session)
    assert [(v.rule, v.severity) for v in found] == [(rules.Rule.COMPLIANCE, rules.Severity.HARD)]
    receptionist = Timeline(person(role=RECEPTION_ROLE), [])
    found = rules_of(rules.check(receptionist.context(), 1, gp_session))
    assert found[rules.Rule.NOT_CLINICIAN] is rules.Severity.HARD
    # Own indemnity is asked for only on non-NHS services.
    ctx = Timeline(person(), []).context()
    ctx.own_cover[(1, MON)] = "No indemnity for non-NHS work on 07/12/2026."
    assert rules.check(ctx, 1, gp_session) == []
    found = rules.check(ctx, 1, replace(gp_session, non_nhs=True))
    assert [(v.rule, v.severity) for v in found] == [(rules.Rule.OWN_INDEMNITY, rules.Severity.HARD)]


def test_not_yet_started_or_already_left_is_hard() -> None:
    found = rules.check(
        Timeline(person(start_date=MON + timedelta(days=1)), []).context(), 1, session(at(MON, 9), at(MON, 13))
    )
    assert rules_of(found) == {rules.Rule.NOT_EMPLOYED: rules.Severity.HARD}


@pytest.mark.parametrize("gap_minutes,breach", [(11 * 60, False), (11 * 60 - 1, True), (12 * 60, False)])
def test_rest_gap_function_boundaries(gap_minutes: int, breach: bool) -> None:
    first = (at(MON, 8), at(MON, 20))
    start = first[1] + timedelta(minutes=gap_minutes)
    result = rules.rest_breach([first], (start, start + timedelta(hours=4)), timedelta(hours=24), timedelta(hours=11))
    assert (result is not None) is breach
