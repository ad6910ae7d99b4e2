"""What every page needs: the open database (or none yet) and the operations helper."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from federation_desk.errors import DatabaseUnavailable
from federation_desk.ui.operations import Operations


class AppContext(QObject):
    database_changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.database: Any = None  # db.session.Database, imported lazily so the window paints first
        self.ops = Operations(self.require_database)

    def require_database(self) -> Any:
        if self.database is None:
            raise DatabaseUnavailable("No database is open yet.", "Open or create a database from the File menu.")
        return self.database

    def set_database(self, database: Any) -> None:
        old = self.database
        self.database = database
        self.database_changed.emit()
        if old is not None and old is not database:
            self.ops.wait(10_000)
            old.dispose()
