"""Command line for insurance and indemnity (the same services as the app):

    federation-desk-cli --db DB insurance schedule [--on 22/11/2026] [--practice Y91001 | --all]
    federation-desk-cli --db DB insurance check --type "public liability" --min £10m --from 01/04/2026 --to 31/03/2029
                                               [--practice Y91001] [--no-abuse-exclusion]
    federation-desk-cli --db DB insurance renewals [--days 90]
    federation-desk-cli --db DB indemnity clinicians [--on DATE] [--missing]

``insurance check`` exits 0 when the cover is held on every day, and 3 when it is not (the reason is printed), so a
scheduled job can act on it.
"""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal
from typing import Any

from federation_desk.errors import ValidationError

CHECK_FAILED = 3
CLI_WHAT_TO_DO = "Nothing was changed. Correct the command line and run it again."


def register(sub: Any) -> None:
    insurance = sub.add_parser("insurance", help="organisation insurance policies")
    ins_sub = insurance.add_subparsers(dest="insurance_command", metavar="ACTION")

    schedule = ins_sub.add_parser("schedule", help="the policies valid on a date (the bid pack's insurance schedule)")
    schedule.add_argument("--on", metavar="DATE", help="dd/mm/yyyy (default: today)")
    holder = schedule.add_mutually_exclusive_group()
    holder.add_argument("--practice", metavar="ODS", help="a practice's policies instead of the federation's")
    holder.add_argument("--all", action="store_true", help="every holder's policies")
    schedule.set_defaults(func=cmd_schedule)

    check = ins_sub.add_parser("check", help="is a policy of a type and minimum limit held on every day of a period?")
    check.add_argument(
        "--type",
        required=True,
        help="employers liability, public liability, professional "
        "indemnity, clinical negligence scheme, cyber or other",
    )
    check.add_argument("--min", required=True, metavar="AMOUNT", help="the minimum limit, e.g. £10m or 10,000,000")
    check.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day, dd/mm/yyyy")
    check.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day, dd/mm/yyyy")
    check.add_argument("--practice", metavar="ODS", help="a practice instead of the federation")
    check.add_argument(
        "--no-abuse-exclusion", action="store_true", help="count only policies without an abuse exclusion"
    )
    check.set_defaults(func=cmd_check)

    renewals = ins_sub.add_parser("renewals", help="policies and clinicians' cover ending soon")
    renewals.add_argument("--days", type=int, default=90, help="how far ahead to look (default 90)")
    renewals.set_defaults(func=cmd_renewals)

    indemnity = sub.add_parser("indemnity", help="clinicians' own indemnity cover")
    ind_sub = indemnity.add_subparsers(dest="indemnity_command", metavar="ACTION")
    clinicians = ind_sub.add_parser("clinicians", help="each clinician's own cover on a date")
    clinicians.add_argument("--on", metavar="DATE", help="dd/mm/yyyy (default: today)")
    clinicians.add_argument("--missing", action="store_true", help="only those without cover for non-NHS work")
    clinicians.set_defaults(func=cmd_clinicians)


# ---- helpers -------------------------------------------------------------------------------------------------


def _open(args: argparse.Namespace) -> Any:
    from federation_desk.services.startup import open_database

    return open_database(args.db).database


def _date(text: str | None, what: str) -> date:
    from federation_desk.services.dates import DateParseError, parse_date, today

    if not text:
        return today()
    try:
        return parse_date(text)
    except DateParseError as exc:
        raise ValidationError(f"{what}: {exc}", CLI_WHAT_TO_DO) from None


def policy_type_from(text: str) -> Any:
    """A PolicyType from what a person types: "public liability", "public-liability", "PUBLIC_LIABILITY", "EL"."""
    from federation_desk.domain.indemnity import PolicyType

    wanted = " ".join(text.replace("-", " ").replace("_", " ").replace("'", "").split()).casefold()
    short = {
        "el": PolicyType.EMPLOYERS_LIABILITY,
        "pl": PolicyType.PUBLIC_LIABILITY,
        "pi": PolicyType.PROFESSIONAL_INDEMNITY,
        "cnst": PolicyType.CLINICAL_NEGLIGENCE,
    }
    if wanted in short:
        return short[wanted]
    for t in PolicyType:
        names = {t.value.casefold(), t.name.replace("_", " ").casefold(), t.label.replace("'", "").casefold()}
        if wanted in names:
            return t
    choices = ", ".join(t.value for t in PolicyType)
    raise ValidationError(f"'{text}' is not a kind of policy. Use one of: {choices}.", CLI_WHAT_TO_DO)


def _practice_id(session: Any, ods: str | None) -> int | None:
    if not ods:
        return None
    from sqlalchemy import select

    from federation_desk.domain.organisation import Practice

    code = ods.strip().upper()
    pid = session.scalar(select(Practice.id).where(Practice.ods_code == code))
    if pid is None:
        raise ValidationError(
            f"No practice has the ODS code '{ods.strip()}'.", "List the practices with: practices list"
        )
    return int(pid)


def _money(text: str) -> Decimal:
    from federation_desk.services.money import parse_money

    try:
        return parse_money(text)
    except ValidationError as err:
        raise ValidationError(f"--min: {err.problems[0].message}", CLI_WHAT_TO_DO) from None


# ---- commands ------------------------------------------------------------------------------------------------


def cmd_schedule(args: argparse.Namespace) -> int:
    from federation_desk.services.dates import format_date
    from federation_desk.services.indemnity import insurance_schedule

    on = _date(args.on, "--on")
    database = _open(args)
    try:
        with database.session() as session:
            holder = _practice_id(session, args.practice)
            rows = insurance_schedule(session, on, holder, all_holders=args.all)
    finally:
        database.dispose()
    if not rows:
        print(f"No policies are in force on {format_date(on)} for that holder.")
        return 0
    print(f"Insurance schedule on {format_date(on)}")
    print(f"{'Held by':<30} {'Type':<28} {'Insurer':<22} {'Policy number':<22} {'Limit':>16} {'Ends':>10}  Certificate")
    for r in rows:
        print(
            f"{r.holder_name[:30]:<30} {r.type_label[:28]:<28} {r.insurer[:22]:<22} {r.policy_number[:22]:<22} "
            f"{r.limit_text:>16} {format_date(r.end):>10}  {r.certificate_filename or 'none attached'}"
        )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from federation_desk.services.indemnity import policy_held_throughout

    policy_type = policy_type_from(args.type)
    minimum = _money(args.min)
    start, end = _date(args.start, "--from"), _date(args.end, "--to")
    database = _open(args)
    try:
        with database.session() as session:
            holder = _practice_id(session, args.practice)
            check = policy_held_throughout(
                session, holder, policy_type, minimum, start, end, no_abuse_exclusion=args.no_abuse_exclusion
            )
    finally:
        database.dispose()
    print(check.reason)
    return 0 if check.ok else CHECK_FAILED


def cmd_renewals(args: argparse.Namespace) -> int:
    from federation_desk.services.dates import format_date, today
    from federation_desk.services.indemnity import renewal_calendar

    if args.days < 1 or args.days > 730:
        raise ValidationError("--days must be between 1 and 730.", CLI_WHAT_TO_DO)
    database = _open(args)
    try:
        with database.session() as session:
            rows = renewal_calendar(session, today(), args.days)
    finally:
        database.dispose()
    if not rows:
        print(f"Nothing ends in the next {args.days} days.")
        return 0
    print(f"{'Last day':<10}  {'When':<18} {'What':<34} {'Held by':<30} Details")
    for r in rows:
        print(f"{format_date(r.due):<10}  {r.state[:18]:<18} {r.what[:34]:<34} {r.holder[:30]:<30} {r.detail}")
    return 0


def cmd_clinicians(args: argparse.Namespace) -> int:
    from federation_desk.services.dates import format_date
    from federation_desk.services.indemnity import list_clinician_cover

    on = _date(args.on, "--on")
    database = _open(args)
    try:
        with database.session() as session:
            rows = list_clinician_cover(session, on)
    finally:
        database.dispose()
    if args.missing:
        rows = [r for r in rows if not r.ok_for_non_nhs]
    covered = sum(1 for r in rows if r.ok_for_non_nhs)
    print(f"Own indemnity cover on {format_date(on)}: {covered} of {len(rows)} clinicians covered for non-NHS work")
    for r in rows:
        cover = f"{r.cover.provider_label} {r.cover.membership_number}" if r.cover else "-"
        print(f"{r.name[:30]:<30} {r.role[:26]:<26} {r.status.label:<14} {cover:<20} {r.reason}")
    return 0
