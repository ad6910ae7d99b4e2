"""The Contracts screens driven as a person would, on the demo federation: the list, a contract's page and tabs,
the contract and obligation editors, the KPI entry grid, and "Produce report" with its preview printed to a PDF file
printer offscreen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit
from sqlalchemy import select

from federation_desk.db.session import Database
from federation_desk.domain.contracts import KpiValue, ObligationType, Rag
from federation_desk.services import contracts as cs
from federation_desk.ui.dialogs.contract import ContractDialog, ObligationDialog
from federation_desk.ui.main_window import MainWindow
from tests.pdf import normalise, page_texts
from tests.ui.conftest import wait_idle


@pytest.fixture
def page(window: MainWindow, qtbot: Any) -> Any:
    window.show_page("contracts")
    wait_idle(qtbot, window)
    return window.pages["contracts"]


def _open(page: Any, qtbot: Any, reference: str) -> Any:
    row = next(r for r in page.model.all_rows if r.contract.reference == reference)
    with qtbot.waitSignal(page.view.evaluated, timeout=30_000):
        page.open_row(row)
    qtbot.waitUntil(lambda: page.ctx.ops.active_jobs == 0, timeout=30_000)
    return page.view


def test_list_shows_each_contract_with_its_current_rag(page: Any, screenshot: Any) -> None:
    rows = {r.contract.reference: r for r in page.model.all_rows}
    assert set(rows) == {"NDHF-EA-2025", "NDHF-HV-2024", "NDHF-PHARM-2025"}
    assert rows["NDHF-EA-2025"].period.label == "2026-10" and rows["NDHF-HV-2024"].period.label == "2026-Q3"
    assert all(r.overall in (Rag.RED, Rag.AMBER) for r in rows.values())
    assert page.count.text() == "3 contracts"
    page.search.setText("home visiting")
    assert [r.contract.reference for r in page.model.visible_rows] == ["NDHF-HV-2024"]
    page.search.clear()
    screenshot(page.window(), "contracts-list")


def test_contract_page_shows_results_obligations_kpis_reports_and_history(
    page: Any, qtbot: Any, screenshot: Any
) -> None:
    view = _open(page, qtbot, "NDHF-EA-2025")
    assert view.title.text().startswith("NDHF-EA-2025: ")
    assert view.period.currentText().startswith("2026-10: October 2026")
    results = view.result_model.all_rows
    assert len(results) == 9 and {r.obligation.obligation_type for r in results} == set(ObligationType)
    screenshot(page.window(), "contract-overview")
    index = view.period.findData(next(p.id for p in view.data.detail.periods if p.label == "2026-11"))
    with qtbot.waitSignal(view.evaluated, timeout=30_000):
        view.period.setCurrentIndex(index)
    access = next(r for r in view.result_model.all_rows if r.obligation.obligation_type is ObligationType.ACCESS)
    assert access.rag is not Rag.GREY and access.value is not None
    screenshot(page.window(), "contract-overview-november")
    view.tabs.setCurrentIndex(1)
    assert view.obligation_model.all_rows[0].name == "Enhanced Access minutes per 1,000 per week"
    screenshot(page.window(), "contract-obligations")
    view.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: view.kpi_model.rowCount() == 3, timeout=10_000)
    assert view.kpi_model.previous_labels == ["2026-06", "2026-07", "2026-08", "2026-09"]
    screenshot(page.window(), "contract-kpi-entry")
    view.tabs.setCurrentIndex(4)
    qtbot.waitUntil(lambda: view.history is not None and view.history.model.rowCount() > 0, timeout=10_000)
    screenshot(page.window(), "contract-history")
    view.back_button.click()
    assert page.stack.currentWidget() is page.list_view


def test_add_a_contract_refusing_bad_input_first(page: Any, qtbot: Any, screenshot: Any) -> None:
    dialog = ContractDialog(page.ctx.ops, page.choices, None, page)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.reference, "NDHF-NEW-2027")
    qtbot.keyClicks(dialog.start, "01/04/2027")
    qtbot.keyClicks(dialog.end, "31/03/2026")
    qtbot.keyClicks(dialog.value, "lots")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.problems_label.isVisible() and dialog.save_button.isEnabled(), timeout=10_000)
    assert "ends before it starts" in dialog._field_errors["end_date"].text()
    assert "not an amount of money" in dialog._field_errors["value"].text()
    assert dialog._field_errors["title"].isVisible() and dialog._field_errors["commissioner"].isVisible()
    screenshot(dialog, "contract-dialog-errors")
    dialog.title_edit.insert("Łukasz's <b>Care Home</b> ward rounds & Co")
    dialog.commissioner.insert("NHS West Yorkshire ICB")
    dialog.end.setText("31/03/2030")
    dialog.value.setText("£450k")
    dialog.practices.item(0).setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    row = next(r for r in page.model.all_rows if r.contract.reference == "NDHF-NEW-2027")
    assert row.contract.title == "Łukasz's <b>Care Home</b> ward rounds & Co"
    assert str(row.contract.value) == "450000.00" and len(row.contract.practice_ids) == 1
    assert row.period is None and row.counts_text == "not started yet"


def test_obligation_editor_changes_its_settings_with_the_type(page: Any, qtbot: Any, screenshot: Any) -> None:
    view = _open(page, qtbot, "NDHF-HV-2024")
    dialog = ObligationDialog(page.ctx.ops, view.contract_id, view.data.choices, None, view)
    qtbot.addWidget(dialog)
    dialog.show()
    policy = dialog.param_widgets["policy_type"]
    assert not policy.isVisibleTo(dialog)
    dialog.template.setCurrentIndex(dialog.template.findText("Governance: Insurance in force throughout"))
    assert dialog.kind.currentData() is ObligationType.INSURANCE and policy.isVisibleTo(dialog)
    assert dialog.green.text() == "100" and dialog.kpi_template_code == "GOV-INSURANCE"
    assert not dialog.param_widgets["pcn_ids"].isVisibleTo(dialog)
    dialog.name.setText("Cyber cover of at least £1m")
    policy.setCurrentIndex(policy.findData("cyber"))
    dialog.param_widgets["minimum_limit"].setText("one million")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.problems_label.isVisible() and dialog.save_button.isEnabled(), timeout=10_000)
    assert "Minimum limit of indemnity" in dialog._field_errors["param:minimum_limit"].text()
    screenshot(dialog, "obligation-dialog")
    dialog.param_widgets["minimum_limit"].setText("£1m")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        dialog.save_button.click()
    saved = view.obligation_model.all_rows[-1]
    assert saved.name == "Cyber cover of at least £1m" and saved.parameters["minimum_limit"] == "1000000.00"
    assert saved.parameters["policy_type"] == "cyber" and saved.kpi_template_code == "GOV-INSURANCE"


def _type_into(qtbot: Any, view: Any, row: int, column: int, text: str) -> None:
    index = view.kpi_model.index(row, column)
    view.kpi_table.setCurrentIndex(index)
    view.kpi_table.edit(index)
    qtbot.waitUntil(lambda: any(w.isVisible() for w in view.kpi_table.viewport().findChildren(QLineEdit)))
    (editor,) = [w for w in view.kpi_table.viewport().findChildren(QLineEdit) if w.isVisible()]
    editor.selectAll()
    editor.insert(text)  # a paste: QTest types ASCII only
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not any(w.isVisible() for w in view.kpi_table.viewport().findChildren(QLineEdit)))


def test_kpi_entry_grid_saves_values_with_who_and_refuses_bad_ones(
    page: Any, qtbot: Any, screenshot: Any, shown_errors: list[Any]
) -> None:
    view = _open(page, qtbot, "NDHF-HV-2024")
    view.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: view.kpi_model.rowCount() == 3, timeout=10_000)
    view.kpi_period.setCurrentIndex(view.kpi_period.findData(view.data.default_period_id))
    qtbot.waitUntil(lambda: view.ctx.ops.active_jobs == 0, timeout=10_000)
    value_col, note_col = view.kpi_model.value_column(), view.kpi_model.note_column()
    _type_into(qtbot, view, 0, value_col, "150")
    _type_into(qtbot, view, 1, value_col, "two")
    assert view.save_kpi_button.isEnabled()
    view.save_kpi_button.click()
    qtbot.waitUntil(lambda: view.kpi_problems.isVisible(), timeout=10_000)
    assert "a percentage is between 0 and 100" in view.kpi_problems.text()
    assert "'two' is not a number" in view.kpi_problems.text()
    assert len(view.kpi_model.problems) == 2
    screenshot(page.window(), "contract-kpi-errors")
    _type_into(qtbot, view, 0, value_col, "95")
    _type_into(qtbot, view, 1, value_col, "4")
    _type_into(qtbot, view, 1, note_col, "Zoë's <b>team</b> & the ICB agreed the backlog")
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.save_kpi_button.click()
    qtbot.waitUntil(lambda: view.ctx.ops.active_jobs == 0, timeout=10_000)
    assert "2 KPI values saved" in view.status.text()
    database: Database = page.ctx.database
    with database.session() as s:
        values = {
            (k.value, k.note, k.entered_by)
            for k in s.scalars(select(KpiValue).where(KpiValue.period_id == view.kpi_model.grid.period.id)).all()
        }
    assert any(v == 95.0 and w == database.actor for v, _n, w in values)
    assert (4.0, "Zoë's <b>team</b> & the ICB agreed the backlog", database.actor) in values
    assert not shown_errors


def test_produce_report_previews_and_prints_to_a_pdf_file(
    page: Any, qtbot: Any, tmp_path: Path, screenshot: Any
) -> None:
    view = _open(page, qtbot, "NDHF-EA-2025")
    november = next(p.id for p in view.data.detail.periods if p.label == "2026-11")
    with qtbot.waitSignal(view.evaluated, timeout=30_000):
        view.period.setCurrentIndex(view.period.findData(november))
    view.anonymise.setChecked(True)
    with qtbot.waitSignal(view.report_ready, timeout=60_000):
        view.produce_button.click()
    result = view.last_report
    assert result.run.anonymised and result.path.exists() and view.preview is not None
    assert view.preview.document.pageCount() == result.pages
    qtbot.wait(400)  # QPdfView renders asynchronously
    screenshot(view.preview, "compliance-report-preview")
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    printer.setFromTo(1, 2)
    worker = view.preview.print_to(printer)
    qtbot.waitUntil(lambda: worker.returned, timeout=120_000)
    assert len(page_texts(printed)) == 2
    view.preview.close()
    with page.ctx.database.session() as s:
        assert cs.find_report_run(s, result.run.trace_code).sha256 == result.run.sha256
    wait_idle(qtbot, page.window())
    qtbot.waitUntil(lambda: view.run_model.rowCount() == 1, timeout=10_000)
    view.tabs.setCurrentIndex(3)
    screenshot(page.window(), "contract-reports-produced")
    view.check_pdf(result.path)
    qtbot.waitUntil(lambda: "the file is unchanged" in view.status.text(), timeout=10_000)
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(result.path.read_bytes() + b"\n%")
    view.check_pdf(tampered)
    qtbot.waitUntil(lambda: "matches no record" in view.status.text(), timeout=10_000)
    assert "Staff (role, practice)" in normalise(" ".join(page_texts(result.path)))


def test_kpi_template_library_lists_the_reference_data_with_sources(page: Any, qtbot: Any, screenshot: Any) -> None:
    page.library_button.click()
    dialog = page.library
    qtbot.waitUntil(lambda: dialog.model.rowCount() >= 20, timeout=10_000)
    dialog.search.setText("complaints")
    assert {r.code for r in dialog.model.visible_rows} >= {"CMP-ACK-3WD", "CMP-COUNT"}
    assert all(
        "Complaints" in r.family or "complaint" in (r.description or "").lower() for r in dialog.model.visible_rows
    )
    dialog.search.clear()
    screenshot(dialog, "kpi-template-library")
    dialog.close()
