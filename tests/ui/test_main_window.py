"""The shell on the demo federation: navigation, status bar, Ctrl+F, remembered page, unavailable modules."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from federation_desk.ui import settings
from federation_desk.ui.main_window import PAGES, MainWindow
from tests.ui.conftest import wait_idle


def test_opens_on_the_demo_and_shows_the_dashboard(window: MainWindow, qtbot: Any, screenshot: Any) -> None:
    wait_idle(qtbot, window)
    page = window.pages["dashboard"]
    titles = [c.title for c in page.cards]
    assert "Northdale Health Federation" in titles
    assert "12 practices in 2 PCNs" in [c.headline for c in page.cards]
    assert window.db_label.text().endswith("demo.sqlite")
    screenshot(window, "main-window-dashboard")


def test_every_page_opens_and_unavailable_ones_say_so(window: MainWindow, qtbot: Any) -> None:
    for spec in PAGES:
        window.show_page(spec.key)
        wait_idle(qtbot, window)
        page = window.pages[spec.key]
        assert window.stack.currentWidget() is page
        if spec.factory is None:
            texts = " ".join(label.text() for label in page.findChildren(QLabel))
            assert f"The {spec.title} module is not available in this version" in texts


def test_keyboard_navigation_and_find(window: MainWindow, qtbot: Any) -> None:
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "organisation"
    wait_idle(qtbot, window)
    page = window.pages["organisation"]
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is page.practices.search
    qtbot.keyClicks(page.practices.search, "castlegate")
    assert [r.name for r in page.practices.model.visible_rows] == ["Castlegate Medical Practice"]


def test_last_page_and_recent_databases_are_remembered(window: MainWindow, qtbot: Any) -> None:
    window.show_page("settings")
    wait_idle(qtbot, window)
    window.close()
    assert settings.LAST_PAGE.get() == "settings"
    assert settings.RECENT_DATABASES.get()[0].endswith("demo.sqlite")
    assert settings.store().value("window/geometry") is not None


def test_every_control_in_the_shell_has_an_accessible_name(window: MainWindow, qtbot: Any) -> None:
    window.show_page("organisation")
    wait_idle(qtbot, window)
    page = window.pages["organisation"]
    for widget in (window.nav, page.practices.search, page.practices.table, page.practices.add_button):
        assert widget.accessibleName(), widget


def test_a_database_that_cannot_be_opened_is_explained(
    app: Any, qtbot: Any, tmp_path: Any, shown_errors: list[Any]
) -> None:
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    bad = tmp_path / "not-a-database.sqlite"
    bad.write_bytes(b"this is a text file, not SQLite" * 100)
    win.open_database(str(bad))
    qtbot.waitUntil(lambda: bool(shown_errors), timeout=10_000)
    _title, message, what = shown_errors[0]
    assert "Traceback" not in message and message and what
    assert win.db_label.text() == "No database open"


def test_the_window_paints_before_any_heavy_library_loads(demo_path: Any, tmp_path: Any) -> None:
    # Importing the ORM alone costs about twice a bare window's start: the shell must paint first (issue 2).
    import os
    import subprocess
    import sys

    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        FEDERATION_DESK_BENCH="first-paint",
        FEDERATION_DESK_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-m", "federation_desk", "--db", str(demo_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("BENCH first-paint"))
    assert line.endswith("heavy=-"), line


def test_what_opening_and_a_new_page_made_is_left_out_of_full_collections(window: MainWindow, qtbot: Any) -> None:
    # Modules, classes and pages live as long as the app; a full collection on the GUI thread would walk them all
    # each time (0.13 s with a few pages loaded). Opening the database and making a page freeze them (gc.freeze).
    import gc

    wait_idle(qtbot, window)
    page = window.page("tenders")
    tracked = {id(obj) for obj in gc.get_objects()}
    assert id(page) not in tracked
    assert id(type(page)) not in tracked
    assert id(window.database) not in tracked
    assert gc.get_freeze_count() > 10_000


def test_opening_a_page_does_not_load_what_only_its_jobs_need() -> None:
    # The rota page once imported OR-Tools, openpyxl (with pandas and numpy) and icalendar: its first click held the
    # GUI thread for over a second. The solver, the spreadsheet and the calendar export load them on their workers.
    import subprocess
    import sys

    modules = [spec.factory.split(":")[0] for spec in PAGES if spec.factory]
    job_only = ("ortools", "openpyxl", "pandas", "numpy", "icalendar", "reportlab", "pypdf")
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(sorted(m for m in {job_only!r} if m in sys.modules)) or '-')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "-"
