"""Settings: the open database, appearance, and about."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QWidget

from federation_desk import __version__
from federation_desk.ui import settings, theme
from federation_desk.ui.pages.base import Page
from federation_desk.ui.widgets.common import PageHeader, plain_label


def _database_facts(session: Any) -> dict[str, str]:
    from federation_desk.db import migrate
    from federation_desk.paths import backup_dir

    engine = session.get_bind()
    current = ", ".join(sorted(migrate.current_revisions(engine))) or "none"
    return {
        "engine": "PostgreSQL server" if engine.dialect.name == "postgresql" else "Local SQLite file",
        "revision": current,
        "backups": str(backup_dir()),
    }


class SettingsPage(Page):
    key = "settings"
    title = "Settings"
    icon_name = "settings"
    kinds = frozenset()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.layout_.addWidget(PageHeader("Settings", "This desktop's preferences and the database it uses"))
        db_box = QGroupBox("Database")
        db_form = QFormLayout(db_box)
        self.location = plain_label("No database open")
        self.location.setAccessibleName("Database location")
        self.engine = plain_label("")
        self.revision = plain_label("")
        self.backups = plain_label("")
        db_form.addRow("Location", self.location)
        db_form.addRow("Kind", self.engine)
        db_form.addRow("Schema revision", self.revision)
        db_form.addRow("Backups before upgrades", self.backups)
        self.layout_.addWidget(db_box)

        look = QGroupBox("Appearance")
        look_form = QFormLayout(look)
        self.theme_combo = QComboBox()
        self.theme_combo.setAccessibleName("Colour scheme")
        for label, value in (("Follow Windows", "system"), ("Light", "light"), ("Dark", "dark")):
            self.theme_combo.addItem(label, value)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.THEME.get())))
        self.theme_combo.currentIndexChanged.connect(self._theme_changed)
        look_form.addRow("Colour scheme", self.theme_combo)
        self.layout_.addWidget(look)

        about = QGroupBox("About")
        about_form = QFormLayout(about)
        about_form.addRow("Version", plain_label(__version__))
        self.layout_.addWidget(about)
        self.layout_.addStretch(1)

    def reload(self) -> None:
        database = self.ctx.database
        self.location.setText(database.location.display)
        self.load_job = self.ctx.ops.run_query(_database_facts, on_done=self._show, parent=self, key="settings")

    def _show(self, facts: dict[str, str]) -> None:
        self.engine.setText(facts["engine"])
        self.revision.setText(facts["revision"])
        self.backups.setText(facts["backups"])

    def _theme_changed(self) -> None:
        from PySide6.QtWidgets import QApplication

        mode = self.theme_combo.currentData()
        settings.THEME.set(mode)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, mode)
