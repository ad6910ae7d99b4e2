"""The administrator's File menu items, driven as a person would: back up the open database, restore a backup into
a new file, and erase a former staff member's personal data (the confirmation says what will go)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from federation_desk.db.session import Database
from federation_desk.domain.staff import StaffMember
from federation_desk.services import backup
from federation_desk.ui.dialogs import backup as backup_dialogs
from federation_desk.ui.dialogs.backup import RestoreDialog
from federation_desk.ui.dialogs.erase import EraseDialog
from federation_desk.ui.main_window import MainWindow
from tests.ui.conftest import wait_idle


def test_back_up_from_the_file_menu_then_restore_into_a_new_file(
    window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: Any, screenshot: Any
) -> None:
    target = tmp_path / "backups" / "federation-backup.sqlite"
    monkeypatch.setattr(backup_dialogs, "ask_backup_path", lambda _parent, _db: target)
    assert window.backup_action.isVisible() and window.backup_action.isEnabled()
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: window.backup_job.done, timeout=60_000)
    assert target.exists() and backup.backup_kind(target) == "sqlite"
    assert "Backed up" in window.statusBar().currentMessage()

    dialog = RestoreDialog([], window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.source.setText(str(tmp_path / "missing.sqlite"))
    dialog.restore_button.click()
    assert dialog.problem.isVisible() and "was not found" in dialog.problem.text()
    dialog.source.setText(str(target))
    dialog.target_file.setText(str(window.ctx.database.location.sqlite_path))  # the open database: refused
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: dialog.restore_button.isEnabled() and dialog.problem.isVisible(), timeout=30_000)
    assert "already exists" in dialog.problem.text()
    screenshot(dialog, "restore-dialog-refused")
    restored = tmp_path / "restored.sqlite"
    dialog.target_file.setText(str(restored))
    with qtbot.waitSignal(dialog.restored, timeout=60_000):
        dialog.restore_button.click()
    assert dialog.result_location == str(restored) and restored.exists()
    db = Database.open(str(restored))
    try:
        with db.session() as s:
            assert len(s.scalars(select(StaffMember.id)).all()) == 300
    finally:
        db.dispose()


def test_erase_a_former_staff_member(window: MainWindow, qtbot: Any, screenshot: Any) -> None:
    database = window.ctx.database
    with database.unit_of_work() as s:
        person = s.scalars(select(StaffMember).where(StaffMember.leave_date.is_(None)).order_by(StaffMember.id)).first()
        assert person is not None
        person.leave_date = date(2018, 8, 31)
        person.given_name, person.family_name = "Łucja", "O'Brien-<b>Nowak</b>"
        staff_id = person.id
    dialog = EraseDialog(window.ctx.ops, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: len(dialog.model.all_rows) > 0, timeout=20_000)
    assert dialog.table.select_where(lambda r: r.staff_id == staff_id)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=20_000)
    text = dialog.details.toPlainText()
    assert "Erase the personal data of" in text and "O'Brien-<b>Nowak</b>" in text and "cannot be undone" in text
    assert not dialog.erase_button.isEnabled()  # not before ticking that it cannot be undone
    dialog.understood.setChecked(True)
    assert dialog.erase_button.isEnabled()
    screenshot(dialog, "erase-dialog")
    dialog.erase_button.click()
    qtbot.waitUntil(lambda: staff_id in dialog.erased, timeout=30_000)
    wait_idle(qtbot, window)
    assert "Former staff member" in dialog.status.text()
    with database.session() as s:
        erased = s.get(StaffMember, staff_id)
        assert erased is not None and erased.given_name == "Former staff member" and erased.email is None
    assert all(r.staff_id != staff_id for r in dialog.model.all_rows)
