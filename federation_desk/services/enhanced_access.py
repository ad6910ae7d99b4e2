"""Enhanced Access per PCN and week (Network Contract DES, DOMAIN.md 2.2 and 6.3).

For each week: appointment minutes offered inside the Network Standard Hours windows (weekdays 18:30-20:00,
Saturday 09:00-17:00) against 60 minutes per 1,000 PCN adjusted population; whether every window is covered by a
staffed Enhanced Access session; and whether a GP is on site for the whole of each window. The windows and the
rate are reference data (tables ``ea_window`` and ``rota_parameter``), not constants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from federation_desk.domain.organisation import Pcn, Practice, Site
from federation_desk.domain.rota import Assignment, EnhancedAccessWindow, RotaParameter, RotaService, RotaSession
from federation_desk.domain.staff import Role, StaffMember
from federation_desk.errors import NotFound
from federation_desk.services.dates import LONDON, format_date, is_bank_holiday, london

GP_ROLE_CODES = frozenset({"gp"})


@dataclass(frozen=True)
class EaWeekRow:
    week_start: date
    minutes_offered: int
    minutes_required: int
    windows_covered: bool
    gp_on_site_throughout: bool
    problems: tuple[str, ...]

    @property
    def met(self) -> bool:
        return self.minutes_offered >= self.minutes_required and self.windows_covered and self.gp_on_site_throughout


@dataclass(frozen=True)
class EaParameters:
    windows: tuple[tuple[int, time, time], ...]  # weekday, start, end
    minutes_per_1000: float
    gp_present_throughout: bool


@dataclass(frozen=True)
class EaPcnRow:
    id: int
    code: str
    name: str
    adjusted_population: int


def ea_parameters(session: Session, on: date) -> EaParameters:
    windows = session.execute(
        select(EnhancedAccessWindow.weekday, EnhancedAccessWindow.start_time, EnhancedAccessWindow.end_time)
        .where(
            EnhancedAccessWindow.valid_from <= on,
            or_(EnhancedAccessWindow.valid_to.is_(None), EnhancedAccessWindow.valid_to >= on),
        )
        .order_by(EnhancedAccessWindow.weekday, EnhancedAccessWindow.start_time)
    ).all()
    values = dict(session.execute(select(RotaParameter.key, RotaParameter.value)).all())
    try:
        rate = float(values.get("ea.minutes_per_1000", "60"))
    except ValueError:
        rate = 60.0
    gp = str(values.get("ea.gp_present_throughout", "true")).lower() in {"true", "1", "yes"}
    return EaParameters(tuple((w, s, e) for w, s, e in windows), rate, gp)


def list_ea_pcns(session: Session) -> list[EaPcnRow]:
    rows = session.execute(
        select(Pcn.id, Pcn.code, Pcn.name, func.coalesce(func.sum(Practice.adjusted_population), 0))
        .outerjoin(Practice, (Practice.pcn_id == Pcn.id) & Practice.active.is_(True))
        .group_by(Pcn.id, Pcn.code, Pcn.name)
        .order_by(Pcn.name)
    ).all()
    return [EaPcnRow(r[0], r[1], r[2], int(r[3])) for r in rows]


def _uncovered(
    window: tuple[datetime, datetime], intervals: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    gaps: list[tuple[datetime, datetime]] = []
    cursor = window[0]
    for start, end in sorted(intervals):
        if end <= cursor or start >= window[1]:
            continue
        if start > cursor:
            gaps.append((cursor, min(start, window[1])))
        cursor = max(cursor, end)
        if cursor >= window[1]:
            break
    if cursor < window[1]:
        gaps.append((cursor, window[1]))
    return gaps


def _hhmm(instant: datetime) -> str:
    return f"{instant.astimezone(LONDON):%H:%M}"


def enhanced_access_weeks(session: Session, pcn_id: int, start: date, end: date) -> list[EaWeekRow]:
    """One row per week (Monday) from the week holding ``start`` to the week holding ``end``."""
    pcn = session.get(Pcn, pcn_id)
    if pcn is None:
        raise NotFound("This PCN")
    population = session.scalar(
        select(func.coalesce(func.sum(Practice.adjusted_population), 0)).where(
            Practice.pcn_id == pcn_id, Practice.active.is_(True)
        )
    )
    missing_population = session.scalars(
        select(Practice.name).where(
            Practice.pcn_id == pcn_id, Practice.active.is_(True), Practice.adjusted_population.is_(None)
        )
    ).all()
    first = start - timedelta(days=start.weekday())
    last = end - timedelta(days=end.weekday()) + timedelta(days=6)
    params = ea_parameters(session, first)
    required = round(int(population or 0) / 1000 * params.minutes_per_1000)
    practice_ids = select(Practice.id).where(Practice.pcn_id == pcn_id)
    site_ids = select(Site.id).where(or_(Site.pcn_id == pcn_id, Site.practice_id.in_(practice_ids)))
    sessions = session.execute(
        select(
            RotaSession.id,
            RotaSession.starts_at,
            RotaSession.ends_at,
            RotaSession.appointment_minutes,
            RotaSession.session_date,
        )
        .join(RotaService, RotaService.id == RotaSession.service_id)
        .where(
            RotaService.enhanced_access.is_(True),
            RotaSession.site_id.in_(site_ids),
            RotaSession.session_date.between(first - timedelta(days=1), last),
        )
    ).all()
    staffed: dict[int, list[str]] = {}
    if sessions:
        for sid, code in session.execute(
            select(Assignment.session_id, Role.code)
            .join(StaffMember, StaffMember.id == Assignment.staff_id)
            .join(Role, Role.id == StaffMember.role_id)
            .where(Assignment.session_id.in_([s[0] for s in sessions]))
        ).all():
            staffed.setdefault(sid, []).append(code)
    out: list[EaWeekRow] = []
    monday = first
    while monday <= last:
        windows: list[tuple[datetime, datetime]] = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            if is_bank_holiday(day):
                continue  # no bank holiday requirement (DOMAIN.md 2.2)
            for weekday, ws, we in params.windows:
                if weekday == day.weekday():
                    windows.append((london(day, ws), london(day, we)))
        week_end = london(monday + timedelta(days=7), time(0))
        week_sessions = [s for s in sessions if s[2] > london(monday, time(0)) and s[1] < week_end]
        offered = 0.0
        cover: list[tuple[datetime, datetime]] = []
        gp_cover: list[tuple[datetime, datetime]] = []
        for sid, s_start, s_end, minutes, _day in week_sessions:
            people = staffed.get(sid, [])
            if not people:
                continue
            length = (s_end - s_start).total_seconds()
            inside = sum(max(0.0, (min(s_end, we) - max(s_start, ws)).total_seconds()) for ws, we in windows)
            if length > 0:
                offered += minutes * len(people) * inside / length
            cover.append((s_start, s_end))
            if any(code in GP_ROLE_CODES for code in people):
                gp_cover.append((s_start, s_end))
        problems: list[str] = []
        covered = gp_ok = True
        for window in windows:
            label = f"{window[0].astimezone(LONDON):%a} {format_date(window[0].astimezone(LONDON).date())}"
            gaps = _uncovered(window, cover)
            if gaps:
                covered = False
                problems.append(
                    f"{label}: no staffed session " + ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in gaps) + "."
                )
            if params.gp_present_throughout:
                gp_gaps = _uncovered(window, gp_cover)
                if gp_gaps and not gaps:
                    gp_ok = False
                    problems.append(
                        f"{label}: no GP on site " + ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in gp_gaps) + "."
                    )
                elif gp_gaps:
                    gp_ok = False
        offered_minutes = round(offered)
        if offered_minutes < required:
            problems.insert(
                0,
                f"{offered_minutes:,} of {required:,} appointment minutes offered "
                f"({required - offered_minutes:,} short).",
            )
        if missing_population:
            problems.append(
                "No adjusted population recorded for "
                + ", ".join(missing_population)
                + ": the requirement is understated."
            )
        out.append(EaWeekRow(monday, offered_minutes, required, covered, gp_ok, tuple(problems)))
        monday += timedelta(days=7)
    return out
