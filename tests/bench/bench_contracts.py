"""Contract compliance at benchmark scale (50 practices, 2,500 staff, a year of sessions), for one quarterly contract
across every practice with an obligation of every type:

* evaluating the quarter (target < 2 s), against fetching the same rows bare with the sqlite3 driver;
* the compliance report for the quarter, with the four earlier quarters as the trend (target < 3 s), against the same
  bare fetch plus drawing the same text with a bare platypus document (default styles, no tables or charts). The
  contract has reported every quarter before (the earlier quarters show their results as reported); the first report
  of a contract, which evaluates all five quarters now, is printed beside it for information.
"""

from __future__ import annotations

import io
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from tests.bench.runner import Figure, median_time, scale_dataset, scenario, scratch_copy

TODAY = date(2026, 11, 22)
QUARTER = "2026-Q3"
START, END = date(2026, 7, 1), date(2026, 9, 30)


def _open(path: Path) -> Any:
    from federation_desk.services.startup import open_database

    return open_database(path, actor="bench").database


def _bench_contract(db: Any) -> tuple[int, int]:
    """A quarterly contract for every practice, the EA and home visiting services, every kind of obligation."""
    from federation_desk.domain.contracts import Direction, ObligationType, ReportingFrequency
    from federation_desk.services import contracts as cs

    specs = cs.type_specs()

    def form(kind: ObligationType, name: str, params: dict[str, Any] | None = None) -> cs.ObligationForm:
        spec = specs[kind]
        return cs.ObligationForm(
            name=name,
            obligation_type=kind,
            unit=spec.unit,
            direction=spec.direction,
            target="",
            green_threshold=f"{spec.green:g}",
            amber_threshold=f"{spec.amber:g}",
            parameters=params or {},
        )

    with db.unit_of_work() as s:
        cid = cs.save_contract(
            s,
            cs.ContractForm(
                reference="NDHF-BENCH",
                title="Federation-wide urgent and extended access",
                commissioner="NHS West Yorkshire ICB",
                start_date=date(2025, 4, 1),
                end_date=date(2028, 3, 31),
                reporting_frequency=ReportingFrequency.QUARTERLY,
                service_codes="ea visits",
            ),
        ).ids[0]
        for ob in (
            form(ObligationType.ACCESS, "Enhanced Access minutes"),
            form(ObligationType.STAFFING, "Sessions filled"),
            form(ObligationType.CREDENTIALS, "Clinicians credentialed", {"include_indemnity": True}),
            form(ObligationType.WORKFORCE, "Every practice's staff trained", {"staff_basis": "practices"}),
            form(ObligationType.WORKFORCE, "Rota staff trained", {"staff_basis": "rota"}),
            form(
                ObligationType.INSURANCE,
                "Employers' liability",
                {"policy_type": "employers liability", "minimum_limit": "5000000"},
            ),
            form(
                ObligationType.INSURANCE,
                "Public liability",
                {"policy_type": "public liability", "minimum_limit": "10m"},
            ),
        ):
            cs.save_obligation(s, cid, ob)
        for name in ("Friends and Family Test", "Complaints acknowledged in 3 days"):
            cs.save_obligation(
                s,
                cid,
                cs.ObligationForm(name, ObligationType.MANUAL_KPI, "%", Direction.HIGHER_IS_BETTER, "90", "90", "85"),
            )
    with db.session() as s:
        manual = [o.id for o in cs.list_obligations(s, cid) if o.obligation_type is ObligationType.MANUAL_KPI]
        periods = cs.list_periods(s, cid)
    with db.unit_of_work() as s:
        for i, p in enumerate(periods):
            if p.end_date < TODAY:
                cs.save_kpi_values(
                    s, p.id, [cs.KpiEntry(o, str(80 + (i * 7 + j * 3) % 20)) for j, o in enumerate(manual)]
                )
        period = next(p for p in periods if p.label == QUARTER)
    return cid, period.id


BARE_QUERIES = (
    "SELECT id, given_name, family_name, preferred_name, role_id, employer_practice_id, start_date, leave_date "
    "FROM staff_member",
    "SELECT staff_id, practice_id FROM staff_practice",
    "SELECT id, code, name, is_clinical FROM role",
    "SELECT role_id, subject_id, level FROM role_training_requirement",
    "SELECT staff_id, subject_id, level, completed_on, expires_on FROM training_record",
    "SELECT staff_id, regulator, status, expires_on FROM professional_registration",
    "SELECT staff_id, level, issued_on, update_service, recheck_due FROM dbs_check",
    "SELECT staff_id, start_date, end_date, covers_non_nhs FROM indemnity_cover",
    "SELECT s.id, s.needed, s.appointment_minutes, s.starts_at, s.ends_at, s.site_id, a.staff_id FROM rota_session s "
    "JOIN rota_service v ON v.id = s.service_id LEFT JOIN rota_assignment a ON a.session_id = s.id "
    "WHERE v.code IN ('ea', 'visits') AND s.session_date BETWEEN ? AND ?",
    "SELECT holder_practice_id, policy_type, limit_of_indemnity, start_date, end_date FROM insurance_policy",
    "SELECT id, pcn_id, adjusted_population FROM practice",
    "SELECT obligation_id, period_id, value, note FROM kpi_value",
)


def _bare_fetch(path: Path, start: date = START, end: date = END) -> int:
    conn = sqlite3.connect(path)
    try:
        rows = 0
        for sql in BARE_QUERIES:
            args = (start.isoformat(), end.isoformat()) if "?" in sql else ()
            rows += len(conn.execute(sql, args).fetchall())
        return rows
    finally:
        conn.close()


def _report_text(evaluation: Any) -> list[str]:
    """The text the report shows, as plain strings (for the bare platypus reference)."""
    c = evaluation.contract
    out = [c.title, c.reference, c.commissioner, c.service or "", evaluation.period.title, evaluation.counts_text]
    for r in evaluation.results:
        out += [r.obligation.name, r.value_text, r.obligation.target_text, r.rag.label, r.summary]
        out += [f"{t.period.label}: {t.value_text}" for t in evaluation.trend.get(r.obligation.id, ())]
        out += [f"{e.subject} {e.role or ''} {e.practice or ''} {e.detail}" for e in r.exceptions[:300]]
        out += [f"{what}: {detail}" for what, detail in r.evidence]
    return out


def _bare_platypus(lines: list[str]) -> int:
    from xml.sax.saxutils import escape

    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    buffer = io.BytesIO()
    style = getSampleStyleSheet()["Normal"]
    SimpleDocTemplate(buffer).build([Paragraph(escape(line), style) for line in lines])
    return len(buffer.getvalue())


@scenario("contracts")
def contracts_scenario(repeat: int) -> list[Figure]:
    from federation_desk.reports.compliance_report import produce_compliance_report
    from federation_desk.services import contracts as cs
    from federation_desk.services.contract_evaluators import evaluate_contract

    path = scratch_copy(scale_dataset(), "contracts.sqlite")
    db = _open(path)
    try:
        cid, pid = _bench_contract(db)
        with db.session() as s:
            evaluation = evaluate_contract(s, cid, pid, TODAY)  # warm up; also the text for the reference
            quarter = median_time(lambda: evaluate_contract(s, cid, pid, TODAY, trend_count=0), repeat)
        staff = sum(r.denominator or 0 for r in evaluation.results if r.obligation.name.startswith("Every practice"))
        exceptions = sum(len(r.exceptions) for r in evaluation.results)
        fetched = _bare_fetch(path)
        bare = median_time(lambda: _bare_fetch(path), repeat)
        lines = _report_text(evaluation)
        out = path.parent / "bench-report.pdf"
        first = median_time(lambda: produce_compliance_report(db, cid, pid, out, today=TODAY), 1)
        with db.session() as s:
            periods = cs.list_periods(s, cid)
        for earlier in cs.previous_periods(periods, pid):  # the quarters before were reported at the time
            produce_compliance_report(db, cid, earlier.id, path.parent / f"bench-{earlier.label}.pdf", today=TODAY)
        pages: list[int] = []
        report = median_time(
            lambda: pages.append(produce_compliance_report(db, cid, pid, out, today=TODAY).pages), repeat
        )
        # The same rows for the quarter and the four before it, fetched bare, and the same text in bare platypus.
        bare_report = median_time(lambda: (_bare_fetch(path, date(2025, 7, 1), END), _bare_platypus(lines)), repeat)
    finally:
        db.dispose()
    return [
        Figure(
            f"evaluate {QUARTER}: {len(evaluation.results)} obligations, {staff:,} staff",
            quarter,
            f"bare sqlite3 fetch of the same rows ({fetched:,})",
            bare,
            "< 2 s",
            f"{exceptions:,} exception records behind the reds and ambers",
        ),
        Figure(
            f"compliance report {QUARTER} with 4 earlier quarters ({pages[-1]} pages)",
            report,
            "bare fetch + bare platypus of the same text",
            bare_report,
            "< 3 s",
        ),
        Figure(
            "  the contract's first report (all five quarters evaluated now)",
            first,
            "bare fetch + bare platypus of the same text",
            bare_report,
            "",
            "once, not a median: later reports take earlier quarters as reported",
        ),
    ]
