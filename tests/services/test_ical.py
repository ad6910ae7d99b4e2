"""iCalendar export read back: London time zone, stable UIDs, one file per person on publishing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from federation_desk.db.session import Database
from federation_desk.errors import FederationDeskError
from federation_desk.services import ical, rota
from tests.services.test_rota import MON, assign, build_world, one_off


def _events(path: Path) -> list:
    cal = Calendar.from_ical(path.read_bytes())
    return [c for c in cal.walk("VEVENT")]


def test_one_person_round_trip_with_time_zone_and_stable_uids(database: Database, tmp_path: Path) -> None:
    w = build_world(database)
    autumn = date(2026, 10, 24)
    night = one_off(database, w, autumn, "22:00", "08:00", service=w.visits, site=w.site_id)
    evening = one_off(database, w, MON, "18:30", "20:00")
    assign(database, night, w.gp2)
    assign(database, evening, w.gp2)
    target = tmp_path / "zoe.ics"
    with database.session() as s:
        ical.export_ics(s, target, date(2026, 10, 1), date(2026, 12, 31), w.gp2)
    cal = Calendar.from_ical(target.read_bytes())
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert cal["X-WR-CALNAME"] == "Rota: Zoë Brontë-Smith"
    events = sorted(_events(target), key=lambda e: e.decoded("dtstart"))
    first = events[0]
    start, end = first.decoded("dtstart"), first.decoded("dtend")
    assert str(start.tzinfo) == "Europe/London" and start.hour == 22 and end.hour == 8
    assert end - start == timedelta(hours=10) and end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=11)
    assert first["UID"] == f"session-{night}-staff-{w.gp2}@rota.federation-desk"
    assert "Home visiting" in str(first["DESCRIPTION"]) and str(first["LOCATION"]) == "Main Street Surgery"
    assert events[1].decoded("dtstart") == datetime(2026, 12, 7, 18, 30, tzinfo=start.tzinfo)
    # Exporting again gives the same UIDs (calendars update rather than duplicate).
    again = tmp_path / "again.ics"
    with database.session() as s:
        ical.export_ics(s, again, date(2026, 10, 1), date(2026, 12, 31), w.gp2)
    assert sorted(e["UID"] for e in _events(again)) == sorted(e["UID"] for e in events)


def test_everyone_and_publishing_rewrites_one_file_per_person(database: Database, tmp_path: Path) -> None:
    w = build_world(database)
    a = one_off(database, w, MON, "18:30", "20:00", needed="2")
    assign(database, a, w.gp)
    assign(database, a, w.gp2)
    with database.session() as s:
        ical.export_ics(s, tmp_path / "all.ics", MON, MON + timedelta(days=6))
    summaries = sorted(str(e["SUMMARY"]) for e in _events(tmp_path / "all.ics"))
    assert summaries == ["Amelia Shah: Enhanced Access (GP)", "Zoë Brontë-Smith: Enhanced Access (GP)"]
    folder = tmp_path / "shared"
    folder.mkdir()
    with database.unit_of_work() as s:
        rota.set_parameter(s, ical.FOLDER_KEY, str(folder), "Shared calendar folder")
    with database.unit_of_work() as s:
        result = ical.publish_and_share(s, MON)
    assert isinstance(result, ical.ShareResult) and "2 calendar files updated" in result.changes.message
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"staff{w.gp}-amelia-shah.ics", f"staff{w.gp2}-zoe-bronte-smith.ics"]
    assert len(_events(folder / names[0])) == 1


def test_a_missing_shared_folder_stops_publishing_with_a_clear_message(database: Database, tmp_path: Path) -> None:
    w = build_world(database)
    one_off(database, w, MON, "18:30", "20:00")
    with database.unit_of_work() as s:
        rota.set_parameter(s, ical.FOLDER_KEY, str(tmp_path / "not-there"), "Shared calendar folder")
    with pytest.raises(FederationDeskError) as err, database.unit_of_work() as s:
        ical.publish_and_share(s, MON)
    assert "cannot be found, so the week was not published" in err.value.message
    with database.session() as s:
        assert not rota.week_grid(s, MON).published
