"""The compliance engine on both databases: statuses at their boundaries, the interface functions the rota, tenders
and contracts call (credential_gate, training_status, compliance_summary), and set-based querying."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, select, update

from federation_desk.db.session import Database
from federation_desk.domain.compliance import (
    DbsCheck,
    DbsLevel,
    HepatitisBRecord,
    HepBOutcome,
    ItemKind,
    ProfessionalRegistration,
    RightToWorkCheck,
    RightToWorkMethod,
    TrainingRecord,
)
from federation_desk.domain.staff import StaffMember, StaffPractice
from federation_desk.services import compliance as comp
from federation_desk.services.compliance import ItemStatus, add_months, status_for
from tests.services.test_staff_support import make_compliant, make_practice, make_staff, subject_id

ON = date(2026, 11, 22)


# ---- dates and statuses ----------------------------------------------------------------------------------------


def test_the_expiry_day_itself_is_still_valid_and_the_next_day_is_expired() -> None:
    assert status_for(ON, ON, 60) is ItemStatus.EXPIRING
    assert status_for(ON - timedelta(days=1), ON, 60) is ItemStatus.EXPIRED
    assert status_for(ON, ON, 0) is ItemStatus.EXPIRING  # valid on the day: the gate lets the person work


def test_window_edges() -> None:
    assert status_for(ON + timedelta(days=60), ON, 60) is ItemStatus.EXPIRING
    assert status_for(ON + timedelta(days=61), ON, 60) is ItemStatus.VALID
    assert status_for(None, ON, 60) is ItemStatus.VALID


def test_a_window_that_crosses_the_year_end() -> None:
    on = date(2026, 12, 15)
    assert status_for(date(2027, 2, 13), on, 60) is ItemStatus.EXPIRING
    assert status_for(date(2027, 2, 14), on, 60) is ItemStatus.VALID
    assert comp.week_start(date(2027, 1, 1)) == date(2026, 12, 28)


def test_leap_years() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 48) == date(2028, 2, 29)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 31), -36) == date(2023, 3, 31)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31)), st.integers(min_value=-240, max_value=240))
def test_add_months_lands_in_the_right_month_and_never_later_in_it(d: date, months: int) -> None:
    result = add_months(d, months)
    assert (result.year * 12 + result.month) - (d.year * 12 + d.month) == months
    assert result.day <= d.day
    if result.day < d.day:  # clamped: it is the last day of its month
        assert (result + timedelta(days=1)).month != result.month


def test_training_done_on_29_february_with_an_annual_refresher(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        sid = make_staff(s, "receptionist", pid)
        s.add(
            TrainingRecord(
                staff_id=sid, subject_id=subject_id(s, "information_governance"), completed_on=date(2024, 2, 29)
            )
        )
    with database.session() as s:

        def ig(on: date) -> comp.ItemState:
            items = comp.evaluate(s, on, [sid], kinds={ItemKind.TRAINING})[sid].items
            return next(i for i in items if i.key == "training:information_governance")

        assert ig(date(2025, 2, 28)).status is ItemStatus.EXPIRING
        assert ig(date(2025, 2, 28)).expires_on == date(2025, 2, 28)
        assert ig(date(2025, 3, 1)).status is ItemStatus.EXPIRED
        assert ig(date(2025, 1, 29)).status is ItemStatus.EXPIRING  # training's lead time is 30 days
        assert ig(date(2025, 1, 28)).status is ItemStatus.VALID
        assert ig(date(2025, 1, 28)).lead_days == 30


# ---- the gate ----------------------------------------------------------------------------------------------------


def test_credential_gate_clears_a_compliant_clinician_and_every_non_clinical_person(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        gp = make_staff(s, "gp", pid, "Amelia", "Khan")
        nurse = make_staff(s, "practice_nurse", pid, "Łukasz", "Wiśniewski")
        receptionist = make_staff(s, "receptionist", pid, "Alex <b>", "O'Neil & Sons")  # nothing recorded
        make_compliant(s, gp, ON)
        make_compliant(s, nurse, ON)
    with database.session() as s:
        gate = comp.credential_gate(s, [gp, nurse, receptionist], ON)
    assert gate == {gp: [], nurse: [], receptionist: []}


def test_credential_gate_names_each_reason_in_plain_english(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        gp = make_staff(s, "gp", pid, "Amelia", "Khan")
        make_compliant(s, gp, ON)
        s.execute(update(ProfessionalRegistration).values(expires_on=date(2026, 11, 21)))
        s.execute(update(DbsCheck).values(level=DbsLevel.STANDARD))
        fire = subject_id(s, "fire_safety")
        s.execute(
            update(TrainingRecord).where(TrainingRecord.subject_id == fire).values(completed_on=date(2024, 11, 1))
        )
        unknown = 999_999
    with database.session() as s:
        reasons = comp.credential_gate(s, [gp, unknown], ON)
    text = " ".join(reasons[gp])
    assert len(reasons[gp]) == 3
    assert "Professional registration is not valid on 22/11/2026: GMC registration 1234567 expired 21/11/2026" in text
    assert "DBS check missing: only a standard check on file; the role needs enhanced with barred lists" in text
    assert "Mandatory training is not in date on 22/11/2026: Fire Safety (expired 01/11/2026)" in text
    assert reasons[unknown] == ["There is no staff record for this person (it may have been deleted)."]


def test_credential_gate_on_the_day_an_item_expires_and_the_day_after(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        nurse = make_staff(s, "practice_nurse", pid)
        make_compliant(s, nurse, ON)
        s.execute(update(ProfessionalRegistration).values(expires_on=date(2027, 1, 31)))
    with database.session() as s:
        assert comp.credential_gate(s, [nurse], date(2027, 1, 31)) == {nurse: []}
        later = comp.credential_gate(s, [nurse], date(2027, 2, 1))[nurse]
    assert any("NMC registration 12A3456E expired 31/01/2027" in r for r in later)


def test_credential_gate_refuses_a_suspended_registrant_and_someone_who_has_left(database: Database) -> None:
    from federation_desk.domain.compliance import RegistrationStatus

    with database.unit_of_work() as s:
        pid = make_practice(s)
        a = make_staff(s, "paramedic", pid, "Rhys", "Lloyd")
        b = make_staff(s, "anp", pid, "Cerys", "Morgan", leave=date(2026, 10, 31))
        make_compliant(s, a, ON)
        make_compliant(s, b, ON)
        s.execute(
            update(ProfessionalRegistration)
            .where(ProfessionalRegistration.staff_id == a)
            .values(status=RegistrationStatus.SUSPENDED)
        )
    with database.session() as s:
        gate = comp.credential_gate(s, [a, b], ON)
    assert gate[a] == ["Professional registration is not valid: PA123456 is suspended on the register."]
    assert gate[b] == ["Cerys Morgan left on 31/10/2026."]


def test_credential_gate_is_set_based(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        few = [make_staff(s, "gp", pid, f"G{i}", "Doc") for i in range(2)]
        many = few + [
            make_staff(s, role, pid, f"P{i}", "Many") for i, role in enumerate(["practice_nurse", "hca"] * 20)
        ]
        for sid in many[:10]:
            make_compliant(s, sid, ON)
    counts = []
    for ids in (few, many):
        statements: list[str] = []

        def count(*_args: object, seen: list[str] = statements) -> None:
            seen.append("x")

        event.listen(database.engine, "before_cursor_execute", count)
        try:
            with database.session() as s:
                result = comp.credential_gate(s, ids, ON)
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        assert set(result) == set(ids)
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[1] <= 15


# ---- training status and summaries -------------------------------------------------------------------------------


def test_training_status_counts_missing_and_expired_by_name(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        sid = make_staff(s, "receptionist", pid)
        ok = make_staff(s, "receptionist", pid, "Ok", "Person")
        make_compliant(s, ok, ON)
        catalogue = comp.load_catalogue(s)
        role = s.get(StaffMember, sid).role_id
        needs = catalogue.training_by_role[role]
        subjects = sorted(needs, key=lambda x: catalogue.subjects[x].sort_order)
        for subject in subjects[:-2]:
            s.add(TrainingRecord(staff_id=sid, subject_id=subject, level=needs[subject], completed_on=date(2026, 6, 1)))
        expired = subjects[-2]
        s.add(TrainingRecord(staff_id=sid, subject_id=expired, level=needs[expired], completed_on=date(2020, 1, 1)))
        expired_name = catalogue.subjects[expired].requirement_label(needs[expired])
        missing_name = catalogue.subjects[subjects[-1]].requirement_label(needs[subjects[-1]])
    with database.session() as s:
        status = comp.training_status(s, ON, [sid, ok])
        everyone = comp.training_status(s, ON)
    mine = status[sid]
    assert mine.required == len(needs) and mine.in_date == len(needs) - 2 and not mine.compliant
    assert mine.missing == (missing_name,)
    assert expired_name in mine.expired
    assert status[ok].compliant and status[ok].required == status[ok].in_date
    assert set(everyone) == {sid, ok}


def test_a_higher_level_satisfies_a_lower_requirement_and_not_the_reverse(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        receptionist = make_staff(s, "receptionist", pid)  # needs safeguarding children level 2
        gp = make_staff(s, "gp", pid)  # needs level 3
        sgc = subject_id(s, "safeguarding_children")
        s.add(TrainingRecord(staff_id=receptionist, subject_id=sgc, level=3, completed_on=date(2025, 1, 10)))
        s.add(TrainingRecord(staff_id=gp, subject_id=sgc, level=2, completed_on=date(2025, 1, 10)))
    with database.session() as s:
        people = comp.evaluate(s, ON, [receptionist, gp], kinds={ItemKind.TRAINING})
    r = next(i for i in people[receptionist].items if i.key == "training:safeguarding_children")
    g = next(i for i in people[gp].items if i.key == "training:safeguarding_children")
    assert r.status is ItemStatus.VALID and r.expires_on == date(2028, 1, 10)
    assert g.status is ItemStatus.MISSING and g.detail == "only level 2 on record"
    assert g.label == "Safeguarding Children level 3"


def test_compliance_summary_by_practice_role_and_subject(database: Database) -> None:
    with database.unit_of_work() as s:
        a = make_practice(s, "A81001", "Ashworth Surgery")
        b = make_practice(s, "B82002", "Beckside Medical Centre")
        gp_a = make_staff(s, "gp", a)
        rec_a = make_staff(s, "receptionist", a)
        rec_b = make_staff(s, "receptionist", b)
        shared = make_staff(s, "clinical_pharmacist", None, "Shared", "Pharmacist")
        central = make_staff(s, "administrator", None, "Central", "Admin")
        make_staff(s, "receptionist", b, "Gone", "Away", leave=date(2025, 1, 1))
        s.add(StaffPractice(staff_id=shared, practice_id=a))
        s.add(StaffPractice(staff_id=shared, practice_id=b))
        for sid in (gp_a, rec_b, shared, central):
            make_compliant(s, sid, ON)
    with database.session() as s:
        by_practice = comp.compliance_summary(s, ON, "practice")
        by_role = comp.compliance_summary(s, ON, "role")
        by_subject = comp.compliance_summary(s, ON, "subject")
        only_two = comp.compliance_summary(s, ON, "practice", [gp_a, rec_a])
        with pytest.raises(ValueError):
            comp.compliance_summary(s, ON, "colour")
    assert [(r.key, r.compliant, r.total, r.percent) for r in by_practice] == [
        ("A81001", 2, 3, 66.7),
        ("B82002", 2, 2, 100.0),
        ("federation", 1, 1, 100.0),
    ]
    assert by_practice[0].label == "Ashworth Surgery"
    roles = {r.key: (r.compliant, r.total) for r in by_role}
    assert roles == {"gp": (1, 1), "clinical_pharmacist": (1, 1), "receptionist": (1, 2), "administrator": (1, 1)}
    fire = next(r for r in by_subject if r.key == "fire_safety")
    assert (fire.label, fire.compliant, fire.total) == ("Fire Safety", 4, 5)
    assert [(r.key, r.compliant, r.total) for r in only_two] == [("A81001", 1, 2)]


def test_renewing_a_registration_adds_a_record_and_the_newest_counts(database: Database) -> None:
    from federation_desk.services import staff as st_

    with database.unit_of_work() as s:
        pid = make_practice(s)
        nurse = make_staff(s, "practice_nurse", pid)
        form = st_.RegistrationForm(
            regulator=comp.Regulator.NMC,
            number="12a 3456e",
            expires_on=date(2026, 11, 30),
            checked_on=date(2025, 12, 1),
        )
        st_.save_registration(s, nurse, form, today=ON)
        renewed = st_.RegistrationForm(
            regulator=comp.Regulator.NMC, number="12A3456E", expires_on=date(2029, 11, 30), checked_on=ON
        )
        st_.save_registration(s, nurse, renewed, today=ON)
    with database.session() as s:
        numbers = s.execute(select(ProfessionalRegistration.number, ProfessionalRegistration.expires_on)).all()
        item = next(i for i in comp.evaluate(s, ON, [nurse])[nurse].items if i.kind is ItemKind.REGISTRATION)
    assert sorted(numbers) == [("12A3456E", date(2026, 11, 30)), ("12A3456E", date(2029, 11, 30))]
    assert item.status is ItemStatus.VALID and item.expires_on == date(2029, 11, 30)


def test_right_to_work_follow_ups_and_hepatitis_b_outcomes(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        a = make_staff(s, "hca", pid, "A", "ListB")
        b = make_staff(s, "hca", pid, "B", "Group2")
        c = make_staff(s, "hca", pid, "C", "ListA")
        s.add(
            RightToWorkCheck(
                staff_id=a,
                method=RightToWorkMethod.LIST_B_GROUP_1,
                checked_on=date(2024, 1, 1),
                permission_expires_on=date(2027, 1, 10),
            )
        )
        s.add(RightToWorkCheck(staff_id=b, method=RightToWorkMethod.LIST_B_GROUP_2, checked_on=date(2026, 5, 22)))
        s.add(RightToWorkCheck(staff_id=c, method=RightToWorkMethod.LIST_A, checked_on=date(2010, 1, 1)))
        s.add(HepatitisBRecord(staff_id=a, outcome=HepBOutcome.IN_PROGRESS, dose1_on=date(2026, 10, 1)))
        s.add(HepatitisBRecord(staff_id=b, outcome=HepBOutcome.NON_RESPONDER, tested_on=date(2025, 1, 1)))
        s.add(
            HepatitisBRecord(
                staff_id=c,
                outcome=HepBOutcome.NON_RESPONDER,
                tested_on=date(2025, 1, 1),
                oh_cleared_on=date(2025, 2, 1),
            )
        )
    with database.session() as s:
        people = comp.evaluate(s, ON, [a, b, c], kinds={ItemKind.RIGHT_TO_WORK, ItemKind.HEPATITIS_B})

    def item(sid: int, kind: ItemKind) -> comp.ItemState:
        return next(i for i in people[sid].items if i.kind is kind)

    assert item(a, ItemKind.RIGHT_TO_WORK).expires_on == date(2027, 1, 10)
    assert item(a, ItemKind.RIGHT_TO_WORK).status is ItemStatus.EXPIRING
    assert item(b, ItemKind.RIGHT_TO_WORK).expires_on == date(2026, 11, 22)  # six months from the PVN
    assert (
        item(c, ItemKind.RIGHT_TO_WORK).expires_on is None
        and item(c, ItemKind.RIGHT_TO_WORK).status is ItemStatus.VALID
    )
    assert item(a, ItemKind.HEPATITIS_B).status is ItemStatus.EXPIRING
    assert item(b, ItemKind.HEPATITIS_B).status is ItemStatus.MISSING
    assert "occupational health" in item(b, ItemKind.HEPATITIS_B).detail
    assert item(c, ItemKind.HEPATITIS_B).status is ItemStatus.VALID


def test_a_new_starter_has_until_their_first_appraisal_is_due(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        new = make_staff(s, "receptionist", pid, start=date(2026, 3, 1))
        old = make_staff(s, "receptionist", pid, start=date(2020, 3, 1))
    with database.session() as s:
        people = comp.evaluate(s, ON, [new, old], kinds={ItemKind.APPRAISAL})
    first = people[new].items[0]
    assert (first.status, first.expires_on, first.detail) == (
        ItemStatus.VALID,
        date(2027, 3, 1),
        "first appraisal due 01/03/2027",
    )
    assert people[old].items[0].status is ItemStatus.MISSING


def test_approved_leave_overlapping_a_range_with_inclusive_dates(database: Database) -> None:
    from federation_desk.domain.compliance import LeaveKind, LeaveRecord, LeaveStatus
    from federation_desk.services.staff import LeaveRow, approved_leave

    with database.unit_of_work() as s:
        pid = make_practice(s)
        a = make_staff(s, "gp", pid)
        b = make_staff(s, "gp", pid)
        s.add(LeaveRecord(staff_id=a, kind=LeaveKind.ANNUAL, start_on=date(2026, 12, 1), end_on=date(2026, 12, 5)))
        s.add(LeaveRecord(staff_id=a, kind=LeaveKind.STUDY, start_on=date(2026, 12, 10), end_on=date(2026, 12, 10)))
        s.add(
            LeaveRecord(
                staff_id=b,
                kind=LeaveKind.ANNUAL,
                start_on=date(2026, 12, 1),
                end_on=date(2026, 12, 9),
                status=LeaveStatus.DECLINED,
            )
        )
    with database.session() as s:
        leave = approved_leave(s, [a, b], date(2026, 12, 5), date(2026, 12, 10))
        none = approved_leave(s, [a], date(2026, 12, 6), date(2026, 12, 9))
    assert leave == {
        a: [
            LeaveRow(date(2026, 12, 1), date(2026, 12, 5), "annual leave"),
            LeaveRow(date(2026, 12, 10), date(2026, 12, 10), "study leave"),
        ],
        b: [],
    }
    assert none == {a: []}


def test_working_time_opt_out_defaults_to_false(database: Database) -> None:
    with database.unit_of_work() as s:
        pid = make_practice(s)
        a = make_staff(s, "gp", pid)
        b = make_staff(s, "gp", pid)
        s.get(StaffMember, b).working_time_opt_out = True
    with database.session() as s:
        assert comp.working_time_opt_out(s, [a, b]) == {a: False, b: True}


def test_reference_data_keeps_its_sources(database: Database) -> None:
    from federation_desk.domain.compliance import ComplianceItemType, TrainingLevel, TrainingSubject

    with database.session() as s:
        subjects = s.scalars(select(TrainingSubject)).all()
        levels = s.scalars(select(TrainingLevel)).all()
        types = s.scalars(select(ComplianceItemType)).all()
    assert len(subjects) == 20 and sum(1 for x in subjects if x.category == "CSTF") == 11
    assert all(x.source and x.confidence in ("V", "S", "U") for x in [*subjects, *levels, *types])
    fire = next(x for x in subjects if x.code == "fire_safety")
    fire_level = next(x for x in levels if x.subject_id == fire.id)
    assert fire_level.refresher_months == 24 and "Fire Safety - 2 Years" in (fire_level.source or "")
    lead = {t.kind: t.lead_days for t in types}
    assert lead[ItemKind.REGISTRATION] == 90 and lead[ItemKind.TRAINING] == 30


def test_reference_data_is_editable_and_statuses_follow(database: Database) -> None:
    from federation_desk.domain.compliance import ComplianceItemType, RoleTrainingRequirement
    from federation_desk.errors import StaleEditError, ValidationError

    with database.unit_of_work() as s:
        pid = make_practice(s)
        sid = make_staff(s, "receptionist", pid)
        make_compliant(s, sid, ON)
    with database.session() as s:
        settings = comp.reference_settings(s)
    training = next(t for t in settings.item_types if t.kind is ItemKind.TRAINING)
    fire = next(lv for lv in settings.levels if lv.subject == "Fire Safety")
    receptionist = next(rid for rid, name in settings.roles if name == "Receptionist")
    with pytest.raises(ValidationError, match="not 'soon'"), database.unit_of_work() as s:
        comp.save_item_type(s, training.id, "soon", "", training.version)
    with database.unit_of_work() as s:
        comp.save_item_type(s, training.id, "400", "", training.version)
        comp.save_refresher(s, fire.id, "", fire.version)  # done once: no refresher
        sepsis = next(r.subject_id for r in settings.requirements[receptionist] if r.subject == "Sepsis Awareness")
        fire_id = fire.subject_id
        comp.save_role_requirements(s, receptionist, {sepsis: 1, fire_id: None})
    with pytest.raises(StaleEditError), database.unit_of_work() as s:
        comp.save_item_type(s, training.id, "10", "", training.version)
    with database.session() as s:
        assert s.scalar(select(ComplianceItemType.lead_days).where(ComplianceItemType.id == training.id)) == 400
        kinds = {
            (r.subject_id, r.level)
            for r in s.scalars(select(RoleTrainingRequirement).where(RoleTrainingRequirement.role_id == receptionist))
        }
        items = comp.evaluate(s, ON, [sid], kinds={ItemKind.TRAINING})[sid].items
    assert (sepsis, 1) in kinds and all(k[0] != fire_id for k in kinds)
    labels = {i.label: i for i in items}
    assert "Fire Safety" not in labels and labels["Sepsis Awareness"].status is ItemStatus.MISSING
    # With a 400-day lead time, the annual IG refresher done 20 days ago already counts as expiring.
    assert labels["Information Governance and Data Security"].status is ItemStatus.EXPIRING
