"""The import dialog driven as a person would: pick a messy file, check the guessed mapping, read the row-by-row
report, leave a row out, import; the mapping is remembered next time; an unreadable file is refused plainly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from federation_desk.domain.staff import StaffMember
from federation_desk.services import importing as im
from federation_desk.ui.dialogs.import_staff import ImportDialog
from federation_desk.ui.main_window import MainWindow
from tests.ui.conftest import wait_idle

DATA = Path(__file__).parent.parent / "data" / "import"


def _dialog(window: MainWindow, qtbot: Any) -> ImportDialog:
    window.show_page("staff")
    wait_idle(qtbot, window)
    dialog = ImportDialog(window.ctx, window.pages["staff"])
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _problem_file(tmp_path: Path, demo_ods: list[str]) -> Path:
    text = (DATA / "staff_problems.csv").read_text(encoding="utf-8")
    text = text.replace("A81001", demo_ods[0]).replace("B82002", demo_ods[1])
    path = tmp_path / "staff from the old system.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_with_report_leave_out_and_remembered_mapping(
    window: MainWindow, qtbot: Any, screenshot: Any, tmp_path: Path, shown_errors: Any
) -> None:
    with window.ctx.database.session() as s:
        from federation_desk.domain.organisation import Practice

        ods = list(s.scalars(select(Practice.ods_code).order_by(Practice.id)).all())
    dialog = _dialog(window, qtbot)
    job = dialog.load_file(_problem_file(tmp_path, ods))
    qtbot.waitUntil(lambda: job.done, timeout=20_000)
    assert dialog.table is not None and "14 rows, 8 columns" in dialog.file_label.text()
    screenshot(dialog, "staff-import-choose")
    dialog.next()
    assert dialog.mapping()[:4] == ["staff_number", "given_name", "family_name", "role"]
    dialog.set_mapping("Hours", im.IGNORE)  # the person decides not to import hours
    screenshot(dialog, "staff-import-mapping")
    job = dialog.next()
    qtbot.waitUntil(lambda: job.done and dialog.preview is not None, timeout=20_000)
    preview = dialog.preview
    # Hours are no longer checked, and the demo has no "Existing Person" to duplicate.
    assert preview.count(im.Action.ADD) == 4 and preview.count(im.Action.ERROR) == 10
    assert dialog.report_filter.currentData() is im.Action.ERROR
    assert all(r.action is im.Action.ERROR for r in dialog.report_model.visible_rows)
    assert "Unknown role 'Astronaut'" in " ".join(r.message for r in dialog.report_model.visible_rows)
    dialog.report_table.selectRow(1)
    assert "Unknown role 'Astronaut'. Use a role from the catalogue" in dialog.row_detail.text()
    screenshot(dialog, "staff-import-report")
    dialog.report_filter.setCurrentIndex(0)
    dialog.leave_out(2)
    assert dialog.next_button.text() == "Import 3 rows"
    job = dialog.next()
    qtbot.waitUntil(lambda: job.done, timeout=20_000)
    assert not shown_errors
    assert dialog.result is not None
    assert dialog.result.added == 3 and dialog.result.left_out == 1
    assert "3 added" in dialog.done_label.text()
    with window.ctx.database.session() as s:
        numbers = set(s.scalars(select(StaffMember.staff_number).where(StaffMember.staff_number.like("BAD%"))).all())
    assert numbers == {"BAD002", "BAD014"}
    dialog.next()  # Close
    # Next time the same file's columns come back as the person left them.
    again = _dialog(window, qtbot)
    job = again.load_file(_problem_file(tmp_path, ods))
    qtbot.waitUntil(lambda: job.done, timeout=20_000)
    assert again.mapping()[6] == im.IGNORE
    wait_idle(qtbot, window)
    staff = window.pages["staff"]
    qtbot.waitUntil(lambda: any(r.staff_number == "BAD014" for r in staff.list_tab.model.all_rows), timeout=20_000)


def test_an_unreadable_file_is_refused_plainly(
    window: MainWindow, qtbot: Any, shown_errors: Any, tmp_path: Path
) -> None:
    dialog = _dialog(window, qtbot)
    bad = tmp_path / "payroll.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    job = dialog.load_file(bad)
    qtbot.waitUntil(lambda: job.done, timeout=20_000)
    assert shown_errors and "old-style Excel file" in shown_errors[0][1] and ".xlsx" in shown_errors[0][2]
    assert dialog.table is None and not dialog.next_button.isEnabled()
