"""British dates and times: dd/mm/yyyy, Europe/London (with its clock changes), England working days."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
DATE_FORMAT = "%d/%m/%Y"


def today() -> date:
    """Today in London (not in UTC: at 00:30 BST it is already tomorrow here).

    ``FEDERATION_DESK_TODAY=YYYY-MM-DD`` pins the day, for demonstrations, screenshots and the test suite (its demo
    federation is built around a fixed day; the screens must count days from that same day)."""
    pinned = os.environ.get("FEDERATION_DESK_TODAY")
    if pinned:
        return date.fromisoformat(pinned)
    return datetime.now(LONDON).date()


def format_date(value: date | None, empty: str = "") -> str:
    return value.strftime(DATE_FORMAT) if value else empty


def format_instant(value: datetime | None, empty: str = "") -> str:
    """An instant as London wall time: ``21/11/2026 14:05``."""
    if value is None:
        return empty
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON).strftime("%d/%m/%Y %H:%M")


def london(d: date, t: time) -> datetime:
    """The instant at wall time ``t`` on day ``d`` in London.

    In the autumn hour that happens twice, the first (BST) reading is taken; in the spring hour that never
    happens, the time is moved forward by the gap (01:30 becomes 02:30 BST), as ``zoneinfo`` does with fold=0.
    """
    local = datetime.combine(d, t, tzinfo=LONDON)
    # Normalise a non-existent spring-forward wall time through UTC and back.
    return local.astimezone(UTC).astimezone(LONDON)


_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$"), "dmy"),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
)


class DateParseError(ValueError):
    pass


def parse_date(text: str) -> date:
    """Read a date as a British person writes it: 21/11/2026, 21-11-2026, 21.11.2026, or ISO 2026-11-21.

    Two-digit years and US-style month-first dates are refused with a message, not guessed.
    """
    value = text.strip()
    if not value:
        raise DateParseError("No date was given.")
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(value)
        if not m:
            continue
        a, b, c = (int(x) for x in m.groups())
        day, month, year = (a, b, c) if order == "dmy" else (c, b, a)
        try:
            return date(year, month, day)
        except ValueError:
            if order == "dmy" and b > 12 and a <= 12:
                raise DateParseError(
                    f"'{text.strip()}' looks like a month-first (American) date. Write dates as dd/mm/yyyy."
                ) from None
            raise DateParseError(f"'{text.strip()}' is not a real date (dd/mm/yyyy).") from None
    if re.match(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}$", value):
        raise DateParseError(f"'{value}' has a two-digit year. Write the year in full, e.g. 21/11/2026.")
    raise DateParseError(f"'{value}' is not a date. Write dates as dd/mm/yyyy, e.g. 21/11/2026.")


@lru_cache(maxsize=64)
def _england_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(d: date) -> bool:
    return d in _england_holidays(d.year)


def is_working_day(d: date, extra_non_working: Iterable[date] = ()) -> bool:
    return d.weekday() < 5 and not is_bank_holiday(d) and d not in set(extra_non_working)


def add_working_days(start: date, days: int, extra_non_working: Iterable[date] = ()) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    extra = set(extra_non_working)
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current, extra):
            remaining -= 1
    return current
