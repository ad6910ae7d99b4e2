"""Staff services on both databases: saving people and their items with plain-English refusals, renewals that keep
history, stale saves refused, evidence attached (and refused), the list and the dashboard card."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from federation_desk.db.session import Database
from federation_desk.domain.compliance import (
    DbsCheck,
    DbsLevel,
    ItemKind,
    LeaveKind,
    LeaveStatus,
    RightToWorkMethod,
    TrainingRecord,
)
from federation_desk.domain.documents import DocumentLink
from federation_desk.domain.staff import EmploymentType, Regulator, StaffMember, StaffPractice
from federation_desk.errors import StaleEditError, UnsupportedFile, ValidationError
from federation_desk.services import compliance as comp
from federation_desk.services import staff as st
from tests.services.test_staff_support import make_compliant, make_practice, make_staff, role_id, subject_id

ON = date(2026, 11, 22)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def db(database: Database) -> Database:
    with database.unit_of_work() as s:
        make_practice(s, "A81001", "Riverside Surgery")
        make_practice(s, "B82002", "Beckside Medical Centre")
    return database


def _form(session: object, **changes: object) -> st.StaffForm:
    base: dict[str, object] = {
        "given_name": "Łukasz",
        "family_name": "Wiśniewski",
        "role_id": role_id(session, "practice_nurse"),  # type: ignore[arg-type]
        "employer_practice_id": 1,
        "staff_number": "fd 900",
        "contracted_hours": "37,5",
        "email": "L.W@NHS.NET",
    }
    base.update(changes)
    return st.StaffForm(**base)  # type: ignore[arg-type]


def test_save_a_person_tidies_and_links_the_practices_they_work_for(db: Database) -> None:
    with db.unit_of_work() as s:
        changes = st.save_staff(s, _form(s, practice_ids=(1, 2), working_time_opt_out=True))
    sid = changes.ids[0]
    with db.session() as s:
        detail = st.get_staff(s, sid)
        links = s.scalars(select(StaffPractice.practice_id).where(StaffPractice.staff_id == sid)).all()
    assert (detail.staff_number, detail.contracted_hours, detail.email) == ("FD900", 37.5, "l.w@nhs.net")
    assert detail.working_time_opt_out and links == [2]  # the employer is not listed twice
    assert detail.practices_worked == ("Beckside Medical Centre",)


def test_bad_staff_input_is_refused_field_by_field_and_nothing_is_saved(db: Database) -> None:
    with db.unit_of_work() as s:
        make_staff(s, "gp", 1, "Other", "Person", number="FD900")
    with pytest.raises(ValidationError) as err, db.unit_of_work() as s:
        st.save_staff(
            s,
            _form(
                s,
                given_name="  ",
                contracted_hours="full time",
                email="nope",
                start_date=date(2026, 5, 1),
                leave_date=date(2026, 4, 1),
            ),
        )
    fields = {p.field: p.message for p in err.value.problems}
    assert fields["given_name"] == "The given name is required."
    assert "not 'full time'" in fields["contracted_hours"]
    assert "is not an email address" in fields["email"]
    assert "before the start date" in fields["leave_date"]
    assert "already belongs to Other Person" in fields["staff_number"]
    with db.session() as s:
        assert s.scalar(select(func.count(StaffMember.id))) == 1


def test_a_stale_staff_save_names_who_changed_it(db: Database) -> None:
    with db.unit_of_work() as s:
        sid = st.save_staff(s, _form(s)).ids[0]
    with db.session() as s:
        version = st.get_staff(s, sid).version
    other = Database(db.location, actor="Priya Shah", engine=db.engine)
    with other.unit_of_work() as s:
        st.save_staff(s, _form(s, phone="0113 496 0000"), sid, version)
    with pytest.raises(StaleEditError) as err, db.unit_of_work() as s:
        st.save_staff(s, _form(s, phone="0113 496 1111"), sid, version)
    assert "changed by Priya Shah" in err.value.message


def test_registration_numbers_are_checked_against_the_role(db: Database) -> None:
    with db.unit_of_work() as s:
        pa = make_staff(s, "physician_associate", 1)
        para = make_staff(s, "paramedic", 1)
    cases = [
        (pa, Regulator.GMC, "1234567", "Physician associates have their own GMC number"),
        (para, Regulator.HCPC, "PH123456", "prefix for physiotherapists"),
        (para, Regulator.HCPC, "PA123", None),
    ]
    for sid, regulator, number, problem in cases:
        form = st.RegistrationForm(regulator=regulator, number=number, expires_on=date(2027, 8, 31))
        if problem is None:
            with db.unit_of_work() as s:
                st.save_registration(s, sid, form, today=ON)
        else:
            with pytest.raises(ValidationError, match=problem), db.unit_of_work() as s:
                st.save_registration(s, sid, form, today=ON)
    with pytest.raises(ValidationError, match="renews every 2 years"), db.unit_of_work() as s:
        st.save_registration(
            s, para, st.RegistrationForm(Regulator.HCPC, "PA123", expires_on=date(2031, 1, 1)), today=ON
        )


def test_items_save_renew_keep_history_and_refuse_stale_corrections(db: Database) -> None:
    with db.unit_of_work() as s:
        sid = make_staff(s, "hca", 1)
        st.save_dbs(s, sid, st.DbsForm(DbsLevel.ENHANCED_BARRED, date(2023, 1, 10), "0012 3456 7890"), today=ON)
        st.save_dbs(s, sid, st.DbsForm(DbsLevel.ENHANCED_BARRED, date(2026, 1, 10), "001234567891"), today=ON)
    with db.session() as s:
        items = st.staff_items(s, sid, ON)
    assert [(r.certificate_number, r.current) for r in items.dbs] == [("001234567891", True), ("001234567890", False)]
    current = items.dbs[0]
    assert current.status is comp.ItemStatus.VALID and current.expires_on == date(2029, 1, 10)
    assert ItemKind.HEPATITIS_B in items.required and ItemKind.REGISTRATION not in items.required
    with db.unit_of_work() as s:
        st.save_dbs(s, sid, st.DbsForm(DbsLevel.ENHANCED_BARRED, date(2026, 1, 10), "001234567891",
                                       update_service=True), current.id, current.version, today=ON)  # fmt: skip
    with pytest.raises(StaleEditError), db.unit_of_work() as s:
        st.save_dbs(s, sid, st.DbsForm(DbsLevel.ENHANCED, date(2026, 1, 10)), current.id, current.version, today=ON)
    with pytest.raises(ValidationError, match="not basic"), db.unit_of_work() as s:
        st.save_dbs(s, sid, st.DbsForm(DbsLevel.BASIC, date(2026, 1, 10), update_service=True), today=ON)
    with pytest.raises(ValidationError, match="in the future"), db.unit_of_work() as s:
        st.save_dbs(s, sid, st.DbsForm(DbsLevel.BASIC, date(2026, 12, 1)), today=ON)
    with db.session() as s:
        assert s.scalar(select(func.count(DbsCheck.id))) == 2


def test_right_to_work_training_appraisal_and_hepatitis_b_refusals(db: Database) -> None:
    with db.unit_of_work() as s:
        sid = make_staff(s, "hca", 1)
        fire = subject_id(s, "fire_safety")
    refusals = [
        (st.save_right_to_work, st.RightToWorkForm(RightToWorkMethod.LIST_B_GROUP_1, date(2026, 1, 1)), "time-limited"),
        (
            st.save_right_to_work,
            st.RightToWorkForm(RightToWorkMethod.ONLINE, date(2026, 1, 1), share_code_reference="X12345678"),
            "start with W",
        ),
        (st.save_training, st.TrainingForm(None, date(2026, 1, 1)), "Choose the training subject"),
        (st.save_training, st.TrainingForm(fire, date(2026, 1, 1), hours="lots"), "not 'lots'"),
        (st.save_training, st.TrainingForm(fire, date(2026, 1, 1), expires_on=date(2025, 1, 1)), "is before"),
        (st.save_appraisal, st.AppraisalForm(None), "appraisal date is required"),
        (st.save_hepatitis_b, st.HepatitisBForm(comp.HepBOutcome.RESPONDER, anti_hbs="high"), "whole number"),
    ]
    for fn, form, words in refusals:
        with pytest.raises(ValidationError, match=words), db.unit_of_work() as s:
            fn(s, sid, form, today=ON)  # type: ignore[operator]
    with db.unit_of_work() as s:
        st.save_training(s, sid, st.TrainingForm(fire, date(2026, 1, 1), hours="1.5"), today=ON)
    with pytest.raises(ValidationError, match="already recorded"), db.unit_of_work() as s:
        st.save_training(s, sid, st.TrainingForm(fire, date(2026, 1, 1)), today=ON)
    with db.session() as s:
        assert s.scalar(select(func.count(TrainingRecord.id))) == 1


def test_leave_overlap_is_refused_and_approved_leave_reaches_the_rota(db: Database) -> None:
    with db.unit_of_work() as s:
        sid = make_staff(s, "gp", 1)
        st.save_leave(s, sid, st.LeaveForm(LeaveKind.ANNUAL, date(2026, 12, 21), date(2026, 12, 24)))
        st.save_leave(s, sid, st.LeaveForm(LeaveKind.STUDY, date(2026, 12, 22), date(2026, 12, 22),
                                           LeaveStatus.REQUESTED))  # fmt: skip
    with pytest.raises(ValidationError, match="overlaps approved annual leave from 21/12/2026"), db.unit_of_work() as s:
        st.save_leave(s, sid, st.LeaveForm(LeaveKind.SICKNESS, date(2026, 12, 24), date(2026, 12, 28)))
    with pytest.raises(ValidationError, match="before the first day"), db.unit_of_work() as s:
        st.save_leave(s, sid, st.LeaveForm(LeaveKind.SICKNESS, date(2026, 12, 28), date(2026, 12, 24)))
    with db.session() as s:
        rows = st.approved_leave(s, [sid], date(2026, 12, 24), date(2026, 12, 31))[sid]
    assert [(r.start, r.end, r.kind) for r in rows] == [(date(2026, 12, 21), date(2026, 12, 24), "annual leave")]


def test_evidence_attaches_to_an_item_and_other_files_are_refused(db: Database, tmp_path: Path) -> None:
    with db.unit_of_work() as s:
        sid = make_staff(s, "hca", 1)
        st.save_dbs(s, sid, st.DbsForm(DbsLevel.ENHANCED_BARRED, date(2025, 1, 10)), today=ON)
        dbs_id = s.scalar(select(DbsCheck.id))
    good = tmp_path / "DBS <certificate> Łukasz.pdf"
    good.write_bytes(PDF)
    sheet = tmp_path / "notes.txt"
    sheet.write_text("not a certificate")
    with db.unit_of_work() as s:
        st.attach_evidence_files(s, sid, ("dbs_check", dbs_id), [str(good)])
    with pytest.raises(UnsupportedFile, match="not a PDF, PNG or JPEG"), db.unit_of_work() as s:
        st.attach_evidence_files(s, sid, ("dbs_check", dbs_id), [str(sheet)])
    with pytest.raises(UnsupportedFile, match="is empty"), db.unit_of_work() as s:
        empty = tmp_path / "empty.pdf"
        empty.write_bytes(b"")
        st.attach_evidence_files(s, sid, ("dbs_check", dbs_id), [str(empty)])
    with db.unit_of_work() as s:
        other = make_staff(s, "hca", 1, "Someone", "Else")
    with pytest.raises(Exception, match="could not be found"), db.unit_of_work() as s:
        st.attach_evidence_files(s, other, ("dbs_check", dbs_id), [str(good)])  # not their DBS check
    with db.session() as s:
        docs = st.staff_documents(s, sid)
        items = st.staff_items(s, sid, ON)
    assert [(d.document.filename, d.attached_to) for d in docs] == [("DBS <certificate> Łukasz.pdf", "DBS check")]
    assert items.dbs[0].documents == 1
    with db.unit_of_work() as s:
        st.delete_item(s, "dbs_check", dbs_id, items.dbs[0].version)
    with db.session() as s:
        assert s.scalar(select(func.count(DocumentLink.id))) == 0


def test_the_list_search_text_and_status(db: Database) -> None:
    with db.unit_of_work() as s:
        ok = make_staff(s, "gp", 1, "Amelia", "Khan", number="FD001")
        make_compliant(s, ok, ON)
        make_staff(s, "receptionist", 2, "Łukasz", "Wiśniewski", number="FD002")
        make_staff(s, "administrator", 2, "Gone", "Away", number="FD003", leave=date(2025, 1, 1))
    with db.session() as s:
        rows = {r.staff_number: r for r in st.list_staff(s, ON)}
    assert rows["FD001"].status_text == "Compliant" or "expiring" in rows["FD001"].status_text
    assert "1234567" in rows["FD001"].search_text and rows["FD001"].registration == "GMC 1234567"
    assert "lukasz wisniewski" in rows["FD002"].search_text and "łukasz" in rows["FD002"].search_text
    assert rows["FD002"].status is comp.ItemStatus.MISSING and "missing" in rows["FD002"].status_text
    assert rows["FD003"].status_text == "Left" and not rows["FD003"].current
    assert rows["FD001"].employment_type is EmploymentType.EMPLOYED


def test_the_dashboard_card_counts_and_opens_the_expiry_list(db: Database) -> None:
    from federation_desk.services.dashboard import collect_cards

    with db.session() as s:
        assert all(c.key != "hr" for c in collect_cards(s, ON))  # no staff yet: no card
    with db.unit_of_work() as s:
        sid = make_staff(s, "receptionist", 1)
        make_compliant(s, sid, ON)
        s.add(TrainingRecord(staff_id=sid, subject_id=subject_id(s, "fire_safety"), completed_on=date(2024, 12, 1)))
        s.query(TrainingRecord).filter(
            TrainingRecord.staff_id == sid, TrainingRecord.subject_id == subject_id(s, "health_safety")
        ).update({"completed_on": date(2023, 12, 10)})  # expires 10/12/2026: inside 30 days
        s.query(TrainingRecord).filter(
            TrainingRecord.staff_id == sid, TrainingRecord.subject_id == subject_id(s, "equality_diversity")
        ).update({"completed_on": date(2023, 11, 1)})  # expired 01/11/2026
    with db.session() as s:
        card = next(c for c in collect_cards(s, ON) if c.key == "hr")
    assert card.headline == "1 item expires in the next 30 days, 1 already expired"
    assert card.page == "staff/expiry" and card.severity.value == "danger"
    assert "0 of 1 staff fully compliant (0%)" in card.details
