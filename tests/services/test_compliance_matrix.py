"""The training matrix reads rows straight from the driver (ISO strings on SQLite, dates on PostgreSQL): it must
agree cell for cell with the compliance engine on both, and the expiry list and its counts must agree too."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from federation_desk.db.session import Database
from federation_desk.domain.compliance import ItemKind, TrainingRecord
from federation_desk.domain.staff import StaffPractice
from federation_desk.services import compliance as comp
from federation_desk.services.compliance import ItemStatus
from tests.services.test_staff_support import make_compliant, make_practice, make_staff, role_id, subject_id

ON = date(2026, 11, 22)


def _people(database: Database) -> dict[str, int]:
    with database.unit_of_work() as s:
        a = make_practice(s, "A81001", "Ashworth Surgery")
        b = make_practice(s, "B82002", "Beckside Medical Centre")
        ids = {
            "gp": make_staff(s, "gp", a, "Amelia", "Ahmed"),
            "nurse": make_staff(s, "practice_nurse", a, "Zoë", "Brontë-Smith"),
            "reception": make_staff(s, "receptionist", b, "Alex <b>", "O'Neil & Sons"),
            "pharmacist": make_staff(s, "clinical_pharmacist", None, "Łukasz", "Wiśniewski"),
            "left": make_staff(s, "administrator", b, "Gone", "Away", leave=date(2026, 1, 31)),
        }
        s.add(StaffPractice(staff_id=ids["pharmacist"], practice_id=b))
        make_compliant(s, ids["gp"], ON)
        make_compliant(s, ids["nurse"], ON)
        fire, ig, sgc = (
            subject_id(s, "fire_safety"),
            subject_id(s, "information_governance"),
            subject_id(s, "safeguarding_children"),
        )
        nurse = ids["nurse"]
        # Fire safety: the latest completion counts; an older one stays as history.
        s.query(TrainingRecord).filter_by(staff_id=nurse, subject_id=fire).update({"completed_on": date(2024, 10, 1)})
        s.add(TrainingRecord(staff_id=nurse, subject_id=fire, level=1, completed_on=date(2022, 10, 1)))
        # IG expires within training's 30-day lead time; a certificate expiry overrides the refresher period.
        s.query(TrainingRecord).filter_by(staff_id=nurse, subject_id=ig).update({"completed_on": date(2025, 12, 10)})
        s.add(TrainingRecord(staff_id=ids["pharmacist"], subject_id=ig, level=1, completed_on=date(2026, 10, 1),
                             expires_on=date(2026, 11, 30)))  # fmt: skip
        # A receptionist with level 3 safeguarding (more than needed) and fire safety level 1 long ago.
        s.add(TrainingRecord(staff_id=ids["reception"], subject_id=sgc, level=3, completed_on=date(2025, 5, 5)))
        s.add(TrainingRecord(staff_id=ids["reception"], subject_id=fire, level=1, completed_on=date(2020, 1, 1)))
        # The pharmacist has safeguarding children at level 2 only (needs 3), and a subject they do not need.
        s.add(TrainingRecord(staff_id=ids["pharmacist"], subject_id=sgc, level=2, completed_on=date(2026, 1, 1)))
        s.add(
            TrainingRecord(
                staff_id=ids["pharmacist"], subject_id=subject_id(s, "spirometry"), completed_on=date(2026, 2, 2)
            )
        )
    return ids


def _cell(matrix: comp.TrainingMatrix, staff_id: int, code: str) -> comp.MatrixCell | None:
    row = next(r for r in matrix.rows if r.staff_id == staff_id)
    column = next(i for i, s in enumerate(matrix.subjects) if s.code == code)
    return row.cells[column]


def test_matrix_cells_agree_with_the_engine(database: Database) -> None:
    ids = _people(database)
    with database.session() as s:
        matrix = comp.training_matrix(s, ON)
        people = comp.evaluate(s, ON, kinds={ItemKind.TRAINING})
    assert ids["left"] not in {r.staff_id for r in matrix.rows}
    assert len(matrix.subjects) == 20
    compared = 0
    for row in matrix.rows:
        for item in people[row.staff_id].items:
            cell = _cell(matrix, row.staff_id, item.key.split(":")[1])
            assert cell is not None and cell.status is item.status, (row.name, item.label)
            if item.status is not ItemStatus.MISSING:
                assert cell.expires_on == item.expires_on
            compared += 1
        assert row.in_date == sum(1 for i in people[row.staff_id].items if i.status.ok)
        assert row.required == len(people[row.staff_id].items)
    assert compared > 40

    fire = _cell(matrix, ids["nurse"], "fire_safety")
    assert fire and (fire.status, fire.completed_on, fire.expires_on) == (
        ItemStatus.EXPIRED,
        date(2024, 10, 1),
        date(2026, 10, 1),
    )
    ig = _cell(matrix, ids["nurse"], "information_governance")
    assert ig and ig.status is ItemStatus.EXPIRING and ig.expires_on == date(2026, 12, 10)
    cert = _cell(matrix, ids["pharmacist"], "information_governance")
    assert cert and cert.status is ItemStatus.EXPIRING and cert.expires_on == date(2026, 11, 30)
    sgc = _cell(matrix, ids["reception"], "safeguarding_children")
    assert sgc and sgc.status is ItemStatus.VALID and sgc.level == 3 and sgc.required_level == 2
    old_fire = _cell(matrix, ids["reception"], "fire_safety")
    assert old_fire and old_fire.status is ItemStatus.EXPIRED and old_fire.expires_on == date(2022, 1, 1)
    low = _cell(matrix, ids["pharmacist"], "safeguarding_children")
    assert low and low.status is ItemStatus.MISSING and low.level == 2 and low.required_level == 3
    extra = _cell(matrix, ids["pharmacist"], "spirometry")
    assert extra and extra.status is ItemStatus.NOT_APPLICABLE and extra.completed_on == date(2026, 2, 2)
    assert _cell(matrix, ids["reception"], "spirometry") is None


def test_matrix_filters_by_practice_role_and_federation(database: Database) -> None:
    ids = _people(database)
    with database.session() as s:
        practices = dict(s.execute(text("select ods_code, id from practice")).all())
        beckside = comp.training_matrix(s, ON, practice_id=practices["B82002"])
        gps = comp.training_matrix(s, ON, role_id=role_id(s, "gp"))
        central = comp.training_matrix(s, ON, federation_only=True)
    assert {r.staff_id for r in beckside.rows} == {ids["reception"], ids["pharmacist"]}  # employed or works there
    assert [r.staff_id for r in gps.rows] == [ids["gp"]]
    assert [r.staff_id for r in central.rows] == [ids["pharmacist"]]
    assert next(r for r in central.rows).practice == "Federation"


def test_expiry_list_and_counts(database: Database) -> None:
    ids = _people(database)
    with database.session() as s:
        within_30 = comp.expiry_list(s, ON, 30)
        with_missing = comp.expiry_list(s, ON, 90, include_missing=True, include_expired=False)
        counts = comp.expiry_counts(s, ON, 30)
        one_practice = comp.expiry_list(s, ON, 90, practice_id=s.execute(
            text("select id from practice where ods_code='B82002'")).scalar_one())  # fmt: skip
    nurse_ig = next(
        r for r in within_30 if r.staff_id == ids["nurse"] and r.item == "Information Governance and Data Security"
    )
    assert nurse_ig.expires_on == date(2026, 12, 10) and nurse_ig.within_lead_time and nurse_ig.lead_days == 30
    assert nurse_ig.week_start == date(2026, 12, 7) and nurse_ig.days_left == 18
    assert all(r.expires_on is not None and r.expires_on <= ON + timedelta(days=30) for r in within_30)
    assert any(r.status is ItemStatus.EXPIRED for r in within_30)
    assert not any(r.status is ItemStatus.EXPIRED for r in with_missing)
    assert any(r.status is ItemStatus.MISSING for r in with_missing)
    dated = [r.expires_on for r in within_30 if r.status is not ItemStatus.MISSING]
    assert dated == sorted(dated)
    assert counts.expired == sum(1 for r in within_30 if r.status is ItemStatus.EXPIRED)
    assert counts.expiring == sum(1 for r in within_30 if r.status is not ItemStatus.EXPIRED)
    assert {r.staff_id for r in one_practice} <= {ids["reception"], ids["pharmacist"]}


def test_under_the_access_guard_a_practice_manager_sees_and_imports_only_their_practice(sqlite_db: Database) -> None:
    import federation_desk.services.access  # noqa: F401  (installs the guard's session hooks)
    from federation_desk.db import guards
    from federation_desk.domain.users import UserRole
    from federation_desk.errors import NotPermitted
    from federation_desk.services import importing as im

    ids = _people(sqlite_db)
    with sqlite_db.session() as s:
        practices = dict(s.execute(text("select ods_code, id from practice")).all())
    beckside = practices["B82002"]
    guards.enforce(sqlite_db.engine, guards.Rules("pm", UserRole.PRACTICE_MANAGER, beckside, "Beckside Medical Centre"))
    try:
        with sqlite_db.session() as s:
            matrix = comp.training_matrix(s, ON)
        shown = {r.staff_id for r in matrix.rows}
        assert ids["reception"] in shown and ids["gp"] not in shown and ids["nurse"] not in shown
        cell = _cell(matrix, ids["reception"], "safeguarding_children")
        assert cell is not None and cell.status is ItemStatus.VALID  # dates compared correctly on the ORM path
        path = Path(__file__).parent.parent / "data" / "import" / "staff_utf8_bom.csv"
        table = im.read_table(path)
        with sqlite_db.session() as s:
            preview = im.validate(s, table, im.ImportKind.STAFF, im.guess_mapping(table, im.ImportKind.STAFF), ON)
        with pytest.raises(NotPermitted), sqlite_db.unit_of_work() as s:
            im.apply_import(s, preview)  # most rows are for Riverside, not their practice
    finally:
        guards.release(sqlite_db.engine)
