"""The procurement calendar: working days, standstill periods and deadline warnings.

Working days exclude weekends, bank holidays (England and Wales from ``services.dates``; for a regime whose
"working day" counts a bank holiday in any part of the UK, the Scottish and Northern Irish ones too, from the same
maintained ``holidays`` library) and the federation's own table of extra non-working days.

Standstill (DOMAIN.md 4.1, 4.2 and 7):

* Provider Selection Regime: 8 working days counted from the day *after* the intention-to-award notice is
  published, ending at midnight at the end of the 8th working day; after representations, 5 more working days from
  the further decision.
* Procurement Act 2023 s.51: 8 working days *beginning with* the day the contract award notice is published.

The rules (days, counting start, holiday set) are reference data in ``procurement_regime``, editable with their
sources, not constants here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation_desk.db.session import load_for_edit
from federation_desk.domain.tenders import NonWorkingDay, ProcurementRegime, Regime
from federation_desk.errors import FieldProblem, ValidationError
from federation_desk.services import dates
from federation_desk.services.changes import Changes
from federation_desk.services.dates import format_date

ENGLAND_AND_WALES = "england-and-wales"
ALL_UK = "all-uk"
HOLIDAY_SETS = {
    ENGLAND_AND_WALES: "Bank holidays in England and Wales",
    ALL_UK: "Bank holidays in any part of the UK",
}
_SUBDIVISIONS = {ENGLAND_AND_WALES: ("ENG",), ALL_UK: ("ENG", "WLS", "SCT", "NIR")}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def long_date(d: date) -> str:
    """``Thursday 24/12/2026``."""
    return f"{_WEEKDAYS[d.weekday()]} {format_date(d)}"


@lru_cache(maxsize=128)
def _holiday_names(holiday_set: str, year: int) -> dict[date, str]:
    names: dict[date, str] = {}
    regions = {"ENG": "England and Wales", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
    for subdiv in _SUBDIVISIONS[holiday_set]:
        for day, name in holidays.country_holidays("GB", subdiv=subdiv, years=year).items():
            if day in names:
                continue
            suffix = "" if subdiv == "ENG" or holiday_set == ENGLAND_AND_WALES else f", {regions[subdiv]}"
            names[day] = f"{name}{suffix}"
    return names


def bank_holiday_name(d: date, holiday_set: str = ENGLAND_AND_WALES) -> str | None:
    if holiday_set == ENGLAND_AND_WALES and not dates.is_bank_holiday(d):
        return None  # services.dates is the one source of England and Wales bank holidays
    return _holiday_names(holiday_set, d.year).get(d)


@dataclass(frozen=True)
class Calendar:
    """Which days are working days: weekends, one holiday set, and the extra non-working days."""

    holiday_set: str = ENGLAND_AND_WALES
    extra: tuple[tuple[date, str], ...] = ()

    @property
    def extra_days(self) -> dict[date, str]:
        return dict(self.extra)

    def non_working_reason(self, d: date) -> str | None:
        """Why ``d`` is not a working day ("Saturday", "bank holiday: Boxing Day"), or None if it is one."""
        if d.weekday() >= 5:
            return _WEEKDAYS[d.weekday()]
        holiday = bank_holiday_name(d, self.holiday_set)
        if holiday:
            return f"bank holiday: {holiday}"
        extra = self.extra_days.get(d)
        if extra:
            return f"extra non-working day: {extra}"
        return None

    def is_working_day(self, d: date) -> bool:
        if self.holiday_set == ENGLAND_AND_WALES:
            return dates.is_working_day(d, self.extra_days)
        return self.non_working_reason(d) is None

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
        if self.holiday_set == ENGLAND_AND_WALES:
            return dates.add_working_days(start, days, self.extra_days)
        current, remaining = start, days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_beginning_with(self, start: date, days: int) -> date:
        """The last day of a period of ``days`` working days beginning with ``start`` (counted if working)."""
        if days <= 0:
            return start
        if self.is_working_day(start):
            return self.add_working_days(start, days - 1) if days > 1 else start
        return self.add_working_days(start, days)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if end <= start)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def extra_non_working_days(session: Session) -> tuple[tuple[date, str], ...]:
    return tuple((d, r) for d, r in session.execute(select(NonWorkingDay.day, NonWorkingDay.reason)).all())


def calendar_for(session: Session, holiday_set: str = ENGLAND_AND_WALES) -> Calendar:
    return Calendar(holiday_set, extra_non_working_days(session))


# ---- standstill ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandstillRule:
    regime: Regime
    name: str
    working_days: int
    counts_publication_day: bool
    holiday_set: str
    representations_extra_days: int | None
    source: str | None = None

    def describe(self) -> str:
        start = (
            "beginning with the day the notice is published"
            if self.counts_publication_day
            else ("counted from the day after the notice is published")
        )
        holidays_text = HOLIDAY_SETS.get(self.holiday_set, self.holiday_set).lower()
        text = f"{self.working_days} working days {start} (excluding weekends and {holidays_text})"
        if self.representations_extra_days:
            text += f"; {self.representations_extra_days} more working days after a decision on representations"
        return text + "."


PSR_DEFAULT = StandstillRule(Regime.PSR, "Provider Selection Regime", 8, False, ENGLAND_AND_WALES, 5)
PA23_DEFAULT = StandstillRule(Regime.PA23, "Procurement Act 2023", 8, True, ALL_UK, None)


def standstill_rules(session: Session) -> dict[Regime, StandstillRule]:
    """The regimes that have a working-day standstill, from the editable reference table."""
    rules: dict[Regime, StandstillRule] = {}
    for r in session.scalars(select(ProcurementRegime)).all():
        if r.standstill_working_days:
            rules[r.code] = StandstillRule(
                r.code,
                r.name,
                r.standstill_working_days,
                r.standstill_counts_publication_day,
                r.holiday_set,
                r.representations_extra_days,
                r.source,
            )
    return rules


def standstill_end(published: date, rule: StandstillRule, extra: Iterable[tuple[date, str]] = ()) -> date:
    """The last day of the standstill (it ends at midnight at the end of this day)."""
    calendar = Calendar(rule.holiday_set, tuple(extra))
    if rule.counts_publication_day:
        return calendar.working_days_beginning_with(published, rule.working_days)
    return calendar.add_working_days(published, rule.working_days)


def standstill_end_after_representations(
    decision: date, rule: StandstillRule, extra: Iterable[tuple[date, str]] = ()
) -> date | None:
    """PSR: the authority that keeps its decision after representations waits this many more working days."""
    if not rule.representations_extra_days:
        return None
    return Calendar(rule.holiday_set, tuple(extra)).add_working_days(decision, rule.representations_extra_days)


# ---- warnings -----------------------------------------------------------------------------------------------


def non_working_day_warning(label: str, d: date, calendar: Calendar) -> str | None:
    """A plain-English warning when a deadline falls on a day that is not a working day."""
    reason = calendar.non_working_reason(d)
    if reason is None:
        return None
    before = d - timedelta(days=1)
    while not calendar.is_working_day(before):
        before -= timedelta(days=1)
    return (
        f"The {label}, {long_date(d)}, is not a working day ({reason}). Check the date with the buyer; the last "
        f"working day before it is {long_date(before)}."
    )


# ---- the extra non-working days table ----------------------------------------------------------------------


@dataclass(frozen=True)
class NonWorkingDayRow:
    id: int
    version: int
    day: date
    reason: str


def list_non_working_days(session: Session) -> list[NonWorkingDayRow]:
    return [
        NonWorkingDayRow(n.id, n.version, n.day, n.reason)
        for n in session.scalars(select(NonWorkingDay).order_by(NonWorkingDay.day)).all()
    ]


def save_non_working_day(
    session: Session, day: date | None, reason: str, row_id: int | None = None, expected_version: int | None = None
) -> Changes:
    problems = []
    if day is None:
        problems.append(FieldProblem("day", "Enter the date (dd/mm/yyyy)."))
    text = " ".join((reason or "").split())
    if not text:
        problems.append(FieldProblem("reason", "Say why the day is not a working day (e.g. 'State funeral')."))
    elif len(text) > 200:
        problems.append(FieldProblem("reason", "The reason is too long: at most 200 characters."))
    if problems:
        raise ValidationError(problems)
    assert day is not None
    clash = session.scalar(select(NonWorkingDay).where(NonWorkingDay.day == day, NonWorkingDay.id != (row_id or -1)))
    if clash is not None:
        raise ValidationError([FieldProblem("day", f"{format_date(day)} is already listed ({clash.reason}).")])
    if row_id is None:
        row = NonWorkingDay(day=day, reason=text)
        session.add(row)
    else:
        row = load_for_edit(session, NonWorkingDay, row_id, expected_version)
        row.day, row.reason = day, text
    session.flush()
    return Changes.of("calendar", "tender", ids=(row.id,), message=f"{format_date(day)} saved as a non-working day.")


def delete_non_working_day(session: Session, row_id: int, expected_version: int | None) -> Changes:
    row = load_for_edit(session, NonWorkingDay, row_id, expected_version)
    session.delete(row)
    session.flush()
    return Changes.of("calendar", "tender", message=f"{format_date(row.day)} is a working day again.")
