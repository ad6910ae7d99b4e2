"""A twelve-month timeline of a holder's policies: one lane per policy type, each policy a bar, each day without
cover marked, and today as a line. Painted by hand (QPainter), so a gap of a single day still shows.

The widget shows a ``services.indemnity.Timeline``; it never queries. Hovering a bar or a gap shows what it is;
double-clicking a bar emits ``policy_activated(policy_id)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from federation_desk.services.dates import format_date
from federation_desk.services.indemnity import Timeline
from federation_desk.ui import theme

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class _Hit:
    rect: QRectF
    text: str
    policy_id: int | None


def _days(a: date, b: date) -> int:
    return (b - a).days + 1


class PolicyTimeline(QWidget):
    policy_activated = Signal(int)

    LABEL_WIDTH = 200
    HEADER = 30
    LANE = 36
    LEGEND = 34
    MARGIN = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timeline: Timeline | None = None
        self._hits: list[_Hit] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Policy timeline")
        self.setMinimumWidth(640)

    # -- data -------------------------------------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline | None) -> None:
        self.timeline = timeline
        self.setAccessibleDescription(self.describe())
        self.updateGeometry()
        self.setFixedHeight(self.sizeHint().height())
        self.update()

    def describe(self) -> str:
        """What the picture shows, in words (for screen readers and tests)."""
        t = self.timeline
        if t is None:
            return "No timeline loaded."
        lines = [f"{t.holder}, {format_date(t.start)} to {format_date(t.end)}."]
        for lane in t.lanes:
            gaps = "; ".join(f"{format_date(a)} to {format_date(b)}" for a, b in lane.gaps) or "none"
            lines.append(f"{lane.label}: {len(lane.bars)} policies; without cover: {gaps}.")
        return " ".join(lines)

    def sizeHint(self) -> QSize:
        lanes = len(self.timeline.lanes) if self.timeline else 2
        return QSize(960, self.HEADER + lanes * self.LANE + self.LEGEND + 2 * self.MARGIN)

    # -- geometry ---------------------------------------------------------------------------------------------
    def _chart_rect(self) -> QRectF:
        lanes = len(self.timeline.lanes) if self.timeline else 0
        return QRectF(
            self.LABEL_WIDTH,
            self.MARGIN + self.HEADER,
            max(10.0, self.width() - self.LABEL_WIDTH - self.MARGIN),
            lanes * self.LANE,
        )

    def x_of(self, d: date) -> float:
        """The x position of the start of day ``d``."""
        assert self.timeline is not None
        chart = self._chart_rect()
        total = _days(self.timeline.start, self.timeline.end)
        return chart.left() + chart.width() * (d - self.timeline.start).days / total

    # -- painting ---------------------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        c = theme.current()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(c.base))
        self._hits = []
        t = self.timeline
        if t is None or not t.lanes:
            painter.setPen(QColor(c.muted))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No policies to show.")
            painter.end()
            return
        chart = self._chart_rect()
        metrics = QFontMetrics(self.font())
        self._paint_months(painter, chart, metrics)
        for i, lane in enumerate(t.lanes):
            top = chart.top() + i * self.LANE
            lane_rect = QRectF(chart.left(), top, chart.width(), self.LANE)
            if i % 2:
                painter.fillRect(QRectF(0, top, self.width(), self.LANE), QColor(c.alt_base))
            painter.setPen(QColor(c.text))
            label_rect = QRectF(self.MARGIN, top, self.LABEL_WIDTH - 2 * self.MARGIN, self.LANE)
            painter.drawText(
                label_rect,
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                metrics.elidedText(lane.label, Qt.TextElideMode.ElideRight, int(label_rect.width())),
            )
            for a, b in lane.gaps:
                self._paint_gap(painter, lane_rect, a, b, lane.label)
            for bar in lane.bars:
                rect = QRectF(
                    self.x_of(bar.start),
                    top + 6,
                    self.x_of(bar.end + timedelta(days=1)) - self.x_of(bar.start),
                    self.LANE - 12,
                )
                fill = QColor(c.warning) if bar.below_guidance else QColor(c.accent)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(fill)
                painter.drawRoundedRect(rect.adjusted(0.5, 0, -0.5, 0), 4, 4)
                text = (bar.limit and f"{_short_money(bar.limit)} {bar.insurer}") or f"{bar.insurer}"
                if metrics.horizontalAdvance(text) + 12 <= rect.width():
                    painter.setPen(QColor(c.accent_text))
                    painter.drawText(rect.adjusted(6, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, text)
                note = " (below the legal minimum or what buyers commonly ask)" if bar.below_guidance else ""
                self._hits.append(_Hit(rect, f"{lane.label}: {bar.label}{note}", bar.policy_id))
        self._paint_today(painter, chart, metrics)
        self._paint_legend(painter, chart, metrics)
        painter.end()

    def _paint_months(self, painter: QPainter, chart: QRectF, metrics: QFontMetrics) -> None:
        assert self.timeline is not None
        c = theme.current()
        month = self.timeline.start.replace(day=1)
        painter.setPen(QPen(QColor(c.border), 1))
        while month <= self.timeline.end:
            nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            x0 = max(self.x_of(month), chart.left())
            x1 = self.x_of(min(nxt, self.timeline.end + timedelta(days=1)))
            painter.setPen(QPen(QColor(c.border), 1))
            painter.drawLine(QPointF(x0, chart.top() - 4), QPointF(x0, chart.bottom()))
            label = (
                f"{MONTHS[month.month - 1]} {month.year}"
                if month.month == 1 or month == self.timeline.start.replace(day=1)
                else MONTHS[month.month - 1]
            )
            if metrics.horizontalAdvance(label) + 6 > x1 - x0:
                label = MONTHS[month.month - 1][0]
            painter.setPen(QColor(c.muted))
            painter.drawText(
                QRectF(x0 + 3, self.MARGIN, x1 - x0 - 3, self.HEADER - 6),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                label,
            )
            month = nxt
        painter.setPen(QPen(QColor(c.border), 1))
        painter.drawLine(QPointF(chart.right(), chart.top() - 4), QPointF(chart.right(), chart.bottom()))

    def _paint_gap(self, painter: QPainter, lane_rect: QRectF, a: date, b: date, label: str) -> None:
        assert self.timeline is not None
        c = theme.current()
        future = a > self.timeline.today
        colour = QColor(c.warning if future else c.danger)
        x0 = self.x_of(a)
        x1 = max(self.x_of(b + timedelta(days=1)), x0 + 3)  # a one-day gap is still visible
        rect = QRectF(x0, lane_rect.top() + 4, x1 - x0, lane_rect.height() - 8)
        fill = QColor(colour)
        fill.setAlpha(40)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.fillRect(rect, fill)
        painter.fillRect(rect, QBrush(colour, Qt.BrushStyle.BDiagPattern))
        painter.setPen(QPen(colour, 1.5))
        painter.drawLine(rect.topLeft(), rect.bottomLeft())
        painter.drawLine(rect.topRight(), rect.bottomRight())
        days = (b - a).days + 1
        what = "Not renewed yet" if future else "No cover"
        text = (
            f"{label}: {what.lower()} from {format_date(a)} to {format_date(b)} ({days} day{'s' if days != 1 else ''})"
        )
        self._hits.append(_Hit(rect.adjusted(-2, 0, 2, 0), text, None))

    def _paint_today(self, painter: QPainter, chart: QRectF, metrics: QFontMetrics) -> None:
        assert self.timeline is not None
        t = self.timeline
        if not t.start <= t.today <= t.end:
            return
        c = theme.current()
        x = self.x_of(t.today) + (self.x_of(t.today + timedelta(days=1)) - self.x_of(t.today)) / 2
        painter.setPen(QPen(QColor(c.text), 2))
        painter.drawLine(QPointF(x, chart.top() - 6), QPointF(x, chart.bottom() + 2))
        label = "Today"
        w = metrics.horizontalAdvance(label) + 8
        box = QRectF(x - w / 2, chart.bottom() + 3, w, metrics.height() + 2)
        painter.fillRect(box, QColor(c.text))
        painter.setPen(QColor(c.base))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_legend(self, painter: QPainter, chart: QRectF, metrics: QFontMetrics) -> None:
        c = theme.current()
        y = chart.bottom() + metrics.height() + 10
        x = chart.left()
        items = [
            (QColor(c.accent), False, "Policy in force"),
            (QColor(c.warning), False, "Limit below guidance"),
            (QColor(c.danger), True, "No cover (gap)"),
            (QColor(c.warning), True, "Not renewed yet"),
        ]
        for colour, hatched, text in items:
            swatch = QRectF(x, y + 2, 18, metrics.height() - 4)
            if hatched:
                fill = QColor(colour)
                fill.setAlpha(40)
                painter.fillRect(swatch, fill)
                painter.fillRect(swatch, QBrush(colour, Qt.BrushStyle.BDiagPattern))
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawRoundedRect(swatch, 3, 3)
            painter.setPen(QColor(c.muted))
            painter.drawText(QPointF(x + 24, y + metrics.ascent()), text)
            x += 24 + metrics.horizontalAdvance(text) + 22

    # -- interaction ------------------------------------------------------------------------------------------
    def hit_at(self, pos: QPointF) -> _Hit | None:
        # Bars are added after gaps, so the last hit containing the point is the one on top.
        for hit in reversed(self._hits):
            if hit.rect.contains(pos):
                return hit
        return None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hit = self.hit_at(QPointF(event.pos()))
            if hit is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), hit.text, self)
            return True
        return super().event(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        hit = self.hit_at(event.position())
        if hit is not None and hit.policy_id is not None:
            self.policy_activated.emit(hit.policy_id)
            return
        super().mouseDoubleClickEvent(event)


def _short_money(amount: object) -> str:
    """£10m, £2.5m, £250k: short enough to sit inside a bar."""
    from decimal import Decimal

    value = Decimal(str(amount))
    if value >= 1_000_000:
        text = f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".")
        return f"£{text}m"
    if value >= 1_000:
        text = f"{value / 1_000:.1f}".rstrip("0").rstrip(".")
        return f"£{text}k"
    return f"£{value:,.0f}"
