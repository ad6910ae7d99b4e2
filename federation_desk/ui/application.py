"""Creating the QApplication with the house style (shared by the app, the snapshot command and tests)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from federation_desk import APP_ID, APP_NAME, ORG_NAME, __version__


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv or [sys.argv[0]])
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)
    from federation_desk.ui.qt_compat import collect_on_gui_thread, guard_none, quicker_feature_scan

    guard_none()
    quicker_feature_scan()
    collect_on_gui_thread()
    from federation_desk.ui import settings, theme
    from federation_desk.ui.icons import app_icon

    theme.apply_theme(app, settings.THEME.get())
    app.setWindowIcon(app_icon())
    return app


def after_first_paint(app: QApplication) -> None:
    """Work that would delay the first paint: follow the desktop's light/dark setting from now on."""
    from federation_desk.ui import theme

    theme.follow_system(app)
