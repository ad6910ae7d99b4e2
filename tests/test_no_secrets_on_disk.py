"""No password appears in any file the app writes.

A person connects to the server through the dialog (password remembered in the keyring: an in-memory one here),
the app opens the server database with it, fails to reach another server with a password, an administrator creates
a login with a password on the command line, and the app logs as it always does. Then every file under the app's
data folder (logs, backups ...), its settings file and the test's own folder is searched for the password, plain,
URL-encoded and in UTF-16.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import create_engine

from federation_desk import cli
from federation_desk.paths import data_dir, log_dir
from federation_desk.ui import settings
from tests.conftest import PG_URL, PgSchema, _pg_available
from tests.services.test_access_connections import MemoryKeyring, keyring_backend

SECRET = "Zq7!corr3ct-h0rse ŁÓDŹ@battery:staple/%"
LOGIN_SECRET = "An0ther-S3cret-for-the-new-login"


@pytest.fixture
def app(qapp: Any) -> Any:
    from federation_desk.ui.application import create_application

    return create_application()


@pytest.fixture
def shown_errors() -> Iterator[list[tuple[str, str, str]]]:
    from federation_desk.ui import errors

    seen: list[tuple[str, str, str]] = []
    errors._presenter = lambda _parent, title, message, what, _details: seen.append((title, message, what))
    yield seen
    errors._presenter = None


@pytest.fixture
def app_logging() -> Iterator[Path]:
    from federation_desk.app import setup_logging

    root = logging.getLogger()
    before = list(root.handlers)
    setup_logging()
    try:
        yield log_dir()
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                handler.flush()
                root.removeHandler(handler)
                handler.close()


def _written_files(*folders: Path) -> list[Path]:
    files: list[Path] = []
    for folder in folders:
        files += [p for p in folder.rglob("*") if p.is_file()]
    return files


def _forms(secret: str) -> list[bytes]:
    return [
        secret.encode("utf-8"),
        quote(secret, safe="").encode(),
        quote_plus(secret).encode(),
        secret.encode("utf-16-le"),
        secret.split(" ")[0].encode("utf-8"),  # the part before the space, in case anything split it
    ]


@pytest.mark.postgres
def test_no_password_in_any_file_the_app_writes(
    app: Any, qtbot: Any, tmp_path: Path, app_logging: Path, shown_errors: list[Any], monkeypatch: Any
) -> None:
    if _pg_available():
        pytest.skip(str(_pg_available()))
    from federation_desk.db import migrate
    from federation_desk.db.engine import create_engine_for, parse_location
    from federation_desk.ui.dialogs.connection import ConnectionDialog
    from federation_desk.ui.main_window import MainWindow

    schema = PgSchema()
    prefix = f"fdt{uuid.uuid4().hex[:8]}"
    new_login = f"{prefix}_pat"
    try:
        engine = create_engine_for(parse_location(schema.url))
        migrate.upgrade(engine)
        engine.dispose()
        with keyring_backend(MemoryKeyring()) as ring:
            # 1. The connection dialog: the password goes to the keyring, the profile to the settings.
            dialog = ConnectionDialog()
            qtbot.addWidget(dialog)
            dialog.show()
            qtbot.keyClicks(dialog.name, "Federation server")
            qtbot.keyClicks(dialog.host, "127.0.0.1")
            dialog.database.setText("test")
            qtbot.keyClicks(dialog.user, "postgres")
            dialog.password_edit.insert(SECRET)
            dialog.test_button.click()
            qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=20_000)
            dialog.save_button.click()
            assert ring.passwords  # type: ignore[attr-defined]
            # 2. The app opens the server database with that password (from the keyring), and logs as usual.
            win = MainWindow()
            qtbot.addWidget(win)
            win.show()
            location = schema.url.replace("postgresql+psycopg://postgres@", "postgresql://postgres@")
            ring.set_password("Federation Desk", "postgres@127.0.0.1:5432/test", SECRET)
            with qtbot.waitSignal(win.database_ready, timeout=30_000):
                win.open_database(location, "audit")
            qtbot.waitUntil(lambda: win.ctx.ops.active_jobs == 0, timeout=30_000)
            logging.getLogger("federation_desk.test").info("Opened %s", win.ctx.database.location.display)
            # 3. A server that cannot be reached, with a password typed in.
            win.open_database("postgresql://postgres@127.0.0.1:1/federation", None, SECRET)
            qtbot.waitUntil(lambda: bool(shown_errors), timeout=30_000)
            assert "could not reach" in shown_errors[-1][1]
            win.ctx.ops.wait(10_000)
            win.close()
            win.ctx.database.dispose()
        # 4. The IT administrator creates a login with a password on the command line.
        monkeypatch.setattr("getpass.getpass", lambda prompt="": LOGIN_SECRET)
        assert cli.main(["--db", schema.url, "db", "init-server", "--group-prefix", prefix]) == 0
        add = ["--db", schema.url, "users", "add"]
        assert cli.main([*add, new_login, "--role", "viewer", "--create-login"]) == 0
        assert cli.main([*add, new_login + "2", "--role", "viewer", "--create-login", "--password-prompt"]) == 0
    finally:
        schema.drop()
        from tests.db.test_rls import drop_logins

        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        drop_logins(admin, [new_login, new_login + "2"], prefix)
        admin.dispose()

    settings.store().sync()
    settings_file = Path(settings.store().fileName())
    for handler in logging.getLogger().handlers:
        handler.flush()
    files = [*_written_files(data_dir(), tmp_path), settings_file]
    assert any(p.suffix == ".log" for p in files) and settings_file.exists()
    log_text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in files if ".log" in p.name)
    assert "Opened postgres@127.0.0.1:5432/test" in log_text  # the log was really written
    assert "Federation server" in settings_file.read_text(encoding="utf-8")  # and so was the profile
    for path in files:
        data = path.read_bytes()
        for secret in (SECRET, LOGIN_SECRET):
            for form in _forms(secret):
                assert form not in data, f"a password was written to {path}"
