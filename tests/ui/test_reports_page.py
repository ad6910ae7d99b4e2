"""The Reports page lists every report the app can produce and produces the compliance report from there."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from federation_desk.ui.main_window import MainWindow
from federation_desk.ui.pages.reports import REPORTS, ReportAction
from tests.pdf import page_texts
from tests.ui.conftest import wait_idle


def test_reports_page_lists_the_registry_and_produces_a_compliance_report(
    window: MainWindow, qtbot: Any, screenshot: Any
) -> None:
    window.show_page("reports")
    wait_idle(qtbot, window)
    page = window.pages["reports"]
    assert REPORTS[0].title == "Contract compliance report"
    titles = [r.title for r in page.model.all_rows]
    assert titles == [r.title for r in REPORTS if r.available()]
    assert page.count.text().endswith("available")
    screenshot(window, "reports-page")
    page.table.selectRow(0)
    page.produce_button.click()
    dialog = page.dialog
    qtbot.waitUntil(lambda: dialog.produce_button.isEnabled(), timeout=20_000)
    assert dialog.contract.count() == 3
    dialog.contract.setCurrentIndex(dialog.contract.findText("NDHF-HV-2024", Qt.MatchFlag.MatchStartsWith))
    assert dialog.period.currentText().startswith("2026-Q3")
    screenshot(dialog, "reports-produce-dialog")
    with qtbot.waitSignal(dialog.report_ready, timeout=60_000):
        dialog.produce_button.click()
    result = dialog.result_
    assert result.run.period_label == "2026-Q3" and "NDHF-HV-2024" in page_texts(result.path)[0]
    dialog.preview.close()
    qtbot.waitUntil(lambda: page.run_model.rowCount() == 1, timeout=10_000)
    assert page.run_model.all_rows[0].trace_code == result.run.trace_code
    screenshot(window, "reports-page-after")


def test_an_entry_for_a_module_that_is_not_installed_is_left_out() -> None:
    missing = ReportAction("Nothing", "A report of a module not installed", "Nowhere", run="no_such_module:run")
    assert not missing.available()
    assert all(r.available() for r in REPORTS[:1])
