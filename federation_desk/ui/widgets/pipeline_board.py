"""The tender pipeline board: a column per status, each a list view whose cards a delegate paints (reference,
title, buyer, value, a deadline countdown coloured by urgency, answer progress). Drag a card to another column to
change the tender's status; double-click or Enter opens it; the context menu moves it without a mouse drag."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QListView,
    QMenu,
    QScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from federation_desk.domain.tenders import TenderStatus
from federation_desk.services.dates import today as london_today
from federation_desk.services.tenders import TenderRow, value_text
from federation_desk.ui import theme
from federation_desk.ui.models.table_model import ROW_ROLE
from federation_desk.ui.models.tender_board import TenderBoardModel, countdown, severity_colour
from federation_desk.ui.widgets.common import plain_label

CARD_HEIGHT = 112
COLUMN_WIDTH = 214
PAD = 10
Index = QModelIndex | QPersistentModelIndex


class TenderCardDelegate(QStyledItemDelegate):
    """Paints one tender as a card."""

    def __init__(self, today: date, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = today

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(COLUMN_WIDTH - 16, CARD_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row: TenderRow | None = index.data(ROW_ROLE)
        if row is None:
            return
        c = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        card = QRect(option.rect).adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        path = QPainterPath()
        path.addRoundedRect(card, 6, 6)
        painter.fillPath(path, QColor(c.card_bg))
        text, severity = countdown(row, self.today)
        accent = severity_colour(severity)
        painter.setPen(QPen(QColor(c.accent) if selected else QColor(c.border), 2 if selected else 1))
        painter.drawPath(path)
        painter.fillRect(QRect(card.left(), card.top() + 3, 4, card.height() - 6), accent)
        inner = card.adjusted(PAD + 2, PAD - 2, -PAD, -PAD + 2)
        base = QFont(option.font)
        small = QFont(base)
        small.setPointSizeF(max(7.0, base.pointSizeF() - 1))
        bold = QFont(base)
        bold.setBold(True)
        fm_small, fm_bold = QFontMetrics(small), QFontMetrics(bold)
        y = inner.top()
        # Reference and value
        painter.setFont(small)
        painter.setPen(QColor(c.muted))
        painter.drawText(
            QRect(inner.left(), y, inner.width(), fm_small.height()), Qt.AlignmentFlag.AlignLeft, row.reference
        )
        painter.drawText(
            QRect(inner.left(), y, inner.width(), fm_small.height()),
            Qt.AlignmentFlag.AlignRight,
            value_text(row.estimated_value),
        )
        y += fm_small.height() + 2
        # Title: two lines at most, elided
        painter.setFont(bold)
        painter.setPen(QColor(c.text))
        words, lines, line = row.title.split(), [], ""
        for word in words:
            trial = f"{line} {word}".strip()
            if fm_bold.horizontalAdvance(trial) <= inner.width() or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
        if len(lines) > 2:
            lines = [lines[0], fm_bold.elidedText(" ".join(lines[1:]), Qt.TextElideMode.ElideRight, inner.width())]
        for text_line in lines:
            painter.drawText(
                QRect(inner.left(), y, inner.width(), fm_bold.height()),
                Qt.AlignmentFlag.AlignLeft,
                fm_bold.elidedText(text_line, Qt.TextElideMode.ElideRight, inner.width()),
            )
            y += fm_bold.height()
        y = max(y, inner.top() + fm_small.height() + 2 + 2 * fm_bold.height())
        # Buyer
        painter.setFont(small)
        painter.setPen(QColor(c.muted))
        painter.drawText(
            QRect(inner.left(), y + 1, inner.width(), fm_small.height()),
            Qt.AlignmentFlag.AlignLeft,
            fm_small.elidedText(row.buyer_name or "Buyer not recorded", Qt.TextElideMode.ElideRight, inner.width()),
        )
        # Countdown, and answer progress at the right
        bottom = QRect(inner.left(), inner.bottom() - fm_small.height(), inner.width(), fm_small.height())
        progress = f"{row.questions_final}/{row.questions} final" if row.questions else ""
        room = inner.width() - (fm_small.horizontalAdvance(progress) + 8 if progress else 0)
        painter.setPen(accent)
        painter.setFont(QFont(small.family(), int(small.pointSizeF()), QFont.Weight.DemiBold))
        painter.drawText(
            bottom, Qt.AlignmentFlag.AlignLeft, fm_small.elidedText(text, Qt.TextElideMode.ElideRight, room)
        )
        if progress:
            painter.setFont(small)
            painter.setPen(QColor(c.muted))
            painter.drawText(bottom, Qt.AlignmentFlag.AlignRight, progress)
        painter.restore()


class BoardColumn(QFrame):
    """A status column: a header with the count and a list view of cards."""

    def __init__(self, status: TenderStatus, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = status
        self.setObjectName("BoardColumn")
        self.setFixedWidth(COLUMN_WIDTH)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.header = plain_label(status.label, "BoardColumnTitle", wrap=False)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        layout.addWidget(self.header)
        self.model = TenderBoardModel(status, self)
        self.view = QListView()
        self.view.setAccessibleName(f"{status.label} tenders")
        self.view.setModel(self.model)
        self.delegate = TenderCardDelegate(today, self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setUniformItemSizes(True)
        self.view.setSpacing(0)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout.addWidget(self.view, 1)

    def set_rows(self, rows: Sequence[TenderRow], today: date) -> None:
        self.delegate.today = today
        self.model.set_rows(rows, today)
        self.header.setText(f"{self.status.label}  ({len(rows)})")


class PipelineBoard(QWidget):
    open_requested = Signal(object)  # TenderRow
    status_change_requested = Signal(int, int, object)  # tender id, version, TenderStatus

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = london_today()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        self.columns: dict[TenderStatus, BoardColumn] = {}
        for status in TenderStatus:
            column = BoardColumn(status, self.today)
            column.model.status_change_requested.connect(self.status_change_requested)
            column.view.doubleClicked.connect(lambda index: self.open_requested.emit(index.data(ROW_ROLE)))
            column.view.activated.connect(lambda index: self.open_requested.emit(index.data(ROW_ROLE)))
            column.view.customContextMenuRequested.connect(lambda pos, col=column: self._menu(col, pos))
            self.columns[status] = column
            row.addWidget(column)
        row.addStretch(1)
        scroll.setWidget(host)
        outer.addWidget(scroll)
        self.rows: list[TenderRow] = []
        c = theme.current()
        self.setStyleSheet(
            f"QFrame#BoardColumn {{ background: {c.alt_base}; border: 1px solid {c.border}; border-radius: 8px; }}"
            "QFrame#BoardColumn QListView { background: transparent; }"
        )

    def set_rows(self, rows: Sequence[TenderRow], today: date, show_closed: bool = True) -> None:
        self.today = today
        self.rows = list(rows)
        for status, column in self.columns.items():
            column.setVisible(show_closed or not status.is_closed)
            in_column = [r for r in rows if r.status is status]
            in_column.sort(key=lambda r: (r.submission_deadline or date.max, r.reference))
            column.set_rows(in_column, today)

    def selected_row(self) -> TenderRow | None:
        for column in self.columns.values():
            index = column.view.currentIndex()
            if index.isValid() and column.view.hasFocus():
                return index.data(ROW_ROLE)
        for column in self.columns.values():
            selected = column.view.selectionModel().selectedIndexes()
            if selected:
                return selected[0].data(ROW_ROLE)
        return None

    def card_rect(self, tender_id: int) -> tuple[BoardColumn, QRect] | None:
        for column in self.columns.values():
            for i, r in enumerate(column.model.rows):
                if r.id == tender_id:
                    return column, column.view.visualRect(column.model.index(i))
        return None

    def _menu(self, column: BoardColumn, pos: QPoint) -> None:
        index = column.view.indexAt(pos)
        if not index.isValid():
            return
        row: TenderRow = index.data(ROW_ROLE)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_requested.emit(row))
        move = menu.addMenu("Move to")
        for status in TenderStatus:
            if status is not row.status:
                move.addAction(
                    status.label,
                    lambda s=status: self.status_change_requested.emit(row.id, row.version, s),
                )
        menu.exec(column.view.viewport().mapToGlobal(pos))
