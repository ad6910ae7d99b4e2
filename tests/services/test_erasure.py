"""Erasing a former staff member's personal data: only after retention, confirmation names what goes, history keeps a
pseudonym, and the audit trail keeps the facts without the values. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import func, select

from federation_desk.db.session import Database, load_for_edit
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.documents import Document, DocumentLink
from federation_desk.domain.indemnity import IndemnityCover, IndemnityProvider
from federation_desk.domain.organisation import Practice, Site, SiteKind
from federation_desk.domain.rota import Assignment, RotaService, RotaSession
from federation_desk.domain.staff import EmploymentType, Role, StaffMember
from federation_desk.domain.users import ErasureRecord
from federation_desk.errors import NotPermitted
from federation_desk.services import documents, erasure

TODAY = date(2026, 11, 22)
PDF = b"%PDF-1.4\n% certificate of Siobhan\n%%EOF\n"


def _person(db: Database, leave: date | None) -> dict[str, int]:
    with db.unit_of_work() as s:
        role = s.scalars(select(Role).where(Role.is_clinical.is_(True)).order_by(Role.id)).first()
        practice = Practice(ods_code="A81001", name="Ashfield Surgery")
        s.add(practice)
        s.flush()
        site = Site(name="Ashfield main", kind=SiteKind.PRACTICE, practice_id=practice.id)
        service = RotaService(code="core", name="Core sessions")
        s.add_all([site, service])
        s.flush()
        person = StaffMember(
            staff_number="FD00099",
            given_name="Siobhán",
            family_name="Ní Bhriain",
            preferred_name="Shiv",
            email="siobhan@example.nhs.uk",
            phone="07700 900123",
            role_id=role.id,  # type: ignore[union-attr]
            employer_practice_id=practice.id,
            employment_type=EmploymentType.EMPLOYED,
            start_date=date(2012, 4, 1),
            leave_date=leave,
        )
        s.add(person)
        s.flush()
        person.phone = "07700 900456"  # an update: its old and new values are in the trail
        session = RotaSession(
            service_id=service.id,
            site_id=site.id,
            practice_id=practice.id,
            role_id=role.id,  # type: ignore[union-attr]
            session_date=date(2017, 3, 6),
            starts_at=datetime.combine(date(2017, 3, 6), time(9), UTC),
            ends_at=datetime.combine(date(2017, 3, 6), time(13), UTC),
        )
        s.add(session)
        s.flush()
        assignment = Assignment(session_id=session.id, staff_id=person.id, practice_id=practice.id)
        cover = IndemnityCover(
            staff_id=person.id,
            provider=next(iter(IndemnityProvider)),
            membership_number="MDU-778899",
            start_date=date(2016, 1, 1),
            end_date=date(2016, 12, 31),
        )
        s.add_all([assignment, cover])
        s.flush()
        doc_id, _ = documents.store_document(s, "DBS Siobhán.pdf", PDF, attach_to=("staff_member", person.id))
        cover_doc, _ = documents.store_document(s, "MDU cert.pdf", PDF + b"2", attach_to=("indemnity_cover", cover.id))
        shared, _ = documents.store_document(s, "policy.pdf", PDF + b"3", attach_to=("staff_member", person.id))
        documents.store_document(s, "policy.pdf", PDF + b"3", attach_to=("practice", practice.id))
        return {
            "staff": person.id,
            "version": person.version,
            "assignment": assignment.id,
            "cover": cover.id,
            "doc": doc_id,
            "cover_doc": cover_doc,
            "shared": shared,
        }


def test_nothing_is_erased_before_the_retention_period_ends(database: Database) -> None:
    ids = _person(database, date(2022, 3, 31))
    with database.session() as s:
        preview = erasure.erasure_preview(s, ids["staff"], TODAY)
        assert not preview.eligible
        assert "must be kept until 31/03/2028 (6 years after leaving)" in preview.reason
        assert erasure.erasure_candidates(s, TODAY) == []
    with pytest.raises(NotPermitted, match="kept until"), database.unit_of_work() as s:
        erasure.erase_staff_member(s, ids["staff"], ids["version"], TODAY)
    with database.session() as s:
        assert s.get(StaffMember, ids["staff"]).given_name == "Siobhán"  # type: ignore[union-attr]


def test_a_current_member_of_staff_cannot_be_erased(database: Database) -> None:
    ids = _person(database, None)
    with database.session() as s:
        preview = erasure.erasure_preview(s, ids["staff"], TODAY)
    assert not preview.eligible and "no leave date" in preview.reason


def test_erasure_after_retention_keeps_history_under_a_pseudonym(database: Database) -> None:
    ids = _person(database, date(2019, 3, 31))
    with database.session() as s:
        (candidate,) = erasure.erasure_candidates(s, TODAY)
        assert (candidate.staff_id, candidate.retention_ended) == (ids["staff"], date(2025, 3, 31))
        preview = erasure.erasure_preview(s, ids["staff"], TODAY)
    text = preview.confirmation_text
    assert preview.eligible
    assert "Erase the personal data of Shiv Ní Bhriain" in text
    for item in ("given name", "family name", "email", "phone", "staff number", "preferred name"):
        assert item in text
    assert "1 × indemnity cover" in text and "DBS Siobhán.pdf" in text and "MDU cert.pdf" in text
    assert "policy.pdf" not in text  # still attached to the practice: it stays
    assert "1 × rota assignment" in text and "'Former staff member P-" in text
    assert "This cannot be undone" in text

    with database.unit_of_work() as s:
        changes = erasure.erase_staff_member(s, ids["staff"], preview.version, TODAY)
    assert "Former staff member" in changes.message

    with database.session() as s:
        person = s.get(StaffMember, ids["staff"])
        assert person is not None
        assert (person.given_name, person.family_name) == ("Former staff member", f"P-{ids['staff']:05d}")
        assert (person.email, person.phone, person.preferred_name, person.staff_number) == (None, None, None, None)
        assert person.leave_date == date(2019, 3, 31) and person.employer_practice_id is not None
        # Rota history stays, pointing at the pseudonym.
        assert s.get(Assignment, ids["assignment"]).staff_id == ids["staff"]  # type: ignore[union-attr]
        # The person's own records and their documents are gone; a shared file stays.
        assert s.get(IndemnityCover, ids["cover"]) is None
        assert s.get(Document, ids["doc"]) is None and s.get(Document, ids["cover_doc"]) is None
        assert s.get(Document, ids["shared"]) is not None
        links = s.scalars(select(DocumentLink).where(DocumentLink.document_id == ids["shared"])).all()
        assert [(link.entity) for link in links] == ["practice"]
        record = s.scalars(select(ErasureRecord)).one()
        assert record.staff_id == ids["staff"] and record.erased_by == "tester"
        # The audit trail keeps every entry, but none of the erased values.
        trail = s.scalars(select(AuditEntry)).all()
        everything = " ".join(f"{e.old_value} {e.new_value}" for e in trail)
        for secret in ("Siobhán", "Ní Bhriain", "Shiv", "siobhan@example", "900123", "900456", "FD00099"):
            assert secret not in everything, secret
        assert "MDU-778899" not in everything and "DBS Siob" not in everything
        staff_entries = [e for e in trail if e.table_name == "staff_member" and e.row_id == str(ids["staff"])]
        actions = [e.action for e in staff_entries]
        assert actions.count("insert") == 1 and "update" in actions and "erase" in actions
        phone_change = next(e for e in staff_entries if e.action == "update" and e.field == "phone")
        assert (phone_change.old_value, phone_change.new_value) == ("(erased)", "(erased)")
        cover_entries = [e for e in trail if e.table_name == "indemnity_cover"]
        assert {e.action for e in cover_entries} >= {"insert", "erase"}
        # The fields that were not personal data keep their values in the trail.
        insert = next(e for e in staff_entries if e.action == "insert")
        assert '"employment_type": "employed"' in (insert.new_value or "")
        count = s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "erase"))
        assert count and count >= 6
    # A second erasure is refused.
    with database.session() as s:
        again = erasure.erasure_preview(s, ids["staff"], TODAY)
    assert not again.eligible and "already been erased" in again.reason


def test_only_an_administrator_may_erase(tmp_path: Any) -> None:
    from federation_desk.domain.users import AppUser, UserRole
    from federation_desk.services import access
    from federation_desk.services.startup import open_database

    path = tmp_path / "f.sqlite"
    setup = open_database(path, actor="setup").database
    ids = _person(setup, date(2019, 3, 31))
    with setup.unit_of_work() as s:
        s.add(AppUser(login="ada", display_name="Ada", role=UserRole.ADMINISTRATOR))
        s.add(AppUser(login="mo", display_name="Mo", role=UserRole.MANAGER))
    setup.dispose()
    manager = Database.open(str(path), actor="mo")
    access.establish(manager)
    try:
        with pytest.raises(NotPermitted, match="Only a federation administrator"), manager.unit_of_work() as s:
            erasure.erase_staff_member(s, ids["staff"], None, TODAY)
    finally:
        access.release(manager)
        manager.dispose()
    admin = Database.open(str(path), actor="ada")
    access.establish(admin)
    try:
        with admin.unit_of_work() as s:
            erasure.erase_staff_member(s, ids["staff"], None, TODAY)
        with admin.session() as s:
            assert load_for_edit(s, StaffMember, ids["staff"], None).given_name == "Former staff member"
    finally:
        access.release(admin)
        admin.dispose()
