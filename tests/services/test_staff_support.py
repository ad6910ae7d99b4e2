"""Helpers the HR tests share: a practice, people in given roles, and a fully compliant record (no tests here)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation_desk.domain.compliance import (
    Appraisal,
    DbsCheck,
    DbsLevel,
    HepatitisBRecord,
    HepBOutcome,
    PerformersListEntry,
    PerformersStatus,
    ProfessionalRegistration,
    RightToWorkCheck,
    RightToWorkMethod,
    TrainingRecord,
)
from federation_desk.domain.organisation import Federation, Pcn, Practice
from federation_desk.domain.staff import EmploymentType, Regulator, Role, StaffMember
from federation_desk.services import compliance as comp

NUMBERS = {"GMC": "1234567", "NMC": "12A3456E", "GPhC": "2012345", "HCPC": "PA123456"}


def make_practice(session: Session, ods: str = "A81001", name: str = "Riverside Surgery") -> int:
    fed = session.scalar(select(Federation.id))
    if fed is None:
        f = Federation(name="Test Federation")
        session.add(f)
        session.flush()
        fed = f.id
    pcn = session.scalar(select(Pcn.id))
    if pcn is None:
        p = Pcn(code="U12345", name="Test PCN", federation_id=fed)
        session.add(p)
        session.flush()
        pcn = p.id
    practice = Practice(ods_code=ods, name=name, pcn_id=pcn, list_size=9000, adjusted_population=9500)
    session.add(practice)
    session.flush()
    return practice.id


def role_id(session: Session, code: str) -> int:
    rid = session.scalar(select(Role.id).where(Role.code == code))
    assert rid is not None, code
    return rid


def make_staff(
    session: Session,
    role_code: str,
    practice_id: int | None = None,
    given: str = "Test",
    family: str = "Person",
    number: str | None = None,
    start: date | None = date(2015, 1, 1),
    leave: date | None = None,
) -> int:
    staff = StaffMember(
        given_name=given,
        family_name=family,
        role_id=role_id(session, role_code),
        employer_practice_id=practice_id,
        employment_type=EmploymentType.EMPLOYED,
        staff_number=number,
        start_date=start,
        leave_date=leave,
    )
    session.add(staff)
    session.flush()
    return staff.id


def make_compliant(session: Session, staff_id: int, on: date) -> None:
    """Every item the person's role needs, valid for a good while after ``on``."""
    staff = session.get(StaffMember, staff_id)
    assert staff is not None
    role = session.get(Role, staff.role_id)
    assert role is not None
    catalogue = comp.load_catalogue(session)
    checks = catalogue.checks_by_role.get(role.id, {})
    recent = on - timedelta(days=20)
    if role.regulator is not Regulator.NONE:
        number = NUMBERS[role.regulator.value]
        if role.code == "physician_associate":
            number = "A1234567"
        elif role.code == "pharmacy_technician":
            number = "5012345"
        elif role.code == "physiotherapist":
            number = "PH123456"
        session.add(
            ProfessionalRegistration(
                staff_id=staff_id,
                regulator=role.regulator,
                number=number,
                registered_on=date(2010, 5, 1),
                expires_on=on + timedelta(days=300),
                revalidation_due=on + timedelta(days=700),
                checked_on=recent,
            )
        )
    from federation_desk.domain.compliance import ItemKind

    if ItemKind.DBS in checks:
        level = DbsLevel(checks[ItemKind.DBS].detail or "enhanced with barred lists")
        session.add(DbsCheck(staff_id=staff_id, level=level, certificate_number="001234567890", issued_on=recent))
    if ItemKind.PERFORMERS_LIST in checks:
        session.add(PerformersListEntry(staff_id=staff_id, status=PerformersStatus.INCLUDED, checked_on=recent))
    session.add(RightToWorkCheck(staff_id=staff_id, method=RightToWorkMethod.LIST_A, checked_on=date(2015, 1, 1)))
    if ItemKind.HEPATITIS_B in checks:
        session.add(HepatitisBRecord(staff_id=staff_id, outcome=HepBOutcome.RESPONDER, tested_on=date(2015, 6, 1)))
    session.add(Appraisal(staff_id=staff_id, completed_on=recent))
    for subject_id, level in catalogue.training_by_role.get(role.id, {}).items():
        session.add(TrainingRecord(staff_id=staff_id, subject_id=subject_id, level=level, completed_on=recent))
    session.flush()


def subject_id(session: Session, code: str) -> int:
    from federation_desk.domain.compliance import TrainingSubject

    sid = session.scalar(select(TrainingSubject.id).where(TrainingSubject.code == code))
    assert sid is not None
    return sid
