"""Table models for the Staff screens: the staff list columns, the training matrix, the expiry list (grouped by
week), and the columns of the staff record's item tables. ``data()`` only reads prepared rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon

from federation_desk.services import compliance as comp
from federation_desk.services.compliance import ItemStatus
from federation_desk.services.dates import format_date
from federation_desk.services.staff import StaffRow, matrix_cell_note, matrix_cell_text
from federation_desk.ui import theme
from federation_desk.ui.icons import icon
from federation_desk.ui.models.table_model import CENTRE, RIGHT, ROW_ROLE, Column, RowTableModel

Index = QModelIndex | QPersistentModelIndex
STATUS_ROLE = Qt.ItemDataRole.UserRole + 10

# Cell backgrounds by status, for the light and the dark palette.
_LIGHT_BACKGROUNDS = {
    ItemStatus.VALID: "#D7EFDF",
    ItemStatus.EXPIRING: "#FFE9B3",
    ItemStatus.EXPIRED: "#F6C9C4",
    ItemStatus.MISSING: "#F3D1DE",
}
_DARK_BACKGROUNDS = {
    ItemStatus.VALID: "#1E4D32",
    ItemStatus.EXPIRING: "#5C4714",
    ItemStatus.EXPIRED: "#6B2520",
    ItemStatus.MISSING: "#5A2942",
}


def status_background(status: ItemStatus | None) -> QColor | None:
    if status is None:
        return None
    table = _DARK_BACKGROUNDS if theme.current() is theme.DARK else _LIGHT_BACKGROUNDS
    value = table.get(status)
    return QColor(value) if value else None


_STYLE_CACHE: dict[tuple[str, Any, int], Any] = {}


def _cached(kind: str, status: ItemStatus | None, make: Callable[[], Any]) -> Any:
    """Colours and icons per status, made once per palette (a repaint asks for them hundreds of times)."""
    key = (kind, status, id(theme.current()))
    if key not in _STYLE_CACHE:
        _STYLE_CACHE[key] = make()
    return _STYLE_CACHE[key]


def status_foreground(status: ItemStatus | None) -> QColor | None:
    def make() -> QColor | None:
        c = theme.current()
        return {
            ItemStatus.VALID: QColor(c.good),
            ItemStatus.EXPIRING: QColor(c.warning),
            ItemStatus.EXPIRED: QColor(c.danger),
            ItemStatus.MISSING: QColor(c.danger),
        }.get(status)  # type: ignore[arg-type]

    return _cached("fg", status, make)  # type: ignore[no-any-return]


def status_icon(status: ItemStatus | None) -> QIcon | None:
    def make() -> QIcon | None:
        name = {
            ItemStatus.VALID: "good",
            ItemStatus.EXPIRING: "warning",
            ItemStatus.EXPIRED: "danger",
            ItemStatus.MISSING: "danger",
        }.get(status)  # type: ignore[arg-type]
        if name is None:
            return None
        return icon(name, status_foreground(status).name())  # type: ignore[union-attr]

    return _cached("icon", status, make)  # type: ignore[no-any-return]


def _date(value: date | None) -> str:
    return format_date(value)


# ---- the staff list -------------------------------------------------------------------------------------------


def _person_status(row: StaffRow) -> ItemStatus | None:
    return row.status if row.current else None


STAFF_COLUMNS: list[Column[StaffRow]] = [
    Column("Name", lambda r: r.name, sort_key=lambda r: r.sort_name, tooltip=lambda r: r.name, width=22),
    Column("Staff no.", lambda r: r.staff_number or "", width=7),
    Column("Role", lambda r: r.role_name, tooltip=lambda r: r.role_name, width=27),
    Column("Employer", lambda r: r.employer, tooltip=lambda r: r.employer, width=26),
    Column("Employment", lambda r: r.employment_type.label, width=10),
    Column("Registration", lambda r: r.registration, width=13),
    Column(
        "Compliance",
        lambda r: r.status_text,
        sort_key=lambda r: (-(r.status.severity if r.current else -1), r.expired + r.missing),
        icon=lambda r: status_icon(_person_status(r)),
        foreground=lambda r: status_foreground(_person_status(r)),
        tooltip=lambda r: _status_tooltip(r),
        width=23,
    ),
    Column(
        "Next expiry",
        lambda r: _date(r.next_expiry),
        sort_key=lambda r: r.next_expiry,
        tooltip=lambda r: r.next_item or None,
        width=11,
    ),
]


def _status_tooltip(row: StaffRow) -> str:
    if not row.current:
        return f"Left on {format_date(row.leave_date)}" if row.leave_date else "Has not started yet"
    parts = []
    if row.expired:
        parts.append(f"{row.expired} expired")
    if row.missing:
        parts.append(f"{row.missing} missing")
    if row.expiring:
        parts.append(f"{row.expiring} expiring soon")
    text = ", ".join(parts) or "Everything in date"
    if row.next_expiry:
        text += f". Next: {row.next_item}, {format_date(row.next_expiry)}"
    return text


# ---- the training matrix -------------------------------------------------------------------------------------


class MatrixModel(QAbstractTableModel):
    """People down, subjects across. Cells coloured by status, with the dates on hover. Filtering and sorting are
    Python-side over the prepared rows (as RowTableModel does)."""

    FIXED = ("Name", "Role", "Employer", "In date")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.matrix: comp.TrainingMatrix | None = None
        self._all: list[comp.MatrixRow] = []
        self._visible: list[comp.MatrixRow] = []
        self._predicate: Callable[[comp.MatrixRow], bool] | None = None
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_matrix(self, matrix: comp.TrainingMatrix) -> None:
        self.beginResetModel()
        self.matrix = matrix
        self._all = list(matrix.rows)
        self._apply()
        self.endResetModel()

    def set_filter(self, predicate: Callable[[comp.MatrixRow], bool] | None) -> None:
        self.beginResetModel()
        self._predicate = predicate
        self._apply()
        self.endResetModel()

    @property
    def visible_rows(self) -> list[comp.MatrixRow]:
        return self._visible

    @property
    def all_rows(self) -> list[comp.MatrixRow]:
        return self._all

    def _apply(self) -> None:
        rows = self._all if self._predicate is None else [r for r in self._all if self._predicate(r)]
        if self._sort is not None:
            rows = self._sorted(rows, *self._sort)
        self._visible = rows

    def subject_count(self) -> int:
        return len(self.matrix.subjects) if self.matrix else 0

    def cell(self, row: int, column: int) -> comp.MatrixCell | None:
        if column < len(self.FIXED):
            return None
        return self._visible[row].cells[column - len(self.FIXED)]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.FIXED) + self.subject_count()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.matrix is None:
            return None
        row = self._visible[index.row()]
        column = index.column()
        if column < len(self.FIXED):
            if role == Qt.ItemDataRole.DisplayRole:
                return (row.name, row.role, row.practice, f"{row.in_date} of {row.required}")[column]
            if role == Qt.ItemDataRole.ForegroundRole and column == 3 and row.in_date < row.required:
                return QBrush(QColor(theme.current().danger))
            if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
                return int(RIGHT.value)
            if role == ROW_ROLE:
                return row
            return None
        subject_index = column - len(self.FIXED)
        cell = row.cells[subject_index]
        if role == Qt.ItemDataRole.DisplayRole:
            return matrix_cell_text(cell, short=True)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return matrix_cell_text(cell)
        if role == Qt.ItemDataRole.BackgroundRole:
            colour = status_background(cell.status) if cell is not None else None
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.ToolTipRole:
            if cell is None:
                return f"{self.matrix.subjects[subject_index].name}: not required for {row.role}"
            return f"{row.name}\n{matrix_cell_note(self.matrix, subject_index, cell)}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(CENTRE.value)
        if role == STATUS_ROLE:
            return cell.status if cell is not None else None
        if role == ROW_ROLE:
            return row
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or (self.matrix is None and section >= len(self.FIXED)):
            return None
        if section < len(self.FIXED):
            return self.FIXED[section] if role == Qt.ItemDataRole.DisplayRole else None
        subject = self.matrix.subjects[section - len(self.FIXED)]  # type: ignore[union-attr]
        if role == Qt.ItemDataRole.DisplayRole:
            return subject.short_name
        if role == Qt.ItemDataRole.ToolTipRole:
            return subject.name
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._visible = self._sorted(self._visible, column, order)
        self.layoutChanged.emit()

    def _sorted(self, rows: list[comp.MatrixRow], column: int, order: Qt.SortOrder) -> list[comp.MatrixRow]:
        reverse = order == Qt.SortOrder.DescendingOrder
        if column < len(self.FIXED):
            keys: tuple[Callable[[comp.MatrixRow], Any], ...] = (
                lambda r: r.sort_name or r.name.casefold(),
                lambda r: r.role.casefold(),
                lambda r: r.practice.casefold(),
                lambda r: (r.in_date - r.required, r.name.casefold()),
            )
            return sorted(rows, key=keys[column], reverse=reverse)
        i = column - len(self.FIXED)

        def key(r: comp.MatrixRow) -> tuple[int, date]:
            cell = r.cells[i]
            if cell is None:
                return (9, date.max)
            return (-cell.status.severity, cell.expires_on or date.max)

        return sorted(rows, key=key, reverse=reverse)


# ---- the expiry list ------------------------------------------------------------------------------------------


class WeekHeading:
    """A heading row in the expiry list: "Week commencing 23/11/2026: 4 items"."""

    def __init__(self, text: str, count: int) -> None:
        self.text = text
        self.count = count


ExpiryEntry = comp.ExpiryRow | WeekHeading


def group_by_week(rows: Sequence[comp.ExpiryRow], on: date) -> list[ExpiryEntry]:
    """Rows under headings: missing items, already expired, then each week by its Monday."""
    groups: dict[tuple[int, date], list[comp.ExpiryRow]] = {}
    for row in rows:
        if row.status is ItemStatus.MISSING:
            key = (0, date.min)
        elif row.expires_on is not None and row.expires_on < on:
            key = (1, date.min)
        else:
            key = (2, row.week_start or date.max)
        groups.setdefault(key, []).append(row)
    result: list[ExpiryEntry] = []
    for (kind, monday), members in sorted(groups.items()):
        n = len(members)
        noun = f"{n} item{'s' if n != 1 else ''}"
        if kind == 0:
            text = f"Never recorded: {noun}"
        elif kind == 1:
            text = f"Already expired: {noun}"
        elif monday <= on:
            text = f"This week (commencing {format_date(monday)}): {noun}"
        else:
            text = f"Week commencing {format_date(monday)}: {noun}"
        result.append(WeekHeading(text, n))
        result.extend(members)
    return result


def _when(r: comp.ExpiryRow) -> str:
    if r.status is ItemStatus.MISSING or r.expires_on is None:
        return "not recorded"
    if r.days_left is None:
        return ""
    if r.days_left < 0:
        return f"{-r.days_left} days ago"
    if r.days_left == 0:
        return "today"
    return f"in {r.days_left} day{'s' if r.days_left != 1 else ''}"


EXPIRY_COLUMNS: list[Column[Any]] = [
    Column("Expires", lambda r: _date(r.expires_on), width=11),
    Column("When", _when, width=12),
    Column(
        "Status",
        lambda r: r.status.label,
        icon=lambda r: status_icon(r.status),
        foreground=lambda r: status_foreground(r.status),
        width=10,
    ),
    Column("Name", lambda r: r.staff_name, width=20),
    Column("Item", lambda r: r.item, tooltip=lambda r: r.detail, width=36),
    Column("Role", lambda r: r.role, width=16),
    Column("Employer", lambda r: r.practice, width=20),
    Column(
        "Warning from",
        lambda r: _date(r.warn_from) if r.warn_from else "",
        tooltip=lambda r: f"This kind of item is flagged {r.lead_days} days before it expires.",
        width=11,
    ),
]


class ExpiryModel(RowTableModel[Any]):
    """The expiry list with week headings (bold rows spanning the table, set by the view)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(EXPIRY_COLUMNS, parent)
        self._bold = QFont()
        self._bold.setBold(True)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.visible_rows):
            return None
        row = self.visible_rows[index.row()]
        if isinstance(row, WeekHeading):
            if role == Qt.ItemDataRole.DisplayRole:
                return row.text if index.column() == 0 else ""
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor(theme.current().nav_bg))
            if role == ROW_ROLE:
                return row
            return None
        if role == Qt.ItemDataRole.BackgroundRole and index.column() == 0 and row.within_lead_time:
            colour = status_background(row.status)
            return QBrush(colour) if colour is not None else None
        return super().data(index, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Grouped by week: the order is the groups' (sorting by a column would scatter the headings)."""

    def heading_rows(self) -> list[int]:
        return [i for i, r in enumerate(self.visible_rows) if isinstance(r, WeekHeading)]


# ---- item tables in the staff record ---------------------------------------------------------------------------


def current_text(row: Any) -> str:
    if row.status is not None:
        return row.status.label
    return "History"


def item_status_column(width: int = 12) -> Column[Any]:
    return Column(
        "Status",
        current_text,
        icon=lambda r: status_icon(r.status),
        foreground=lambda r: status_foreground(r.status),
        tooltip=lambda r: "The record that counts now" if r.current else "An earlier record, kept as history",
        sort_key=lambda r: 0 if r.current else 1,  # the current record first, then history in date order
        width=width,
    )


def docs_column() -> Column[Any]:
    return Column(
        "Evidence",
        lambda r: f"{r.documents} file{'s' if r.documents != 1 else ''}" if r.documents else "",
        icon=lambda r: icon("attach") if r.documents else None,
        width=8,
    )
