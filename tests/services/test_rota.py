"""Rota services on real databases (SQLite and PostgreSQL): generating sessions, checked assignments with override
reasons in the audit trail, published weeks, vacancies and the numbers other modules read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from federation_desk.db.session import Database
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.organisation import Federation, Pcn, Practice, Site, SiteKind
from federation_desk.domain.rota import Assignment, RotaService, RotaSession, SessionTemplate
from federation_desk.domain.staff import EmploymentType, Role, StaffMember
from federation_desk.errors import ValidationError
from federation_desk.services import rota
from federation_desk.services import rota_rules as rules
from tests.services.test_staff_support import make_compliant

MON = date(2026, 12, 7)
COMPLIANT_FROM = date(2026, 10, 1)


@dataclass
class World:
    practice_id: int
    pcn_id: int
    site_id: int
    hub_id: int
    gp: int
    gp2: int
    locum: int
    nurse: int
    receptionist: int
    ea: int  # service ids
    visits: int
    private: int
    role: dict[str, int]


def build_world(db: Database) -> World:
    with db.unit_of_work() as s:
        roles = dict(s.execute(select(Role.code, Role.id)).all())
        fed = Federation(name="Test Federation")
        s.add(fed)
        s.flush()
        pcn = Pcn(code="U00001", name="Test PCN", federation_id=fed.id)
        s.add(pcn)
        s.flush()
        practice = Practice(ods_code="Y00001", name="Łukasz <b>Surgery</b>", pcn_id=pcn.id, adjusted_population=20_000)
        s.add(practice)
        s.flush()
        site = Site(name="Main Street Surgery", kind=SiteKind.PRACTICE, practice_id=practice.id, pcn_id=pcn.id)
        hub = Site(name="Test Hub", kind=SiteKind.HUB, practice_id=None, pcn_id=pcn.id)
        s.add_all([site, hub])

        def staff(given: str, family: str, role: str, employment: EmploymentType = EmploymentType.EMPLOYED) -> int:
            m = StaffMember(
                given_name=given,
                family_name=family,
                role_id=roles[role],
                employer_practice_id=practice.id,
                employment_type=employment,
                start_date=date(2020, 1, 1),
            )
            s.add(m)
            s.flush()
            return m.id

        ids = [
            staff("Amelia", "Shah", "gp"),
            staff("Zoë", "Brontë-Smith", "gp"),
            staff("Tomasz", "Nowak", "gp", EmploymentType.LOCUM),
            staff("Grace", "Okafor", "practice_nurse"),
            staff("Alex <b>", "O'Neil & Sons", "receptionist"),
        ]
        for staff_id in ids[:4]:  # the clinicians: registration, DBS and training valid through 2027
            make_compliant(s, staff_id, COMPLIANT_FROM)
        services = [
            RotaService(code="ea", name="Enhanced Access", enhanced_access=True, colour="#005EB8"),
            RotaService(code="visits", name="Home visiting", colour="#007F3B"),
            RotaService(code="private", name="Private medicals", non_nhs=True),
        ]
        s.add_all(services)
        s.flush()
        return World(practice.id, pcn.id, site.id, hub.id, *ids, *(x.id for x in services), roles)


def one_off(
    db: Database,
    w: World,
    day: date,
    start: str,
    end: str,
    role: str = "gp",
    service: int | None = None,
    site: int | None = None,
    needed: str = "1",
    minutes: str = "90",
) -> int:
    with db.unit_of_work() as s:
        changes = rota.add_one_off_session(
            s,
            rota.OneOffForm(service or w.ea, site or w.hub_id, w.role[role], day, start, end, needed, minutes),
        )
        return changes.ids[0]


def assign(db: Database, session_id: int, staff_id: int, reason: str = "") -> str:
    with db.unit_of_work() as s:
        return rota.assign_staff(s, session_id, staff_id, reason).message


@pytest.fixture
def world(database: Database) -> World:
    return build_world(database)


def test_templates_generate_sessions_skipping_bank_holidays_and_existing_ones(database: Database, world: World) -> None:
    with database.unit_of_work() as s:
        rota.save_template(
            s,
            rota.TemplateForm(
                world.ea,
                world.hub_id,
                world.role["gp"],
                frozenset(range(5)),
                "18:30",
                "20:00",
                "2",
                "90",
                valid_from=date(2026, 12, 1),
            ),
        )
        rota.save_template(
            s,
            rota.TemplateForm(
                world.visits,
                world.site_id,
                world.role["gp"],
                frozenset(range(7)),
                "22:00",
                "08:00",
                "1",
                "0",
                valid_from=date(2026, 12, 1),
                runs_on_bank_holidays=True,
            ),
        )
    with database.unit_of_work() as s:
        result = rota.generate_sessions(s, date(2026, 12, 21), date(2026, 12, 27))
    # EA: Mon-Fri minus Christmas Day (Friday 25/12) = 4; visits every night = 7.
    assert (result.created, result.skipped_bank_holidays) == (11, 1)
    with database.unit_of_work() as s:
        again = rota.generate_sessions(s, date(2026, 12, 21), date(2026, 12, 27))
    assert (again.created, again.skipped_existing) == (0, 11)
    with database.session() as s:
        rows = rota.list_sessions(s, date(2026, 12, 21), date(2026, 12, 27))
        night = next(r for r in rows if r.service_code == "visits" and r.session_date == date(2026, 12, 21))
        assert night.time_text == "22:00-08:00 (+1)" and night.hours == 10
        ea = next(r for r in rows if r.service_code == "ea")
        assert (ea.needed, ea.missing, ea.appointment_minutes, ea.time_text) == (2, 2, 90, "18:30-20:00")


def test_bad_template_input_is_refused_with_reasons(database: Database, world: World) -> None:
    with database.unit_of_work() as s, pytest.raises(ValidationError) as err:
        rota.save_template(s, rota.TemplateForm(None, world.hub_id, None, frozenset(), "25:00", "half six", "0"))
    fields = {p.field for p in err.value.problems}
    assert {"start", "end"} <= fields
    assert "24-hour clock" in err.value.for_field("start")[0]
    with database.unit_of_work() as s, pytest.raises(ValidationError) as err:
        rota.save_template(s, rota.TemplateForm(None, world.hub_id, None, frozenset(), "18:30", "20:00", "0"))
    assert {"service_id", "role_id", "needed"} <= {p.field for p in err.value.problems}
    with database.session() as s:
        assert s.scalar(select(SessionTemplate.id)) is None


def test_assign_refuses_hard_rules_and_asks_a_reason_for_soft_ones(database: Database, world: World) -> None:
    first = one_off(database, world, MON, "08:00", "19:00", service=world.visits, site=world.site_id)
    clash = one_off(database, world, MON, "18:30", "20:00")
    early = one_off(
        database, world, MON + timedelta(days=1), "05:00", "09:00", service=world.visits, site=world.site_id
    )
    assert "booked" in assign(database, first, world.gp)
    with pytest.raises(rota.AssignmentRefused) as refused:
        assign(database, clash, world.gp)
    assert "Amelia Shah cannot work this session" in refused.value.message
    assert "already booked from 08:00 on Mon 07/12/2026 to 19:00 on Mon 07/12/2026" in refused.value.message
    assert "cannot be overridden" in refused.value.what_to_do
    with pytest.raises(rota.OverrideNeeded) as needed:
        assign(database, early, world.gp)
    assert needed.value.violations[0].rule is rules.Rule.DAILY_REST
    assert "only 10 h rest" in needed.value.message
    message = assign(database, early, world.gp, "Covering sickness; agreed compensatory rest on Wednesday")
    assert "overriding: daily rest" in message
    with database.session() as s:
        a = s.scalar(select(Assignment).where(Assignment.session_id == early))
        assert a is not None and a.override_reason.startswith("Covering sickness")
        audit = s.scalar(
            select(AuditEntry.new_value).where(
                AuditEntry.table_name == "rota_assignment", AuditEntry.row_id == str(a.id)
            )
        )
        assert "Covering sickness" in audit and "daily rest" in audit


def test_a_locum_gets_advisory_warnings_without_needing_a_reason(database: Database, world: World) -> None:
    first = one_off(database, world, MON, "08:00", "22:00", service=world.visits, site=world.site_id)
    second = one_off(
        database, world, MON + timedelta(days=1), "06:00", "10:00", service=world.visits, site=world.site_id
    )
    assign(database, first, world.locum)
    assert "advisory: daily rest" in assign(database, second, world.locum)


def test_non_clinicians_and_full_sessions_are_refused(database: Database, world: World) -> None:
    sess = one_off(database, world, MON, "18:30", "20:00")
    with pytest.raises(rota.AssignmentRefused) as refused:
        assign(database, sess, world.receptionist)
    assert "Alex <b> O'Neil & Sons is a receptionist, not a registered clinician" in refused.value.message
    assign(database, sess, world.gp)
    with pytest.raises(ValidationError, match="already fully staffed"):
        assign(database, sess, world.gp2)
    with pytest.raises(ValidationError, match="already booked into this session"):
        assign(database, sess, world.gp)


def test_candidates_list_eligible_people_first_and_says_why_not(database: Database, world: World) -> None:
    busy = one_off(database, world, MON, "17:00", "21:00", service=world.visits, site=world.site_id)
    assign(database, busy, world.gp2)
    sess = one_off(database, world, MON, "18:30", "20:00")
    with database.session() as s:
        found = rota.candidates_for(s, sess)
    by_id = {c.staff_id: c for c in found.rows}
    assert found.rows[0].status == "eligible"
    assert by_id[world.gp].status == "eligible"
    assert by_id[world.gp2].status == "blocked" and "already booked" in by_id[world.gp2].why_not
    assert by_id[world.nurse].status == "override" and "needs a GP" in by_id[world.nurse].why_not
    assert world.receptionist not in by_id  # a clinical session lists clinicians
    order = [c.status for c in found.rows]
    assert order == sorted(order, key=["eligible", "advisory", "override", "blocked"].index)


def test_published_weeks_are_read_only_until_reopened(database: Database, world: World) -> None:
    sess = one_off(database, world, MON + timedelta(days=2), "18:30", "20:00")
    with database.unit_of_work() as s:
        rota.publish_week(s, MON + timedelta(days=3))
    with pytest.raises(ValidationError) as err:
        assign(database, sess, world.gp)
    assert "week beginning 07/12/2026 is published" in err.value.message and "Reopen" in err.value.what_to_do
    with pytest.raises(ValidationError):
        one_off(database, world, MON, "09:00", "12:00")
    with database.session() as s:
        grid = rota.week_grid(s, MON)
        assert grid.published and grid.published_by == "tester"
        assert all(r.published for r in grid.sessions)
    with database.unit_of_work() as s:
        rota.reopen_week(s, MON)
    assert "booked" in assign(database, sess, world.gp)


def test_week_grid_counts_and_vacancies(database: Database, world: World) -> None:
    a = one_off(database, world, MON, "18:30", "20:00", needed="2")
    b = one_off(database, world, MON + timedelta(days=5), "09:00", "17:00")
    one_off(database, world, MON + timedelta(days=8), "09:00", "12:00")  # the week after
    assign(database, a, world.gp)
    assign(database, b, world.gp2)
    with database.session() as s:
        grid = rota.week_grid(s, MON + timedelta(days=3))
        assert grid.week_start == MON and [c.name for c in grid.sites] == ["Test Hub"]
        assert grid.vacancies == 1 and len(grid.sessions) == 2
        cell = grid.cells[(world.hub_id, MON)]
        assert cell[0].assignees[0].name == "Amelia Shah" and cell[0].missing == 1
        vacancies = rota.list_vacancies(s, MON, MON + timedelta(days=13))
        assert next((v.session_id, v.missing) for v in vacancies) == (a, 1) and len(vacancies) == 2
        counts = rota.staffing_counts(s, MON, MON + timedelta(days=6))
        assert (counts.planned, counts.filled, len(counts.unfilled)) == (3, 2, 1)
        assert rota.staffing_counts(s, MON, MON + timedelta(days=6), service_codes=["visits"]).planned == 0
        assert rota.staff_on_service(s, MON, MON + timedelta(days=6)) == {world.gp, world.gp2}
        assert rota.staff_on_service(s, MON, MON, service_codes=["ea"]) == {world.gp}
        assert rota.staff_on_service(s, MON, MON, practice_ids=[world.practice_id]) == set()
        calendar = rota.person_calendar(s, world.gp2, MON, MON + timedelta(days=30))
        assert [r.id for r in calendar] == [b]


def test_check_rota_finds_breaches_made_by_override(database: Database, world: World) -> None:
    first = one_off(database, world, MON, "08:00", "19:00", service=world.visits, site=world.site_id)
    second = one_off(
        database, world, MON + timedelta(days=1), "05:00", "09:00", service=world.visits, site=world.site_id
    )
    assign(database, first, world.gp)
    assign(database, second, world.gp, "Emergency cover")
    with database.session() as s:
        problems = rota.check_rota(s, MON, MON + timedelta(days=6))
    assert {p.session_id for p in problems} == {first, second}
    assert all(p.violations[0].rule is rules.Rule.DAILY_REST for p in problems)
    assert next(p for p in problems if p.session_id == second).override_reason == "Emergency cover"


def test_removing_an_assignment_and_deleting_a_session(database: Database, world: World) -> None:
    sess = one_off(database, world, MON, "18:30", "20:00")
    assign(database, sess, world.gp)
    with database.session() as s:
        row = rota.get_session(s, sess)
    with database.unit_of_work() as s:
        assert (
            "taken off" in rota.remove_assignment(s, row.assignees[0].assignment_id, row.assignees[0].version).message
        )
    with database.unit_of_work() as s:
        rota.delete_session(s, sess)
    with database.session() as s:
        assert s.get(RotaSession, sess) is None


def test_reference_parameters_are_loaded_with_sources(database: Database) -> None:
    with database.session() as s:
        params = rules.working_time_params(s)
        assert params.daily_rest == timedelta(hours=11) and params.reference_weeks == 17
        assert rota.get_parameter(s, "ea.minutes_per_1000") == "60"
        assert s.scalar(select(RotaService.id)) is None


def test_dashboard_card_counts_gaps_in_the_next_14_days(database: Database, world: World) -> None:
    today = MON
    one_off(database, world, MON + timedelta(days=1), "18:30", "20:00")
    one_off(database, world, MON + timedelta(days=20), "18:30", "20:00")
    with database.session() as s:
        card = rota.unfilled_sessions_card(s, today)
    assert card is not None and card.headline.startswith("1 unfilled session (1 place)")
    assert card.severity.value == "danger" and card.page == "rota"


def test_session_instants_are_unambiguous() -> None:
    s, e = rota.session_instants(date(2026, 10, 25), time(1, 30), time(3, 0))
    assert (e - s) == timedelta(hours=2, minutes=30)  # 01:30 BST, the clock goes back, 03:00 GMT


def test_approved_leave_and_a_registration_expiring_on_the_session_day(database: Database, world: World) -> None:
    from federation_desk.domain.compliance import LeaveKind, LeaveRecord, ProfessionalRegistration

    with database.unit_of_work() as s:
        s.add(LeaveRecord(staff_id=world.gp2, kind=LeaveKind.ANNUAL, start_on=MON, end_on=MON + timedelta(days=4)))
        reg = s.scalar(select(ProfessionalRegistration).where(ProfessionalRegistration.staff_id == world.nurse))
        reg.expires_on = MON  # the registration lapses at the end of the session day
    on_leave = one_off(database, world, MON + timedelta(days=4), "18:30", "20:00")
    with pytest.raises(rota.AssignmentRefused) as refused:
        assign(database, on_leave, world.gp2)
    assert "is on approved annual leave (07/12/2026 to 11/12/2026)" in refused.value.message
    same_day = one_off(database, world, MON, "09:00", "12:00", role="practice_nurse", site=world.site_id)
    next_day = one_off(database, world, MON + timedelta(days=1), "09:00", "12:00", role="practice_nurse")
    assert "booked" in assign(database, same_day, world.nurse)  # still valid on the day it expires
    with pytest.raises(rota.AssignmentRefused) as refused:
        assign(database, next_day, world.nurse)
    assert refused.value.violations[0].rule is rules.Rule.COMPLIANCE
    assert "Professional registration is not valid on 08/12/2026" in refused.value.message
    with pytest.raises(rota.AssignmentRefused):  # a hard rule is not lifted by a reason
        assign(database, next_day, world.nurse, "Short of nurses")


def test_non_nhs_sessions_need_the_clinicians_own_indemnity(database: Database, world: World) -> None:
    private = one_off(database, world, MON, "13:00", "14:30", service=world.private, site=world.site_id)
    with pytest.raises(rota.AssignmentRefused) as refused:
        assign(database, private, world.gp)
    assert refused.value.violations[0].rule is rules.Rule.OWN_INDEMNITY
