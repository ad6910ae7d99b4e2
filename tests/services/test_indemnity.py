"""Indemnity and insurance services on real databases (SQLite and PostgreSQL): gap detection, the gates other
modules call, the insurance schedule, validated saves and certificates."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from federation_desk.db.session import Database
from federation_desk.domain.documents import DocumentLink
from federation_desk.domain.indemnity import (
    IndemnityCover,
    IndemnityProvider,
    InsurancePolicy,
    Insurer,
    LimitBasis,
    PolicyType,
    PolicyTypeInfo,
)
from federation_desk.domain.organisation import Federation, Practice
from federation_desk.domain.staff import EmploymentType, Role, StaffMember
from federation_desk.errors import FileTooLarge, StaleEditError, ValidationError
from federation_desk.services import indemnity as ind
from federation_desk.services.dashboard import Severity
from federation_desk.services.money import format_money, parse_money
from tests.conftest import FIXED_TODAY

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
M = Decimal(1_000_000)
D = date


# ---- the pure gap detection ----------------------------------------------------------------------------------


def test_back_to_back_policies_leave_no_gap() -> None:
    periods = [(D(2025, 4, 1), D(2026, 3, 31), 10 * M), (D(2026, 4, 1), D(2027, 3, 31), 10 * M)]
    assert ind.evaluate_periods(periods, D(2025, 4, 1), D(2027, 3, 31), 10 * M) == ([], [])


def test_a_one_day_gap_between_renewals_is_found() -> None:
    periods = [(D(2025, 4, 1), D(2026, 3, 31), 10 * M), (D(2026, 4, 2), D(2027, 3, 31), 10 * M)]
    gaps, shortfalls = ind.evaluate_periods(periods, D(2025, 4, 1), D(2027, 3, 31), 10 * M)
    assert gaps == [(D(2026, 4, 1), D(2026, 4, 1))]
    assert shortfalls == []


def test_overlapping_renewals_are_not_a_gap_and_the_higher_limit_counts() -> None:
    periods = [
        (D(2025, 4, 1), D(2026, 3, 31), 10 * M),
        (D(2026, 3, 1), D(2027, 2, 28), 5 * M),  # renewed a month early, at a lower limit
    ]
    gaps, shortfalls = ind.evaluate_periods(periods, D(2025, 4, 1), D(2027, 2, 28), 10 * M)
    assert gaps == []
    # During the overlap the old £10m policy still counts; the drop starts the day after it ends.
    assert shortfalls == [(D(2026, 4, 1), D(2027, 2, 28), 5 * M)]


def test_a_lower_limit_part_way_is_a_shortfall_with_its_dates_and_amount() -> None:
    periods = [
        (D(2024, 4, 1), D(2025, 3, 31), 10 * M),
        (D(2025, 4, 1), D(2026, 3, 31), 2 * M),
        (D(2026, 4, 1), D(2027, 3, 31), 10 * M),
    ]
    gaps, shortfalls = ind.evaluate_periods(periods, D(2024, 4, 1), D(2027, 3, 31), 5 * M)
    assert gaps == []
    assert shortfalls == [(D(2025, 4, 1), D(2026, 3, 31), 2 * M)]


def test_gaps_at_both_ends_and_no_policy_at_all() -> None:
    periods = [(D(2026, 2, 1), D(2026, 2, 27), 10 * M)]
    gaps, _ = ind.evaluate_periods(periods, D(2026, 1, 1), D(2026, 3, 31), 10 * M)
    assert gaps == [(D(2026, 1, 1), D(2026, 1, 31)), (D(2026, 2, 28), D(2026, 3, 31))]
    assert ind.evaluate_periods([], D(2026, 1, 1), D(2026, 1, 1), M) == ([(D(2026, 1, 1), D(2026, 1, 1))], [])


def test_a_policy_with_no_stated_limit_meets_any_minimum() -> None:
    periods = [(D(2026, 1, 1), D(2026, 12, 31), None)]
    assert ind.evaluate_periods(periods, D(2026, 1, 1), D(2026, 12, 31), 100 * M) == ([], [])


def test_adjacent_shortfalls_at_different_limits_stay_apart() -> None:
    periods = [(D(2026, 1, 1), D(2026, 1, 10), 1 * M), (D(2026, 1, 11), D(2026, 1, 20), 2 * M)]
    _gaps, shortfalls = ind.evaluate_periods(periods, D(2026, 1, 1), D(2026, 1, 20), 5 * M)
    assert shortfalls == [(D(2026, 1, 1), D(2026, 1, 10), 1 * M), (D(2026, 1, 11), D(2026, 1, 20), 2 * M)]


@pytest.mark.parametrize(
    "on,status,text",
    [
        (D(2026, 3, 31), ind.CoverStatus.NOT_STARTED, "starts on 01/04/2026"),
        (D(2026, 4, 1), ind.CoverStatus.VALID, "valid until 31/03/2027"),
        (D(2027, 1, 30), ind.CoverStatus.VALID, "valid until"),
        (D(2027, 1, 31), ind.CoverStatus.EXPIRING, "ends on 31/03/2027, in 59 days"),
        (D(2027, 3, 30), ind.CoverStatus.EXPIRING, "tomorrow"),
        (D(2027, 3, 31), ind.CoverStatus.EXPIRING, "today"),
        (D(2027, 4, 1), ind.CoverStatus.EXPIRED, "ended on 31/03/2027"),
    ],
)
def test_status_on_a_date_with_its_reason(on: date, status: ind.CoverStatus, text: str) -> None:
    result = ind.status_on(D(2026, 4, 1), D(2027, 3, 31), on, 59)
    assert result.status is status
    assert text in result.reason


@pytest.mark.parametrize("typed", ["£10m", "10,000,000", "10000000.00", "£10,000,000", " 10M ", "10000k"])
def test_money_in_every_way_people_type_it_shows_the_same(typed: str) -> None:
    amount = parse_money(typed)
    assert amount == Decimal("10000000.00")
    assert format_money(amount) == "£10,000,000"


@pytest.mark.parametrize("typed", ["ten million", "£10,00,000", "1.234", "£", "10mm", "1e7"])
def test_money_that_is_not_money_is_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        parse_money(typed)


# ---- on the database -----------------------------------------------------------------------------------------


@dataclass
class World:
    practice_a: int
    practice_b: int
    gp: int
    nurse: int
    receptionist: int
    locum: int
    pharmacist: int


def _world(db: Database) -> World:
    with db.unit_of_work() as s:
        fed = Federation(name="Northdale Health Federation")
        s.add(fed)
        a = Practice(ods_code="Y91001", name="Hebden Lane Surgery")
        b = Practice(ods_code="Y91008", name="Łukasz <b>Medical</b> Centre")
        s.add_all([a, b])
        s.flush()
        roles = dict(s.execute(select(Role.code, Role.id)).all())

        def person(given: str, family: str, role: str, employer: int | None, **kw: object) -> int:
            p = StaffMember(
                given_name=given,
                family_name=family,
                role_id=roles[role],
                employer_practice_id=employer,
                employment_type=kw.pop("employment", EmploymentType.EMPLOYED),
                **kw,
            )
            s.add(p)
            s.flush()
            return p.id

        world = World(
            a.id,
            b.id,
            person("Siobhán", "Ní Bhriain", "gp", a.id),
            person("Zoë", "Brontë-Smith", "practice_nurse", a.id),
            person("Alex <b>", "O'Neil & Sons", "receptionist", b.id),
            person("Thảo", "Nguyễn", "gp", None, employment=EmploymentType.LOCUM),
            person("Omar", "Khan", "clinical_pharmacist", b.id),
        )
    return world


def _policy(
    s: object,
    holder: int | None,
    ptype: PolicyType,
    start: date,
    end: date,
    limit: Decimal | None,
    **kw: object,
) -> InsurancePolicy:
    p = InsurancePolicy(
        holder_practice_id=holder,
        policy_type=ptype,
        insurer=kw.pop("insurer", "Hiscox"),
        policy_number=kw.pop("number", f"PL-{start.year}"),
        limit_of_indemnity=limit,
        start_date=start,
        end_date=end,
        **kw,
    )
    s.add(p)  # type: ignore[attr-defined]
    return p


def _cover(s: object, staff_id: int, start: date, end: date, **kw: object) -> IndemnityCover:
    c = IndemnityCover(
        staff_id=staff_id,
        provider=kw.pop("provider", IndemnityProvider.MDU),
        membership_number=kw.pop("number", f"M{staff_id}{start.year}"),
        start_date=start,
        end_date=end,
        **kw,
    )
    s.add(c)  # type: ignore[attr-defined]
    return c


def test_reference_data_is_loaded_with_the_el_statutory_minimum(database: Database) -> None:
    with database.session() as s:
        types = ind.list_policy_types(s)
        insurers = ind.list_insurers(s)
        assert ind.statutory_minimum(s, PolicyType.EMPLOYERS_LIABILITY) == Decimal("5000000.00")
    assert [t.policy_type for t in types] == list(PolicyType)
    el = types[0]
    assert el.compulsory and el.statutory_minimum == 5 * M and "gov.uk/employers-liability-insurance" in el.source
    assert {"MDU", "MPS", "MDDUS", "NHS Resolution (CNST)"} <= {i.name for i in insurers}
    with database.unit_of_work() as s:  # loading again adds nothing: the federation's edits are kept
        assert ind.load_insurance_reference(s) == 0
        assert s.scalar(select(func.count(Insurer.id))) == len(insurers)
        assert s.scalar(select(func.count(PolicyTypeInfo.id))) == len(PolicyType)


def test_policy_held_throughout_names_gaps_and_lower_limits(database: Database) -> None:
    w = _world(database)
    with database.unit_of_work() as s:
        _policy(s, None, PolicyType.PUBLIC_LIABILITY, D(2024, 4, 1), D(2025, 3, 31), 10 * M, number="PL1")
        _policy(s, None, PolicyType.PUBLIC_LIABILITY, D(2025, 4, 1), D(2026, 3, 31), 10 * M, number="PL2")
        _policy(s, None, PolicyType.PUBLIC_LIABILITY, D(2026, 4, 2), D(2027, 3, 31), 10 * M, number="PL3")
        _policy(s, None, PolicyType.PUBLIC_LIABILITY, D(2027, 3, 1), D(2028, 2, 29), 5 * M, number="PL4")
        # Another holder's and another type's policies must not count.
        _policy(s, w.practice_a, PolicyType.PUBLIC_LIABILITY, D(2026, 4, 1), D(2026, 4, 1), 10 * M)
        _policy(s, None, PolicyType.EMPLOYERS_LIABILITY, D(2026, 4, 1), D(2026, 4, 1), 10 * M)
    with database.session() as s:
        ok = ind.policy_held_throughout(s, None, PolicyType.PUBLIC_LIABILITY, 10 * M, D(2024, 4, 1), D(2026, 3, 31))
        bad = ind.policy_held_throughout(s, None, PolicyType.PUBLIC_LIABILITY, 10 * M, D(2024, 4, 1), D(2028, 2, 29))
        low = ind.policy_held_throughout(s, None, PolicyType.PUBLIC_LIABILITY, 5 * M, D(2026, 4, 2), D(2028, 2, 29))
        none = ind.policy_held_throughout(s, w.practice_b, PolicyType.CYBER, 5 * M, D(2026, 1, 1), D(2026, 12, 31))
    assert ok.ok and ok.gaps == [] and ok.shortfalls == []
    assert ok.reason == (
        "Northdale Health Federation holds public liability cover of at least £10,000,000 on every day from "
        "01/04/2024 to 31/03/2026."
    )
    assert not bad.ok
    assert bad.gaps == [(D(2026, 4, 1), D(2026, 4, 1))]
    assert bad.shortfalls == [(D(2027, 4, 1), D(2028, 2, 29), 5 * M)]
    assert "no policy on 01/04/2026" in bad.reason
    assert "the limit is £5,000,000, below £10,000,000, from 01/04/2027 to 29/02/2028 (335 days)" in bad.reason
    assert low.ok
    assert not none.ok and none.gaps == [(D(2026, 1, 1), D(2026, 12, 31))]
    assert none.reason == (
        "Łukasz <b>Medical</b> Centre has no cyber policy recorded for any day from 01/01/2026 to 31/12/2026."
    )


def test_abuse_exclusion_policies_do_not_count_when_the_contract_forbids_them(database: Database) -> None:
    _world(database)
    with database.unit_of_work() as s:
        _policy(s, None, PolicyType.PUBLIC_LIABILITY, D(2026, 1, 1), D(2026, 12, 31), 10 * M, abuse_exclusion=True)
    with database.session() as s:
        plain = ind.policy_held_throughout(s, None, PolicyType.PUBLIC_LIABILITY, 10 * M, D(2026, 1, 1), D(2026, 6, 30))
        strict = ind.policy_held_throughout(
            s, None, PolicyType.PUBLIC_LIABILITY, 10 * M, D(2026, 1, 1), D(2026, 6, 30), no_abuse_exclusion=True
        )
    assert plain.ok
    assert not strict.ok and "1 policy with an abuse exclusion did not count" in strict.reason


def test_a_period_that_ends_before_it_starts_is_refused(database: Database) -> None:
    with pytest.raises(ValidationError, match="ends before it starts"), database.session() as s:
        ind.policy_held_throughout(s, None, PolicyType.CYBER, M, D(2026, 2, 1), D(2026, 1, 1))


def test_own_cover_gate_gives_a_reason_for_each_clinician(database: Database) -> None:
    w = _world(database)
    on = D(2026, 11, 22)
    with database.unit_of_work() as s:
        _cover(s, w.gp, D(2026, 1, 1), D(2026, 12, 31))  # valid, includes non-NHS work
        _cover(s, w.nurse, D(2025, 1, 1), D(2025, 12, 31), provider=IndemnityProvider.MPS, number="MPS-77")
        _cover(s, w.locum, D(2026, 1, 1), D(2026, 12, 31), covers_non_nhs=False, number="MDDUS-1")
        _cover(s, w.pharmacist, D(2026, 12, 1), D(2027, 11, 30), provider=IndemnityProvider.OTHER, provider_name="PDA")
    with database.session() as s:
        gate = ind.own_cover_gate(s, [w.gp, w.nurse, w.locum, w.pharmacist, w.receptionist, 99999], on)
    assert gate[w.gp] is None
    assert gate[w.receptionist] is None  # not a clinician
    assert gate[w.nurse] == (
        "Zoë Brontë-Smith's own indemnity cover, MPS membership MPS-77, ended on 31/12/2025. Record the "
        "renewal before booking them on non-NHS work."
    )
    assert "does not include non-NHS work" in (gate[w.locum] or "")
    assert "PDA membership" in (gate[w.pharmacist] or "") and "does not start until 01/12/2026" in (
        gate[w.pharmacist] or ""
    )
    assert "no staff record" in (gate[99999] or "")
    with database.session() as s:
        assert ind.own_cover_gate(s, [w.gp], D(2027, 1, 1))[w.gp] is not None  # the day after it ends
        assert ind.own_cover_gate(s, [], on) == {}


def test_own_cover_gate_is_set_based(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    w = _world(database)
    with database.unit_of_work() as s:
        roles = dict(s.execute(select(Role.code, Role.id)).all())
        many = [
            StaffMember(
                given_name=f"GP{i}",
                family_name="Test",
                role_id=roles["gp"],
                employer_practice_id=w.practice_a,
                employment_type=EmploymentType.EMPLOYED,
            )
            for i in range(60)
        ]
        s.add_all(many)
        s.flush()
        ids = [p.id for p in many]
        for sid in ids[::2]:
            _cover(s, sid, D(2026, 1, 1), D(2026, 12, 31))

    def count_queries(staff: list[int]) -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            with database.session() as s:
                result = ind.own_cover_gate(s, staff, D(2026, 6, 1))
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
        assert len(result) == len(set(staff))
        return len(seen)

    assert count_queries(ids[:3]) == count_queries(ids) <= 4
    # Large sets read the tables whole and filter in Python: the same answers.
    with database.session() as s:
        small = ind.own_cover_gate(s, [*ids, w.receptionist], D(2026, 6, 1))
    monkeypatch.setattr(ind, "_WHOLE_TABLE_ABOVE", 5)
    with database.session() as s:
        whole = ind.own_cover_gate(s, [*ids, w.receptionist], D(2026, 6, 1))
    assert whole == small and sum(1 for v in whole.values() if v is None) == 31


def test_is_this_clinician_covered_for_this_service_on_this_day(database: Database) -> None:
    w = _world(database)
    on = D(2026, 11, 22)
    with database.unit_of_work() as s:
        _cover(s, w.gp, D(2026, 1, 1), D(2026, 12, 31))
    with database.session() as s:
        nhs = ind.is_clinician_covered(s, w.nurse, on, ind.ServiceScope.NHS_PRIMARY_MEDICAL)
        private_nurse = ind.is_clinician_covered(s, w.nurse, on, ind.ServiceScope.NON_NHS)
        private_gp = ind.is_clinician_covered(s, w.gp, on, ind.ServiceScope.NON_NHS)
        old = ind.is_clinician_covered(s, w.nurse, D(2018, 6, 1), ind.ServiceScope.NHS_PRIMARY_MEDICAL)
        community = ind.is_clinician_covered(s, w.nurse, on, ind.ServiceScope.NHS_OTHER)
        admin = ind.is_clinician_covered(s, w.receptionist, on, ind.ServiceScope.NON_NHS)
    assert nhs.covered and "CNSGP" in nhs.reason
    assert not private_nurse.covered and "no indemnity cover of their own" in private_nurse.reason
    assert private_gp.covered and "own MDU membership" in private_gp.reason and "31/12/2026" in private_gp.reason
    assert not old.covered and "Before 01/04/2019" in old.reason
    assert not community.covered and "no clinical negligence scheme membership (CNST)" in community.reason
    assert admin.covered and "not in a clinical role" in admin.reason
    with database.unit_of_work() as s:
        _policy(s, None, PolicyType.CLINICAL_NEGLIGENCE, D(2026, 4, 1), D(2027, 3, 31), None, insurer="NHS Resolution")
    with database.session() as s:
        community = ind.is_clinician_covered(s, w.nurse, on, ind.ServiceScope.NHS_OTHER)
        elsewhere = ind.cover_for_service(s, [w.nurse], on, ind.ServiceScope.NHS_OTHER, w.practice_a)
    assert community.covered and "clinical negligence scheme membership" in community.reason
    assert elsewhere[w.nurse] is not None and "Hebden Lane Surgery holds no" in elsewhere[w.nurse]


def test_insurance_schedule_on_a_date(database: Database) -> None:
    w = _world(database)
    with database.unit_of_work() as s:
        _policy(s, None, PolicyType.PUBLIC_LIABILITY, D(2026, 4, 1), D(2027, 3, 31), 10 * M, number="PL-26")
        _policy(s, None, PolicyType.EMPLOYERS_LIABILITY, D(2026, 4, 1), D(2027, 3, 31), 10 * M, number="EL-26")
        _policy(s, None, PolicyType.EMPLOYERS_LIABILITY, D(2025, 4, 1), D(2026, 3, 31), 10 * M, number="EL-25")
        p = _policy(
            s, w.practice_a, PolicyType.CYBER, D(2026, 1, 1), D(2026, 12, 31), 5 * M, number="CY", excess=Decimal(2500)
        )
        s.flush()
        doc_link_target = p.id
    tmp = Path(database.location.sqlite_path or "/tmp").parent / "cyber certificate.pdf"
    tmp.write_bytes(PDF)
    with database.unit_of_work() as s:
        ind.attach_certificate(s, ind.POLICY_KIND, doc_link_target, str(tmp))
    with database.session() as s:
        fed = ind.insurance_schedule(s, D(2026, 11, 22))
        practice = ind.insurance_schedule(s, D(2026, 11, 22), w.practice_a)
        everyone = ind.insurance_schedule(s, D(2026, 11, 22), all_holders=True)
        before = ind.insurance_schedule(s, D(2026, 3, 31))
    assert [(r.policy_type, r.policy_number) for r in fed] == [
        (PolicyType.EMPLOYERS_LIABILITY, "EL-26"),
        (PolicyType.PUBLIC_LIABILITY, "PL-26"),
    ]
    assert fed[0].holder_name == "Northdale Health Federation" and fed[0].limit == 10 * M
    (cyber,) = practice
    assert (cyber.holder_name, cyber.limit_text, cyber.excess, cyber.certificate_filename) == (
        "Hebden Lane Surgery",
        "£5,000,000",
        Decimal("2500.00"),
        "cyber certificate.pdf",
    )
    assert cyber.certificate_document_id is not None
    assert len(everyone) == 3 and everyone[-1].holder_practice_id == w.practice_a
    assert [r.policy_number for r in before] == ["EL-25"]


def _form(**kw: object) -> ind.PolicyForm:
    base: dict[str, object] = {
        "holder_practice_id": None,
        "policy_type": PolicyType.PUBLIC_LIABILITY,
        "insurer": "Hiscox",
        "policy_number": "PL/123",
        "limit": "£10m",
        "start": D(2026, 4, 1),
        "end": D(2027, 3, 31),
    }
    base.update(kw)
    return ind.PolicyForm(**base)  # type: ignore[arg-type]


def test_save_policy_reads_money_as_typed_and_round_trips(database: Database) -> None:
    _world(database)
    with database.unit_of_work() as s:
        changes = ind.save_policy(s, _form(excess="1,000", limit_basis=LimitBasis.AGGREGATE, notes="Renewed early"))
    assert changes.touches("insurance_policy")
    with database.session() as s:
        (row,) = ind.list_policies(s)
    assert (row.limit, row.excess, row.limit_text, row.limit_basis) == (
        Decimal("10000000.00"),
        Decimal("1000.00"),
        "£10,000,000",
        LimitBasis.AGGREGATE,
    )
    with database.unit_of_work() as s:
        ind.save_policy(s, _form(limit="10000000.00", insurer="Aviva"), row.id, row.version)
    with database.session() as s:
        (row2,) = ind.list_policies(s)
    assert (row2.insurer, row2.limit, row2.version) == ("Aviva", 10 * M, row.version + 1)
    with pytest.raises(StaleEditError), database.unit_of_work() as s:
        ind.save_policy(s, _form(insurer="Zurich"), row.id, row.version)


def test_bad_policy_input_names_every_problem_and_saves_nothing(database: Database) -> None:
    _world(database)
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        ind.save_policy(
            s, _form(insurer=" ", policy_number="", limit="ten million", start=D(2026, 4, 1), end=D(2026, 3, 1))
        )
    fields = {p.field for p in err.value.problems}
    assert fields == {"insurer", "policy_number", "limit", "end"}
    assert "is not an amount of money" in err.value.for_field("limit")[0]
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        ind.save_policy(s, _form(policy_type=PolicyType.OTHER, limit="£1m", excess="£2m"))
    assert {p.field for p in err.value.problems} == {"description", "excess"}
    with pytest.raises(ValidationError, match="required"), database.unit_of_work() as s:
        ind.save_policy(s, _form(limit=""))
    with database.session() as s:
        assert s.scalar(select(func.count(InsurancePolicy.id))) == 0
    with database.unit_of_work() as s:  # scheme membership may have no stated limit
        ind.save_policy(s, _form(policy_type=PolicyType.CLINICAL_NEGLIGENCE, limit="", insurer="NHS Resolution"))
    with database.session() as s:
        assert ind.list_policies(s)[0].limit_text == "No stated limit"


def test_certificate_attached_with_the_save_and_a_huge_file_refused(database: Database, tmp_path: Path) -> None:
    w = _world(database)
    cert = tmp_path / "MDU certificate – Siobhán.pdf"
    cert.write_bytes(PDF)
    form = ind.CoverForm(
        staff_id=w.gp,
        provider=IndemnityProvider.MDU,
        membership_number=" 123456 ",
        start=D(2026, 1, 1),
        end=D(2026, 12, 31),
        category="GP sessional, 8 sessions",
        certificate_path=str(cert),
    )
    with database.unit_of_work() as s:
        ind.save_cover(s, form)
    with database.session() as s:
        (row,) = ind.list_covers(s, w.gp)
        links = s.scalar(select(func.count(DocumentLink.id)).where(DocumentLink.entity == ind.COVER_KIND))
    assert (row.membership_number, row.certificate_filename, row.provider_label) == (
        "123456",
        "MDU certificate – Siobhán.pdf",
        "MDU",
    )
    assert row.scope_text == "non-NHS work, regulatory representation" and links == 1
    huge = tmp_path / "scan.pdf"
    with huge.open("wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(30 * 1024 * 1024)
    with pytest.raises(FileTooLarge, match="largest file"), database.unit_of_work() as s:
        ind.attach_certificate(s, ind.COVER_KIND, row.id, str(huge), row.version)
    with pytest.raises(FileTooLarge), database.unit_of_work() as s:
        ind.save_cover(s, replace(form, membership_number="999", certificate_path=str(huge)), row.id, row.version)
    with database.session() as s:
        (after,) = ind.list_covers(s, w.gp)
    assert (after.membership_number, after.version) == ("123456", row.version)  # nothing changed


def test_bad_cover_input_is_refused(database: Database) -> None:
    w = _world(database)
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        ind.save_cover(
            s,
            ind.CoverForm(
                staff_id=None,
                provider=IndemnityProvider.OTHER,
                membership_number="",
                start=None,
                end=D(2026, 1, 1),
                covers_non_nhs=False,
                covers_regulatory=False,
            ),
        )
    assert {p.field for p in err.value.problems} == {"membership_number", "start"}
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        ind.save_cover(
            s,
            ind.CoverForm(
                staff_id=w.gp,
                provider=IndemnityProvider.OTHER,
                membership_number="X1",
                start=D(2026, 1, 1),
                end=D(2026, 12, 31),
                covers_non_nhs=False,
                covers_regulatory=False,
            ),
        )
    assert {p.field for p in err.value.problems} == {"provider_name", "scope"}
    with database.session() as s:
        assert s.scalar(select(func.count(IndemnityCover.id))) == 0


def test_clinician_cover_list_renewals_gaps_and_the_dashboard_card(database: Database) -> None:
    w = _world(database)
    today = FIXED_TODAY  # 22/11/2026
    with database.unit_of_work() as s:
        _cover(s, w.gp, D(2026, 1, 1), D(2026, 12, 10))  # expiring in 18 days, no renewal
        _cover(s, w.locum, D(2025, 12, 1), D(2026, 11, 30))
        _cover(s, w.locum, D(2026, 12, 1), D(2027, 11, 30))  # renewal recorded
        # Federation: EL back to back; PL with a gap in April 2026; cyber lapsed a week ago.
        _policy(s, None, PolicyType.EMPLOYERS_LIABILITY, D(2025, 12, 15), D(2026, 12, 14), 10 * M, number="EL1")
        _policy(s, None, PolicyType.PUBLIC_LIABILITY, D(2025, 4, 1), D(2026, 3, 31), 10 * M, number="PL1")
        _policy(s, None, PolicyType.PUBLIC_LIABILITY, D(2026, 4, 15), D(2027, 4, 14), 10 * M, number="PL2")
        _policy(s, None, PolicyType.CYBER, D(2025, 11, 15), D(2026, 11, 14), 5 * M, number="CY1")
        _policy(s, w.practice_a, PolicyType.EMPLOYERS_LIABILITY, D(2026, 4, 1), D(2027, 3, 31), 2 * M, number="EL-A")
    with database.session() as s:
        clinicians = {r.staff_id: r for r in ind.list_clinician_cover(s, today)}
        renewals = ind.renewal_calendar(s, today)
        gaps = ind.find_gaps(s, D(2025, 11, 22), D(2027, 11, 22))
        card = ind.indemnity_card(s, today)
        timeline = ind.policy_timeline(s, None, ind.default_timeline_start(today), today)
    assert set(clinicians) == {w.gp, w.nurse, w.locum, w.pharmacist}
    assert clinicians[w.gp].status is ind.CoverStatus.EXPIRING and clinicians[w.gp].ok_for_non_nhs
    assert clinicians[w.locum].status is ind.CoverStatus.VALID and "renewal is recorded" in clinicians[w.locum].reason
    assert clinicians[w.nurse].status is ind.CoverStatus.MISSING and not clinicians[w.nurse].ok_for_non_nhs
    by_what = {(r.holder, r.what): r for r in renewals}
    assert by_what[("Siobhán Ní Bhriain", "Indemnity cover (MDU)")].days_left == 18
    assert by_what[("Siobhán Ní Bhriain", "Indemnity cover (MDU)")].band == 30
    assert by_what[("Thảo Nguyễn", "Indemnity cover (MDU)")].renewal_recorded
    assert by_what[("Northdale Health Federation", "Cyber")].state == "Lapsed 8 days ago"
    assert by_what[("Northdale Health Federation", "Employers' liability")].days_left == 22
    assert [(g.policy_type, g.start, g.end) for g in gaps] == [
        (PolicyType.PUBLIC_LIABILITY, D(2026, 4, 1), D(2026, 4, 14))
    ]
    assert "from 01/04/2026 to 14/04/2026 (14 days)" in gaps[0].text
    assert card is not None and card.severity is Severity.DANGER
    text = " ".join(card.details)
    assert (
        "Hebden Lane Surgery's employers' liability limit £2,000,000 is below the legal minimum of £5,000,000" in text
    )
    assert "Łukasz <b>Medical</b> Centre employs staff but has no employers' liability policy" in text
    assert "cyber lapsed on 14/11/2026" in text
    assert "Gap:" in text
    assert card.headline == "1 policy to renew within 30 days"
    lanes = {lane.policy_type: lane for lane in timeline.lanes}
    assert set(lanes) == {PolicyType.EMPLOYERS_LIABILITY, PolicyType.PUBLIC_LIABILITY, PolicyType.CYBER}
    assert timeline.start == D(2026, 8, 1) and timeline.end == D(2027, 7, 31)
    assert lanes[PolicyType.PUBLIC_LIABILITY].gaps == ((D(2027, 4, 15), D(2027, 7, 31)),)
    assert lanes[PolicyType.CYBER].gaps == ((D(2026, 11, 15), D(2027, 7, 31)),)


def test_an_empty_database_card_asks_for_policies(database: Database) -> None:
    with database.session() as s:
        card = ind.indemnity_card(s, FIXED_TODAY)
    assert card is not None and card.headline == "No policies recorded yet" and card.page == "indemnity"


def test_deleting_a_policy_and_a_cover(database: Database) -> None:
    w = _world(database)
    with database.unit_of_work() as s:
        ind.save_policy(s, _form())
        ind.save_cover(
            s,
            ind.CoverForm(
                staff_id=w.gp,
                provider=IndemnityProvider.MPS,
                membership_number="1",
                start=D(2026, 1, 1),
                end=D(2026, 12, 31),
            ),
        )
    with database.session() as s:
        (policy,) = ind.list_policies(s)
        (cover,) = ind.list_covers(s, w.gp)
    with database.unit_of_work() as s:
        ind.delete_policy(s, policy.id, policy.version)
        ind.delete_cover(s, cover.id, cover.version)
    with database.session() as s:
        assert ind.list_policies(s) == [] and ind.list_covers(s, w.gp) == []


def test_months_arithmetic_for_the_timeline() -> None:
    assert ind.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert ind.add_months(D(2026, 11, 1), 2) == D(2027, 1, 1)
    assert ind.add_months(D(2026, 1, 1), -3) == D(2025, 10, 1)
    assert ind.default_timeline_start(D(2026, 11, 22)) == D(2026, 8, 1)
