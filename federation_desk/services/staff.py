"""Staff records and their compliance items: lists for screens, validated saves, leave for the rota.

Forms carry what the person typed (raw text where it needs checking; dates already read by the dialog's date
fields); the save functions validate them and write one record in the caller's unit of work. Renewing an item adds
a record: ``save_*`` with ``record_id=None``. Correcting a record edits it, refused when someone else saved it
first (``expected_version``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from federation_desk.db.session import load_for_edit
from federation_desk.domain.base import Base
from federation_desk.domain.compliance import (
    STAFF_ITEM_MODELS,
    Appraisal,
    DbsCheck,
    DbsLevel,
    DbsWorkforce,
    HepatitisBRecord,
    HepBOutcome,
    ItemKind,
    LeaveKind,
    LeaveRecord,
    LeaveStatus,
    PerformersListEntry,
    PerformersStatus,
    ProfessionalRegistration,
    RegistrationStatus,
    RightToWorkCheck,
    RightToWorkMethod,
    TrainingRecord,
    TrainingSubject,
)
from federation_desk.domain.documents import Document, DocumentLink
from federation_desk.domain.organisation import Pcn, Practice
from federation_desk.domain.staff import EmploymentType, Regulator, Role, StaffMember, StaffPractice
from federation_desk.errors import FieldProblem, NotFound, ValidationError
from federation_desk.services import compliance as comp
from federation_desk.services import validators as v
from federation_desk.services.changes import Changes
from federation_desk.services.dates import format_date
from federation_desk.services.dates import today as london_today
from federation_desk.services.documents import DocumentRow

STAFF_KIND = "staff"  # the Changes kind every staff and item write carries
MAX_CONTRACTED_HOURS = 60.0


# ---- the list -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    id: int
    version: int
    staff_number: str | None
    name: str
    given_name: str
    family_name: str
    role_id: int
    role_name: str
    role_code: str
    is_clinical: bool
    employer_practice_id: int | None
    employer: str
    employment_type: EmploymentType
    registration: str
    start_date: date | None
    leave_date: date | None
    current: bool
    status: comp.ItemStatus
    expired: int
    missing: int
    expiring: int
    next_expiry: date | None
    next_item: str
    practice_ids: frozenset[int]
    search_text: str
    sort_name: str = ""  # family name first, folded, for sorting

    @property
    def status_text(self) -> str:
        if not self.current:
            return "Left" if self.leave_date else "Not started"
        problems = self.expired + self.missing
        if problems:
            parts = []
            if self.expired:
                parts.append(f"{self.expired} expired")
            if self.missing:
                parts.append(f"{self.missing} missing")
            return ", ".join(parts)
        if self.expiring:
            return f"{self.expiring} expiring"
        return "Compliant"


def list_staff(session: Session, on: date | None = None, progress: Any = None) -> list[StaffRow]:
    """Every staff record with its compliance status on ``on`` (set-based: one query per kind of item)."""
    on = on or london_today()
    S = StaffMember
    people = session.execute(
        select(
            S.id,
            S.version,
            S.staff_number,
            S.given_name,
            S.family_name,
            S.preferred_name,
            S.email,
            S.role_id,
            Role.name,
            Role.code,
            Role.is_clinical,
            S.employer_practice_id,
            Practice.name,
            Practice.ods_code,
            S.employment_type,
            S.start_date,
            S.leave_date,
        )
        .join(Role, Role.id == S.role_id)
        .outerjoin(Practice, Practice.id == S.employer_practice_id)
        .order_by(S.family_name, S.given_name, S.id)
    ).all()
    if progress is not None:
        progress.update(1, 3, "Checking compliance ...")
    current_ids = [
        p.id
        for p in people
        if (p.start_date is None or p.start_date <= on) and (p.leave_date is None or p.leave_date >= on)
    ]
    statuses = comp.evaluate(session, on, current_ids) if current_ids else {}
    registrations: dict[int, list[str]] = defaultdict(list)
    latest: dict[int, tuple[int, str]] = {}
    R = ProfessionalRegistration
    for sid, rid, regulator, number in session.execute(select(R.staff_id, R.id, R.regulator, R.number).order_by(R.id)):
        registrations[sid].append(number)
        latest[sid] = (rid, f"{regulator.value} {number}")
    worked: dict[int, set[int]] = defaultdict(set)
    for sid, pid in session.execute(select(StaffPractice.staff_id, StaffPractice.practice_id)):
        worked[sid].add(pid)
    practice_names = dict(session.execute(select(Practice.id, Practice.name)).all())
    if progress is not None:
        progress.update(2, 3, "Building the list ...")
    rows: list[StaffRow] = []
    for p in people:
        person = statuses.get(p.id)
        name = comp.staff_name(p.given_name, p.family_name, p.preferred_name)
        practice_ids = set(worked.get(p.id, ()))
        if p.employer_practice_id is not None:
            practice_ids.add(p.employer_practice_id)
        nxt = person.next_expiry() if person else None
        worked_names = " ".join(practice_names.get(x, "") for x in practice_ids)
        search = " ".join(
            filter(
                None,
                [
                    p.given_name,
                    p.family_name,
                    p.preferred_name,
                    p.staff_number,
                    p.email,
                    p[8],
                    p[12] or "Federation",
                    p[13],
                    worked_names,
                    *registrations.get(p.id, []),
                ],
            )
        ).casefold()
        folded = fold_accents(search)
        if folded != search:
            search = f"{search} {folded}"  # "lukasz" finds Łukasz
        rows.append(
            StaffRow(
                id=p.id,
                version=p.version,
                staff_number=p.staff_number,
                name=name,
                given_name=p.given_name,
                family_name=p.family_name,
                role_id=p.role_id,
                role_name=p[8],
                role_code=p[9],
                is_clinical=p[10],
                employer_practice_id=p.employer_practice_id,
                employer=p[12] or "Federation",
                employment_type=p.employment_type,
                registration=latest.get(p.id, (0, ""))[1],
                start_date=p.start_date,
                leave_date=p.leave_date,
                current=person is not None,
                status=person.status if person else comp.ItemStatus.NOT_APPLICABLE,
                expired=person.count(comp.ItemStatus.EXPIRED) if person else 0,
                missing=person.count(comp.ItemStatus.MISSING) if person else 0,
                expiring=person.count(comp.ItemStatus.EXPIRING) if person else 0,
                next_expiry=nxt.expires_on if nxt else None,
                next_item=nxt.label if nxt else "",
                practice_ids=frozenset(practice_ids),
                search_text=search,
                sort_name=f"{p.family_name} {p.given_name}".casefold(),
            )
        )
    return rows


def fold_accents(text: str) -> str:
    """Text without accents, for searching: "łukasz wiśniewski" -> "lukasz wisniewski"."""
    import unicodedata

    text = text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("đ", "d").replace("ß", "ss")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


# ---- one person ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffDetail:
    id: int
    version: int
    staff_number: str | None
    given_name: str
    family_name: str
    preferred_name: str | None
    name: str
    email: str | None
    phone: str | None
    role_id: int
    role_name: str
    role_code: str
    regulator: Regulator
    is_clinical: bool
    employer_practice_id: int | None
    employer: str
    employment_type: EmploymentType
    host_pcn_id: int | None
    host_pcn: str | None
    practice_ids: tuple[int, ...]
    practices_worked: tuple[str, ...]
    start_date: date | None
    leave_date: date | None
    contracted_hours: float | None
    line_manager_id: int | None
    line_manager: str | None
    working_time_opt_out: bool


def get_staff(session: Session, staff_id: int) -> StaffDetail:
    s = session.get(StaffMember, staff_id)
    if s is None:
        raise NotFound("This staff record")
    role = session.get(Role, s.role_id)
    employer = session.get(Practice, s.employer_practice_id) if s.employer_practice_id else None
    pcn = session.get(Pcn, s.host_pcn_id) if s.host_pcn_id else None
    manager = session.get(StaffMember, s.line_manager_id) if s.line_manager_id else None
    worked = session.execute(
        select(Practice.id, Practice.name)
        .join(StaffPractice, StaffPractice.practice_id == Practice.id)
        .where(StaffPractice.staff_id == staff_id)
        .order_by(Practice.name)
    ).all()
    assert role is not None
    return StaffDetail(
        id=s.id,
        version=s.version,
        staff_number=s.staff_number,
        given_name=s.given_name,
        family_name=s.family_name,
        preferred_name=s.preferred_name,
        name=s.display_name,
        email=s.email,
        phone=s.phone,
        role_id=s.role_id,
        role_name=role.name,
        role_code=role.code,
        regulator=role.regulator,
        is_clinical=role.is_clinical,
        employer_practice_id=s.employer_practice_id,
        employer=employer.name if employer else "Federation",
        employment_type=s.employment_type,
        host_pcn_id=s.host_pcn_id,
        host_pcn=pcn.name if pcn else None,
        practice_ids=tuple(pid for pid, _n in worked),
        practices_worked=tuple(n for _p, n in worked),
        start_date=s.start_date,
        leave_date=s.leave_date,
        contracted_hours=s.contracted_hours,
        line_manager_id=s.line_manager_id,
        line_manager=manager.display_name if manager else None,
        working_time_opt_out=s.working_time_opt_out,
    )


@dataclass(frozen=True)
class Choice:
    id: int
    label: str
    extra: str = ""


@dataclass(frozen=True)
class StaffOptions:
    """What the staff editors offer in their lists."""

    roles: tuple[Choice, ...]  # extra: the role code
    practices: tuple[Choice, ...]  # extra: the ODS code
    pcns: tuple[Choice, ...]
    managers: tuple[Choice, ...]
    subjects: tuple[Choice, ...]  # extra: the level names, "1:Level 1|2:Level 2"


def staff_options(session: Session) -> StaffOptions:
    roles = tuple(
        Choice(i, n, c)
        for i, n, c in session.execute(
            select(Role.id, Role.name, Role.code).where(Role.active.is_(True)).order_by(Role.sort_order, Role.name)
        )
    )
    practices = tuple(
        Choice(i, n, o)
        for i, n, o in session.execute(select(Practice.id, Practice.name, Practice.ods_code).order_by(Practice.name))
    )
    pcns = tuple(Choice(i, n) for i, n in session.execute(select(Pcn.id, Pcn.name).order_by(Pcn.name)))
    managers = tuple(
        Choice(i, comp.staff_name(g, f, p), number or "")
        for i, g, f, p, number in session.execute(
            select(
                StaffMember.id,
                StaffMember.given_name,
                StaffMember.family_name,
                StaffMember.preferred_name,
                StaffMember.staff_number,
            )
            .join(Role, Role.id == StaffMember.role_id)
            .where(
                StaffMember.leave_date.is_(None),
                or_(Role.code.in_(("manager", "gp")), StaffMember.employer_practice_id.is_(None)),
            )
            .order_by(StaffMember.family_name, StaffMember.given_name)
        )
    )
    catalogue = comp.load_catalogue(session)
    subjects = tuple(
        Choice(s.id, s.name, "|".join(f"{n}:{name or 'Level ' + str(n)}" for n, name, _m in s.levels))
        for s in catalogue.subjects_in_order()
    )
    return StaffOptions(roles, practices, pcns, managers, subjects)


# ---- saving a staff record --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffForm:
    given_name: str
    family_name: str
    role_id: int | None
    employment_type: EmploymentType = EmploymentType.EMPLOYED
    employer_practice_id: int | None = None
    staff_number: str = ""
    preferred_name: str = ""
    email: str = ""
    phone: str = ""
    host_pcn_id: int | None = None
    practice_ids: tuple[int, ...] = ()
    start_date: date | None = None
    leave_date: date | None = None
    contracted_hours: str = ""
    line_manager_id: int | None = None
    working_time_opt_out: bool = False


def hours_value(text: str | float | None, field: str = "contracted_hours") -> float | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    raw = str(text).strip()
    try:
        hours = float(raw.replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw)
    except ValueError:
        raise ValidationError(
            [FieldProblem(field, f"Contracted hours must be a number of hours a week (e.g. 37.5), not '{raw}'.")]
        ) from None
    if hours < 0 or hours > MAX_CONTRACTED_HOURS:
        raise ValidationError(
            [FieldProblem(field, f"{hours:g} contracted hours a week cannot be right (0 to {MAX_CONTRACTED_HOURS:g}).")]
        )
    return hours


def staff_number_value(text: str | None) -> str | None:
    value = v.optional_text(text, "staff_number", "The staff number", 30)
    return value.upper().replace(" ", "") if value else None


def save_staff(
    session: Session, form: StaffForm, staff_id: int | None = None, expected_version: int | None = None
) -> Changes:
    problems: list[FieldProblem] = []
    try:
        given, family, preferred, number, mail, tel, hours = v.collect(
            lambda: v.required_text(form.given_name, "given_name", "The given name", 120),
            lambda: v.required_text(form.family_name, "family_name", "The family name", 120),
            lambda: v.optional_text(form.preferred_name, "preferred_name", "The preferred name", 120),
            lambda: staff_number_value(form.staff_number),
            lambda: v.email(form.email),
            lambda: v.phone(form.phone),
            lambda: hours_value(form.contracted_hours),
        )
    except ValidationError as err:  # keep going: every problem is reported at once
        problems.extend(err.problems)
        given = family = preferred = mail = tel = hours = None
        number = staff_number_value(form.staff_number) if not err.for_field("staff_number") else None
    if form.role_id is None or session.get(Role, form.role_id) is None:
        problems.append(FieldProblem("role_id", "Choose the person's role."))
    if form.employer_practice_id is not None and session.get(Practice, form.employer_practice_id) is None:
        problems.append(FieldProblem("employer_practice_id", "The chosen employer practice no longer exists."))
    if form.leave_date and form.start_date and form.leave_date < form.start_date:
        problems.append(
            FieldProblem(
                "leave_date",
                f"The leaving date ({format_date(form.leave_date)}) is before the start date "
                f"({format_date(form.start_date)}).",
            )
        )
    for d, name, label in (
        (form.start_date, "start_date", "The start date"),
        (form.leave_date, "leave_date", "The leaving date"),
    ):
        try:
            v.plausible_date(d, name, label)
        except ValidationError as err:
            problems.extend(err.problems)
    if staff_id is not None and form.line_manager_id == staff_id:
        problems.append(FieldProblem("line_manager_id", "A person cannot be their own line manager."))
    if number:
        clash = session.execute(
            select(StaffMember.id, StaffMember.given_name, StaffMember.family_name).where(
                StaffMember.staff_number == number, StaffMember.id != (staff_id or -1)
            )
        ).first()
        if clash is not None:
            problems.append(
                FieldProblem("staff_number", f"Staff number {number} already belongs to {clash[1]} {clash[2]}.")
            )
    if problems:
        raise ValidationError(problems)
    if staff_id is None:
        staff = StaffMember(
            given_name=given, family_name=family, role_id=form.role_id, employment_type=form.employment_type
        )
        session.add(staff)
    else:
        staff = load_for_edit(session, StaffMember, staff_id, expected_version)
    staff.given_name, staff.family_name, staff.preferred_name = given, family, preferred  # type: ignore[assignment]
    staff.staff_number, staff.email, staff.phone = number, mail, tel  # type: ignore[assignment]
    staff.role_id, staff.employment_type = form.role_id, form.employment_type  # type: ignore[assignment]
    staff.employer_practice_id, staff.host_pcn_id = form.employer_practice_id, form.host_pcn_id
    staff.start_date, staff.leave_date, staff.contracted_hours = form.start_date, form.leave_date, hours  # type: ignore[assignment]
    staff.line_manager_id, staff.working_time_opt_out = form.line_manager_id, form.working_time_opt_out
    session.flush()
    wanted = set(form.practice_ids) - ({form.employer_practice_id} if form.employer_practice_id else set())
    existing = {
        link.practice_id: link
        for link in session.scalars(select(StaffPractice).where(StaffPractice.staff_id == staff.id))
    }
    for pid, link in existing.items():
        if pid not in wanted:
            session.delete(link)
    for pid in sorted(wanted - set(existing)):
        if session.get(Practice, pid) is not None:
            session.add(StaffPractice(staff_id=staff.id, practice_id=pid))
    session.flush()
    name = f"{preferred or given} {family}"
    return Changes.of(STAFF_KIND, ids=(staff.id,), message=f"{name} saved.")


# ---- items of one person --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    """A record in one of the staff record's tabs: its fields for display, and whether it is the current one."""

    table: str
    id: int
    version: int
    current: bool
    status: comp.ItemStatus | None  # the compliance status when it is the current record
    expires_on: date | None
    documents: int
    values: dict[str, Any] = field(hash=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class TrainingLine:
    """A requirement of the person's role (or a subject they have a record for) with its status."""

    subject_id: int
    subject: str
    required_level: int | None
    required_label: str
    status: comp.ItemStatus
    completed_on: date | None
    expires_on: date | None
    detail: str
    record_id: int | None


@dataclass(frozen=True)
class StaffItems:
    staff_id: int
    on: date
    compliance: comp.PersonCompliance | None
    registrations: tuple[ItemRow, ...]
    performers: tuple[ItemRow, ...]
    dbs: tuple[ItemRow, ...]
    right_to_work: tuple[ItemRow, ...]
    hepatitis_b: tuple[ItemRow, ...]
    training: tuple[ItemRow, ...]
    training_lines: tuple[TrainingLine, ...]
    appraisals: tuple[ItemRow, ...]
    leave: tuple[ItemRow, ...]
    safeguarding_hours: tuple[tuple[str, float, float | None], ...]  # (subject, hours in 3 years, expected)
    required: frozenset[ItemKind] = frozenset()  # the kinds of item the person's role needs


def _rows(
    session: Session,
    model: type[Base],
    staff_id: int,
    order: Sequence[Any],
    current: dict[int, comp.ItemState],
    doc_counts: dict[tuple[str, int], int],
    expiry_of: Any = None,
) -> tuple[ItemRow, ...]:
    table = model.__tablename__  # type: ignore[attr-defined]
    result = []
    for obj in session.scalars(select(model).where(model.staff_id == staff_id).order_by(*order)):  # type: ignore[attr-defined]
        values = {c.key: getattr(obj, c.key) for c in model.__mapper__.column_attrs}  # type: ignore[attr-defined]
        state = current.get(obj.id)  # type: ignore[attr-defined]
        result.append(
            ItemRow(
                table,
                obj.id,  # type: ignore[attr-defined]
                obj.version,  # type: ignore[attr-defined]
                state is not None,
                state.status if state else None,
                state.expires_on if state else (expiry_of(obj) if expiry_of else None),
                doc_counts.get((table, obj.id), 0),  # type: ignore[attr-defined]
                values,
            )
        )
    return tuple(result)


def staff_items(session: Session, staff_id: int, on: date | None = None) -> StaffItems:
    """Everything in a person's record tabs, with the compliance status of the current records."""
    on = on or london_today()
    if session.get(StaffMember, staff_id) is None:
        raise NotFound("This staff record")
    person = comp.evaluate(session, on, [staff_id]).get(staff_id)
    current_by_table: dict[str, dict[int, comp.ItemState]] = defaultdict(dict)
    if person is not None:
        for item in person.items:
            if item.record_table and item.record_id and item.kind is not ItemKind.REVALIDATION:
                current_by_table[item.record_table][item.record_id] = item
    doc_counts: dict[tuple[str, int], int] = {}
    for entity, entity_id, n in session.execute(
        select(DocumentLink.entity, DocumentLink.entity_id, func.count(DocumentLink.id))
        .where(DocumentLink.entity.in_([m.__tablename__ for m in STAFF_ITEM_MODELS]))  # type: ignore[attr-defined]
        .group_by(DocumentLink.entity, DocumentLink.entity_id)
    ):
        doc_counts[(entity, entity_id)] = n

    def rows(model: type[Base], *order: Any, expiry_of: Any = None) -> tuple[ItemRow, ...]:
        return _rows(session, model, staff_id, order, current_by_table[model.__tablename__], doc_counts, expiry_of)  # type: ignore[attr-defined]

    catalogue = comp.load_catalogue(session)
    training = rows(TrainingRecord, TrainingRecord.completed_on.desc(), TrainingRecord.id.desc())
    lines = _training_lines(session, staff_id, on, catalogue, person)
    hours = _safeguarding_hours(session, staff_id, on, catalogue)
    return StaffItems(
        staff_id,
        on,
        person,
        rows(ProfessionalRegistration, ProfessionalRegistration.id.desc()),
        rows(PerformersListEntry, PerformersListEntry.checked_on.desc(), PerformersListEntry.id.desc()),
        rows(DbsCheck, DbsCheck.issued_on.desc(), DbsCheck.id.desc()),
        rows(RightToWorkCheck, RightToWorkCheck.checked_on.desc(), RightToWorkCheck.id.desc()),
        rows(HepatitisBRecord, HepatitisBRecord.id.desc()),
        training,
        lines,
        rows(Appraisal, Appraisal.completed_on.desc(), Appraisal.id.desc()),
        rows(LeaveRecord, LeaveRecord.start_on.desc(), LeaveRecord.id.desc()),
        hours,
        _required_kinds(session, staff_id, catalogue),
    )


def _required_kinds(session: Session, staff_id: int, catalogue: comp.Catalogue) -> frozenset[ItemKind]:
    role_id = session.scalar(select(StaffMember.role_id).where(StaffMember.id == staff_id))
    kinds = set(catalogue.checks_by_role.get(role_id or -1, {}))
    if catalogue.training_by_role.get(role_id or -1):
        kinds.add(ItemKind.TRAINING)
    return frozenset(kinds)


def _training_lines(
    session: Session, staff_id: int, on: date, catalogue: comp.Catalogue, person: comp.PersonCompliance | None
) -> tuple[TrainingLine, ...]:
    role_id = session.scalar(select(StaffMember.role_id).where(StaffMember.id == staff_id))
    needs = catalogue.training_by_role.get(role_id or -1, {})
    records = comp.training_records_by_staff(session, [staff_id]).get(staff_id, {})
    lead = catalogue.lead(ItemKind.TRAINING, None)
    lines = []
    for subject in catalogue.subjects_in_order():
        required = needs.get(subject.id)
        found = records.get(subject.id, [])
        if required is None and not found:
            continue
        best = comp.best_training(subject, found, required or 0)
        if best is None:
            status, completed, expiry, detail, rid = (
                comp.ItemStatus.MISSING,
                None,
                None,
                "no record at this level",
                None,
            )
            if not found:
                detail = "no record"
        else:
            rid, level, completed, expiry = best
            status = comp.status_for(expiry, on, lead)
            detail = f"{subject.level_name(level)} done" if len(subject.levels) > 1 and level != required else ""
            if required is None:
                status = comp.ItemStatus.NOT_APPLICABLE
                detail = (detail + "; " if detail else "") + "not required for the role"
        lines.append(
            TrainingLine(
                subject.id,
                subject.name,
                required,
                subject.level_name(required)
                if required is not None and len(subject.levels) > 1
                else ("Required" if required is not None else "Not required"),
                status,
                completed,
                expiry,
                detail,
                rid,
            )
        )
    return tuple(lines)


def _safeguarding_hours(
    session: Session, staff_id: int, on: date, catalogue: comp.Catalogue
) -> tuple[tuple[str, float, float | None], ...]:
    """Safeguarding hours accrued in the rolling three years (DOMAIN.md 1.2), against the required level's hours."""
    since = comp.add_months(on, -36)
    role_id = session.scalar(select(StaffMember.role_id).where(StaffMember.id == staff_id))
    needs = catalogue.training_by_role.get(role_id or -1, {})
    hours_of = dict(
        session.execute(
            select(TrainingSubject.code, func.coalesce(func.sum(TrainingRecord.hours), 0.0))
            .join(TrainingRecord, TrainingRecord.subject_id == TrainingSubject.id)
            .where(
                TrainingRecord.staff_id == staff_id,
                TrainingRecord.completed_on > since,
                TrainingRecord.completed_on <= on,
                TrainingSubject.code.in_(("safeguarding_adults", "safeguarding_children")),
            )
            .group_by(TrainingSubject.code)
        ).all()
    )
    from federation_desk.domain.compliance import TrainingLevel

    result = []
    for subject in catalogue.subjects_in_order():
        if subject.code not in ("safeguarding_adults", "safeguarding_children") or subject.id not in needs:
            continue
        expected = session.scalar(
            select(TrainingLevel.hours_per_3_years).where(
                TrainingLevel.subject_id == subject.id, TrainingLevel.level == needs[subject.id]
            )
        )
        result.append((subject.requirement_label(needs[subject.id]), float(hours_of.get(subject.code, 0.0)), expected))
    return tuple(result)


# ---- item forms and saves -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationForm:
    regulator: Regulator
    number: str
    status: RegistrationStatus = RegistrationStatus.REGISTERED
    registered_on: date | None = None
    expires_on: date | None = None
    revalidation_due: date | None = None
    checked_on: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class PerformersForm:
    status: PerformersStatus
    checked_on: date | None
    included_on: date | None = None
    list_name: str = "NHS England Medical Performers List"
    responsible_officer: str = ""
    notes: str = ""


@dataclass(frozen=True)
class DbsForm:
    level: DbsLevel
    issued_on: date | None
    certificate_number: str = ""
    workforce: DbsWorkforce | None = None
    update_service: bool = False
    status_checked_on: date | None = None
    status_check_result: str = ""
    recheck_due: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class RightToWorkForm:
    method: RightToWorkMethod
    checked_on: date | None
    document_type: str = ""
    checked_by: str = ""
    share_code_reference: str = ""
    permission_expires_on: date | None = None
    follow_up_due: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class HepatitisBForm:
    outcome: HepBOutcome
    dose1_on: date | None = None
    dose2_on: date | None = None
    dose3_on: date | None = None
    booster_on: date | None = None
    tested_on: date | None = None
    anti_hbs: str = ""
    oh_cleared_on: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class TrainingForm:
    subject_id: int | None
    completed_on: date | None
    level: int = 1
    expires_on: date | None = None
    hours: str = ""
    provider: str = ""
    notes: str = ""


@dataclass(frozen=True)
class AppraisalForm:
    completed_on: date | None
    next_due: date | None = None
    appraiser: str = ""
    supports_revalidation: bool = False
    notes: str = ""


@dataclass(frozen=True)
class LeaveForm:
    kind: LeaveKind
    start_on: date | None
    end_on: date | None
    status: LeaveStatus = LeaveStatus.APPROVED
    notes: str = ""


def _staff_and_role(session: Session, staff_id: int) -> tuple[StaffMember, Role]:
    staff = session.get(StaffMember, staff_id)
    if staff is None:
        raise NotFound("This staff record")
    role = session.get(Role, staff.role_id)
    assert role is not None
    return staff, role


def _required_date(value: date | None, field: str, label: str) -> date:
    if value is None:
        raise ValidationError([FieldProblem(field, f"{label} is required (dd/mm/yyyy).")])
    v.plausible_date(value, field, label)
    return value


def _write_item(
    session: Session,
    model: type[Base],
    staff_id: int,
    record_id: int | None,
    expected_version: int | None,
    values: dict[str, Any],
    message: str,
) -> Changes:
    if record_id is None:
        obj = model(staff_id=staff_id, **values)
        session.add(obj)
    else:
        obj = load_for_edit(session, model, record_id, expected_version)
        if obj.staff_id != staff_id:  # type: ignore[attr-defined]
            raise NotFound(f"This {model.audit_label()}")
        for key, value in values.items():
            setattr(obj, key, value)
    session.flush()
    return Changes.of(STAFF_KIND, ids=(staff_id,), message=message)


def _notes(text: str) -> str | None:
    return v.optional_text(text, "notes", "The notes", 2000)


def save_registration(
    session: Session,
    staff_id: int,
    form: RegistrationForm,
    record_id: int | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> Changes:
    """Add a registration (a renewal adds a new record) or correct one."""
    today = today or london_today()
    _staff, role = _staff_and_role(session, staff_id)
    reg = form.regulator.value

    def number() -> str:
        return v.registration_number(reg, form.number, "number", role.code if role.regulator is form.regulator else "")

    def expiry() -> date | None:
        v.plausible_date(form.expires_on, "expires_on", "The renewal date")
        v.not_before(form.expires_on, form.registered_on, "expires_on", "The renewal date", "The registration date")
        return v.renewal_date(reg, form.expires_on, today)

    def revalidation() -> date | None:
        v.plausible_date(form.revalidation_due, "revalidation_due", "The revalidation date")
        return v.revalidation_date(reg, form.revalidation_due, today)

    def checked() -> date | None:
        v.plausible_date(form.checked_on, "checked_on", "The date the register was checked")
        return v.not_in_future(form.checked_on, today, "checked_on", "The date the register was checked")

    def registered() -> date | None:
        v.plausible_date(form.registered_on, "registered_on", "The registration date")
        return v.not_in_future(form.registered_on, today, "registered_on", "The registration date")

    if form.regulator is Regulator.NONE:
        raise ValidationError([FieldProblem("regulator", "Choose the register: GMC, NMC, GPhC or HCPC.")])
    num, exp, reval, chk, regd, notes = v.collect(
        number, expiry, revalidation, checked, registered, lambda: _notes(form.notes)
    )
    values = dict(
        regulator=form.regulator, number=num, status=form.status, registered_on=regd, expires_on=exp,
        revalidation_due=reval, checked_on=chk, notes=notes,
    )  # fmt: skip
    return _write_item(
        session,
        ProfessionalRegistration,
        staff_id,
        record_id,
        expected_version,
        values,
        f"{reg} registration {num} saved.",
    )


def save_performers(
    session: Session,
    staff_id: int,
    form: PerformersForm,
    record_id: int | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> Changes:
    today = today or london_today()

    def checked() -> date:
        d = _required_date(form.checked_on, "checked_on", "The date the list was checked")
        v.not_in_future(d, today, "checked_on", "The date the list was checked")
        return d

    chk, included, name, officer, notes = v.collect(
        checked,
        lambda: v.not_in_future(
            v.plausible_date(form.included_on, "included_on", "The inclusion date"),
            today,
            "included_on",
            "The inclusion date",
        ),
        lambda: v.required_text(form.list_name, "list_name", "The list's name", 120),
        lambda: v.optional_text(form.responsible_officer, "responsible_officer", "The responsible officer"),
        lambda: _notes(form.notes),
    )
    values = dict(
        status=form.status,
        checked_on=chk,
        included_on=included,
        list_name=name,
        responsible_officer=officer,
        notes=notes,
    )
    return _write_item(
        session, PerformersListEntry, staff_id, record_id, expected_version, values, "Performers List check saved."
    )


def save_dbs(
    session: Session,
    staff_id: int,
    form: DbsForm,
    record_id: int | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> Changes:
    today = today or london_today()

    def issued() -> date:
        d = _required_date(form.issued_on, "issued_on", "The issue date")
        v.not_in_future(d, today, "issued_on", "The issue date")
        return d

    def status_check() -> date | None:
        v.plausible_date(form.status_checked_on, "status_checked_on", "The Update Service check date")
        v.not_in_future(form.status_checked_on, today, "status_checked_on", "The Update Service check date")
        return v.not_before(
            form.status_checked_on,
            form.issued_on,
            "status_checked_on",
            "The Update Service check date",
            "The issue date",
        )

    def recheck() -> date | None:
        v.plausible_date(form.recheck_due, "recheck_due", "The re-check date")
        return v.not_before(form.recheck_due, form.issued_on, "recheck_due", "The re-check date", "The issue date")

    def update_service() -> bool:
        if form.update_service and form.level is DbsLevel.BASIC:
            raise ValidationError(
                [
                    FieldProblem(
                        "update_service", "The DBS Update Service covers standard and enhanced checks, not basic."
                    )
                ]
            )
        return form.update_service

    cert, iss, checked, due, subscribed, result, notes = v.collect(
        lambda: v.dbs_certificate_number(form.certificate_number),
        issued,
        status_check,
        recheck,
        update_service,
        lambda: v.optional_text(form.status_check_result, "status_check_result", "The status check result"),
        lambda: _notes(form.notes),
    )
    values = dict(
        level=form.level, workforce=form.workforce, certificate_number=cert, issued_on=iss, update_service=subscribed,
        status_checked_on=checked, status_check_result=result, recheck_due=due, notes=notes,
    )  # fmt: skip
    return _write_item(session, DbsCheck, staff_id, record_id, expected_version, values, "DBS check saved.")


def save_right_to_work(
    session: Session,
    staff_id: int,
    form: RightToWorkForm,
    record_id: int | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> Changes:
    today = today or london_today()

    def checked() -> date:
        d = _required_date(form.checked_on, "checked_on", "The check date")
        v.not_in_future(d, today, "checked_on", "The check date")
        return d

    def permission() -> date | None:
        v.plausible_date(form.permission_expires_on, "permission_expires_on", "The permission's expiry date")
        if form.method is RightToWorkMethod.LIST_B_GROUP_1 and form.permission_expires_on is None:
            raise ValidationError(
                [
                    FieldProblem(
                        "permission_expires_on",
                        "A List B group 1 document gives time-limited permission: enter the date it ends, so the "
                        "follow-up check can be chased before then.",
                    )
                ]
            )
        return form.permission_expires_on

    def share_code() -> str | None:
        text = v.optional_text(form.share_code_reference, "share_code_reference", "The share code", 20)
        if text is None:
            return None
        code = text.upper().replace(" ", "").replace("-", "")
        if len(code) != 9 or not code.isalnum():
            raise ValidationError(
                [FieldProblem("share_code_reference", f"'{text}' is not a share code: they are 9 letters and digits.")]
            )
        if form.method is RightToWorkMethod.ONLINE and not code.startswith("W"):
            raise ValidationError(
                [
                    FieldProblem(
                        "share_code_reference", f"'{text}' is not a right to work share code: those start with W."
                    )
                ]
            )
        return code

    chk, perm, code, doc, by, due, notes = v.collect(
        checked,
        permission,
        share_code,
        lambda: v.optional_text(form.document_type, "document_type", "The document type", 120),
        lambda: v.optional_text(form.checked_by, "checked_by", "Checked by", 120),
        lambda: v.plausible_date(form.follow_up_due, "follow_up_due", "The follow-up date"),
        lambda: _notes(form.notes),
    )
    values = dict(
        method=form.method, checked_on=chk, permission_expires_on=perm, share_code_reference=code, document_type=doc,
        checked_by=by, follow_up_due=due, notes=notes,
    )  # fmt: skip
    return _write_item(
        session, RightToWorkCheck, staff_id, record_id, expected_version, values, "Right to work check saved."
    )


def anti_hbs_value(text: str) -> int | None:
    raw = (text or "").strip()
    if not raw:
        return None
    cleaned = raw.lower().replace("miu/ml", "").replace(">", "").replace("<", "").strip()
    if not cleaned.isdigit():
        raise ValidationError(
            [FieldProblem("anti_hbs", f"The anti-HBs level must be a whole number of mIU/ml (e.g. 120), not '{raw}'.")]
        )
    return int(cleaned)


def save_hepatitis_b(
    session: Session,
    staff_id: int,
    form: HepatitisBForm,
    record_id: int | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> Changes:
    today = today or london_today()
    dates = {
        "dose1_on": (form.dose1_on, "The first dose"),
        "dose2_on": (form.dose2_on, "The second dose"),
        "dose3_on": (form.dose3_on, "The third dose"),
        "booster_on": (form.booster_on, "The booster"),
        "tested_on": (form.tested_on, "The blood test"),
        "oh_cleared_on": (form.oh_cleared_on, "The occupational health clearance"),
    }
    checks = [
        (lambda d=d, f=f, label=label: v.not_in_future(v.plausible_date(d, f, label), today, f, label))
        for f, (d, label) in dates.items()
    ]
    *_values_list, level, notes = v.collect(
        *checks,
        lambda: v.not_before(form.dose2_on, form.dose1_on, "dose2_on", "The second dose", "The first dose"),
        lambda: v.not_before(form.dose3_on, form.dose2_on, "dose3_on", "The third dose", "The second dose"),
        lambda: anti_hbs_value(form.anti_hbs),
        lambda: _notes(form.notes),
    )
    values: dict[str, Any] = {f: d for f, (d, _l) in dates.items()}
    values.update(outcome=form.outcome, anti_hbs=level, notes=notes)
    return _write_item(
        session, HepatitisBRecord, staff_id, record_id, expected_version, values, "Hepatitis B record saved."
    )


def save_training(
    session: Session,
    staff_id: int,
    form: TrainingForm,
    record_id: int | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> Changes:
    today = today or london_today()
    subject = session.get(TrainingSubject, form.subject_id) if form.subject_id is not None else None

    def subject_check() -> TrainingSubject:
        if subject is None:
            raise ValidationError([FieldProblem("subject_id", "Choose the training subject.")])
        return subject

    def completed() -> date:
        d = _required_date(form.completed_on, "completed_on", "The completion date")
        v.not_in_future(d, today, "completed_on", "The completion date")
        return d

    def hours() -> float | None:
        raw = (form.hours or "").strip()
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise ValidationError([FieldProblem("hours", f"Hours must be a number (e.g. 2.5), not '{raw}'.")]) from None
        if not 0 < value <= 100:
            raise ValidationError([FieldProblem("hours", f"{value:g} hours for one course cannot be right.")])
        return value

    subj, done, expiry, hrs, provider, notes = v.collect(
        subject_check,
        completed,
        lambda: v.not_before(
            form.expires_on, form.completed_on, "expires_on", "The expiry date", "The completion date"
        ),
        hours,
        lambda: v.optional_text(form.provider, "provider", "The provider", 120),
        lambda: _notes(form.notes),
    )
    assert isinstance(subj, TrainingSubject)
    clash = session.scalar(
        select(TrainingRecord.id).where(
            TrainingRecord.staff_id == staff_id,
            TrainingRecord.subject_id == subj.id,
            TrainingRecord.level == form.level,
            TrainingRecord.completed_on == done,
            TrainingRecord.id != (record_id or -1),
        )
    )
    if clash is not None:
        raise ValidationError(
            [FieldProblem("completed_on", f"{subj.name} completed on {format_date(done)} is already recorded.")]  # type: ignore[arg-type]
        )
    values = dict(
        subject_id=subj.id,
        level=form.level,
        completed_on=done,
        expires_on=expiry,
        hours=hrs,
        provider=provider,
        notes=notes,
    )
    return _write_item(
        session, TrainingRecord, staff_id, record_id, expected_version, values, f"{subj.name} training saved."
    )


def save_appraisal(
    session: Session,
    staff_id: int,
    form: AppraisalForm,
    record_id: int | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> Changes:
    today = today or london_today()

    def completed() -> date:
        d = _required_date(form.completed_on, "completed_on", "The appraisal date")
        v.not_in_future(d, today, "completed_on", "The appraisal date")
        return d

    done, due, appraiser, notes = v.collect(
        completed,
        lambda: v.not_before(
            form.next_due, form.completed_on, "next_due", "The next appraisal date", "The appraisal date"
        ),
        lambda: v.optional_text(form.appraiser, "appraiser", "The appraiser", 120),
        lambda: _notes(form.notes),
    )
    values = dict(
        completed_on=done,
        next_due=due,
        appraiser=appraiser,
        supports_revalidation=form.supports_revalidation,
        notes=notes,
    )
    return _write_item(session, Appraisal, staff_id, record_id, expected_version, values, "Appraisal saved.")


def save_leave(
    session: Session,
    staff_id: int,
    form: LeaveForm,
    record_id: int | None = None,
    expected_version: int | None = None,
) -> Changes:
    start, end, notes = v.collect(
        lambda: _required_date(form.start_on, "start_on", "The first day"),
        lambda: _required_date(form.end_on, "end_on", "The last day"),
        lambda: _notes(form.notes),
    )
    v.not_before(end, start, "end_on", "The last day", "The first day")  # type: ignore[arg-type]
    if (end - start).days > 366:  # type: ignore[operator]
        raise ValidationError(
            [FieldProblem("end_on", "One leave record can cover at most a year; add another for the rest.")]
        )
    if form.status is LeaveStatus.APPROVED:
        overlap = session.execute(
            select(LeaveRecord.start_on, LeaveRecord.end_on, LeaveRecord.kind).where(
                LeaveRecord.staff_id == staff_id,
                LeaveRecord.status == LeaveStatus.APPROVED,
                LeaveRecord.start_on <= end,
                LeaveRecord.end_on >= start,
                LeaveRecord.id != (record_id or -1),
            )
        ).first()
        if overlap is not None:
            raise ValidationError(
                [
                    FieldProblem(
                        "start_on",
                        f"This overlaps approved {overlap[2].value} from {format_date(overlap[0])} to "
                        f"{format_date(overlap[1])}. Change the dates or that record first.",
                    )
                ]
            )
    values = dict(kind=form.kind, start_on=start, end_on=end, status=form.status, notes=notes)
    return _write_item(session, LeaveRecord, staff_id, record_id, expected_version, values, f"{form.kind.label} saved.")


_MODELS_BY_TABLE: dict[str, type[Base]] = {m.__tablename__: m for m in STAFF_ITEM_MODELS}  # type: ignore[attr-defined]


def delete_item(session: Session, table: str, record_id: int, expected_version: int | None) -> Changes:
    """Delete a record entered by mistake (the audit trail keeps what it held). Renewals never delete."""
    model = _MODELS_BY_TABLE.get(table)
    if model is None:
        raise NotFound("This record")
    obj = load_for_edit(session, model, record_id, expected_version)
    staff_id = obj.staff_id  # type: ignore[attr-defined]
    session.execute(delete(DocumentLink).where(DocumentLink.entity == table, DocumentLink.entity_id == record_id))
    session.delete(obj)
    session.flush()
    return Changes.of(STAFF_KIND, ids=(staff_id,), message=f"The {model.audit_label()} was deleted.")


# ---- documents of one person ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffDocumentRow:
    document: DocumentRow
    entity: str
    entity_id: int
    attached_to: str


def item_targets(session: Session, staff_id: int) -> list[tuple[str, int]]:
    """Every (table, id) that belongs to the person: their record and each of their items."""
    targets = [(StaffMember.__tablename__, staff_id)]
    for model in STAFF_ITEM_MODELS:
        for rid in session.scalars(select(model.id).where(model.staff_id == staff_id)):  # type: ignore[attr-defined]
            targets.append((model.__tablename__, rid))  # type: ignore[attr-defined]
    return targets


def staff_documents(session: Session, staff_id: int) -> list[StaffDocumentRow]:
    """Documents attached to the person's record or to any of their items, newest first."""
    from federation_desk.services.audit import table_label

    conditions = [and_(DocumentLink.entity == StaffMember.__tablename__, DocumentLink.entity_id == staff_id)]
    for model in STAFF_ITEM_MODELS:
        ids = select(model.id).where(model.staff_id == staff_id).scalar_subquery()  # type: ignore[attr-defined]
        conditions.append(and_(DocumentLink.entity == model.__tablename__, DocumentLink.entity_id.in_(ids)))  # type: ignore[attr-defined]
    rows = session.execute(
        select(Document, DocumentLink.purpose, DocumentLink.entity, DocumentLink.entity_id)
        .join(DocumentLink, DocumentLink.document_id == Document.id)
        .where(or_(*conditions))
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    ).all()
    result = []
    for d, purpose, entity, entity_id in rows:
        name = table_label(entity)
        label = "Staff record" if entity == StaffMember.__tablename__ else name[:1].upper() + name[1:]
        result.append(
            StaffDocumentRow(
                DocumentRow(
                    d.id, d.version, d.filename, d.media_type, d.size_bytes, d.sha256, d.description, d.uploaded_at,
                    d.uploaded_by, purpose,
                ),
                entity,
                entity_id,
                label if not purpose else f"{label}: {purpose}",
            )
        )  # fmt: skip
    return result


EVIDENCE_MEDIA = {"application/pdf", "image/png", "image/jpeg"}


def attach_evidence(
    session: Session, staff_id: int, target: tuple[str, int], filename: str, data: bytes, purpose: str | None = None
) -> Changes:
    """Attach a PDF, PNG or JPEG as evidence to the person's record or one of their items."""
    from federation_desk.errors import UnsupportedFile
    from federation_desk.services.documents import sniff_media_type, store_document

    entity, entity_id = target
    if (entity, entity_id) not in set(item_targets(session, staff_id)):
        raise NotFound("The record to attach to")
    media = sniff_media_type(data[:8192]) if data else None
    if data and media not in EVIDENCE_MEDIA:
        raise UnsupportedFile(
            f"'{filename}' is not a PDF, PNG or JPEG file.",
            "Evidence for a staff record must be a PDF or a picture (PNG or JPEG). Save or scan it as one of "
            "those and attach it again.",
        )
    _doc_id, changes = store_document(session, filename, data, attach_to=(entity, entity_id), purpose=purpose)
    return changes | Changes.of(STAFF_KIND, ids=(staff_id,))


# ---- leave, for the rota ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaveRow:
    start: date
    end: date
    kind: str


def approved_leave(session: Session, staff_ids: Collection[int], start: date, end: date) -> dict[int, list[LeaveRow]]:
    """Approved leave overlapping ``start``..``end`` (both inclusive), per person (every id gets a list)."""
    ids = sorted(set(staff_ids))
    result: dict[int, list[LeaveRow]] = {sid: [] for sid in ids}
    if not ids:
        return result
    L = LeaveRecord
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        for sid, s, e, kind in session.execute(
            select(L.staff_id, L.start_on, L.end_on, L.kind)
            .where(L.staff_id.in_(chunk), L.status == LeaveStatus.APPROVED, L.start_on <= end, L.end_on >= start)
            .order_by(L.staff_id, L.start_on)
        ):
            result[sid].append(LeaveRow(s, e, kind.value))
    return result


# ---- Excel exports --------------------------------------------------------------------------------------------

STATUS_FILLS = {
    comp.ItemStatus.VALID: "D7EFDF",
    comp.ItemStatus.EXPIRING: "FFE9B3",
    comp.ItemStatus.EXPIRED: "F6C9C4",
    comp.ItemStatus.MISSING: "F3D1DE",
}


def matrix_cell_text(cell: comp.MatrixCell | None, short: bool = False) -> str:
    """What a matrix cell says in words: the expiry date (month and year when ``short``, for the screen)."""
    if cell is None:
        return ""
    if cell.status is comp.ItemStatus.MISSING:
        return "missing" if cell.level is None else f"only L{cell.level}"
    expiry = cell.expires_on
    if expiry is None:
        return "no expiry"
    return expiry.strftime("%m/%Y") if short else format_date(expiry)


def matrix_cell_note(matrix: comp.TrainingMatrix, column: int, cell: comp.MatrixCell | None) -> str:
    if cell is None:
        return ""
    subject = matrix.subjects[column]
    lines = [subject.name]
    if cell.required_level is not None:
        need = matrix.level_label(column, cell.required_level)
        lines.append(f"Required{': ' + need if need else ''}")
    else:
        lines.append("Not required for the role")
    if cell.completed_on is not None:
        done = matrix.level_label(column, cell.level)
        lines.append(f"Completed {format_date(cell.completed_on)}{' (' + done + ')' if done else ''}")
    if cell.expires_on is not None:
        lines.append(
            f"{'Expired' if cell.status is comp.ItemStatus.EXPIRED else 'Expires'} {format_date(cell.expires_on)}"
        )
    elif cell.completed_on is not None:
        lines.append("No refresher period set")
    lines.append(f"Status: {cell.status.label}")
    return "\n".join(lines)


def export_matrix(
    session: Session,
    path: Any,
    on: date | None = None,
    practice_id: int | None = None,
    role_id: int | None = None,
    federation_only: bool = False,
    progress: Any = None,
) -> Any:
    """The training matrix as a spreadsheet: one row per person, one coloured column per subject."""
    from federation_desk.services.excel import Sheet, SheetColumn, write_workbook

    on = on or london_today()
    matrix = comp.training_matrix(session, on, practice_id, role_id, federation_only=federation_only)

    def subject_column(i: int) -> SheetColumn:
        return SheetColumn(
            matrix.subjects[i].short_name,
            lambda r: matrix_cell_text(r.cells[i]),
            width=13,
            fill=lambda r: STATUS_FILLS.get(r.cells[i].status) if r.cells[i] is not None else None,
            comment=lambda r: matrix_cell_note(matrix, i, r.cells[i]) or None,
        )

    columns = [
        SheetColumn("Name", lambda r: r.name),
        SheetColumn("Staff number", lambda r: r.staff_number or ""),
        SheetColumn("Role", lambda r: r.role),
        SheetColumn("Employer", lambda r: r.practice),
        SheetColumn("In date", lambda r: f"{r.in_date} of {r.required}"),
        *[subject_column(i) for i in range(len(matrix.subjects))],
    ]
    sheet = Sheet("Training matrix", columns, matrix.rows, f"Training matrix on {format_date(on)}", freeze_columns=1)
    key = Sheet(
        "Subjects",
        [
            SheetColumn("Column", lambda s: s.short_name),
            SheetColumn("Subject", lambda s: s.name),
        ],
        list(matrix.subjects),
    )
    return write_workbook(path, [sheet, key], progress)


def expiry_sheet_columns() -> list[Any]:
    from federation_desk.services.excel import SheetColumn

    return [
        SheetColumn("Week commencing", lambda r: r.week_start),
        SheetColumn("Expires", lambda r: r.expires_on),
        SheetColumn("Status", lambda r: r.status.label, fill=lambda r: STATUS_FILLS.get(r.status)),
        SheetColumn("Name", lambda r: r.staff_name),
        SheetColumn("Staff number", lambda r: r.staff_number or ""),
        SheetColumn("Role", lambda r: r.role),
        SheetColumn("Employer", lambda r: r.practice),
        SheetColumn("Item", lambda r: r.item),
        SheetColumn("Detail", lambda r: r.detail),
        SheetColumn("Warning from", lambda r: r.warn_from),
        SheetColumn("Lead time (days)", lambda r: r.lead_days),
    ]


def export_expiry_list(
    session: Session,
    path: Any,
    on: date | None = None,
    horizon_days: int = 30,
    include_missing: bool = False,
    practice_id: int | None = None,
    progress: Any = None,
) -> Any:
    from federation_desk.services.excel import Sheet, write_workbook

    on = on or london_today()
    rows = comp.expiry_list(session, on, horizon_days, include_missing=include_missing, practice_id=practice_id)
    heading = f"What expires in the {horizon_days} days from {format_date(on)}, and what has already expired"
    return write_workbook(path, [Sheet("Expiry list", expiry_sheet_columns(), rows, heading, 4)], progress)


def attach_evidence_files(session: Session, staff_id: int, target: tuple[str, int], paths: Sequence[str]) -> Changes:
    """Attach files the person chose or dropped (each refused if too large or not a PDF, PNG or JPEG; all or none)."""
    from pathlib import Path

    from federation_desk.services.documents import read_upload

    if not paths:
        raise ValidationError("No file was chosen.", "Choose or drop a PDF, PNG or JPEG file.")
    changes = Changes()
    for raw in paths:
        filename, data = read_upload(Path(raw))
        changes = changes | attach_evidence(session, staff_id, target, filename, data)
    n = len(paths)
    return Changes(changes.kinds, changes.ids, f"{n} file{'s' if n != 1 else ''} attached.")


# ---- the per-practice expiry digest -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeDigest:
    """What one practice manager needs to chase: expired and missing items, and what expires soon."""

    practice_id: int | None  # None: staff the federation employs centrally
    ods_code: str
    name: str
    manager: str | None
    manager_email: str | None
    staff: int
    compliant: int
    rows: tuple[comp.ExpiryRow, ...]

    @property
    def expired(self) -> tuple[comp.ExpiryRow, ...]:
        return tuple(r for r in self.rows if r.status is comp.ItemStatus.EXPIRED)

    @property
    def missing(self) -> tuple[comp.ExpiryRow, ...]:
        return tuple(r for r in self.rows if r.status is comp.ItemStatus.MISSING)

    @property
    def upcoming(self) -> tuple[comp.ExpiryRow, ...]:
        return tuple(r for r in self.rows if r.status not in (comp.ItemStatus.EXPIRED, comp.ItemStatus.MISSING))


@dataclass(frozen=True)
class DigestSet:
    on: date
    horizon_days: int
    federation: str
    digests: tuple[PracticeDigest, ...]


def practice_digests(
    session: Session,
    on: date | None = None,
    horizon_days: int = 60,
    practice_ids: Collection[int] | None = None,
    include_federation: bool = True,
) -> DigestSet:
    """One digest per practice (staff it employs and shared staff who work for it), from one evaluation of
    everyone. ``practice_ids`` limits the practices; the federation's own staff form a last digest."""
    from federation_desk.domain.organisation import Federation

    on = on or london_today()
    rows = comp.expiry_list(session, on, horizon_days, include_expired=True, include_missing=True)
    people = comp.evaluate(session, on)
    staff = comp.load_staff(session, people.keys())
    links: dict[int, set[int]] = defaultdict(set)
    for sid, pid in session.execute(select(StaffPractice.staff_id, StaffPractice.practice_id)):
        if sid in people:
            links[sid].add(pid)
    members: dict[int | None, set[int]] = defaultdict(set)
    for sid in people:
        places = set(links.get(sid, ()))
        if staff[sid].employer_practice_id is not None:
            places.add(staff[sid].employer_practice_id)  # type: ignore[arg-type]
        for pid in places or {None}:
            members[pid].add(sid)
    managers: dict[int, tuple[str, str | None]] = {}
    for pid, given, family, preferred, mail in session.execute(
        select(
            StaffMember.employer_practice_id,
            StaffMember.given_name,
            StaffMember.family_name,
            StaffMember.preferred_name,
            StaffMember.email,
        )
        .join(Role, Role.id == StaffMember.role_id)
        .where(Role.code == "manager", StaffMember.employer_practice_id.is_not(None), StaffMember.leave_date.is_(None))
        .order_by(StaffMember.id)
    ):
        managers.setdefault(pid, (comp.staff_name(given, family, preferred), mail))
    by_person: dict[int, list[comp.ExpiryRow]] = defaultdict(list)
    for row in rows:
        by_person[row.staff_id].append(row)
    wanted = None if practice_ids is None else set(practice_ids)
    digests: list[PracticeDigest] = []
    for pid, ods, name in session.execute(
        select(Practice.id, Practice.ods_code, Practice.name).where(Practice.active.is_(True)).order_by(Practice.name)
    ):
        if wanted is not None and pid not in wanted:
            continue
        ids = members.get(pid, set())
        digest_rows = tuple(r for sid in ids for r in by_person.get(sid, ()))
        manager = managers.get(pid)
        digests.append(
            PracticeDigest(
                pid, ods, name, manager[0] if manager else None, manager[1] if manager else None, len(ids),
                sum(1 for sid in ids if people[sid].compliant), _digest_order(digest_rows),
            )
        )  # fmt: skip
    if include_federation and wanted is None and members.get(None):
        ids = members[None]
        digest_rows = tuple(r for sid in ids for r in by_person.get(sid, ()))
        digests.append(
            PracticeDigest(
                None, "", comp.FEDERATION_LABEL, None, None, len(ids), sum(1 for sid in ids if people[sid].compliant),
                _digest_order(digest_rows),
            )
        )  # fmt: skip
    federation = session.scalar(select(Federation.name).order_by(Federation.id).limit(1)) or "The federation"
    return DigestSet(on, horizon_days, federation, tuple(digests))


def _digest_order(rows: Sequence[comp.ExpiryRow]) -> tuple[comp.ExpiryRow, ...]:
    return tuple(sorted(rows, key=lambda r: (r.expires_on or date.min, r.staff_name.casefold(), r.item)))


def export_digest_xlsx(digests: DigestSet, path: Any, progress: Any = None) -> Any:
    """The digest as a workbook: a summary sheet, then one sheet per practice."""
    from federation_desk.services.excel import Sheet, SheetColumn, write_workbook

    summary = Sheet(
        "Summary",
        [
            SheetColumn("Practice", lambda d: d.name),
            SheetColumn("ODS code", lambda d: d.ods_code),
            SheetColumn("Practice manager", lambda d: d.manager or ""),
            SheetColumn("Email", lambda d: d.manager_email or ""),
            SheetColumn("Staff", lambda d: d.staff),
            SheetColumn("Fully compliant", lambda d: d.compliant),
            SheetColumn("Expired", lambda d: len(d.expired)),
            SheetColumn("Never recorded", lambda d: len(d.missing)),
            SheetColumn(f"Expiring in {digests.horizon_days} days", lambda d: len(d.upcoming)),
        ],
        list(digests.digests),
        f"{digests.federation}: staff compliance digest on {format_date(digests.on)}",
    )
    sheets = [summary]
    for d in digests.digests:
        sheets.append(
            Sheet(d.ods_code or "Federation", expiry_sheet_columns(), list(d.rows), f"{d.name}: what needs chasing", 4)
        )
    return write_workbook(path, sheets, progress)
