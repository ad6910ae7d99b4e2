"""Recharges: hours worked per person per practice and service in a period, for billing member practices, and
its Excel export. Hours are split at London midnights and clipped to the period, so an overnight session across
the end of a month is charged to each month for its own hours."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation_desk.domain.organisation import Practice, Site
from federation_desk.domain.rota import Assignment, RotaParameter, RotaService, RotaSession
from federation_desk.domain.staff import Role, StaffMember
from federation_desk.errors import FederationDeskError, ValidationError
from federation_desk.services.dates import format_date
from federation_desk.services.rota_rules import hours_by_day

FEDERATION = "Federation (hubs)"


@dataclass(frozen=True)
class RechargeRow:
    practice_name: str
    service_name: str
    staff_id: int
    staff_name: str
    role_name: str
    employer: str
    sessions: int
    hours: float
    notional_sessions: float


def session_unit_hours(session: Session) -> float:
    value = session.scalar(select(RotaParameter.value).where(RotaParameter.key == "rota.session_unit_minutes"))
    try:
        return float(value) / 60 if value else 250 / 60
    except ValueError:
        return 250 / 60


def recharge_summary(session: Session, start: date, end: date) -> list[RechargeRow]:
    if end < start:
        raise ValidationError("The end date is before the start date.", "Choose a period that ends after it starts.")
    employer = select(Practice.id, Practice.name).subquery()
    rows = session.execute(
        select(
            Practice.name,
            RotaService.name,
            StaffMember.id,
            StaffMember.given_name,
            StaffMember.preferred_name,
            StaffMember.family_name,
            Role.name,
            employer.c.name,
            RotaSession.starts_at,
            RotaSession.ends_at,
        )
        .select_from(Assignment)
        .join(RotaSession, RotaSession.id == Assignment.session_id)
        .join(RotaService, RotaService.id == RotaSession.service_id)
        .join(Site, Site.id == RotaSession.site_id)
        .outerjoin(Practice, Practice.id == RotaSession.practice_id)
        .join(StaffMember, StaffMember.id == Assignment.staff_id)
        .join(Role, Role.id == StaffMember.role_id)
        .outerjoin(employer, employer.c.id == StaffMember.employer_practice_id)
        .where(RotaSession.session_date.between(start - timedelta(days=1), end))
    ).all()
    unit = session_unit_hours(session)
    totals: dict[tuple[str, str, int], list] = {}
    for practice, service, sid, given, pref, family, role, emp, s, e in rows:
        hours = sum(h for d, h in hours_by_day(s, e) if start <= d <= end)
        if hours <= 0:
            continue
        key = (practice or FEDERATION, service, sid)
        if key not in totals:
            totals[key] = [f"{pref or given} {family}".strip(), role, emp or "the federation", 0, 0.0]
        totals[key][3] += 1
        totals[key][4] += hours
    out = [
        RechargeRow(k[0], k[1], k[2], v[0], v[1], v[2], v[3], round(v[4], 2), round(v[4] / unit, 2))
        for k, v in totals.items()
    ]
    out.sort(key=lambda r: (r.practice_name == FEDERATION, r.practice_name.casefold(), r.service_name, r.staff_name))
    return out


HEADERS = ("Practice", "Service", "Staff member", "Role", "Employer", "Sessions", "Hours", "Notional sessions")


def export_recharge_xlsx(rows: list[RechargeRow], target: Path, start: date, end: date, organisation: str = "") -> Path:
    # openpyxl (and what it loads) costs about 0.5 s to import: only the export, on its worker, pays it.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Recharges"
    ws.append(
        [
            f"Recharge summary {format_date(start)} to {format_date(end)}"
            + (f" - {organisation}" if organisation else "")
        ]
    )
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(["Hours are split at midnight and clipped to the period; one notional session = 4 h 10 min."])
    ws.append([])
    ws.append(list(HEADERS))
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="005EB8")
        cell.alignment = Alignment(vertical="center")
    for r in rows:
        ws.append(
            [
                r.practice_name,
                r.service_name,
                r.staff_name,
                r.role_name,
                r.employer,
                r.sessions,
                r.hours,
                r.notional_sessions,
            ]
        )
    for row in ws.iter_rows(min_row=header_row + 1, min_col=7, max_col=8):
        for cell in row:
            cell.number_format = "0.00"
    total_row = ws.max_row + 1
    ws.cell(total_row, 1, "Total").font = Font(bold=True)
    if rows:
        for col in (6, 7, 8):
            letter = get_column_letter(col)
            ws.cell(total_row, col, f"=SUM({letter}{header_row + 1}:{letter}{total_row - 1})").font = Font(bold=True)
    widths = (34, 26, 28, 24, 30, 10, 10, 18)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        wb.save(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise FederationDeskError(
            f"The spreadsheet {target.name} could not be saved ({exc.strerror or exc}).",
            "Close it if it is open in Excel, check the folder, then try again.",
        ) from exc
    return target
