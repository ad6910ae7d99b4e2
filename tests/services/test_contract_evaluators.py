"""Each evaluator pinned at its thresholds, from real records (HR, rota, indemnity) on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation_desk.db.session import Database
from federation_desk.domain.compliance import (
    DbsCheck,
    DbsLevel,
    DbsWorkforce,
    ProfessionalRegistration,
    RegistrationStatus,
    RoleTrainingRequirement,
    TrainingRecord,
)
from federation_desk.domain.contracts import Direction, ObligationType, Rag, ReportingFrequency
from federation_desk.domain.indemnity import IndemnityCover, IndemnityProvider, InsurancePolicy, PolicyType
from federation_desk.domain.organisation import Federation, Pcn, Practice, Site, SiteKind
from federation_desk.domain.rota import Assignment, RotaService, RotaSession
from federation_desk.domain.staff import EmploymentType, Role, StaffMember
from federation_desk.services import contracts as cs
from federation_desk.services.contract_evaluators import anonymise_text, evaluate_contract
from federation_desk.services.rota import session_instants
from federation_desk.services.startup import open_database

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database with the reference data, built once; each test works on a copy."""
    path = tmp_path_factory.mktemp("evaluators") / "template.sqlite"
    opened = open_database(path, actor="tester")
    with opened.database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    opened.database.dispose()
    return path


@pytest.fixture
def db(template_path: Path, tmp_path: Path) -> Iterator[Database]:
    target = tmp_path / "evaluators.sqlite"
    shutil.copy(template_path, target)
    database = open_database(target, actor="tester").database
    try:
        yield database
    finally:
        database.dispose()


Q3 = (date(2026, 7, 1), date(2026, 9, 30))


@dataclass
class World:
    db: Database
    practice_id: int
    other_practice_id: int
    pcn_id: int
    hub_id: int
    site_id: int


def _world(db: Database) -> World:
    with db.unit_of_work() as s:
        fed = Federation(name="Northdale Health Federation")
        s.add(fed)
        s.flush()
        pcn = Pcn(code="U41200", name="Northdale Central PCN", federation_id=fed.id)
        s.add(pcn)
        s.flush()
        a = Practice(ods_code="Y91000", name="Northdale Surgery", pcn_id=pcn.id, adjusted_population=10_000)
        b = Practice(ods_code="Y91007", name="Łukasz's <b>Practice</b> & Co", pcn_id=None, adjusted_population=5_000)
        s.add_all([a, b])
        s.flush()
        hub = Site(name="Northdale Hub", kind=SiteKind.HUB, practice_id=None, pcn_id=pcn.id)
        site = Site(name="Northdale Surgery", kind=SiteKind.PRACTICE, practice_id=a.id, pcn_id=pcn.id)
        s.add_all([hub, site])
        s.flush()
        return World(db, a.id, b.id, pcn.id, hub.id, site.id)


def _role(s: Session, code: str) -> Role:
    role = s.scalar(select(Role).where(Role.code == code))
    assert role is not None
    return role


def _staff(s: Session, role_code: str, practice_id: int | None, n: int, prefix: str) -> list[int]:
    role = _role(s, role_code)
    people = [
        StaffMember(
            given_name=f"{prefix}{i:02d}",
            family_name="Ní Bhriain" if i == 0 else f"Family{i:02d}",
            role_id=role.id,
            employer_practice_id=practice_id,
            employment_type=EmploymentType.EMPLOYED,
            start_date=date(2020, 1, 1),
        )
        for i in range(n)
    ]
    s.add_all(people)
    s.flush()
    return [p.id for p in people]


def _train(s: Session, staff_id: int, role_code: str, on: date, skip: int = 0) -> None:
    """Training records for every subject the role needs (less ``skip`` of them), completed a month before ``on``."""
    role = _role(s, role_code)
    needed = s.scalars(select(RoleTrainingRequirement).where(RoleTrainingRequirement.role_id == role.id)).all()
    assert needed, f"the reference data gives {role_code} no training requirements"
    for req in needed[skip:]:
        s.add(
            TrainingRecord(
                staff_id=staff_id, subject_id=req.subject_id, level=req.level, completed_on=on - timedelta(30)
            )
        )


def _credential(s: Session, staff_id: int, on: date) -> None:
    s.add(
        ProfessionalRegistration(
            staff_id=staff_id,
            regulator=_role(s, "practice_nurse").regulator,
            number=f"12A{staff_id:04d}E"[-8:],
            status=RegistrationStatus.REGISTERED,
            registered_on=date(2015, 1, 1),
            expires_on=on + timedelta(days=200),
            checked_on=on - timedelta(days=5),
        )
    )
    s.add(
        DbsCheck(
            staff_id=staff_id,
            level=DbsLevel.ENHANCED_BARRED,
            workforce=DbsWorkforce.ADULT_AND_CHILD,
            certificate_number=f"{staff_id:012d}",
            issued_on=on - timedelta(days=100),
            update_service=True,
            status_checked_on=on - timedelta(days=10),
        )
    )


def _contract(db: Database, frequency: ReportingFrequency = ReportingFrequency.QUARTERLY, **kw: object) -> int:
    values: dict[str, object] = {
        "reference": "NDHF-TEST",
        "title": "Test contract",
        "commissioner": "NHS West Yorkshire ICB",
        "start_date": date(2026, 1, 1),
        "end_date": date(2027, 12, 31),
        "reporting_frequency": frequency,
    }
    values.update(kw)
    with db.unit_of_work() as s:
        return cs.save_contract(s, cs.ContractForm(**values)).ids[0]  # type: ignore[arg-type]


def _obligation(
    db: Database,
    cid: int,
    kind: ObligationType,
    green: float,
    amber: float,
    parameters: dict[str, object] | None = None,
    unit: str | None = None,
    direction: Direction | None = None,
) -> None:
    spec = cs.type_specs()[kind]
    with db.unit_of_work() as s:
        cs.save_obligation(
            s,
            cid,
            cs.ObligationForm(
                name=f"{kind.label} test",
                obligation_type=kind,
                unit=unit or spec.unit,
                direction=direction or spec.direction,
                target="",
                green_threshold=str(green),
                amber_threshold=str(amber),
                parameters=parameters or {},
            ),
        )


def _evaluate(db: Database, cid: int, label: str = "2026-Q3") -> list:  # type: ignore[type-arg]
    with db.session() as s:
        period = cs.find_period(s, cid, label)
        return list(evaluate_contract(s, cid, period.id, TODAY, trend_count=0).results)


# ---- workforce -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compliant", "value", "rag"), [(19, 95.0, Rag.GREEN), (17, 85.0, Rag.AMBER), (16, 80.0, Rag.RED)]
)
def test_workforce_training_at_its_thresholds(db: Database, compliant: int, value: float, rag: Rag) -> None:
    w = _world(db)
    with db.unit_of_work() as s:
        ids = _staff(s, "receptionist", w.practice_id, 20, "Recep")
        _staff(s, "receptionist", w.other_practice_id, 3, "Elsewhere")  # not on the contract
        for i, sid in enumerate(ids):
            _train(s, sid, "receptionist", Q3[1], skip=0 if i < compliant else 1)
    cid = _contract(db, practice_ids=(w.practice_id,))
    _obligation(db, cid, ObligationType.WORKFORCE, 95, 85, {"staff_basis": "practices"})
    (result,) = _evaluate(db, cid)
    assert (result.value, result.rag, result.numerator, result.denominator) == (value, rag, compliant, 20)
    assert result.as_of == Q3[1]
    if rag is Rag.GREEN:
        assert result.exceptions == ()
    else:
        assert len(result.exceptions) == 20 - compliant
        row = result.exceptions[-1]
        assert row.role == "Receptionist" and row.practice == "Northdale Surgery" and "missing:" in row.detail


def test_workforce_counts_rota_staff_when_the_contract_names_services(db: Database) -> None:
    w = _world(db)
    with db.unit_of_work() as s:
        ids = _staff(s, "receptionist", w.practice_id, 4, "Rota")
        for sid in ids[:3]:
            _train(s, sid, "receptionist", Q3[1])
        svc = RotaService(code="hv", name="Home visiting")
        s.add(svc)
        s.flush()
        for i, sid in enumerate(ids[1:]):  # the first (trained) person worked no session
            _session(s, svc.id, w.site_id, w.practice_id, date(2026, 8, 3 + i), "09:00", "12:00", staff=[sid])
    cid = _contract(db, service_codes="hv")
    _obligation(db, cid, ObligationType.WORKFORCE, 95, 85)
    (result,) = _evaluate(db, cid)
    assert (result.numerator, result.denominator, result.rag) == (2, 3, Rag.RED)
    (empty,) = _evaluate(db, cid, "2026-Q2")
    assert empty.rag is Rag.GREY and "No staff worked on the contract" in empty.summary


# ---- credentials -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("clear", "rag"), [(20, Rag.GREEN), (19, Rag.AMBER), (18, Rag.RED)])
def test_credentials_target_100_percent(db: Database, clear: int, rag: Rag) -> None:
    w = _world(db)
    with db.unit_of_work() as s:
        nurses = _staff(s, "practice_nurse", w.practice_id, 20, "Nurse")
        _staff(s, "receptionist", w.practice_id, 2, "Desk")  # not clinicians: not counted
        for i, sid in enumerate(nurses):
            _train(s, sid, "practice_nurse", Q3[1])
            if i < clear:
                _credential(s, sid, Q3[1])
    cid = _contract(db, practice_ids=(w.practice_id,))
    _obligation(db, cid, ObligationType.CREDENTIALS, 100, 95, {"staff_basis": "practices", "include_indemnity": False})
    (result,) = _evaluate(db, cid)
    assert (result.numerator, result.denominator, result.rag) == (clear, 20, rag)
    assert result.value == pytest.approx(100.0 * clear / 20)
    if rag is not Rag.GREEN:
        assert {e.staff_id for e in result.exceptions} == set(nurses[clear:])
        assert all("registration" in e.detail.lower() or "dbs" in e.detail.lower() for e in result.exceptions)


def test_credentials_check_own_indemnity_and_names_can_be_hidden(db: Database) -> None:
    w = _world(db)
    with db.unit_of_work() as s:
        nurses = _staff(s, "practice_nurse", w.practice_id, 2, "Nurse")
        for sid in nurses:
            _train(s, sid, "practice_nurse", Q3[1])
            _credential(s, sid, Q3[1])
        s.add(
            IndemnityCover(
                staff_id=nurses[1],
                provider=IndemnityProvider.MDU,
                membership_number="MDU123456",
                start_date=date(2026, 1, 1),
                end_date=date(2026, 12, 31),
            )
        )
    cid = _contract(db, practice_ids=(w.practice_id,))
    _obligation(db, cid, ObligationType.CREDENTIALS, 100, 95, {"staff_basis": "practices"})
    (result,) = _evaluate(db, cid)
    assert (result.numerator, result.denominator, result.rag) == (1, 2, Rag.RED)
    (row,) = result.exceptions
    assert row.staff_id == nurses[0] and "indemnity" in row.detail
    assert "Nurse00 Ní Bhriain" in row.detail  # the indemnity reason names the person ...
    hidden = anonymise_text(row.detail, row.names, "this person")
    assert "Nurse00" not in hidden and "Ní Bhriain" not in hidden and "this person" in hidden


# ---- staffing --------------------------------------------------------------------------------------------------


def _session(
    s: Session,
    service_id: int,
    site_id: int,
    practice_id: int | None,
    day: date,
    start: str,
    end: str,
    needed: int = 1,
    minutes: int = 0,
    staff: list[int] | None = None,
) -> None:
    role_id = _role(s, "gp").id
    starts, ends = session_instants(day, time.fromisoformat(start), time.fromisoformat(end))
    sess = RotaSession(
        service_id=service_id,
        site_id=site_id,
        practice_id=practice_id,
        role_id=role_id,
        session_date=day,
        starts_at=starts,
        ends_at=ends,
        needed=needed,
        appointment_minutes=minutes,
    )
    s.add(sess)
    s.flush()
    for sid in staff or []:
        s.add(Assignment(session_id=sess.id, staff_id=sid, practice_id=practice_id))


@pytest.mark.parametrize(("filled", "rag"), [(49, Rag.GREEN), (45, Rag.AMBER), (44, Rag.RED)])
def test_staffing_filled_against_planned(db: Database, filled: int, rag: Rag) -> None:
    w = _world(db)
    with db.unit_of_work() as s:
        gps = _staff(s, "gp", w.practice_id, 1, "Doctor")
        visits = RotaService(code="hv", name="Home visiting")
        other = RotaService(code="core", name="Practice sessions")
        s.add_all([visits, other])
        s.flush()
        for i in range(25):  # 25 sessions needing two each: 50 places
            day = date(2026, 7, 6) + timedelta(days=i)
            _session(s, visits.id, w.site_id, w.practice_id, day, "13:00", "17:00", needed=2, staff=[])
        _session(s, other.id, w.site_id, w.practice_id, date(2026, 7, 6), "09:00", "12:00", needed=5)  # not ours
        sessions = s.scalars(
            select(RotaSession).where(RotaSession.service_id == visits.id).order_by(RotaSession.session_date)
        ).all()
        extra = _staff(s, "gp", w.practice_id, 1, "Second")
        for n in range(filled):
            sess = sessions[n // 2]
            s.add(Assignment(session_id=sess.id, staff_id=(gps + extra)[n % 2], practice_id=w.practice_id))
    cid = _contract(db, service_codes="hv")
    _obligation(db, cid, ObligationType.STAFFING, 98, 90)
    (result,) = _evaluate(db, cid)
    assert (result.numerator, result.denominator, result.rag) == (filled, 50, rag)
    if rag is not Rag.GREEN:
        assert sum(int(e.detail.split(": ")[1].split(" of ")[0]) for e in result.exceptions) == 50 - filled
        assert "Home visiting at Northdale Surgery" in result.exceptions[-1].detail


# ---- insurance -------------------------------------------------------------------------------------------------


def _policy(s: Session, start: date, end: date, limit: int, holder: int | None = None) -> None:
    s.add(
        InsurancePolicy(
            holder_practice_id=holder,
            policy_type=PolicyType.EMPLOYERS_LIABILITY,
            insurer="Zurich Municipal",
            policy_number=f"EL-{start:%Y%m%d}",
            limit_of_indemnity=Decimal(limit),
            start_date=start,
            end_date=end,
        )
    )


@pytest.mark.parametrize(
    ("late_days", "amber", "rag"),
    [(0, 100, Rag.GREEN), (4, 95, Rag.AMBER), (5, 95, Rag.RED), (1, 100, Rag.RED)],
)
def test_insurance_held_throughout(db: Database, late_days: int, amber: float, rag: Rag) -> None:
    w = _world(db)
    with db.unit_of_work() as s:
        _policy(s, date(2025, 7, 1), date(2026, 6, 30), 10_000_000)
        _policy(s, date(2026, 7, 1) + timedelta(days=late_days), date(2027, 6, 30), 10_000_000)
        _policy(s, date(2026, 1, 1), date(2026, 12, 31), 1_000_000, holder=w.practice_id)  # another holder
    cid = _contract(db)
    _obligation(
        db,
        cid,
        ObligationType.INSURANCE,
        100,
        amber,
        {"policy_type": "employers liability", "minimum_limit": "£5m"},
    )
    (result,) = _evaluate(db, cid)
    assert (result.numerator, result.denominator, result.rag) == (92 - late_days, 92, rag)
    assert result.value == pytest.approx(100 * (92 - late_days) / 92)
    if late_days:
        (gap,) = result.exceptions if rag is not Rag.GREEN else (None,)
        assert gap is not None and gap.subject == "No policy in force" and "01/07/2026" in gap.detail
    assert any("EL-20260701" in detail or "EL-2026070" in detail for _what, detail in result.evidence)


def test_insurance_limit_below_the_minimum_part_way(db: Database) -> None:
    w = _world(db)
    with db.unit_of_work() as s:
        _policy(s, date(2026, 1, 1), date(2026, 8, 15), 10_000_000, holder=w.practice_id)
        _policy(s, date(2026, 8, 16), date(2027, 8, 15), 2_000_000, holder=w.practice_id)
    cid = _contract(db)
    _obligation(
        db,
        cid,
        ObligationType.INSURANCE,
        100,
        100,
        {"policy_type": "employers liability", "minimum_limit": "5000000", "holder_practice_id": w.practice_id},
    )
    (result,) = _evaluate(db, cid)
    assert result.rag is Rag.RED and result.numerator == 46
    (row,) = result.exceptions
    assert row.subject == "Limit below the minimum" and "£2,000,000, below £5,000,000" in row.detail


# ---- Enhanced Access ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("saturday_minutes", "gp_on_saturday", "value", "rag"),
    [
        (300, True, 60.0, Rag.GREEN),
        (276, True, 57.6, Rag.AMBER),
        (239, True, 53.9, Rag.RED),
        (300, False, 60.0, Rag.AMBER),
    ],
)
def test_access_minutes_per_1000_per_week(
    db: Database, saturday_minutes: int, gp_on_saturday: bool, value: float, rag: Rag
) -> None:
    w = _world(db)
    with db.unit_of_work() as s:
        (gp,) = _staff(s, "gp", w.practice_id, 1, "Doctor")
        (nurse,) = _staff(s, "practice_nurse", w.practice_id, 1, "Nurse")
        ea = RotaService(code="ea", name="Enhanced Access", enhanced_access=True)
        s.add(ea)
        s.flush()
        for week in range(4):  # July 2026: Mondays 6, 13, 20 and 27; no bank holiday
            monday = date(2026, 7, 6) + timedelta(weeks=week)
            for d in range(5):
                _session(s, ea.id, w.hub_id, None, monday + timedelta(d), "18:30", "20:00", minutes=60, staff=[gp])
            saturday_staff = [gp] if gp_on_saturday or week else [nurse]
            _session(
                s,
                ea.id,
                w.hub_id,
                None,
                monday + timedelta(5),
                "09:00",
                "17:00",
                minutes=saturday_minutes,
                staff=saturday_staff,
            )
    cid = _contract(db, ReportingFrequency.MONTHLY, service_codes="ea", practice_ids=(w.practice_id,))
    _obligation(db, cid, ObligationType.ACCESS, 60, 54)
    (result,) = _evaluate(db, cid, "2026-07")
    assert result.value == pytest.approx(value, abs=0.05)
    assert (result.rag, result.denominator) == (rag, 4 * 600)
    if not gp_on_saturday:
        assert "Amber although the minutes were met" in result.summary
        assert any("no GP on site" in e.detail for e in result.exceptions)
    (before,) = _evaluate(db, cid, "2026-06")
    assert before.rag is Rag.GREY  # the rota starts in July: June is not judged as zero


# ---- manual KPIs -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "typed", "rag"),
    [
        (Direction.HIGHER_IS_BETTER, "90", Rag.GREEN),
        (Direction.HIGHER_IS_BETTER, "89.9", Rag.AMBER),
        (Direction.HIGHER_IS_BETTER, "85", Rag.AMBER),
        (Direction.HIGHER_IS_BETTER, "84.9", Rag.RED),
        (Direction.LOWER_IS_BETTER, "90", Rag.GREEN),
        (Direction.LOWER_IS_BETTER, "90.1", Rag.AMBER),
        (Direction.LOWER_IS_BETTER, "95", Rag.AMBER),
        (Direction.LOWER_IS_BETTER, "95.1", Rag.RED),
        (Direction.HIGHER_IS_BETTER, "", Rag.GREY),
    ],
)
def test_manual_kpi_against_its_thresholds(db: Database, direction: Direction, typed: str, rag: Rag) -> None:
    _world(db)
    cid = _contract(db)
    higher = direction is Direction.HIGHER_IS_BETTER
    _obligation(db, cid, ObligationType.MANUAL_KPI, 90, 85 if higher else 95, unit="%", direction=direction)
    with db.session() as s:
        ob = cs.list_obligations(s, cid)[0]
        period = cs.find_period(s, cid, "2026-Q3")
    if typed:
        with db.unit_of_work() as s:
            cs.save_kpi_values(s, period.id, [cs.KpiEntry(ob.id, typed, "Explained <b>here</b> & there")])
    (result,) = _evaluate(db, cid)
    assert result.rag is rag
    if rag in (Rag.RED, Rag.AMBER):
        (row,) = result.exceptions
        assert "Explained <b>here</b> & there" in row.detail
    if rag is Rag.GREY:
        assert result.summary == "No value has been entered for 2026-Q3."
    else:
        assert ("Entered by", result.evidence[0][1]) == result.evidence[0] and "tester" in result.evidence[0][1]


def test_trend_covers_the_four_previous_periods_and_future_periods_are_not_judged(db: Database) -> None:
    _world(db)
    cid = _contract(db, start_date=date(2026, 2, 15))
    _obligation(db, cid, ObligationType.MANUAL_KPI, 90, 85, unit="%")
    with db.session() as s:
        ob = cs.list_obligations(s, cid)[0]
        periods = {p.label: p for p in cs.list_periods(s, cid)}
    with db.unit_of_work() as s:
        for label, value in (("2026-Q1", "80"), ("2026-Q2", "88"), ("2026-Q4", "95")):
            cs.save_kpi_values(s, periods[label].id, [cs.KpiEntry(ob.id, value)])
    with db.session() as s:
        evaluation = evaluate_contract(s, cid, periods["2026-Q4"].id, TODAY)
        future = evaluate_contract(s, cid, periods["2027-Q1"].id, TODAY, trend_count=0)
    assert [p.label for p in evaluation.trend_periods] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert [e.rag for e in evaluation.trend[ob.id]] == [Rag.RED, Rag.AMBER, Rag.GREY]
    assert evaluation.results[0].rag is Rag.GREEN and evaluation.as_of == TODAY  # Q4 is still running
    assert future.results[0].rag is Rag.GREY and "has not started" in future.results[0].summary
    assert evaluation.overall is Rag.GREEN and future.overall is Rag.GREY
    assert datetime.now(UTC).year >= 2024  # the clock is real; the evaluation used the given "today"


def test_every_evaluator_on_both_databases(database: Database) -> None:
    """One contract with an obligation of every type, evaluated on SQLite and PostgreSQL."""
    w = _world(database)
    with database.unit_of_work() as s:
        (gp,) = _staff(s, "gp", w.practice_id, 1, "Doctor")
        nurses = _staff(s, "practice_nurse", w.practice_id, 2, "Nurse")
        for sid in nurses:
            _train(s, sid, "practice_nurse", date(2026, 7, 31))
        _credential(s, nurses[0], date(2026, 7, 31))
        ea = RotaService(code="ea", name="Enhanced Access", enhanced_access=True)
        s.add(ea)
        s.flush()
        for week in range(4):
            monday = date(2026, 7, 6) + timedelta(weeks=week)
            for d in range(5):
                _session(s, ea.id, w.hub_id, None, monday + timedelta(d), "18:30", "20:00", minutes=60, staff=[gp])
            _session(s, ea.id, w.hub_id, None, monday + timedelta(5), "09:00", "17:00", minutes=300, staff=[gp])
        _session(s, ea.id, w.hub_id, None, date(2026, 7, 7), "09:00", "12:00", needed=2, staff=nurses)
        _session(s, ea.id, w.hub_id, None, date(2026, 7, 8), "09:00", "12:00", needed=1)
        _policy(s, date(2026, 1, 1), date(2026, 12, 31), 10_000_000)
    cid = _contract(database, ReportingFrequency.MONTHLY, service_codes="ea")
    for kind, green, amber, params in (
        (ObligationType.ACCESS, 60, 54, {}),
        (ObligationType.STAFFING, 98, 90, {}),
        (ObligationType.CREDENTIALS, 100, 95, {"include_indemnity": False}),
        (ObligationType.WORKFORCE, 95, 85, {}),
        (ObligationType.INSURANCE, 100, 100, {"policy_type": "employers liability", "minimum_limit": "£5m"}),
        (ObligationType.MANUAL_KPI, 90, 85, {}),
    ):
        _obligation(database, cid, kind, green, amber, params)
    with database.session() as s:
        manual = cs.list_obligations(s, cid)[-1]
        july = cs.find_period(s, cid, "2026-07")
    with database.unit_of_work() as s:
        cs.save_kpi_values(s, july.id, [cs.KpiEntry(manual.id, "86")])
    results = {r.obligation.obligation_type: r for r in _evaluate(database, cid, "2026-07")}
    assert results[ObligationType.ACCESS].value == pytest.approx(60.0)
    assert results[ObligationType.ACCESS].rag is Rag.GREEN
    staffing = results[ObligationType.STAFFING]  # the last Saturday (01/08) is in August
    assert (staffing.numerator, staffing.denominator) == (25, 26)
    assert results[ObligationType.STAFFING].rag is Rag.AMBER
    credentials = results[ObligationType.CREDENTIALS]
    assert (credentials.numerator, credentials.denominator, credentials.rag) == (1, 3, Rag.RED)  # the GP has none
    assert results[ObligationType.WORKFORCE].numerator == 2 and results[ObligationType.WORKFORCE].denominator == 3
    assert results[ObligationType.INSURANCE].rag is Rag.GREEN
    assert results[ObligationType.MANUAL_KPI].rag is Rag.AMBER


def test_earlier_periods_show_the_result_as_reported(db: Database) -> None:
    _world(db)
    cid = _contract(db)
    _obligation(db, cid, ObligationType.MANUAL_KPI, 90, 85, unit="%")
    with db.session() as s:
        ob = cs.list_obligations(s, cid)[0]
        q1, q2 = cs.find_period(s, cid, "2026-Q1"), cs.find_period(s, cid, "2026-Q2")
    with db.unit_of_work() as s:
        cs.save_kpi_values(s, q1.id, [cs.KpiEntry(ob.id, "80")])
    with db.session() as s:
        (first,) = evaluate_contract(s, cid, q1.id, TODAY, trend_count=0).results
    with db.unit_of_work() as s:
        cs.record_report_run(
            s,
            cs.RunRecord(
                cid,
                q1.id,
                "2026-Q1",
                "CR-EARLIER",
                "cd" * 32,
                10,
                1,
                False,
                "q1.pdf",
                first.rag,
                "1 red",
                (cs.ResultRecord(ob.id, ob.name, first.value, first.rag, first.summary),),
            ),
        )
    with db.session() as s:
        value = cs.load_kpi_grid(s, cid, q1.id).rows[0].value
    with db.unit_of_work() as s:  # the value is corrected after the report went in
        cs.save_kpi_values(s, q1.id, [cs.KpiEntry(ob.id, "95", "Corrected", value.version)])  # type: ignore[union-attr]
    with db.session() as s:
        reported = evaluate_contract(s, cid, q2.id, TODAY).trend[ob.id][-1]
        live = evaluate_contract(s, cid, q2.id, TODAY, use_reported=False).trend[ob.id][-1]
    assert (reported.value, reported.rag, reported.reported_in) == (80.0, Rag.RED, "CR-EARLIER")
    assert (live.value, live.rag, live.reported_in) == (95.0, Rag.GREEN, None)
