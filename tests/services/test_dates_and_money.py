from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation_desk.errors import ValidationError
from federation_desk.services.dates import (
    DateParseError,
    add_working_days,
    format_date,
    format_instant,
    is_working_day,
    london,
    parse_date,
)
from federation_desk.services.money import format_money, parse_money


def test_british_dates() -> None:
    assert parse_date("21/11/2026") == date(2026, 11, 21)
    assert parse_date("1.2.2027") == date(2027, 2, 1)
    assert parse_date("2026-11-21") == date(2026, 11, 21)
    assert format_date(date(2026, 2, 1)) == "01/02/2026"
    assert parse_date("29/02/2028") == date(2028, 2, 29)


@pytest.mark.parametrize(
    "text,message",
    [
        ("29/02/2027", "not a real date"),
        ("11/21/2026", "month-first"),
        ("21/11/26", "two-digit year"),
        ("tomorrow", "dd/mm/yyyy"),
        ("", "No date"),
    ],
)
def test_bad_dates_are_explained(text: str, message: str) -> None:
    with pytest.raises(DateParseError, match=message):
        parse_date(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_date_round_trip(d: date) -> None:
    assert parse_date(format_date(d)) == d


def test_instants_show_in_london_time_across_clock_changes() -> None:
    assert format_instant(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "01/07/2026 13:00"  # BST
    assert format_instant(datetime(2026, 12, 1, 12, 0, tzinfo=UTC)) == "01/12/2026 12:00"  # GMT
    # 25/10/2026: clocks go back at 02:00 BST; 01:30 happens twice, the first (BST) reading is taken.
    assert london(date(2026, 10, 25), time(1, 30)).utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    # 29/03/2026: 01:30 never happens; it becomes 02:30 BST.
    spring = london(date(2026, 3, 29), time(1, 30))
    assert (spring.hour, spring.minute) == (2, 30)


def test_working_days_skip_weekends_and_england_bank_holidays() -> None:
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day (substitute)
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday (England, not Scotland)
    assert is_working_day(date(2026, 11, 30))  # St Andrew's Day is Scottish only
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert add_working_days(date(2026, 11, 26), 8) == date(2026, 12, 8)  # DOMAIN.md 7, PSR example


@pytest.mark.parametrize(
    "text,pounds",
    [
        ("£10m", "10000000"),
        ("10,000,000", "10000000"),
        ("10000000.00", "10000000"),
        ("£1,234.5", "1234.50"),
        ("5k", "5000"),
        ("£2.5bn", "2500000000"),
        (" £ 750 ", "750"),
    ],
)
def test_money_parsing(text: str, pounds: str) -> None:
    assert parse_money(text) == Decimal(pounds)


@pytest.mark.parametrize("text", ["ten pounds", "£1,00,000", "1.234", "£", "12£"])
def test_money_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_money(text)


def test_money_formatting() -> None:
    assert format_money(Decimal("10000000")) == "£10,000,000"
    assert format_money(Decimal("1234.5")) == "£1,234.50"
    assert format_money(Decimal("-250")) == "-£250"
    assert format_money(None, empty="-") == "-"


@given(st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False))
def test_money_round_trip(amount: Decimal) -> None:
    assert parse_money(format_money(amount, pence=True)) == amount


def test_today_is_london_today_unless_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    from federation_desk.services import dates

    monkeypatch.setenv("FEDERATION_DESK_TODAY", "2027-03-28")
    assert dates.today() == date(2027, 3, 28)
    monkeypatch.delenv("FEDERATION_DESK_TODAY")
    assert dates.today() == datetime.now(dates.LONDON).date()
