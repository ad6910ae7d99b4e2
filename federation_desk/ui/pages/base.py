"""The base of every page: lazy first load, refresh on relevant changes, Ctrl+F to the page's search."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from federation_desk.services.changes import Changes
from federation_desk.ui.bus import bus
from federation_desk.ui.context import AppContext


class Page(QWidget):
    key = ""
    title = ""
    icon_name = ""
    kinds: frozenset[str] = frozenset()  # the kinds of data this page shows; "*" means everything

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setAccessibleName(f"{self.title} page")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(20, 16, 20, 16)
        self.layout_.setSpacing(10)
        self._stale = True
        self.load_job: Any = None
        bus().changed.connect(self._on_changes)
        ctx.database_changed.connect(self._on_database_changed)

    def activate(self) -> None:
        """Called when the page is shown; loads the first time and after relevant changes."""
        if self._stale and self.ctx.database is not None:
            self._stale = False
            self.reload()

    def reload(self) -> None:
        """Fetch the page's data through ``self.ctx.ops.run_query``."""

    def focus_search(self) -> bool:
        """Put the cursor in the page's search box; False if the page has none."""
        return False

    def _on_changes(self, changes: Changes) -> None:
        if changes.touches(*self.kinds) or "*" in self.kinds:
            self._stale = True
            if self.isVisible():
                self.activate()

    def _on_database_changed(self) -> None:
        self._stale = True
        if self.isVisible():
            self.activate()
