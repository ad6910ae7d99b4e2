"""The Rota page driven as a person would: the week grid, drag a person onto a session, a refusal, an override
with a reason, the assign dialog listing eligible people first, and auto-fill proposals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from sqlalchemy import select

from federation_desk.domain.rota import Assignment
from federation_desk.services import rota
from federation_desk.ui.dialogs.rota_assign import AssignDialog, OverrideReasonDialog
from federation_desk.ui.main_window import MainWindow
from federation_desk.ui.models.rota_grid import staff_mime
from tests.conftest import FIXED_TODAY
from tests.ui.conftest import wait_idle

NEXT_MONDAY = FIXED_TODAY + timedelta(days=1)


@pytest.fixture
def page(window: MainWindow, qtbot: Any, monkeypatch: Any) -> Any:
    monkeypatch.setattr("federation_desk.ui.pages.rota.today", lambda: FIXED_TODAY)
    window.show_page("rota")
    wait_idle(qtbot, window)
    p = window.pages["rota"]
    with qtbot.waitSignal(p.loaded, timeout=20_000):
        p.show_week(NEXT_MONDAY)  # the coming week (the demo's "today" is a Sunday)
    return p


def _drop(page: Any, qtbot: Any, session_id: int, staff_id: int, name: str = "someone") -> None:
    view = page.grid
    view.scrollTo(page.grid_model.index(0, 0))
    for row in range(page.grid_model.rowCount()):
        for col in range(7):
            if any(s.id == session_id for s in page.grid_model.sessions_at(row, col)):
                view.scrollTo(page.grid_model.index(row, col))
    point = view.card_centre(session_id)
    assert point is not None
    mime = staff_mime(staff_id, name)  # keep a reference: the event does not own it
    event = QDropEvent(
        QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    view.dropEvent(event)
    assert event.isAccepted()


def _vacant(page: Any, role: str = "GP", label: str | None = None) -> rota.SessionRow:
    return next(
        s for s in page.data.grid.sessions if s.missing and s.role_name == role and (label is None or s.label == label)
    )


def test_week_grid_shows_sites_days_and_vacancies(page: Any, screenshot: Any) -> None:
    grid = page.data.grid
    assert page.grid_model.rowCount() == len(grid.sites) > 5
    assert page.grid_model.headerData(0, Qt.Orientation.Horizontal) == "Mon 23/11/2026"
    assert grid.vacancies > 0
    text = page.grid_model.data(page.grid_model.index(0, 0))
    assert "18:30-20:00" in text
    assert "vacant" in " ".join(
        page.grid_model.data(page.grid_model.index(r, c)) for r in range(page.grid_model.rowCount()) for c in range(7)
    )
    assert "Week beginning Monday 23/11/2026" in page.week_label.text()
    assert page.status_notice.isVisible()  # the demo's overridden bookings are pointed out
    screenshot(page.window(), "rota-week-grid")


def test_drag_a_person_onto_a_session_books_them(page: Any, qtbot: Any) -> None:
    target = _vacant(page, "GP", "GP afternoon")
    with page.ctx.database.session() as s:
        found = rota.candidates_for(s, target.id)
    person = next(c for c in found.rows if c.status == "eligible")
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        _drop(page, qtbot, target.id, person.staff_id, person.name)
    updated = next(s for s in page.data.grid.sessions if s.id == target.id)
    assert person.name in [a.name for a in updated.assignees]


def test_a_refused_drop_says_why(page: Any, qtbot: Any, shown_errors: list) -> None:
    target = _vacant(page, "GP")
    receptionist = next(p for p in page.data.people if p.role_name == "Receptionist")
    _drop(page, qtbot, target.id, receptionist.id, receptionist.name)
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=20_000)
    title, message, what = shown_errors[0]
    assert title == "This booking is not allowed"
    assert "not a registered clinician" in message and "cannot be overridden" in what


def test_override_with_a_reason_after_a_drop(page: Any, qtbot: Any, monkeypatch: Any) -> None:
    target = _vacant(page, "GP", "GP afternoon")
    with page.ctx.database.session() as s:
        found = rota.candidates_for(s, target.id)
    person = next(c for c in found.rows if c.status == "override")
    asked: list[str] = []

    def answer(exc: Any, _parent: Any) -> str:
        asked.append(exc.message)
        return "Only GP free; cover agreed with the clinical director"

    monkeypatch.setattr(OverrideReasonDialog, "ask", staticmethod(answer))
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        _drop(page, qtbot, target.id, person.staff_id, person.name)
    assert asked and "a manager may override" in asked[0]
    with page.ctx.database.session() as s:
        a = s.scalar(
            select(Assignment).where(Assignment.session_id == target.id, Assignment.staff_id == person.staff_id)
        )
    assert a is not None and a.override_reason == "Only GP free; cover agreed with the clinical director"


def test_assign_dialog_lists_eligible_first_and_needs_a_reason(page: Any, qtbot: Any, screenshot: Any) -> None:
    target = _vacant(page, "GP", "GP afternoon")
    dialog = AssignDialog(page.ctx.ops, target, page)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=20_000)
    statuses = [r.status for r in dialog.model.visible_rows]
    assert statuses[0] == "eligible" and "blocked" in statuses
    blocked = next(r for r in dialog.model.visible_rows if r.status == "blocked")
    assert blocked.why_not
    assert "eligible" in dialog.status.text()
    screenshot(dialog, "rota-assign-dialog")
    override = next(i for i, r in enumerate(dialog.model.visible_rows) if r.status == "override")
    dialog.table.selectRow(override)
    dialog.book_button.click()
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=20_000)
    assert "Type the reason above" in dialog.message.text()
    screenshot(dialog, "rota-assign-dialog-needs-reason")
    qtbot.keyClicks(dialog.reason, "Short-notice sickness cover; rest day moved")
    dialog.book_button.click()
    qtbot.waitUntil(lambda: dialog.result() == AssignDialog.DialogCode.Accepted, timeout=20_000)


def test_publish_and_reopen_the_week(page: Any, qtbot: Any) -> None:
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.toggle_publish()
    assert page.data.grid.published and page.publish_button.text() == "Reopen week"
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.toggle_publish()
    assert not page.data.grid.published


def test_other_tabs_load(page: Any, qtbot: Any, window: MainWindow, screenshot: Any) -> None:
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.vac_model.rowCount() > 0, timeout=20_000)
    screenshot(page.window(), "rota-vacancies")
    page.tabs.setCurrentIndex(3)
    qtbot.waitUntil(lambda: page.ea_model.rowCount() == 6, timeout=20_000)
    screenshot(page.window(), "rota-enhanced-access")
    page.ea_from.setText("31/02/2026")
    errors: list = []
    from federation_desk.ui import errors as ui_errors

    ui_errors._presenter = lambda *a: errors.append(a)
    try:
        page.load_ea()
    finally:
        ui_errors._presenter = None
    assert errors and "not a real date" in errors[0][2]


def test_auto_fill_from_the_page_shows_proposals_and_books_them(
    page: Any, qtbot: Any, monkeypatch: Any, screenshot: Any
) -> None:
    from federation_desk.ui.dialogs.rota_autofill import AutoFillDialog, AutoFillOptions, AutoFillOptionsDialog

    options = AutoFillOptionsDialog(NEXT_MONDAY, NEXT_MONDAY + timedelta(days=6), page)
    qtbot.addWidget(options)
    options.show()
    screenshot(options, "rota-autofill-options")
    options.end.setText("31/02/2026")
    options._ok()
    assert options.error.isVisible() and "not a real date" in options.error.text()
    options.end.setText("01/03/2027")
    options._ok()
    assert "at most 62 days" in options.error.text()
    shown: list[AutoFillDialog] = []
    monkeypatch.setattr(AutoFillDialog, "exec", lambda self: shown.append(self) or self.show())
    vacant_before = page.data.grid.vacancies
    page.run_auto_fill(AutoFillOptions(NEXT_MONDAY, NEXT_MONDAY + timedelta(days=6), True))
    qtbot.waitUntil(lambda: bool(shown), timeout=60_000)
    dialog = shown[0]
    qtbot.addWidget(dialog)
    assert dialog.proposals.rowCount() == len(dialog.result_.proposals) > 0
    assert "vacant places can be filled" in dialog.summary.text()
    assert dialog.accept_button.text() == f"Accept and book {dialog.proposals.rowCount()}"
    screenshot(dialog, "rota-autofill-proposals")
    with qtbot.waitSignal(page.loaded, timeout=60_000):
        dialog.accept_button.click()
    assert dialog.result() == AutoFillDialog.DialogCode.Accepted
    assert page.data.grid.vacancies == vacant_before - len(dialog.result_.proposals)


def test_take_someone_off_a_session_from_its_dialog(page: Any, qtbot: Any, screenshot: Any) -> None:
    from federation_desk.domain.audit import AuditEntry

    target = next(s for s in page.data.grid.sessions if s.assignees and not s.published and s.needed == 1)
    person = target.assignees[0]
    dialog = AssignDialog(page.ctx.ops, target, page)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=20_000)
    assert dialog.booked_model.rowCount() == 1 and dialog.remove_button.isEnabled()
    assert "booked: 1, vacant: 0" in dialog.booked_label.text()
    screenshot(dialog, "rota-session-dialog-booked")
    with qtbot.waitSignal(page.loaded, timeout=30_000):  # the grid refreshes from the change
        dialog.remove_button.click()
    qtbot.waitUntil(lambda: dialog.booked_model.rowCount() == 0, timeout=20_000)
    assert "booked: 0, vacant: 1" in dialog.booked_label.text()
    assert not dialog.remove_button.isEnabled()
    # Back among the candidates (their list is fetched again on its own worker, after the booked list).
    qtbot.waitUntil(lambda: person.staff_id in {r.staff_id for r in dialog.model.all_rows}, timeout=20_000)
    updated = next(s for s in page.data.grid.sessions if s.id == target.id)
    assert not updated.assignees and updated.missing == 1
    with page.ctx.database.session() as s:
        deleted = s.scalar(
            select(AuditEntry).where(
                AuditEntry.table_name == "rota_assignment",
                AuditEntry.row_id == str(person.assignment_id),
                AuditEntry.action == "delete",
            )
        )
    assert deleted is not None and deleted.actor


def test_the_assign_dialog_status_column_shows_its_whole_text(page: Any, qtbot: Any) -> None:
    target = _vacant(page, "GP", "GP afternoon")
    dialog = AssignDialog(page.ctx.ops, target, page)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=20_000)
    metrics = dialog.table.fontMetrics()
    widest = max(metrics.horizontalAdvance(t) for t in ("Eligible (advisory)", "Needs a reason", "Cannot"))
    assert dialog.table.columnWidth(0) > widest + 8


def test_the_staff_record_has_a_rota_tab(window: MainWindow, qtbot: Any, screenshot: Any, monkeypatch: Any) -> None:
    from federation_desk.domain.rota import Assignment
    from federation_desk.ui.pages.rota_staff_tab import RotaTab
    from federation_desk.ui.pages.staff_record import STAFF_RECORD_TABS

    assert ("Rota", "federation_desk.ui.pages.rota_staff_tab:RotaTab") in STAFF_RECORD_TABS
    monkeypatch.setattr("federation_desk.ui.pages.rota_staff_tab.today", lambda: FIXED_TODAY)
    with window.ctx.database.session() as s:
        staff_id = s.scalar(
            select(Assignment.staff_id).where(Assignment.override_reason.is_not(None)).order_by(Assignment.id)
        )
    tab = RotaTab(window.ctx, staff_id)
    qtbot.addWidget(tab)
    tab.resize(1200, 520)
    tab.show()
    with qtbot.waitSignal(tab.loaded, timeout=20_000):
        tab.load()
    assert tab.model.rowCount() > 0
    assert "booked by override with a recorded reason" in tab.summary.text()
    assert "hours a week over the 17 weeks" in tab.working_time.text()
    assert tab.skills.text().startswith("Skills some sessions need:")
    screenshot(tab, "rota-staff-tab")
    with qtbot.waitSignal(tab.loaded, timeout=20_000):
        tab.save_skills(["minor surgery", "Łukasz <b> clinic"])
    assert "minor surgery, Łukasz <b> clinic." in tab.skills.text()
    assert tab.skills.textFormat() == Qt.TextFormat.PlainText  # shown literally


def test_the_reports_hub_lists_and_produces_the_rota_reports(
    window: MainWindow, qtbot: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    from PySide6.QtWidgets import QDialog

    from federation_desk.ui.dialogs import rota_reports
    from federation_desk.ui.pages.reports import REPORTS
    from federation_desk.ui.pdf_view import PdfPreviewDialog
    from tests.pdf import normalise, page_texts

    entries = {r.title: r for r in REPORTS if r.module == "Rota"}
    assert set(entries) == {"Rota week grid", "Rota recharges"} and all(r.available() for r in entries.values())

    def accept(self: Any) -> int:
        self._ok()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(rota_reports.PeriodDialog, "exec", accept)
    monkeypatch.setattr(rota_reports, "today", lambda: FIXED_TODAY)
    shown: list[Any] = []
    monkeypatch.setattr(PdfPreviewDialog, "show_pdf", staticmethod(lambda path, title, parent: shown.append(path)))
    rota_reports.week_grid_from_hub(window.ctx, window)
    qtbot.waitUntil(lambda: bool(shown), timeout=30_000)
    text = normalise(" ".join(page_texts(shown[0])))
    assert "Rota: week beginning 16/11/2026" in text and "Page 1 of" in text
    target = tmp_path / "recharges.xlsx"
    monkeypatch.setattr(
        "federation_desk.ui.dialogs.rota_reports.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), "")
    )
    job = rota_reports.recharges_from_hub(window.ctx, window)
    qtbot.waitUntil(lambda: job.done, timeout=30_000)
    assert target.exists() and target.stat().st_size > 0
