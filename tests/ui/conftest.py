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


def wait_idle(qtbot: Any, win: Any) -> None:
    qtbot.waitUntil(lambda: win.ctx.ops.active_jobs == 0, timeout=30_000)
