"""The Organisation page driven as a person would: add, edit, refuse bad input, refuse a stale save."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from federation_desk.db.session import Database
from federation_desk.services import organisation as org
from federation_desk.ui.dialogs.organisation import PracticeDialog
from federation_desk.ui.main_window import MainWindow
from tests.ui.conftest import wait_idle


@pytest.fixture
def page(window: MainWindow, qtbot: Any) -> Any:
    window.show_page("organisation")
    wait_idle(qtbot, window)
    return window.pages["organisation"]


def _dialog(page: Any, row: Any = None) -> PracticeDialog:
    return PracticeDialog(page.ctx.ops, page.data.pcns, row, page)


def test_lists_practices_sites_and_pcns(page: Any, screenshot: Any) -> None:
    assert len(page.practices.model.all_rows) == 12
    assert page.practices.count.text() == "12 practices"
    assert any(r.kind.label == "Hub" for r in page.sites.model.all_rows)
    assert {r.code for r in page.pcns.model.all_rows} == {"U41200", "U41217"}
    screenshot(page.window(), "organisation-practices")


def test_add_a_practice_through_the_dialog(page: Any, qtbot: Any, screenshot: Any) -> None:
    dialog = _dialog(page)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.ods, "y99999")
    dialog.name.insert("Łukasz <b>Health</b> Centre")  # QTest types ASCII only; this is a paste
    qtbot.keyClicks(dialog.list_size, "7,250")
    qtbot.keyClicks(dialog.postcode, "bd18 3jn")
    screenshot(dialog, "practice-dialog")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert dialog.result() == PracticeDialog.DialogCode.Accepted
    row = next(r for r in page.practices.model.all_rows if r.ods_code == "Y99999")
    assert (row.name, row.list_size, row.postcode) == ("Łukasz <b>Health</b> Centre", 7250, "BD18 3JN")


def test_bad_input_is_shown_by_the_fields_and_nothing_is_saved(page: Any, qtbot: Any, screenshot: Any) -> None:
    dialog = _dialog(page)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.ods, "12345")
    qtbot.keyClicks(dialog.list_size, "about nine thousand")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: dialog.problems_label.isVisible() and dialog.save_button.isEnabled(), timeout=10_000)
    assert "please correct the 3 entries" in dialog.problems_label.text()
    assert "one letter followed by five digits" in dialog._field_errors["ods_code"].text()
    assert dialog.ods.property("invalid") is True
    screenshot(dialog, "practice-dialog-errors")
    dialog.reject()
    assert len(page.practices.model.all_rows) == 12


def test_a_stale_save_is_refused_and_offers_reload(page: Any, qtbot: Any, monkeypatch: Any) -> None:
    row = page.practices.model.all_rows[0]
    dialog = _dialog(page, row)
    qtbot.addWidget(dialog)
    dialog.show()
    # Someone else saves the same practice first.
    other = Database(page.ctx.database.location, actor="Priya Shah", engine=page.ctx.database.engine)
    with other.unit_of_work() as s:
        org.save_practice(s, org.PracticeForm(ods_code=row.ods_code, name="Renamed by Priya"), row.id, row.version)
    shown: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        shown.append(box.text())
        box.setProperty("clicked", "keep")
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    dialog.name.setText("My new name")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "changed by Priya Shah" in shown[0] and "not saved" in shown[0]
    assert dialog.isVisible() and dialog.name.text() == "My new name"  # the person's text is kept to copy
    with page.ctx.database.session() as s:
        assert org.get_practice(s, row.id).name == "Renamed by Priya"
