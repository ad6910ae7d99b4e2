"""Contracts, obligations, reporting periods and KPI values: validated saves on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from federation_desk.db.session import Database
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.contracts import (
    Contract,
    Direction,
    KpiTemplate,
    KpiValue,
    ObligationType,
    Rag,
    ReportingFrequency,
)
from federation_desk.domain.organisation import Practice
from federation_desk.domain.tenders import Tender, TenderStatus
from federation_desk.errors import StaleEditError, ValidationError
from federation_desk.services import contracts as cs
from federation_desk.services.organisation import (
    FederationForm,
    PcnForm,
    PracticeForm,
    save_federation,
    save_pcn,
    save_practice,
)


def _contract_form(**overrides: object) -> cs.ContractForm:
    values: dict[str, object] = {
        "reference": "ndhf-ea-2025",
        "title": "Enhanced Access for Łukasz's <b>PCN</b> & Co",
        "commissioner": "NHS West Yorkshire ICB",
        "start_date": date(2025, 4, 1),
        "end_date": date(2027, 3, 31),
        "reporting_frequency": ReportingFrequency.QUARTERLY,
        "value": "£1.2m",
        "service_codes": "EA, ea-hub",
    }
    values.update(overrides)
    return cs.ContractForm(**values)  # type: ignore[arg-type]


def _kpi_form(**overrides: object) -> cs.ObligationForm:
    values: dict[str, object] = {
        "name": "Friends and Family Test positive",
        "obligation_type": ObligationType.MANUAL_KPI,
        "unit": "%",
        "direction": Direction.HIGHER_IS_BETTER,
        "target": "90",
        "green_threshold": "90",
        "amber_threshold": "85",
    }
    values.update(overrides)
    return cs.ObligationForm(**values)  # type: ignore[arg-type]


def _setup(db: Database) -> int:
    with db.unit_of_work() as s:
        save_federation(s, FederationForm(name="Northdale Health Federation"))
        save_pcn(s, PcnForm(code="U41200", name="Northdale Central PCN"))
        save_practice(s, PracticeForm(ods_code="Y91000", name="Northdale Surgery"))
        changes = cs.save_contract(s, _contract_form())
    return changes.ids[0]


# ---- periods and RAG -------------------------------------------------------------------------------------------


def test_periods_are_calendar_months_quarters_and_nhs_financial_years() -> None:
    q = cs.period_containing(ReportingFrequency.QUARTERLY, date(2026, 9, 30))
    assert (q.label, q.start, q.end) == ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
    m = cs.period_containing(ReportingFrequency.MONTHLY, date(2024, 2, 10))
    assert (m.label, m.start, m.end) == ("2024-02", date(2024, 2, 1), date(2024, 2, 29))  # leap year
    y = cs.period_containing(ReportingFrequency.ANNUAL, date(2027, 3, 31))
    assert (y.label, y.start, y.end) == ("2026/27", date(2026, 4, 1), date(2027, 3, 31))
    for text in ("2026-Q3", "q3 2026", "2026 Q3", " 2026-q3 "):
        assert cs.parse_period_label(text, ReportingFrequency.QUARTERLY).label == "2026-Q3"
    assert cs.parse_period_label("9/2026", ReportingFrequency.MONTHLY).label == "2026-09"
    assert cs.parse_period_label("2026/2027", ReportingFrequency.ANNUAL).label == "2026/27"
    with pytest.raises(ValidationError, match=r"not a quarterly reporting period\. Write it like 2026-Q3"):
        cs.parse_period_label("2026-Q5", ReportingFrequency.QUARTERLY)
    with pytest.raises(ValidationError, match="monthly"):
        cs.parse_period_label("2026-13", ReportingFrequency.MONTHLY)
    spans = cs.term_periods(ReportingFrequency.QUARTERLY, date(2025, 5, 15), date(2026, 1, 10))
    assert [(s.label, s.start, s.end) for s in spans] == [
        ("2025-Q2", date(2025, 5, 15), date(2025, 6, 30)),
        ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30)),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 1, 10)),
    ]
    assert cs.describe_period("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)) == "July to September 2026"
    assert cs.describe_period("2025-Q4", date(2025, 11, 1), date(2026, 1, 31)) == "November 2025 to January 2026"
    assert cs.describe_period("2025-Q2", date(2025, 5, 15), date(2025, 6, 30)) == "15/05/2025 to 30/06/2025"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(95.0, Rag.GREEN), (94.999, Rag.AMBER), (85.0, Rag.AMBER), (84.99, Rag.RED), (100.0, Rag.GREEN), (None, Rag.GREY)],
)
def test_rag_higher_is_better_at_its_thresholds(value: float | None, expected: Rag) -> None:
    assert cs.rag_for(value, Direction.HIGHER_IS_BETTER, 95, 85) is expected


@pytest.mark.parametrize(("value", "expected"), [(5.0, Rag.GREEN), (5.01, Rag.AMBER), (8.0, Rag.AMBER), (8.5, Rag.RED)])
def test_rag_lower_is_better_at_its_thresholds(value: float, expected: Rag) -> None:
    assert cs.rag_for(value, Direction.LOWER_IS_BETTER, 5, 8) is expected


def test_rag_compares_percentages_exactly_and_overall_is_the_worst() -> None:
    assert cs.rag_for(19 / 20 * 100, Direction.HIGHER_IS_BETTER, 95, 85) is Rag.GREEN
    assert cs.rag_for(100 * 57 / 60, Direction.HIGHER_IS_BETTER, 95, 85) is Rag.GREEN
    assert cs.worst([Rag.GREEN, Rag.GREY, Rag.AMBER]) is Rag.AMBER
    assert cs.worst([Rag.GREY, Rag.GREY]) is Rag.GREY
    assert cs.rag_counts_text([Rag.GREEN, Rag.RED, Rag.GREEN, Rag.GREY]) == "2 green, 1 red, 1 no data"
    assert cs.format_value(94.5, "%") == "94.5%"
    assert cs.format_value(61.25, "minutes per 1,000 per week") == "61.2 minutes per 1,000 per week"
    assert cs.format_value(1234, "count") == "1,234"


# ---- contracts -------------------------------------------------------------------------------------------------


def test_save_contract_creates_its_periods_and_links(database: Database) -> None:
    with database.unit_of_work() as s:
        save_practice(s, PracticeForm(ods_code="Y91000", name="Northdale Surgery"))
        tender = Tender(reference="NDH-EA-2025", title="Enhanced Access", status=TenderStatus.AWARDED)
        s.add(tender)
        s.flush()
        practice_id = s.scalar(select(Practice.id))
        changes = cs.save_contract(s, _contract_form(tender_id=tender.id, practice_ids=(practice_id,)))
    cid = changes.ids[0]
    with database.session() as s:
        row = cs.get_contract(s, cid)
        assert row.reference == "NDHF-EA-2025"
        assert row.title == "Enhanced Access for Łukasz's <b>PCN</b> & Co"
        assert str(row.value) == "1200000.00"
        assert row.service_codes == ("EA", "ea-hub")
        assert row.tender_reference == "NDH-EA-2025" and row.practice_names == ("Northdale Surgery",)
        periods = cs.list_periods(s, cid)
        assert [p.label for p in periods][:2] == ["2025-Q2", "2025-Q3"] and len(periods) == 8
        assert cs.find_period(s, cid, "q3 2026").label == "2026-Q3"
        with pytest.raises(ValidationError, match="outside contract NDHF-EA-2025's term"):
            cs.find_period(s, cid, "2027-Q2")
        assert cs.find_contract(s, "ndhf-ea-2025").id == cid
        with pytest.raises(ValidationError, match="no contract with the reference 'NOPE'"):
            cs.find_contract(s, "NOPE")
        assert cs.default_period(periods, date(2026, 11, 22)).label == "2026-Q3"  # type: ignore[union-attr]
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.table_name == "reporting_period")) == 8


def test_bad_contract_input_names_every_problem_and_saves_nothing(database: Database) -> None:
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        cs.save_contract(
            s,
            _contract_form(
                reference="<b>x</b>",
                title="",
                end_date=date(2024, 1, 1),
                value="ten pounds",
                service_codes="EA <b>",
                reporting_frequency=None,
            ),
        )
    fields = {p.field for p in err.value.problems}
    assert fields == {"reference", "title", "end_date", "value", "service_codes", "reporting_frequency"}
    assert "ends before it starts" in err.value.message and "not an amount of money" in err.value.message
    with database.session() as s:
        assert s.scalar(select(func.count(Contract.id))) == 0


def test_duplicate_reference_and_stale_edit_are_refused(database: Database) -> None:
    cid = _setup(database)
    with pytest.raises(ValidationError, match="already used"), database.unit_of_work() as s:
        cs.save_contract(s, _contract_form(title="Another"))
    with database.session() as s:
        version = cs.get_contract(s, cid).version
    other = Database(database.location, actor="Priya Shah", engine=database.engine)
    with other.unit_of_work() as s:
        cs.save_contract(s, _contract_form(title="Renamed by Priya"), cid, version)
    with pytest.raises(StaleEditError, match="changed by Priya Shah"), database.unit_of_work() as s:
        cs.save_contract(s, _contract_form(title="Mine"), cid, version)


def test_term_and_frequency_changes_keep_periods_with_data(database: Database) -> None:
    cid = _setup(database)
    with database.unit_of_work() as s:
        cs.save_obligation(s, cid, _kpi_form())
    with database.session() as s:
        ob = cs.list_obligations(s, cid)[0]
        period = cs.find_period(s, cid, "2026-Q4")
    with database.unit_of_work() as s:
        cs.save_kpi_values(s, period.id, [cs.KpiEntry(ob.id, "91")])
    with database.session() as s:
        version = cs.get_contract(s, cid).version
    with pytest.raises(ValidationError, match="frequency cannot change"), database.unit_of_work() as s:
        cs.save_contract(s, _contract_form(reporting_frequency=ReportingFrequency.MONTHLY), cid, version)
    with pytest.raises(ValidationError, match="2026-Q4 holds KPI values"), database.unit_of_work() as s:
        cs.save_contract(s, _contract_form(end_date=date(2026, 6, 30)), cid, version)
    with database.unit_of_work() as s:  # extending the term adds periods
        cs.save_contract(s, _contract_form(end_date=date(2027, 9, 30)), cid, version)
    with database.session() as s:
        assert cs.list_periods(s, cid)[-1].label == "2027-Q3"


# ---- obligations -----------------------------------------------------------------------------------------------


def test_obligation_thresholds_and_parameters_are_validated(database: Database) -> None:
    cid = _setup(database)
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        cs.save_obligation(s, cid, _kpi_form(green_threshold="80", amber_threshold="90", target="150", name=""))
    assert {p.field for p in err.value.problems} == {"name", "amber_threshold", "target"}
    with pytest.raises(ValidationError, match="below the green one"), database.unit_of_work() as s:
        cs.save_obligation(
            s, cid, _kpi_form(direction=Direction.LOWER_IS_BETTER, green_threshold="5", amber_threshold="3")
        )
    with pytest.raises(ValidationError, match="not a number"), database.unit_of_work() as s:
        cs.save_obligation(s, cid, _kpi_form(green_threshold="ninety"))
    with pytest.raises(ValidationError, match="Minimum limit"), database.unit_of_work() as s:
        cs.save_obligation(
            s,
            cid,
            _kpi_form(
                obligation_type=ObligationType.INSURANCE,
                parameters={"policy_type": "employers liability", "minimum_limit": "lots"},
            ),
        )
    with database.unit_of_work() as s:
        cs.save_obligation(
            s,
            cid,
            _kpi_form(
                name="Employers' liability £5m",
                obligation_type=ObligationType.INSURANCE,
                green_threshold="100",
                amber_threshold="100",
                parameters={"policy_type": "employers liability", "minimum_limit": "£5m"},
            ),
        )
        cs.save_obligation(
            s,
            cid,
            _kpi_form(
                name="Complaints",
                unit="count",
                direction=Direction.LOWER_IS_BETTER,
                green_threshold="2",
                amber_threshold="5",
            ),
        )
    with database.session() as s:
        obligations = cs.list_obligations(s, cid)
        names = cs.name_maps(s)
    insurance = obligations[0]
    assert insurance.parameters == {
        "holder_practice_id": None,
        "minimum_limit": "5000000.00",
        "policy_type": "employers liability",
    }
    assert cs.describe_parameters(insurance.obligation_type, insurance.parameters, names) == (
        "Employers' liability of at least £5,000,000 held by the federation"
    )
    assert insurance.thresholds_text == "Green at 100.0% or more; red below 100.0%"
    assert [o.position for o in obligations] == [1, 2]
    with database.unit_of_work() as s:
        cs.move_obligation(s, obligations[1].id, -1)
    with database.session() as s:
        assert [o.name for o in cs.list_obligations(s, cid)] == ["Complaints", "Employers' liability £5m"]


# ---- KPI values ------------------------------------------------------------------------------------------------


def test_kpi_values_record_who_and_when_and_refuse_bad_numbers(database: Database) -> None:
    cid = _setup(database)
    with database.unit_of_work() as s:
        cs.save_obligation(s, cid, _kpi_form())
        cs.save_obligation(
            s,
            cid,
            _kpi_form(
                name="Complaints",
                unit="count",
                direction=Direction.LOWER_IS_BETTER,
                target="2",
                green_threshold="2",
                amber_threshold="5",
            ),
        )
    with database.session() as s:
        fft, complaints = cs.list_obligations(s, cid)
        period = cs.find_period(s, cid, "2026-Q3")
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        cs.save_kpi_values(s, period.id, [cs.KpiEntry(fft.id, "105%"), cs.KpiEntry(complaints.id, "two and a half")])
    assert "a percentage is between 0 and 100" in err.value.message and "'two and a half' is not a number" in (
        err.value.message
    )
    with pytest.raises(ValidationError, match="whole number"), database.unit_of_work() as s:
        cs.save_kpi_values(s, period.id, [cs.KpiEntry(complaints.id, "2.5")])
    with database.session() as s:
        assert s.scalar(select(func.count(KpiValue.id))) == 0
    with database.unit_of_work() as s:
        changes = cs.save_kpi_values(
            s,
            period.id,
            [cs.KpiEntry(fft.id, " 87.5% ", "Two surveys had <b>low</b> returns"), cs.KpiEntry(complaints.id, "3")],
        )
    assert changes.message == "2 KPI values saved for 2026-Q3."
    with database.session() as s:
        grid = cs.load_kpi_grid(s, cid, period.id)
    value = grid.rows[0].value
    assert value is not None and value.value == 87.5 and value.entered_by == "tester"
    assert value.note == "Two surveys had <b>low</b> returns" and value.entered_at.tzinfo is not None
    assert [label for label, _v in grid.rows[0].previous] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    # Someone else changes the FFT value after the grid was loaded: the stale save is refused.
    other = Database(database.location, actor="Priya Shah", engine=database.engine)
    with other.unit_of_work() as s:
        cs.save_kpi_values(s, period.id, [cs.KpiEntry(fft.id, "88", "", value.version)])
    with pytest.raises(StaleEditError, match="changed by Priya Shah"), database.unit_of_work() as s:
        cs.save_kpi_values(s, period.id, [cs.KpiEntry(fft.id, "90", "", value.version)])
    # An empty value clears it.
    with database.session() as s:
        current = cs.load_kpi_grid(s, cid, period.id).rows[0].value
    with database.unit_of_work() as s:
        cs.save_kpi_values(s, period.id, [cs.KpiEntry(fft.id, "", "", current.version)])  # type: ignore[union-attr]
    with database.session() as s:
        assert cs.load_kpi_grid(s, cid, period.id).rows[0].value is None
    # A manual KPI with values cannot change type or be deleted.
    with pytest.raises(ValidationError, match="cannot be deleted"), database.unit_of_work() as s:
        cs.delete_obligation(s, complaints.id, complaints.version)
    with pytest.raises(ValidationError, match="type cannot change"), database.unit_of_work() as s:
        cs.save_obligation(
            s, cid, _kpi_form(obligation_type=ObligationType.STAFFING), complaints.id, complaints.version
        )


def test_report_runs_are_recorded_and_protect_the_contract(database: Database) -> None:
    cid = _setup(database)
    with database.session() as s:
        period = cs.find_period(s, cid, "2026-Q3")
        version = cs.get_contract(s, cid).version
    with database.unit_of_work() as s:
        run, _changes = cs.record_report_run(
            s,
            cs.RunRecord(cid, period.id, "2026-Q3", "CR-TEST1", "ab" * 32, 1234, 7, True, "x.pdf", Rag.RED, "1 red"),
        )
    assert run.produced_by == "tester"
    with database.session() as s:
        assert cs.find_report_run(s, "cr-test1").sha256 == "ab" * 32
        assert cs.find_report_run(s, "AB" * 32).trace_code == "CR-TEST1"
    with pytest.raises(ValidationError, match="1 compliance report on record"), database.unit_of_work() as s:
        cs.delete_contract(s, cid, version)


def test_kpi_template_library_is_loaded_with_sources(database: Database) -> None:
    with database.session() as s:
        templates = cs.list_kpi_templates(s)
        assert s.scalar(select(func.count(KpiTemplate.id))) == len(templates) >= 20
    by_code = {t.code: t for t in templates}
    ack = by_code["CMP-ACK-3WD"]
    assert (
        ack.unit == "%" and ack.green_threshold == 100 and "Complaints (England) Regulations 2009" in (ack.source or "")
    )
    assert by_code["ACC-EA-MIN"].obligation_type is ObligationType.ACCESS
    assert all(t.source and t.confidence in ("V", "S", "U") for t in templates)
    families = {t.family for t in templates}
    assert {"Activity vs plan", "Access", "Workforce", "Quality and safety", "Complaints", "Patient experience"} <= (
        families
    )


def test_dashboard_card_shows_each_live_contracts_current_rag(demo_db: Database) -> None:
    from federation_desk.services.contract_evaluators import contracts_card
    from federation_desk.services.dashboard import Severity
    from tests.conftest import FIXED_TODAY

    with demo_db.session() as s:
        card = contracts_card(s, FIXED_TODAY)
    assert card is not None and card.page == "contracts" and card.severity is Severity.DANGER
    assert card.headline.endswith("of 3 contracts") and "red" in card.headline
    assert [d.split(":")[0] for d in card.details] == ["NDHF-EA-2025", "NDHF-HV-2024", "NDHF-PHARM-2025"]
    assert any("NDHF-HV-2024: red for 2026-Q3" in d for d in card.details)
    with demo_db.session() as s:
        assert contracts_card(s, date(2020, 1, 1)) is None  # nothing live then


def test_marking_a_period_submitted_refuses_days_it_cannot_have_been_sent(database: Database) -> None:
    contract_id = _setup(database)
    with database.session() as s:
        period = cs.list_periods(s, contract_id)[0]
    today = period.end_date + timedelta(days=10)
    for bad, words in (
        (today + timedelta(days=1), "is in the future"),
        (period.start_date - timedelta(days=1), f"is before period {period.label} began"),
    ):
        with pytest.raises(ValidationError, match=words), database.unit_of_work() as s:
            cs.mark_period_submitted(s, period.id, bad, period.version, on=today)
    with database.unit_of_work() as s:
        cs.mark_period_submitted(s, period.id, today, period.version, on=today)
    with database.session() as s:
        assert cs.list_periods(s, contract_id)[0].submitted_on == today
