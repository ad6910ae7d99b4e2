"""The procurement calendar: working days, PSR and Procurement Act 2023 standstill (the worked examples of
DOMAIN.md 7), warnings for deadlines on non-working days, and the extra non-working days table."""

from __future__ import annotations

from datetime import date

import pytest

from federation_desk.db.session import Database
from federation_desk.domain.tenders import Regime
from federation_desk.errors import ValidationError
from federation_desk.services import procurement_calendar as pc
from federation_desk.services.tenders import load_procurement_reference

PA23_EW = pc.StandstillRule(Regime.PA23, "Procurement Act 2023 (E&W)", 8, True, pc.ENGLAND_AND_WALES, None)
PA23_UK = pc.StandstillRule(Regime.PA23, "Procurement Act 2023 (UK)", 8, True, pc.ALL_UK, None)
PSR = pc.StandstillRule(Regime.PSR, "PSR", 8, False, pc.ENGLAND_AND_WALES, 5)


@pytest.mark.parametrize(
    ("published", "pa23_ew", "pa23_uk", "psr"),
    [
        # DOMAIN.md 7, worked standstill examples (computed with holidays 0.109, weekends excluded).
        (date(2026, 12, 24), date(2027, 1, 7), date(2027, 1, 8), date(2027, 1, 8)),
        (date(2026, 3, 26), date(2026, 4, 8), date(2026, 4, 8), date(2026, 4, 9)),
        (date(2026, 11, 26), date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 8)),
    ],
)
def test_worked_standstill_examples(published: date, pa23_ew: date, pa23_uk: date, psr: date) -> None:
    assert pc.standstill_end(published, PA23_EW) == pa23_ew
    assert pc.standstill_end(published, PA23_UK) == pa23_uk
    assert pc.standstill_end(published, PSR) == psr


def test_the_shipped_rules_give_the_worked_examples(database: Database) -> None:
    with database.unit_of_work() as s:
        load_procurement_reference(s)
        rules = pc.standstill_rules(s)
    assert set(rules) == {Regime.PSR, Regime.PA23}
    assert pc.standstill_end(date(2026, 12, 24), rules[Regime.PSR]) == date(2027, 1, 8)
    assert pc.standstill_end(date(2026, 11, 26), rules[Regime.PA23]) == date(2026, 12, 8)  # St Andrew's Day
    assert "day after" in rules[Regime.PSR].describe() and "beginning with" in rules[Regime.PA23].describe()


def test_psr_representations_add_five_working_days() -> None:
    # Further decision on Friday 18/12/2026: Mon 21, Tue 22, Wed 23, Thu 24, (Christmas, weekend, Boxing Day
    # substitute) Tue 29 December.
    assert pc.standstill_end_after_representations(date(2026, 12, 18), PSR) == date(2026, 12, 29)
    assert pc.standstill_end_after_representations(date(2026, 12, 18), PA23_UK) is None


def test_publication_on_a_non_working_day_starts_the_count_on_the_next_working_day() -> None:
    # Published Saturday 28/11/2026: PA23 (E&W) counts Mon 30 Nov as day one, so day 8 is Wed 9 Dec.
    assert pc.standstill_end(date(2026, 11, 28), PA23_EW) == date(2026, 12, 9)
    assert pc.standstill_end(date(2026, 11, 28), PSR) == date(2026, 12, 9)


def test_extra_non_working_days_move_the_end() -> None:
    extra = ((date(2026, 12, 2), "Local election count"),)
    assert pc.standstill_end(date(2026, 11, 26), PA23_EW, extra) == date(2026, 12, 8)
    calendar = pc.Calendar(pc.ENGLAND_AND_WALES, extra)
    assert calendar.non_working_reason(date(2026, 12, 2)) == "extra non-working day: Local election count"
    assert calendar.working_days_between(date(2026, 11, 26), date(2026, 12, 4)) == 5


def test_non_working_reasons_and_deadline_warnings() -> None:
    ew = pc.Calendar()
    uk = pc.Calendar(pc.ALL_UK)
    assert ew.non_working_reason(date(2026, 12, 26)) == "Saturday"
    assert "Boxing Day" in (ew.non_working_reason(date(2026, 12, 28)) or "")
    assert ew.non_working_reason(date(2026, 11, 30)) is None
    assert "Andrew" in (uk.non_working_reason(date(2026, 11, 30)) or "")
    assert "Scotland" in (uk.non_working_reason(date(2026, 11, 30)) or "")
    warning = pc.non_working_day_warning("submission deadline", date(2026, 12, 28), ew)
    assert warning is not None
    assert "The submission deadline, Monday 28/12/2026, is not a working day (bank holiday: Boxing Day" in warning
    assert "Thursday 24/12/2026" in warning  # the last working day before it
    assert pc.non_working_day_warning("submission deadline", date(2026, 12, 29), ew) is None


def test_extra_non_working_days_table(database: Database) -> None:
    with database.unit_of_work() as s:
        pc.save_non_working_day(s, date(2027, 5, 7), "  Proclaimed  holiday ")
    with database.session() as s:
        rows = pc.list_non_working_days(s)
        assert [(r.day, r.reason) for r in rows] == [(date(2027, 5, 7), "Proclaimed holiday")]
        assert not pc.calendar_for(s).is_working_day(date(2027, 5, 7))
    with pytest.raises(ValidationError, match="already listed"), database.unit_of_work() as s:
        pc.save_non_working_day(s, date(2027, 5, 7), "Again")
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        pc.save_non_working_day(s, None, "")
    assert {p.field for p in err.value.problems} == {"day", "reason"}
    with database.unit_of_work() as s:
        pc.delete_non_working_day(s, rows[0].id, rows[0].version)
    with database.session() as s:
        assert pc.list_non_working_days(s) == []
