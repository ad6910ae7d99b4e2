"""The Audit log page on the demo federation plus thousands of extra entries: windowed, never querying on the GUI
thread, sortable, filterable, a record's whole history, and an export for administrators only."""

from __future__ import annotations

import getpass
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from sqlalchemy import event, insert

from federation_desk.db.session import Database
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.users import AppUser, UserRole
from federation_desk.ui.main_window import MainWindow
from federation_desk.ui.models.audit_log_model import LOADING
from tests.ui.conftest import wait_idle

EXTRA = 6000
ACTORS = ["Priya Shah", "Łukasz Nowak", "Tom O'Neill", "amira.k"]


def add_entries(path: Path, count: int, role: UserRole | None = None) -> None:
    db = Database.open(str(path), actor="setup")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "at": start + timedelta(minutes=i),
            "actor": ACTORS[i % len(ACTORS)],
            "action": "update",
            "table_name": "practice",
            "row_id": str(1 + i % 12),
            "field": ["phone", "list_size", "name"][i % 3],
            "old_value": f"old <b>{i}</b>",
            "new_value": f"new value {i}",
        }
        for i in range(count)
    ]
    with db.unit_of_work() as s:
        s.execute(insert(AuditEntry.__table__), rows)
        if role is not None:
            s.add(AppUser(login="someone-else", display_name="Ada", role=UserRole.ADMINISTRATOR))
            s.add(AppUser(login=getpass.getuser(), display_name="Mo Manager", role=role))
    db.dispose()


@pytest.fixture
def audit_window(app: Any, qtbot: Any, demo_path: Path) -> Iterator[Any]:
    opened: list[MainWindow] = []

    def open_as(role: UserRole | None = None) -> Any:
        add_entries(demo_path, EXTRA, role)
        win = MainWindow()
        qtbot.addWidget(win)
        win.resize(1360, 860)
        win.show()
        with qtbot.waitSignal(win.database_ready, timeout=30_000):
            win.open_database(str(demo_path), "dashboard")
        wait_idle(qtbot, win)
        opened.append(win)
        win.show_page("audit")
        page = win.pages["audit"]
        qtbot.waitUntil(lambda: not page.model.loading and page.model.total > 0, timeout=20_000)
        wait_idle(qtbot, win)
        return win, page

    yield open_as
    for win in opened:
        win.ctx.ops.wait(10_000)
        win.ctx.database.dispose()


def test_the_log_is_windowed_and_never_queries_on_the_gui_thread(
    audit_window: Any, qtbot: Any, screenshot: Any
) -> None:
    win, page = audit_window()
    model = page.model
    assert model.total > EXTRA
    assert page.count.text() == f"{model.total:,} entries"
    assert model.loaded_rows == model.WINDOW  # one window, not the whole trail
    first = model.row_at(0)
    assert first is not None and first.who in ACTORS  # newest first
    gui = threading.get_ident()
    on_gui: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.get_ident() == gui:
            on_gui.append(statement)

    engine = win.ctx.database.engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        page.table.scrollToBottom()
        qtbot.waitUntil(lambda: model.row_at(model.total - 1) is not None, timeout=20_000)
        page.table.viewport().repaint()
        last = model.index(model.total - 1, 0)
        assert model.data(last) not in (None, LOADING)
        page.table.scrollTo(model.index(model.total // 2, 0))
        qtbot.waitUntil(lambda: model.row_at(model.total // 2) is not None, timeout=20_000)
        # Sort by Who: the database orders, the model only shows.
        page.table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.AscendingOrder)
        qtbot.waitUntil(lambda: not model.loading and model.sort_key == "actor", timeout=20_000)
        whos = [model.row_at(i).actor for i in range(50)]  # type: ignore[union-attr]
        assert whos == sorted(whos, key=str.lower)
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert on_gui == []
    assert model.loaded_rows <= model.MAX_WINDOWS * model.WINDOW
    page.table.scrollToTop()
    wait_idle(qtbot, win)
    screenshot(win, "audit-log-page")


def test_filters_and_a_records_history(audit_window: Any, qtbot: Any, screenshot: Any) -> None:
    win, page = audit_window()
    model = page.model
    everything = model.total
    page.search.setText("Łukasz")  # the demo's own entries may mention a Łukasz too
    qtbot.waitUntil(lambda: not model.loading and EXTRA // len(ACTORS) <= model.total < everything, timeout=20_000)
    assert page.count.text() == f"{model.total:,} entries"
    assert all("łukasz" in f"{r.who} {r.old_value} {r.new_value}".casefold() for r in model._windows[0])
    page.action.setCurrentIndex(page.action.findData("delete"))
    qtbot.waitUntil(lambda: not model.loading and model.total == 0, timeout=20_000)
    assert page.count.text() == "0 entries match"
    page.clear_filters()
    qtbot.waitUntil(lambda: not model.loading and model.total > EXTRA, timeout=20_000)
    page.since.setText("31/12/2026")
    page.until.setText("01/01/2026")
    page.apply_filter()
    assert page.problem.isVisible() and "after the 'to' date" in page.problem.text()
    page.clear_filters()
    qtbot.waitUntil(lambda: not model.loading and not page.problem.isVisible(), timeout=20_000)
    page.table.selectRow(0)
    entry = page.selected_entry()
    assert entry is not None and page.history_button.isEnabled()
    page.history_button.click()
    qtbot.waitUntil(lambda: not model.loading and model.filter.row_id == entry.row_id, timeout=20_000)
    rows = [model.row_at(i) for i in range(min(model.total, model.WINDOW))]
    assert {(r.table_name, r.row_id) for r in rows if r} == {(entry.table_name, entry.row_id)}
    assert f"#{entry.row_id}" in page.record_note.text()
    screenshot(win, "audit-log-record-history")


def test_an_administrator_exports_what_is_shown(audit_window: Any, qtbot: Any, tmp_path: Path) -> None:
    win, page = audit_window()
    assert page.export_button.isVisible()
    qtbot.waitUntil(lambda: page.actor.findData("Tom O'Neill") >= 0, timeout=20_000)  # choices arrive from a worker
    page.actor.setCurrentIndex(page.actor.findData("Tom O'Neill"))
    qtbot.waitUntil(lambda: not page.model.loading and page.model.total == EXTRA // len(ACTORS), timeout=20_000)
    target = tmp_path / "audit.xlsx"
    page.export_to(target)
    qtbot.waitUntil(lambda: page.export_job.done, timeout=60_000)
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert len(rows) == page.model.total + 1 and {r[2] for r in rows[1:]} == {"Tom O'Neill"}
    assert "Audit log exported" in win.statusBar().currentMessage()


def test_a_manager_reads_the_log_but_cannot_export(audit_window: Any, qtbot: Any) -> None:
    win, page = audit_window(UserRole.MANAGER)
    assert not win.nav.item(win.page_index("audit")).isHidden()
    assert not page.export_button.isVisible()
