from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from federation_desk.db.session import Database
from federation_desk.domain.staff import StaffMember
from federation_desk.services.demo import SPECIAL_NAMES, DemoScale, build_demo
from federation_desk.services.startup import open_database
from tests.conftest import FIXED_TODAY


def _names(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        return [
            tuple(r)
            for r in s.execute(select(StaffMember.given_name, StaffMember.family_name).order_by(StaffMember.id))
        ]


def test_demo_is_realistic_and_has_the_awkward_names(demo_db: Database) -> None:
    names = _names(demo_db)
    assert len(names) == 300
    for given, family in SPECIAL_NAMES:
        assert (given, family) in names
    assert any("<" in g + f and "&" in g + f for g, f in names)
    with demo_db.session() as s:
        from federation_desk.services.organisation import organisation_summary

        summary = organisation_summary(s)
    assert (summary.practices, summary.pcns) == (12, 2)
    assert 60_000 < summary.list_size < 230_000


def test_demo_is_deterministic(tmp_path: Path) -> None:
    results = []
    for name in ("a", "b"):
        db = open_database(tmp_path / f"{name}.sqlite").database
        build_demo(db, DemoScale(practices=4, staff=40), today=FIXED_TODAY)
        results.append(_names(db))
        db.dispose()
    assert results[0] == results[1]


def test_benchmark_scale_uses_bulk_inserts(tmp_path: Path) -> None:
    db = open_database(tmp_path / "scale.sqlite").database
    summary = build_demo(db, DemoScale(practices=20, staff=1200), today=FIXED_TODAY)
    assert summary.counts["practice"] == 20 and summary.counts["staff_member"] == 1200
    with db.session() as s:
        assert s.scalar(select(func.count(StaffMember.id))) == 1200
    db.dispose()
