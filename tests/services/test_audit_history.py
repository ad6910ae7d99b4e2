from __future__ import annotations

from federation_desk.db.session import Database
from federation_desk.services import organisation as org
from federation_desk.services.audit import record_history, table_label


def test_history_of_a_record_reads_as_sentences(database: Database) -> None:
    with database.unit_of_work() as s:
        org.save_federation(s, org.FederationForm(name="Northdale"))
        org.save_practice(s, org.PracticeForm(ods_code="B86001", name="Zoë's <Surgery>", list_size="100"))
    with database.session() as s:
        row = org.list_practices(s)[0]
    with database.unit_of_work() as s:
        org.save_practice(s, org.PracticeForm(ods_code="B86001", name="Zoë's <Surgery>", list_size="250"), row.id, 1)
        org.save_site(s, org.SiteForm(name="Main", kind=org.SiteKind.PRACTICE, practice_id=row.id))
    with database.session() as s:
        site_id = org.list_sites(s)[0].id
        history = record_history(s, "practice", row.id, related=[("site", [site_id])])
    assert [(h.what, h.action, h.field) for h in history] == [
        ("site", "added", ""),
        ("practice", "changed", "list size"),
        ("practice", "added", ""),
    ]
    assert (history[1].old_value, history[1].new_value) == ("100", "250")
    assert "name: Zoë's <Surgery>" in history[2].new_value and history[2].actor == "tester"
    assert table_label("staff_member") == "staff record"
