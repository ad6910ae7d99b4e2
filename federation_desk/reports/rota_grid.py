"""The printable week grid: A4 landscape, sites down the side and Monday to Sunday across, each session with
its time, role and who is booked; vacancies stand out in red. Sites run on over as many pages as they need, with
the day header repeated."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from federation_desk.reports.flowables import Heading, escape, markup_paragraph, style
from federation_desk.reports.styles import BRAND, RAG_COLOURS, RULE, ZEBRA
from federation_desk.reports.templates import ReportDocument, ReportInfo, generated_line, write_pdf_atomically
from federation_desk.services.dates import format_date
from federation_desk.services.progress import NullProgress, Progress
from federation_desk.services.rota import SessionRow, WeekGrid

VACANT_COLOUR = RAG_COLOURS["red"].hexval()[2:]


def _session_markup(row: SessionRow) -> str:
    colour = (row.colour or "#4C6272").lstrip("#")
    parts = [
        f'<font color="#{colour}"><b>{escape(row.time_text)}</b></font> {escape(row.role_name)}',
        f'<font size="7" color="#4C6272">{escape(row.title)}</font>',
    ]
    for a in row.assignees:
        mark = " *" if a.override_reason else ""
        parts.append(f"{escape(a.name)}{mark}")
    if row.missing:
        label = "VACANT" if row.missing == 1 else f"VACANT x{row.missing}"
        parts.append(f'<font color="#{VACANT_COLOUR}"><b>{label}</b></font>')
    return "<br/>".join(parts)


def grid_story(grid: WeekGrid, width: float, progress: Progress) -> list[Flowable]:
    days = [f"{d:%a}<br/>{format_date(d)}" for d in grid.days]
    site_width = width * 0.13
    day_width = (width - site_width) / 7
    header = [Paragraph("Site", style("CellHeader"))] + [Paragraph(d, style("CellHeader")) for d in days]
    data: list[list[object]] = [header]
    commands: list[tuple[object, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BRAND),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for i, site in enumerate(grid.sites, start=1):
        progress.update(i, len(grid.sites), "Laying out the week grid ...")
        row: list[object] = [
            Paragraph(f"<b>{escape(site.name)}</b>" + ("<br/>Hub" if site.is_hub else ""), style("Cell"))
        ]
        for d in grid.days:
            sessions = grid.cells.get((site.id, d), ())
            blocks: list[object] = [Paragraph(_session_markup(s), style("Cell")) for s in sessions]
            if any(s.missing for s in sessions):
                commands.append(
                    ("BACKGROUND", (grid.days.index(d) + 1, i), (grid.days.index(d) + 1, i), colors.HexColor("#FCEDEC"))
                )
            row.append(blocks or "")
        data.append(row)
        if i % 2 == 0:
            commands.append(("BACKGROUND", (0, i), (0, i), ZEBRA))
    table = Table(data, colWidths=[site_width] + [day_width] * 7, repeatRows=1, hAlign="LEFT", splitByRow=1)
    table.setStyle(TableStyle(commands))
    return [table]


def build_rota_grid_pdf(
    grid: WeekGrid, target: Path, organisation: str, author: str, progress: Progress | None = None
) -> Path:
    progress = progress or NullProgress()
    title = f"Rota: week beginning {format_date(grid.week_start)}"
    info = ReportInfo(
        title=title,
        author=author,
        organisation=organisation,
        subject="Week grid of rota sessions",
        reference=f"Rota {format_date(grid.week_start)}",
        confidentiality="Staff in confidence",
        landscape=True,
    )

    def build(path: Path) -> None:
        doc = ReportDocument(path, info, progress)
        status = "Published" if grid.published else "Draft (not yet published)"
        if grid.published and grid.published_by:
            status += f" by {grid.published_by}"
        sessions = grid.sessions
        places = sum(s.needed for s in sessions)
        story: list[Flowable] = [
            Heading(title, "H1", toc_level=0),
            markup_paragraph(
                f"{escape(status)}. {len(sessions)} sessions at {len(grid.sites)} sites; {places - grid.vacancies} of "
                f'{places} places filled; <font color="#{VACANT_COLOUR}"><b>{grid.vacancies} vacant</b></font>. '
                "Times are UK time (Europe/London). * = booked by override with a recorded reason.",
                "BodySmall",
            ),
            generated_line(datetime.now(UTC), author),
            Spacer(1, 4),
        ]
        if not grid.sites:
            story.append(markup_paragraph("No sessions are planned in this week.", "Muted"))
        else:
            story.extend(grid_story(grid, doc.width, progress))
        doc.build_story(story)

    return write_pdf_atomically(Path(target), build)


def week_grid_pdf(
    database: object,
    target: Path,
    week_start: date,
    site_ids: list[int] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Gather the week and build its PDF (the app's Print button and the command line call this)."""
    from federation_desk.services.organisation import get_federation
    from federation_desk.services.rota import week_grid

    with database.session() as session:  # type: ignore[attr-defined]
        grid = week_grid(session, week_start, site_ids)
        fed = get_federation(session)
    return build_rota_grid_pdf(grid, target, fed.name if fed else "", database.actor, progress)  # type: ignore[attr-defined]
