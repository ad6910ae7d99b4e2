"""Demo step 30: each demo person's registrations, Performers List checks, DBS, right to work, hepatitis B,
training, appraisals and leave, with a realistic mix: most items valid, some expiring soon, some expired, some
never recorded. Renewed items keep their earlier records as history. Deterministic for a seed and "today".

At benchmark scale rows go in with one executemany per table and a bulk audit entry (services.demo).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from federation_desk.db.audit_hook import record_bulk
from federation_desk.domain.base import Base
from federation_desk.domain.compliance import (
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
)
from federation_desk.domain.staff import EmploymentType, Regulator, StaffMember
from federation_desk.services import compliance as comp
from federation_desk.services.demo import DemoContext, bulk_insert, demo_step

# Each person gets a profile; the profile sets how their items fall (weights for valid, expiring within the item's
# lead time, expired, never recorded). Most people are in order, a fifth have something coming up, and about one
# in eight has let something lapse, which is what a federation's HR lead typically finds.
PROFILES = {
    "good": (98, 2, 0, 0),
    "expiring": (88, 12, 0, 0),
    "lapsed": (66, 10, 14, 10),
}
PROFILE_WEIGHTS = (68, 20, 12)
HCPC_PREFIX = {"paramedic": "PA", "physiotherapist": "PH"}
NMC_LETTERS = "ABCDEFGHJKLMNPRSTUVWXY"
PROVIDERS = ("Blue Stream Academy", "e-Learning for Healthcare", "Practice in-house", "Training hub", "BMJ Learning")


def _fate(rng: Any, mix: tuple[int, int, int, int]) -> str:
    return rng.choices(("valid", "expiring", "expired", "missing"), mix)[0]


def _expiry_for(rng: Any, today: date, fate: str, lead: int, longest: int) -> date:
    """An expiry date that gives ``fate`` on ``today`` for an item with a ``lead``-day warning."""
    if fate == "expiring":
        return today + timedelta(days=rng.randrange(0, max(1, lead + 1)))
    if fate == "expired":
        return today - timedelta(days=rng.randrange(1, 200))
    return today + timedelta(days=rng.randrange(lead + 1, max(lead + 2, longest)))


def _completed_for(rng: Any, today: date, fate: str, lead: int, months: int) -> date:
    """A completion date whose refresher of ``months`` leaves the record in ``fate`` on ``today``."""
    if fate == "expiring":
        expiry = today + timedelta(days=rng.randrange(0, lead + 1))
    elif fate == "expired":
        expiry = today - timedelta(days=rng.randrange(1, 150))
    else:
        span = months * 30 - lead - 1
        expiry = today + timedelta(days=lead + 1 + rng.randrange(0, max(1, span)))
    return comp.add_months(expiry, -months)


class _Writer:
    """Collects rows per table and writes them with the demo's bulk insert (ORM and audited at demo scale)."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.rows: dict[type[Base], list[dict[str, Any]]] = {}

    def add(self, model: type[Base], **values: Any) -> None:
        self.rows.setdefault(model, []).append(values)

    def flush(self) -> None:
        for model, rows in self.rows.items():
            if self.ctx.scale.is_benchmark:
                self.ctx.session.execute(insert(model), rows)
                record_bulk(self.ctx.session, model.__tablename__, len(rows), "demo federation (benchmark scale)")
            else:
                bulk_insert(self.ctx, model, rows)
        self.rows.clear()


def _registration_number(rng: Any, regulator: Regulator, role_code: str, serial: int) -> str:
    if regulator is Regulator.GMC:
        if role_code == "physician_associate":
            return f"A{1000000 + serial * 37 % 8999999:07d}"
        return f"{(2000000 + serial * 7919) % 9999999:07d}"
    if regulator is Regulator.NMC:
        year = rng.randrange(88, 125) % 100
        return (
            f"{year:02d}{NMC_LETTERS[serial % len(NMC_LETTERS)]}{(serial * 7717) % 10000:04d}"
            f"{NMC_LETTERS[(serial * 3) % len(NMC_LETTERS)]}"
        )
    if regulator is Regulator.GPHC:
        first = "5" if role_code == "pharmacy_technician" else "2"
        return f"{first}{(serial * 9241) % 1000000:06d}"
    prefix = HCPC_PREFIX.get(role_code, "PH")
    return f"{prefix}{(serial * 6007) % 1000000:06d}"


@demo_step(30, "hr")
def make_hr(ctx: DemoContext) -> None:
    rng, s, today = ctx.rng, ctx.session, ctx.today
    catalogue = comp.load_catalogue(s)
    people = s.execute(
        select(
            StaffMember.id,
            StaffMember.role_id,
            StaffMember.start_date,
            StaffMember.leave_date,
            StaffMember.employment_type,
            StaffMember.given_name,
        ).order_by(StaffMember.id)
    ).all()
    w = _Writer(ctx)
    lead = {kind: catalogue.lead(kind, None) for kind in ItemKind}
    interval = catalogue.interval_months
    opt_outs: list[int] = []
    rich = {given for given, _family in _special_names()}
    for serial, (sid, role_id, start, leave, employment, given) in enumerate(people, start=1):
        role = catalogue.roles[role_id]
        checks = catalogue.checks_by_role.get(role_id, {})
        start = start or today - timedelta(days=3000)
        everything = given in rich  # the people with awkward names get a complete record to look at
        profile = "good" if everything else rng.choices(tuple(PROFILES), PROFILE_WEIGHTS)[0]
        mix = PROFILES[profile]

        if ItemKind.REGISTRATION in checks and role.regulator is not Regulator.NONE:
            fate = _fate(rng, mix)
            if fate != "missing":
                number = _registration_number(rng, role.regulator, role.code, serial)
                cycle_days = {Regulator.NMC: 1095, Regulator.HCPC: 730}.get(role.regulator, 365)
                expiry = _expiry_for(rng, today, fate, lead[ItemKind.REGISTRATION], cycle_days)
                reval_cycle = {Regulator.GMC: 1825, Regulator.NMC: 1095}.get(role.regulator)
                reval = None
                reval_fate = _fate(rng, mix)
                if reval_cycle is not None and reval_fate != "missing":
                    reval = _expiry_for(rng, today, reval_fate, lead[ItemKind.REVALIDATION], reval_cycle)
                if rng.random() < 0.35 or everything:  # renewed before: the earlier record stays as history
                    w.add(
                        ProfessionalRegistration,
                        staff_id=sid,
                        regulator=role.regulator,
                        number=number,
                        status=RegistrationStatus.REGISTERED,
                        registered_on=start,
                        expires_on=expiry - timedelta(days=cycle_days),
                        revalidation_due=None,
                        checked_on=expiry - timedelta(days=cycle_days + 20),
                        notes=None,
                    )
                w.add(
                    ProfessionalRegistration,
                    staff_id=sid,
                    regulator=role.regulator,
                    number=number,
                    status=RegistrationStatus.CONDITIONS if rng.random() < 0.01 else RegistrationStatus.REGISTERED,
                    registered_on=start,
                    expires_on=expiry,
                    revalidation_due=reval,
                    checked_on=max(start, today - timedelta(days=rng.randrange(5, 300))),
                    notes=None,
                )

        if ItemKind.PERFORMERS_LIST in checks:
            fate = _fate(rng, mix)
            if fate != "missing":
                months = interval.get(ItemKind.PERFORMERS_LIST) or 12
                checked = _completed_for(rng, today, fate, lead[ItemKind.PERFORMERS_LIST], months)
                w.add(
                    PerformersListEntry,
                    staff_id=sid,
                    list_name="NHS England Medical Performers List",
                    status=PerformersStatus.INCLUDED,
                    included_on=start,
                    checked_on=min(checked, today),
                    responsible_officer="NHS England North East and Yorkshire",
                    notes=None,
                )

        if ItemKind.DBS in checks:
            fate = _fate(rng, mix)
            required = DbsLevel(checks[ItemKind.DBS].detail) if checks[ItemKind.DBS].detail else DbsLevel.ENHANCED
            if fate != "missing":
                months = interval.get(ItemKind.DBS) or 36
                issued = min(_completed_for(rng, today, fate, lead[ItemKind.DBS], months), today)
                level = required
                if rng.random() < 0.02 and required is not DbsLevel.BASIC:
                    level = DbsLevel.STANDARD  # a check below what the role needs
                if rng.random() < 0.3 and not everything:
                    w.add(
                        DbsCheck,
                        staff_id=sid,
                        level=level,
                        workforce=DbsWorkforce.ADULT_AND_CHILD,
                        certificate_number=f"{(serial * 104729) % 10**12:012d}",
                        issued_on=issued - timedelta(days=1100),
                        update_service=False,
                        status_checked_on=None,
                        status_check_result=None,
                        recheck_due=None,
                        notes=None,
                    )
                subscribed = level is not DbsLevel.BASIC and rng.random() < 0.35
                w.add(
                    DbsCheck,
                    staff_id=sid,
                    level=level,
                    workforce=DbsWorkforce.ADULT_AND_CHILD if role.is_clinical else DbsWorkforce.ADULT,
                    certificate_number=f"{(serial * 7919 + 17) % 10**12:012d}",
                    issued_on=issued,
                    update_service=subscribed,
                    status_checked_on=None,
                    status_check_result=None,
                    recheck_due=None,
                    notes=None,
                )

        if ItemKind.RIGHT_TO_WORK in checks:
            roll = rng.random()
            if profile != "lapsed" or roll > 0.05:
                checked = start
                if roll < 0.86 or everything:
                    w.add(
                        RightToWorkCheck,
                        staff_id=sid,
                        method=RightToWorkMethod.LIST_A,
                        document_type="UK passport",
                        checked_on=checked,
                        checked_by="Practice manager",
                        share_code_reference=None,
                        permission_expires_on=None,
                        follow_up_due=None,
                        notes=None,
                    )
                else:
                    fate = _fate(rng, mix if mix[2] else (80, 20, 0, 0))
                    expires = _expiry_for(rng, today, fate, lead[ItemKind.RIGHT_TO_WORK], 900)
                    method = RightToWorkMethod.ONLINE if roll < 0.95 else RightToWorkMethod.LIST_B_GROUP_1
                    w.add(
                        RightToWorkCheck,
                        staff_id=sid,
                        method=method,
                        document_type="eVisa (Health and Care Worker)"
                        if method is RightToWorkMethod.ONLINE
                        else "Visa",
                        checked_on=min(checked, today),
                        checked_by="Practice manager",
                        share_code_reference=f"W{(serial * 7907) % 10**8:08d}"
                        if method is RightToWorkMethod.ONLINE
                        else None,
                        permission_expires_on=expires,
                        follow_up_due=None,
                        notes=None,
                    )

        if ItemKind.HEPATITIS_B in checks:
            roll = rng.random()
            if profile != "lapsed" or roll > 0.3:
                dose1 = start - timedelta(days=rng.randrange(200, 4000))
                outcome = HepBOutcome.RESPONDER
                if not everything and roll < 0.03:
                    outcome = HepBOutcome.IN_PROGRESS
                elif not everything and roll < 0.06:
                    outcome = HepBOutcome.NON_RESPONDER
                in_progress = outcome is HepBOutcome.IN_PROGRESS
                w.add(
                    HepatitisBRecord,
                    staff_id=sid,
                    dose1_on=today - timedelta(days=40) if in_progress else dose1,
                    dose2_on=None if in_progress else dose1 + timedelta(days=30),
                    dose3_on=None if in_progress else dose1 + timedelta(days=180),
                    booster_on=None,
                    tested_on=None if in_progress else dose1 + timedelta(days=250),
                    anti_hbs=None
                    if in_progress
                    else (rng.randrange(120, 1000) if outcome is HepBOutcome.RESPONDER else 4),
                    outcome=outcome,
                    oh_cleared_on=dose1 + timedelta(days=300)
                    if outcome is HepBOutcome.NON_RESPONDER and roll < 0.05
                    else None,
                    notes=None,
                )

        if ItemKind.APPRAISAL in checks:
            fate = _fate(rng, mix)
            months = interval.get(ItemKind.APPRAISAL) or 12
            first_due = comp.add_months(start, months)
            if fate != "missing" and first_due <= today + timedelta(days=30):
                done = min(_completed_for(rng, today, fate, lead[ItemKind.APPRAISAL], months), today)
                if done > start:
                    previous = comp.add_months(done, -months)
                    if previous > start and (everything or rng.random() < 0.6):
                        w.add(
                            Appraisal,
                            staff_id=sid,
                            completed_on=previous,
                            next_due=None,
                            appraiser=_appraiser(rng, role.code),
                            supports_revalidation=False,
                            notes=None,
                        )
                    w.add(
                        Appraisal,
                        staff_id=sid,
                        completed_on=done,
                        next_due=None,
                        appraiser=_appraiser(rng, role.code),
                        supports_revalidation=role.code == "gp" and rng.random() < 0.2,
                        notes=None,
                    )

        for subject_id, level in sorted(catalogue.training_by_role.get(role_id, {}).items()):
            subject = catalogue.subjects[subject_id]
            fate = _fate(rng, mix)
            if fate == "missing":
                continue
            months = subject.refresher(level)
            if months is None:
                done = max(start, today - timedelta(days=rng.randrange(30, 2000)))
            else:
                done = _completed_for(rng, today, fate, lead[ItemKind.TRAINING], months)
            done = min(done, today)
            hours = _hours(subject.code, level, rng)
            if months is not None and (everything or rng.random() < 0.25):
                earlier = comp.add_months(done, -months)
                w.add(
                    TrainingRecord,
                    staff_id=sid,
                    subject_id=subject_id,
                    level=level,
                    completed_on=earlier,
                    expires_on=None,
                    hours=hours,
                    provider=rng.choice(PROVIDERS),
                    notes=None,
                )
            w.add(
                TrainingRecord,
                staff_id=sid,
                subject_id=subject_id,
                level=level,
                completed_on=done,
                expires_on=None,
                hours=hours,
                provider=rng.choice(PROVIDERS),
                notes=None,
            )

        _leave(w, rng, today, sid, leave, everything)
        if role.code in ("gp", "anp") and employment is EmploymentType.EMPLOYED and rng.random() < 0.15:
            opt_outs.append(sid)
    w.flush()
    if opt_outs:
        if ctx.scale.is_benchmark:
            s.execute(update(StaffMember).where(StaffMember.id.in_(opt_outs)).values(working_time_opt_out=True))
        else:
            for staff in s.scalars(select(StaffMember).where(StaffMember.id.in_(opt_outs))):
                staff.working_time_opt_out = True
            s.flush()
    _attach_certificates(ctx)


def _special_names() -> tuple[tuple[str, str], ...]:
    from federation_desk.services.demo import SPECIAL_NAMES

    return SPECIAL_NAMES


def _appraiser(rng: Any, role_code: str) -> str:
    if role_code in ("gp", "gp_registrar"):
        return rng.choice(("Dr Helen Ward (NHS England appraiser)", "Dr Imran Iqbal (NHS England appraiser)"))
    return rng.choice(("Practice manager", "Lead nurse", "Clinical director"))


def _hours(code: str, level: int, rng: Any) -> float | None:
    if code not in ("safeguarding_adults", "safeguarding_children"):
        return None
    return {1: 2.0, 2: 3.5, 3: float(rng.choice((4, 6, 8)))}.get(level, 2.0)


def _leave(w: _Writer, rng: Any, today: date, sid: int, leave_date: date | None, everything: bool) -> None:
    if leave_date is not None and leave_date < today:
        return
    count = 3 if everything else rng.choices((0, 1, 2, 3), (35, 35, 20, 10))[0]
    mine: list[dict[str, Any]] = []
    for _ in range(count):
        kind = rng.choices(
            (LeaveKind.ANNUAL, LeaveKind.STUDY, LeaveKind.SICKNESS, LeaveKind.PARENTAL), (75, 10, 12, 3)
        )[0]
        start = today + timedelta(days=rng.randrange(-60, 120))
        lengths = {
            LeaveKind.ANNUAL: rng.choice((1, 3, 5, 10)),
            LeaveKind.STUDY: 1,
            LeaveKind.SICKNESS: rng.choice((1, 2, 5)),
        }
        length = lengths.get(kind, 60)
        if kind is LeaveKind.SICKNESS and start > today:
            start = today - timedelta(days=rng.randrange(1, 60))
        status = LeaveStatus.APPROVED
        if start > today and kind is LeaveKind.ANNUAL and rng.random() < 0.2:
            status = LeaveStatus.REQUESTED
        mine.append(
            dict(
                staff_id=sid,
                kind=kind,
                start_on=start,
                end_on=start + timedelta(days=length - 1),
                status=status,
                notes=None,
            )
        )
    # Overlapping approved leave would be refused by the service; the demo keeps the first of any overlap.
    kept: list[dict[str, Any]] = []
    for row in sorted(mine, key=lambda r: r["start_on"]):
        if any(
            k["status"] is LeaveStatus.APPROVED
            and row["status"] is LeaveStatus.APPROVED
            and k["start_on"] <= row["end_on"]
            and k["end_on"] >= row["start_on"]
            for k in kept
        ):
            continue
        kept.append(row)
    for row in kept:
        w.add(LeaveRecord, **row)


def _attach_certificates(ctx: DemoContext) -> None:
    """Evidence PDFs for the people with awkward names (so the Documents tab has something to open)."""
    from federation_desk.services.documents import store_document

    if ctx.scale.is_benchmark:
        return
    s = ctx.session
    wanted = {given for given, _f in _special_names()}
    rows = s.execute(
        select(
            StaffMember.id,
            StaffMember.given_name,
            StaffMember.family_name,
            DbsCheck.id,
            DbsCheck.issued_on,
            DbsCheck.certificate_number,
        )
        .join(DbsCheck, DbsCheck.staff_id == StaffMember.id)
        .where(StaffMember.given_name.in_(wanted))
        .order_by(StaffMember.id, DbsCheck.id)
    ).all()
    for _sid, given, family, dbs_id, issued, number in rows:
        pdf = _certificate_pdf(
            [
                "Disclosure and Barring Service",
                "Demo certificate (not a real disclosure)",
                f"Name: {given} {family}",
                f"Certificate number: {number}",
                f"Issued: {issued.strftime('%d/%m/%Y')}",
            ]
        )
        store_document(s, f"DBS certificate {number}.pdf", pdf, attach_to=("dbs_check", dbs_id), purpose="certificate")


def _certificate_pdf(lines: list[str]) -> bytes:
    from federation_desk.services.demo_indemnity import certificate_pdf

    return certificate_pdf(lines)
