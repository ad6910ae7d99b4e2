"""App-wide signals: what changed, and which database is open."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Bus(QObject):
    changed = Signal(object)  # services.changes.Changes
    database_opened = Signal(object)  # db.session.Database
    navigate = Signal(str, object)  # page key, optional argument (e.g. a record id)


_bus: Bus | None = None


def bus() -> Bus:
    global _bus
    if _bus is None:
        _bus = Bus()
    return _bus
