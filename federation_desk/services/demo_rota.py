"""Demo rota (step 50): services, templates, sessions and assignments.

Demo scale: two weeks back and four weeks ahead of "today", mostly staffed, with some vacancies (more of them
further ahead) and a few deliberate breaches made by override with a reason, a locum's advisory breach and an
Enhanced Access week without GP cover, so every screen has something to show. Benchmark scale: a year of
sessions (26 weeks either side of today) for 50 practices, inserted in bulk.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from federation_desk.domain.organisation import Practice, Site, SiteKind
from federation_desk.domain.rota import Assignment, RotaService, RotaSession, SessionTemplate, StaffSkill
from federation_desk.domain.staff import EmploymentType, StaffMember
from federation_desk.services.dates import is_bank_holiday
from federation_desk.services.demo import DemoContext, bulk_insert, demo_step
from federation_desk.services.rota import monday_of, session_instants

SERVICES = (
    # code, name, non_nhs, enhanced_access, colour, description
    ("ea", "Enhanced Access", False, True, "#005EB8", "PCN Enhanced Access: weekday evenings and Saturdays"),
    ("core", "Practice sessions", False, False, "#4C6272", "Core-hours GP and nurse sessions at member practices"),
    ("visits", "Home visiting", False, False, "#007F3B", "Acute and overnight home visiting across the federation"),
    ("pharmacy", "Shared pharmacist clinics", False, False, "#7C2855", "Clinical pharmacist medication reviews"),
    ("private", "Private medicals", True, False, "#AE2573", "Non-NHS work (HGV and insurance medicals)"),
)
WEEKDAYS, SATURDAY, EVERY_DAY = 0b0011111, 0b0100000, 0b1111111
OVERRIDES = (
    "Covering sickness at short notice; compensatory rest agreed for the following day.",
    "Only clinician with the right experience available; agreed with the clinical director.",
    "Staff member asked for the extra session; rest day moved to the weekend.",
)


def _insert(ctx: DemoContext, model: type, rows: list[dict[str, Any]]) -> list[int]:
    """bulk_insert in chunks: one RETURNING statement over tens of thousands of rows is slow (quadratic) in
    SQLAlchemy's insertmanyvalues; chunks of 1,000 keep the year of benchmark sessions to a few seconds."""
    ids: list[int] = []
    for i in range(0, len(rows), 1000):
        ids.extend(bulk_insert(ctx, model, rows[i : i + 1000]))
    return ids


@demo_step(50, "rota")
def make_rota(ctx: DemoContext) -> None:
    s = ctx.session
    services = {}
    for code, name, non_nhs, ea, colour, description in SERVICES:
        svc = RotaService(
            code=code, name=name, non_nhs=non_nhs, enhanced_access=ea, colour=colour, description=description
        )
        s.add(svc)
        services[code] = svc
    s.flush()
    sid = {code: svc.id for code, svc in services.items()}
    role = ctx.role_ids
    hubs = list(s.execute(select(Site.id, Site.pcn_id).where(Site.kind == SiteKind.HUB).order_by(Site.id)).all())
    main_sites: dict[int, int] = {}
    for site_id, practice_id in s.execute(
        select(Site.id, Site.practice_id).where(Site.kind == SiteKind.PRACTICE).order_by(Site.id)
    ).all():
        main_sites.setdefault(practice_id, site_id)
    weeks_back, weeks_ahead = (26, 26) if ctx.scale.is_benchmark else (2, 4)
    first = monday_of(ctx.today) - timedelta(weeks=weeks_back)
    last = monday_of(ctx.today) + timedelta(weeks=weeks_ahead, days=-1)
    valid_from = first
    templates: list[dict[str, Any]] = []

    def template(
        service: str,
        site: int,
        practice: int | None,
        role_code: str,
        days: int,
        start: str,
        end: str,
        needed: int = 1,
        minutes: int = 0,
        skill: str | None = None,
        label: str | None = None,
        bank_holidays: bool = False,
    ) -> None:
        templates.append(
            {
                "service_id": sid[service],
                "site_id": site,
                "practice_id": practice,
                "role_id": role[role_code],
                "weekdays": days,
                "start_time": time.fromisoformat(start),
                "end_time": time.fromisoformat(end),
                "needed": needed,
                "appointment_minutes": minutes,
                "skill": skill,
                "runs_on_bank_holidays": bank_holidays,
                "valid_from": valid_from,
                "valid_to": None,
                "active": True,
                "label": label,
            }
        )

    for hub_id, _pcn in hubs:
        template("ea", hub_id, None, "gp", WEEKDAYS, "18:30", "20:00", 1, 90, label="EA evening GP")
        template("ea", hub_id, None, "practice_nurse", WEEKDAYS, "18:30", "20:00", 1, 90, label="EA evening nurse")
        template("ea", hub_id, None, "gp", SATURDAY, "09:00", "17:00", 1, 420, label="EA Saturday GP")
        template(
            "ea",
            hub_id,
            None,
            "practice_nurse",
            SATURDAY,
            "09:00",
            "13:00",
            1,
            210,
            "cervical screening",
            "EA Saturday smears",
        )
        template(
            "pharmacy",
            hub_id,
            None,
            "clinical_pharmacist",
            0b0001010,
            "09:00",
            "12:30",
            1,
            180,
            label="Medication reviews",
        )
    if hubs:
        template(
            "visits",
            hubs[0][0],
            None,
            "gp",
            EVERY_DAY,
            "22:00",
            "08:00",
            1,
            0,
            label="Overnight visiting",
            bank_holidays=True,
        )
        template("visits", hubs[0][0], None, "paramedic", WEEKDAYS, "10:00", "16:00", 1, 0, label="Acute visits")
    for practice_id, site_id in main_sites.items():
        template("core", site_id, practice_id, "gp", WEEKDAYS, "08:00", "12:10", 1, 180, label="GP morning")
        template("core", site_id, practice_id, "gp", WEEKDAYS, "14:00", "18:10", 1, 180, label="GP afternoon")
        if not ctx.scale.is_benchmark:
            template(
                "core",
                site_id,
                practice_id,
                "practice_nurse",
                0b0010101,
                "08:30",
                "12:30",
                1,
                200,
                label="Nurse clinic",
            )
    template_ids = _insert(ctx, SessionTemplate, templates)

    # Sessions for every day of the period.
    instants: dict[tuple[date, time, time], tuple[datetime, datetime]] = {}
    sessions: list[dict[str, Any]] = []
    day = first
    while day <= last:
        holiday = is_bank_holiday(day)
        for tid, t in zip(template_ids, templates):
            if not t["weekdays"] & (1 << day.weekday()) or (holiday and not t["runs_on_bank_holidays"]):
                continue
            key = (day, t["start_time"], t["end_time"])
            if key not in instants:
                instants[key] = session_instants(*key)
            starts, ends = instants[key]
            sessions.append(
                {
                    "template_id": tid,
                    "service_id": t["service_id"],
                    "site_id": t["site_id"],
                    "practice_id": t["practice_id"],
                    "role_id": t["role_id"],
                    "session_date": day,
                    "starts_at": starts,
                    "ends_at": ends,
                    "needed": t["needed"],
                    "appointment_minutes": t["appointment_minutes"],
                    "skill": t["skill"],
                    "label": t["label"],
                    "notes": None,
                }
            )
        day += timedelta(days=1)
    # One-off private medicals (non-NHS) on a few Wednesdays at the first practice.
    if main_sites:
        practice_id, site_id = next(iter(main_sites.items()))
        for w in range(weeks_back + weeks_ahead):
            if w % 2:
                continue
            d = first + timedelta(weeks=w, days=2)
            starts, ends = session_instants(d, time(13), time(14, 30))
            sessions.append(
                {
                    "template_id": None,
                    "service_id": sid["private"],
                    "site_id": site_id,
                    "practice_id": practice_id,
                    "role_id": role["gp"],
                    "session_date": d,
                    "starts_at": starts,
                    "ends_at": ends,
                    "needed": 1,
                    "appointment_minutes": 60,
                    "skill": None,
                    "label": "HGV medicals",
                    "notes": "Fee-paying; clinician's own indemnity needed",
                }
            )
    session_ids = _insert(ctx, RotaSession, sessions)
    _staff_and_assign(ctx, sessions, session_ids)


def _staff_and_assign(ctx: DemoContext, sessions: list[dict[str, Any]], session_ids: list[int]) -> None:
    s, rng = ctx.session, ctx.rng
    practice_pcn = dict(s.execute(select(Practice.id, Practice.pcn_id)).all())
    site_pcn = dict(s.execute(select(Site.id, Site.pcn_id)).all())
    people = s.execute(
        select(
            StaffMember.id,
            StaffMember.role_id,
            StaffMember.employer_practice_id,
            StaffMember.host_pcn_id,
            StaffMember.employment_type,
        ).where(StaffMember.leave_date.is_(None))
    ).all()
    pool: dict[tuple[int, int | None], list[int]] = defaultdict(list)  # (role, pcn) -> staff
    by_practice: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    employment: dict[int, EmploymentType] = {}
    for pid, role_id, practice, host_pcn, emp in people:
        pcn = practice_pcn.get(practice) if practice else host_pcn
        pool[(role_id, pcn)].append(pid)
        by_practice[(role_id, practice)].append(pid)
        employment[pid] = emp
    # Skills: most practice nurses take smears.
    skills = [
        {"staff_id": pid, "skill": "cervical screening"}
        for (role_id, _pcn), ids in pool.items()
        if role_id == ctx.role_ids.get("practice_nurse")
        for pid in ids
        if rng.random() < 0.7
    ]
    _insert(ctx, StaffSkill, skills)
    skilled = {row["staff_id"] for row in skills}

    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    rows: list[dict[str, Any]] = []
    far = ctx.today + timedelta(days=14)
    order = sorted(range(len(sessions)), key=lambda i: sessions[i]["starts_at"])
    for i in order:
        sess = sessions[i]
        # More gaps further ahead, as a real rota has; the nearest fortnight is mostly staffed.
        gap_chance = 0.04 if sess["session_date"] <= far else 0.16
        if rng.random() < gap_chance:
            continue
        pcn = practice_pcn.get(sess["practice_id"]) if sess["practice_id"] else site_pcn.get(sess["site_id"])
        candidates = by_practice.get((sess["role_id"], sess["practice_id"])) if sess["practice_id"] else None
        candidates = list(candidates or pool.get((sess["role_id"], pcn)) or [])
        if not candidates:
            candidates = [p for (r, _pcn), ids in pool.items() if r == sess["role_id"] for p in ids]
        rng.shuffle(candidates)
        start, end = sess["starts_at"], sess["ends_at"]
        for pid in candidates[:12]:
            if sess["skill"] and pid not in skilled:
                continue
            if any(b[0] < end + timedelta(hours=11) and start - timedelta(hours=11) < b[1] for b in busy[pid][-4:]):
                continue
            busy[pid].append((start, end))
            rows.append(
                {
                    "session_id": session_ids[i],
                    "staff_id": pid,
                    "practice_id": sess["practice_id"],
                    "overridden_rules": None,
                    "override_reason": None,
                }
            )
            break
    if not ctx.scale.is_benchmark:
        _deliberate_breaches(ctx, sessions, session_ids, rows, busy, employment)
    _insert(ctx, Assignment, rows)
    ctx.extras["rota_sessions"] = len(session_ids)


def _deliberate_breaches(
    ctx: DemoContext,
    sessions: list[dict[str, Any]],
    session_ids: list[int],
    rows: list[dict[str, Any]],
    busy: dict[int, list[tuple[datetime, datetime]]],
    employment: dict[int, EmploymentType],
) -> None:
    """A few overridden breaches for the screens to show: short rest after an overnight visit (with a reason),
    a nurse in a GP session (role mismatch, with a reason), and a locum on back-to-back days (advisory)."""
    filled = {r["session_id"] for r in rows}
    by_id = dict(zip(session_ids, sessions))
    week = [sid for sid in session_ids if ctx.today <= by_id[sid]["session_date"] <= ctx.today + timedelta(days=6)]
    nights = [sid for sid in week if by_id[sid]["label"] == "Overnight visiting" and sid in filled]
    mornings = {(by_id[sid]["session_date"]): sid for sid in week if by_id[sid]["label"] == "GP morning"}
    for n, night in enumerate(nights[:2]):
        person = next(r["staff_id"] for r in rows if r["session_id"] == night)
        next_day = by_id[night]["session_date"] + timedelta(days=1)
        morning = mornings.get(next_day)
        if morning is None:
            continue
        for r in rows:  # take the morning from whoever had it
            if r["session_id"] == morning:
                rows.remove(r)
                break
        rows.append(
            {
                "session_id": morning,
                "staff_id": person,
                "practice_id": by_id[morning]["practice_id"],
                "overridden_rules": "daily rest",
                "override_reason": OVERRIDES[n % len(OVERRIDES)],
            }
        )
    nurse = ctx.staff_by_role.get("practice_nurse", [])
    gp_vacant = [
        sid for sid in week if by_id[sid]["label"] == "GP afternoon" and sid not in filled and by_id[sid]["practice_id"]
    ]
    if nurse and gp_vacant:
        sid = gp_vacant[0]
        start, end = by_id[sid]["starts_at"], by_id[sid]["ends_at"]
        free = [
            p
            for p in nurse
            if not any(b[0] < end + timedelta(hours=11) and start - timedelta(hours=11) < b[1] for b in busy[p])
        ]
        if not free:
            return
        rows.append(
            {
                "session_id": sid,
                "staff_id": free[0],
                "practice_id": by_id[sid]["practice_id"],
                "overridden_rules": "role",
                "override_reason": OVERRIDES[1],
            }
        )
