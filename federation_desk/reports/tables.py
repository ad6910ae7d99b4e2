"""Tables from column specs: escaped cells, a header repeated on every page, zebra rows, progress for long ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from federation_desk.reports.flowables import escape, style
from federation_desk.reports.styles import BRAND, RAG_COLOURS, RAG_TEXT, RULE, ZEBRA
from federation_desk.services.progress import NullProgress, Progress


@dataclass(frozen=True)
class ColumnSpec:
    title: str
    value: Callable[[Any], object]
    width: float = 1.0  # relative share of the table width
    align: str = "left"  # left / right / centre


_ALIGN_STYLE = {"left": "Cell", "right": "CellRight", "centre": "CellCentre"}


def cell(text: object, align: str = "left") -> Paragraph:
    return Paragraph(escape(text), style(_ALIGN_STYLE[align]))


def build_table(
    columns: Sequence[ColumnSpec],
    rows: Sequence[Any],
    width: float,
    progress: Progress | None = None,
    empty_text: str = "None.",
    rag_column: int | None = None,
    rag_of: Callable[[Any], str | None] | None = None,
) -> Flowable:
    """A table of ``rows`` laid out by ``columns``. ``rag_of(row)`` colours cell ``rag_column`` red/amber/green."""
    progress = progress or NullProgress()
    if not rows:
        return Paragraph(escape(empty_text), style("Muted"))
    total_share = sum(c.width for c in columns)
    col_widths = [width * c.width / total_share for c in columns]
    data: list[list[Any]] = [[Paragraph(escape(c.title), style("CellHeader")) for c in columns]]
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BRAND),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for i, row in enumerate(rows, start=1):
        if i % 200 == 0:
            progress.update(i, len(rows), "Building tables ...")
        data.append([cell(c.value(row), c.align) for c in columns])
        if i % 2 == 0:
            commands.append(("BACKGROUND", (0, i), (-1, i), ZEBRA))
        if rag_column is not None and rag_of is not None:
            rag = rag_of(row)
            if rag in RAG_COLOURS:
                commands.append(("BACKGROUND", (rag_column, i), (rag_column, i), RAG_COLOURS[rag]))
                data[i][rag_column] = Paragraph(
                    f'<font color="{RAG_TEXT[rag].hexval()[2:] and "#" + RAG_TEXT[rag].hexval()[2:]}">'
                    f"{escape(columns[rag_column].value(row))}</font>",
                    style(_ALIGN_STYLE[columns[rag_column].align]),
                )
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def key_value_table(pairs: Sequence[tuple[str, object]], width: float) -> Table:
    """Label/value pairs (organisation details, report parameters)."""
    data = [[Paragraph(f"<b>{escape(k)}</b>", style("Cell")), cell(v)] for k, v in pairs]
    table = Table(data, colWidths=[width * 0.32, width * 0.68], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#F0F4F5")),
            ]
        )
    )
    return table
