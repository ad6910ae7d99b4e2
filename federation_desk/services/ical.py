"""iCalendar (.ics) export of rota sessions: one person or everyone, in Europe/London with its VTIMEZONE, and
stable UIDs (one per session and person) so a calendar that re-imports or subscribes to the file updates its
entries instead of duplicating them. Publishing a week can rewrite one file per person into a shared folder.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation_desk import APP_NAME, __version__
from federation_desk.domain.staff import StaffMember
from federation_desk.errors import FederationDeskError, ValidationError
from federation_desk.services import rota
from federation_desk.services.changes import Changes
from federation_desk.services.dates import LONDON
from federation_desk.services.progress import NullProgress, Progress

UID_DOMAIN = "rota.federation-desk"
FOLDER_KEY = "rota.ics_folder"
SHARE_WEEKS_BACK, SHARE_WEEKS_AHEAD = 4, 26


def event_uid(session_id: int, staff_id: int) -> str:
    """The same session for the same person always has the same UID."""
    return f"session-{session_id}-staff-{staff_id}@{UID_DOMAIN}"


def build_calendar(rows: list[rota.SessionRow], staff_id: int | None, name: str) -> bytes:
    from icalendar import Calendar, Event  # imported by the export's worker, not when the rota page opens

    cal = Calendar()
    cal.add("prodid", f"-//{APP_NAME}//{__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/London")
    stamp = datetime.now(UTC).replace(microsecond=0)
    for row in rows:
        for a in row.assignees:
            if staff_id is not None and a.staff_id != staff_id:
                continue
            ev = Event()
            ev.add("uid", event_uid(row.id, a.staff_id))
            ev.add("dtstamp", stamp)
            ev.add("dtstart", row.starts_at.astimezone(LONDON))
            ev.add("dtend", row.ends_at.astimezone(LONDON))
            who = "" if staff_id is not None else f"{a.name}: "
            ev.add("summary", f"{who}{row.title} ({row.role_name})")
            ev.add("location", row.site_name)
            details = [f"Service: {row.service_name}", f"Role: {row.role_name}"]
            if row.notes:
                details.append(row.notes)
            ev.add("description", "\n".join(details))
            ev.add("sequence", row.version + a.version)
            ev.add("categories", [row.service_name])
            cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


def _rows_for(session: Session, staff_id: int | None, start: date, end: date) -> list[rota.SessionRow]:
    if staff_id is not None:
        return rota.person_calendar(session, staff_id, start, end)
    return [r for r in rota.list_sessions(session, start, end) if r.assignees]


def export_ics(session: Session, target: Path, start: date, end: date, staff_id: int | None = None) -> Path:
    """Write the sessions of one person (or everyone) between ``start`` and ``end`` to ``target``."""
    if end < start:
        raise ValidationError("The end date is before the start date.", "Choose a period that ends after it starts.")
    name = "Rota: everyone"
    if staff_id is not None:
        person = session.get(StaffMember, staff_id)
        if person is None:
            raise ValidationError("That member of staff no longer exists.", "Refresh and choose again.")
        name = f"Rota: {person.display_name}"
    data = build_calendar(_rows_for(session, staff_id, start, end), staff_id, name)
    return _write_atomically(Path(target), data)


def _write_atomically(target: Path, data: bytes) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        raise FederationDeskError(
            f"The calendar file {target} could not be written ({exc.strerror or exc}).",
            "Check the folder exists and you may write to it, then try again.",
        ) from exc
    return target


def file_name_for(staff_number: str | None, staff_id: int, name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L")).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-").lower() or "staff"
    return f"{staff_number or f'staff{staff_id}'}-{slug}.ics"


@dataclass(frozen=True)
class ShareResult:
    folder: Path
    files: tuple[Path, ...]
    changes: Changes


def write_person_files(
    session: Session, folder: Path, start: date, end: date, progress: Progress | None = None
) -> list[Path]:
    """One .ics per person with sessions in the period, rewritten in place (same file name each time)."""
    progress = progress or NullProgress()
    rows = [r for r in rota.list_sessions(session, start, end) if r.assignees]
    staff_ids = sorted({a.staff_id for r in rows for a in r.assignees})
    people = {
        sid: (number, f"{pref or given} {family}".strip())
        for sid, number, given, pref, family in session.execute(
            select(
                StaffMember.id,
                StaffMember.staff_number,
                StaffMember.given_name,
                StaffMember.preferred_name,
                StaffMember.family_name,
            ).where(StaffMember.id.in_(staff_ids))
        ).all()
    }
    by_person: dict[int, list[rota.SessionRow]] = {}
    for r in rows:
        for a in r.assignees:
            by_person.setdefault(a.staff_id, []).append(r)
    written: list[Path] = []
    for n, sid in enumerate(staff_ids):
        if n % 25 == 0:
            progress.update(n, len(staff_ids), "Writing calendar files ...")
        number, name = people.get(sid, (None, f"staff {sid}"))
        data = build_calendar(by_person[sid], sid, f"Rota: {name}")
        written.append(_write_atomically(folder / file_name_for(number, sid, name), data))
    return written


def publish_and_share(session: Session, week_start: date, progress: Progress | None = None) -> ShareResult | Changes:
    """Publish a week and, if a shared calendar folder is configured, rewrite everyone's .ics file there."""
    changes = rota.publish_week(session, week_start)
    folder_text = rota.get_parameter(session, FOLDER_KEY)
    if not folder_text:
        return changes
    folder = Path(folder_text)
    if not folder.is_dir():
        raise FederationDeskError(
            f"The shared calendar folder {folder} cannot be found, so the week was not published.",
            "Check the network drive is connected, or change the folder in the rota settings, then publish again.",
        )
    monday = rota.monday_of(week_start)
    files = write_person_files(
        session,
        folder,
        monday - timedelta(weeks=SHARE_WEEKS_BACK),
        monday + timedelta(weeks=SHARE_WEEKS_AHEAD),
        progress,
    )
    message = f"{changes.message} {len(files)} calendar files updated in {folder}."
    return ShareResult(folder, tuple(files), Changes(changes.kinds, changes.ids, message))
