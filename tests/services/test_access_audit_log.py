"""The federation-wide audit log service: filters, count + windows in every order, export, record history."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from federation_desk.db.session import Database, load_for_edit
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.organisation import Federation
from federation_desk.domain.users import AppUser, UserRole
from federation_desk.errors import NotPermitted, ValidationError
from federation_desk.services import access
from federation_desk.services import audit_log as log
from federation_desk.services import organisation as org
from federation_desk.services.dates import LONDON


def _changes(db: Database) -> None:
    with db.unit_of_work() as s:
        s.add(Federation(name="Riverside GP Federation"))
    with db.unit_of_work() as s:
        org.save_pcn(s, org.PcnForm(code="U11111", name="North PCN"))
    for i, actor in enumerate(["Priya Shah", "Łukasz Nowak", "=HYPERLINK(evil)", "Priya Shah"]):
        other = Database(db.location, actor=actor, engine=db.engine)
        with other.unit_of_work() as s:
            org.save_practice(s, org.PracticeForm(ods_code=f"A8100{i}", name=f"Practice <b>{i}</b>"))
    with db.unit_of_work() as s:
        row = org.list_practices(s)[0]
        form = org.PracticeForm(ods_code=row.ods_code, name=row.name, phone="01234 567890", list_size="7,000")
        org.save_practice(s, form, row.id, row.version)


def test_count_and_windows_agree_in_every_order(database: Database) -> None:
    _changes(database)
    with database.session() as s:
        everything = log.AuditFilter()
        total = log.count_entries(s, everything)
        assert total == s.scalar(select(func.count(AuditEntry.id)))
        for sort in log.SORTS:
            for descending in (True, False):
                size = max(7, total // 6)  # a handful of windows, the last one short
                first = log.first_page(s, everything, size, sort, descending)
                rest = [
                    log.fetch_window(s, everything, o, size, sort, descending).rows for o in range(size, total, size)
                ]
                rows = first.window.rows + [r for window in rest for r in window]
                assert first.total == total and len(rows) == total
                assert len({r.id for r in rows}) == total  # every entry exactly once
        newest = log.fetch_window(s, everything, 0, 1).rows[0]
        assert newest.action == "changed" and newest.what == "practice"
        assert log.fetch_window(s, everything, total + 10, 5).rows == []


def test_filters(database: Database) -> None:
    _changes(database)
    with database.session() as s:
        by_priya = log.AuditFilter(actor="Priya Shah")
        assert log.count_entries(s, by_priya) == 2
        assert {r.who for r in log.fetch_window(s, by_priya, 0, 10).rows} == {"Priya Shah"}
        assert log.count_entries(s, log.AuditFilter(text="nowak")) == 1  # case-insensitive, any Unicode
        assert log.count_entries(s, log.AuditFilter(text="Łukasz")) == 1
        assert log.count_entries(s, log.AuditFilter(text="100%_")) == 0  # wildcards are literal
        changes = log.AuditFilter(table_name="practice", action="update")
        fields = {r.field for r in log.fetch_window(s, changes, 0, 20).rows}
        assert fields == {"phone", "list size"}
        today = datetime.now(LONDON).date()  # the day the entries were stamped (the clock, not the pinned day)
        since = log.AuditFilter(since=today, until=today)
        assert log.count_entries(s, since) == log.count_entries(s, log.AuditFilter())
        assert log.count_entries(s, log.AuditFilter(since=today + timedelta(days=1))) == 0
        with pytest.raises(ValidationError, match="after the 'to' date"):
            log.count_entries(s, log.AuditFilter(since=today, until=today - timedelta(days=1)))
        choices = log.filter_choices(s)
        assert "Łukasz Nowak" in choices.actors and ("pcn", "PCN") in choices.tables
        one = log.fetch_window(s, changes, 0, 1).rows[0]
        record = log.AuditFilter(table_name="practice", row_id=one.row_id)
        assert {r.row_id for r in log.fetch_window(s, record, 0, 50).rows} == {one.row_id}


def test_who_shows_the_persons_name_for_a_listed_login(database: Database) -> None:
    _changes(database)
    with database.unit_of_work() as s:
        s.add(AppUser(login="Priya Shah", display_name="Dr Priya Shah", role=UserRole.ADMINISTRATOR))
    with database.session() as s:
        rows = log.fetch_window(s, log.AuditFilter(actor="Priya Shah"), 0, 5).rows
    assert {r.who for r in rows} == {"Dr Priya Shah (Priya Shah)"}


def test_export_to_excel_and_csv(database: Database, tmp_path: Path) -> None:
    _changes(database)
    xlsx = log.export_audit_log(database, log.AuditFilter(), tmp_path / "out" / "audit.xlsx")
    sheet = load_workbook(xlsx).active
    values = list(sheet.iter_rows(values_only=True))
    with database.session() as s:
        total = log.count_entries(s, log.AuditFilter())
    assert values[0][0] == "When (UK time)" and len(values) == total + 1
    actors = {row[2] for row in values[1:]}
    assert "'=HYPERLINK(evil)" in actors and "=HYPERLINK(evil)" not in actors  # never a live formula
    names = " ".join(str(v) for row in values for v in row)
    assert "Practice <b>1</b>" in names
    csv_path = log.export_audit_log(database, log.AuditFilter(actor="Łukasz Nowak"), tmp_path / "audit.csv")
    with csv_path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 2 and rows[1][2] == "Łukasz Nowak"
    with pytest.raises(Exception, match=r"neither a \.csv nor an \.xlsx"):
        log.export_audit_log(database, log.AuditFilter(), tmp_path / "audit.pdf")
    assert not list(tmp_path.rglob("*.partial"))


def test_only_administrators_export(tmp_path: Path) -> None:
    from federation_desk.services.startup import open_database

    path = tmp_path / "f.sqlite"
    setup = open_database(path, actor="setup").database
    _changes(setup)
    with setup.unit_of_work() as s:
        s.add_all(
            [
                AppUser(login="ada", display_name="Ada", role=UserRole.ADMINISTRATOR),
                AppUser(login="mo", display_name="Mo", role=UserRole.MANAGER),
            ]
        )
    setup.dispose()
    manager = Database.open(str(path), actor="mo")
    acc = access.establish(manager)
    try:
        assert acc.can(access.Capability.VIEW_AUDIT_LOG) and not acc.can(access.Capability.EXPORT_AUDIT_LOG)
        with pytest.raises(NotPermitted, match="federation administrator can export"):
            log.export_audit_log(manager, log.AuditFilter(), tmp_path / "a.csv")
        assert not (tmp_path / "a.csv").exists()
    finally:
        access.release(manager)
        manager.dispose()


def test_history_of_a_record_includes_the_records_that_belong_to_it(database: Database) -> None:
    from federation_desk.domain.organisation import Site, SiteKind

    _changes(database)
    with database.unit_of_work() as s:
        practice = org.list_practices(s)[0]
        org.save_site(s, org.SiteForm(name="Branch surgery", kind=SiteKind.PRACTICE, practice_id=practice.id))
        org.save_site(s, org.SiteForm(name="Closed branch", kind=SiteKind.PRACTICE, practice_id=practice.id))
    with database.unit_of_work() as s:
        closed = next(r for r in org.list_sites(s, practice.id) if r.name == "Closed branch")
        s.delete(load_for_edit(s, Site, closed.id, None))
    with database.session() as s:
        rows = log.record_history_with_children(s, "practice", practice.id)
    assert {r.what for r in rows} == {"practice", "site"}
    assert any(r.action == "deleted" and "Closed branch" in r.old_value for r in rows)  # a child since deleted
    assert any(r.action == "added" and "Branch surgery" in r.new_value for r in rows)
