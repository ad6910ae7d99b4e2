"""Screenshots of every page, made by the app itself (``federation-desk-cli snapshot``, the README picture, and
the tests that let anyone look at what a screen shows)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget


def _quiet_offscreen_warnings() -> None:
    """The offscreen platform warns about window size hints it cannot pass on; that says nothing to a user."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode: object, context: object, message: str) -> None:
        if "propagateSizeHints" in message:
            return
        print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def wait_until(app: QApplication, predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def save_grab(widget: QWidget, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"Could not write {path}")
    return path


def take_snapshots(
    db: str, out: Path, pages: list[str] | None = None, size: tuple[int, int] = (1360, 860)
) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _quiet_offscreen_warnings()
    from federation_desk.ui import settings
    from federation_desk.ui.application import create_application

    settings_dir = tempfile.mkdtemp(prefix="fd-snapshot-")
    settings.use_store(QSettings(str(Path(settings_dir) / "settings.ini"), QSettings.Format.IniFormat))
    app = create_application()
    from federation_desk.ui.main_window import PAGES, MainWindow

    window = MainWindow()
    window.resize(*size)
    window.show()
    window.open_database(db, "dashboard")
    if not wait_until(app, lambda: window.ctx.database is not None, 60):
        raise RuntimeError(f"The database {db} did not open.")
    written: list[Path] = []
    for spec in PAGES:
        if pages and spec.key not in pages:
            continue
        window.show_page(spec.key)
        wait_until(app, lambda: window.ctx.ops.active_jobs == 0, 60)
        for _ in range(5):
            app.processEvents()
        written.append(save_grab(window, out / f"{spec.key}.png"))
    window.close()
    window.ctx.ops.wait(10_000)
    if window.ctx.database is not None:
        window.ctx.database.dispose()
    return written
