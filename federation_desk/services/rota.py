"""The rota: services, session templates, generating sessions, one-off sessions, checked assignments with
override reasons, publishing weeks, the week grid, a person's calendar, vacancies, and the numbers other modules
read (``staffing_counts``, ``staff_on_service``).

Every assignment is checked by :mod:`federation_desk.services.rota_rules` before it is saved: a hard rule refuses
it (:class:`AssignmentRefused`), a soft rule needs a reason (:class:`OverrideNeeded`), which is stored with the
assignment and so lands in the audit trail.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from federation_desk.db.session import load_for_edit
from federation_desk.domain.organisation import Practice, Site
from federation_desk.domain.rota import (
    Assignment,
    EnhancedAccessWindow,
    RotaParameter,
    RotaService,
    RotaSession,
    RotaWeek,
    SessionTemplate,
    StaffSkill,
)
from federation_desk.domain.staff import Role, StaffMember
from federation_desk.errors import FederationDeskError, FieldProblem, NotFound, ValidationError
from federation_desk.services import rota_rules as rules
from federation_desk.services import validators as v
from federation_desk.services.changes import Changes
from federation_desk.services.dashboard import DashboardCard, Severity, dashboard_card
from federation_desk.services.dates import LONDON, format_date, is_bank_holiday, london
from federation_desk.services.progress import NullProgress, Progress
from federation_desk.services.reference import read_reference, reference_loader

KIND = "rota"
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# ---- errors --------------------------------------------------------------------------------------------------


class AssignmentRefused(FederationDeskError):
    """A hard rule forbids the booking; it cannot be overridden."""

    title = "This booking is not allowed"

    def __init__(self, name: str, violations: Sequence[rules.Violation]) -> None:
        self.violations = list(violations)
        reasons = " ".join(v.reason for v in self.violations)
        super().__init__(
            f"{name} cannot work this session. {reasons}",
            "Nothing was saved. Choose someone else; these rules cannot be overridden.",
        )


class OverrideNeeded(FederationDeskError):
    """Soft rules would be broken: the booking needs a manager's reason."""

    title = "A reason is needed to override"

    def __init__(self, name: str, violations: Sequence[rules.Violation]) -> None:
        self.violations = list(violations)
        reasons = " ".join(v.reason for v in self.violations)
        super().__init__(
            f"Booking {name} breaks {len(self.violations)} rule{'s' if len(self.violations) != 1 else ''} a "
            f"manager may override. {reasons}",
            "Nothing was saved. Give a reason for the override (it is kept in the audit trail), or choose someone "
            "else.",
        )


# ---- rows ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRow:
    id: int
    version: int
    code: str
    name: str
    non_nhs: bool
    enhanced_access: bool
    colour: str | None
    description: str | None
    active: bool


@dataclass(frozen=True)
class TemplateRow:
    id: int
    version: int
    service_id: int
    service_name: str
    site_id: int
    site_name: str
    role_id: int
    role_name: str
    weekdays: int
    start_time: time
    end_time: time
    needed: int
    appointment_minutes: int
    skill: str | None
    runs_on_bank_holidays: bool
    valid_from: date
    valid_to: date | None
    active: bool
    label: str | None

    @property
    def weekdays_text(self) -> str:
        return weekdays_text(self.weekdays)


@dataclass(frozen=True)
class AssigneeRow:
    assignment_id: int
    version: int
    staff_id: int
    name: str
    role_name: str
    overridden_rules: str | None
    override_reason: str | None


@dataclass(frozen=True)
class SessionRow:
    id: int
    version: int
    template_id: int | None
    service_id: int
    service_code: str
    service_name: str
    colour: str | None
    non_nhs: bool
    enhanced_access: bool
    site_id: int
    site_name: str
    practice_id: int | None
    role_id: int
    role_name: str
    session_date: date
    starts_at: datetime
    ends_at: datetime
    needed: int
    appointment_minutes: int
    skill: str | None
    label: str | None
    notes: str | None
    assignees: tuple[AssigneeRow, ...] = ()
    published: bool = False

    @property
    def missing(self) -> int:
        return max(0, self.needed - len(self.assignees))

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600

    @property
    def time_text(self) -> str:
        a, b = self.starts_at.astimezone(LONDON), self.ends_at.astimezone(LONDON)
        overnight = " (+1)" if b.date() > a.date() else ""
        return f"{a:%H:%M}-{b:%H:%M}{overnight}"

    @property
    def title(self) -> str:
        return self.label or self.service_name


@dataclass(frozen=True)
class VacancyRow:
    session_id: int
    session_date: date
    starts_at: datetime
    ends_at: datetime
    site_id: int
    site_name: str
    practice_id: int | None
    service_code: str
    service_name: str
    role_id: int
    role_name: str
    needed: int
    filled: int

    @property
    def missing(self) -> int:
        return max(0, self.needed - self.filled)

    @property
    def time_text(self) -> str:
        a, b = self.starts_at.astimezone(LONDON), self.ends_at.astimezone(LONDON)
        return f"{a:%H:%M}-{b:%H:%M}" + (" (+1)" if b.date() > a.date() else "")


@dataclass(frozen=True)
class StaffingCounts:
    planned: int
    filled: int
    unfilled: list[VacancyRow]


@dataclass(frozen=True)
class SiteColumn:
    id: int
    name: str
    practice_id: int | None
    is_hub: bool


@dataclass(frozen=True)
class WeekGrid:
    week_start: date
    days: tuple[date, ...]
    sites: tuple[SiteColumn, ...]
    cells: dict[tuple[int, date], tuple[SessionRow, ...]]
    published: bool
    published_by: str | None
    published_at: datetime | None
    week_version: int | None = None

    @property
    def sessions(self) -> list[SessionRow]:
        return [s for cell in self.cells.values() for s in cell]

    @property
    def vacancies(self) -> int:
        return sum(s.missing for s in self.sessions)


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    role_id: int
    role_name: str
    is_clinical: bool
    employer: str
    hours: float  # booked hours in the period asked about


@dataclass(frozen=True)
class CandidateRow:
    staff_id: int
    name: str
    role_name: str
    employer: str
    violations: tuple[rules.Violation, ...]

    @property
    def status(self) -> str:
        severities = {v.severity for v in self.violations}
        if rules.Severity.HARD in severities:
            return "blocked"
        if rules.Severity.SOFT in severities:
            return "override"
        if rules.Severity.ADVISORY in severities:
            return "advisory"
        return "eligible"

    @property
    def why_not(self) -> str:
        return " ".join(v.reason for v in self.violations)


@dataclass(frozen=True)
class ProblemRow:
    session_id: int
    assignment_id: int
    staff_id: int
    staff_name: str
    session_label: str
    session_date: date
    violations: tuple[rules.Violation, ...]
    override_reason: str | None


@dataclass(frozen=True)
class Candidates:
    session: SessionRow
    rows: list[CandidateRow]
    notes: tuple[str, ...] = ()


# ---- forms ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceForm:
    code: str
    name: str
    non_nhs: bool = False
    enhanced_access: bool = False
    colour: str = ""
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class TemplateForm:
    service_id: int | None
    site_id: int | None
    role_id: int | None
    weekdays: frozenset[int]
    start: str
    end: str
    needed: str = "1"
    appointment_minutes: str = "0"
    skill: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    runs_on_bank_holidays: bool = False
    label: str = ""
    active: bool = True


@dataclass(frozen=True)
class OneOffForm:
    service_id: int | None
    site_id: int | None
    role_id: int | None
    day: date | None
    start: str
    end: str
    needed: str = "1"
    appointment_minutes: str = "0"
    skill: str = ""
    label: str = ""
    notes: str = ""


# ---- small helpers -------------------------------------------------------------------------------------------


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def weekdays_text(mask: int) -> str:
    days = [WEEKDAY_NAMES[i][:3] for i in range(7) if mask & (1 << i)]
    if mask & 0b11111 == 0b11111 and not mask & 0b1100000:
        return "Mon-Fri"
    if mask == 0b1111111:
        return "Every day"
    return ", ".join(days) or "(no days)"


TIME_TEXT = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_time(text: str, field_name: str, label: str) -> time:
    m = TIME_TEXT.match(text or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ValidationError(
            [
                FieldProblem(
                    field_name, f"{label} '{(text or '').strip()}' is not a time. Use the 24-hour clock, e.g. 18:30."
                )
            ]
        )
    return time(int(m.group(1)), int(m.group(2)))


def session_instants(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """The instants of a session on London ``day`` from ``start`` to ``end`` (next day if end is not after
    start), exact across the clock changes."""
    starts = london(day, start).astimezone(UTC)
    end_day = day if end > start else day + timedelta(days=1)
    ends = london(end_day, end).astimezone(UTC)
    return starts, ends


def _published_weeks(session: Session, days: Iterable[date]) -> set[date]:
    mondays = {monday_of(d) for d in days}
    if not mondays:
        return set()
    return set(
        session.scalars(select(RotaWeek.week_start).where(RotaWeek.week_start.in_(mondays), RotaWeek.published)).all()
    )


def _refuse_if_published(session: Session, day: date) -> None:
    if _published_weeks(session, [day]):
        monday = monday_of(day)
        raise ValidationError(
            f"The week beginning {format_date(monday)} is published, so its sessions cannot be changed.",
            "Reopen the week on the Rota page first (the change is recorded), then make the change.",
        )


# ---- services and templates ----------------------------------------------------------------------------------


def list_services(session: Session) -> list[ServiceRow]:
    return [
        ServiceRow(s.id, s.version, s.code, s.name, s.non_nhs, s.enhanced_access, s.colour, s.description, s.active)
        for s in session.scalars(select(RotaService).order_by(RotaService.name))
    ]


COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def save_service(
    session: Session, form: ServiceForm, service_id: int | None = None, expected_version: int | None = None
) -> Changes:
    code, name, description = v.collect(
        lambda: v.required_text(form.code, "code", "The service code", 40).lower().replace(" ", "_"),
        lambda: v.required_text(form.name, "name", "The service name"),
        lambda: v.optional_text(form.description, "description", "The description", 2000),
    )
    colour = (form.colour or "").strip() or None
    if colour and not COLOUR.match(colour):
        raise ValidationError([FieldProblem("colour", f"'{colour}' is not a colour; use #RRGGBB, e.g. #005EB8.")])
    clash = session.scalar(select(RotaService).where(RotaService.code == code, RotaService.id != (service_id or -1)))
    if clash is not None:
        raise ValidationError([FieldProblem("code", f"The code {code} is already used by {clash.name}.")])
    if service_id is None:
        svc = RotaService(code=code, name=name)
        session.add(svc)
    else:
        svc = load_for_edit(session, RotaService, service_id, expected_version)
    svc.code, svc.name, svc.description, svc.colour = code, name, description, colour  # type: ignore[assignment]
    svc.non_nhs, svc.enhanced_access, svc.active = form.non_nhs, form.enhanced_access, form.active
    session.flush()
    return Changes.of(KIND, ids=(svc.id,), message=f"Service {name} saved.")


def list_templates(session: Session, site_ids: Collection[int] | None = None) -> list[TemplateRow]:
    stmt = (
        select(SessionTemplate, RotaService.name, Site.name, Role.name)
        .join(RotaService, RotaService.id == SessionTemplate.service_id)
        .join(Site, Site.id == SessionTemplate.site_id)
        .join(Role, Role.id == SessionTemplate.role_id)
        .order_by(Site.name, SessionTemplate.start_time)
    )
    if site_ids is not None:
        stmt = stmt.where(SessionTemplate.site_id.in_(list(site_ids)))
    return [
        TemplateRow(
            t.id,
            t.version,
            t.service_id,
            sname,
            t.site_id,
            site_name,
            t.role_id,
            rname,
            t.weekdays,
            t.start_time,
            t.end_time,
            t.needed,
            t.appointment_minutes,
            t.skill,
            t.runs_on_bank_holidays,
            t.valid_from,
            t.valid_to,
            t.active,
            t.label,
        )
        for t, sname, site_name, rname in session.execute(stmt).all()
    ]


def _common_session_fields(
    session: Session, service_id: int | None, site_id: int | None, role_id: int | None, needed: str, minutes: str
) -> tuple[RotaService, Site, Role, int, int]:
    problems: list[FieldProblem] = []
    svc = session.get(RotaService, service_id) if service_id else None
    site = session.get(Site, site_id) if site_id else None
    role = session.get(Role, role_id) if role_id else None
    if svc is None:
        problems.append(FieldProblem("service_id", "Choose the service this session is for."))
    if site is None:
        problems.append(FieldProblem("site_id", "Choose the site or hub where the session runs."))
    if role is None:
        problems.append(FieldProblem("role_id", "Choose the role the session needs."))
    count, mins = 1, 0
    try:
        count = v.non_negative_int(needed, "needed", "How many people", 50) or 0
        if count < 1:
            problems.append(FieldProblem("needed", "At least one person is needed."))
    except ValidationError as err:
        problems.extend(err.problems)
    try:
        mins = v.non_negative_int(minutes, "appointment_minutes", "Appointment minutes", 24 * 60) or 0
    except ValidationError as err:
        problems.extend(err.problems)
    if problems:
        raise ValidationError(problems)
    assert svc is not None and site is not None and role is not None
    return svc, site, role, count, mins


def save_template(
    session: Session, form: TemplateForm, template_id: int | None = None, expected_version: int | None = None
) -> Changes:
    start, end = v.collect(
        lambda: parse_time(form.start, "start", "The start time"),
        lambda: parse_time(form.end, "end", "The end time"),
    )
    svc, site, role, count, minutes = _common_session_fields(
        session, form.service_id, form.site_id, form.role_id, form.needed, form.appointment_minutes
    )
    problems: list[FieldProblem] = []
    if start == end:
        problems.append(FieldProblem("end", "The session must end at a different time from its start."))
    if not form.weekdays:
        problems.append(FieldProblem("weekdays", "Tick at least one day of the week."))
    if form.valid_from is None:
        problems.append(FieldProblem("valid_from", "Enter the first date the template applies from."))
    elif form.valid_to is not None and form.valid_to < form.valid_from:
        problems.append(FieldProblem("valid_to", "The last date is before the first date."))
    if problems:
        raise ValidationError(problems)
    if template_id is None:
        tpl = SessionTemplate()
        session.add(tpl)
    else:
        tpl = load_for_edit(session, SessionTemplate, template_id, expected_version)
    tpl.service_id, tpl.site_id, tpl.practice_id, tpl.role_id = svc.id, site.id, site.practice_id, role.id
    tpl.weekdays = sum(1 << d for d in form.weekdays)
    tpl.start_time, tpl.end_time, tpl.needed, tpl.appointment_minutes = start, end, count, minutes  # type: ignore[assignment]
    tpl.skill = (form.skill or "").strip() or None
    tpl.valid_from, tpl.valid_to = form.valid_from, form.valid_to  # type: ignore[assignment]
    tpl.runs_on_bank_holidays, tpl.active = form.runs_on_bank_holidays, form.active
    tpl.label = (form.label or "").strip() or None
    session.flush()
    return Changes.of(KIND, ids=(tpl.id,), message="Session template saved.")


@dataclass(frozen=True)
class GenerationResult:
    created: int
    skipped_existing: int
    skipped_published: int
    skipped_bank_holidays: int
    changes: Changes = field(default_factory=Changes)


def generate_sessions(
    session: Session,
    start: date,
    end: date,
    template_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> GenerationResult:
    """Create the sessions the templates describe for London dates ``start``..``end`` (inclusive). Sessions that
    exist already, days in published weeks and (unless the template says otherwise) bank holidays are skipped."""
    progress = progress or NullProgress()
    if end < start:
        raise ValidationError("The end date is before the start date.", "Choose a period that ends after it starts.")
    if (end - start).days > 400:
        raise ValidationError(
            "Sessions can be generated for at most about a year at a time.", "Choose a shorter period."
        )
    stmt = select(SessionTemplate).where(
        SessionTemplate.active.is_(True),
        SessionTemplate.valid_from <= end,
        or_(SessionTemplate.valid_to.is_(None), SessionTemplate.valid_to >= start),
    )
    if template_ids is not None:
        stmt = stmt.where(SessionTemplate.id.in_(list(template_ids)))
    templates = list(session.scalars(stmt))
    existing = set(
        session.execute(
            select(RotaSession.template_id, RotaSession.session_date).where(
                RotaSession.template_id.in_([t.id for t in templates]),
                RotaSession.session_date.between(start, end),
            )
        ).all()
    )
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    published = _published_weeks(session, days)
    created = skipped_existing = skipped_published = skipped_holiday = 0
    new: list[RotaSession] = []
    for n, tpl in enumerate(templates):
        progress.update(n, len(templates), "Generating sessions ...")
        for day in days:
            if not tpl.weekdays & (1 << day.weekday()):
                continue
            if day < tpl.valid_from or (tpl.valid_to is not None and day > tpl.valid_to):
                continue
            if (tpl.id, day) in existing:
                skipped_existing += 1
                continue
            if monday_of(day) in published:
                skipped_published += 1
                continue
            if not tpl.runs_on_bank_holidays and is_bank_holiday(day):
                skipped_holiday += 1
                continue
            starts, ends = session_instants(day, tpl.start_time, tpl.end_time)
            new.append(
                RotaSession(
                    template_id=tpl.id,
                    service_id=tpl.service_id,
                    site_id=tpl.site_id,
                    practice_id=tpl.practice_id,
                    role_id=tpl.role_id,
                    session_date=day,
                    starts_at=starts,
                    ends_at=ends,
                    needed=tpl.needed,
                    appointment_minutes=tpl.appointment_minutes,
                    skill=tpl.skill,
                    label=tpl.label,
                )
            )
            created += 1
    session.add_all(new)
    session.flush()
    parts = [f"{created} session{'s' if created != 1 else ''} created"]
    if skipped_existing:
        parts.append(f"{skipped_existing} already existed")
    if skipped_published:
        parts.append(f"{skipped_published} skipped in published weeks")
    if skipped_holiday:
        parts.append(f"{skipped_holiday} skipped on bank holidays")
    return GenerationResult(
        created,
        skipped_existing,
        skipped_published,
        skipped_holiday,
        Changes.of(KIND, ids=tuple(s.id for s in new), message="; ".join(parts) + "."),
    )


def add_one_off_session(session: Session, form: OneOffForm) -> Changes:
    start, end = v.collect(
        lambda: parse_time(form.start, "start", "The start time"),
        lambda: parse_time(form.end, "end", "The end time"),
    )
    svc, site, role, count, minutes = _common_session_fields(
        session, form.service_id, form.site_id, form.role_id, form.needed, form.appointment_minutes
    )
    if form.day is None:
        raise ValidationError([FieldProblem("day", "Enter the date of the session.")])
    if start == end:
        raise ValidationError([FieldProblem("end", "The session must end at a different time from its start.")])
    _refuse_if_published(session, form.day)
    starts, ends = session_instants(form.day, start, end)
    rs = RotaSession(
        template_id=None,
        service_id=svc.id,
        site_id=site.id,
        practice_id=site.practice_id,
        role_id=role.id,
        session_date=form.day,
        starts_at=starts,
        ends_at=ends,
        needed=count,
        appointment_minutes=minutes,
        skill=(form.skill or "").strip() or None,
        label=(form.label or "").strip() or None,
        notes=(form.notes or "").strip() or None,
    )
    session.add(rs)
    session.flush()
    return Changes.of(KIND, ids=(rs.id,), message=f"One-off session on {format_date(form.day)} added.")


def delete_session(session: Session, session_id: int, expected_version: int | None = None) -> Changes:
    rs = load_for_edit(session, RotaSession, session_id, expected_version)
    _refuse_if_published(session, rs.session_date)
    session.delete(rs)
    session.flush()
    return Changes.of(KIND, ids=(session_id,), message="Session deleted.")


# ---- reading sessions ----------------------------------------------------------------------------------------


def _session_rows(session: Session, where: Sequence[object]) -> list[SessionRow]:
    rows = session.execute(
        select(
            RotaSession.id,
            RotaSession.version,
            RotaSession.template_id,
            RotaSession.service_id,
            RotaService.code,
            RotaService.name,
            RotaService.colour,
            RotaService.non_nhs,
            RotaService.enhanced_access,
            RotaSession.site_id,
            Site.name,
            RotaSession.practice_id,
            RotaSession.role_id,
            Role.name,
            RotaSession.session_date,
            RotaSession.starts_at,
            RotaSession.ends_at,
            RotaSession.needed,
            RotaSession.appointment_minutes,
            RotaSession.skill,
            RotaSession.label,
            RotaSession.notes,
        )
        .join(RotaService, RotaService.id == RotaSession.service_id)
        .join(Site, Site.id == RotaSession.site_id)
        .join(Role, Role.id == RotaSession.role_id)
        .where(*where)  # type: ignore[arg-type]
        .order_by(RotaSession.starts_at, Site.name, RotaSession.id)
    ).all()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    assignees: dict[int, list[AssigneeRow]] = {}
    staff_role = select(StaffMember.id, Role.name).join(Role, Role.id == StaffMember.role_id).subquery()
    for chunk in _chunks(ids, 5000):
        for a in session.execute(
            select(
                Assignment.session_id,
                Assignment.id,
                Assignment.version,
                Assignment.staff_id,
                StaffMember.given_name,
                StaffMember.preferred_name,
                StaffMember.family_name,
                staff_role.c.name,
                Assignment.overridden_rules,
                Assignment.override_reason,
            )
            .join(StaffMember, StaffMember.id == Assignment.staff_id)
            .join(staff_role, staff_role.c.id == StaffMember.id)
            .where(Assignment.session_id.in_(chunk))
            .order_by(Assignment.id)
        ).all():
            assignees.setdefault(a[0], []).append(
                AssigneeRow(a[1], a[2], a[3], f"{a[5] or a[4]} {a[6]}".strip(), a[7], a[8], a[9])
            )
    published = _published_weeks(session, {r[14] for r in rows})
    return [SessionRow(*r, tuple(assignees.get(r[0], ())), monday_of(r[14]) in published) for r in rows]  # type: ignore[misc]


def _chunks(items: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def get_session(session: Session, session_id: int) -> SessionRow:
    rows = _session_rows(session, [RotaSession.id == session_id])
    if not rows:
        raise NotFound("This session")
    return rows[0]


def list_sessions(
    session: Session,
    start: date,
    end: date,
    site_ids: Collection[int] | None = None,
    practice_ids: Collection[int] | None = None,
    service_codes: Collection[str] | None = None,
) -> list[SessionRow]:
    where: list[object] = [RotaSession.session_date.between(start, end)]
    if site_ids is not None:
        where.append(RotaSession.site_id.in_(list(site_ids)))
    if practice_ids is not None:
        where.append(RotaSession.practice_id.in_(list(practice_ids)))
    if service_codes is not None:
        where.append(RotaService.code.in_(list(service_codes)))
    return _session_rows(session, where)


def list_sites_for_rota(session: Session) -> list[SiteColumn]:
    from federation_desk.domain.organisation import SiteKind

    rows = session.execute(
        select(Site.id, Site.name, Site.practice_id, Site.kind)
        .where(Site.active.is_(True))
        .order_by(Site.kind, Site.name)
    ).all()
    cols = [SiteColumn(r[0], r[1], r[2], r[3] is SiteKind.HUB) for r in rows]
    return sorted(cols, key=lambda c: (not c.is_hub, c.name.casefold()))


def week_grid(session: Session, week_start: date, site_ids: Collection[int] | None = None) -> WeekGrid:
    """One week (Monday-Sunday) as sites x days. Only sites with sessions that week are shown unless
    ``site_ids`` names them."""
    week_start = monday_of(week_start)
    days = tuple(week_start + timedelta(days=i) for i in range(7))
    rows = list_sessions(session, days[0], days[-1], site_ids)
    all_sites = list_sites_for_rota(session)
    wanted = set(site_ids) if site_ids is not None else {r.site_id for r in rows}
    sites = tuple(s for s in all_sites if s.id in wanted)
    cells: dict[tuple[int, date], list[SessionRow]] = {}
    for r in rows:
        cells.setdefault((r.site_id, r.session_date), []).append(r)
    week = session.scalar(select(RotaWeek).where(RotaWeek.week_start == week_start))
    return WeekGrid(
        week_start,
        days,
        sites,
        {k: tuple(v) for k, v in cells.items()},
        bool(week and week.published),
        week.published_by if week else None,
        week.published_at if week else None,
        week.version if week else None,
    )


def person_calendar(session: Session, staff_id: int, start: date, end: date) -> list[SessionRow]:
    ids = select(Assignment.session_id).where(Assignment.staff_id == staff_id)
    return _session_rows(session, [RotaSession.id.in_(ids), RotaSession.session_date.between(start, end)])


@dataclass(frozen=True)
class PersonRota:
    """One person's rota for the staff record: their sessions in a period, their skills, and their Working Time
    position (average weekly hours over the reference period ending with the period's last week)."""

    staff_id: int
    sessions: list[SessionRow]
    skills: tuple[str, ...]
    opted_out: bool
    is_locum: bool
    average_hours: float
    reference_first: date
    reference_last: date
    limit_hours: float

    @property
    def hours(self) -> float:
        return sum(s.hours for s in self.sessions)


def person_rota(session: Session, staff_id: int, start: date, end: date) -> PersonRota:
    if end < start:
        raise ValidationError("The end date is before the start date.", "Choose a period that ends after it starts.")
    person = session.get(StaffMember, staff_id)
    if person is None:
        raise NotFound("This member of staff")
    params = rules.working_time_params(session)
    last = monday_of(end) + timedelta(days=6)
    first = monday_of(end) - timedelta(weeks=params.reference_weeks - 1)
    total = 0.0
    for s_, e_ in session.execute(
        select(RotaSession.starts_at, RotaSession.ends_at)
        .join(Assignment, Assignment.session_id == RotaSession.id)
        .where(Assignment.staff_id == staff_id, RotaSession.session_date.between(first - timedelta(days=1), last))
    ).all():
        total += sum(h for day, h in rules.hours_by_day(s_, e_) if first <= day <= last)
    skills = tuple(sorted(session.scalars(select(StaffSkill.skill).where(StaffSkill.staff_id == staff_id)).all()))
    from federation_desk.domain.staff import EmploymentType

    return PersonRota(
        staff_id,
        person_calendar(session, staff_id, start, end),
        skills,
        bool(person.working_time_opt_out),
        person.employment_type is EmploymentType.LOCUM,
        total / params.reference_weeks,
        first,
        last,
        params.average_limit_hours,
    )


def list_people(session: Session, start: date, end: date) -> list[PersonRow]:
    """Staff in post during the period, with the hours they are booked for in it (the side list to drag from)."""
    hours: dict[int, float] = {}
    for staff_id, s, e in session.execute(
        select(Assignment.staff_id, RotaSession.starts_at, RotaSession.ends_at)
        .join(RotaSession, RotaSession.id == Assignment.session_id)
        .where(RotaSession.session_date.between(start, end))
    ).all():
        hours[staff_id] = hours.get(staff_id, 0.0) + (e - s).total_seconds() / 3600
    rows = session.execute(
        select(
            StaffMember.id,
            StaffMember.given_name,
            StaffMember.preferred_name,
            StaffMember.family_name,
            StaffMember.role_id,
            Role.name,
            Role.is_clinical,
            Practice.name,
        )
        .join(Role, Role.id == StaffMember.role_id)
        .outerjoin(Practice, Practice.id == StaffMember.employer_practice_id)
        .where(
            or_(StaffMember.leave_date.is_(None), StaffMember.leave_date >= start),
            or_(StaffMember.start_date.is_(None), StaffMember.start_date <= end),
        )
        .order_by(Role.sort_order, StaffMember.family_name, StaffMember.given_name)
    ).all()
    return [
        PersonRow(
            r[0],
            f"{r[2] or r[1]} {r[3]}".strip(),
            r[4],
            r[5],
            bool(r[6]),
            r[7] or "the federation",
            hours.get(r[0], 0.0),
        )
        for r in rows
    ]


# ---- vacancies and the numbers other modules read ------------------------------------------------------------


def list_vacancies(
    session: Session,
    start: date,
    end: date,
    practice_ids: Collection[int] | None = None,
    service_codes: Collection[str] | None = None,
    site_ids: Collection[int] | None = None,
) -> list[VacancyRow]:
    filled = (
        select(Assignment.session_id, func.count(Assignment.id).label("n")).group_by(Assignment.session_id).subquery()
    )
    n = func.coalesce(filled.c.n, 0)
    stmt = (
        select(
            RotaSession.id,
            RotaSession.session_date,
            RotaSession.starts_at,
            RotaSession.ends_at,
            RotaSession.site_id,
            Site.name,
            RotaSession.practice_id,
            RotaService.code,
            RotaService.name,
            RotaSession.role_id,
            Role.name,
            RotaSession.needed,
            n,
        )
        .join(RotaService, RotaService.id == RotaSession.service_id)
        .join(Site, Site.id == RotaSession.site_id)
        .join(Role, Role.id == RotaSession.role_id)
        .outerjoin(filled, filled.c.session_id == RotaSession.id)
        .where(RotaSession.session_date.between(start, end), n < RotaSession.needed)
        .order_by(RotaSession.starts_at, Site.name)
    )
    if practice_ids is not None:
        stmt = stmt.where(RotaSession.practice_id.in_(list(practice_ids)))
    if service_codes is not None:
        stmt = stmt.where(RotaService.code.in_(list(service_codes)))
    if site_ids is not None:
        stmt = stmt.where(RotaSession.site_id.in_(list(site_ids)))
    return [VacancyRow(*r) for r in session.execute(stmt).all()]


def staffing_counts(
    session: Session,
    start: date,
    end: date,
    practice_ids: Collection[int] | None = None,
    service_codes: Collection[str] | None = None,
) -> StaffingCounts:
    """Places planned and filled in sessions between ``start`` and ``end`` (inclusive), and the vacancies."""
    filled = (
        select(Assignment.session_id, func.count(Assignment.id).label("n")).group_by(Assignment.session_id).subquery()
    )
    stmt = (
        select(RotaSession.needed, func.coalesce(filled.c.n, 0))
        .join(RotaService, RotaService.id == RotaSession.service_id)
        .outerjoin(filled, filled.c.session_id == RotaSession.id)
        .where(RotaSession.session_date.between(start, end))
    )
    if practice_ids is not None:
        stmt = stmt.where(RotaSession.practice_id.in_(list(practice_ids)))
    if service_codes is not None:
        stmt = stmt.where(RotaService.code.in_(list(service_codes)))
    planned = filled_places = 0
    for needed, n in session.execute(stmt).all():
        planned += needed
        filled_places += min(needed, n)  # an over-staffed session fills only its own places
    unfilled = list_vacancies(session, start, end, practice_ids, service_codes)
    return StaffingCounts(planned, filled_places, unfilled)


def staff_on_service(
    session: Session,
    start: date,
    end: date,
    service_codes: Collection[str] | None = None,
    practice_ids: Collection[int] | None = None,
) -> set[int]:
    """Staff with at least one assignment in sessions between ``start`` and ``end`` (inclusive)."""
    stmt = (
        select(Assignment.staff_id)
        .join(RotaSession, RotaSession.id == Assignment.session_id)
        .join(RotaService, RotaService.id == RotaSession.service_id)
        .where(RotaSession.session_date.between(start, end))
        .distinct()
    )
    if service_codes is not None:
        stmt = stmt.where(RotaService.code.in_(list(service_codes)))
    if practice_ids is not None:
        stmt = stmt.where(RotaSession.practice_id.in_(list(practice_ids)))
    return set(session.scalars(stmt).all())


# ---- checking and assigning ----------------------------------------------------------------------------------


def check_assignment(session: Session, session_id: int, staff_id: int) -> list[rules.Violation]:
    """Every rule for booking ``staff_id`` into session ``session_id`` (nothing is written)."""
    facts = rules.load_session_facts(session, [session_id])
    if session_id not in facts:
        raise NotFound("This session")
    sess = facts[session_id]
    ctx = rules.load_context(session, [staff_id], sess.starts_at, sess.ends_at, [sess])
    return rules.check(ctx, staff_id, sess)


def _name(session: Session, staff_id: int) -> str:
    row = session.execute(
        select(StaffMember.given_name, StaffMember.preferred_name, StaffMember.family_name).where(
            StaffMember.id == staff_id
        )
    ).first()
    if row is None:
        raise NotFound("This member of staff")
    return f"{row[1] or row[0]} {row[2]}".strip()


def assign_staff(
    session: Session,
    session_id: int,
    staff_id: int,
    override_reason: str = "",
    expected_version: int | None = None,
) -> Changes:
    """Book a person into a session after checking every rule. Hard rules refuse; soft rules need a reason."""
    rs = load_for_edit(session, RotaSession, session_id, expected_version)
    _refuse_if_published(session, rs.session_date)
    name = _name(session, staff_id)
    taken = session.scalars(select(Assignment.staff_id).where(Assignment.session_id == session_id)).all()
    if staff_id in taken:
        raise ValidationError(f"{name} is already booked into this session.", "Nothing was changed.")
    if len(taken) >= rs.needed:
        raise ValidationError(
            f"This session is already fully staffed ({rs.needed} of {rs.needed}).",
            "Remove someone first, or add a place to the session.",
        )
    violations = check_assignment(session, session_id, staff_id)
    hard = rules.blocking(violations)
    if hard:
        raise AssignmentRefused(name, hard)
    soft = rules.needing_reason(violations)
    reason = (override_reason or "").strip()
    if soft and not reason:
        raise OverrideNeeded(name, soft)
    if len(reason) > 2000:
        raise ValidationError("The override reason is too long (at most 2,000 characters).")
    assignment = Assignment(
        session_id=session_id,
        staff_id=staff_id,
        practice_id=rs.practice_id,
        overridden_rules=", ".join(sorted(x.rule.value for x in soft)) or None,
        override_reason=reason if soft else None,
    )
    session.add(assignment)
    rs.updated_at = datetime.now(UTC)  # bump the session's version: the screens' copies are now stale
    session.flush()
    advisory = [x for x in violations if x.severity is rules.Severity.ADVISORY]
    message = f"{name} booked."
    if soft:
        message = f"{name} booked, overriding: {assignment.overridden_rules}."
    elif advisory:
        message = f"{name} booked (advisory: {'; '.join(x.rule.value for x in advisory)})."
    return Changes.of(KIND, ids=(assignment.id,), message=message)


def remove_assignment(session: Session, assignment_id: int, expected_version: int | None = None) -> Changes:
    a = load_for_edit(session, Assignment, assignment_id, expected_version)
    rs = session.get(RotaSession, a.session_id)
    if rs is not None:
        _refuse_if_published(session, rs.session_date)
        rs.updated_at = datetime.now(UTC)
    name = _name(session, a.staff_id)
    session.delete(a)
    session.flush()
    return Changes.of(KIND, ids=(assignment_id,), message=f"{name} taken off the session.")


def candidates_for(session: Session, session_id: int) -> Candidates:
    """Who could work this session: eligible people first, then those needing an override, then the rest with
    the reasons why not. For a clinical session, clinicians; otherwise non-clinical staff."""
    row = get_session(session, session_id)
    facts = rules.load_session_facts(session, [session_id])[session_id]
    clinical = bool(session.scalar(select(Role.is_clinical).where(Role.id == row.role_id)))
    taken = {a.staff_id for a in row.assignees}
    ids = [
        i
        for i in session.scalars(
            select(StaffMember.id)
            .join(Role, Role.id == StaffMember.role_id)
            .where(
                Role.is_clinical.is_(clinical),
                or_(StaffMember.leave_date.is_(None), StaffMember.leave_date >= row.session_date),
            )
        ).all()
        if i not in taken
    ]
    ctx = rules.load_context(session, ids, facts.starts_at, facts.ends_at, [facts])
    employers = dict(
        session.execute(
            select(StaffMember.id, Practice.name)
            .outerjoin(Practice, Practice.id == StaffMember.employer_practice_id)
            .where(StaffMember.id.in_(ids))
        ).all()
    )
    out = [
        CandidateRow(i, p.name, p.role_name, employers.get(i) or "the federation", tuple(rules.check(ctx, i, facts)))
        for i, p in ctx.people.items()
    ]
    order = {"eligible": 0, "advisory": 1, "override": 2, "blocked": 3}
    out.sort(key=lambda c: (order[c.status], c.role_name != row.role_name, c.name.casefold()))
    return Candidates(row, out, tuple(ctx.notes))


def check_rota(
    session: Session,
    start: date,
    end: date,
    site_ids: Collection[int] | None = None,
    progress: Progress | None = None,
) -> list[ProblemRow]:
    """Re-check every assignment in the period against every rule (rules change, leave is approved later,
    registrations lapse): the problems, with overridden ones marked by their reason."""
    progress = progress or NullProgress()
    stmt = (
        select(Assignment.id, Assignment.session_id, Assignment.staff_id, Assignment.override_reason)
        .join(RotaSession, RotaSession.id == Assignment.session_id)
        .where(RotaSession.session_date.between(start, end))
    )
    if site_ids is not None:
        stmt = stmt.where(RotaSession.site_id.in_(list(site_ids)))
    assignments = session.execute(stmt).all()
    if not assignments:
        return []
    facts = rules.load_session_facts(session, {a[1] for a in assignments})
    first = min(f.starts_at for f in facts.values())
    last = max(f.ends_at for f in facts.values())
    who: dict[date, set[int]] = {}
    for _aid, sid, staff_id, _reason in assignments:
        who.setdefault(facts[sid].session_date, set()).add(staff_id)
    ctx = rules.load_context(session, {a[2] for a in assignments}, first, last, facts.values(), who)
    out: list[ProblemRow] = []
    for n, (aid, sid, staff_id, reason) in enumerate(assignments):
        if n % 500 == 0:
            progress.update(n, len(assignments), "Checking the rota ...")
        found = rules.check(ctx, staff_id, facts[sid], ignore_session=sid)
        if found:
            person = ctx.people.get(staff_id)
            out.append(
                ProblemRow(
                    sid,
                    aid,
                    staff_id,
                    person.name if person else "",
                    facts[sid].label,
                    facts[sid].session_date,
                    tuple(found),
                    reason,
                )
            )
    return out


# ---- publishing ----------------------------------------------------------------------------------------------


def publish_week(session: Session, week_start: date) -> Changes:
    monday = monday_of(week_start)
    week = session.scalar(select(RotaWeek).where(RotaWeek.week_start == monday))
    if week is None:
        week = RotaWeek(week_start=monday)
        session.add(week)
    elif week.published:
        raise ValidationError(f"The week beginning {format_date(monday)} is already published.", "Nothing was changed.")
    week.published = True
    week.published_at = datetime.now(UTC)
    week.published_by = str(session.info.get("actor") or "unknown")
    session.flush()
    return Changes.of(KIND, ids=(week.id,), message=f"Week beginning {format_date(monday)} published.")


def reopen_week(session: Session, week_start: date) -> Changes:
    monday = monday_of(week_start)
    week = session.scalar(select(RotaWeek).where(RotaWeek.week_start == monday))
    if week is None or not week.published:
        raise ValidationError(f"The week beginning {format_date(monday)} is not published.", "Nothing was changed.")
    week.published = False
    session.flush()
    return Changes.of(KIND, ids=(week.id,), message=f"Week beginning {format_date(monday)} reopened for changes.")


# ---- parameters ----------------------------------------------------------------------------------------------


def get_parameter(session: Session, key: str, default: str | None = None) -> str | None:
    value = session.scalar(select(RotaParameter.value).where(RotaParameter.key == key))
    return default if value is None else value


def set_parameter(session: Session, key: str, value: str, label: str) -> Changes:
    row = session.scalar(select(RotaParameter).where(RotaParameter.key == key))
    if row is None:
        row = RotaParameter(key=key, value=value, label=label)
        session.add(row)
    else:
        row.value = value
    session.flush()
    return Changes.of(KIND, message=f"{label} saved.")


def set_staff_skills(session: Session, staff_id: int, skills: Iterable[str]) -> Changes:
    """Replace a person's skills (the ones some sessions need, e.g. cervical screening)."""
    if session.get(StaffMember, staff_id) is None:
        raise NotFound("This member of staff")
    wanted = {" ".join(s.split()) for s in skills if s.strip()}
    too_long = [s for s in wanted if len(s) > 80]
    if too_long:
        raise ValidationError(
            [FieldProblem("skills", f"The skill '{too_long[0][:40]}...' is too long (at most 80 characters).")]
        )
    if len(wanted) > 30:
        raise ValidationError([FieldProblem("skills", "At most 30 skills can be recorded for one person.")])
    session.execute(delete(StaffSkill).where(StaffSkill.staff_id == staff_id, StaffSkill.skill.not_in(wanted)))
    have = set(session.scalars(select(StaffSkill.skill).where(StaffSkill.staff_id == staff_id)).all())
    for skill in sorted(wanted - have):
        session.add(StaffSkill(staff_id=staff_id, skill=skill))
    session.flush()
    return Changes.of(KIND, ids=(staff_id,), message="Skills saved.")


# ---- reference data and the dashboard ------------------------------------------------------------------------


@reference_loader(40, "rota parameters")
def load_rota_reference(session: Session) -> int:
    added = 0
    if not session.scalar(select(func.count(RotaParameter.id))):
        for name in ("working_time.json", "enhanced_access.json"):
            data = read_reference(name)
            source_date = date.fromisoformat(data["source_date"])
            for p in data["parameters"]:
                session.add(
                    RotaParameter(
                        key=p["key"],
                        value=p["value"],
                        unit=p.get("unit"),
                        label=p["label"],
                        severity=p.get("severity"),
                        source=p.get("source"),
                        source_date=source_date,
                        confidence=data.get("confidence"),
                    )
                )
                added += 1
    if not session.scalar(select(func.count(EnhancedAccessWindow.id))):
        data = read_reference("enhanced_access.json")
        for w in data["windows"]:
            session.add(
                EnhancedAccessWindow(
                    weekday=w["weekday"],
                    start_time=time.fromisoformat(w["start"]),
                    end_time=time.fromisoformat(w["end"]),
                    valid_from=date.fromisoformat(data["windows_valid_from"]),
                    valid_to=None,
                    source=data["windows_source"],
                    source_date=date.fromisoformat(data["source_date"]),
                    confidence=data.get("confidence"),
                )
            )
            added += 1
    session.flush()
    return added


@dashboard_card(40, "rota")
def unfilled_sessions_card(session: Session, today: date) -> DashboardCard | None:
    if not session.scalar(select(func.count(RotaSession.id))):
        return None
    end = today + timedelta(days=13)
    vacancies = list_vacancies(session, today, end)
    if not vacancies:
        return DashboardCard(
            "rota", "Rota", "Every session in the next 14 days is staffed", (), Severity.GOOD, "rota", 40
        )
    places = sum(x.missing for x in vacancies)
    soon = [x for x in vacancies if x.session_date <= today + timedelta(days=2)]
    by_service: dict[str, int] = {}
    for x in vacancies:
        by_service[x.service_name] = by_service.get(x.service_name, 0) + x.missing
    top = ", ".join(f"{name} {n}" for name, n in sorted(by_service.items(), key=lambda kv: -kv[1])[:3])
    first = vacancies[0]
    details = [
        f"By service: {top}",
        f"First: {first.role_name} at {first.site_name}, {format_date(first.session_date)} {first.time_text}",
    ]
    if soon:
        details.insert(0, f"{len(soon)} of them in the next 3 days")
    return DashboardCard(
        "rota",
        "Rota gaps",
        f"{len(vacancies)} unfilled session{'s' if len(vacancies) != 1 else ''} ({places} place"
        f"{'s' if places != 1 else ''}) in the next 14 days",
        tuple(details),
        Severity.DANGER if soon else Severity.WARNING,
        "rota",
        40,
    )
