"""Importing staff and training files on both databases: messy files read right, every problem named row by row
with nothing of it written, only accepted rows written in one transaction, and a second import of the same file
changing nothing."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from federation_desk.db.session import Database
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.compliance import ProfessionalRegistration, TrainingRecord
from federation_desk.domain.staff import EmploymentType, StaffMember
from federation_desk.errors import UnsupportedFile, ValidationError
from federation_desk.services import importing as im
from tests.services.test_staff_support import make_practice, make_staff

DATA = Path(__file__).parent.parent / "data" / "import"
ON = date(2026, 11, 22)


@pytest.fixture
def db(database: Database) -> Database:
    with database.unit_of_work() as s:
        make_practice(s, "A81001", "Riverside Surgery")
        make_practice(s, "B82002", "Beckside Medical Centre")
        make_staff(s, "receptionist", 1, "Existing", "Person")
    return database


def _preview(db: Database, name: str, kind: im.ImportKind = im.ImportKind.STAFF) -> im.ImportPreview:
    table = im.read_table(DATA / name)
    with db.session() as s:
        mapping = im.guess_mapping(table, kind, None, im.subject_key(s))
        return im.validate(s, table, kind, mapping, ON)


def _import(
    db: Database, name: str, kind: im.ImportKind = im.ImportKind.STAFF, accepted: set[int] | None = None
) -> im.ImportResult:
    preview = _preview(db, name, kind)
    with db.unit_of_work() as s:
        return im.apply_import(s, preview, accepted)


def _count(db: Database, model: type) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _person(db: Database, number: str) -> StaffMember:
    with db.session() as s:
        person = s.scalars(select(StaffMember).where(StaffMember.staff_number == number)).one()
        s.expunge(person)
        return person


def test_utf8_bom_quotes_stray_spaces_and_awkward_names(db: Database) -> None:
    preview = _preview(db, "staff_utf8_bom.csv")
    assert "byte-order mark" in " ".join(preview.notes) and "1 blank line skipped" in " ".join(preview.notes)
    assert [r.action for r in preview.rows] == [im.Action.ADD] * 5
    assert [r.line for r in preview.rows] == [2, 3, 4, 6, 7]  # file lines, for the person fixing the file
    result = _import(db, "staff_utf8_bom.csv")
    assert (result.added, result.registrations) == (5, 3)
    lukasz, zoe, alex, siobhan, priya = (_person(db, f"IMP00{i}") for i in range(1, 6))
    assert (lukasz.given_name, lukasz.family_name, lukasz.contracted_hours) == ("Łukasz", "Wiśniewski", 37.5)
    assert (zoe.family_name, zoe.contracted_hours, zoe.start_date) == ("Brontë-Smith", 22.5, date(2021, 9, 15))
    assert (alex.given_name, alex.family_name) == ("Alex <b>", "O'Neil & Sons")
    assert siobhan.given_name == "Siobhán" and siobhan.start_date == date(2022, 6, 7) and siobhan.contracted_hours == 30
    assert priya.employer_practice_id is None and priya.employment_type is EmploymentType.EMPLOYED
    with db.session() as s:
        numbers = sorted(s.scalars(select(ProfessionalRegistration.number)).all())
        history = s.scalars(select(AuditEntry.new_value).where(AuditEntry.table_name == "staff_member",
                                                                AuditEntry.row_id == str(lukasz.id))).all()  # fmt: skip
    assert numbers == ["1234567", "12A3456E", "2012345"]
    assert history == ["imported from staff_utf8_bom.csv, line 2"]


def test_windows_1252_semicolons_comma_decimals_and_excel_serial_dates(db: Database) -> None:
    preview = _preview(db, "staff_cp1252_semicolon.csv")
    notes = " ".join(preview.notes)
    assert "Windows-1252" in notes and "Semicolon-separated" in notes
    assert all(r.ok for r in preview.rows)
    _import(db, "staff_cp1252_semicolon.csv")
    renee, jose = _person(db, "CP001"), _person(db, "CP002")
    assert (renee.given_name, renee.family_name) == ("Renée", "Lefèvre")
    assert renee.start_date == date(2023, 11, 1) and renee.contracted_hours == 37.5  # 45231 and "37,5"
    assert jose.start_date == date(2023, 1, 1) and jose.employment_type is EmploymentType.BANK


def test_excel_workbook_with_date_cells_serials_and_numeric_staff_numbers(db: Database) -> None:
    preview = _preview(db, "staff_excel.xlsx")
    assert "Staff export" in " ".join(preview.notes)
    assert [r.action for r in preview.rows] == [im.Action.ADD] * 3
    _import(db, "staff_excel.xlsx")
    aoife, kwame, mei = _person(db, "1001"), _person(db, "1002"), _person(db, "1003")
    assert aoife.start_date == date(2019, 4, 1) and kwame.start_date == date(2021, 1, 1)
    assert mei.start_date == date(2022, 10, 12) and mei.contracted_hours == 22.5 and kwame.given_name == "Kwame"
    with db.session() as s:
        regs = dict(s.execute(select(ProfessionalRegistration.number, ProfessionalRegistration.expires_on)).all())
    assert regs == {"15C1234D": date(2027, 8, 1), "19N1474R": date(2027, 5, 31)}  # 46600 is 01/08/2027


def test_every_problem_gets_its_message_and_nothing_of_it_is_written(db: Database) -> None:
    before = _count(db, StaffMember)
    preview = _preview(db, "staff_problems.csv")
    message = {r.line: r.message for r in preview.rows}
    assert preview.count(im.Action.ADD) == 2 and preview.count(im.Action.ERROR) == 12
    expected = {
        3: "Hours 'full time' is not a number.",
        4: "Unknown practice 'Z99999'",
        5: "Unknown role 'Astronaut'",
        6: "'03/04/2024' is ambiguous: this column also has month-first dates such as 04/13/2024",
        7: "'04/13/2024' is written month-first (American style)",
        8: "'31/02/2024' is not a real date.",
        9: "Staff number BAD001 is also on line 2",
        10: "Existing Person is already on file",
        11: "The family name is blank",
        12: "The role is blank",
        13: "'123456' has 6 digits; GMC numbers have 7",
        14: "'15/02/24' has a two-digit year",
    }
    for line, text in expected.items():
        assert text in message[line], (line, message[line])
    with db.unit_of_work() as s:
        result = im.apply_import(s, preview)
    assert (result.added, result.problems) == (2, 12)
    assert _count(db, StaffMember) == before + 2
    with db.session() as s:
        numbers = set(s.scalars(select(StaffMember.staff_number)).all())
    assert {"BAD001", "BAD014"} <= numbers and not numbers & {f"BAD0{n:02d}" for n in range(2, 14)}


def test_only_accepted_rows_are_written_and_none_when_none_accepted(db: Database) -> None:
    before = _count(db, StaffMember)
    preview = _preview(db, "staff_utf8_bom.csv")
    with db.unit_of_work() as s:
        result = im.apply_import(s, preview, accepted=set())
    assert result.added == 0 and result.left_out == 5 and _count(db, StaffMember) == before
    with db.unit_of_work() as s:
        result = im.apply_import(s, preview, accepted={2, 6})
    assert result.added == 2 and result.left_out == 3
    assert {_person(db, "IMP001").given_name, _person(db, "IMP004").given_name} == {"Łukasz", "Siobhán"}


def test_importing_the_same_file_again_changes_nothing_and_an_edited_file_updates(db: Database, tmp_path: Path) -> None:
    _import(db, "staff_utf8_bom.csv")
    people, registrations, audit = _count(db, StaffMember), _count(db, ProfessionalRegistration), _count(db, AuditEntry)
    again = _preview(db, "staff_utf8_bom.csv")
    assert [r.action for r in again.rows] == [im.Action.UNCHANGED] * 5
    result = _import(db, "staff_utf8_bom.csv")
    assert result.unchanged == 5 and result.added == 0
    assert (_count(db, StaffMember), _count(db, ProfessionalRegistration), _count(db, AuditEntry)) == (
        people, registrations, audit
    )  # fmt: skip
    edited = tmp_path / "edited.csv"
    text = (DATA / "staff_utf8_bom.csv").read_bytes().decode("utf-8-sig")
    edited.write_text(
        text.replace("37.5,1234567", "30,1234567").replace("Practice Nurse", "Advanced nurse practitioner"),
        encoding="utf-8",
    )
    preview = _preview_path(db, edited)
    updates = {r.line: r for r in preview.rows if r.action is im.Action.UPDATE}
    assert set(updates) == {2, 3}
    assert "contracted hours a week" in updates[2].changes and "role" in updates[3].changes
    with db.unit_of_work() as s:
        result = im.apply_import(s, preview)
    assert result.updated == 2 and _person(db, "IMP001").contracted_hours == 30 and _person(db, "IMP001").version == 2
    with db.session() as s:
        fields = set(s.scalars(select(AuditEntry.field).where(AuditEntry.action == "update")).all())
    assert {"contracted_hours", "role_id"} <= fields
    assert _count(db, StaffMember) == people


def _preview_path(db: Database, path: Path, kind: im.ImportKind = im.ImportKind.STAFF) -> im.ImportPreview:
    table = im.read_table(path)
    with db.session() as s:
        return im.validate(s, table, kind, im.guess_mapping(table, kind, None, im.subject_key(s)), ON)


def test_a_renewed_registration_in_the_file_adds_a_record_and_keeps_the_old(db: Database, tmp_path: Path) -> None:
    _import(db, "staff_excel.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(DATA / "staff_excel.xlsx")
    book.active["I3"] = date(2030, 5, 31)  # Kwame's PIN renewed
    path = tmp_path / "renewed.xlsx"
    book.save(path)
    preview = _preview_path(db, path)
    kwame = next(r for r in preview.rows if r.name == "Kwame Mensah")
    assert kwame.action is im.Action.UPDATE and "registration" in kwame.changes[0]
    with db.unit_of_work() as s:
        im.apply_import(s, preview)
    with db.session() as s:
        expiries = sorted(s.scalars(select(ProfessionalRegistration.expires_on).where(
            ProfessionalRegistration.number == "19N1474R")).all())  # fmt: skip
    assert expiries == [date(2027, 5, 31), date(2030, 5, 31)]


def test_training_from_an_esr_export_and_a_wide_matrix_and_again(db: Database) -> None:
    _import(db, "staff_utf8_bom.csv")
    preview = _preview(db, "training_esr.csv", im.ImportKind.TRAINING)
    message = {r.line: r.message for r in preview.rows}
    assert "Unknown training subject 'Underwater Basket Weaving'" in message[6]
    assert "No one on file has staff number NOBODY" in message[7]
    assert "01/06/2099 is in the future" in message[8]
    assert "Fire Safety 12/05/2026" in message[2]
    with db.unit_of_work() as s:
        assert im.apply_import(s, preview).training == 4
    wide = _import(db, "training_wide.csv", im.ImportKind.TRAINING)
    assert wide.training == 6
    with db.session() as s:
        rows = s.execute(select(TrainingRecord.completed_on, TrainingRecord.level, TrainingRecord.expires_on)).all()
    assert (date(2026, 6, 1), 1, date(2027, 6, 1)) in rows  # "Basic Life Support" with its certificate expiry
    assert (date(2025, 8, 31), 1, None) in rows  # 45900, an Excel serial date in a CSV
    assert (date(2025, 3, 15), 2, None) in rows  # "Safeguarding Children Level 2" column
    total = _count(db, TrainingRecord)
    for name in ("training_esr.csv", "training_wide.csv"):
        again = _preview(db, name, im.ImportKind.TRAINING)
        assert again.count(im.Action.ADD) == 0
        _import(db, name, im.ImportKind.TRAINING)
    assert _count(db, TrainingRecord) == total


def test_files_that_cannot_be_read_are_refused_with_what_to_do(tmp_path: Path) -> None:
    cases = {
        "empty.csv": (b"", "is empty"),
        "picture.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text (CSV) file"),
        "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old-style Excel file"),
        "headings.csv": (b"Staff number,Given name\r\n", "headings but no rows"),
        "blank.csv": (b"\r\n , \r\n", "no heading row"),
        "broken.xlsx": (b"PK\x03\x04 not really a zip", "could not be read as an Excel workbook"),
    }
    for name, (data, words) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(UnsupportedFile) as err:
            im.read_table(path)
        assert words in err.value.message, name
        assert err.value.what_to_do
    with pytest.raises(UnsupportedFile, match="could not be opened"):
        im.read_table(tmp_path / "missing.csv")


def test_mapping_is_guessed_remembered_and_checked(db: Database) -> None:
    table = im.read_table(DATA / "staff_problems.csv")
    guessed = im.guess_mapping(table, im.ImportKind.STAFF)
    assert guessed[:4] == ["staff_number", "given_name", "family_name", "role"]
    remembered = im.mapping_to_remember(table, ["", "given_name", "family_name", "role", "practice", "", "", ""])
    again = im.guess_mapping(table, im.ImportKind.STAFF, remembered)
    assert again[0] == "" and again[5] == ""  # left out last time, left out again
    again = im.guess_mapping(table, im.ImportKind.STAFF, {im.header_key("Role"): "role"})
    assert again[0] == "staff_number" and again[5] == "start_date"  # unknown to the memory: guessed
    remembered = {im.header_key("Hours"): "contracted_hours", im.header_key("Start date"): "leave_date"}
    assert im.guess_mapping(table, im.ImportKind.STAFF, remembered)[5] == "leave_date"
    with db.session() as s:
        with pytest.raises(ValidationError, match="same field"):
            im.validate(s, table, im.ImportKind.STAFF, ["role", "role", "", "", "", "", "", ""], ON)
        with pytest.raises(ValidationError, match="role"):
            im.validate(s, table, im.ImportKind.STAFF, ["staff_number", "given_name", "family_name"], ON)


def test_a_key_added_meanwhile_stops_the_whole_import(db: Database) -> None:
    preview = _preview(db, "staff_utf8_bom.csv")
    with db.unit_of_work() as s:
        make_staff(s, "gp", 1, "Somebody", "Else", number="IMP003")
    before = _count(db, StaffMember)
    with pytest.raises(ValidationError, match="IMP003"), db.unit_of_work() as s:
        im.apply_import(s, preview)
    assert _count(db, StaffMember) == before


def test_a_copy_of_the_data_folder_is_not_changed(tmp_path: Path) -> None:
    # The importer reads files; it never writes beside them.
    folder = tmp_path / "files"
    shutil.copytree(DATA, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for p in folder.iterdir():
        im.read_table(p)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def _check_ids_and_audit(db: Database) -> None:
    """Each imported person and registration has its own audit entry naming the file line it came from, each
    registration belongs to the person on its line, and the instants read back like any other record's."""
    lines = {"IMP001": 2, "IMP002": 3, "IMP003": 4, "IMP004": 6, "IMP005": 7}
    registered = {"IMP001": "1234567", "IMP002": "12A3456E", "IMP005": "2012345"}
    with db.session() as s:
        people = dict(s.execute(select(StaffMember.staff_number, StaffMember.id)).all())
        regs = s.execute(select(ProfessionalRegistration.id, ProfessionalRegistration.staff_id,
                                ProfessionalRegistration.number)).all()  # fmt: skip
        entries = s.execute(
            select(
                AuditEntry.table_name, AuditEntry.row_id, AuditEntry.new_value, AuditEntry.at, AuditEntry.actor
            ).where(AuditEntry.action == "insert", AuditEntry.new_value.like("imported from %"))
        ).all()
        created = s.scalars(select(StaffMember.created_at).where(StaffMember.staff_number.in_(list(lines)))).all()
    audit = {(e.table_name, e.row_id): e.new_value for e in entries}
    assert len(entries) == len(audit) == len(lines) + len(registered)  # one entry per new record, no more
    for number, line in lines.items():
        assert audit[("staff_member", str(people[number]))] == f"imported from staff_utf8_bom.csv, line {line}"
    staff_number_of = {sid: number for number, sid in people.items()}
    assert {staff_number_of[staff_id]: reg_number for _rid, staff_id, reg_number in regs} == registered
    for rid, staff_id, _reg_number in regs:
        line = lines[staff_number_of[staff_id]]
        assert audit[("professional_registration", str(rid))] == f"imported from staff_utf8_bom.csv, line {line}"
    assert all(e.at.tzinfo is not None and e.actor for e in entries)
    assert all(c.tzinfo is not None and abs((c - created[0]).total_seconds()) < 60 for c in created)


def test_every_imported_record_is_audited_with_its_line(db: Database) -> None:
    result = _import(db, "staff_utf8_bom.csv")
    assert (result.added, result.registrations) == (5, 3)
    _check_ids_and_audit(db)


def test_new_ids_are_found_by_natural_key_where_they_are_not_consecutive(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostgreSQL always goes this way; on SQLite it is the fallback when the new ids are not one run.
    monkeypatch.setattr(im, "_consecutive_ids", lambda *_args: None)
    result = _import(db, "staff_utf8_bom.csv")
    assert (result.added, result.registrations) == (5, 3)
    _check_ids_and_audit(db)


def test_instants_written_in_bulk_are_stored_as_the_orm_stores_them(db: Database) -> None:
    _import(db, "staff_utf8_bom.csv")
    if db.dialect != "sqlite":
        pytest.skip("the stored text form matters on SQLite only")
    with db.engine.connect() as conn:
        orm_made = conn.exec_driver_sql("SELECT created_at FROM staff_member WHERE staff_number IS NULL").scalar()
        imported = conn.exec_driver_sql("SELECT created_at FROM staff_member WHERE staff_number = 'IMP001'").scalar()
        at = conn.exec_driver_sql("SELECT at FROM audit_entry WHERE new_value LIKE 'imported from %'").scalar()
    pattern = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?$"
    assert re.match(pattern, orm_made) and re.match(pattern, imported) and re.match(pattern, at)
