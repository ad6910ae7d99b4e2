"""A table model over the whole audit trail that never loads it all (Camelot's collection proxy).

The model knows the number of matching entries (one count per filter) and keeps a few windows of rows. ``data()``
never queries: for a row whose window is not here yet it returns a placeholder and asks for the window, and the
window arrives from a worker a moment later (``dataChanged``). Sorting asks the database for a new order (count and
first window in one job) instead of sorting in memory.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal

from federation_desk.services import audit_log as log
from federation_desk.services.dates import format_instant

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
LOADING = "…"
# Roles as plain ints: data() runs for every role of every visible cell and must cost next to nothing.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_ROW = int(ROW_ROLE.value) if hasattr(ROW_ROLE, "value") else int(ROW_ROLE)

# (title, sort key or None, text of a row, width hint in characters)
COLUMNS: list[tuple[str, str | None, Callable[[log.AuditLogRow], str], int]] = [
    ("When", "at", lambda r: format_instant(r.at), 16),
    ("Who", "actor", lambda r: r.who, 22),
    ("Action", "action", lambda r: r.action, 9),
    ("Record", "table", lambda r: f"{r.what} #{r.row_id}" if r.row_id else r.what, 22),
    ("Field", "field", lambda r: r.field, 16),
    ("Before", None, lambda r: r.old_value, 34),
    ("After", None, lambda r: r.new_value, 34),
]


def _texts(rows: list[log.AuditLogRow]) -> list[tuple[str, ...]]:
    return [tuple(column[2](r) for column in COLUMNS) for r in rows]


def fetch_window_texts(
    session: Any, f: log.AuditFilter, offset: int, limit: int, sort: str, descending: bool
) -> tuple[log.AuditWindow, list[tuple[str, ...]]]:
    """A window and its cell texts, both made on the worker (formatting dates is not free)."""
    window = log.fetch_window(session, f, offset, limit, sort, descending)
    return window, _texts(window.rows)


def first_page_texts(
    session: Any, f: log.AuditFilter, limit: int, sort: str, descending: bool
) -> tuple[log.AuditFirstPage, list[tuple[str, ...]]]:
    page = log.first_page(session, f, limit, sort, descending)
    return page, _texts(page.window.rows)


class AuditLogModel(QAbstractTableModel):
    loaded = Signal()  # the count and the first window of a new filter or order arrived
    window_loaded = Signal(int)

    WINDOW = 200
    MAX_WINDOWS = 40  # 8,000 rows kept; older windows are dropped and fetched again if scrolled back to
    MAX_PARALLEL = 2  # the shared server allows two connections per desktop
    STALE_REQUEST_S = 0.5  # a window asked for longer ago than this, and not asked again, has scrolled past

    def __init__(self, ops: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.filter = log.AuditFilter()
        self.sort_key = "at"
        self.descending = True
        self.total = 0
        self._windows: OrderedDict[int, list[log.AuditLogRow]] = OrderedDict()
        self._texts: dict[int, list[tuple[str, ...]]] = {}
        self._in_flight: set[int] = set()
        self._wanted: dict[int, float] = {}
        self._generation = 0
        self.loading = False
        self.queries = 0  # jobs started (tests and the benchmark read it)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._fetch_wanted)
        self.first_job: Any = None

    # -- loading ----------------------------------------------------------------------------------------------
    def refresh(self, new_filter: log.AuditFilter | None = None) -> None:
        """Count and fetch the first window for ``new_filter`` (or the current one) on a worker."""
        if new_filter is not None:
            self.filter = new_filter
        self._generation += 1
        generation = self._generation
        self._in_flight.clear()
        self._wanted.clear()
        self.loading = True
        self.queries += 1
        self.first_job = self.ops.run_query(
            first_page_texts,
            self.filter,
            self.WINDOW,
            self.sort_key,
            self.descending,
            on_done=lambda page: self._first_page(generation, page),
            on_error=lambda exc: self._failed(generation, exc),
            key="audit-log-first-page",
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.loading = False
            from federation_desk.ui import errors

            errors.show_error(None, exc)

    def _first_page(self, generation: int, result: tuple[log.AuditFirstPage, list[tuple[str, ...]]]) -> None:
        if generation != self._generation:
            return
        page, texts = result
        if page.total == self.total and self.total:
            # Same number of entries (a new order, say): no reset, which would rebuild 100,000 header sections.
            self._windows = OrderedDict({0: page.window.rows})
            self._texts = {0: texts}
            self.dataChanged.emit(self.index(0, 0), self.index(self.total - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self.total = page.total
            self._windows = OrderedDict({0: page.window.rows})
            self._texts = {0: texts}
            self.endResetModel()
        self.loading = False
        self.loaded.emit()

    def _request(self, window: int) -> None:
        self._wanted[window] = time.monotonic()
        if not self._timer.isActive():
            self._timer.start()

    def _fetch_wanted(self) -> None:
        now = time.monotonic()
        fresh = sorted(
            (w for w, at in self._wanted.items() if now - at <= self.STALE_REQUEST_S and w not in self._windows),
            key=lambda w: -self._wanted[w],
        )
        self._wanted = {w: self._wanted[w] for w in fresh}
        for window in fresh:
            if len(self._in_flight) >= self.MAX_PARALLEL:
                break
            if window in self._in_flight:
                continue
            self._wanted.pop(window, None)
            self._in_flight.add(window)
            generation = self._generation
            self.queries += 1
            self.ops.run_query(
                fetch_window_texts,
                self.filter,
                window * self.WINDOW,
                self.WINDOW,
                self.sort_key,
                self.descending,
                on_done=lambda result, g=generation, w=window: self._window_arrived(g, w, result),
                on_error=lambda _exc, w=window: self._in_flight.discard(w),
            )

    def _window_arrived(
        self, generation: int, window: int, arrived: tuple[log.AuditWindow, list[tuple[str, ...]]]
    ) -> None:
        self._in_flight.discard(window)
        if generation != self._generation:
            return
        result, texts = arrived
        self._windows[window] = result.rows
        self._texts[window] = texts
        self._windows.move_to_end(window)
        while len(self._windows) > self.MAX_WINDOWS:
            dropped, _rows = self._windows.popitem(last=False)
            self._texts.pop(dropped, None)
        first = window * self.WINDOW
        last = min(self.total, first + len(result.rows)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.window_loaded.emit(window)
        if self._wanted:
            self._timer.start()

    # -- reading ----------------------------------------------------------------------------------------------
    def row_at(self, row: int) -> log.AuditLogRow | None:
        rows = self._windows.get(row // self.WINDOW)
        if rows is None:
            return None
        offset = row % self.WINDOW
        return rows[offset] if offset < len(rows) else None

    @property
    def loaded_rows(self) -> int:
        return sum(len(rows) for rows in self._windows.values())

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        role = int(role)
        if role != _DISPLAY and role != _TOOLTIP and role != _ROW:
            return None
        row = index.row()
        window = row // self.WINDOW
        texts = self._texts.get(window)
        offset = row % self.WINDOW
        if texts is None or offset >= len(texts):
            if role == _DISPLAY and 0 <= row < self.total:
                if texts is None:
                    self._request(window)  # asks a worker; never queries here
                return LOADING if index.column() == 0 else ""
            return None
        if role == _ROW:
            return self._windows[window][offset]
        text = texts[offset][index.column()]
        if role == _TOOLTIP:
            return text if len(text) > 30 else None
        return text

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def sortable(self, column: int) -> bool:
        return COLUMNS[column][1] is not None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1] if 0 <= column < len(COLUMNS) else None
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_key, self.descending):
            return
        self.sort_key, self.descending = key, descending
        self.refresh()
