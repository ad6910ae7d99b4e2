"""Demo data for indemnity and insurance (step 40): the federation's and practices' policies, with one gap between
renewals and one policy about to run out unrenewed, and clinicians' own indemnity cover.

Everything is placed relative to ``ctx.today`` so the demo always shows the same picture: the federation's public
liability renewal started two weeks late this policy year (a gap), its cyber policy ends in 20 days with no renewal
recorded, one practice's surgery policy runs out within a fortnight, one practice's employers' liability is at the
legal minimum, and a few clinicians' memberships have lapsed or are about to.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from federation_desk.domain.indemnity import (
    CoverBasis,
    IndemnityCover,
    IndemnityProvider,
    InsurancePolicy,
    LimitBasis,
    PolicyType,
)
from federation_desk.domain.organisation import Practice
from federation_desk.domain.staff import Role, StaffMember
from federation_desk.services.demo import DemoContext, bulk_insert, demo_step
from federation_desk.services.documents import store_document
from federation_desk.services.money import format_money

M = Decimal(1_000_000)
PRACTICE_INSURERS = ("Aviva", "Hiscox", "Zurich Municipal", "Ecclesiastical", "AXA Insurance", "QBE")
# Own-cover categories by role, as the defence organisations name their products (DOMAIN.md 3.2).
CATEGORIES = {
    "gp": ("GP - CNSGP top-up", "GP - top-up with private work", "Sessional GP - top-up"),
    "gp_registrar": ("GP trainee",),
    "anp": ("Advanced nurse practitioner", "Nurse practitioner - top-up"),
    "practice_nurse": ("Practice nurse",),
    "clinical_pharmacist": ("Pharmacist - clinical", "Independent prescriber"),
    "physician_associate": ("Physician associate",),
    "paramedic": ("Paramedic - primary care",),
    "physiotherapist": ("First contact practitioner",),
}
# How likely a clinician in each role holds their own cover (GPs nearly all do, for non-NHS work and GMC support).
HOLDS_COVER = {"gp": 0.95, "gp_registrar": 0.9, "anp": 0.85, "clinical_pharmacist": 0.7, "physician_associate": 0.8}
OTHER_PROVIDERS = {
    "anp": "RCN",
    "practice_nurse": "RCN",
    "nursing_associate": "RCN",
    "clinical_pharmacist": "PDA",
    "pharmacy_technician": "PDA",
    "physiotherapist": "CSP",
    "paramedic": "College of Paramedics",
}


def policy_year_start(today: date, month: int = 4, day: int = 1) -> date:
    """The start of the policy year running on ``today`` for policies renewing each ``day/month``."""
    this_year = date(today.year, month, day)
    return this_year if this_year <= today else date(today.year - 1, month, day)


def _year_end(start: date) -> date:
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return date(start.year + 1, 3, 1) - timedelta(days=1)


def _year_start(end: date) -> date:
    """The first day of a year of cover whose last day is ``end``."""
    try:
        return end.replace(year=end.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        return date(end.year - 1, 3, 1)


def certificate_pdf(lines: list[str]) -> bytes:
    """A small one-page PDF certificate (demo only), written by hand so the services layer needs no report code."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = ["BT", "/F1 20 Tf", "72 760 Td", f"({esc(lines[0])}) Tj", "/F1 11 Tf"]
    for line in lines[1:]:
        body += ["0 -22 Td", f"({esc(line)}) Tj"]
    body.append("ET")
    stream = "\n".join(body).encode("cp1252", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _policy(
    holder: int | None,
    ptype: PolicyType,
    insurer: str,
    number: str,
    limit: Decimal | None,
    start: date,
    end: date,
    **kw: Any,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "holder_practice_id": holder,
        "policy_type": ptype,
        "description": None,
        "insurer": insurer,
        "policy_number": number,
        "limit_of_indemnity": limit,
        "limit_basis": LimitBasis.EACH_OCCURRENCE,
        "excess": None,
        "start_date": start,
        "end_date": end,
        "abuse_exclusion": False,
        "certificate_document_id": None,
        "notes": None,
    }
    row.update(kw)
    return row


def federation_policies(today: date) -> list[dict[str, Any]]:
    """The federation's policies over three policy years, with a late public liability renewal this year."""
    rows: list[dict[str, Any]] = []
    current = policy_year_start(today)
    for back in (2, 1, 0):
        start = current.replace(year=current.year - back)
        end = _year_end(start)
        year = start.year
        rows.append(
            _policy(None, PolicyType.EMPLOYERS_LIABILITY, "Zurich Municipal", f"ZM/EL/{year}/0417", 10 * M, start, end)
        )
        pl_start = start + timedelta(days=14) if back == 0 else start  # renewed two weeks late: a gap
        rows.append(
            _policy(
                None,
                PolicyType.PUBLIC_LIABILITY,
                "Hiscox",
                f"HX-PL-{year}-22871",
                10 * M,
                pl_start,
                end,
                excess=Decimal(250),
                notes="Renewal was signed two weeks after the old policy ended." if back == 0 else None,
            )
        )
        rows.append(
            _policy(
                None,
                PolicyType.PROFESSIONAL_INDEMNITY,
                "Hiscox",
                f"HX-PI-{year}-22872",
                5 * M if back == 0 else 2 * M,
                start,
                end,
                limit_basis=LimitBasis.AGGREGATE,
                excess=Decimal(1000),
            )
        )
        rows.append(
            _policy(
                None,
                PolicyType.CLINICAL_NEGLIGENCE,
                "NHS Resolution (CNST)",
                f"CNST-{year}-FD118",
                None,
                start,
                end,
                notes="Community services under the NHS Standard Contract fall outside CNSGP.",
            )
        )
    # Cyber renews on its own date: this year's ends 20 days from today with no renewal recorded yet.
    cyber_end = today + timedelta(days=20)
    cyber_start = _year_start(cyber_end)
    rows.append(
        _policy(
            None,
            PolicyType.CYBER,
            "Beazley",
            f"BZ-CY-{cyber_start.year - 1}-5531",
            2 * M,
            _year_start(cyber_start - timedelta(days=1)),
            cyber_start - timedelta(days=1),
        )
    )
    rows.append(
        _policy(
            None,
            PolicyType.CYBER,
            "Beazley",
            f"BZ-CY-{cyber_start.year}-5531",
            5 * M,
            cyber_start,
            cyber_end,
            excess=Decimal(5000),
        )
    )
    rows.append(
        _policy(
            None,
            PolicyType.OTHER,
            "Markel",
            f"MK-DO-{current.year}-0091",
            1 * M,
            current,
            _year_end(current),
            description="Directors' and officers'",
            limit_basis=LimitBasis.AGGREGATE,
        )
    )
    return rows


def practice_policies(ctx: DemoContext, practices: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Each practice's surgery policy (employers' and public liability) for last year and this year."""
    rng = ctx.rng
    rows: list[dict[str, Any]] = []
    for i, (pid, ods) in enumerate(practices):
        insurer = PRACTICE_INSURERS[rng.randrange(len(PRACTICE_INSURERS))]
        if i == 1:  # this practice's policy runs out in 12 days and nobody has recorded the renewal
            end = ctx.today + timedelta(days=12)
            start = _year_start(end)
        else:
            start = policy_year_start(ctx.today, rng.randrange(1, 13), 1)
        pl_limit = rng.choice([5 * M, 10 * M, 10 * M])
        el_limit = 5 * M if i == 2 else 10 * M  # at the legal minimum
        for back in (1, 0):
            s = _year_start(start - timedelta(days=1)) if back else start
            e = _year_end(s)
            ref = f"{insurer[:2].upper()}/SUR/{ods}/{s.year}"
            rows.append(_policy(pid, PolicyType.EMPLOYERS_LIABILITY, insurer, ref, el_limit, s, e))
            rows.append(_policy(pid, PolicyType.PUBLIC_LIABILITY, insurer, ref, pl_limit, s, e, excess=Decimal(250)))
    return rows


def clinician_covers(ctx: DemoContext, clinicians: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """Own indemnity cover: annual memberships on varied renewal dates, a few lapsed, some renewed early."""
    rng = ctx.rng
    rows: list[dict[str, Any]] = []
    for staff_id, role in clinicians:
        if rng.random() > HOLDS_COVER.get(role, 0.7):
            continue
        other = OTHER_PROVIDERS.get(role)
        if other and rng.random() < 0.6:
            provider, provider_name = IndemnityProvider.OTHER, other
            number = f"{other[:3].upper()}{rng.randrange(100000, 999999)}"
        else:
            provider = rng.choices(
                [IndemnityProvider.MDU, IndemnityProvider.MPS, IndemnityProvider.MDDUS], [45, 35, 20]
            )[0]
            provider_name = None
            number = (
                f"{rng.randrange(100000, 999999)}"
                if provider is not IndemnityProvider.MDDUS
                else (f"{rng.randrange(1000000, 9999999)}")
            )
        # The current membership year started some time in the last year; 6% let it lapse last month.
        start = ctx.today - timedelta(days=rng.randrange(0, 365))
        end = _year_end(start)
        if rng.random() < 0.06:
            end = ctx.today - timedelta(days=rng.randrange(3, 40))
            start = _year_start(end)
        non_nhs = rng.random() > 0.08  # a few hold a "regulatory support only" product
        category = rng.choice(CATEGORIES.get(role, ("Clinician",)))
        base = {
            "staff_id": staff_id,
            "provider": provider,
            "provider_name": provider_name,
            "membership_number": number,
            "category": category,
            "basis": CoverBasis.OCCURRENCE,
            "covers_non_nhs": non_nhs,
            "covers_regulatory": True,
            "other_scope": None if non_nhs else "Regulatory support only",
            "certificate_document_id": None,
            "notes": None,
        }
        previous = start - timedelta(days=1)
        rows.append({**base, "start_date": _year_start(previous), "end_date": previous})
        rows.append({**base, "start_date": start, "end_date": end})
        if 0 <= (end - ctx.today).days <= 45 and rng.random() < 0.5:  # renewed early
            rows.append({**base, "start_date": end + timedelta(days=1), "end_date": _year_end(end + timedelta(days=1))})
    return rows


@demo_step(40, "indemnity")
def make_indemnity(ctx: DemoContext) -> None:
    s = ctx.session
    practices = list(s.execute(select(Practice.id, Practice.ods_code).order_by(Practice.id)).all())
    clinicians = list(
        s.execute(
            select(StaffMember.id, Role.code)
            .join(Role, Role.id == StaffMember.role_id)
            .where(Role.is_clinical.is_(True), StaffMember.leave_date.is_(None))
            .order_by(StaffMember.id)
        ).all()
    )
    fed_rows = federation_policies(ctx.today)
    fed_ids = bulk_insert(ctx, InsurancePolicy, fed_rows)
    bulk_insert(ctx, InsurancePolicy, practice_policies(ctx, [(p, o) for p, o in practices]))
    cover_rows = clinician_covers(ctx, [(sid, code) for sid, code in clinicians])
    cover_ids = bulk_insert(ctx, IndemnityCover, cover_rows)
    ctx.extras["indemnity_policy_ids"] = fed_ids
    ctx.extras["indemnity_cover_ids"] = cover_ids
    if ctx.scale.is_benchmark:
        return
    # Certificates for the federation's policies in force today, and for a handful of clinicians' covers.
    for policy_id, row in zip(fed_ids, fed_rows):
        if not row["start_date"] <= ctx.today <= row["end_date"]:
            continue
        label = row["description"] or row["policy_type"].label
        limit = "No stated limit" if row["limit_of_indemnity"] is None else format_money(row["limit_of_indemnity"])
        pdf = certificate_pdf(
            [
                f"Certificate of insurance: {label}",
                f"Insurer: {row['insurer']}",
                f"Policy number: {row['policy_number']}",
                f"Limit of indemnity: {limit}",
                f"Period: {row['start_date']:%d/%m/%Y} to {row['end_date']:%d/%m/%Y}",
                "Demo certificate generated by Federation Desk.",
            ]
        )
        filename = f"{label} certificate {row['start_date'].year}.pdf".replace("'", "")
        doc_id, _c = store_document(s, filename, pdf, attach_to=("insurance_policy", policy_id), purpose="certificate")
        policy = s.get(InsurancePolicy, policy_id)
        assert policy is not None
        policy.certificate_document_id = doc_id
    for cover_id, row in list(zip(cover_ids, cover_rows))[1::9][:12]:
        provider = row["provider_name"] or row["provider"].value
        pdf = certificate_pdf(
            [
                f"{provider} membership certificate",
                f"Membership number: {row['membership_number']}",
                f"Category: {row['category']}",
                f"Period: {row['start_date']:%d/%m/%Y} to {row['end_date']:%d/%m/%Y}",
                "Demo certificate generated by Federation Desk.",
            ]
        )
        doc_id, _c = store_document(
            s,
            f"{provider} certificate {row['membership_number']}.pdf",
            pdf,
            attach_to=("indemnity_cover", cover_id),
            purpose="certificate",
        )
        cover = s.get(IndemnityCover, cover_id)
        assert cover is not None
        cover.certificate_document_id = doc_id
    s.flush()
