"""Command line for the rota:

federation-desk-cli --db DB rota export-ics --out FILE.ics [--staff FD00012] [--from dd/mm/yyyy --to dd/mm/yyyy]
federation-desk-cli --db DB rota write-calendars --folder FOLDER [--from ... --to ...]
federation-desk-cli --db DB rota vacancies [--from ... --to ...]
federation-desk-cli --db DB rota recharge --from ... --to ... --out FILE.xlsx
federation-desk-cli --db DB report rota-grid --week dd/mm/yyyy -o FILE.pdf
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from federation_desk.commands import report_subparsers
from federation_desk.errors import FederationDeskError


def _date(text: str) -> date:
    from federation_desk.services.dates import DateParseError, parse_date

    try:
        return parse_date(text)
    except DateParseError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _database(args: argparse.Namespace) -> Any:
    from federation_desk.services.startup import open_database

    return open_database(args.db).database


def _period(args: argparse.Namespace, weeks: int = 6) -> tuple[date, date]:
    from federation_desk.services.dates import today

    start = args.start or today()
    end = args.end or start + timedelta(weeks=weeks, days=-1)
    return start, end


def register(sub: Any) -> None:
    rota = sub.add_parser("rota", help="rota sessions: calendars, vacancies, recharges")
    actions = rota.add_subparsers(dest="rota_command", metavar="ACTION")

    def period(p: argparse.ArgumentParser) -> None:
        p.add_argument("--from", dest="start", type=_date, help="first date (dd/mm/yyyy; default today)")
        p.add_argument("--to", dest="end", type=_date, help="last date (default six weeks on)")

    ics = actions.add_parser("export-ics", help="write sessions as an iCalendar file (one person or everyone)")
    ics.add_argument("--out", required=True)
    ics.add_argument("--staff", help="staff number (default: everyone)")
    period(ics)
    ics.set_defaults(func=cmd_export_ics)
    cal = actions.add_parser("write-calendars", help="rewrite one .ics file per person into a folder")
    cal.add_argument("--folder", required=True)
    period(cal)
    cal.set_defaults(func=cmd_write_calendars)
    vac = actions.add_parser("vacancies", help="list unfilled sessions")
    period(vac)
    vac.set_defaults(func=cmd_vacancies)
    rc = actions.add_parser("recharge", help="hours per person per practice and service, to Excel")
    period(rc)
    rc.add_argument("--out", required=True)
    rc.set_defaults(func=cmd_recharge)
    grid = report_subparsers(sub).add_parser("rota-grid", help="the week grid (landscape PDF)")
    grid.add_argument("--week", type=_date, help="any date in the week (default this week)")
    grid.add_argument("-o", "--out", required=True)
    grid.set_defaults(func=cmd_rota_grid)


def _staff_id(session: Any, number: str) -> int:
    from sqlalchemy import select

    from federation_desk.domain.staff import StaffMember

    sid = session.scalar(select(StaffMember.id).where(StaffMember.staff_number == number.strip().upper()))
    if sid is None:
        raise FederationDeskError(
            f"No member of staff has the staff number {number}.", "Check the number and try again."
        )
    return int(sid)


def cmd_export_ics(args: argparse.Namespace) -> int:
    from federation_desk.services.ical import export_ics

    start, end = _period(args)
    database = _database(args)
    try:
        with database.session() as s:
            staff = _staff_id(s, args.staff) if args.staff else None
            path = export_ics(s, Path(args.out), start, end, staff)
    finally:
        database.dispose()
    print(f"Wrote {path}")
    return 0


def cmd_write_calendars(args: argparse.Namespace) -> int:
    from federation_desk.services.ical import write_person_files

    start, end = _period(args, 26)
    folder = Path(args.folder)
    if not folder.is_dir():
        raise FederationDeskError(f"The folder {folder} does not exist.", "Create it or give another folder.")
    database = _database(args)
    try:
        with database.session() as s:
            files = write_person_files(s, folder, start, end)
    finally:
        database.dispose()
    print(f"Wrote {len(files)} calendar files into {folder}")
    return 0


def cmd_vacancies(args: argparse.Namespace) -> int:
    from federation_desk.services.dates import format_date
    from federation_desk.services.rota import list_vacancies

    start, end = _period(args, 2)
    database = _database(args)
    try:
        with database.session() as s:
            rows = list_vacancies(s, start, end)
    finally:
        database.dispose()
    print(f"{'Date':<11} {'Time':<16} {'Site':<34} {'Role':<24} {'Vacant':>6}")
    for r in rows:
        day, site, role = format_date(r.session_date), r.site_name[:34], r.role_name[:24]
        print(f"{day:<11} {r.time_text:<16} {site:<34} {role:<24} {r.missing:>6}")
    print(f"{len(rows)} sessions with {sum(r.missing for r in rows)} vacant places.")
    return 0


def cmd_recharge(args: argparse.Namespace) -> int:
    from federation_desk.services.recharge import export_recharge_xlsx, recharge_summary

    start, end = _period(args, 4)
    database = _database(args)
    try:
        with database.session() as s:
            rows = recharge_summary(s, start, end)
    finally:
        database.dispose()
    print(f"Wrote {export_recharge_xlsx(rows, Path(args.out), start, end)} ({len(rows)} lines)")
    return 0


def cmd_rota_grid(args: argparse.Namespace) -> int:
    from federation_desk.reports.rota_grid import week_grid_pdf
    from federation_desk.services.dates import today

    database = _database(args)
    try:
        path = week_grid_pdf(database, Path(args.out), args.week or today())
    finally:
        database.dispose()
    print(f"Wrote {path}")
    return 0


def demo_pdf(database: Any, target: Path) -> Path:
    """The demo's week grid: the week after the demo's "today" (for ``demo-pdfs``)."""
    from federation_desk.reports.rota_grid import week_grid_pdf
    from federation_desk.services.dates import today

    return week_grid_pdf(database, target, today() + timedelta(days=7))
