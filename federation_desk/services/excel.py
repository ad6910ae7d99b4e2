"""Writing lists to Excel (.xlsx) with openpyxl: a header row, typed cells (dates as dates, numbers as numbers),
optional fill colours, frozen panes and sensible column widths. Any module may reuse it.

Text that Excel would run as a formula (a cell starting with =, +, - or @) is written with a leading apostrophe
so a name such as "=HYPERLINK(...)" stays text (CSV/formula injection).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from federation_desk.services.progress import NullProgress, Progress

DATE_FORMAT = "DD/MM/YYYY"
MAX_WIDTH = 60
_FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class SheetColumn:
    title: str
    value: Callable[[Any], object]
    width: int | None = None  # characters; worked out from the values when None
    fill: Callable[[Any], str | None] | None = None  # "RRGGBB" background for the cell, or None
    comment: Callable[[Any], str | None] | None = None  # a note on the cell (shown on hover in Excel)


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[SheetColumn]
    rows: Sequence[Any]
    heading: str = ""  # a line above the table (what the sheet shows and when it was produced)
    freeze_columns: int = 1


def safe_text(value: str) -> str:
    """Text Excel will not run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def sheet_title(text: str, used: set[str]) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    cleaned = "".join("-" if ch in "[]:*?/\\" else ch for ch in text).strip("'") or "Sheet"
    title = cleaned[:31]
    n = 2
    while title.casefold() in {u.casefold() for u in used}:
        suffix = f" ({n})"
        title = cleaned[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title)
    return title


def write_workbook(path: Path, sheets: Sequence[Sheet], progress: Progress | None = None) -> Path:
    """Write ``sheets`` to ``path`` (through a temporary file renamed into place)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    progress = progress or NullProgress()
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="005EB8")
    fills: dict[str, PatternFill] = {}
    total = sum(len(s.rows) for s in sheets) or 1
    done = 0
    for sheet in sheets:
        ws = workbook.create_sheet(sheet_title(sheet.title, used))
        first = 1
        if sheet.heading:
            ws.cell(row=1, column=1, value=safe_text(sheet.heading)).font = Font(bold=True, size=12)
            first = 3
        widths = [len(c.title) for c in sheet.columns]
        for j, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=first, column=j, value=column.title)
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        for i, row in enumerate(sheet.rows, start=first + 1):
            for j, column in enumerate(sheet.columns, start=1):
                value = column.value(row)
                if isinstance(value, str):
                    value = safe_text(value)
                elif value is not None and not isinstance(value, int | float | date | datetime | bool):
                    value = str(value)
                cell = ws.cell(row=i, column=j, value=value)
                if isinstance(value, date | datetime):
                    cell.number_format = DATE_FORMAT
                    widths[j - 1] = max(widths[j - 1], 10)
                elif value is not None:
                    widths[j - 1] = max(widths[j - 1], min(MAX_WIDTH, len(str(value))))
                if column.fill is not None:
                    colour = column.fill(row)
                    if colour:
                        fill = fills.get(colour)
                        if fill is None:
                            fill = fills[colour] = PatternFill("solid", fgColor=colour)
                        cell.fill = fill
                if column.comment is not None:
                    note = column.comment(row)
                    if note:
                        cell.comment = Comment(note, "Federation Desk")
            done += 1
            if done % 500 == 0:
                progress.update(done, total, f"Writing {sheet.title} ...")
        for j, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(j)].width = (column.width or widths[j - 1]) + 2
        ws.freeze_panes = ws.cell(row=first + 1, column=sheet.freeze_columns + 1)
        if sheet.rows:
            ws.auto_filter.ref = f"A{first}:{get_column_letter(len(sheet.columns))}{first + len(sheet.rows)}"
    if not sheets:
        workbook.create_sheet("Empty")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        workbook.save(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
