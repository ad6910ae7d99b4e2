"""The shared mechanisms: every change audited by the session hook; stale writes refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from federation_desk.db.audit_hook import record_bulk
from federation_desk.db.session import Database, load_for_edit
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.organisation import Practice, Site, SiteKind
from federation_desk.errors import StaleEditError
from federation_desk.services import organisation as org
from federation_desk.services.documents import store_document


def _setup(db: Database) -> int:
    with db.unit_of_work() as s:
        org.save_federation(s, org.FederationForm(name="Test Federation"))
        org.save_practice(s, org.PracticeForm(ods_code="B86001", name="Łukasz <b>Surgery</b> & Co", list_size="9,000"))
        return s.scalar(select(Practice.id))  # type: ignore[return-value]


def _audit(db: Database, table: str) -> list[AuditEntry]:
    with db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.table_name == table).order_by(AuditEntry.id)))


def test_insert_update_delete_are_audited_with_who_and_what(database: Database) -> None:
    practice_id = _setup(database)
    inserted = _audit(database, "practice")
    assert [e.action for e in inserted] == ["insert"]
    assert inserted[0].actor == "tester" and inserted[0].row_id == str(practice_id)
    assert json.loads(inserted[0].new_value or "{}")["name"] == "Łukasz <b>Surgery</b> & Co"

    with database.unit_of_work() as s:
        p = load_for_edit(s, Practice, practice_id, 1)
        p.list_size = 9100
        p.name = "Łukasz Surgery"
    updates = [e for e in _audit(database, "practice") if e.action == "update"]
    assert {(e.field, e.old_value, e.new_value) for e in updates} == {
        ("list_size", "9000", "9100"),
        ("name", "Łukasz <b>Surgery</b> & Co", "Łukasz Surgery"),
    }
    assert all(e.at.tzinfo is not None for e in updates)

    with database.unit_of_work() as s:
        s.delete(s.get(Practice, practice_id))
    deleted = [e for e in _audit(database, "practice") if e.action == "delete"]
    assert len(deleted) == 1 and json.loads(deleted[0].old_value or "{}")["ods_code"] == "B86001"


def test_unchanged_save_writes_no_update_rows(database: Database) -> None:
    practice_id = _setup(database)
    with database.unit_of_work() as s:
        row = org.get_practice(s, practice_id)
    form = org.PracticeForm(ods_code=row.ods_code, name=row.name, list_size="9000")
    with database.unit_of_work() as s:
        org.save_practice(s, form, practice_id, row.version)
    assert [e.action for e in _audit(database, "practice")] == ["insert"]


def test_document_bytes_are_not_copied_into_the_audit_trail(database: Database) -> None:
    with database.unit_of_work() as s:
        store_document(s, "cert.pdf", b"%PDF-1.4 secret certificate body")
    (entry,) = _audit(database, "document")
    assert "secret certificate body" not in (entry.new_value or "")
    assert json.loads(entry.new_value or "{}")["content"] == "(not recorded)"


def test_bulk_inserts_leave_one_audit_row(database: Database) -> None:
    with database.unit_of_work() as s:
        record_bulk(s, "staff_member", 2500, "imported from staff.csv")
    (entry,) = _audit(database, "staff_member")
    assert entry.action == "bulk" and entry.new_value == "2500 rows: imported from staff.csv"


def test_a_stale_save_is_refused_and_says_who_changed_it(database: Database) -> None:
    practice_id = _setup(database)
    with database.session() as s:
        seen = org.get_practice(s, practice_id)  # both people open version 1
    other = Database(database.location, actor="Priya Shah", engine=database.engine)
    with other.unit_of_work() as s:
        org.save_practice(s, org.PracticeForm(ods_code="B86001", name="Renamed by Priya"), practice_id, seen.version)
    with pytest.raises(StaleEditError) as err, database.unit_of_work() as s:
        org.save_practice(s, org.PracticeForm(ods_code="B86001", name="My name"), practice_id, seen.version)
    assert err.value.changed_by == "Priya Shah"
    assert "Priya Shah" in err.value.message and err.value.changed_at is not None
    with database.session() as s:
        assert org.get_practice(s, practice_id).name == "Renamed by Priya"  # nothing silently overwritten


def test_concurrent_flush_of_the_same_row_is_detected(database: Database) -> None:
    practice_id = _setup(database)
    s1 = database.session()
    s2 = database.session()
    try:
        a = s1.get(Practice, practice_id)
        b = s2.get(Practice, practice_id)
        assert a is not None and b is not None
        a.name = "First"
        s1.commit()
        b.name = "Second"
        from sqlalchemy.orm.exc import StaleDataError

        with pytest.raises(StaleDataError):
            s2.commit()
    finally:
        s1.close()
        s2.close()
    with pytest.raises(StaleEditError), database.unit_of_work() as s:
        stale = s.get(Practice, practice_id)
        assert stale is not None
        # Simulate the other desktop committing between this load and this flush.
        other = database.session()
        other.get(Practice, practice_id).name = "Third"  # type: ignore[union-attr]
        other.commit()
        other.close()
        stale.name = "Fourth"


def test_a_save_refused_by_the_database_still_names_who_saved_first(database: Database) -> None:
    """Priya saves between this desktop's read and its write (after the early version check passed): the
    UPDATE ... WHERE version = read matches nothing, the whole save is rolled back, and the message names her."""
    practice_id = _setup(database)
    priya = Database(database.location, actor="Priya Shah", engine=database.engine)
    with pytest.raises(StaleEditError) as err, database.unit_of_work() as s:
        mine = s.get(Practice, practice_id)
        assert mine is not None
        with priya.unit_of_work() as other:
            theirs = other.get(Practice, practice_id)
            assert theirs is not None
            theirs.phone = "01234 999999"
        mine.name = "My name"
        s.add(Site(name="Annexe", kind=SiteKind.PRACTICE, practice_id=practice_id))  # rolled back with the rest
    assert err.value.changed_by == "Priya Shah" and err.value.changed_at is not None
    assert err.value.message.startswith("This practice was changed by Priya Shah at ")
    with database.session() as s:
        saved = s.get(Practice, practice_id)
        assert saved is not None and (saved.name, saved.phone) != ("My name", "01234 999999")
        assert saved.phone == "01234 999999" and s.query(Site).filter_by(name="Annexe").count() == 0
