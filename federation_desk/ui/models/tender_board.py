"""Models for the tenders screens: one list model per pipeline column (cards you can drag to another column), and
the column specs of the tenders list, questions, library and other tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractListModel, QByteArray, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from federation_desk.domain.tenders import TenderStatus
from federation_desk.services.dates import format_date
from federation_desk.services.dates import today as london_today
from federation_desk.services.tenders import LibraryRow, QuestionRow, TenderRow, value_text
from federation_desk.ui import theme
from federation_desk.ui.models.table_model import RIGHT, ROW_ROLE, Column

TENDER_MIME = "application/x-federation-desk-tender"
Index = QModelIndex | QPersistentModelIndex


def countdown(row: TenderRow, today: date) -> tuple[str, str]:
    """The card's deadline line and its severity (danger / warning / good / muted)."""
    if row.status.is_closed:
        return row.status.label, "muted"
    if row.status is TenderStatus.SUBMITTED:
        return "Submitted", "good"
    days = row.days_to_submission(today)
    if days is None:
        if row.next_deadline is not None:
            left = (row.next_deadline - today).days
            what = SHORT_DEADLINES.get(
                (row.next_deadline_label or "").casefold(), row.next_deadline_label or "Deadline"
            )
            return f"{what} in {left} day{'s' if left != 1 else ''}", (
                "danger" if left <= 3 else "warning" if left <= 14 else "muted"
            )
        return "No deadline yet", "muted"
    if days < 0:
        return f"Deadline passed {format_date(row.submission_deadline)}", "danger"
    if days == 0:
        return "Due today" + (f" {row.submission_time:%H:%M}" if row.submission_time else ""), "danger"
    text = f"Due in {days} day{'s' if days != 1 else ''}"
    return text, "danger" if days <= 3 else "warning" if days <= 14 else "good"


SHORT_DEADLINES = {
    "expression of interest deadline": "Interest",
    "clarification deadline": "Questions close",
    "presentation or interview": "Presentation",
}


def severity_colour(severity: str) -> QColor:
    c = theme.current()
    return QColor({"danger": c.danger, "warning": c.warning, "good": c.good}.get(severity, c.muted))


class TenderBoardModel(QAbstractListModel):
    """The cards of one status column. Dropping a card from another column asks for a status change (the page
    saves it through the service and reloads); nothing moves until the save succeeds."""

    status_change_requested = Signal(int, int, object)  # tender id, version, TenderStatus

    def __init__(self, status: TenderStatus, parent: Any = None) -> None:
        super().__init__(parent)
        self.status = status
        self.rows: list[TenderRow] = []
        self.today = london_today()

    def set_rows(self, rows: Sequence[TenderRow], today: date) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.today = today
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            text, _severity = countdown(row, self.today)
            return f"{row.reference} {row.title}. {row.buyer_name or ''}. {text}"
        if role == Qt.ItemDataRole.ToolTipRole:
            due = f"Submission {format_date(row.submission_deadline)}" if row.submission_deadline else ""
            lines = [f"{row.reference}: {row.title}", row.buyer_name or "", countdown(row, self.today)[0], due]
            if row.questions:
                lines.append(f"{row.questions_final} of {row.questions} answers final")
            return "\n".join(line for line in lines if line)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsDropEnabled
        if not index.isValid():
            return base
        return base | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [TENDER_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        valid = [i for i in indexes if i.isValid()]
        if valid:
            row = self.rows[valid[0].row()]
            mime.setData(TENDER_MIME, QByteArray(f"{row.id}:{row.version}".encode()))
        return mime

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index) -> bool:
        return data.hasFormat(TENDER_MIME)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index) -> bool:
        if not data.hasFormat(TENDER_MIME):
            return False
        try:
            tender_id, version = (int(part) for part in bytes(data.data(TENDER_MIME).data()).decode().split(":"))
        except ValueError:
            return False
        if any(r.id == tender_id for r in self.rows):
            return False  # dropped back on its own column
        self.status_change_requested.emit(tender_id, version, self.status)
        return True

    def removeRows(self, row: int, count: int, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return False  # the card leaves its column when the page reloads after the save


# ---- table columns ---------------------------------------------------------------------------------------------


def _due_colour(row: TenderRow) -> QColor | None:
    if row.status.is_closed or row.submission_deadline is None or row.status is TenderStatus.SUBMITTED:
        return None
    days = row.days_to_submission(london_today())
    if days is None:
        return None
    return severity_colour("danger" if days <= 3 else "warning" if days <= 14 else "good")


TENDER_COLUMNS: list[Column[TenderRow]] = [
    Column("Reference", lambda r: r.reference, width=11),
    Column("Title", lambda r: r.title, tooltip=lambda r: r.title, width=40),
    Column("Buyer", lambda r: r.buyer_name or "", width=26),
    Column("Status", lambda r: r.status.label, sort_key=lambda r: list(TenderStatus).index(r.status), width=12),
    Column(
        "Submission",
        lambda r: (
            format_date(r.submission_deadline)
            + (f" {r.submission_time:%H:%M}" if r.submission_deadline and r.submission_time else "")
        ),
        sort_key=lambda r: r.submission_deadline,
        foreground=_due_colour,
        width=15,
    ),
    Column(
        "Value", lambda r: value_text(r.estimated_value), sort_key=lambda r: r.estimated_value, align=RIGHT, width=11
    ),
    Column("Process", lambda r: r.process_name or (r.regime.value if r.regime else ""), width=22),
    Column(
        "Answers",
        lambda r: f"{r.questions_final} / {r.questions} final" if r.questions else "",
        sort_key=lambda r: r.questions_final / r.questions if r.questions else None,
        width=12,
    ),
    Column("Owner", lambda r: r.owner or "", width=16),
    Column("Source", lambda r: r.source.label, width=14),
]


def _question_count_colour(row: QuestionRow) -> QColor | None:
    if row.is_over_limit:
        return QColor(theme.current().danger)
    if not row.is_answered:
        return QColor(theme.current().warning)
    return None


QUESTION_COLUMNS: list[Column[QuestionRow]] = [
    Column("No.", lambda r: r.number, width=4),
    Column("Question", lambda r: " ".join(r.text.split()), tooltip=lambda r: r.text, width=34),
    Column(
        "Used / limit",
        lambda r: r.count_text if r.is_answered or r.answer_limit else "",
        sort_key=lambda r: r.count / r.answer_limit if r.answer_limit else r.count,
        foreground=_question_count_colour,
        width=17,
    ),
    Column("Status", lambda r: r.status.label, width=10),
    Column(
        "Weight", lambda r: f"{r.weighting.normalize():f}%" if r.weighting is not None else "", align=RIGHT, width=6
    ),
    Column("Owner", lambda r: r.owner or "", width=14),
    Column("Due", lambda r: format_date(r.due_on), sort_key=lambda r: r.due_on, width=10),
]


def library_columns(today: date) -> list[Column[LibraryRow]]:
    def review_colour(row: LibraryRow) -> QColor | None:
        return QColor(theme.current().danger) if row.past_review(today) else None

    return [
        Column("Title", lambda r: r.title, tooltip=lambda r: r.body[:400], width=34),
        Column("Tags", lambda r: ", ".join(r.tags), width=24),
        Column("Words", lambda r: f"{r.words:,}", sort_key=lambda r: r.words, align=RIGHT, width=6),
        Column("Owner", lambda r: r.owner or "", width=16),
        Column(
            "Review",
            lambda r: r.review_text(today),
            sort_key=lambda r: r.review_due(),
            foreground=review_colour,
            width=22,
        ),
        Column("Used in", lambda r: f"{r.used_in} answers" if r.used_in else "", sort_key=lambda r: r.used_in, width=9),
        Column("From", lambda r: r.source_note or "", width=18),
    ]
