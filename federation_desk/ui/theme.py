"""One visual style: Fusion, light and dark palettes that follow the Windows setting, and style.qss."""

from __future__ import annotations

import sys
from typing import NamedTuple

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from federation_desk.paths import resource


class Colours(NamedTuple):
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    border: str
    nav_bg: str
    card_bg: str
    hover: str
    accent: str
    accent_text: str
    danger: str
    danger_bg: str
    warning: str
    warning_bg: str
    good: str


LIGHT = Colours(
    window="#F5F7F8",
    base="#FFFFFF",
    alt_base="#F4F6F8",
    text="#1F2933",
    muted="#52606D",
    border="#D9DEE3",
    nav_bg="#EDF1F4",
    card_bg="#FFFFFF",
    hover="#DDE5EC",
    accent="#005EB8",
    accent_text="#FFFFFF",
    danger="#C0281B",
    danger_bg="#FCEDEC",
    warning="#B56A00",
    warning_bg="#FFF5E0",
    good="#007F3B",
)
DARK = Colours(
    window="#1C2128",
    base="#22272E",
    alt_base="#272D35",
    text="#E6EDF3",
    muted="#A0AAB4",
    border="#3A424C",
    nav_bg="#181C21",
    card_bg="#262C34",
    hover="#2F3741",
    accent="#4C9BE8",
    accent_text="#0B1522",
    danger="#F2766B",
    danger_bg="#3A1F1D",
    warning="#E8A33D",
    warning_bg="#3A2D15",
    good="#4FBF7F",
)

_current: Colours = LIGHT
_mode = "system"


def current() -> Colours:
    return _current


def is_dark_system() -> bool:
    """Whether the desktop asks for dark mode.

    On Windows this reads the personalisation setting directly: asking Qt returns a ``Qt.ColorScheme``, and the
    first Qt enum Python touches builds the whole ``Qt`` namespace (20-40 ms), which would delay the first paint.
    After the first paint :func:`follow_system` asks Qt and corrects the choice if needed.
    """
    if sys.platform == "win32":
        try:
            import winreg

            key = winreg.OpenKey(
                winreg.HKEY_CURRENT_USER, r"Software\Microsoft\Windows\CurrentVersion\Themes\Personalize"
            )
            value, _kind = winreg.QueryValueEx(key, "AppsUseLightTheme")
            return int(value) == 0
        except OSError:
            return False
    return False  # elsewhere start light; follow_system() corrects it right after the first paint


def _qt_says_dark() -> bool:
    from PySide6.QtCore import Qt

    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def _palette(c: Colours) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    p.setColor(role.Window, QColor(c.window))
    p.setColor(role.WindowText, QColor(c.text))
    p.setColor(role.Base, QColor(c.base))
    p.setColor(role.AlternateBase, QColor(c.alt_base))
    p.setColor(role.Text, QColor(c.text))
    p.setColor(role.Button, QColor(c.base))
    p.setColor(role.ButtonText, QColor(c.text))
    p.setColor(role.ToolTipBase, QColor(c.card_bg))
    p.setColor(role.ToolTipText, QColor(c.text))
    p.setColor(role.PlaceholderText, QColor(c.muted))
    p.setColor(role.Highlight, QColor(c.accent))
    p.setColor(role.HighlightedText, QColor(c.accent_text))
    p.setColor(role.Link, QColor(c.accent))
    p.setColor(role.Mid, QColor(c.border))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(c.muted))
    return p


def _stylesheet(c: Colours) -> str:
    text = resource("style.qss").read_text(encoding="utf-8")
    for key, value in c._asdict().items():
        text = text.replace(f"@{key}@", value)
    return text


def apply_theme(app: QApplication, mode: str = "system") -> None:
    """``mode`` is "system" (follow Windows), "light" or "dark"."""
    global _current, _mode
    _mode = mode
    dark = is_dark_system() if mode == "system" else mode == "dark"
    _current = DARK if dark else LIGHT
    if sys.platform in ("win32", "darwin"):  # elsewhere Fusion is already the default style
        app.setStyle("Fusion")
    app.setPalette(_palette(_current))
    app.setStyleSheet(_stylesheet(_current))
    from federation_desk.ui import icons

    icons.clear_cache()


def follow_system(app: QApplication) -> None:
    """Re-apply the theme when Windows switches between light and dark (call after the first paint)."""

    def changed(_scheme: object = None) -> None:
        if _mode == "system" and (_current is DARK) != _qt_says_dark():
            apply_theme(app, "system")

    QGuiApplication.styleHints().colorSchemeChanged.connect(changed)
    changed()
