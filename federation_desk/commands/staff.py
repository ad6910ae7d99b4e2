"""Command line for HR: ``staff list``, ``staff import FILE --kind staff|training``, and
``report expiry-digest --out FILE.pdf|FILE.xlsx [--practice ODS] [--days 60]`` (``--each`` writes one PDF per
practice into a folder, for sending to each practice manager).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from federation_desk.commands import report_subparsers


def register(sub: Any) -> None:
    staff = sub.add_parser("staff", help="staff records and compliance")
    staff_sub = staff.add_subparsers(dest="staff_command", metavar="ACTION")
    listing = staff_sub.add_parser("list", help="list staff with their compliance status today")
    listing.add_argument("--practice", help="only staff employed by or working for this practice (ODS code)")
    listing.add_argument(
        "--status",
        choices=["current", "action", "expiring", "compliant", "all"],
        default="current",
        help="which people to list (default: current staff)",
    )
    listing.set_defaults(func=cmd_staff_list)
    importing = staff_sub.add_parser("import", help="import staff or training records from a CSV or Excel file")
    importing.add_argument("file", help="the .csv or .xlsx file")
    importing.add_argument("--kind", choices=["staff", "training"], default="staff")
    importing.add_argument("--check-only", action="store_true", help="check every row and write nothing")
    importing.set_defaults(func=cmd_staff_import)
    digest = report_subparsers(sub).add_parser(
        "expiry-digest", help="what each practice manager must chase: expired, missing and expiring items"
    )
    digest.add_argument("--out", "-o", required=True, help="a .pdf or .xlsx file (a folder with --each)")
    digest.add_argument("--practice", help="one practice (ODS code); default: every practice")
    digest.add_argument("--days", type=int, default=60, help="how far ahead to look (default 60)")
    digest.add_argument("--each", action="store_true", help="one PDF per practice, written into the --out folder")
    digest.set_defaults(func=cmd_expiry_digest)


def _practice_id(session: Any, ods: str | None) -> int | None:
    if not ods:
        return None
    from sqlalchemy import select

    from federation_desk.domain.organisation import Practice
    from federation_desk.errors import FederationDeskError

    found = session.scalar(select(Practice.id).where(Practice.ods_code == ods.strip().upper()))
    if found is None:
        raise FederationDeskError(
            f"No practice has the ODS code '{ods}'.", "Run 'practices list' to see each practice's ODS code."
        )
    return int(found)


def cmd_staff_list(args: argparse.Namespace) -> int:
    from federation_desk.cli import _database
    from federation_desk.services import staff as st
    from federation_desk.services.dates import format_date, today

    database = _database(args)
    try:
        with database.session() as session:
            practice = _practice_id(session, args.practice)
            rows = [r for r in st.list_staff(session, today()) if _keep(r, args.status, practice)]
    finally:
        database.dispose()
    print(f"{'Staff no.':<10} {'Name':<28} {'Role':<24} {'Employer':<28} {'Compliance':<22} {'Next expiry':<11}")
    for r in rows:
        print(
            f"{(r.staff_number or '')[:10]:<10} {r.name[:28]:<28} {r.role_name[:24]:<24} {r.employer[:28]:<28} "
            f"{r.status_text[:22]:<22} {format_date(r.next_expiry):<11}"
        )
    print(f"{len(rows)} people.")
    return 0


def _keep(row: Any, status: str, practice: int | None) -> bool:
    from federation_desk.services.compliance import ItemStatus

    action = (ItemStatus.EXPIRED, ItemStatus.MISSING)
    if practice is not None and practice not in row.practice_ids:
        return False
    if status == "all":
        return True
    if not row.current:
        return False
    return {
        "current": True,
        "action": row.status in action,
        "expiring": row.status is ItemStatus.EXPIRING,
        "compliant": row.status not in action,
    }[status]


def cmd_staff_import(args: argparse.Namespace) -> int:
    from federation_desk.cli import _database
    from federation_desk.services import importing as im
    from federation_desk.services.dates import today
    from federation_desk.services.progress import PrintProgress

    kind = im.ImportKind(args.kind)
    path = Path(args.file)
    table = im.read_table(path)
    database = _database(args)
    try:
        with database.session() as session:
            mapping = im.guess_mapping(table, kind, None, im.subject_key(session))
            preview = im.validate(session, table, kind, mapping, today(), PrintProgress())
        for note in preview.notes:
            print(note)
        print("Columns: " + "; ".join(f"{h} -> {m or 'not imported'}" for h, m in zip(table.headers, mapping)))
        for row in preview.rows:
            if not row.ok:
                print(f"  line {row.line}: {row.message}")
        print(preview.summary[:1].upper() + preview.summary[1:] + ".")
        if args.check_only:
            print("Checked only: nothing was written.")
            return 0
        with database.unit_of_work() as session:
            result = im.apply_import(session, preview, None, PrintProgress())
        print(result.message)
    finally:
        database.dispose()
    return 0


def cmd_expiry_digest(args: argparse.Namespace) -> int:
    from federation_desk.cli import _database
    from federation_desk.errors import FederationDeskError
    from federation_desk.reports.expiry_digest import expiry_digest_pdf, expiry_digests_per_practice
    from federation_desk.services import staff as st
    from federation_desk.services.dates import today

    out = Path(args.out)
    if not 1 <= args.days <= 366:
        raise FederationDeskError(f"--days {args.days} is out of range.", "Give a number of days from 1 to 366.")
    if not args.each and out.suffix.lower() not in (".pdf", ".xlsx"):
        raise FederationDeskError(
            f"The output file '{out.name}' should end in .pdf or .xlsx.", "Give a file name like digest.pdf."
        )
    database = _database(args)
    try:
        if args.each:
            for path in expiry_digests_per_practice(database, out, args.days):
                print(f"Wrote {path}")
            return 0
        with database.session() as session:
            practice = _practice_id(session, args.practice)
            if out.suffix.lower() == ".xlsx":
                digests = st.practice_digests(session, today(), args.days, None if practice is None else [practice])
                print(f"Wrote {st.export_digest_xlsx(digests, out)}")
                return 0
        print(f"Wrote {expiry_digest_pdf(database, out, practice, args.days)}")
    finally:
        database.dispose()
    return 0


def demo_pdf(database: Any, target: Path) -> Path:
    """``demo-pdfs``: every practice's expiry digest in one PDF."""
    from federation_desk.reports.expiry_digest import demo_pdf as build

    return build(database, target)
