"""Vector charts for reports (reportlab.graphics): they print sharp at any size and need no image library.

* :func:`rag_history_chart`: how many obligations were red, amber and green in each period (stacked bars).
* :func:`trend_chart`: one measure over several periods, each point coloured by its RAG, with the target as a
  dashed line.

Text in charts uses the report's Unicode font; user text is drawn as plain strings (never parsed as markup).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from federation_desk.reports.fonts import BOLD, REGULAR, register_fonts
from federation_desk.reports.styles import INK, MUTED, RAG_COLOURS, RULE

RAG_ORDER = ("green", "amber", "red", "grey")
RAG_NAMES = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "No data"}


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def nice_ceiling(value: float) -> float:
    """A round number at or above ``value`` for an axis maximum (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    base = 10**exponent
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * base + 1e-9:
            return step * base
    return 10 * base


def rag_history_chart(
    labels: Sequence[str], counts: Sequence[dict[str, int]], width: float, height: float = 150
) -> Drawing:
    """Stacked bars: for each period label, the number of obligations per RAG colour."""
    register_fonts()
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 34, 34
    chart.width, chart.height = width - 34 - 110, height - 34 - 16
    present = [rag for rag in RAG_ORDER if any(c.get(rag, 0) for c in counts)] or ["green"]
    chart.data = [[c.get(rag, 0) for c in counts] for rag in present]
    chart.categoryAxis.categoryNames = list(labels)
    chart.categoryAxis.labels.fontName = REGULAR
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.dy = -4
    chart.categoryAxis.strokeColor = RULE
    chart.valueAxis.labels.fontName = REGULAR
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.strokeColor = RULE
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.valueMin = 0
    top = max((sum(c.values()) for c in counts), default=1) or 1
    chart.valueAxis.valueMax = top
    chart.valueAxis.valueStep = max(1, math.ceil(top / 5))
    chart.categoryAxis.style = "stacked"
    chart.barWidth = 14
    chart.groupSpacing = 12
    for i, rag in enumerate(present):
        chart.bars[i].fillColor = RAG_COLOURS[rag]
        chart.bars[i].strokeColor = colors.white
        chart.bars[i].strokeWidth = 0.5
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 96, height - 24
    legend.fontName = REGULAR
    legend.fontSize = 8
    legend.alignment = "right"
    legend.columnMaximum = 4
    legend.colorNamePairs = [(RAG_COLOURS[rag], RAG_NAMES[rag]) for rag in present]
    drawing.add(legend)
    drawing.add(String(0, height - 10, "Obligations", fontName=BOLD, fontSize=7.5, fillColor=MUTED))
    return drawing


def trend_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    rags: Sequence[str],
    target: float | None,
    width: float,
    height: float = 120,
    percent: bool = False,
) -> Drawing:
    """One measure over periods: a line through the values, points coloured by RAG, a dashed target line.

    Missing values (no data for a period) leave a gap in the line and a hollow grey marker on the axis.
    """
    register_fonts()
    drawing = Drawing(width, height)
    left, right, bottom, top = 36, 10, 24, 22
    plot_w, plot_h = width - left - right, height - bottom - top
    drawing.add(String(0, height - 11, _fit(title, BOLD, 8.5, width), fontName=BOLD, fontSize=8.5, fillColor=INK))
    known = [v for v in values if v is not None]
    peak = max([*known, target or 0.0, 0.0])
    vmin = 0.0
    if percent and peak > 50:
        vmax = 100.0
        if known and min(known + ([target] if target is not None else [])) >= 60:
            vmin = 50.0  # zoom in on the band that matters; the axis labels say where it starts
    else:
        vmax = nice_ceiling(peak * 1.25 if peak else 1.0)

    def y_of(value: float) -> float:
        clipped = min(max(value, vmin), vmax)
        return bottom + plot_h * (clipped - vmin) / (vmax - vmin)

    n = max(1, len(labels))
    step = plot_w / n

    def x_of(i: int) -> float:
        return left + step * (i + 0.5)

    drawing.add(
        Rect(left, bottom, plot_w, plot_h, fillColor=colors.HexColor("#FAFBFC"), strokeColor=RULE, strokeWidth=0.5)
    )
    for k in range(5):
        value = vmin + (vmax - vmin) * k / 4
        y = y_of(value)
        if 0 < k < 4:
            drawing.add(Line(left, y, left + plot_w, y, strokeColor=RULE, strokeWidth=0.4))
        text = f"{value:g}{'%' if percent else ''}"
        drawing.add(String(left - 4, y - 2.5, text, fontName=REGULAR, fontSize=6.5, fillColor=MUTED, textAnchor="end"))
    for i, label in enumerate(labels):
        drawing.add(
            String(
                x_of(i),
                bottom - 11,
                _fit(label, REGULAR, 6.5, step - 2),
                fontName=REGULAR,
                fontSize=6.5,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
    if target is not None:
        y = y_of(target)
        drawing.add(Line(left, y, left + plot_w, y, strokeColor=INK, strokeWidth=0.8, strokeDashArray=[3, 2]))
        drawing.add(
            String(left + plot_w - 2, y + 2.5, "target", fontName=REGULAR, fontSize=6, fillColor=INK, textAnchor="end")
        )
    run: list[float] = []
    for i, value in enumerate(values):
        if value is None:
            if len(run) >= 4:
                drawing.add(PolyLine(run, strokeColor=colors.HexColor("#005EB8"), strokeWidth=1.4))
            run = []
            continue
        run.extend([x_of(i), y_of(value)])
    if len(run) >= 4:
        drawing.add(PolyLine(run, strokeColor=colors.HexColor("#005EB8"), strokeWidth=1.4))
    for i, value in enumerate(values):
        rag = rags[i] if i < len(rags) else "grey"
        if value is None:
            drawing.add(
                Circle(x_of(i), bottom, 2.6, fillColor=colors.white, strokeColor=RAG_COLOURS["grey"], strokeWidth=0.8)
            )
            continue
        drawing.add(
            Circle(
                x_of(i),
                y_of(value),
                3.2,
                fillColor=RAG_COLOURS.get(rag, RAG_COLOURS["grey"]),
                strokeColor=colors.white,
                strokeWidth=0.6,
            )
        )
    return drawing
