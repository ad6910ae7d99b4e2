"""Demo contracts (step 70): three contracts with obligations of every type and a year of KPI values.

* Enhanced Access for the federation's PCNs (monthly reporting), won from the demo tenders' awarded tender when
  there is one: EA minutes, sessions filled, clinicians' credentials, training, employers' and public liability,
  and patient-experience and activity KPIs.
* Acute home visiting (quarterly): staffing, credentials with own indemnity, professional indemnity, complaints
  and incidents.
* Shared clinical pharmacist clinics for four practices (annual, NHS financial years): training and activity.

Values are placed relative to ``ctx.today`` and drawn from ``ctx.rng``: mostly on target, with reds and ambers in
the latest periods (each with the explanation a manager would record) so the report has something to explain.
The contracts go through the same service as the screens, so they are validated and their periods generated.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from federation_desk.domain.contracts import Direction, KpiValue, ObligationType, ReportingFrequency
from federation_desk.domain.organisation import Practice
from federation_desk.services import contracts as cs
from federation_desk.services.dates import LONDON
from federation_desk.services.demo import DemoContext, demo_step

ENTERED_BY = ("claire.hughes", "imran.shah", "joanne.baker")


def _awarded_tender(ctx: DemoContext) -> tuple[int, str] | None:
    from federation_desk.domain.tenders import Tender, TenderStatus

    row = ctx.session.execute(
        select(Tender.id, Tender.title).where(Tender.status == TenderStatus.AWARDED).order_by(Tender.id)
    ).first()
    return (row[0], row[1]) if row else None


def _kpi(
    name: str,
    template: str,
    unit: str,
    direction: Direction,
    target: float,
    green: float,
    amber: float,
    schedule_ref: str,
) -> cs.ObligationForm:
    return cs.ObligationForm(
        name=name,
        obligation_type=ObligationType.MANUAL_KPI,
        unit=unit,
        direction=direction,
        target=f"{target:g}",
        green_threshold=f"{green:g}",
        amber_threshold=f"{amber:g}",
        schedule_ref=schedule_ref,
        kpi_template_code=template,
    )


def _auto(
    name: str,
    kind: ObligationType,
    template: str,
    green: float,
    amber: float,
    schedule_ref: str,
    parameters: dict[str, Any] | None = None,
) -> cs.ObligationForm:
    spec = cs.type_specs()[kind]
    return cs.ObligationForm(
        name=name,
        obligation_type=kind,
        unit=spec.unit,
        direction=spec.direction,
        target=f"{green:g}",
        green_threshold=f"{green:g}",
        amber_threshold=f"{amber:g}",
        parameters=parameters or {},
        schedule_ref=schedule_ref,
        kpi_template_code=template,
    )


HIGHER, LOWER = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER

# For each manual KPI: (typical value, spread, value in the latest ended period, its note) - the latest value
# makes the reds and ambers the report explains.
EA_KPIS = (
    (
        _kpi("Friends and Family Test: positive", "PX-FFT-POS", "%", HIGHER, 90, 90, 85, "Schedule 4C, QR1"),
        (93.0, 2.5, 83.4, "Response rate halved after the switch to SMS surveys; paper cards reinstated at both hubs."),
    ),
    (
        _kpi("Did-not-attend rate", "ACT-DNA", "%", LOWER, 5, 5, 8, "Schedule 4C, QR2"),
        (4.2, 0.8, 6.1, "Saturday DNAs rose after a text reminder outage (3 weeks); supplier fixed it on 24/10."),
    ),
    (
        _kpi("Utilisation of offered appointments", "ACT-UTIL", "%", HIGHER, 90, 90, 80, "Schedule 2B"),
        (92.0, 2.0, 91.1, None),
    ),
)
HV_KPIS = (
    (
        _kpi("Complaints acknowledged within 3 working days", "CMP-ACK-3WD", "%", HIGHER, 100, 100, 90, "Sch 4C, 5"),
        (100.0, 0.0, 87.5, "One of eight complaints acknowledged on day 4 during the IT migration week."),
    ),
    (
        _kpi("Complaints received", "CMP-COUNT", "count", LOWER, 3, 3, 6, "Schedule 6A"),
        (2.0, 1.0, 8.0, "Eight complaints, six about waits for afternoon visits; rota changed from 01/11."),
    ),
    (
        _kpi("Serious incidents (PSIRF learning responses)", "QS-SERIOUS", "count", LOWER, 0, 0, 1, "Sch 4C, 6"),
        (0.0, 0.0, 1.0, "One delayed visit reviewed under PSIRF; learning shared at the clinical governance meeting."),
    ),
)
PHARM_KPIS = (
    (
        _kpi("Structured medication reviews against plan", "ACT-PLAN", "%", HIGHER, 100, 95, 90, "Schedule 2B"),
        (97.0, 2.0, 93.0, "Two clinic days lost to pharmacist sickness in the first half of the year."),
    ),
    (
        _kpi("Infection prevention and control audit score", "QS-IPC", "%", HIGHER, 95, 95, 85, "Schedule 4C"),
        (96.0, 1.5, 96.5, None),
    ),
)


@demo_step(70, "contracts")
def make_contracts(ctx: DemoContext) -> None:
    s = ctx.session
    today = ctx.today
    won = _awarded_tender(ctx)
    practices = list(s.scalars(select(Practice.id).where(Practice.active.is_(True)).order_by(Practice.id)).all())

    def contract(form: cs.ContractForm, obligations: list[cs.ObligationForm]) -> int:
        cid = cs.save_contract(s, form).ids[0]
        for ob in obligations:
            cs.save_obligation(s, cid, ob)
        return cid

    ea_start = today.replace(day=1) - timedelta(days=400)
    ea = contract(
        cs.ContractForm(
            reference="NDHF-EA-2025",
            title=won[1] if won else "Enhanced Access services for the Northdale PCNs",
            commissioner="NHS West Yorkshire ICB (for the PCNs)",
            start_date=ea_start.replace(day=1),
            end_date=ea_start.replace(day=1, year=ea_start.year + 3) - timedelta(days=1),
            reporting_frequency=ReportingFrequency.MONTHLY,
            service=(
                "Enhanced Access appointments for every patient of the PCNs' practices, weekday evenings 18:30-20:00 "
                "and Saturdays 09:00-17:00, delivered from the PCN hubs under the Network DES sub-contract."
            ),
            value="£1,840,000",
            tender_id=won[0] if won else None,
            service_codes="ea",
            contract_manager="Claire Hughes, Operations Manager",
            commissioner_contact="Primary care contracting team, wy.primarycare@nhs.net",
        ),
        [
            _auto("Enhanced Access minutes per 1,000 per week", ObligationType.ACCESS, "ACC-EA-MIN", 60, 54, "Sch 2A"),
            _auto("Sessions filled", ObligationType.STAFFING, "WF-FILL", 98, 90, "Schedule 4C, QR3"),
            _auto(
                "Clinicians with valid registration, DBS and training",
                ObligationType.CREDENTIALS,
                "WF-CREDENTIALS",
                100,
                95,
                "Schedule 4C, QR4",
                {"staff_basis": "rota", "include_indemnity": False},
            ),
            _auto(
                "Staff with in-date mandatory training",
                ObligationType.WORKFORCE,
                "WF-TRAINING",
                95,
                85,
                "Schedule 4C, QR5",
                {"staff_basis": "rota"},
            ),
            _auto(
                "Employers' liability of at least £5m",
                ObligationType.INSURANCE,
                "GOV-INSURANCE",
                100,
                100,
                "GC 11",
                {"policy_type": "employers liability", "minimum_limit": "5000000"},
            ),
            _auto(
                "Public liability of at least £10m",
                ObligationType.INSURANCE,
                "GOV-INSURANCE",
                100,
                100,
                "GC 11",
                {"policy_type": "public liability", "minimum_limit": "10000000"},
            ),
            *[form for form, _values in EA_KPIS],
        ],
    )
    hv_start = today.replace(month=4, day=1) if today.month >= 4 else today.replace(year=today.year - 1, month=4, day=1)
    hv_start = hv_start.replace(year=hv_start.year - 2)
    hv = contract(
        cs.ContractForm(
            reference="NDHF-HV-2024",
            title="Acute home visiting service",
            commissioner="NHS West Yorkshire ICB",
            start_date=hv_start,
            end_date=hv_start.replace(year=hv_start.year + 3) - timedelta(days=1),
            reporting_frequency=ReportingFrequency.QUARTERLY,
            service="Same-day home visits for housebound patients of every member practice, 08:00-18:30.",
            value="£960,000",
            service_codes="visits",
            contract_manager="Imran Shah, Clinical Services Lead",
        ),
        [
            _auto("Visiting sessions filled", ObligationType.STAFFING, "WF-FILL", 98, 90, "Schedule 4C, 1"),
            _auto(
                "Visiting clinicians fully credentialed, with own indemnity",
                ObligationType.CREDENTIALS,
                "WF-CREDENTIALS",
                100,
                95,
                "Schedule 4C, 2",
                {"staff_basis": "rota", "include_indemnity": True},
            ),
            _auto(
                "Professional indemnity of at least £5m",
                ObligationType.INSURANCE,
                "GOV-INSURANCE",
                100,
                100,
                "GC 11",
                {"policy_type": "professional indemnity", "minimum_limit": "5000000"},
            ),
            *[form for form, _values in HV_KPIS],
        ],
    )
    fy_start = today.replace(month=4, day=1) if today.month >= 4 else today.replace(year=today.year - 1, month=4, day=1)
    ph_start = fy_start.replace(year=fy_start.year - 1)
    pharm = contract(
        cs.ContractForm(
            reference="NDHF-PHARM-2025",
            title="Shared clinical pharmacist clinics",
            commissioner="Northdale Central PCN",
            start_date=ph_start,
            end_date=ph_start.replace(year=ph_start.year + 3) - timedelta(days=1),
            reporting_frequency=ReportingFrequency.ANNUAL,
            service="Structured medication reviews and polypharmacy clinics run by the federation's pharmacists.",
            value="£210,000",
            service_codes="pharmacy",
            practice_ids=tuple(practices[:4]),
        ),
        [
            _auto(
                "Practice staff with in-date mandatory training",
                ObligationType.WORKFORCE,
                "WF-TRAINING",
                95,
                85,
                "Schedule 4C",
                {"staff_basis": "practices"},
            ),
            *[form for form, _values in PHARM_KPIS],
        ],
    )
    s.flush()
    for cid, kpis in ((ea, EA_KPIS), (hv, HV_KPIS), (pharm, PHARM_KPIS)):
        _kpi_history(ctx, cid, [values for _form, values in kpis])


def _kpi_history(ctx: DemoContext, contract_id: int, values: list[tuple[float, float, float, str | None]]) -> None:
    """A year of values for each manual KPI: every period that started in the last 12 months and has ended, plus
    the running one (so far). The latest ended period gets the planned value and note."""
    s, today, rng = ctx.session, ctx.today, ctx.rng
    obligations = [o for o in cs.list_obligations(s, contract_id) if o.obligation_type is ObligationType.MANUAL_KPI]
    periods = [
        p
        for p in cs.list_periods(s, contract_id)
        if p.start_date <= today and p.end_date >= today - timedelta(days=365)
    ]
    latest_ended = max((p for p in periods if p.end_date < today), key=lambda p: p.end_date, default=None)
    rows = []
    for ob, (typical, spread, latest, note) in zip(obligations, values):
        for p in periods:
            if p.end_date >= today and ob.unit != "%":
                continue  # counts are not entered part-way through a period
            if latest_ended is not None and p.id == latest_ended.id:
                value, text = latest, note
            else:
                value = typical + rng.uniform(-spread, spread)
                if ob.unit == "%":
                    value = min(100.0, round(value, 1))
                else:
                    value = float(max(0, round(value)))
                text = None
            entered_on = min(today - timedelta(days=1), p.end_date + timedelta(days=rng.randrange(3, 12)))
            rows.append(
                KpiValue(
                    obligation_id=ob.id,
                    period_id=p.id,
                    value=value,
                    note=text if p.end_date < today else "Period to date.",
                    entered_by=rng.choice(ENTERED_BY),
                    entered_at=datetime.combine(entered_on, time(10, rng.randrange(0, 60)), LONDON).astimezone(UTC),
                )
            )
    s.add_all(rows)
    s.flush()
