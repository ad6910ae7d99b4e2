"""Connecting to the server, the first-run choice, the password prompt, roles in the shell, and a stale save on the
server, driven as a person would. Passwords go to an in-memory keyring only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from federation_desk.db import migrate
from federation_desk.db.engine import create_engine_for, parse_location
from federation_desk.db.session import Database
from federation_desk.domain.users import UserRole
from federation_desk.services import connections
from federation_desk.services import organisation as org
from federation_desk.ui import settings
from federation_desk.ui.dialogs import first_run
from federation_desk.ui.dialogs.connection import ConnectionDialog, PasswordDialog, load_profiles
from federation_desk.ui.main_window import MainWindow
from tests.conftest import PgSchema, _pg_available
from tests.services.test_access_connections import MemoryKeyring, keyring_backend
from tests.ui.conftest import wait_idle

SECRET = "Tr0ub4dor&3-Łódź"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with keyring_backend(MemoryKeyring()) as ring:
        yield ring  # type: ignore[misc]


@pytest.fixture
def no_keyring() -> Iterator[None]:
    from keyring.backends import fail

    with keyring_backend(fail.Keyring()):
        yield


def _fill(dialog: ConnectionDialog, qtbot: Any, port: int = 5432, database: str = "test") -> None:
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "Federation server")
    qtbot.keyClicks(dialog.host, "127.0.0.1")
    dialog.port.setText(str(port))
    dialog.database.setText(database)
    qtbot.keyClicks(dialog.user, "postgres")
    dialog.password_edit.insert(SECRET)


@pytest.mark.postgres
def test_test_connection_then_connect_keeps_the_password_only_in_the_keyring(
    app: Any,
    qtbot: Any,
    memory_keyring: MemoryKeyring,
    screenshot: Any,
    tmp_path: Path,
) -> None:
    if _pg_available():
        pytest.skip(str(_pg_available()))
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    _fill(dialog, qtbot)
    dialog.ssl.setCurrentIndex(dialog.ssl.findData("prefer"))
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20_000)
    text = dialog.result_label.text()
    assert "Connected" in text and "127.0.0.1" in text
    screenshot(dialog, "connection-dialog-tested")
    dialog.save_button.click()
    assert dialog.result() == ConnectionDialog.DialogCode.Accepted
    assert dialog.location == "postgresql://postgres@127.0.0.1:5432/test"
    assert memory_keyring.passwords == {("Federation Desk", "postgres@127.0.0.1:5432/test"): SECRET}
    (profile,) = load_profiles()
    assert profile.host == "127.0.0.1" and profile.user == "postgres"
    settings.store().sync()
    assert SECRET not in Path(settings.store().fileName()).read_text(encoding="utf-8")
    # Opening the dialog again shows the saved connection, its password filled from the keyring.
    again = ConnectionDialog()
    qtbot.addWidget(again)
    assert again.saved.currentText() == "Federation server" and again.password_edit.text() == SECRET


def test_failures_read_as_advice(app: Any, qtbot: Any, memory_keyring: MemoryKeyring, screenshot: Any) -> None:
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    _fill(dialog, qtbot, port=closed_port)
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20_000)
    assert "could not reach a database server" in dialog.result_label.text()
    assert "network" in dialog.result_label.text()
    screenshot(dialog, "connection-dialog-unreachable")
    # Bad entries are shown by their fields and nothing is tried.
    dialog.host.setText("<b>nope</b>")
    dialog.port.setText("ninety")
    dialog.test_button.click()
    assert "not a port" in dialog._field_errors["port"].text()
    assert dialog.host.property("invalid") is True
    screenshot(dialog, "connection-dialog-errors")


def test_without_a_keyring_the_app_says_so_and_keeps_the_password_nowhere(
    app: Any,
    qtbot: Any,
    no_keyring: None,
    shown_errors: list[tuple[str, str, str]],
) -> None:
    dialog = ConnectionDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    _fill(dialog, qtbot)
    dialog.save_button.click()
    assert dialog.location is not None and dialog.password == SECRET  # used for this connection only
    (title, message, what) = shown_errors[0]
    assert title == "Password not saved" and "no password store" in message and "Credential Manager" in what
    settings.store().sync()
    assert SECRET not in Path(settings.store().fileName()).read_text(encoding="utf-8")


def test_password_prompt(app: Any, qtbot: Any, memory_keyring: MemoryKeyring, screenshot: Any) -> None:
    dialog = PasswordDialog(
        "postgresql://pat.a@db.example:5432/federation", "The server at db.example:5432 did not accept the password."
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.insert(SECRET)
    screenshot(dialog, "password-dialog")
    dialog._ok()
    assert memory_keyring.passwords == {("Federation Desk", "pat.a@db.example:5432/federation"): SECRET}


def test_first_run_offers_a_local_file_or_the_server(app: Any, qtbot: Any, screenshot: Any) -> None:
    dialog = first_run.FirstRunDialog(r"C:\Users\pat\AppData\Local\FederationDesk\FederationDesk\federation.sqlite")
    qtbot.addWidget(dialog)
    dialog.show()
    screenshot(dialog, "first-run")
    dialog.server_button.click()
    assert dialog.choice == first_run.SERVER


def test_first_run_choosing_a_local_file_opens_it(app: Any, qtbot: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(first_run.FirstRunDialog, "ask", classmethod(lambda cls, path, parent=None: first_run.LOCAL))
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    local = tmp_path / "first.sqlite"
    with qtbot.waitSignal(win.database_ready, timeout=30_000):
        win.first_run(str(local))
    assert local.exists() and win.user_label.text().startswith("Signed in as")
    win.ctx.ops.wait(10_000)
    win.ctx.database.dispose()


# ---- roles in the shell ---------------------------------------------------------------------------------------


@pytest.fixture
def role_window(open_demo_as: Any) -> Any:
    """Open the demo as this computer's user, with the role the test gives them."""
    return lambda role: open_demo_as(role, "organisation")


def _visible_buttons(page: Any) -> set[str]:
    from PySide6.QtWidgets import QPushButton

    return {b.text().replace("&", "") for b in page.findChildren(QPushButton) if not b.isHidden()}


def test_a_viewer_sees_no_button_that_changes_anything(role_window: Any, qtbot: Any, screenshot: Any) -> None:
    win = role_window(UserRole.VIEWER)
    assert win.user_label.text() == "Signed in as Pat Example (Viewer)"
    page = win.pages["organisation"]
    buttons = _visible_buttons(page)
    assert not {"Add practice", "Edit", "Add site", "Add PCN", "Edit federation details"} & buttons
    audit_row = win.page_index("audit")
    assert win.nav.item(audit_row).isHidden()
    assert not win.backup_action.isVisible() and not win.erase_action.isVisible()
    screenshot(win, "roles-viewer-organisation")


def test_a_practice_manager_keeps_practice_work_but_not_federation_work(role_window: Any, qtbot: Any) -> None:
    win = role_window(UserRole.PRACTICE_MANAGER)
    assert "Practice manager, " in win.user_label.text()
    page = win.pages["organisation"]
    buttons = _visible_buttons(page)
    assert "Add site" in buttons and "Add practice" not in buttons and "Edit federation details" not in buttons
    assert len(page.practices.model.all_rows) == 1  # their own practice only
    assert win.nav.item(win.page_index("audit")).isHidden()


def test_an_administrator_sees_everything(role_window: Any, qtbot: Any, screenshot: Any) -> None:
    win = role_window(UserRole.ADMINISTRATOR)
    page = win.pages["organisation"]
    assert {"Add practice", "Add site", "Add PCN", "Edit federation details"} <= _visible_buttons(page)
    assert not win.nav.item(win.page_index("audit")).isHidden()
    assert win.backup_action.isVisible() and win.restore_action.isVisible() and win.erase_action.isVisible()
    win.file_menu.popup(win.mapToGlobal(win.rect().topLeft()))
    qtbot.waitUntil(lambda: win.file_menu.isVisible(), timeout=5000)
    screenshot(win.file_menu, "file-menu-administrator")
    win.file_menu.hide()


# ---- the server, from the shell -------------------------------------------------------------------------------


@pytest.fixture
def server_db() -> Iterator[PgSchema]:
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    schema = PgSchema()
    engine = create_engine_for(parse_location(schema.url))
    migrate.upgrade(engine)
    engine.dispose()
    db = Database.open(schema.url, actor="setup")
    with db.unit_of_work() as s:
        org.save_practice(s, org.PracticeForm(ods_code="A81001", name="Ashfield Surgery"))
    db.dispose()
    try:
        yield schema
    finally:
        schema.drop()


@pytest.mark.postgres
def test_a_stale_save_on_the_server_offers_reload_or_keep_my_text(
    app: Any, qtbot: Any, server_db: PgSchema, monkeypatch: Any, screenshot: Any
) -> None:
    from federation_desk.ui.dialogs.organisation import PracticeDialog

    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1360, 860)
    win.show()
    with qtbot.waitSignal(win.database_ready, timeout=30_000):
        win.open_database(server_db.url, "organisation")
    wait_idle(qtbot, win)
    assert win.user_label.text() == "Signed in as postgres (Federation administrator)"
    page = win.pages["organisation"]
    row = page.practices.model.all_rows[0]
    dialog = PracticeDialog(page.ctx.ops, page.data.pcns, row, page)
    qtbot.addWidget(dialog)
    dialog.show()
    # Another desktop saves the same practice first.
    other = Database.open(server_db.url, actor="Priya Shah")
    try:
        with other.unit_of_work() as s:
            org.save_practice(s, org.PracticeForm(ods_code=row.ods_code, name="Renamed by Priya"), row.id, row.version)
    finally:
        other.dispose()
    shown: list[str] = []

    def keep_my_text(box: QMessageBox) -> int:
        shown.append(f"{box.text()}\n{box.informativeText()}")
        box.show()
        screenshot(box, "stale-save-on-server")
        keep = next(b for b in box.buttons() if b.text() == "Keep my text to copy")
        assert any(b.text() == "Reload" for b in box.buttons())
        keep.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", keep_my_text)
    dialog.name.clear()
    dialog.name.insert("My careful new name – Łódź branch")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "This practice was changed by Priya Shah at " in shown[0] and "not saved" in shown[0]
    assert dialog.isVisible() and dialog.name.text() == "My careful new name – Łódź branch"
    assert "Copy what you need" in dialog.problems_label.text()
    screenshot(dialog, "stale-save-kept-text")
    with win.ctx.database.session() as s:
        assert org.get_practice(s, row.id).name == "Renamed by Priya"
    dialog.reject()
    win.ctx.ops.wait(10_000)
    win.ctx.database.dispose()


def test_connectable_adds_the_keyring_password_in_memory_only(memory_keyring: MemoryKeyring) -> None:
    location = "postgresql://pat@db.example:5432/federation"
    memory_keyring.set_password("Federation Desk", "pat@db.example:5432/federation", SECRET)
    url = connections.connectable(location)
    assert url.startswith("postgresql+psycopg://pat:") and url.endswith("@db.example:5432/federation")
