"""Command-line tenders: ``bidpack TENDER_REF -o FILE.pdf`` (the same bid pack the app builds), ``tenders list``
and ``tenders import NOTICE.json`` (an OCDS release or record package)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def _database(args: argparse.Namespace) -> Any:
    from federation_desk.services.startup import open_database

    return open_database(args.db).database


def cmd_bidpack(args: argparse.Namespace) -> int:
    from federation_desk.reports.bid_pack import build_bid_pack
    from federation_desk.services.bid_pack import BidPackBlocked, bid_pack_filename
    from federation_desk.services.progress import PrintProgress

    database = _database(args)
    try:
        target = Path(args.output) if args.output else Path(bid_pack_filename(args.reference))
        try:
            built = build_bid_pack(database, args.reference, target, PrintProgress())
        except BidPackBlocked as blocked:
            print(f"The bid pack for {blocked.preflight.reference} was not built. Fix these first:", file=sys.stderr)
            for problem in blocked.preflight.blockers:
                print(f"  - {problem.message}", file=sys.stderr)
            return 1
    finally:
        database.dispose()
    for warning in built.warnings:
        print(f"  Note: {warning.message}")
    print(f"Wrote {built.path} ({built.pages} pages, {built.appendices} evidence files appended).")
    return 0


def cmd_tenders_list(args: argparse.Namespace) -> int:
    from federation_desk.services.dates import format_date, today
    from federation_desk.services.tenders import list_tenders, value_text

    database = _database(args)
    try:
        with database.session() as session:
            rows = list_tenders(session, today())
    finally:
        database.dispose()
    print(f"{'Reference':<12} {'Status':<14} {'Submission':<11} {'Value':>12}  {'Buyer':<34} Title")
    for r in rows:
        print(
            f"{r.reference:<12} {r.status.label:<14} {format_date(r.submission_deadline):<11} "
            f"{value_text(r.estimated_value):>12}  {(r.buyer_name or '')[:34]:<34} {r.title}"
        )
    print(f"{len(rows)} tender{'s' if len(rows) != 1 else ''}.")
    return 0


def cmd_tenders_import(args: argparse.Namespace) -> int:
    from federation_desk.services.dates import today
    from federation_desk.services.ocds import import_notice_file

    database = _database(args)
    try:
        with database.unit_of_work() as session:
            result = import_notice_file(session, Path(args.file), today())
    finally:
        database.dispose()
    print(result.summary)
    for warning in result.warnings:
        print(f"  Note: {warning}")
    return 0


def demo_pdf(database: Any, path: Path) -> Path:
    """The demo's complete bid, for ``demo-pdfs``."""
    from federation_desk.reports.bid_pack import build_bid_pack
    from federation_desk.services.demo_tenders import complete_bid_reference

    with database.session() as session:
        reference = complete_bid_reference(session)
    return build_bid_pack(database, reference, path).path


def register(sub: Any) -> None:
    bidpack = sub.add_parser("bidpack", help="build a tender's bid pack PDF (the pre-flight check runs first)")
    bidpack.add_argument("reference", metavar="TENDER_REF", help="the tender's reference, e.g. T-2026-007")
    bidpack.add_argument("-o", "--output", metavar="FILE.pdf", help="where to write the PDF")
    bidpack.set_defaults(func=cmd_bidpack)

    tenders = sub.add_parser("tenders", help="tenders in the pipeline")
    tenders_sub = tenders.add_subparsers(dest="tenders_command", metavar="ACTION")
    tenders_sub.add_parser("list", help="list tenders with status, deadline and buyer").set_defaults(
        func=cmd_tenders_list
    )
    importing = tenders_sub.add_parser("import", help="create or update a tender from an OCDS notice (JSON)")
    importing.add_argument("file", metavar="NOTICE.json")
    importing.set_defaults(func=cmd_tenders_import)
