"""The week grid view: sites down, days across, each session painted as a card (time, role, who is booked, and
vacancies in red) by :class:`SessionCardDelegate`. People dragged from the side list drop onto a card; a click
on a card opens it."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from federation_desk.services.rota import SessionRow
from federation_desk.ui import theme
from federation_desk.ui.models.rota_grid import STAFF_MIME, WeekGridModel

PAD = 4
GAP = 4


def card_height(metrics: QFontMetrics, session: SessionRow) -> int:
    lines = 2 + len(session.assignees) + (1 if session.missing else 0)
    return lines * metrics.height() + 2 * PAD


def card_rects(option_rect: QRect, metrics: QFontMetrics, sessions: tuple[SessionRow, ...]) -> list[QRect]:
    rects = []
    y = option_rect.top() + GAP
    for s in sessions:
        h = card_height(metrics, s)
        rects.append(QRect(option_rect.left() + GAP, y, option_rect.width() - 2 * GAP, h))
        y += h + GAP
    return rects


def _sessions(index: QModelIndex) -> tuple[SessionRow, ...]:
    """The sessions of a cell, read from the model directly: ``index.data()`` goes through a QVariant, and in
    PySide6 6.12 an empty cell's value (None) comes back without a reference -- each call lowers None's reference
    count until the interpreter aborts (it did, at the end of the week-grid benchmark)."""
    model = index.model()
    if isinstance(model, WeekGridModel):
        return model.sessions_at(index.row(), index.column())
    return ()


class SessionCardDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        sessions = _sessions(index)
        c = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(option.rect, QColor(c.base))
        metrics = QFontMetrics(option.font)
        bold = QFont(option.font)
        bold.setBold(True)
        for session, rect in zip(sessions, card_rects(option.rect, metrics, sessions)):
            vacant = session.missing > 0
            background = QColor(c.danger_bg if vacant else c.card_bg)
            painter.setPen(QPen(QColor(c.danger if vacant else c.border), 1.2 if vacant else 1))
            painter.setBrush(background)
            painter.drawRoundedRect(rect, 4, 4)
            painter.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), QColor(session.colour or c.muted))
            text_rect = rect.adjusted(PAD + 4, PAD, -PAD, -PAD)
            y = text_rect.top()

            area = (text_rect.left(), text_rect.width(), metrics.height())
            y = self._line(painter, area, y, session.time_text, c.text, bold)
            y = self._line(painter, area, y, f"{session.role_name} · {session.title}", c.muted, option.font)
            for a in session.assignees:
                flag = "⚑ " if a.override_reason else ""
                y = self._line(painter, area, y, flag + a.name, c.warning if a.override_reason else c.text, option.font)
            if vacant:
                text = "VACANT" if session.missing == 1 else f"VACANT × {session.missing}"
                y = self._line(painter, area, y, text, c.danger, bold)
            if session.published:
                painter.setPen(QColor(c.muted))
                painter.drawText(
                    rect.adjusted(0, 2, -4, 0), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, "🔒"
                )
        painter.setPen(QColor(c.border))
        painter.drawLine(option.rect.bottomLeft(), option.rect.bottomRight())
        painter.drawLine(option.rect.topRight(), option.rect.bottomRight())
        painter.restore()

    @staticmethod
    def _line(painter: QPainter, area: tuple[int, int, int], y: int, text: str, colour: str, font: QFont) -> int:
        left, width, height = area
        painter.setFont(font)
        painter.setPen(QColor(colour))
        shown = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, width)
        painter.drawText(QRect(left, y, width, height), Qt.AlignmentFlag.AlignVCenter, shown)
        return y + height

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        sessions = _sessions(index)
        metrics = QFontMetrics(option.font)
        height = GAP + sum(card_height(metrics, s) + GAP for s in sessions)
        return QSize(150, max(height, metrics.height() * 3))


class WeekGridView(QTableView):
    session_activated = Signal(object)  # SessionRow
    staff_dropped = Signal(object, int)  # SessionRow, staff id

    def __init__(self, model: WeekGridModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setAccessibleName("Week grid: sites by days")
        self.setItemDelegate(SessionCardDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setMinimumSectionSize(120)
        vertical = self.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        vertical.setFixedWidth(170)
        model.modelReset.connect(self._fit_rows)

    @property
    def grid_model(self) -> WeekGridModel:
        model = self.model()
        assert isinstance(model, WeekGridModel)
        return model

    def _fit_rows(self) -> None:
        """Each site's row is as tall as its busiest day (computed once per load, not per paint)."""
        metrics = QFontMetrics(self.font())
        model = self.grid_model
        for row in range(model.rowCount()):
            tallest = max(
                (GAP + sum(card_height(metrics, s) + GAP for s in model.sessions_at(row, col)) for col in range(7)),
                default=0,
            )
            self.setRowHeight(row, max(tallest, metrics.height() * 3))

    def session_at(self, pos: QPoint) -> SessionRow | None:
        index = self.indexAt(pos)
        if not index.isValid():
            return None
        sessions = self.grid_model.sessions_at(index.row(), index.column())
        metrics = QFontMetrics(self.font())
        for session, rect in zip(sessions, card_rects(self.visualRect(index), metrics, sessions)):
            if rect.contains(pos):
                return session
        return None

    def card_centre(self, session_id: int) -> QPoint | None:
        """Where a session's card is (tests drop onto it)."""
        model = self.grid_model
        metrics = QFontMetrics(self.font())
        for row in range(model.rowCount()):
            for col in range(7):
                sessions = model.sessions_at(row, col)
                for session, rect in zip(
                    sessions, card_rects(self.visualRect(model.index(row, col)), metrics, sessions)
                ):
                    if session.id == session_id:
                        return rect.center()
        return None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        session = self.session_at(event.position().toPoint())
        if session is not None:
            self.session_activated.emit(session)
            return
        super().mouseDoubleClickEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            session = self.session_at(event.position().toPoint())
            if session is not None:
                self.session_activated.emit(session)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(STAFF_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(STAFF_MIME) and self.session_at(event.position().toPoint()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        session = self.session_at(event.position().toPoint())
        if not mime.hasFormat(STAFF_MIME) or session is None:
            event.ignore()
            return
        staff_id = int(bytes(mime.data(STAFF_MIME).data()).decode())
        event.acceptProposedAction()
        self.staff_dropped.emit(session, staff_id)

    def sizeHint(self) -> QSize:
        return QSize(900, 600)
