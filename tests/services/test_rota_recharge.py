"""Recharge summary: hours per person per practice and service, split at midnight, and its Excel export."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from federation_desk.db.session import Database
from federation_desk.services.recharge import FEDERATION, export_recharge_xlsx, recharge_summary
from tests.services.test_rota import assign, build_world, one_off


def test_overnight_hours_are_split_between_periods_and_exported(database: Database, tmp_path: Path) -> None:
    w = build_world(database)
    last_day = date(2026, 11, 30)
    night = one_off(database, w, last_day, "22:00", "08:00", service=w.visits, site=w.site_id)
    day = one_off(database, w, date(2026, 11, 10), "08:00", "12:10", service=w.visits, site=w.site_id)
    hub = one_off(database, w, date(2026, 11, 11), "18:30", "20:00")
    for s in (night, day, hub):
        assign(database, s, w.gp)
    with database.session() as s:
        november = recharge_summary(s, date(2026, 11, 1), last_day)
        december = recharge_summary(s, date(2026, 12, 1), date(2026, 12, 31))
    visits = next(r for r in november if r.service_name == "Home visiting")
    assert (visits.sessions, visits.hours, visits.notional_sessions) == (2, 6.17, 1.48)
    assert visits.practice_name == "Łukasz <b>Surgery</b>"
    assert next(r for r in november if r.service_name == "Enhanced Access").practice_name == FEDERATION
    assert [(r.hours, r.sessions) for r in december] == [(8.0, 1)]
    path = export_recharge_xlsx(november, tmp_path / "recharge.xlsx", date(2026, 11, 1), last_day, "Test <Fed>")
    ws = load_workbook(path).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][0].startswith("Recharge summary 01/11/2026 to 30/11/2026")
    assert values[3][:3] == ["Practice", "Service", "Staff member"]
    assert values[4][:3] == ["Łukasz <b>Surgery</b>", "Home visiting", "Amelia Shah"]
    assert values[-1][6].startswith("=SUM(G5:")
    assert (tmp_path / "recharge.xlsx").exists() and not list(tmp_path.glob(".*partial"))
