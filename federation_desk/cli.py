"""``federation-desk-cli``: the same services and reports as the app, headless, for scripts and scheduled jobs.

    federation-desk-cli --version
    federation-desk-cli --db PATH_OR_URL demo [--practices N --staff N --seed S] [--force]
    federation-desk-cli --db PATH_OR_URL db upgrade
    federation-desk-cli --db PATH_OR_URL practices list
    federation-desk-cli --db PATH_OR_URL snapshot --out FOLDER
    federation-desk-cli --db PATH_OR_URL demo-pdfs --out FOLDER

Modules add their own commands (report, bidpack, tenders list, contracts list ...) through COMMAND_MODULES.
Errors are printed as plain English with what to do, and the exit code is 1 (2 for a wrong command line).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from federation_desk import APP_NAME, __version__
from federation_desk.errors import FederationDeskError

# Modules whose ``register(subparsers)`` adds commands; a module adds its name here when it lands.
COMMAND_MODULES: tuple[str, ...] = (
    "federation_desk.commands.tenders",
    "federation_desk.commands.contracts",
    "federation_desk.commands.db_admin",
    "federation_desk.commands.rota",
    "federation_desk.commands.staff",
    "federation_desk.commands.indemnity",
)

# Demo PDFs written by ``demo-pdfs``: (file name, producer(database, path)). Modules with reports add theirs.
DEMO_PDFS: list[tuple[str, Callable[[Any, Path], Path]]] = [
    ("bid-pack.pdf", lambda db, p: importlib.import_module("federation_desk.commands.tenders").demo_pdf(db, p)),
    (
        "compliance-report.pdf",
        lambda db, p: importlib.import_module("federation_desk.commands.contracts").demo_pdf(db, p),
    ),
    (
        "rota-week-grid.pdf",
        lambda db, p: importlib.import_module("federation_desk.commands.rota").demo_pdf(db, p),
    ),
    ("expiry-digest.pdf", lambda db, p: importlib.import_module("federation_desk.commands.staff").demo_pdf(db, p)),
]


def _database(args: argparse.Namespace) -> Any:
    from federation_desk.services.startup import open_database

    return open_database(args.db).database


def _require_db(args: argparse.Namespace) -> None:
    if not args.db:
        from federation_desk.paths import default_database_path

        args.db = str(default_database_path())


def cmd_demo(args: argparse.Namespace) -> int:
    from federation_desk.db.engine import parse_location
    from federation_desk.services.demo import DemoScale, build_demo
    from federation_desk.services.progress import PrintProgress
    from federation_desk.services.startup import open_database

    location = parse_location(args.db)
    path = location.sqlite_path
    if path is not None and path.exists():
        if not args.force:
            raise FederationDeskError(f"{path} already exists.", "Add --force to replace it with a new demo.")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    scale = DemoScale(practices=args.practices, staff=args.staff, seed=args.seed)
    opened = open_database(args.db)
    try:
        summary = build_demo(opened.database, scale, progress=PrintProgress())
    finally:
        opened.database.dispose()
    print(
        f"Demo federation written to {location.display}: "
        f"{summary.counts.get('practice', 0)} practices, {summary.counts.get('staff_member', 0)} staff."
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from federation_desk.db import migrate
    from federation_desk.db.engine import create_engine_for, parse_location

    location = parse_location(args.db)
    engine = create_engine_for(location)
    try:
        before = migrate.current_revisions(engine)
        if before == migrate.head_revisions():
            print(f"{location.display} is already up to date.")
            return 0
        if location.is_sqlite and location.sqlite_path and location.sqlite_path.exists() and before:
            from federation_desk.paths import backup_dir

            backup = migrate.backup_sqlite(location.sqlite_path, backup_dir(), "upgrade")
            print(f"Backed up the database to {backup}")
        migrate.upgrade(engine)
        print(f"Upgraded {location.display} to revision {', '.join(sorted(migrate.head_revisions()))}.")
    finally:
        engine.dispose()
    return 0


def cmd_practices_list(args: argparse.Namespace) -> int:
    from federation_desk.services.organisation import list_practices

    database = _database(args)
    try:
        with database.session() as session:
            rows = list_practices(session)
    finally:
        database.dispose()
    print(f"{'ODS':<8} {'Practice':<40} {'PCN':<28} {'List size':>10}")
    for r in rows:
        print(f"{r.ods_code:<8} {r.name[:40]:<40} {(r.pcn_name or '')[:28]:<28} {r.list_size or 0:>10,}")
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    from federation_desk.ui.snapshot import take_snapshots

    for path in take_snapshots(args.db, Path(args.out), args.pages.split(",") if args.pages else None):
        print(f"Wrote {path}")
    return 0


def cmd_demo_pdfs(args: argparse.Namespace) -> int:
    out = Path(args.out)
    database = _database(args)
    try:
        if not DEMO_PDFS:
            print("This version has no PDF reports yet; nothing to write.")
        for filename, produce in DEMO_PDFS:
            print(f"Wrote {produce(database, out / filename)}")
    finally:
        database.dispose()
    return 0


def cmd_selftest_pdf(args: argparse.Namespace) -> int:
    """Hidden ``selftest-pdf --out FOLDER`` (installer/README.md): prove an installation builds a PDF with its own
    reports building blocks and font, from the database, and shows it with QtPdf (the bundle smoke test uses it)."""
    import getpass
    import os
    from datetime import UTC, date, datetime

    from federation_desk.db import migrate
    from federation_desk.paths import resource
    from federation_desk.reports import flowables, tables, templates
    from federation_desk.services.dates import format_instant, is_bank_holiday, today
    from federation_desk.services.organisation import list_practices

    database = _database(args)
    try:
        with database.session() as session:
            practices = list_practices(session)
    finally:
        database.dispose()
    christmas = date(today().year, 12, 25)
    details = [
        ("Version", __version__),
        ("Python", sys.version.split()[0]),
        ("Database", database.location.display),
        ("Schema", ", ".join(sorted(migrate.head_revisions()))),
        ("Resources", str(resource("style.qss").parent)),
        ("Migrations", migrate.alembic_config().get_main_option("script_location")),
        ("London time", format_instant(datetime.now(UTC))),
        ("Christmas Day", f"25/12/{christmas.year} is {'' if is_bank_holiday(christmas) else 'NOT '}a bank holiday"),
    ]
    info = templates.ReportInfo("Federation Desk self-test", getpass.getuser(), reference="selftest")

    def build(path: Path) -> None:
        doc = templates.ReportDocument(path, info)
        columns = [
            tables.ColumnSpec("ODS", lambda r: r.ods_code, 0.6),
            tables.ColumnSpec("Practice", lambda r: r.name, 2.4),
            tables.ColumnSpec("PCN", lambda r: r.pcn_name or "", 1.6),
            tables.ColumnSpec("List size", lambda r: f"{r.list_size or 0:,}", 0.8, "right"),
        ]
        doc.build_story(
            [
                flowables.markup_paragraph("Federation Desk self-test", "CoverTitle"),
                flowables.safe_paragraph(database.location.display, "CoverSub"),
                templates.generated_line(datetime.now(UTC), getpass.getuser()),
                *templates.start_body(),
                *templates.contents_page(),
                flowables.Heading("This installation"),
                flowables.safe_paragraph("Font and escaping: Łukasz Ó'Brien-Nowak, £1,250.50, <b>not bold</b> & co."),
                tables.key_value_table(details, doc.width),
                flowables.Heading("Member practices"),
                tables.build_table(columns, practices, doc.width, empty_text="No practices in this database."),
            ]
        )

    out = Path(args.out)
    pdf = templates.write_pdf_atomically(out / "selftest.pdf", build)
    for label, value in details:
        print(f"{label}: {value}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from federation_desk.ui.application import create_application
    from federation_desk.ui.pdf_view import PdfPreviewDialog, render_page

    create_application()
    preview = PdfPreviewDialog(pdf, info.title)
    pages = preview.document.pageCount()
    png = out / "selftest-preview.png"
    if pages < 1 or not render_page(preview.document, pages - 1, 60).save(str(png)):
        raise FederationDeskError(f"QtPdf could not show {pdf}.", "Reinstall Federation Desk.")
    print(f"Wrote {pdf} ({pages} pages, shown with QtPdf)\nWrote {png}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="federation-desk-cli", description=f"{APP_NAME} on the command line.")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help="database file or postgresql://user@host/db (default: the app's local database)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="write the demo federation into a new database")
    demo.add_argument("--practices", type=int, default=12)
    demo.add_argument("--staff", type=int, default=300)
    demo.add_argument("--seed", type=int, default=20261122)
    demo.add_argument("--force", action="store_true", help="replace an existing database file")
    demo.set_defaults(func=cmd_demo)

    db = sub.add_parser("db", help="database administration")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="upgrade the database to this version's schema")
    upgrade.set_defaults(func=cmd_db_upgrade)

    practices = sub.add_parser("practices", help="member practices")
    practices_sub = practices.add_subparsers(dest="practices_command", metavar="ACTION")
    practices_sub.add_parser("list", help="list practices with their ODS codes").set_defaults(func=cmd_practices_list)

    snap = sub.add_parser("snapshot", help="save a screenshot of each page (headless)")
    snap.add_argument("--out", required=True, help="folder for the PNG files")
    snap.add_argument("--pages", help="comma-separated page keys (default: all)")
    snap.set_defaults(func=cmd_snapshot)

    pdfs = sub.add_parser("demo-pdfs", help="write every demo PDF report into a folder")
    pdfs.add_argument("--out", required=True)
    pdfs.set_defaults(func=cmd_demo_pdfs)

    selftest = sub.add_parser("selftest-pdf")  # hidden (no help=, so not listed); see installer/README.md
    selftest.add_argument("--out", required=True)
    selftest.set_defaults(func=cmd_selftest_pdf)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    _require_db(args)
    try:
        return int(args.func(args) or 0)
    except FederationDeskError as exc:
        print(f"{exc.message}\n{exc.what_to_do}".strip(), file=sys.stderr)
        return 1
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
