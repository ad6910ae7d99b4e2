"""Command-line: ``contracts list`` and ``report compliance --contract REF --period 2026-Q3 -o FILE.pdf``.

The compliance report is produced by the same code as the app's "Produce report" (evaluated, built atomically,
recorded with its SHA-256), so a scheduled job's file equals the one a person prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from federation_desk.commands import report_subparsers


def register(sub: Any) -> None:
    contracts = sub.add_parser("contracts", help="contracts and their compliance")
    contracts_sub = contracts.add_subparsers(dest="contracts_command", metavar="ACTION")
    listing = contracts_sub.add_parser("list", help="list contracts with their current red/amber/green")
    listing.set_defaults(func=cmd_contracts_list)

    compliance = report_subparsers(sub).add_parser(
        "compliance", help="a contract compliance report for one reporting period"
    )
    compliance.add_argument("--contract", required=True, metavar="REF", help="the contract reference")
    compliance.add_argument(
        "--period",
        metavar="PERIOD",
        help="2026-Q3, 2026-09 or 2026/27 (default: the latest period that has ended)",
    )
    compliance.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help="where to write the PDF")
    compliance.add_argument(
        "--anonymise", "--anonymize", action="store_true", help="show staff by role and practice instead of names"
    )
    compliance.set_defaults(func=cmd_report_compliance)


def _open(args: argparse.Namespace) -> Any:
    from federation_desk.services.startup import open_database

    return open_database(args.db).database


def cmd_contracts_list(args: argparse.Namespace) -> int:
    from federation_desk.services.contract_evaluators import current_statuses
    from federation_desk.services.contracts import list_contracts
    from federation_desk.services.dates import today

    database = _open(args)
    try:
        with database.session() as session:
            rows = list_contracts(session)
            statuses = {s.contract.id: s for s in current_statuses(session, today())}
    finally:
        database.dispose()
    if not rows:
        print("No contracts in this database yet.")
        return 0
    print(f"{'Reference':<18} {'Title':<42} {'Term':<24} {'Reports':<10} {'Current RAG'}")
    for r in rows:
        status = statuses.get(r.id)
        rag = f"{status.overall.label} ({status.period.label})" if status and status.period else "not live"
        print(f"{r.reference[:18]:<18} {r.title[:42]:<42} {r.term_text:<24} {r.reporting_frequency.label:<10} {rag}")
    return 0


def cmd_report_compliance(args: argparse.Namespace) -> int:
    from federation_desk.errors import ValidationError
    from federation_desk.reports.compliance_report import produce_compliance_report
    from federation_desk.services.contracts import default_period, find_contract, find_period, list_periods
    from federation_desk.services.dates import today

    output = Path(args.output)
    if output.suffix.lower() != ".pdf":
        raise ValidationError(
            f"The output file '{output.name}' should end in .pdf.", "Give a file name like report.pdf."
        )
    database = _open(args)
    try:
        with database.session() as session:
            contract = find_contract(session, args.contract)
            if args.period:
                period = find_period(session, contract.id, args.period)
            else:
                period = default_period(list_periods(session, contract.id), today())
                if period is None:
                    raise ValidationError(f"Contract {contract.reference} has no reporting periods.")
        result = produce_compliance_report(database, contract.id, period.id, output, anonymise=args.anonymise)
    finally:
        database.dispose()
    print(
        f"Wrote {result.path} ({result.pages} pages): {contract.reference} {period.label}, overall "
        f"{result.overall.label.lower()} ({result.counts_text}). Trace code {result.run.trace_code}, "
        f"SHA-256 {result.run.sha256}."
    )
    return 0


def demo_pdf(database: Any, path: Path) -> Path:
    """``demo-pdfs``: the compliance report of the demo contract with the most to explain."""
    from federation_desk.reports.compliance_report import demo_compliance_pdf

    return demo_compliance_pdf(database, path)
