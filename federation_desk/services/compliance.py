"""The compliance engine: for any date, the status of each person's items (valid / expiring / expired / missing /
not applicable) and of each person, with summaries per practice, role and subject that the rota, the bid pack and
the contract reports reuse.

Everything is computed from dates for the day asked about (never stored). Every function here is set-based: a
handful of queries (one per kind of item) whatever the number of people.

Dates: an item that expires on 30/11/2026 is valid through 30/11/2026 and expired from 01/12/2026. A refresher
period of n months runs from the completion date to the same day n months later (the last day of the month when
that day does not exist: 29/02/2024 + 12 months = 28/02/2025).
"""

from __future__ import annotations

import calendar
import enum
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from federation_desk.domain.compliance import (
    Appraisal,
    ComplianceItemType,
    DbsCheck,
    DbsLevel,
    HepatitisBRecord,
    HepBOutcome,
    ItemKind,
    PerformersListEntry,
    ProfessionalRegistration,
    RightToWorkCheck,
    RightToWorkMethod,
    RoleCheckRequirement,
    RoleTrainingRequirement,
    TrainingLevel,
    TrainingRecord,
    TrainingSubject,
)
from federation_desk.domain.organisation import Practice
from federation_desk.domain.staff import Regulator, Role, StaffMember, StaffPractice
from federation_desk.services.dates import format_date as _format_date
from federation_desk.services.reference import read_reference, reference_loader

DEFAULT_WINDOW_DAYS = 60


@lru_cache(maxsize=16384)
def format_date(value: date | None) -> str:
    """dd/mm/yyyy (remembered: the same few thousand dates are written into tens of thousands of details)."""
    return _format_date(value)


FEDERATION_KEY = "federation"
FEDERATION_LABEL = "Federation (employed centrally)"


class ItemStatus(enum.Enum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    MISSING = "missing"
    NOT_APPLICABLE = "not applicable"

    @property
    def label(self) -> str:
        return {
            ItemStatus.VALID: "Valid",
            ItemStatus.EXPIRING: "Expiring",
            ItemStatus.EXPIRED: "Expired",
            ItemStatus.MISSING: "Missing",
            ItemStatus.NOT_APPLICABLE: "Not applicable",
        }[self]

    @property
    def severity(self) -> int:
        """How bad: a person's status is the worst of their items."""
        return _SEVERITY[self]

    @property
    def ok(self) -> bool:
        """Whether the item counts as in date (an expiring item still is)."""
        return self in (ItemStatus.VALID, ItemStatus.EXPIRING, ItemStatus.NOT_APPLICABLE)


_SEVERITY = {
    ItemStatus.NOT_APPLICABLE: 0,
    ItemStatus.VALID: 1,
    ItemStatus.EXPIRING: 2,
    ItemStatus.MISSING: 3,
    ItemStatus.EXPIRED: 4,
}


def worst(statuses: Iterable[ItemStatus]) -> ItemStatus:
    result = ItemStatus.NOT_APPLICABLE
    for status in statuses:
        if _SEVERITY[status] > _SEVERITY[result]:
            result = status
    return result


@lru_cache(maxsize=65536)
def add_months(d: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when that day does not exist."""
    year, month0 = divmod(d.month - 1 + months, 12)
    year += d.year
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def status_for(expires_on: date | None, on: date, window_days: int) -> ItemStatus:
    """Valid, expiring (expires within ``window_days`` of ``on``, the expiry day included) or expired."""
    if expires_on is None:
        return ItemStatus.VALID
    if expires_on < on:
        return ItemStatus.EXPIRED
    if (expires_on - on).days <= window_days:
        return ItemStatus.EXPIRING
    return ItemStatus.VALID


def week_start(d: date) -> date:
    """The Monday of ``d``'s week."""
    return d - timedelta(days=d.weekday())


# ---- the catalogue --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectInfo:
    id: int
    code: str
    name: str
    short_name: str
    category: str
    sort_order: int
    levels: tuple[tuple[int, str, int | None], ...]  # (level, name, refresher months)

    def level_name(self, level: int) -> str:
        for number, name, _months in self.levels:
            if number == level:
                return name
        return f"Level {level}"

    def requirement_label(self, level: int) -> str:
        """The requirement's name: "Fire Safety", or "Safeguarding Children level 3" when the subject has levels."""
        if len(self.levels) <= 1:
            return self.name
        name = self.level_name(level)
        return f"{self.name} {name[:1].lower()}{name[1:]}" if name else self.name

    def refresher(self, level: int) -> int | None:
        """The refresher period of ``level`` (or of the nearest level below it that the catalogue defines)."""
        return _refresher(self.levels, level)


@lru_cache(maxsize=4096)
def _refresher(levels: tuple[tuple[int, str, int | None], ...], level: int) -> int | None:
    best: tuple[int, int | None] | None = None
    for number, _name, months in levels:
        if number <= level and (best is None or number > best[0]):
            best = (number, months)
    if best is None and levels:
        return levels[0][2]
    return best[1] if best else None


@dataclass(frozen=True)
class CheckRule:
    kind: ItemKind
    detail: str | None = None


@dataclass
class Catalogue:
    subjects: dict[int, SubjectInfo]
    training_by_role: dict[int, dict[int, int]]  # role id -> subject id -> level
    lead_days: dict[ItemKind, int]
    interval_months: dict[ItemKind, int | None]
    checks_by_role: dict[int, dict[ItemKind, CheckRule]]
    roles: dict[int, RoleInfo]

    def subjects_in_order(self) -> list[SubjectInfo]:
        return sorted(self.subjects.values(), key=lambda s: (s.sort_order, s.name))

    def lead(self, kind: ItemKind, window_days: int | None) -> int:
        return window_days if window_days is not None else self.lead_days.get(kind, DEFAULT_WINDOW_DAYS)


@dataclass(frozen=True)
class RoleInfo:
    id: int
    code: str
    name: str
    is_clinical: bool
    regulator: Regulator


def default_checks(role: RoleInfo) -> dict[ItemKind, CheckRule]:
    """Checks for a role the reference data does not mention (a role the federation added)."""
    rules = {
        ItemKind.RIGHT_TO_WORK: CheckRule(ItemKind.RIGHT_TO_WORK),
        ItemKind.APPRAISAL: CheckRule(ItemKind.APPRAISAL),
    }
    if role.regulator is not Regulator.NONE:
        rules[ItemKind.REGISTRATION] = CheckRule(ItemKind.REGISTRATION)
    if role.is_clinical:
        rules[ItemKind.DBS] = CheckRule(ItemKind.DBS, DbsLevel.ENHANCED_BARRED.value)
        rules[ItemKind.HEPATITIS_B] = CheckRule(ItemKind.HEPATITIS_B)
    return rules


def load_catalogue(session: Session) -> Catalogue:
    """The training catalogue, role requirements and item policies (five small queries, once per session: the rota
    asks the credential gate day by day, and reference data does not change under a running query)."""
    cached = session.info.get(_CATALOGUE_KEY)
    if isinstance(cached, Catalogue):
        return cached
    catalogue = _load_catalogue(session)
    session.info[_CATALOGUE_KEY] = catalogue
    return catalogue


_CATALOGUE_KEY = "hr-compliance-catalogue"


def forget_catalogue(session: Session) -> None:
    """Drop the session's cached catalogue (after changing reference data in the same session)."""
    session.info.pop(_CATALOGUE_KEY, None)


def _load_catalogue(session: Session) -> Catalogue:
    levels: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
    for subject_id, level, name, months in session.execute(
        select(TrainingLevel.subject_id, TrainingLevel.level, TrainingLevel.name, TrainingLevel.refresher_months)
    ):
        levels[subject_id].append((level, name, months))
    subjects = {
        sid: SubjectInfo(sid, code, name, short or name, category, order, tuple(sorted(levels.get(sid, []))))
        for sid, code, name, short, category, order in session.execute(
            select(
                TrainingSubject.id,
                TrainingSubject.code,
                TrainingSubject.name,
                TrainingSubject.short_name,
                TrainingSubject.category,
                TrainingSubject.sort_order,
            ).where(TrainingSubject.active.is_(True))
        )
    }
    training: dict[int, dict[int, int]] = defaultdict(dict)
    for role_id, subject_id, level in session.execute(
        select(RoleTrainingRequirement.role_id, RoleTrainingRequirement.subject_id, RoleTrainingRequirement.level)
    ):
        if subject_id in subjects:
            training[role_id][subject_id] = level
    lead: dict[ItemKind, int] = {}
    interval: dict[ItemKind, int | None] = {}
    for kind, lead_days, months in session.execute(
        select(ComplianceItemType.kind, ComplianceItemType.lead_days, ComplianceItemType.interval_months)
    ):
        lead[kind] = lead_days
        interval[kind] = months
    roles = {
        rid: RoleInfo(rid, code, name, clinical, regulator)
        for rid, code, name, clinical, regulator in session.execute(
            select(Role.id, Role.code, Role.name, Role.is_clinical, Role.regulator)
        )
    }
    checks: dict[int, dict[ItemKind, CheckRule]] = defaultdict(dict)
    for role_id, kind, detail in session.execute(
        select(RoleCheckRequirement.role_id, RoleCheckRequirement.kind, RoleCheckRequirement.detail)
    ):
        checks[role_id][kind] = CheckRule(kind, detail)
    for role in roles.values():
        if role.id not in checks:
            checks[role.id] = default_checks(role)
    return Catalogue(subjects, dict(training), lead, interval, dict(checks), roles)


# ---- people ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffBasics:
    id: int
    name: str
    staff_number: str | None
    role_id: int
    employer_practice_id: int | None
    start_date: date | None
    leave_date: date | None

    def current_on(self, on: date) -> bool:
        return (self.start_date is None or self.start_date <= on) and (self.leave_date is None or self.leave_date >= on)


def staff_name(given: str, family: str, preferred: str | None) -> str:
    return f"{preferred or given} {family}".strip()


def _id_filter(column: Any, ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    return [] if ids is None else [column.in_(ids)]


def _chunks(ids: Sequence[int] | None, size: int = 5000) -> Iterable[Sequence[int] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def load_staff(session: Session, staff_ids: Collection[int] | None) -> dict[int, StaffBasics]:
    ids = None if staff_ids is None else sorted(set(staff_ids))
    result: dict[int, StaffBasics] = {}
    for chunk in _chunks(ids):
        for sid, given, family, preferred, number, role_id, practice_id, start, leave in session.execute(
            select(
                StaffMember.id,
                StaffMember.given_name,
                StaffMember.family_name,
                StaffMember.preferred_name,
                StaffMember.staff_number,
                StaffMember.role_id,
                StaffMember.employer_practice_id,
                StaffMember.start_date,
                StaffMember.leave_date,
            ).where(*_id_filter(StaffMember.id, chunk))
        ):
            result[sid] = StaffBasics(
                sid, staff_name(given, family, preferred), number, role_id, practice_id, start, leave
            )
    return result


# ---- items ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemState:
    """One compliance item of one person on one day."""

    staff_id: int
    kind: ItemKind
    key: str  # "DBS", "training:fire_safety" ...
    label: str  # what a person calls it: "GMC registration", "Safeguarding Children level 3"
    status: ItemStatus
    expires_on: date | None
    detail: str  # plain English: "expires 01/12/2026", "no record", "level standard; role needs enhanced ..."
    record_table: str | None = None
    record_id: int | None = None
    lead_days: int = DEFAULT_WINDOW_DAYS

    @property
    def warn_from(self) -> date | None:
        return None if self.expires_on is None else self.expires_on - timedelta(days=self.lead_days)


@dataclass(frozen=True)
class PersonCompliance:
    staff_id: int
    status: ItemStatus
    items: tuple[ItemState, ...]

    @property
    def compliant(self) -> bool:
        return all(item.status.ok for item in self.items)

    def count(self, *statuses: ItemStatus) -> int:
        return sum(1 for item in self.items if item.status in statuses)

    def next_expiry(self) -> ItemState | None:
        dated = [i for i in self.items if i.expires_on is not None and i.status is not ItemStatus.NOT_APPLICABLE]
        return min(dated, key=lambda i: i.expires_on) if dated else None  # type: ignore[arg-type,return-value]


def _expiry_detail(expires_on: date | None, status: ItemStatus, noun: str = "expires") -> str:
    if expires_on is None:
        return "no expiry date"
    past = {"expires": "expired", "due": "was due", "renews": "lapsed"}.get(noun, "expired")
    return f"{past if status is ItemStatus.EXPIRED else noun} {format_date(expires_on)}"


class _Rows(NamedTuple):
    by_staff: dict[int, list[Any]]


def _fetch(session: Session, columns: Sequence[Any], staff_column: Any, ids: Sequence[int] | None) -> _Rows:
    by_staff: dict[int, list[Any]] = defaultdict(list)
    for chunk in _chunks(ids):
        for row in session.execute(select(*columns).where(*_id_filter(staff_column, chunk))):
            by_staff[row[0]].append(row)
    return _Rows(by_staff)


def _best(rows: list[Any], expiry_of: Any) -> tuple[Any, date | None] | None:
    """The record with the latest expiry (no expiry counts as latest; ties go to the newer record)."""
    best: tuple[Any, date | None] | None = None
    best_key: tuple[date, int] | None = None
    for row in rows:
        expiry = expiry_of(row)
        key = (expiry or date.max, row.id)
        if best_key is None or key > best_key:
            best, best_key = (row, expiry), key
    return best


class Evaluator:
    """Computes items for many people at once: one query per kind of item."""

    def __init__(
        self,
        session: Session,
        on: date,
        staff: dict[int, StaffBasics],
        catalogue: Catalogue,
        window_days: int | None = None,
        kinds: Collection[ItemKind] | None = None,
    ) -> None:
        self.session = session
        self.on = on
        self.staff = staff
        self.catalogue = catalogue
        self.window_days = window_days
        self.kinds = set(kinds) if kinds is not None else set(ItemKind)
        self.ids: list[int] | None = sorted(staff)

    def _needs(self, kind: ItemKind) -> dict[int, CheckRule]:
        """Staff (id -> rule) whose role needs ``kind``."""
        result: dict[int, CheckRule] = {}
        for sid, person in self.staff.items():
            rule = self.catalogue.checks_by_role.get(person.role_id, {}).get(kind)
            if rule is not None:
                result[sid] = rule
        return result

    def evaluate(self) -> dict[int, PersonCompliance]:
        items: dict[int, list[ItemState]] = {sid: [] for sid in self.staff}
        producers = (
            (ItemKind.REGISTRATION, self._registrations),
            (ItemKind.PERFORMERS_LIST, self._performers),
            (ItemKind.DBS, self._dbs),
            (ItemKind.RIGHT_TO_WORK, self._right_to_work),
            (ItemKind.HEPATITIS_B, self._hepatitis_b),
            (ItemKind.APPRAISAL, self._appraisals),
            (ItemKind.TRAINING, self._training),
        )
        for kind, producer in producers:
            if kind in self.kinds or (kind is ItemKind.REGISTRATION and ItemKind.REVALIDATION in self.kinds):
                for state in producer():
                    items[state.staff_id].append(state)
        return {
            sid: PersonCompliance(sid, worst(i.status for i in found), tuple(found)) for sid, found in items.items()
        }

    # -- registration and revalidation --------------------------------------------------------------------------
    def _registrations(self) -> Iterable[ItemState]:
        needs = self._needs(ItemKind.REGISTRATION)
        revalidation = self._needs(ItemKind.REVALIDATION)
        if not needs and not revalidation:
            return
        R = ProfessionalRegistration
        rows = _fetch(
            self.session,
            [R.staff_id, R.id, R.regulator, R.number, R.status, R.expires_on, R.revalidation_due],
            R.staff_id,
            self.ids,
        ).by_staff
        lead = self.catalogue.lead(ItemKind.REGISTRATION, self.window_days)
        reval_lead = self.catalogue.lead(ItemKind.REVALIDATION, self.window_days)
        for sid in sorted(set(needs) | set(revalidation)):
            role = self.catalogue.roles.get(self.staff[sid].role_id)
            regulator = role.regulator if role else Regulator.NONE
            register = regulator.value if regulator is not Regulator.NONE else "professional"
            mine = [r for r in rows.get(sid, []) if regulator is Regulator.NONE or r.regulator == regulator]
            best = _best(mine, lambda r: r.expires_on)
            if sid in needs and ItemKind.REGISTRATION in self.kinds:
                label = f"{register} registration"
                if best is None:
                    yield ItemState(
                        sid,
                        ItemKind.REGISTRATION,
                        "registration",
                        label,
                        ItemStatus.MISSING,
                        None,
                        f"no {register} registration recorded",
                        lead_days=lead,
                    )
                else:
                    row, expiry = best
                    status = status_for(expiry, self.on, lead)
                    detail = f"{row.number}, {_expiry_detail(expiry, status, 'renews')}"
                    if not row.status.allows_practice:
                        status, detail = ItemStatus.EXPIRED, f"{row.number} is {row.status.value} on the register"
                    yield ItemState(
                        sid,
                        ItemKind.REGISTRATION,
                        "registration",
                        f"{label} {row.number}",
                        status,
                        expiry,
                        detail,
                        R.__tablename__,
                        row.id,
                        lead,
                    )
            if sid in revalidation and ItemKind.REVALIDATION in self.kinds:
                label = f"{register} revalidation"
                due = best[0].revalidation_due if best else None
                if due is None:
                    yield ItemState(
                        sid,
                        ItemKind.REVALIDATION,
                        "revalidation",
                        label,
                        ItemStatus.MISSING,
                        None,
                        "revalidation date not recorded",
                        R.__tablename__ if best else None,
                        best[0].id if best else None,
                        reval_lead,
                    )
                else:
                    status = status_for(due, self.on, reval_lead)
                    yield ItemState(
                        sid,
                        ItemKind.REVALIDATION,
                        "revalidation",
                        label,
                        status,
                        due,
                        _expiry_detail(due, status, "due"),
                        R.__tablename__,
                        best[0].id,
                        reval_lead,  # type: ignore[index]
                    )

    # -- Performers List ----------------------------------------------------------------------------------------
    def _performers(self) -> Iterable[ItemState]:
        needs = self._needs(ItemKind.PERFORMERS_LIST)
        if not needs:
            return
        P = PerformersListEntry
        rows = _fetch(self.session, [P.staff_id, P.id, P.status, P.checked_on], P.staff_id, self.ids).by_staff
        lead = self.catalogue.lead(ItemKind.PERFORMERS_LIST, self.window_days)
        months = self.catalogue.interval_months.get(ItemKind.PERFORMERS_LIST) or 12
        for sid in sorted(needs):
            best = _best(rows.get(sid, []), lambda r: add_months(r.checked_on, months))
            if best is None:
                yield ItemState(
                    sid,
                    ItemKind.PERFORMERS_LIST,
                    "performers",
                    "Performers List",
                    ItemStatus.MISSING,
                    None,
                    "no Performers List check recorded",
                    lead_days=lead,
                )
                continue
            row, due = best
            status = status_for(due, self.on, lead)
            detail = f"{row.status.value}; re-check {_expiry_detail(due, status, 'due')}"
            if not row.status.allows_practice:
                status, detail = ItemStatus.EXPIRED, f"{row.status.value} (checked {format_date(row.checked_on)})"
            yield ItemState(
                sid,
                ItemKind.PERFORMERS_LIST,
                "performers",
                "Performers List",
                status,
                due,
                detail,
                P.__tablename__,
                row.id,
                lead,
            )

    # -- DBS ----------------------------------------------------------------------------------------------------
    def _dbs(self) -> Iterable[ItemState]:
        needs = self._needs(ItemKind.DBS)
        if not needs:
            return
        D = DbsCheck
        rows = _fetch(
            self.session,
            [D.staff_id, D.id, D.level, D.issued_on, D.status_checked_on, D.recheck_due, D.update_service],
            D.staff_id,
            self.ids,
        ).by_staff
        lead = self.catalogue.lead(ItemKind.DBS, self.window_days)
        months = self.catalogue.interval_months.get(ItemKind.DBS)

        def due_of(r: Any) -> date | None:
            if r.recheck_due is not None:
                return r.recheck_due  # type: ignore[no-any-return]
            if months is None:
                return None
            return add_months(max(r.issued_on, r.status_checked_on or r.issued_on), months)

        for sid, rule in sorted(needs.items()):
            required = _dbs_level(rule.detail)
            mine = rows.get(sid, [])
            adequate = [r for r in mine if required is None or r.level.rank >= required.rank]
            best = _best(adequate, due_of)
            if best is None:
                if mine:
                    levels = ", ".join(sorted({r.level.value for r in mine}))
                    detail = f"only a {levels} check on file; the role needs {required.value if required else 'one'}"
                else:
                    detail = "no DBS check recorded" + (f" (role needs {required.value})" if required else "")
                yield ItemState(sid, ItemKind.DBS, "DBS", "DBS check", ItemStatus.MISSING, None, detail, lead_days=lead)
                continue
            row, due = best
            status = status_for(due, self.on, lead)
            detail = (
                f"{row.level.value}, issued {format_date(row.issued_on)}; re-check {_expiry_detail(due, status, 'due')}"
            )
            yield ItemState(
                sid,
                ItemKind.DBS,
                "DBS",
                f"DBS check ({row.level.value})",
                status,
                due,
                detail,
                D.__tablename__,
                row.id,
                lead,
            )

    # -- right to work ------------------------------------------------------------------------------------------
    def _right_to_work(self) -> Iterable[ItemState]:
        needs = self._needs(ItemKind.RIGHT_TO_WORK)
        if not needs:
            return
        W = RightToWorkCheck
        rows = _fetch(
            self.session,
            [W.staff_id, W.id, W.method, W.checked_on, W.permission_expires_on, W.follow_up_due],
            W.staff_id,
            self.ids,
        ).by_staff
        lead = self.catalogue.lead(ItemKind.RIGHT_TO_WORK, self.window_days)
        group2_months = self.catalogue.interval_months.get(ItemKind.RIGHT_TO_WORK) or 6
        for sid in sorted(needs):
            best = _best(rows.get(sid, []), lambda r: right_to_work_follow_up(r, group2_months))
            if best is None:
                yield ItemState(
                    sid,
                    ItemKind.RIGHT_TO_WORK,
                    "rtw",
                    "Right to work",
                    ItemStatus.MISSING,
                    None,
                    "no right to work check recorded",
                    lead_days=lead,
                )
                continue
            row, due = best
            status = status_for(due, self.on, lead)
            detail = (
                f"checked {format_date(row.checked_on)}; no follow-up needed"
                if due is None
                else f"follow-up check {_expiry_detail(due, status, 'due')}"
            )
            yield ItemState(
                sid,
                ItemKind.RIGHT_TO_WORK,
                "rtw",
                "Right to work",
                status,
                due,
                detail,
                W.__tablename__,
                row.id,
                lead,
            )

    # -- hepatitis B --------------------------------------------------------------------------------------------
    def _hepatitis_b(self) -> Iterable[ItemState]:
        needs = self._needs(ItemKind.HEPATITIS_B)
        if not needs:
            return
        H = HepatitisBRecord
        rows = _fetch(
            self.session,
            [H.staff_id, H.id, H.outcome, H.oh_cleared_on, H.tested_on, H.dose1_on, H.dose2_on, H.dose3_on],
            H.staff_id,
            self.ids,
        ).by_staff
        lead = self.catalogue.lead(ItemKind.HEPATITIS_B, self.window_days)
        for sid in sorted(needs):
            mine = rows.get(sid, [])
            if not mine:
                yield ItemState(
                    sid,
                    ItemKind.HEPATITIS_B,
                    "hepb",
                    "Hepatitis B immunity",
                    ItemStatus.MISSING,
                    None,
                    "no hepatitis B record",
                    lead_days=lead,
                )
                continue
            row = max(
                mine,
                key=lambda r: (
                    max(d for d in (r.tested_on, r.dose3_on, r.dose2_on, r.dose1_on, r.oh_cleared_on, date.min) if d),
                    r.id,
                ),
            )
            status, detail = hepatitis_b_status(row.outcome, row.oh_cleared_on)
            yield ItemState(
                sid,
                ItemKind.HEPATITIS_B,
                "hepb",
                "Hepatitis B immunity",
                status,
                None,
                detail,
                H.__tablename__,
                row.id,
                lead,
            )

    # -- appraisal ----------------------------------------------------------------------------------------------
    def _appraisals(self) -> Iterable[ItemState]:
        needs = self._needs(ItemKind.APPRAISAL)
        if not needs:
            return
        A = Appraisal
        rows = _fetch(self.session, [A.staff_id, A.id, A.completed_on, A.next_due], A.staff_id, self.ids).by_staff
        lead = self.catalogue.lead(ItemKind.APPRAISAL, self.window_days)
        months = self.catalogue.interval_months.get(ItemKind.APPRAISAL) or 12
        for sid in sorted(needs):
            best = _best(rows.get(sid, []), lambda r: r.next_due or add_months(r.completed_on, months))
            if best is None:
                start = self.staff[sid].start_date
                first_due = add_months(start, months) if start else None
                if first_due is not None and first_due >= self.on:
                    status = status_for(first_due, self.on, lead)
                    yield ItemState(
                        sid,
                        ItemKind.APPRAISAL,
                        "appraisal",
                        "Appraisal",
                        status,
                        first_due,
                        f"first appraisal due {format_date(first_due)}",
                        lead_days=lead,
                    )
                else:
                    yield ItemState(
                        sid,
                        ItemKind.APPRAISAL,
                        "appraisal",
                        "Appraisal",
                        ItemStatus.MISSING,
                        None,
                        "no appraisal recorded",
                        lead_days=lead,
                    )
                continue
            row, due = best
            status = status_for(due, self.on, lead)
            detail = f"last {format_date(row.completed_on)}; next {_expiry_detail(due, status, 'due')}"
            yield ItemState(
                sid, ItemKind.APPRAISAL, "appraisal", "Appraisal", status, due, detail, A.__tablename__, row.id, lead
            )

    # -- training -----------------------------------------------------------------------------------------------
    def _training(self) -> Iterable[ItemState]:
        catalogue = self.catalogue
        wanted = {
            sid: catalogue.training_by_role.get(p.role_id, {})
            for sid, p in self.staff.items()
            if catalogue.training_by_role.get(p.role_id)
        }
        if not wanted:
            return
        records = training_records_by_staff(self.session, sorted(wanted))
        lead = catalogue.lead(ItemKind.TRAINING, self.window_days)
        labels: dict[tuple[int, int], str] = {}
        for sid in sorted(wanted):
            mine = records.get(sid, {})
            for subject_id, required in sorted(
                wanted[sid].items(), key=lambda kv: catalogue.subjects[kv[0]].sort_order
            ):
                subject = catalogue.subjects[subject_id]
                label = labels.get((subject_id, required))
                if label is None:
                    label = labels[(subject_id, required)] = subject.requirement_label(required)
                found = best_training(subject, mine.get(subject_id, ()), required)
                key = f"training:{subject.code}"
                if found is None:
                    lower = [r for r in mine.get(subject_id, ()) if r[1] < required]
                    detail = (
                        f"only {subject.level_name(max(r[1] for r in lower)).lower()} on record"
                        if lower
                        else "no record"
                    )
                    yield ItemState(
                        sid, ItemKind.TRAINING, key, label, ItemStatus.MISSING, None, detail, lead_days=lead
                    )
                    continue
                record_id, _level, completed, expiry = found
                status = status_for(expiry, self.on, lead)
                detail = f"completed {format_date(completed)}; " + (
                    "no refresher set" if expiry is None else _expiry_detail(expiry, status)
                )
                yield ItemState(
                    sid,
                    ItemKind.TRAINING,
                    key,
                    label,
                    status,
                    expiry,
                    detail,
                    TrainingRecord.__tablename__,
                    record_id,
                    lead,
                )


def right_to_work_follow_up(row: Any, group2_months: int = 6) -> date | None:
    """When a right to work check needs following up (None: never, for List A and identity service checks)."""
    if row.follow_up_due is not None:
        return row.follow_up_due  # type: ignore[no-any-return]
    method = row.method
    if method in (RightToWorkMethod.LIST_A, RightToWorkMethod.IDVT):
        return None
    if method is RightToWorkMethod.LIST_B_GROUP_2:
        return add_months(row.checked_on, group2_months)
    return row.permission_expires_on  # type: ignore[no-any-return]


def hepatitis_b_status(outcome: HepBOutcome, oh_cleared_on: date | None) -> tuple[ItemStatus, str]:
    if outcome in (HepBOutcome.RESPONDER, HepBOutcome.IMMUNE_BY_INFECTION):
        return ItemStatus.VALID, outcome.value
    if outcome is HepBOutcome.IN_PROGRESS:
        return ItemStatus.EXPIRING, "vaccination course in progress"
    if oh_cleared_on is not None:
        return ItemStatus.VALID, f"{outcome.value}; cleared by occupational health {format_date(oh_cleared_on)}"
    return ItemStatus.MISSING, f"{outcome.value}: no evidence of immunity; refer to occupational health"


def _dbs_level(detail: str | None) -> DbsLevel | None:
    if not detail:
        return None
    try:
        return DbsLevel(detail)
    except ValueError:
        return None


TrainingTuple = tuple[int, int, date, date | None]  # (record id, level, completed on, expires on or None)


def training_records_by_staff(
    session: Session, staff_ids: Sequence[int] | None
) -> dict[int, dict[int, list[tuple[int, int, date, date | None]]]]:
    """staff id -> subject id -> [(record id, level, completed on, certificate expiry)]."""
    T = TrainingRecord
    result: dict[int, dict[int, list[tuple[int, int, date, date | None]]]] = defaultdict(lambda: defaultdict(list))
    for chunk in _chunks(staff_ids):
        for sid, subject_id, rid, level, completed, expires in session.execute(
            select(T.staff_id, T.subject_id, T.id, T.level, T.completed_on, T.expires_on).where(
                *_id_filter(T.staff_id, chunk)
            )
        ):
            result[sid][subject_id].append((rid, level, completed, expires))
    return result


def training_expiry(subject: SubjectInfo, level: int, completed: date, certificate_expiry: date | None) -> date | None:
    if certificate_expiry is not None:
        return certificate_expiry
    months = subject.refresher(level)
    return None if months is None else add_months(completed, months)


def best_record(
    subject: SubjectInfo, records: Iterable[tuple[int, int, date, date | None]], required: int
) -> tuple[int, int, date, date | None] | None:
    """Like :func:`best_training`, but the stored record itself (id, level, completed on, certificate expiry)."""
    best = None
    best_key: tuple[date, date, int] | None = None
    for record in records:
        rid, level, completed, certificate = record
        if level < required:
            continue
        expiry = training_expiry(subject, level, completed, certificate)
        key = (expiry or date.max, completed, rid)
        if best_key is None or key > best_key:
            best, best_key = record, key
    return best


def best_training(
    subject: SubjectInfo, records: Iterable[tuple[int, int, date, date | None]], required: int
) -> TrainingTuple | None:
    """The record that best meets a requirement: at the required level or higher, latest expiry (none = never)."""
    best: TrainingTuple | None = None
    best_key: tuple[date, date, int] | None = None
    for rid, level, completed, certificate in records:
        if level < required:
            continue
        expiry = training_expiry(subject, level, completed, certificate)
        key = (expiry or date.max, completed, rid)
        if best_key is None or key > best_key:
            best, best_key = (rid, level, completed, expiry), key
    return best


# ---- the public interface (interfaces.md) -----------------------------------------------------------------------


def evaluate(
    session: Session,
    on: date,
    staff_ids: Collection[int] | None = None,
    *,
    window_days: int | None = None,
    kinds: Collection[ItemKind] | None = None,
    current_only: bool = True,
) -> dict[int, PersonCompliance]:
    """Every applicable item of each person (all current staff when ``staff_ids`` is None).

    ``window_days`` overrides the per-item warning lead times from the reference data. ``current_only`` drops
    people who have not started or have left by ``on`` (when ids are not given).
    """
    staff = load_staff(session, staff_ids)
    if staff_ids is None and current_only:
        staff = {sid: p for sid, p in staff.items() if p.current_on(on)}
    catalogue = load_catalogue(session)
    return Evaluator(session, on, staff, catalogue, window_days, kinds).evaluate()


def credential_gate(session: Session, staff_ids: Collection[int], on: date) -> dict[int, list[str]]:
    """For each id, the plain-English reasons the person may NOT work clinically on ``on`` ([] = clear).

    Clinical roles need a valid professional registration (where the role is registered), a DBS check at the
    role's level and all mandatory training in date on that day. Non-clinical staff map to []. An expiring item
    is still valid. A handful of queries whatever the number of ids.
    """
    wanted = set(staff_ids)
    if not wanted:
        return {}
    staff = load_staff(session, wanted)
    catalogue = load_catalogue(session)
    result: dict[int, list[str]] = {sid: [] for sid in wanted}
    for sid in wanted - set(staff):
        result[sid] = ["There is no staff record for this person (it may have been deleted)."]
    clinical = {
        sid: p for sid, p in staff.items() if (role := catalogue.roles.get(p.role_id)) is not None and role.is_clinical
    }
    if not clinical:
        return result
    people = Evaluator(
        session, on, clinical, catalogue, 0, {ItemKind.REGISTRATION, ItemKind.DBS, ItemKind.TRAINING}
    ).evaluate()
    day = format_date(on)
    for sid, person in clinical.items():
        reasons = result[sid]
        if person.start_date is not None and person.start_date > on:
            reasons.append(f"{person.name} has not started yet: their start date is {format_date(person.start_date)}.")
        if person.leave_date is not None and person.leave_date < on:
            reasons.append(f"{person.name} left on {format_date(person.leave_date)}.")
        items = people[sid].items
        for item in items:
            if item.kind is ItemKind.REGISTRATION and not item.status.ok:
                reasons.append(_gate_reason(item, day, "Professional registration"))
            elif item.kind is ItemKind.DBS and not item.status.ok:
                reasons.append(_gate_reason(item, day, "DBS check"))
        training = [i for i in items if i.kind is ItemKind.TRAINING and not i.status.ok]
        if training:
            parts = [
                f"{i.label} ({'expired ' + format_date(i.expires_on) if i.expires_on else i.detail})" for i in training
            ]
            reasons.append(f"Mandatory training is not in date on {day}: {'; '.join(parts)}.")
    return result


def _gate_reason(item: ItemState, day: str, noun: str) -> str:
    if item.status is ItemStatus.MISSING:
        return f"{noun} missing: {item.detail}."
    if item.kind is ItemKind.REGISTRATION and "on the register" in item.detail:
        return f"{noun} is not valid: {item.detail}."
    if item.expires_on is not None:
        what = "re-check was due" if item.kind is ItemKind.DBS else "expired"
        return f"{noun} is not valid on {day}: {item.label} {what} {format_date(item.expires_on)}."
    return f"{noun} is not valid on {day}: {item.detail}."


@dataclass(frozen=True)
class TrainingSummary:
    required: int
    in_date: int
    missing: tuple[str, ...]
    expired: tuple[str, ...]

    @property
    def compliant(self) -> bool:
        return self.in_date == self.required


def training_status(session: Session, on: date, staff_ids: Collection[int] | None = None) -> dict[int, TrainingSummary]:
    """Mandatory training per person on ``on`` (all current staff when ``staff_ids`` is None)."""
    people = evaluate(session, on, staff_ids, window_days=0, kinds={ItemKind.TRAINING})
    result: dict[int, TrainingSummary] = {}
    for sid, person in people.items():
        items = [i for i in person.items if i.kind is ItemKind.TRAINING]
        result[sid] = TrainingSummary(
            required=len(items),
            in_date=sum(1 for i in items if i.status.ok),
            missing=tuple(i.label for i in items if i.status is ItemStatus.MISSING),
            expired=tuple(i.label for i in items if i.status is ItemStatus.EXPIRED),
        )
    return result


@dataclass(frozen=True)
class SummaryRow:
    key: str
    label: str
    compliant: int
    total: int
    percent: float


def _percent(compliant: int, total: int) -> float:
    return round(100.0 * compliant / total, 1) if total else 0.0


def compliance_summary(
    session: Session, on: date, by: str, staff_ids: Collection[int] | None = None
) -> list[SummaryRow]:
    """Percent of people compliant (no item expired or missing) per practice or role; per subject, the percent of
    people who need the subject and have it in date. Rows with nobody in them are left out.

    Per practice, a person counts for their employer and for every practice they work for; staff the federation
    employs who work for no practice form the row keyed ``federation``.
    """
    if by not in ("practice", "role", "subject"):
        raise ValueError(f"compliance_summary: 'by' must be practice, role or subject, not {by!r}")
    kinds = {ItemKind.TRAINING} if by == "subject" else None
    people = evaluate(session, on, staff_ids, window_days=0, kinds=kinds)
    staff = load_staff(session, people.keys())
    if by == "subject":
        catalogue = load_catalogue(session)
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        labels = {f"training:{s.code}": (s.code, s.name, s.sort_order) for s in catalogue.subjects.values()}
        for person in people.values():
            for item in person.items:
                if item.kind is ItemKind.TRAINING:
                    pair = counts[item.key]
                    pair[1] += 1
                    pair[0] += item.status.ok
        rows = [(labels[k], c) for k, c in counts.items() if k in labels]
        rows.sort(key=lambda r: (r[0][2], r[0][1]))
        return [SummaryRow(code, name, c[0], c[1], _percent(c[0], c[1])) for (code, name, _o), c in rows]
    groups: dict[str, set[int]] = defaultdict(set)
    names: dict[str, str] = {}
    if by == "role":
        for sid, _role_id, code, name in session.execute(
            select(StaffMember.id, Role.id, Role.code, Role.name).join(Role, Role.id == StaffMember.role_id)
        ):
            if sid in people:
                groups[code].add(sid)
                names[code] = name
        order = {
            code: (sort, name) for code, sort, name in session.execute(select(Role.code, Role.sort_order, Role.name))
        }
        keys = sorted(groups, key=lambda k: order.get(k, (999, k)))
    else:
        practices = {
            pid: (ods, name)
            for pid, ods, name in session.execute(select(Practice.id, Practice.ods_code, Practice.name))
        }
        links: dict[int, set[int]] = defaultdict(set)
        for sid, pid in session.execute(select(StaffPractice.staff_id, StaffPractice.practice_id)):
            if sid in people:
                links[sid].add(pid)
        for sid in people:
            member = set(links.get(sid, ()))
            employer = staff[sid].employer_practice_id
            if employer is not None:
                member.add(employer)
            if not member:
                groups[FEDERATION_KEY].add(sid)
                names[FEDERATION_KEY] = FEDERATION_LABEL
            for pid in member:
                ods, name = practices[pid]
                groups[ods].add(sid)
                names[ods] = name
        keys = sorted((k for k in groups if k != FEDERATION_KEY), key=lambda k: names[k].casefold())
        if FEDERATION_KEY in groups:
            keys.append(FEDERATION_KEY)
    result = []
    for key in keys:
        members = groups[key]
        compliant = sum(1 for sid in members if people[sid].compliant)
        result.append(SummaryRow(key, names[key], compliant, len(members), _percent(compliant, len(members))))
    return result


def working_time_opt_out(session: Session, staff_ids: Collection[int]) -> dict[int, bool]:
    """Whether each person signed a Working Time Regulations 48-hour opt-out (False when not recorded)."""
    ids = sorted(set(staff_ids))
    result = dict.fromkeys(ids, False)
    for chunk in _chunks(ids):
        for sid, flag in session.execute(
            select(StaffMember.id, StaffMember.working_time_opt_out).where(StaffMember.id.in_(chunk or []))
        ):
            result[sid] = bool(flag)
    return result


# ---- the training matrix --------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def as_date(value: Any) -> date | None:
    """A DATE column's value as the driver returned it (a date, or an ISO string on SQLite) as a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class MatrixCell(NamedTuple):
    """One cell of the matrix. Dates are kept as the driver returned them and read when shown (50,000 cells are
    built for a federation and a screen shows a few hundred)."""

    status: ItemStatus
    required_level: int | None  # None: the role does not need this subject
    level: int | None  # the level of the record shown
    completed: Any = None  # date, or an ISO string on SQLite
    certificate: Any = None
    refresher_months: int | None = None

    @property
    def completed_on(self) -> date | None:
        return as_date(self.completed)

    @property
    def certificate_expiry(self) -> date | None:
        return as_date(self.certificate)

    @property
    def expires_on(self) -> date | None:
        """The certificate's expiry, or the completion date plus the refresher period."""
        if self.certificate is not None:
            return as_date(self.certificate)
        completed = as_date(self.completed)
        if completed is None or self.refresher_months is None:
            return None
        return add_months(completed, self.refresher_months)


def first_completion_valid_on(on: date, months: int, days_after: int = 0) -> date:
    """The earliest completion date whose refresher of ``months`` runs to ``on + days_after`` or later.

    Expiry grows with the completion date, so a record's status is a comparison of its completion date with two
    such thresholds, with no date arithmetic per record.
    """
    target = on + timedelta(days=days_after)
    d = add_months(target, -months) - timedelta(days=3)
    while add_months(d, months) < target:
        d += timedelta(days=1)
    return d


@dataclass(frozen=True)
class MatrixSubject:
    id: int
    code: str
    name: str
    short_name: str


@dataclass(frozen=True)
class MatrixRow:
    staff_id: int
    name: str
    staff_number: str | None
    role: str
    practice: str
    cells: tuple[MatrixCell | None, ...]
    in_date: int
    required: int
    sort_name: str = ""  # family name first, for sorting


@dataclass(frozen=True)
class TrainingMatrix:
    on: date
    subjects: tuple[MatrixSubject, ...]
    rows: list[MatrixRow]
    subject_info: dict[int, SubjectInfo] = field(default_factory=dict)

    def level_label(self, column: int, level: int | None) -> str:
        subject = self.subject_info.get(self.subjects[column].id)
        if subject is None or level is None or len(subject.levels) <= 1:
            return ""
        return subject.level_name(level)


def guarded(session: Session) -> bool:
    """Whether the services-layer access guard watches this session (a local file with signed-in users): then
    queries and writes go through the ORM, which it checks. On a server the database itself enforces access, so
    the driver's fast paths stay."""
    from federation_desk.db import guards

    try:
        engine = session.get_bind()
    except Exception:
        return False
    rules = guards.rules_for(getattr(engine, "engine", engine))
    return rules is not None and rules.filter_reads


def driver_rows(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """Run a SELECT straight through the database driver: plain tuples, no per-row processing by SQLAlchemy.

    For the few hot paths that read tens of thousands of rows (the training matrix). Values come back as the
    driver gives them: on SQLite dates are ISO strings (see :func:`as_date`). Only integer and text parameters.
    """
    if guarded(session):  # a practice manager on a local file: the access guard must see (and filter) the query
        return [tuple(row) for row in session.execute(stmt)]
    connection = session.connection()
    compiled = stmt.compile(dialect=connection.dialect)
    params = compiled.params
    args: Any = tuple(params[name] for name in compiled.positiontup) if compiled.positional else params
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def training_matrix(
    session: Session,
    on: date,
    practice_id: int | None = None,
    role_id: int | None = None,
    window_days: int | None = None,
    federation_only: bool = False,
) -> TrainingMatrix:
    """Current staff x active subjects, each cell the status of the person's best record for that subject.

    ``practice_id`` keeps staff employed by or working for that practice; ``federation_only`` keeps staff the
    federation employs centrally. Two queries (people; their training reduced per subject and level in SQL) plus
    the small catalogue, read straight from the driver: this is the screen that shows 2,500 x 20 cells at once.
    """
    catalogue = load_catalogue(session)
    subjects = catalogue.subjects_in_order()
    lead = catalogue.lead(ItemKind.TRAINING, window_days)
    stmt, rec_stmt = matrix_queries(practice_id, role_id, federation_only)
    # SQLite's driver returns ISO strings: compare them as such (the ORM path, used under the access guard, dates).
    text_dates = session.get_bind().dialect.name == "sqlite" and not guarded(session)

    def same_kind(d: date) -> Any:
        return d.isoformat() if text_dates else d

    on_key = same_kind(on)
    people = [
        row
        for row in driver_rows(session, stmt)
        if (row[8] is None or as_date(row[8]) <= on) and (row[9] is None or as_date(row[9]) >= on)
    ]
    missing, na, valid, expiring, expired = (
        ItemStatus.MISSING,
        ItemStatus.NOT_APPLICABLE,
        ItemStatus.VALID,
        ItemStatus.EXPIRING,
        ItemStatus.EXPIRED,
    )
    info_of = {s.id: (i, s) for i, s in enumerate(subjects)}
    # One template row of cells per role: the "missing" cells its requirements start from (shared, immutable).
    templates: dict[int, list[MatrixCell | None]] = {}
    for rid, needs in catalogue.training_by_role.items():
        template: list[MatrixCell | None] = [None] * len(subjects)
        for subject_id, level in needs.items():
            if subject_id in info_of:
                template[info_of[subject_id][0]] = MatrixCell(missing, level, None)
        templates[rid] = template
    blank: list[MatrixCell | None] = [None] * len(subjects)
    empty_needs: dict[int, int] = {}
    person_of: dict[int, tuple[list[MatrixCell | None], dict[int, int]]] = {
        row[0]: ((templates.get(row[5]) or blank)[:], catalogue.training_by_role.get(row[5], empty_needs))
        for row in people
    }
    # Per (subject, level): the refresher, the first completion date still in date on ``on``, and the first not
    # yet within the warning lead time. A record's status is then two comparisons, with no date arithmetic.
    thresholds: dict[tuple[int, int], tuple[int | None, Any, Any]] = {}
    warn_key = same_kind(on + timedelta(days=lead))
    for sid, subject_id, level, latest, certificate, last_done in driver_rows(session, rec_stmt):
        person = person_of.get(sid)
        info = info_of.get(subject_id)
        if person is None or info is None:
            continue
        cells, needs = person
        column, subject = info
        required = needs.get(subject_id)
        if required is not None and level < required:
            current = cells[column]  # the role's "missing" cell, or a record that already meets the requirement
            if current is not None and current.status is missing and (current.level or 0) < level:
                cells[column] = MatrixCell(missing, required, level, last_done, certificate)
            continue
        limits = thresholds.get((subject_id, level))
        if limits is None:
            months = subject.refresher(level)
            limits = (
                (None, None, None)
                if months is None
                else (
                    months,
                    same_kind(first_completion_valid_on(on, months)),
                    same_kind(first_completion_valid_on(on, months, lead + 1)),
                )
            )
            thresholds[(subject_id, level)] = limits
        months, in_date_from, valid_from = limits
        # The better of the latest completion without a certificate expiry and the latest certificate expiry.
        if latest is not None and (months is None or latest >= valid_from):
            status, completed, cert = valid, latest, None
        elif certificate is not None and certificate > warn_key:
            status, completed, cert = valid, last_done, certificate
        elif latest is not None and latest >= in_date_from:
            status, completed, cert = expiring, latest, None
        elif certificate is not None and certificate >= on_key:
            status, completed, cert = expiring, last_done, certificate
        else:
            status, completed, cert = expired, last_done, (certificate if latest is None else None)
        cell = MatrixCell(na if required is None else status, required, level, completed, cert, months)
        current = cells[column]
        if (
            current is not None
            and current.level is not None
            and current.status is not missing
            and (current.expires_on or date.max, current.level) >= (cell.expires_on or date.max, level)
        ):
            continue
        cells[column] = cell
    rows: list[MatrixRow] = []
    ok = (valid, expiring)
    for sid, given, family, preferred, number, _role, role_name, practice_name, _start, _leave in people:
        cells, needs = person_of[sid]
        in_date = sum(1 for c in cells if c is not None and c.status in ok)
        rows.append(
            MatrixRow(
                sid,
                f"{preferred or given} {family}",
                number,
                role_name,
                practice_name or "Federation",
                tuple(cells),
                in_date,
                len(needs),
                f"{family} {preferred or given}".casefold(),
            )
        )
    return TrainingMatrix(
        on,
        tuple(MatrixSubject(s.id, s.code, s.name, s.short_name) for s in subjects),
        rows,
        {s.id: s for s in subjects},
    )


def matrix_queries(
    practice_id: int | None = None, role_id: int | None = None, federation_only: bool = False
) -> tuple[Any, Any]:
    """The matrix's two SELECTs: people (with role and employer), and their training reduced per (person,
    subject, level) to the latest completion without a certificate expiry, the latest certificate expiry and the
    latest completion of all. (The benchmark runs the same statements through the bare driver as its reference.)"""
    S, T = StaffMember, TrainingRecord
    stmt = (
        select(
            S.id,
            S.given_name,
            S.family_name,
            S.preferred_name,
            S.staff_number,
            S.role_id,
            Role.name,
            Practice.name,
            S.start_date,
            S.leave_date,
        )
        .join(Role, Role.id == S.role_id)
        .outerjoin(Practice, Practice.id == S.employer_practice_id)
        .order_by(S.family_name, S.given_name, S.id)
    )
    if role_id is not None:
        stmt = stmt.where(S.role_id == role_id)
    if federation_only:
        stmt = stmt.where(S.employer_practice_id.is_(None))
    if practice_id is not None:
        works_there = select(StaffPractice.staff_id).where(StaffPractice.practice_id == practice_id)
        stmt = stmt.where((S.employer_practice_id == practice_id) | S.id.in_(works_there))
    rec_stmt = select(
        T.staff_id,
        T.subject_id,
        T.level,
        func.max(case((T.expires_on.is_(None), T.completed_on))),
        func.max(T.expires_on),
        func.max(T.completed_on),
    ).group_by(T.staff_id, T.subject_id, T.level)
    if practice_id is not None or role_id is not None or federation_only:
        rec_stmt = rec_stmt.where(T.staff_id.in_(stmt.with_only_columns(S.id).order_by(None)))
    return stmt, rec_stmt


# ---- the expiry list ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiryRow:
    staff_id: int
    staff_name: str
    staff_number: str | None
    role: str
    practice_id: int | None
    practice: str
    kind: ItemKind
    item: str
    status: ItemStatus
    expires_on: date | None
    detail: str
    lead_days: int
    warn_from: date | None
    within_lead_time: bool
    days_left: int | None
    week_start: date | None
    record_table: str | None
    record_id: int | None


def expiry_list(
    session: Session,
    on: date,
    horizon_days: int = 30,
    *,
    include_expired: bool = True,
    include_missing: bool = False,
    practice_id: int | None = None,
    staff_ids: Collection[int] | None = None,
) -> list[ExpiryRow]:
    """What lapses in the next ``horizon_days`` (and, optionally, what already has or was never recorded).

    Each row carries its item type's warning lead time: ``within_lead_time`` says the warning period has begun.
    Rows come sorted by expiry date (expired and missing items first).
    """
    people = evaluate(session, on, staff_ids)
    staff = load_staff(session, people.keys())
    catalogue = load_catalogue(session)
    practices = dict(session.execute(select(Practice.id, Practice.name)).all())
    if practice_id is not None:
        works_there = set(
            session.scalars(select(StaffPractice.staff_id).where(StaffPractice.practice_id == practice_id))
        )
        people = {
            sid: p for sid, p in people.items() if staff[sid].employer_practice_id == practice_id or sid in works_there
        }
    limit = on + timedelta(days=horizon_days)
    rows: list[ExpiryRow] = []
    for sid, person in people.items():
        basics = staff[sid]
        role = catalogue.roles.get(basics.role_id)
        for item in person.items:
            if item.status is ItemStatus.MISSING:
                if not include_missing:
                    continue
            elif item.expires_on is None:
                continue
            elif item.expires_on < on:
                if not include_expired:
                    continue
            elif item.expires_on > limit:
                continue
            warn_from = item.warn_from
            rows.append(
                ExpiryRow(
                    staff_id=sid,
                    staff_name=basics.name,
                    staff_number=basics.staff_number,
                    role=role.name if role else "",
                    practice_id=basics.employer_practice_id,
                    practice=practices.get(basics.employer_practice_id, "Federation")
                    if basics.employer_practice_id
                    else "Federation",
                    kind=item.kind,
                    item=item.label,
                    status=item.status,
                    expires_on=item.expires_on,
                    detail=item.detail,
                    lead_days=item.lead_days,
                    warn_from=warn_from,
                    within_lead_time=warn_from is not None and on >= warn_from,
                    days_left=None if item.expires_on is None else (item.expires_on - on).days,
                    week_start=None if item.expires_on is None else week_start(item.expires_on),
                    record_table=item.record_table,
                    record_id=item.record_id,
                )
            )
    rows.sort(
        key=lambda r: (
            0 if r.status is ItemStatus.MISSING else 1,
            r.expires_on or date.min,
            r.staff_name.casefold(),
            r.item,
        )
    )
    return rows


@dataclass(frozen=True)
class ExpiryCounts:
    expiring: int
    expired: int
    missing: int
    people: int
    compliant_people: int


def expiry_counts(session: Session, on: date, horizon_days: int = 30) -> ExpiryCounts:
    """Numbers for the dashboard card: items expiring within ``horizon_days``, expired, missing."""
    people = evaluate(session, on)
    limit = on + timedelta(days=horizon_days)
    expiring = expired = missing = 0
    for person in people.values():
        for item in person.items:
            if item.status is ItemStatus.MISSING:
                missing += 1
            elif item.expires_on is not None:
                if item.expires_on < on:
                    expired += 1
                elif item.expires_on <= limit:
                    expiring += 1
    return ExpiryCounts(expiring, expired, missing, len(people), sum(1 for p in people.values() if p.compliant))


# ---- reference data -----------------------------------------------------------------------------------------------


def _source_fields(item: dict[str, Any]) -> dict[str, Any]:
    raw = item.get("source_date")
    return {
        "source": item.get("source"),
        "source_date": date.fromisoformat(raw) if raw else None,
        "confidence": item.get("confidence"),
    }


@reference_loader(20, "training catalogue")
def load_training_catalogue(session: Session) -> int:
    """Subjects, levels and role requirements from resources/reference/training.json (first run only)."""
    if session.scalar(select(func.count(TrainingSubject.id))):
        return 0
    data = read_reference("training.json")
    added = 0
    subject_ids: dict[str, int] = {}
    for item in data["subjects"]:
        subject = TrainingSubject(
            code=item["code"],
            name=item["name"],
            short_name=item["short_name"],
            category=item["category"],
            esr_name=item.get("esr_name"),
            aliases="|".join(item.get("aliases") or []) or None,
            sort_order=item["sort_order"],
            **_source_fields(item),
        )
        session.add(subject)
        session.flush()
        subject_ids[subject.code] = subject.id
        added += 1
        for level in item["levels"]:
            session.add(
                TrainingLevel(
                    subject_id=subject.id,
                    level=level["level"],
                    name=level["name"],
                    refresher_months=level["refresher_months"],
                    hours_per_3_years=level.get("hours_per_3_years"),
                    **_source_fields(level),
                )
            )
            added += 1
    roles = dict(session.execute(select(Role.code, Role.id)).all())
    for req in data["role_requirements"]:
        for code in req["roles"]:
            if code in roles:
                session.add(
                    RoleTrainingRequirement(
                        role_id=roles[code],
                        subject_id=subject_ids[req["subject"]],
                        level=req["level"],
                        **_source_fields(req),
                    )
                )
                added += 1
    session.flush()
    return added


@reference_loader(21, "compliance item types")
def load_item_types(session: Session) -> int:
    """Lead times, re-check intervals and the checks each role needs, from resources/reference/hr_items.json."""
    if session.scalar(select(func.count(ComplianceItemType.id))):
        return 0
    data = read_reference("hr_items.json")
    added = 0
    for item in data["item_types"]:
        session.add(
            ComplianceItemType(
                kind=ItemKind(item["kind"]),
                lead_days=item["lead_days"],
                interval_months=item["interval_months"],
                notes=item.get("notes"),
                **_source_fields(item),
            )
        )
        added += 1
    roles = dict(session.execute(select(Role.code, Role.id)).all())
    if not session.scalar(select(func.count(RoleCheckRequirement.id))):
        for check in data["role_checks"]:
            for code in check["roles"]:
                if code in roles:
                    session.add(
                        RoleCheckRequirement(
                            role_id=roles[code],
                            kind=ItemKind(check["kind"]),
                            detail=check.get("detail"),
                            **_source_fields(check),
                        )
                    )
                    added += 1
    session.flush()
    return added


# ---- the dashboard card -------------------------------------------------------------------------------------------


def _register_card() -> None:
    from federation_desk.services.dashboard import DashboardCard, Severity, dashboard_card

    @dashboard_card(20, "hr")
    def hr_card(session: Session, today: date) -> DashboardCard | None:
        """ "14 items expire in the next 30 days, 3 already expired", opening the expiry list."""
        if not session.scalar(select(func.count(StaffMember.id))):
            return None
        counts = expiry_counts(session, today, 30)
        headline = (
            f"{counts.expiring} item{'s' if counts.expiring != 1 else ''} expire{'' if counts.expiring != 1 else 's'} "
            f"in the next 30 days, {counts.expired} already expired"
        )
        details = [
            f"{counts.compliant_people:,} of {counts.people:,} staff fully compliant "
            f"({_percent(counts.compliant_people, counts.people):.0f}%)",
        ]
        if counts.missing:
            details.append(
                f"{counts.missing} required item{'s' if counts.missing != 1 else ''} never recorded "
                "(registrations, checks or training)"
            )
        severity = (
            Severity.DANGER
            if counts.expired or counts.missing
            else Severity.WARNING
            if counts.expiring
            else Severity.GOOD
        )
        return DashboardCard("hr", "Staff compliance", headline, tuple(details), severity, "staff/expiry", 20)


_register_card()


# ---- editing the reference data (loaded from resources/reference, then the federation's own) -------------------

LOCAL_POLICY = "Local policy set in Federation Desk"


@dataclass(frozen=True)
class ItemTypeRow:
    id: int
    version: int
    kind: ItemKind
    lead_days: int
    interval_months: int | None
    notes: str | None
    source: str | None
    source_date: date | None
    confidence: str | None


@dataclass(frozen=True)
class LevelRow:
    id: int
    version: int
    subject_id: int
    subject: str
    level: int
    name: str
    refresher_months: int | None
    hours_per_3_years: float | None
    source: str | None
    source_date: date | None
    confidence: str | None


@dataclass(frozen=True)
class RequirementRow:
    role_id: int
    subject_id: int
    subject: str
    level: int | None  # None: the role does not need the subject
    levels: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class ReferenceSettings:
    item_types: list[ItemTypeRow]
    levels: list[LevelRow]
    roles: list[tuple[int, str]]
    requirements: dict[int, list[RequirementRow]]  # role id -> every subject with the level it needs


def reference_settings(session: Session) -> ReferenceSettings:
    """Everything the requirements editor shows: lead times and intervals, refresher periods, role requirements."""
    forget_catalogue(session)
    catalogue = load_catalogue(session)
    C = ComplianceItemType
    types = [
        ItemTypeRow(*row)
        for row in session.execute(
            select(
                C.id, C.version, C.kind, C.lead_days, C.interval_months, C.notes, C.source, C.source_date, C.confidence
            )
        )
    ]
    order = {kind: i for i, kind in enumerate(ItemKind)}
    types.sort(key=lambda t: order[t.kind])
    L, S = TrainingLevel, TrainingSubject
    levels = [
        LevelRow(*row)
        for row in session.execute(
            select(
                L.id,
                L.version,
                L.subject_id,
                S.name,
                L.level,
                L.name,
                L.refresher_months,
                L.hours_per_3_years,
                L.source,
                L.source_date,
                L.confidence,
            )
            .join(S, S.id == L.subject_id)
            .order_by(S.sort_order, S.name, L.level)
        )
    ]
    roles = [(r.id, r.name) for r in sorted(catalogue.roles.values(), key=lambda r: r.name.casefold())]
    requirements = {
        rid: [
            RequirementRow(
                rid,
                s.id,
                s.name,
                catalogue.training_by_role.get(rid, {}).get(s.id),
                tuple((n, name or f"Level {n}") for n, name, _m in s.levels),
            )
            for s in catalogue.subjects_in_order()
        ]
        for rid, _name in roles
    }
    return ReferenceSettings(types, levels, roles, requirements)


def _whole_number(text: str, field: str, label: str, low: int, high: int, blank_ok: bool) -> int | None:
    from federation_desk.errors import FieldProblem, ValidationError

    raw = (text or "").strip()
    if not raw:
        if blank_ok:
            return None
        raise ValidationError([FieldProblem(field, f"{label} is required.")])
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationError(
            [FieldProblem(field, f"{label} must be a whole number from {low} to {high}, not '{raw}'.")]
        )
    return int(raw)


def save_item_type(
    session: Session, type_id: int, lead_days: str, interval_months: str, expected_version: int | None
) -> Any:
    """Change an item type's warning lead time and re-check interval (the federation's own policy from now on)."""
    from federation_desk.db.session import load_for_edit
    from federation_desk.services import validators as v
    from federation_desk.services.changes import Changes
    from federation_desk.services.dates import today

    lead, interval = v.collect(
        lambda: _whole_number(lead_days, "lead_days", "The warning lead time", 0, 730, False),
        lambda: _whole_number(interval_months, "interval_months", "The re-check interval", 1, 120, True),
    )
    row = load_for_edit(session, ComplianceItemType, type_id, expected_version)
    if (row.lead_days, row.interval_months) != (lead, interval):
        row.lead_days, row.interval_months = lead, interval  # type: ignore[assignment]
        row.source, row.source_date, row.confidence = LOCAL_POLICY, today(), None
    session.flush()
    forget_catalogue(session)
    return Changes.of("staff", "training", message=f"{row.kind.label}: lead time {lead} days saved.")


def save_refresher(session: Session, level_id: int, refresher_months: str, expected_version: int | None) -> Any:
    """Change a training level's refresher period in months (blank: done once, no refresher)."""
    from federation_desk.db.session import load_for_edit
    from federation_desk.services.changes import Changes
    from federation_desk.services.dates import today

    months = _whole_number(refresher_months, "refresher_months", "The refresher period", 1, 120, True)
    row = load_for_edit(session, TrainingLevel, level_id, expected_version)
    if row.refresher_months != months:
        row.refresher_months = months
        row.source, row.source_date, row.confidence = LOCAL_POLICY, today(), None
    session.flush()
    forget_catalogue(session)
    return Changes.of("staff", "training", message="Refresher period saved.")


def save_role_requirements(session: Session, role_id: int, levels: dict[int, int | None]) -> Any:
    """Set the level of each subject a role needs (None: not needed). Only the subjects given are touched."""
    from federation_desk.errors import NotFound
    from federation_desk.services.changes import Changes
    from federation_desk.services.dates import today

    if session.get(Role, role_id) is None:
        raise NotFound("This role")
    existing = {
        r.subject_id: r
        for r in session.scalars(select(RoleTrainingRequirement).where(RoleTrainingRequirement.role_id == role_id))
    }
    for subject_id, level in levels.items():
        current = existing.get(subject_id)
        if level is None:
            if current is not None:
                session.delete(current)
        elif current is None:
            session.add(
                RoleTrainingRequirement(
                    role_id=role_id, subject_id=subject_id, level=level, source=LOCAL_POLICY, source_date=today()
                )
            )
        elif current.level != level:
            current.level = level
            current.source, current.source_date, current.confidence = LOCAL_POLICY, today(), None
    session.flush()
    forget_catalogue(session)
    return Changes.of("staff", "training", message="Training requirements saved.")
