"""The Tenders screens driven as a person would: the pipeline board (drag a card to another column), the list,
a tender's tabs, the answer editor's live count turning red over the limit, inserting from the library (answers
past review flagged), saving back to the library, the pre-flight check with its links, building the bid pack into
the preview, importing an OCDS notice, deleting a whole tender (asked first; refused when stale; not offered to
roles that may not change tenders), and refusing bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox
from sqlalchemy import select

from federation_desk.db.session import Database
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.tenders import Tender, TenderQuestion, TenderStatus
from federation_desk.domain.users import UserRole
from federation_desk.services import tenders as ts
from federation_desk.ui.dialogs.tender import QuestionDialog, SaveToLibraryDialog
from federation_desk.ui.dialogs.tender_library import InsertFromLibraryDialog, PreflightDialog
from federation_desk.ui.main_window import MainWindow
from tests.ui.conftest import wait_idle

OCDS = Path(__file__).parent.parent / "data" / "ocds"


@pytest.fixture
def page(window: MainWindow, qtbot: Any) -> Any:
    window.show_page("tenders")
    wait_idle(qtbot, window)
    page = window.pages["tenders"]
    qtbot.waitUntil(lambda: page.data is not None, timeout=20_000)
    return page


@pytest.fixture
def shot(screenshot: Any, qtbot: Any) -> Any:
    """A screenshot once queued layout and shows have run (as a person would see the screen)."""

    def take(widget: Any, name: str) -> Any:
        widget.show() if widget.isWindow() and not widget.isVisible() else None
        qtbot.wait(200)
        return screenshot(widget, name)

    return take


def _open(page: Any, qtbot: Any, title: str, tab: str | None = None) -> Any:
    row = next(r for r in page.data.tenders if r.title == title)
    with qtbot.waitSignal(page.view.loaded, timeout=20_000):
        page.open_tender_id(row.id, tab)
    return page.view


def test_board_shows_columns_with_countdowns_and_a_drag_changes_status(page: Any, qtbot: Any, shot: Any) -> None:
    board = page.board
    assert board.columns[TenderStatus.TENDER].model.rowCount() == 2
    assert board.columns[TenderStatus.TENDER].header.text() == "Tender  (2)"
    tender_col = board.columns[TenderStatus.TENDER]
    texts = [tender_col.model.data(tender_col.model.index(i), Qt.ItemDataRole.DisplayRole) for i in range(2)]
    assert any("Due in 5 days" in t for t in texts) and any("Due in 10 days" in t for t in texts)
    shot(page.window(), "tenders-board")
    # Drag the identified tender to Bid / no-bid: the source model's mime data dropped on the target column.
    source = board.columns[TenderStatus.IDENTIFIED]
    row = source.model.rows[0]
    mime = source.model.mimeData([source.model.index(0)])
    target = board.columns[TenderStatus.BID_NO_BID]
    assert target.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, QModelIndex())
    qtbot.waitUntil(lambda: any(r.id == row.id for r in target.model.rows), timeout=20_000)
    moved = next(r for r in page.data.tenders if r.id == row.id)
    assert moved.status is TenderStatus.BID_NO_BID
    assert any(r.id == row.id for r in target.model.rows) and not any(r.id == row.id for r in source.model.rows)
    # Dropping it on its own column changes nothing.
    mime = target.model.mimeData([target.model.index(0)])
    assert not target.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, QModelIndex())


def test_list_search_and_open(page: Any, qtbot: Any, shot: Any) -> None:
    page.tabs.setCurrentWidget(page.list_table)
    qtbot.keyClicks(page.search, "phlebotomy")
    assert [r.title for r in page.list_model.visible_rows] == ["Community Phlebotomy Service"]
    shot(page.window(), "tenders-list")
    with qtbot.waitSignal(page.view.loaded, timeout=20_000):
        page.list_table.row_activated.emit(page.list_model.visible_rows[0])
    assert page.stack.currentWidget() is page.view
    assert "Community Phlebotomy Service" in page.view.title.text()


def test_answer_editor_counts_live_and_turns_red_over_the_limit(page: Any, qtbot: Any, shot: Any) -> None:
    view = _open(page, qtbot, "Community Phlebotomy Service", "questions")
    table = view.questions.table
    table.select_where(lambda r: r.number == "2")
    editor = view.questions.editor
    assert editor.question.number == "2" and editor.question.answer_limit == 100
    assert editor.is_over and editor.count_label.text() == "140 / 100 words"
    assert editor.count_label.property("over") is True and "over the limit" in editor.over_label.text()
    shot(view.window(), "tender-answer-editor-over")
    editor.editor.selectAll()
    qtbot.keyClicks(editor.editor, "Samples are labelled at the bedside and checked twice.")
    assert editor.count_label.text() == "9 / 100 words" and not editor.is_over
    assert editor.count_label.property("over") is False
    # QTest types ASCII only: the accent and the hidden characters are pasted.
    editor.editor.insertPlainText("\nZoë\u200b's team\u00a0checks <b>every</b> & each sample.")
    assert editor.count_label.text() == "15 / 100 words"  # "&" is not a word; the hidden space is ignored
    editor.save_button.click()
    qtbot.waitUntil(
        lambda: next(r for r in view.data.detail.questions if r.number == "2").revisions == 2, timeout=20_000
    )
    q = next(r for r in view.data.detail.questions if r.number == "2")
    assert q.answer.endswith("checks <b>every</b> & each sample.") and q.count == 15 and q.revisions == 2
    shot(view.window(), "tender-answer-editor")


def test_insert_from_library_flags_past_review_and_save_back(page: Any, qtbot: Any, monkeypatch: Any) -> None:
    view = _open(page, qtbot, "Community Phlebotomy Service", "questions")
    view.questions.table.select_where(lambda r: r.number == "3")
    editor = view.questions.editor
    assert editor.text == "" and editor.count_label.text() == "0 / 300 words"
    seen: dict[str, Any] = {}

    def fake_exec(dialog: InsertFromLibraryDialog) -> int:
        qtbot.keyClicks(dialog.search, "safeguarding")
        seen["rows"] = [r.title for r in dialog.model.visible_rows]
        seen["note"] = dialog.review_note.text()
        dialog._accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(InsertFromLibraryDialog, "exec", fake_exec)
    editor.insert_button.click()
    assert seen["rows"] == ["Safeguarding <b>adults</b> & children"]
    assert seen["note"].startswith("Past its review date")
    assert editor.text.startswith("Every clinician completes level 3") and editor.count > 50
    editor.save_button.click()
    qtbot.waitUntil(lambda: next(r for r in view.data.detail.questions if r.number == "3").is_answered, timeout=20_000)
    q = next(r for r in view.data.detail.questions if r.number == "3")
    assert q.library_answer_id is not None and q.is_answered

    def fake_save(dialog: SaveToLibraryDialog) -> int:
        dialog.title_edit.setText("Phlebotomy safeguarding")
        qtbot.keyClicks(dialog.tags, "phlebotomy, safeguarding")
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        qtbot.waitUntil(lambda: dialog.save_job is not None and dialog.save_job.done, timeout=20_000)
        return dialog.result()

    monkeypatch.setattr(SaveToLibraryDialog, "exec", fake_save)
    editor.library_button.click()
    qtbot.waitUntil(lambda: "Phlebotomy safeguarding" in [r.title for r in page.data.library], timeout=20_000)


def test_question_dialog_refuses_bad_input(page: Any, qtbot: Any, shot: Any) -> None:
    view = _open(page, qtbot, "Community Phlebotomy Service", "questions")
    dialog = QuestionDialog(page.ctx.ops, view.tender_id, view.data.detail.lots, None, "4", view)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.limit, "five hundred")
    qtbot.keyClicks(dialog.weighting, "150")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.problems_label.isVisible() and dialog.save_button.isEnabled(), timeout=10_000)
    assert "whole number" in dialog._field_errors["answer_limit"].text()
    assert "between 0 and 100" in dialog._field_errors["weighting"].text()
    shot(dialog, "tender-question-dialog-errors")
    dialog.reject()
    with page.ctx.database.session() as s:
        assert len(ts.list_questions(s, view.tender_id)) == 3


def test_preflight_lists_blockers_with_links_then_builds_into_the_preview(
    page: Any, qtbot: Any, monkeypatch: Any, shot: Any, tmp_path: Path
) -> None:
    view = _open(page, qtbot, "Community Phlebotomy Service")
    shown: list[PreflightDialog] = []

    def fake_exec(dialog: PreflightDialog) -> int:
        shown.append(dialog)
        shot(dialog, "tender-preflight-blockers")
        dialog.list.setCurrentRow(1)  # "Question 3 has no answer."
        dialog._go()
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(PreflightDialog, "exec", fake_exec)
    view.pack_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
    check = shown[0].check
    assert not check.ok and not shown[0].build_button.isEnabled()
    assert shown[0].list.item(1).text() == "Question 3 has no answer."
    assert view.tabs.currentWidget() is view.questions
    assert view.questions.table.selected_row().number == "3"
    # The complete bid passes and builds on a worker into the preview.
    view = _open(page, qtbot, ts_complete_title())
    shown.clear()

    def accept(dialog: PreflightDialog) -> int:
        shown.append(dialog)
        shot(dialog, "tender-preflight-ready")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(PreflightDialog, "exec", accept)
    monkeypatch.setattr("federation_desk.ui.pages.tender_view.bid_packs_folder", lambda: tmp_path)
    with qtbot.waitSignal(view.bid_pack_ready, timeout=60_000) as ready:
        view.pack_button.click()
    assert shown[0].check.ok and shown[0].build_button.isEnabled()
    built = ready.args[0]
    assert built.path.parent == tmp_path and built.path.exists() and built.pages > 30
    assert view.preview is not None and view.preview.document.pageCount() == built.pages
    qtbot.wait(300)
    shot(view.preview, "tender-bid-pack-preview")
    view.preview.close()


def ts_complete_title() -> str:
    from federation_desk.services.demo_tenders import COMPLETE_BID_TITLE

    return COMPLETE_BID_TITLE


def test_tender_tabs_show_their_records(page: Any, qtbot: Any, shot: Any) -> None:
    view = _open(page, qtbot, ts_complete_title(), "overview")
    shot(view.window(), "tender-overview")
    assert view.overview.dates.model.rowCount() >= 4
    assert view.overview.criteria.count.text() == "4 criteria; weights add up to 100%"
    view.tabs.setCurrentWidget(view.matrix)
    assert view.matrix.summary.text().startswith(f"{view.matrix.model.rowCount()} of {view.matrix.model.rowCount()}")
    shot(view.window(), "tender-matrix")
    view.tabs.setCurrentWidget(view.documents)
    shot(view.window(), "tender-documents")
    view.tabs.setCurrentWidget(view.bid)
    assert view.bid.result.text().startswith("Weighted score")
    shot(view.window(), "tender-bid-no-bid")
    view.tabs.setCurrentWidget(view.tasks)
    assert view.tasks.model.rowCount() == 4
    view.tabs.setCurrentWidget(view.history_host)
    qtbot.waitUntil(lambda: view.history is not None and view.history.model.rowCount() > 0, timeout=20_000)
    won = _open(page, qtbot, "Enhanced Access hub services for Northdale Central and Aire Valley PCNs", "outcome")
    assert won.outcome.winner.text() == "Northdale Health Federation Ltd"
    shot(won.window(), "tender-outcome")


def test_library_tabs_and_past_review(page: Any, qtbot: Any, shot: Any) -> None:
    page.tabs.setCurrentWidget(page.past_review)
    titles = [r.title for r in page.past_review.model.visible_rows]
    assert titles == ["Safeguarding <b>adults</b> & children", "Social value commitments"]
    assert page.tabs.tabText(3) == "Past review (2)"
    shot(page.window(), "tenders-past-review")
    row = page.past_review.model.visible_rows[0]
    page.past_review.table.select_where(lambda r: r.id == row.id)
    page.past_review.reviewed_button.click()
    qtbot.waitUntil(lambda: len(page.past_review.model.visible_rows) == 1, timeout=20_000)
    assert [r.title for r in page.past_review.model.visible_rows] == ["Social value commitments"]


def test_import_a_notice_and_refuse_a_bad_file(page: Any, qtbot: Any, shown_errors: Any) -> None:
    with qtbot.waitSignal(page.view.loaded, timeout=30_000):
        page.import_path(OCDS / "cf-release-package.json")
    assert "Social Prescribing Link Workers" in page.view.title.text()
    assert page.notice.label.text().startswith("Imported T-2026-")
    count = len(ts_rows(page))
    job = page.import_path(OCDS / "not-ocds.json")
    qtbot.waitUntil(lambda: job.done, timeout=20_000)
    assert shown_errors and "not an OCDS release or record package" in shown_errors[-1][1]
    assert len(ts_rows(page)) == count


def ts_rows(page: Any) -> list[Any]:
    with page.ctx.database.session() as s:
        return ts.list_tenders(s)


def test_stale_status_change_is_refused(page: Any, qtbot: Any, shown_errors: Any) -> None:
    row = next(r for r in page.data.tenders if r.status is TenderStatus.QUALIFICATION)
    with page.ctx.database.unit_of_work() as s:
        ts.change_status(s, row.id, row.version, TenderStatus.TENDER)
    job = page.change_status(row.id, row.version, TenderStatus.SUBMITTED)
    qtbot.waitUntil(lambda: job.done, timeout=20_000)
    assert shown_errors and "changed by" in shown_errors[-1][1]
    with page.ctx.database.session() as s:
        assert ts.get_tender_row(s, row.id).status is TenderStatus.TENDER


# ---- deleting a whole tender ----------------------------------------------------------------------------------


def _answer_delete_box(monkeypatch: Any, answer: str, seen: list[QMessageBox], shot: Any = None) -> None:
    """Replace the confirmation's exec: note the box, then press its button with this text."""

    def fake_exec(box: QMessageBox) -> int:
        seen.append(box)
        if shot is not None:
            shot(box, "tender-delete-confirm")
        next(b for b in box.buttons() if b.text().replace("&", "") == answer).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)


def test_delete_a_tender_after_confirming(
    page: Any, qtbot: Any, monkeypatch: Any, shot: Any, shown_errors: Any
) -> None:
    view = _open(page, qtbot, "Community Phlebotomy Service", "questions")
    d = view.data.detail
    tender_id, reference = d.id, d.reference
    assert len(d.questions) == 3
    assert view.delete_button.isVisible() and view.delete_button.isEnabled()
    shot(view.window(), "tender-view-delete-action")
    seen: list[QMessageBox] = []
    _answer_delete_box(monkeypatch, "Delete tender", seen, shot)
    view.delete_button.click()
    qtbot.waitUntil(lambda: view.delete_job is not None and view.delete_job.done, timeout=20_000)
    box = seen[0]
    assert box.text() == f"Delete tender {reference} 'Community Phlebotomy Service'?"
    assert box.informativeText().startswith("Its 3 questions and answers, 2 key dates")
    assert box.informativeText().endswith("This cannot be undone; the audit log keeps a record of what was deleted.")
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    assert all(label.textFormat() is Qt.TextFormat.PlainText for label in box.findChildren(QLabel) if label.text())
    # Back on the list, which no longer shows the tender.
    assert page.stack.currentWidget() is page.home and view.tender_id is None
    qtbot.waitUntil(lambda: all(r.id != tender_id for r in page.data.tenders), timeout=20_000)
    assert all(r.id != tender_id for r in page.list_model.all_rows)
    assert page.notice.isVisible() and page.notice.label.text() == f"Tender {reference} deleted."
    with page.ctx.database.session() as s:
        assert s.get(Tender, tender_id) is None
        assert s.scalars(select(TenderQuestion).where(TenderQuestion.tender_id == tender_id)).all() == []
        audit = s.scalars(
            select(AuditEntry).where(AuditEntry.table_name == "tender", AuditEntry.row_id == str(tender_id))
        ).all()
        deleted_questions = s.scalar(
            select(AuditEntry.id).where(AuditEntry.table_name == "tender_question", AuditEntry.action == "delete")
        )
    assert any(a.action == "delete" for a in audit) and deleted_questions is not None
    wait_idle(qtbot, page.window())
    assert shown_errors == []  # the open view's reload of the deleted tender is not reported as an error
    shot(page.window(), "tenders-after-delete")


def test_cancelling_the_delete_keeps_the_tender(page: Any, qtbot: Any, monkeypatch: Any) -> None:
    view = _open(page, qtbot, "Community Phlebotomy Service")
    tender_id = view.data.detail.id
    seen: list[QMessageBox] = []
    _answer_delete_box(monkeypatch, "Cancel", seen)
    job = view.delete_tender()
    qtbot.waitUntil(lambda: job.done, timeout=20_000)
    wait_idle(qtbot, page.window())
    assert seen and view.delete_job is None
    assert page.stack.currentWidget() is view and view.tender_id == tender_id
    with page.ctx.database.session() as s:
        assert s.get(Tender, tender_id) is not None and len(ts.list_questions(s, tender_id)) == 3


def test_a_stale_delete_is_refused(page: Any, qtbot: Any, monkeypatch: Any, shown_errors: Any) -> None:
    view = _open(page, qtbot, "Community Phlebotomy Service")
    d = view.data.detail
    # Someone else moves the tender on after this screen loaded it.
    other = Database(page.ctx.database.location, actor="Priya Shah", engine=page.ctx.database.engine)
    with other.unit_of_work() as s:
        ts.change_status(s, d.id, d.version, TenderStatus.SUBMITTED)
    _answer_delete_box(monkeypatch, "Delete tender", [])
    view.delete_button.click()
    qtbot.waitUntil(lambda: view.delete_job is not None and view.delete_job.done, timeout=20_000)
    assert shown_errors and "changed by Priya Shah" in shown_errors[-1][1]
    assert page.stack.currentWidget() is view and view.tender_id == d.id
    with page.ctx.database.session() as s:
        assert ts.get_tender_row(s, d.id).status is TenderStatus.SUBMITTED
        assert len(ts.list_questions(s, d.id)) == 3


@pytest.fixture
def window_as(open_demo_as: Any) -> Any:
    """The main window on the demo, signed in as this computer's user with the role the test gives."""
    return lambda role: open_demo_as(role, "tenders")


@pytest.mark.parametrize(
    ("role", "offered"),
    [(UserRole.VIEWER, False), (UserRole.PRACTICE_MANAGER, False), (UserRole.MANAGER, True)],
)
def test_delete_tender_is_offered_only_to_roles_that_change_tenders(
    window_as: Any, qtbot: Any, role: UserRole, offered: bool
) -> None:
    win = window_as(role)
    page = win.pages["tenders"]
    qtbot.waitUntil(lambda: page.data is not None, timeout=20_000)
    view = _open(page, qtbot, "Community Phlebotomy Service")
    assert view.delete_button.isVisible() is offered
    assert (not view.delete_button.isHidden()) is offered
    # Every other button that changes a tender, the answer library or the calendar follows the same rule.
    for button in (view.edit_button, page.new_button, page.import_button, page.days_button):
        assert (not button.isHidden()) is offered, button.text()
