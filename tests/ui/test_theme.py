"""One style for the whole app: light and dark palettes, chosen in Settings, applied everywhere."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from federation_desk.ui import settings, theme
from federation_desk.ui.main_window import MainWindow
from tests.ui.conftest import wait_idle


def test_dark_and_light_palettes_from_settings(window: MainWindow, qtbot: Any, screenshot: Any) -> None:
    window.show_page("settings")
    wait_idle(qtbot, window)
    page = window.pages["settings"]
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("dark"))
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert settings.THEME.get() == "dark"
    assert app.palette().color(QPalette.ColorRole.Window).name().lower() == theme.DARK.window.lower()
    window.show_page("organisation")
    wait_idle(qtbot, window)
    screenshot(window, "theme-dark-organisation")
    window.show_page("settings")
    page.theme_combo.setCurrentIndex(page.theme_combo.findData("light"))
    assert app.palette().color(QPalette.ColorRole.Window).name().lower() == theme.LIGHT.window.lower()


def test_icons_render_at_any_size_in_the_current_colour(app: Any) -> None:
    from federation_desk.ui.icons import icon

    pixmap = icon("staff").pixmap(48, 48)
    image = pixmap.toImage()
    assert image.width() >= 48 and any(image.pixelColor(x, y).alpha() > 0 for x in range(48) for y in range(48))
