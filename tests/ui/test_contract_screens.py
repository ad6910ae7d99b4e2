"""The Contracts screens driven as a person would, on the demo federation: the list, a contract's page and tabs,
the contract and obligation editors, the KPI entry grid, and "Produce report" with its preview printed to a PDF file
printer offscreen."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QMessageBox, QPushButton
from sqlalchemy import select

from federation_desk.db.session import Database
from federation_desk.domain.contracts import Contract, KpiValue, Obligation, ObligationType, Rag, ReportingPeriod
from federation_desk.domain.users import UserRole
from federation_desk.services import contracts as cs
from federation_desk.services.dates import format_date, today
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


# -- deleting a contract, and marking a period as submitted ------------------------------------------------------


def _answer_delete_box(monkeypatch: Any, button_text: str) -> list[dict[str, str]]:
    """Replace the confirmation's exec: note what it says and press the button with this text."""
    asked: list[dict[str, str]] = []

    def fake_exec(box: QMessageBox) -> int:
        asked.append(
            {
                "title": box.windowTitle(),
                "text": box.text(),
                "informative": box.informativeText(),
                "default": box.defaultButton().text().replace("&", "") if box.defaultButton() else "",
            }
        )
        (button,) = [b for b in box.buttons() if b.text().replace("&", "") == button_text]
        button.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return asked


def _contract_counts(database: Database, contract_id: int) -> tuple[int, int, int, int]:
    """(contracts, obligations, periods, KPI values) stored for this contract."""
    with database.session() as s:
        obligation_ids = s.scalars(select(Obligation.id).where(Obligation.contract_id == contract_id)).all()
        values = s.scalars(select(KpiValue.id).where(KpiValue.obligation_id.in_(obligation_ids or [-1]))).all()
        return (
            len(s.scalars(select(Contract.id).where(Contract.id == contract_id)).all()),
            len(obligation_ids),
            len(s.scalars(select(ReportingPeriod.id).where(ReportingPeriod.contract_id == contract_id)).all()),
            len(values),
        )


def test_delete_a_contract_after_confirming(page: Any, qtbot: Any, monkeypatch: Any, shown_errors: list[Any]) -> None:
    view = _open(page, qtbot, "NDHF-EA-2025")
    contract = view.data.detail.contract
    stored = _contract_counts(page.ctx.database, contract.id)
    assert stored[0] == 1 and stored[1] == 9 and stored[3] > 0  # there are KPI values to lose
    asked = _answer_delete_box(monkeypatch, "Delete contract")
    assert view.delete_button.isVisible() and view.delete_button.isEnabled()
    view.delete_button.click()
    assert asked == [
        {
            "title": "Delete contract",
            "text": f"Delete contract NDHF-EA-2025: {contract.title}?",
            "informative": f"Its 9 obligations, {stored[3]} KPI values and {stored[2]} reporting periods are deleted "
            "with it. This cannot be undone.",
            "default": "Cancel",
        }
    ]
    qtbot.waitUntil(lambda: view.delete_job.done, timeout=30_000)
    wait_idle(qtbot, page.window())
    assert _contract_counts(page.ctx.database, contract.id) == (0, 0, 0, 0)
    assert page.stack.currentWidget() is page.list_view and view.contract_id is None
    assert page.list_status.isVisible() and page.list_status.text() == "Contract NDHF-EA-2025 deleted."
    assert {r.contract.reference for r in page.model.all_rows} == {"NDHF-HV-2024", "NDHF-PHARM-2025"}
    assert page.count.text() == "2 contracts"
    assert not shown_errors  # no "not found" from reloading the deleted contract


def test_cancelling_the_delete_changes_nothing(page: Any, qtbot: Any, monkeypatch: Any) -> None:
    view = _open(page, qtbot, "NDHF-HV-2024")
    contract_id = view.contract_id
    before = _contract_counts(page.ctx.database, contract_id)
    asked = _answer_delete_box(monkeypatch, "Cancel")
    view.delete_button.click()
    assert len(asked) == 1 and asked[0]["default"] == "Cancel"
    assert view.delete_job is None and page.ctx.ops.active_jobs == 0
    assert _contract_counts(page.ctx.database, contract_id) == before and before[0] == 1
    assert page.stack.currentWidget() is view and view.contract_id == contract_id


def test_a_contract_with_a_report_on_record_is_not_deleted(
    page: Any, qtbot: Any, monkeypatch: Any, shown_errors: list[Any]
) -> None:
    view = _open(page, qtbot, "NDHF-PHARM-2025")
    contract_id = view.contract_id
    period = view.current_period()
    with page.ctx.database.unit_of_work() as s:
        cs.record_report_run(
            s,
            cs.RunRecord(
                contract_id, period.id, period.label, "CR-UITEST", "cd" * 32, 999, 3, False, "r.pdf", Rag.RED, "1 red"
            ),
        )
    with qtbot.waitSignal(view.loaded, timeout=30_000):
        view.reload()
    wait_idle(qtbot, page.window())
    before = _contract_counts(page.ctx.database, contract_id)
    _answer_delete_box(monkeypatch, "Delete contract")
    view.delete_button.click()
    qtbot.waitUntil(lambda: view.delete_job.done, timeout=30_000)
    assert shown_errors == [
        (
            "Please check what you entered",
            "Contract NDHF-PHARM-2025 has 1 compliance report on record, so it cannot be deleted (the record lets a "
            "printed report be traced).",
            "Nothing was deleted. Leave the contract in place; its end date marks it as ended.",
        )
    ]
    assert _contract_counts(page.ctx.database, contract_id) == before and before[0] == 1
    assert page.stack.currentWidget() is view and view.contract_id == contract_id
    assert view.delete_button.isEnabled() and view.status.text() == "The contract was not deleted."


def _stored_submitted_on(database: Database, period_id: int) -> date | None:
    with database.session() as s:
        return s.get(ReportingPeriod, period_id).submitted_on


def test_mark_a_period_submitted_then_not_submitted(
    page: Any, qtbot: Any, shown_errors: list[Any], screenshot: Any
) -> None:
    view = _open(page, qtbot, "NDHF-EA-2025")
    period = view.current_period()
    assert period.label == "2026-10" and view.submitted.text() == "Not marked as submitted"
    view.submit_button.click()
    dialog = view.submit_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    assert dialog.date.text() == format_date(today()) and not dialog.clear_button.isEnabled()
    dialog.date.setText("31/02/2026")
    dialog.save_button.click()
    assert dialog.problems_label.isVisible() and dialog.isVisible()  # refused before any write
    assert _stored_submitted_on(page.ctx.database, period.id) is None
    dialog.date.setText("14/10/2026")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.save_job.done, timeout=30_000)
    wait_idle(qtbot, page.window())
    assert not dialog.isVisible()
    assert _stored_submitted_on(page.ctx.database, period.id) == date(2026, 10, 14)
    assert view.period.currentData() == period.id
    assert view.submitted.text() == "Submitted 14/10/2026"
    assert view.status.text() == "Period 2026-10 marked as submitted on 14/10/2026."
    screenshot(page.window(), "contract-period-submitted")

    view.submit_button.click()
    dialog = view.submit_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    assert dialog.date.text() == "14/10/2026" and dialog.clear_button.isEnabled()
    dialog.clear_button.click()
    qtbot.waitUntil(lambda: dialog.save_job.done, timeout=30_000)
    wait_idle(qtbot, page.window())
    assert _stored_submitted_on(page.ctx.database, period.id) is None
    assert view.submitted.text() == "Not marked as submitted"
    assert not shown_errors


def test_marking_submitted_after_someone_else_did_offers_a_reload(page: Any, qtbot: Any, monkeypatch: Any) -> None:
    view = _open(page, qtbot, "NDHF-HV-2024")
    period = view.current_period()
    other = Database(page.ctx.database.location, actor="Priya Shah", engine=page.ctx.database.engine)
    with other.unit_of_work() as s:
        cs.mark_period_submitted(s, period.id, date(2026, 10, 2), period.version)
    view.submit_button.click()
    dialog = view.submit_dialog
    shown: list[str] = []

    def press_reload(box: QMessageBox) -> int:
        shown.append(box.text())
        (button,) = [b for b in box.buttons() if b.text().replace("&", "") == "Reload"]
        button.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", press_reload)
    dialog.date.setText("05/10/2026")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.save_job.done, timeout=30_000)
    wait_idle(qtbot, page.window())
    assert len(shown) == 1 and "changed by Priya Shah" in shown[0]
    assert _stored_submitted_on(page.ctx.database, period.id) == date(2026, 10, 2)  # theirs stands
    assert not dialog.isVisible() and view.submitted.text() == "Submitted 02/10/2026"


@pytest.fixture
def role_page(open_demo_as: Any) -> Any:
    """The Contracts page on the demo opened by this computer's user with the role the test gives."""
    return lambda role: open_demo_as(role, "contracts").pages["contracts"]


@pytest.mark.parametrize(
    ("role", "may_change"),
    [(UserRole.VIEWER, False), (UserRole.PRACTICE_MANAGER, False), (UserRole.MANAGER, True)],
)
def test_only_roles_that_may_change_contracts_see_delete_and_submitted(
    role_page: Any, qtbot: Any, role: UserRole, may_change: bool
) -> None:
    page = role_page(role)
    view = _open(page, qtbot, "NDHF-EA-2025")
    visible = {b.text() for b in view.findChildren(QPushButton) if not b.isHidden()}
    assert ("Delete contract ..." in visible) is may_change
    assert ("Mark period as submitted ..." in visible) is may_change
    assert ("Edit contract" in visible) is may_change  # the same rule as the existing contract editor
