"""The per-practice expiry digest: what a practice manager must chase, one practice per section (each starting on a
new page, with a contents page and bookmarks when there are several), or one practice on its own to send.

Each section: a summary line, then three tables: already expired, never recorded, and what expires in the coming
weeks (grouped by the week it falls in), each row with its warning lead time. Names print literally.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer

from federation_desk.reports.flowables import Heading, escape, markup_paragraph
from federation_desk.reports.tables import ColumnSpec, build_table
from federation_desk.reports.templates import (
    ReportDocument,
    ReportInfo,
    contents_page,
    generated_line,
    start_body,
    write_pdf_atomically,
)
from federation_desk.services.compliance import ExpiryRow, week_start
from federation_desk.services.dates import format_date
from federation_desk.services.progress import NullProgress, Progress
from federation_desk.services.staff import DigestSet, PracticeDigest

PERSON = ColumnSpec("Name", lambda r: r.staff_name, 1.3)
ROLE = ColumnSpec("Role", lambda r: r.role, 1.1)
ITEM = ColumnSpec("Item", lambda r: r.item, 1.7)
DETAIL = ColumnSpec("Detail", lambda r: r.detail, 1.9)

EXPIRED_COLUMNS = [
    ColumnSpec("Expired", lambda r: format_date(r.expires_on), 0.95),
    PERSON,
    ROLE,
    ITEM,
    ColumnSpec("Days ago", lambda r: -(r.days_left or 0), 0.55, "right"),
]
MISSING_COLUMNS = [PERSON, ROLE, ITEM, DETAIL]
UPCOMING_COLUMNS = [
    ColumnSpec("Expires", lambda r: format_date(r.expires_on), 0.95),
    PERSON,
    ROLE,
    ITEM,
    ColumnSpec("Warn from", lambda r: format_date(r.warn_from), 0.95),
    ColumnSpec("Chase", lambda r: "now" if r.within_lead_time else "later", 0.55),
]


def _rag(row: ExpiryRow) -> str | None:
    if row.status.value in ("expired", "missing"):
        return "red"
    return "amber" if row.within_lead_time else None


def digest_section(digest: PracticeDigest, digests: DigestSet, width: float, progress: Progress) -> list[Flowable]:
    title = digest.name if not digest.ods_code else f"{digest.name} ({digest.ods_code})"
    story: list[Flowable] = [Heading(title, "H1", toc_level=0)]
    to = f"For {escape(digest.manager)}" + (f" ({escape(digest.manager_email)})" if digest.manager_email else "")
    lines = [to + "." if digest.manager else "For the practice manager."]
    lines.append(
        f"{digest.staff} staff; {digest.compliant} fully compliant on {format_date(digests.on)}. "
        f"<b>{len(digest.expired)}</b> item{'s have' if len(digest.expired) != 1 else ' has'} expired, "
        f"<b>{len(digest.missing)}</b> never recorded, and <b>{len(digest.upcoming)}</b> expire in the next "
        f"{digests.horizon_days} days."
    )
    story.append(markup_paragraph("<br/>".join(lines), "Body"))
    if not digest.rows:
        story.append(markup_paragraph("Nothing needs chasing: every item is in date beyond the coming weeks.", "Body"))
        return story
    expired = build_table(EXPIRED_COLUMNS, digest.expired, width, progress, "Nothing has expired.", 0, _rag)
    missing = build_table(MISSING_COLUMNS, digest.missing, width, progress, "Every required item has a record.")
    for title, table in (("Already expired", expired), ("Never recorded", missing)):
        story.append(KeepTogether([markup_paragraph(title, "H2"), table]))
    story.append(markup_paragraph(f"Expiring in the next {digests.horizon_days} days", "H2"))
    upcoming = digest.upcoming
    if not upcoming:
        story.append(markup_paragraph("Nothing expires in this period.", "Muted"))
    weeks: dict[Any, list[ExpiryRow]] = {}
    for row in upcoming:
        weeks.setdefault(week_start(row.expires_on), []).append(row)  # type: ignore[arg-type]
    for monday, rows in sorted(weeks.items()):
        heading = markup_paragraph(f"<b>Week commencing {format_date(monday)}</b> ({len(rows)})", "Body")
        table = build_table(UPCOMING_COLUMNS, rows, width, progress, "", 0, _rag)
        # A week's heading never sits alone at the foot of a page.
        story.append(KeepTogether([heading, table]) if len(rows) <= 25 else heading)
        if len(rows) > 25:
            story.append(table)
        story.append(Spacer(1, 4))
    return story


def build_digest_pdf(digests: DigestSet, target: Path, author: str, progress: Progress | None = None) -> Path:
    """One PDF: a single practice's digest, or every practice's with a contents page."""
    progress = progress or NullProgress()
    several = len(digests.digests) > 1
    title = (
        "Staff compliance digest"
        if several
        else f"Staff compliance digest: {digests.digests[0].name}"
        if digests.digests
        else "Staff compliance digest"
    )
    info = ReportInfo(
        title=title,
        author=author,
        organisation=digests.federation,
        subject="Expired, missing and expiring staff compliance items per practice",
        reference=f"Digest {format_date(digests.on)}",
        confidentiality="Staff in confidence",
    )

    def build(path: Path) -> None:
        doc = ReportDocument(path, info, progress)
        story: list[Flowable] = [
            markup_paragraph(escape(title), "CoverTitle"),
            markup_paragraph(escape(digests.federation), "CoverSub"),
            markup_paragraph(
                f"On {format_date(digests.on)}: what has expired, what was never recorded, and what expires in the "
                f"next {digests.horizon_days} days. Each item type has its own warning lead time (for example 90 "
                "days for registrations and 30 for training); rows inside it say 'now' under Chase.",
                "Body",
            ),
            generated_line(datetime.now(UTC), author),
        ]
        if several:
            story.append(Spacer(1, 8))
            story.append(_summary_table(digests.digests, doc.width))
        story += start_body()
        if several:
            story += contents_page()
        for i, digest in enumerate(digests.digests):
            progress.update(i, len(digests.digests), f"Laying out {digest.name} ...")
            if i:
                story.append(PageBreak())
            story += digest_section(digest, digests, doc.width, progress)
        if not digests.digests:
            story.append(markup_paragraph("There are no practices to report on.", "Body"))
        doc.build_story(story)

    return write_pdf_atomically(Path(target), build)


def _summary_table(digests: Sequence[PracticeDigest], width: float) -> Flowable:
    columns = [
        ColumnSpec("Practice", lambda d: d.name, 2.4),
        ColumnSpec("Staff", lambda d: d.staff, 0.6, "right"),
        ColumnSpec("Compliant", lambda d: d.compliant, 0.8, "right"),
        ColumnSpec("Expired", lambda d: len(d.expired), 0.7, "right"),
        ColumnSpec("Missing", lambda d: len(d.missing), 0.7, "right"),
        ColumnSpec("Expiring", lambda d: len(d.upcoming), 0.7, "right"),
    ]
    return build_table(columns, list(digests), width)


def expiry_digest_pdf(
    database: Any,
    target: Path,
    practice_id: int | None = None,
    horizon_days: int = 60,
    on: Any = None,
    progress: Progress | None = None,
) -> Path:
    """Gather the digest (one practice, or all) and build its PDF: the app, the Reports page and the command line
    call this."""
    from federation_desk.services.staff import practice_digests

    with database.session() as session:
        digests = practice_digests(session, on, horizon_days, None if practice_id is None else [practice_id])
    return build_digest_pdf(digests, target, database.actor, progress)


def expiry_digests_per_practice(
    database: Any, folder: Path, horizon_days: int = 60, on: Any = None, progress: Progress | None = None
) -> list[Path]:
    """One PDF per practice in ``folder`` (to send each practice manager theirs), named by ODS code."""
    from federation_desk.services.staff import practice_digests

    progress = progress or NullProgress()
    with database.session() as session:
        digests = practice_digests(session, on, horizon_days)
    written = []
    for i, digest in enumerate(digests.digests):
        progress.update(i, len(digests.digests), f"Writing the digest for {digest.name} ...")
        one = DigestSet(digests.on, digests.horizon_days, digests.federation, (digest,))
        name = f"expiry-digest-{digest.ods_code or 'federation'}.pdf"
        written.append(build_digest_pdf(one, Path(folder) / name, database.actor))
    return written


def demo_pdf(database: Any, target: Path) -> Path:
    """``demo-pdfs``: every practice's digest in one PDF."""
    return expiry_digest_pdf(database, target)
