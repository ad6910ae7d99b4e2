"""The Indemnity page driven as a person would, on a copy of the demo federation: lists, editors with money typed
in every way, certificates by file dialog and by drag-and-drop, opening them, the renewal calendar and timeline."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from federation_desk.db.session import Database
from federation_desk.domain.indemnity import IndemnityProvider, PolicyType
from federation_desk.services import indemnity as ind
from federation_desk.ui.dialogs import indemnity as dialogs
from federation_desk.ui.main_window import MainWindow
from federation_desk.ui.pages import indemnity as page_module
from federation_desk.ui.pages import indemnity_common as common
from federation_desk.ui.pages.indemnity_guidance import PolicyTypeDialog
from tests.conftest import FIXED_TODAY
from tests.ui.conftest import wait_idle

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def page(window: MainWindow, qtbot: Any, monkeypatch: Any) -> Any:
    monkeypatch.setattr(page_module.IndemnityPage, "today", lambda self: FIXED_TODAY)
    window.show_page("indemnity")
    wait_idle(qtbot, window)
    p = window.pages["indemnity"]
    qtbot.waitUntil(lambda: p.data is not None, timeout=20_000)
    return p


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    path = tmp_path / "EL certificate – Łukasz 2027.pdf"
    path.write_bytes(PDF)
    return path


def _cell(model: Any, row: int, title: str, role: Any = Qt.ItemDataRole.DisplayRole) -> Any:
    column = next(i for i, c in enumerate(model.columns) if c.title == title)
    return model.data(model.index(row, column), role)


def _save_and_wait(dialog: Any, page: Any, qtbot: Any) -> None:
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert dialog.result() == dialog.DialogCode.Accepted


def _drop(widget: Any, path: Path, pos: QPoint) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    )
    widget.dropEvent(event)


def test_policies_list_banner_and_screenshot(page: Any, screenshot: Any) -> None:
    tab = page.policies
    rows = tab.model.visible_rows
    assert tab.show_filter.currentData() == page_module.SHOW_IN_FORCE
    assert rows and all(r.start <= FIXED_TODAY <= r.end for r in rows)
    assert tab.count.text().endswith("policies") and "of 6" in tab.count.text()
    # The federation's policies sort first, and show money the house way.
    assert rows[0].holder_practice_id is None
    limits = {_cell(tab.model, i, "Limit") for i in range(tab.model.rowCount())}
    assert {"£10,000,000", "£5,000,000", "No stated limit"} <= limits
    assert page.banner.isVisible()
    assert "no public liability policy from 01/04/2026 to 14/04/2026 (14 days)" in page.banner.label.text()
    cyber = tab.model.find_row(lambda r: r.policy_type is PolicyType.CYBER and r.holder_practice_id is None)
    assert _cell(tab.model, cyber, "Status") == "Ends in 20 days"
    assert "excess £5,000" in _cell(tab.model, cyber, "Limit", Qt.ItemDataRole.ToolTipRole)
    screenshot(page.window(), "indemnity-policies")


def test_filters_and_search(page: Any, qtbot: Any) -> None:
    tab = page.policies
    tab.show_filter.setCurrentIndex(tab.show_filter.findData(page_module.SHOW_ALL))
    total = len(tab.model.visible_rows)
    assert total == len(page.data.policies)
    tab.holder_filter.setCurrentIndex(tab.holder_filter.findData(None))
    assert {r.holder_practice_id for r in tab.model.visible_rows} == {None}
    qtbot.keyClicks(tab.search, "beazley")
    assert {r.insurer for r in tab.model.visible_rows} == {"Beazley"}
    tab.search.clear()
    tab.show_filter.setCurrentIndex(tab.show_filter.findData(page_module.SHOW_ATTENTION))
    states = {common.policy_state(r, FIXED_TODAY)[1] for r in tab.model.visible_rows}
    assert ind.CoverStatus.EXPIRING in states


def test_add_a_policy_with_money_typed_short_and_a_certificate(
    page: Any, qtbot: Any, certificate: Path, monkeypatch: Any, screenshot: Any
) -> None:
    practice = next(h for h in page.data.holders if h.practice_id is not None)
    dialog = dialogs.PolicyDialog(page.ctx.ops, page.data.holders, page.data.insurers, None, page)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.holder.setCurrentIndex(dialog.holder.findData(practice.practice_id))
    dialog.policy_type.setCurrentIndex(dialog.policy_type.findData(PolicyType.CYBER))
    dialog.insurer.setCurrentText("")
    qtbot.keyClicks(dialog.insurer.lineEdit(), "Beazley")
    qtbot.keyClicks(dialog.number, "BZ-NEW-1")
    dialog.limit.insert("£2.5m")  # "£" is not ASCII: a paste
    dialog.limit.editingFinished.emit()
    assert dialog.limit.text() == "£2,500,000"
    qtbot.keyClicks(dialog.excess, "2500")
    dialog.excess.editingFinished.emit()
    assert dialog.excess.text() == "£2,500"
    qtbot.keyClicks(dialog.start, "01/12/2026")
    qtbot.keyClicks(dialog.end, "30/11/2027")
    monkeypatch.setattr(dialogs, "choose_certificate", lambda parent: str(certificate))
    dialog.certificate.choose_button.click()
    assert "EL certificate – Łukasz 2027.pdf" in dialog.certificate.text
    screenshot(dialog, "indemnity-policy-dialog")
    _save_and_wait(dialog, page, qtbot)
    row = next(p for p in page.data.policies if p.policy_number == "BZ-NEW-1")
    assert (row.holder_practice_id, row.limit, row.excess, row.certificate_filename) == (
        practice.practice_id,
        Decimal("2500000.00"),
        Decimal("2500.00"),
        "EL certificate – Łukasz 2027.pdf",
    )


def test_bad_money_and_dates_are_shown_by_the_fields_and_nothing_is_saved(
    page: Any, qtbot: Any, screenshot: Any
) -> None:
    before = len(page.data.policies)
    dialog = dialogs.PolicyDialog(page.ctx.ops, page.data.holders, page.data.insurers, None, page)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.insurer.lineEdit(), "Hiscox")
    qtbot.keyClicks(dialog.number, "X1")
    qtbot.keyClicks(dialog.limit, "ten million")
    dialog.limit.editingFinished.emit()
    assert dialog.limit.text() == "ten million" and dialog.limit.property("invalid") is True
    qtbot.keyClicks(dialog.start, "31/02/2026")
    qtbot.keyClicks(dialog.end, "01/01/2026")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.problems_label.isVisible(), timeout=10_000)
    assert "not a real date" in dialog._field_errors["start"].text()
    # Dates are checked first on the screen; fix the date and the service names the money problem.
    dialog.start.setText("01/01/2026")
    dialog.end.setText("31/12/2026")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(
        lambda: bool(dialog._field_errors["limit"].text()) and dialog.save_button.isEnabled(), timeout=10_000
    )
    assert "is not an amount of money" in dialog._field_errors["limit"].text()
    screenshot(dialog, "indemnity-policy-dialog-errors")
    dialog.reject()
    wait_idle(qtbot, page.window())
    with page.ctx.database.session() as s:
        assert len(ind.list_policies(s)) == before


def test_renew_a_policy_prefills_the_next_year(page: Any, qtbot: Any) -> None:
    cyber = next(p for p in page.data.policies if p.policy_type is PolicyType.CYBER and p.end >= FIXED_TODAY)
    dialog = dialogs.PolicyDialog(page.ctx.ops, page.data.holders, page.data.insurers, None, page, renew_from=cyber)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "Renew policy"
    assert dialog.start.text() == "13/12/2026" and dialog.end.text() == "12/12/2027"
    assert (dialog.insurer.currentText(), dialog.limit.text()) == ("Beazley", "£5,000,000")
    dialog.number.setText("BZ-CY-2026-5531")
    _save_and_wait(dialog, page, qtbot)
    old = next(p for p in page.data.policies if p.id == cyber.id)
    assert old.renewal_recorded
    assert common.policy_state(old, FIXED_TODAY)[0] == "Renewal recorded"


def test_drop_a_certificate_on_a_policy_row_and_open_it(
    page: Any, qtbot: Any, certificate: Path, monkeypatch: Any
) -> None:
    tab = page.policies
    tab.show_filter.setCurrentIndex(tab.show_filter.findData(page_module.SHOW_ALL))
    target = tab.model.find_row(lambda r: r.certificate_document_id is None)
    policy = tab.model.row_at(target)
    tab.table.scrollTo(tab.model.index(target, 1))
    rect = tab.table.visualRect(tab.model.index(target, 1))
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        _drop(tab.table, certificate, rect.center())
    row = next(p for p in page.data.policies if p.id == policy.id)
    assert row.certificate_filename == certificate.name and row.version == policy.version + 1
    opened: list[tuple[Path, str]] = []
    monkeypatch.setattr(common, "opener", lambda path, title, parent: opened.append((path, title)))
    assert tab.table.select_where(lambda r: r.id == policy.id)
    assert tab.open_button.isEnabled()
    tab.open_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    path, title = opened[0]
    assert path.read_bytes() == PDF and path.name.endswith(".pdf")
    assert row.policy_number in title


def test_a_huge_dropped_file_is_refused_with_a_clear_message(
    page: Any, qtbot: Any, tmp_path: Path, shown_errors: list[tuple[str, str, str]]
) -> None:
    huge = tmp_path / "scan.pdf"
    with huge.open("wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(26 * 1024 * 1024)
    tab = page.policies
    policy = tab.model.row_at(0)
    page.attach_to_policy(policy, str(huge))
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=10_000)
    title, message, what = shown_errors[0]
    assert title == "File too large" and "scan.pdf" in message and "compressed PDF" in what
    with page.ctx.database.session() as s:
        assert next(p for p in ind.list_policies(s) if p.id == policy.id).version == policy.version


def test_delete_a_policy_after_asking(page: Any, qtbot: Any, monkeypatch: Any) -> None:
    tab = page.policies
    row = tab.model.row_at(0)
    asked: list[str] = []
    monkeypatch.setattr(common, "confirm", lambda parent, title, text: asked.append(text) or False)
    tab.table.selectRow(0)
    tab.delete_button.click()
    assert asked and row.policy_number in asked[0]
    monkeypatch.setattr(common, "confirm", lambda parent, title, text: True)
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        tab.delete_button.click()
    assert all(p.id != row.id for p in page.data.policies)


def test_a_stale_policy_save_is_refused(page: Any, qtbot: Any, monkeypatch: Any) -> None:
    row = page.policies.model.row_at(0)
    dialog = dialogs.PolicyDialog(page.ctx.ops, page.data.holders, page.data.insurers, row, page)
    qtbot.addWidget(dialog)
    dialog.show()
    other = Database(page.ctx.database.location, actor="Priya Shah", engine=page.ctx.database.engine)
    with other.unit_of_work() as s:
        form = ind.PolicyForm(
            row.holder_practice_id,
            row.policy_type,
            "Changed by Priya",
            row.policy_number,
            "£10m",
            row.start,
            row.end,
            description=row.description or "",
        )
        ind.save_policy(s, form, row.id, row.version)
    shown: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append(box.text())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    dialog.number.setText("MINE-1")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "changed by Priya Shah" in shown[0]
    with page.ctx.database.session() as s:
        assert next(p for p in ind.list_policies(s) if p.id == row.id).insurer == "Changed by Priya"


def test_clinicians_cover_list_add_cover_with_a_dropped_certificate(
    page: Any, qtbot: Any, certificate: Path, screenshot: Any
) -> None:
    page.tabs.setCurrentWidget(page.clinicians)
    tab = page.clinicians
    total = len(tab.model.all_rows)
    tab.show_filter.setCurrentIndex(tab.show_filter.findData(page_module.SHOW_NO_COVER))
    missing = tab.model.visible_rows
    assert missing and all(not r.ok_for_non_nhs for r in missing) and len(missing) < total
    screenshot(page.window(), "indemnity-clinicians")
    person = next(r for r in missing if r.cover is None)
    assert tab.table.select_where(lambda r: r.staff_id == person.staff_id)
    assert tab.edit_button.text() == "Add cover for them"
    dialog = dialogs.CoverDialog(page.ctx.ops, page.data.clinical_staff, None, page, person.staff_id)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.staff.currentData() == person.staff_id
    dialog.provider.setCurrentIndex(dialog.provider.findData(IndemnityProvider.MPS))
    qtbot.keyClicks(dialog.number, "MPS-445566")
    qtbot.keyClicks(dialog.category, "GP - top-up with private work")
    qtbot.keyClicks(dialog.start, "01/11/2026")
    qtbot.keyClicks(dialog.end, "31/10/2027")
    _drop(dialog.certificate, certificate, QPoint(5, 5))
    assert dialog.certificate.path == str(certificate)
    screenshot(dialog, "indemnity-cover-dialog")
    _save_and_wait(dialog, page, qtbot)
    row = next(r for r in page.data.clinicians if r.staff_id == person.staff_id)
    assert row.ok_for_non_nhs and row.cover is not None
    assert (row.cover.membership_number, row.cover.certificate_filename) == ("MPS-445566", certificate.name)
    assert row.status is ind.CoverStatus.VALID


def test_cover_needs_a_scope_and_a_provider_name(page: Any, qtbot: Any) -> None:
    person = page.data.clinicians[0]
    dialog = dialogs.CoverDialog(page.ctx.ops, page.data.clinical_staff, None, page, person.staff_id)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.provider.setCurrentIndex(dialog.provider.findData(IndemnityProvider.OTHER))
    dialog.non_nhs.setChecked(False)
    dialog.regulatory.setChecked(False)
    qtbot.keyClicks(dialog.number, "1")
    qtbot.keyClicks(dialog.start, "01/01/2026")
    qtbot.keyClicks(dialog.end, "31/12/2026")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.problems_label.isVisible() and dialog.save_button.isEnabled(), timeout=10_000)
    assert "Name the provider" in dialog._field_errors["provider_name"].text()
    assert "Tick what the cover includes" in dialog._field_errors["scope"].text()
    dialog.reject()


def test_renewal_calendar_and_timeline(page: Any, qtbot: Any, screenshot: Any, monkeypatch: Any) -> None:
    page.tabs.setCurrentWidget(page.renewals)
    tab = page.renewals
    qtbot.waitUntil(lambda: tab.timeline.timeline is not None, timeout=20_000)
    rows = tab.calendar_model.visible_rows
    assert rows == sorted(rows, key=lambda r: (r.due, r.kind, r.holder.casefold()))
    assert all(r.days_left <= 90 for r in rows)
    cyber = tab.calendar_model.find_row(lambda r: r.what == "Cyber")
    assert _cell(tab.calendar_model, cyber, "When") == "20 days left"
    assert _cell(tab.calendar_model, cyber, "When", Qt.ItemDataRole.BackgroundRole) is not None
    tab.kind_filter.setCurrentIndex(tab.kind_filter.findData(ind.POLICY_KIND))
    assert {r.kind for r in tab.calendar_model.visible_rows} == {ind.POLICY_KIND}
    timeline = tab.timeline.timeline
    assert timeline.holder == "Northdale Health Federation"
    lanes = {lane.policy_type: lane for lane in timeline.lanes}
    assert set(PolicyType) == set(lanes)
    assert lanes[PolicyType.CYBER].gaps and lanes[PolicyType.CYBER].gaps[0][0].isoformat() == "2026-12-13"
    assert "Not renewed yet: " in tab.timeline_summary.text() and "Cyber" in tab.timeline_summary.text()
    screenshot(page.window(), "indemnity-renewals")
    # Three months earlier the public liability gap of April 2026 is in view, and painted.
    tab.earlier.click()
    qtbot.waitUntil(lambda: tab.timeline.timeline.start.isoformat() == "2026-05-01", timeout=10_000)
    tab.earlier.click()
    qtbot.waitUntil(lambda: tab.timeline.timeline.start.isoformat() == "2026-02-01", timeout=10_000)
    assert "public liability from 01/04/2026 to 14/04/2026" in tab.timeline_summary.text()
    assert "Public liability: 2 policies; without cover: 01/04/2026 to 14/04/2026" in tab.timeline.describe()
    tab.timeline.repaint()
    screenshot(tab.timeline, "indemnity-timeline-gap")
    # Double-clicking a bar opens that policy.
    opened: list[Any] = []
    monkeypatch.setattr(dialogs.PolicyDialog, "ask", classmethod(lambda cls, *a, **k: opened.append(a[3]) or False))
    hit = next(h for h in tab.timeline._hits if h.policy_id is not None)
    qtbot.mouseDClick(tab.timeline, Qt.MouseButton.LeftButton, pos=hit.rect.center().toPoint())
    assert opened and opened[0].id == hit.policy_id
    # A practice's timeline.
    index = next(i for i in range(tab.holder.count()) if tab.holder.itemData(i) is not None)
    tab.holder.setCurrentIndex(index)
    qtbot.waitUntil(lambda: tab.timeline.timeline.holder_practice_id == tab.holder.itemData(index), timeout=10_000)


def test_guidance_tab_edits_the_legal_minimum(page: Any, qtbot: Any, screenshot: Any) -> None:
    page.tabs.setCurrentWidget(page.guidance)
    tab = page.guidance
    el = tab.model.row_at(0)
    assert el.policy_type is PolicyType.EMPLOYERS_LIABILITY
    assert _cell(tab.model, 0, "Legal minimum") == "£5,000,000"
    assert "gov.uk/employers-liability-insurance" in _cell(tab.model, 0, "Source")
    assert "Compulsory" in tab.description.text() or "compulsory" in tab.description.text().lower()
    screenshot(page.window(), "indemnity-guidance")
    dialog = PolicyTypeDialog(page.ctx.ops, el, page)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.typical.clear()
    qtbot.keyClicks(dialog.typical, "10000000.00")
    dialog.typical.editingFinished.emit()
    assert dialog.typical.text() == "£10,000,000"
    dialog.statutory.clear()
    dialog.statutory.insert("£5m")
    _save_and_wait(dialog, page, qtbot)
    row = page.data.policy_types[0]
    assert (row.statutory_minimum, row.typical_minimum) == (Decimal("5000000.00"), Decimal("10000000.00"))


def test_dashboard_card_opens_the_page(window: MainWindow, qtbot: Any) -> None:
    window.show_page("dashboard")
    wait_idle(qtbot, window)
    dash = window.pages["dashboard"]
    qtbot.waitUntil(lambda: any(c.key == "indemnity" for c in dash.cards), timeout=20_000)
    card = next(c for c in dash.cards if c.key == "indemnity")
    assert card.title == "Insurance and indemnity" and card.page == "indemnity"
    assert any("Gap:" in d for d in card.details)
