"""The Staff page on the demo federation, driven as a person would: search and filter the list, open a record,
edit and save, a stale save refused, the matrix colours and hover text, the expiry list and its digest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from federation_desk.db.session import Database
from federation_desk.services import staff as st
from federation_desk.services.compliance import ItemStatus
from federation_desk.services.dates import today
from federation_desk.ui.dialogs.staff import StaffDialog, TrainingDialog
from federation_desk.ui.main_window import MainWindow
from federation_desk.ui.models.staff import STATUS_ROLE, WeekHeading, status_background
from tests.ui.conftest import wait_idle


@pytest.fixture
def page(window: MainWindow, qtbot: Any) -> Any:
    window.show_page("staff")
    wait_idle(qtbot, window)
    staff_page = window.pages["staff"]
    qtbot.waitUntil(lambda: len(staff_page.list_tab.model.all_rows) == 300, timeout=30_000)
    return staff_page


def _open(page: Any, qtbot: Any, name: str) -> Any:
    row = next(r for r in page.list_tab.model.all_rows if r.name == name)
    record = page.open_record(row.id)
    qtbot.waitUntil(lambda: record.detail is not None, timeout=20_000)
    wait_idle(qtbot, page)
    return record


def test_the_list_searches_filters_and_shows_status(page: Any, qtbot: Any, screenshot: Any) -> None:
    tab = page.list_tab
    current = [r for r in tab.model.all_rows if r.current]
    assert len(tab.model.visible_rows) == len(current)  # "Current staff" is the default
    assert tab.count.text().startswith(f"{len(current)} of 300 people")
    assert any(r.status is ItemStatus.EXPIRED for r in current) and any(r.status is ItemStatus.VALID for r in current)
    screenshot(page.window(), "staff-list")
    qtbot.keyClicks(tab.search, "lukasz wisn")  # accents are optional when searching
    assert [r.name for r in tab.model.visible_rows] == ["Łukasz Wiśniewski"]
    tab.search.clear()
    tab.search.insert("Łukasz")
    assert [r.name for r in tab.model.visible_rows] == ["Łukasz Wiśniewski"]
    tab.search.clear()
    number = next(r for r in current if r.registration).registration.split()[1]
    qtbot.keyClicks(tab.search, number.lower())
    assert number in {r.registration.split()[1] for r in tab.model.visible_rows if r.registration}
    tab.search.clear()
    tab.status.setCurrentIndex(tab.status.findData("action"))
    assert tab.model.visible_rows and all(
        r.status in (ItemStatus.EXPIRED, ItemStatus.MISSING) for r in tab.model.visible_rows
    )
    tab.role.setCurrentIndex(tab.role.findText("GP"))
    assert all(r.role_name == "GP" for r in tab.model.visible_rows)
    tab.role.setCurrentIndex(0)
    tab.status.setCurrentIndex(tab.status.findData("current"))
    practice = tab.practice.itemData(2)
    tab.practice.setCurrentIndex(2)
    assert tab.model.visible_rows and all(practice in r.practice_ids for r in tab.model.visible_rows)
    tab.practice.setCurrentIndex(1)  # employed by the federation
    assert all(r.employer == "Federation" for r in tab.model.visible_rows)
    tab.practice.setCurrentIndex(0)
    tab.table.sortByColumn(6, Qt.SortOrder.AscendingOrder)  # compliance: the worst first
    first = tab.model.visible_rows[0]
    assert first.status is ItemStatus.EXPIRED
    icon_data = tab.model.data(tab.model.index(0, 6), Qt.ItemDataRole.DecorationRole)
    assert icon_data is not None and not icon_data.isNull()


def test_open_a_record_edit_it_and_see_the_history(page: Any, qtbot: Any, screenshot: Any, window: MainWindow) -> None:
    record = _open(page, qtbot, "Zoë Brontë-Smith")
    assert record.title.text() == "Zoë Brontë-Smith"
    screenshot(window, "staff-record-details")
    details = record.tab("Details")
    qtbot.waitUntil(lambda: details.detail is not None, timeout=10_000)
    dialog = StaffDialog(page.ctx.ops, page.options, details.detail, page)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.preferred.setText("Zo")
    dialog.hours.setText("30")
    with qtbot.waitSignal(record.loaded, timeout=10_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert dialog.result() == StaffDialog.DialogCode.Accepted
    assert record.title.text() == "Zo Brontë-Smith"
    qtbot.waitUntil(lambda: details.detail is not None and details.detail.contracted_hours == 30.0, timeout=10_000)
    history = record.show_tab("History")
    qtbot.waitUntil(lambda: history.view is not None and history.view.model.rowCount() > 0, timeout=10_000)
    fields = {r.field for r in history.view.model.all_rows if r.actor == page.ctx.database.actor}
    assert {"preferred name", "contracted hours"} <= fields
    screenshot(window, "staff-record-history")


def test_bad_input_and_a_stale_save_are_refused(page: Any, qtbot: Any, monkeypatch: Any) -> None:
    record = _open(page, qtbot, "Siobhán Ní Bhriain")
    details = record.tab("Details")
    qtbot.waitUntil(lambda: details.detail is not None, timeout=10_000)
    detail = details.detail
    dialog = StaffDialog(page.ctx.ops, page.options, detail, page)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.hours.setText("ninety")
    dialog.email.setText("not-an-email")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.problems_label.isVisible() and dialog.save_button.isEnabled(), timeout=10_000)
    assert "please correct the 2 entries" in dialog.problems_label.text()
    assert "not 'ninety'" in dialog._field_errors["contracted_hours"].text()
    # Someone else saves the same person first.
    other = Database(page.ctx.database.location, actor="Priya Shah", engine=page.ctx.database.engine)
    with other.unit_of_work() as s:
        form = st.StaffForm(
            given_name=detail.given_name,
            family_name=detail.family_name,
            role_id=detail.role_id,
            employer_practice_id=detail.employer_practice_id,
            staff_number=detail.staff_number or "",
            employment_type=detail.employment_type,
            phone="0113 496 0000",
        )
        st.save_staff(s, form, detail.id, detail.version)
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    dialog.hours.setText("22.5")
    dialog.email.setText("")
    dialog.save()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "changed by Priya Shah" in shown[0] and "not saved" in shown[0]
    with page.ctx.database.session() as s:
        saved = st.get_staff(s, detail.id)
    assert saved.phone == "0113 496 0000" and saved.contracted_hours != 22.5  # Priya's save stands, ours did not
    assert dialog.isVisible() and dialog.hours.text() == "22.5"  # the person's typing is kept to copy


def test_record_tabs_show_items_and_training_can_be_recorded(
    page: Any, qtbot: Any, screenshot: Any, window: MainWindow
) -> None:
    record = _open(page, qtbot, "Łukasz Wiśniewski")
    for title in ("Registrations", "DBS and right to work", "Training", "Appraisals", "Leave", "Documents"):
        tab = record.tab(title)
        with qtbot.waitSignal(tab.loaded, timeout=10_000):
            record.show_tab(title)
        wait_idle(qtbot, window)
        screenshot(window, f"staff-record-{title.lower().replace(' ', '-')}")
    checks = record.tab("DBS and right to work")
    assert checks.dbs.model.all_rows and checks.dbs.model.all_rows[0].current
    docs = record.tab("Documents")
    assert any(r.document.filename.startswith("DBS certificate") for r in docs.model.all_rows)
    training = record.show_tab("Training")
    qtbot.waitUntil(lambda: training.items is not None, timeout=10_000)
    lines = training.lines_model.all_rows
    assert lines and all(line.required_level is not None or line.status is ItemStatus.NOT_APPLICABLE for line in lines)
    line = lines[0]
    dialog = TrainingDialog(
        page.ctx.ops,
        record.staff_id,
        None,
        None,
        training,
        subjects=training.subjects,
        subject_id=line.subject_id,
        level=line.required_level,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.completed, "01/11/2026")
    dialog.provider.insert("Łódź <Training> & Co")
    with qtbot.waitSignal(training.loaded, timeout=10_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert any(r.provider == "Łódź <Training> & Co" for r in training.records.model.all_rows)


def test_matrix_colours_and_hover(page: Any, qtbot: Any, screenshot: Any, window: MainWindow, tmp_path: Path) -> None:
    page.tabs.setCurrentWidget(page.matrix_tab)
    qtbot.waitUntil(lambda: page.matrix_tab.matrix is not None, timeout=20_000)
    model = page.matrix_tab.model
    assert model.rowCount() > 250 and model.columnCount() == 4 + 20
    seen: dict[ItemStatus, int] = {}
    for r in range(model.rowCount()):
        for c in range(4, model.columnCount()):
            cell = model.cell(r, c)
            if cell is None:
                assert model.data(model.index(r, c), Qt.ItemDataRole.BackgroundRole) is None
                continue
            seen[cell.status] = seen.get(cell.status, 0) + 1
            brush = model.data(model.index(r, c), Qt.ItemDataRole.BackgroundRole)
            expected = status_background(cell.status)
            assert (brush is None) == (expected is None)
            if expected is not None:
                assert brush.color() == expected
            assert model.data(model.index(r, c), STATUS_ROLE) is cell.status
    assert {ItemStatus.VALID, ItemStatus.EXPIRING, ItemStatus.EXPIRED, ItemStatus.MISSING} <= set(seen)
    r, c = next(
        (r, c)
        for r in range(model.rowCount())
        for c in range(4, model.columnCount())
        if model.cell(r, c) is not None and model.cell(r, c).status is ItemStatus.EXPIRED
    )
    tip = model.data(model.index(r, c), Qt.ItemDataRole.ToolTipRole)
    assert "Expired " in tip and "Completed " in tip
    screenshot(window, "staff-training-matrix")
    page.matrix_tab.role.setCurrentIndex(page.matrix_tab.role.findText("GP"))
    qtbot.waitUntil(
        lambda: all(row.role == "GP" for row in model.visible_rows) and model.rowCount() > 0, timeout=20_000
    )
    job = page.matrix_tab.export_to(tmp_path / "matrix.xlsx")
    qtbot.waitUntil(lambda: job.done, timeout=20_000)
    sheet = load_workbook(tmp_path / "matrix.xlsx")["Training matrix"]
    assert sheet["A3"].value == "Name" and sheet.max_row == 3 + model.rowCount()


def test_expiry_list_grouped_by_week_and_the_dashboard_card(
    page: Any, qtbot: Any, screenshot: Any, window: MainWindow
) -> None:
    window.show_page("dashboard")
    wait_idle(qtbot, window)
    card = next(c for c in window.pages["dashboard"].cards if c.key == "hr")
    assert "expire in the next 30 days" in card.headline and "already expired" in card.headline
    from federation_desk.ui.bus import bus

    bus().navigate.emit(card.page, None)
    assert window.current_key() == "staff"
    assert page.tabs.currentWidget() is page.expiry_tab
    qtbot.waitUntil(lambda: bool(page.expiry_tab.rows), timeout=20_000)
    wait_idle(qtbot, window)
    entries = page.expiry_tab.model.visible_rows
    assert isinstance(entries[0], WeekHeading) and entries[0].text.startswith("Already expired")
    headings = [e.text for e in entries if isinstance(e, WeekHeading)]
    assert any(h.startswith("Week commencing") for h in headings)
    assert page.expiry_tab.table.columnSpan(0, 0) == len(page.expiry_tab.model.columns)
    counted = int(card.headline.split()[0])
    expiring = [r for r in page.expiry_tab.rows if r.status is not ItemStatus.EXPIRED]
    assert len(expiring) == counted
    screenshot(window, "staff-expiry-list")
    page.expiry_tab.horizon.setCurrentIndex(2)
    qtbot.waitUntil(
        lambda: len([r for r in page.expiry_tab.rows if r.status is not ItemStatus.EXPIRED]) > counted, timeout=20_000
    )
    limit = today() + timedelta(days=90)
    assert all(r.expires_on is None or r.expires_on <= limit for r in page.expiry_tab.rows)


def test_renew_keeps_history_and_dropped_evidence_attaches(
    page: Any, qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: Any
) -> None:
    from federation_desk.ui.dialogs.staff import DbsDialog

    record = _open(page, qtbot, "Thảo Nguyễn")
    checks = record.tab("DBS and right to work")
    with qtbot.waitSignal(checks.loaded, timeout=10_000):
        record.show_tab("DBS and right to work")
    before = list(checks.dbs.model.all_rows)
    current = next(r for r in before if r.current)
    dialog = DbsDialog(page.ctx.ops, record.staff_id, None, current, checks.dbs)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle().startswith("Renew") and dialog.certificate.text() == ""
    qtbot.keyClicks(dialog.certificate, "0099 8877 6655")
    qtbot.keyClicks(dialog.issued, "20/11/2026")
    with qtbot.waitSignal(checks.loaded, timeout=10_000):
        dialog.save()
    rows = checks.dbs.model.all_rows
    assert len(rows) == len(before) + 1
    assert rows[0].current and rows[0].certificate_number == "009988776655"
    assert any(r.id == current.id and not r.current for r in rows)  # the old certificate is kept as history
    evidence = tmp_path / "DBS certificate Thảo.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with qtbot.waitSignal(checks.loaded, timeout=10_000):
        checks.dbs.table.files_dropped.emit([str(evidence)], rows[0])
    assert checks.dbs.model.all_rows[0].documents == 1
    opened: list[str] = []
    monkeypatch.setattr(
        "federation_desk.ui.pages.staff_tabs.open_document", lambda _c, _d, name, _p: opened.append(name)
    )
    checks.dbs.table.selectRow(0)
    checks.dbs.open_evidence()
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    assert opened == ["DBS certificate Thảo.pdf"]
    docs = record.tab("Documents")
    with qtbot.waitSignal(docs.loaded, timeout=10_000):
        record.show_tab("Documents")
    assert any(
        r.document.filename == "DBS certificate Thảo.pdf" and r.attached_to == "DBS check" for r in docs.model.all_rows
    )
