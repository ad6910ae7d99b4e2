"""The Indemnity tab of a staff record: the person's covers, what they mean today, renew and attach."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialogButtonBox

from federation_desk.services import indemnity as ind
from federation_desk.ui.dialogs import indemnity as dialogs
from federation_desk.ui.main_window import MainWindow
from federation_desk.ui.pages import indemnity_common as common
from federation_desk.ui.pages.indemnity_staff_tab import IndemnityTab
from tests.conftest import FIXED_TODAY
from tests.ui.conftest import wait_idle

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _clinician(window: MainWindow, pick: Any) -> ind.ClinicianCoverRow:
    with window.ctx.database.session() as s:
        return next(r for r in ind.list_clinician_cover(s, FIXED_TODAY) if pick(r))


def _tab(window: MainWindow, qtbot: Any, staff_id: int) -> IndemnityTab:
    tab = IndemnityTab(window.ctx, staff_id)
    qtbot.addWidget(tab)
    tab.resize(1100, 420)
    tab.show()
    with qtbot.waitSignal(tab.loaded, timeout=20_000):
        tab.load()
    return tab


def test_tab_shows_covers_and_renews_one(window: MainWindow, qtbot: Any, screenshot: Any) -> None:
    person = _clinician(
        window, lambda r: r.status is ind.CoverStatus.EXPIRING and r.cover and not r.cover.renewal_recorded
    )
    tab = _tab(window, qtbot, person.staff_id)
    assert tab.model.rowCount() >= 2  # this year's and last year's
    assert "Covered for non-NHS work" in tab.summary.text()
    current = tab.model.row_at(0)
    assert common.cover_state(current, FIXED_TODAY)[1] is ind.CoverStatus.EXPIRING
    screenshot(tab, "indemnity-staff-tab")
    dialog = dialogs.CoverDialog(window.ctx.ops, tab._people(), None, tab, person.staff_id, renew_from=current)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.staff.isEnabled() and dialog.staff.currentData() == person.staff_id
    assert dialog.number.text() == current.membership_number
    with qtbot.waitSignal(tab.loaded, timeout=20_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert tab.model.rowCount() == len(tab.data.covers)
    renewed = next(r for r in tab.data.covers if r.id == current.id)
    assert renewed.renewal_recorded and common.cover_state(renewed, FIXED_TODAY)[0] == "Renewal recorded"


def test_a_clinician_without_cover_is_told_why(window: MainWindow, qtbot: Any, screenshot: Any) -> None:
    person = _clinician(window, lambda r: r.cover is None)
    tab = _tab(window, qtbot, person.staff_id)
    assert tab.model.rowCount() == 0
    assert "has no indemnity cover of their own recorded" in tab.summary.text()
    assert not tab.edit_button.isEnabled() and tab.add_button.isEnabled()
    screenshot(tab, "indemnity-staff-tab-none")


def test_attach_by_button_and_open(window: MainWindow, qtbot: Any, tmp_path: Path, monkeypatch: Any) -> None:
    person = _clinician(window, lambda r: r.cover is not None and r.cover.certificate_document_id is None)
    tab = _tab(window, qtbot, person.staff_id)
    cert = tmp_path / "RCN – Zoë.pdf"
    cert.write_bytes(PDF)
    monkeypatch.setattr(dialogs, "choose_certificate", lambda parent: str(cert))
    tab.table.selectRow(0)
    row = tab.table.selected_row()
    with qtbot.waitSignal(tab.loaded, timeout=20_000):
        tab.attach_button.click()
    after = next(r for r in tab.data.covers if r.id == row.id)
    assert after.certificate_filename == "RCN – Zoë.pdf"
    opened: list[Path] = []
    monkeypatch.setattr(common, "opener", lambda path, title, parent: opened.append(path))
    tab.table.select_where(lambda r: r.id == row.id)
    tab.open_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    assert opened[0].read_bytes() == PDF
    wait_idle(qtbot, window)


def test_the_staff_record_has_the_indemnity_tab() -> None:
    from federation_desk.ui.pages.staff_record import STAFF_RECORD_TABS

    assert ("Indemnity", "federation_desk.ui.pages.indemnity_staff_tab:IndemnityTab") in STAFF_RECORD_TABS


def test_the_indemnity_tab_inside_the_staff_record(window: MainWindow, qtbot: Any, screenshot: Any) -> None:
    person = _clinician(window, lambda r: r.cover is not None and r.ok_for_non_nhs)
    window.show_page("staff")
    wait_idle(qtbot, window)
    staff_page = window.pages["staff"]
    record = staff_page.open_record(person.staff_id)
    qtbot.waitUntil(lambda: record.detail is not None, timeout=20_000)
    tab = record.tab("Indemnity")
    assert isinstance(tab, IndemnityTab)
    with qtbot.waitSignal(tab.loaded, timeout=20_000):
        record.show_tab("Indemnity")
    wait_idle(qtbot, window)
    assert tab.model.rowCount() >= 1 and "Covered for non-NHS work" in tab.summary.text()
    screenshot(window, "staff-record-indemnity")
