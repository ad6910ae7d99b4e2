"""Enhanced Access per PCN and week: minutes inside the windows, windows covered, a GP throughout."""

from __future__ import annotations

from datetime import date, timedelta

from federation_desk.db.session import Database
from federation_desk.services.enhanced_access import ea_parameters, enhanced_access_weeks, list_ea_pcns
from tests.services.test_rota import MON, assign, build_world, one_off


def test_a_week_with_every_window_staffed_by_a_gp(database: Database) -> None:
    w = build_world(database)  # adjusted population 20,000: 1,200 minutes a week required
    for i in range(5):
        s = one_off(database, w, MON + timedelta(days=i), "18:30", "20:00", minutes="90")
        assign(database, s, w.gp if i % 2 == 0 else w.gp2)
        n = one_off(database, w, MON + timedelta(days=i), "18:00", "20:30", role="practice_nurse", minutes="120")
        assign(database, n, w.nurse)
    sat = one_off(database, w, MON + timedelta(days=5), "09:00", "17:00", minutes="420")
    assign(database, sat, w.gp2)
    with database.session() as s:
        (row,) = enhanced_access_weeks(s, w.pcn_id, MON, MON + timedelta(days=6))
    # GP: 5 x 90 + 420 = 870; nurse: 120 per session pro rata 90 of 150 minutes inside the window = 72 x 5 = 360.
    assert (row.week_start, row.minutes_offered, row.minutes_required) == (MON, 1230, 1200)
    assert row.windows_covered and row.gp_on_site_throughout and row.met
    assert row.problems == ()


def test_gaps_and_missing_gp_are_named(database: Database) -> None:
    w = build_world(database)
    s = one_off(database, w, MON, "18:30", "19:30", minutes="60")
    assign(database, s, w.gp)
    n = one_off(database, w, MON + timedelta(days=1), "18:30", "20:00", role="practice_nurse", minutes="90")
    assign(database, n, w.nurse)
    one_off(database, w, MON + timedelta(days=2), "18:30", "20:00")  # planned but nobody booked: not covered
    with database.session() as s:
        (row,) = enhanced_access_weeks(s, w.pcn_id, MON, MON)
        pcns = list_ea_pcns(s)
        params = ea_parameters(s, MON)
    assert not row.windows_covered and not row.gp_on_site_throughout
    assert row.problems[0] == "150 of 1,200 appointment minutes offered (1,050 short)."
    assert "Mon 07/12/2026: no staffed session 19:30-20:00." in row.problems
    assert "Tue 08/12/2026: no GP on site 18:30-20:00." in row.problems
    assert "Sat 12/12/2026: no staffed session 09:00-17:00." in row.problems
    assert pcns[0].adjusted_population == 20_000
    assert len(params.windows) == 6 and params.minutes_per_1000 == 60


def test_bank_holidays_have_no_requirement_and_weeks_run_monday_to_sunday(database: Database) -> None:
    w = build_world(database)
    with database.session() as s:
        rows = enhanced_access_weeks(s, w.pcn_id, date(2026, 12, 23), date(2026, 12, 30))
    assert [r.week_start for r in rows] == [date(2026, 12, 21), date(2026, 12, 28)]
    text = " ".join(rows[0].problems)
    assert "Fri 25/12/2026" not in text and "Thu 24/12/2026" in text
