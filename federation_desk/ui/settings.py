"""Declared, typed settings (Picard's options). QSettings holds them, plus UI state (geometry, headers, last page).

Only preferences and UI state live here; never passwords (those go to the OS keyring).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

from PySide6.QtCore import QSettings

from federation_desk import APP_ID, ORG_NAME

T = TypeVar("T")


class Setting(NamedTuple, Generic[T]):
    key: str
    default: T
    description: str

    def get(self) -> T:
        value = store().value(self.key, self.default)
        return _coerce(value, self.default)  # type: ignore[return-value]

    def set(self, value: T) -> None:
        store().setValue(self.key, value)


def _coerce(value: Any, default: Any) -> Any:
    if value is None:
        return default
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).lower() in {"true", "1", "yes"}
    if isinstance(default, int):
        try:
            return int(value)
        except (TypeError, ValueError):
            return default
    if isinstance(default, list):
        if isinstance(value, str):
            return [value]
        return list(value) if value else []
    return value


THEME = Setting("appearance/theme", "system", "Colour scheme: system, light or dark")
LAST_DATABASE = Setting("database/last", "", "The database opened last time")
RECENT_DATABASES = Setting[list[str]]("database/recent", [], "Recently opened databases, newest first")
LAST_PAGE = Setting("window/last_page", "dashboard", "The page shown when the app last closed")
EXPIRY_WINDOW_DAYS = Setting("compliance/expiry_window_days", 60, "Days before expiry an item turns amber")
MAX_RECENT = 8

_store: QSettings | None = None


def store() -> QSettings:
    global _store
    if _store is None:
        override = settings_file()
        if override is None:
            _store = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG_NAME, APP_ID)
        else:
            _store = QSettings(str(override), QSettings.Format.IniFormat)
    return _store


def settings_file() -> Path | None:
    """With FEDERATION_DESK_DATA_DIR set (a portable copy, a test, a benchmark) the settings live in that folder
    too, beside the logs, instead of in the person's own profile: nothing run that way changes, or depends on, the
    window, last page or recent databases of the copy the person uses."""
    from federation_desk.paths import data_dir_override

    override = data_dir_override()
    return override / f"{APP_ID}.ini" if override else None


def use_store(settings: QSettings) -> None:
    """Tests point the app at a settings file of their own."""
    global _store
    _store = settings


def remember_database(location: str) -> None:
    recent = [x for x in RECENT_DATABASES.get() if x != location]
    RECENT_DATABASES.set([location, *recent][:MAX_RECENT])
    LAST_DATABASE.set(location)
