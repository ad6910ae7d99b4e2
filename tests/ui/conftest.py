from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from federation_desk.ui import errors


@pytest.fixture
def app(qapp: Any) -> Any:
    from federation_desk.ui.application import create_application

    return create_application()


@pytest.fixture
def shown_errors() -> Iterator[list[tuple[str, str, str]]]:
    """Capture what error boxes would show (title, message, what to do) instead of opening them."""
    seen: list[tuple[str, str, str]] = []
    errors._presenter = lambda _parent, title, message, what, _details: seen.append((title, message, what))
    yield seen
    errors._presenter = None


@pytest.fixture
def window(app: Any, qtbot: Any, demo_path: Path) -> Iterator[Any]:
    """The main window on a copy of the demo federation, database open."""
    from federation_desk.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1360, 860)
    win.show()
    with qtbot.waitSignal(win.database_ready, timeout=30_000):
        win.open_database(str(demo_path), "dashboard")
    yield win
    win.ctx.ops.wait(10_000)
    if win.ctx.database is not None:
        win.ctx.database.dispose()


@pytest.fixture
def open_demo_as(app: Any, qtbot: Any, demo_path: Path) -> Iterator[Any]:
    """``open_demo_as(role, page)``: the main window on a copy of the demo, signed in as this computer's user with
    the role the test gives (a practice manager works for the first practice), showing ``page``."""
    import getpass
    import shutil

    from federation_desk.db.session import Database
    from federation_desk.domain.organisation import Practice
    from federation_desk.domain.users import AppUser, UserRole
    from federation_desk.ui.main_window import MainWindow

    windows: list[Any] = []

    def open_as(role: UserRole, page: str) -> Any:
        path = demo_path.with_name(f"demo-{role.cli_name}.sqlite")
        shutil.copy(demo_path, path)
        db = Database.open(str(path), actor="setup")
        with db.unit_of_work() as s:
            practice_id = s.query(Practice.id).order_by(Practice.id).first()[0]
            s.add(AppUser(login="someone-else", display_name="Ada Admin", role=UserRole.ADMINISTRATOR))
            s.add(
                AppUser(
                    login=getpass.getuser(),
                    display_name="Pat Example",
                    role=role,
                    practice_id=practice_id if role is UserRole.PRACTICE_MANAGER else None,
                )
            )
        db.dispose()
        win = MainWindow()
        qtbot.addWidget(win)
        win.resize(1360, 860)
        win.show()
        with qtbot.waitSignal(win.database_ready, timeout=30_000):
            win.open_database(str(path), page)
        wait_idle(qtbot, win)
        windows.append(win)
        return win

    yield open_as
    for win in windows:
        win.ctx.ops.wait(10_000)
        win.ctx.database.dispose()


def wait_idle(qtbot: Any, win: Any) -> None:
    qtbot.waitUntil(lambda: win.ctx.ops.active_jobs == 0, timeout=30_000)
