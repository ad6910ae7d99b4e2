"""The compliance report read back from the PDF: every obligation with its value and RAG, the exception rows, no
staff names when anonymised (in the tables and in every free text), literal user text, the trace record, atomic
writing and the command line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from federation_desk.cli import main
from federation_desk.db.session import Database
from federation_desk.domain.contracts import Contract, KpiTemplate, Rag
from federation_desk.domain.staff import EmploymentType, Role, StaffMember
from federation_desk.reports import compliance_report as cr
from federation_desk.services import contracts as cs
from federation_desk.services.contract_evaluators import ContractEvaluation, evaluate_contract
from federation_desk.services.dates import format_date
from tests.conftest import FIXED_TODAY
from tests.pdf import normalise, outline_titles, page_texts


def _period(db: Database, reference: str, label: str) -> tuple[int, int]:
    with db.session() as s:
        contract = cs.find_contract(s, reference)
        return contract.id, cs.find_period(s, contract.id, label).id


def _evaluation(db: Database, contract_id: int, period_id: int) -> ContractEvaluation:
    with db.session() as s:
        return evaluate_contract(s, contract_id, period_id, FIXED_TODAY)


def test_every_obligation_value_rag_and_exception_reads_back(demo_db: Database, tmp_path: Path) -> None:
    cid, pid = _period(demo_db, "NDHF-EA-2025", "2026-11")
    target = tmp_path / "out" / "ea.pdf"
    result = cr.produce_compliance_report(demo_db, cid, pid, target, today=FIXED_TODAY)
    expected = _evaluation(demo_db, cid, pid)
    texts = page_texts(target)
    pages = [normalise(t) for t in texts]
    everything = " ".join(pages)
    assert len(texts) == result.pages == result.run.pages
    # Every obligation of every type is on the summary page with its value, target and RAG on one row.
    summary = next(p for p in pages if "Obligations at a glance" in p and "Contents" not in p)
    assert {r.obligation.obligation_type for r in expected.results} == set(cs.type_specs())
    for number, r in enumerate(expected.results, start=1):
        value = cs.format_short(r.value, r.obligation.unit, "no data")
        assert f"{number} {r.obligation.name} {value} {r.obligation.target_short} {r.rag.label}" in summary, r
    assert f"Overall: {expected.overall.label}" in pages[0]
    assert expected.overall is Rag.RED and expected.count(Rag.AMBER) >= 1
    # The KPI table has the previous four periods as a trend.
    kpis = next(p for p in pages if "KPI table and trend" in p and "Contents" not in p)
    assert all(label in kpis for label in ("2026-07", "2026-08", "2026-09", "2026-10", "2026-11"))
    fft = next(r for r in expected.results if r.obligation.name.startswith("Friends and Family"))
    trend = [cs.format_short(t.value, "%") for t in expected.trend[fft.obligation.id]]
    assert " ".join([*trend, cs.format_short(fft.value, "%")]) in kpis
    # Exceptions: a section per red or amber obligation, listing the records behind it.
    bad = [r for r in expected.results if r.rag in (Rag.RED, Rag.AMBER)]
    assert bad
    for r in bad:
        number = expected.results.index(r) + 1
        assert f"{number}. {r.obligation.name}: {r.rag.label}" in everything
        for row in r.exceptions[: cr.MAX_EXCEPTION_ROWS]:
            assert row.subject in everything, row
    people = [row for r in bad for row in r.exceptions if row.staff_id is not None]
    assert people, "the demo has staff behind the exceptions"
    # Trace: the footer of every page carries the trace code; the record holds the file's SHA-256.
    for number, text in enumerate(pages, start=1):
        assert f"trace {result.run.trace_code}" in text and f"Page {number} of {len(pages)}" in text
        assert "Official-sensitive: contains staff names" in text
    assert result.run.sha256 == hashlib.sha256(target.read_bytes()).hexdigest()
    assert result.run.produced_by == "tester" and result.run.period_label == "2026-11"
    titles = outline_titles(target)
    for title in ("Summary", "KPI table and trend", "Exceptions", "Evidence appendix", "Sign-off"):
        assert title in titles
    assert "Prepared by tester" in everything and "Reviewed by (clinical lead)" in everything
    assert f"Position as at: {format_date(FIXED_TODAY)}" in pages[0]
    meta = PdfReader(str(target)).metadata
    assert meta is not None and meta.title == "Contract compliance report: NDHF-EA-2025, 2026-11"
    with demo_db.session() as s:
        assert cs.find_report_run(s, result.run.sha256).id == result.run.id
    assert [p.name for p in target.parent.iterdir()] == ["ea.pdf"]  # written atomically: no partial file left


def test_anonymised_report_shows_role_and_practice_instead_of_names(demo_db: Database, tmp_path: Path) -> None:
    cid, pid = _period(demo_db, "NDHF-EA-2025", "2026-11")
    target = tmp_path / "anonymised.pdf"
    result = cr.produce_compliance_report(demo_db, cid, pid, target, anonymise=True, today=FIXED_TODAY)
    expected = _evaluation(demo_db, cid, pid)
    everything = normalise(" ".join(page_texts(target)))
    people = [row for r in expected.results if r.is_exception for row in r.exceptions if row.staff_id is not None]
    assert len(people) >= 3
    for row in people:
        assert row.subject not in everything, row.subject
        for name in row.names:
            if len(name) >= 4 and " " in name:
                assert name not in everything, name
        assert f"{row.role}, {row.practice}" in everything
    assert "Staff (role, practice)" in everything and "Official: staff names withheld" in everything
    assert result.run.anonymised


NOWAK, ONEILL = "Łukasz Nowak", "Siobhán O'Neill"

# Every free text the report prints, with staff names typed in as people do (a title, an apostrophe, lower case),
# and how each should read anonymised.
FREE_TEXT = {
    "service": ("Saturday clinics led by Dr Łukasz Nowak at the hubs.", "led by Dr [name withheld] at the hubs."),
    "contract_manager": (f"{ONEILL}, Operations Manager", "[name withheld], Operations Manager"),
    "commissioner_contact": ("ICB contracting team, copy to Mr Nowak", "copy to Mr [name withheld]"),
    "description": (
        "Counted each month by Łukasz Nowak from the appointment book.",
        "Counted each month by [name withheld] from the appointment book.",
    ),
    "schedule_ref": ("Schedule 4C, QR2 (agreed with Ms O’Neill)", "QR2 (agreed with Ms [name withheld])"),
    "name": ("Utilisation audit by Dr Nowak", "Utilisation audit by Dr [name withheld]"),
    "template_source": ("Checked by Nurse O'Neill against NHS Digital", "Checked by Nurse [name withheld] against"),
    "kpi_note": (
        "Dr Łukasz Nowak covered the Saturday hub; siobhán o'neill's list was cancelled.",
        "Dr [name withheld] covered the Saturday hub; [name withheld]'s list was cancelled.",
    ),
}


def _names_in_free_text(demo_path: Path, demo_db: Database) -> tuple[int, int]:
    """Two staff members, and their names in every kind of free text of NDHF-EA-2025 for 2026-11: the contract's
    service, manager and commissioner contact, an obligation's name, description and contract reference, a KPI
    template's source, and a red KPI's note, entered by one of them (so "entered by" gives his login too)."""
    cid, pid = _period(demo_db, "NDHF-EA-2025", "2026-11")
    with demo_db.unit_of_work() as s:
        role = s.scalars(select(Role).order_by(Role.id)).first()
        assert role is not None
        for given, family in (("Łukasz", "Nowak"), ("Siobhán", "O'Neill")):
            s.add(
                StaffMember(given_name=given, family_name=family, role_id=role.id, employment_type=EmploymentType.BANK)
            )
        contract = s.get(Contract, cid)
        assert contract is not None
        contract.service = FREE_TEXT["service"][0]
        contract.contract_manager = FREE_TEXT["contract_manager"][0]
        contract.commissioner_contact = FREE_TEXT["commissioner_contact"][0]
        contract.notes = f"Not printed: {NOWAK}"
        obligations = {o.name: o for o in contract.obligations}
        dna = obligations["Did-not-attend rate"]
        dna.description = FREE_TEXT["description"][0]
        dna.schedule_ref = FREE_TEXT["schedule_ref"][0]
        obligations["Utilisation of offered appointments"].name = FREE_TEXT["name"][0]
        template = s.scalars(select(KpiTemplate).where(KpiTemplate.code == dna.kpi_template_code)).one()
        template.source = FREE_TEXT["template_source"][0]
        dna_id = dna.id
    with demo_db.session() as s:
        current = next(r.value for r in cs.load_kpi_grid(s, cid, pid).rows if r.obligation.id == dna_id)
    assert current is not None
    he = Database.open(str(demo_path), actor="lukasz.nowak")  # his login
    try:
        with he.unit_of_work() as s:
            cs.save_kpi_values(s, pid, [cs.KpiEntry(dna_id, "12", FREE_TEXT["kpi_note"][0], current.version)])
    finally:
        he.dispose()
    return cid, pid


def test_anonymised_report_hides_staff_names_in_every_free_text(
    demo_path: Path, demo_db: Database, tmp_path: Path
) -> None:
    cid, pid = _names_in_free_text(demo_path, demo_db)
    producer = Database.open(str(demo_path), actor=ONEILL)  # the person producing it is on the staff too
    try:
        hidden = tmp_path / "hidden.pdf"
        cr.produce_compliance_report(producer, cid, pid, hidden, anonymise=True, today=FIXED_TODAY)
        shown = tmp_path / "shown.pdf"
        cr.produce_compliance_report(producer, cid, pid, shown, anonymise=False, today=FIXED_TODAY)
    finally:
        producer.dispose()
    anonymised = normalise(" ".join(page_texts(hidden)))
    folded = anonymised.casefold()
    for word in ("Łukasz", "Lukasz", "Nowak", "Siobhán", "O'Neill", "O’Neill"):
        assert word.casefold() not in folded, word
    for _typed, reads in FREE_TEXT.values():
        assert reads in anonymised, reads
    assert "Explanation: Dr [name withheld] covered the Saturday hub" in anonymised  # the red KPI's exception row
    assert "entered by [name withheld] on" in anonymised and "Prepared by [name withheld]" in anonymised
    assert "Official: staff names withheld" in anonymised
    # The people behind the exceptions are still "this person" in their own rows, shown by role and practice.
    assert "Staff (role, practice)" in anonymised and "Practice nurse, " in anonymised

    named = normalise(" ".join(page_texts(shown)))
    for typed, _reads in FREE_TEXT.values():
        assert typed in named, typed
    assert f"Prepared by {ONEILL}" in named and "entered by lukasz.nowak on" in named
    assert "[name withheld]" not in named
    assert "Not printed" not in named  # the contract's notes are not part of the report


def test_an_anonymised_build_refuses_data_gathered_with_names(demo_db: Database, tmp_path: Path) -> None:
    cid, pid = _period(demo_db, "NDHF-EA-2025", "2026-11")
    with demo_db.session() as s:
        data = cr.gather_report_data(s, cid, pid, FIXED_TODAY, "tester")
    with pytest.raises(ValueError, match="anonymise=True"):
        cr.build_compliance_pdf(tmp_path / "x.pdf", data, cr.ReportOptions(anonymise=True))


def test_user_text_prints_literally_and_a_clear_period_has_no_exceptions(demo_db: Database, tmp_path: Path) -> None:
    cid, pid = _period(demo_db, "NDHF-HV-2024", "2026-Q3")
    with demo_db.session() as s:
        complaints = next(o for o in cs.list_obligations(s, cid) if o.name == "Complaints received")
        value = cs.load_kpi_grid(s, cid, pid).rows[1].value
    assert value is not None
    with demo_db.unit_of_work() as s:
        cs.save_kpi_values(
            s, pid, [cs.KpiEntry(complaints.id, "9", "Łukasz <b>Wiśniewski</b> & Zoë's team: see note", value.version)]
        )
    target = tmp_path / "hv.pdf"
    cr.produce_compliance_report(demo_db, cid, pid, target, today=FIXED_TODAY)
    everything = normalise(" ".join(page_texts(target)))
    assert "Łukasz <b>Wiśniewski</b> & Zoë's team: see note" in everything


def test_a_failed_build_leaves_no_file_and_no_record(
    demo_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid, pid = _period(demo_db, "NDHF-EA-2025", "2026-10")
    target = tmp_path / "reports" / "broken.pdf"

    def broken(path: Path, *_args: object, **_kw: object) -> int:
        path.write_bytes(b"%PDF-1.4 half a report")
        raise RuntimeError("disk full")

    monkeypatch.setattr(cr, "build_compliance_pdf", broken)
    with demo_db.session() as s:
        before = len(cs.list_report_runs(s))
    with pytest.raises(RuntimeError):
        cr.produce_compliance_report(demo_db, cid, pid, target, today=FIXED_TODAY)
    assert list(target.parent.iterdir()) == []
    with demo_db.session() as s:
        assert len(cs.list_report_runs(s)) == before


def test_command_line_produces_the_report_and_lists_contracts(
    demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.pdf"
    args = ["--db", str(demo_path), "report", "compliance", "--contract", "ndhf-hv-2024", "--period", "Q3 2026"]
    assert main([*args, "-o", str(out), "--anonymise"]) == 0
    printed = capsys.readouterr().out
    assert f"Wrote {out}" in printed and "NDHF-HV-2024 2026-Q3" in printed and "SHA-256" in printed
    sha = printed.split("SHA-256 ")[1].strip().rstrip(".")
    assert sha == hashlib.sha256(out.read_bytes()).hexdigest()
    assert "Official: staff names withheld" in normalise(page_texts(out)[0])
    assert main(["--db", str(demo_path), "report", "compliance", "--contract", "NOPE", "-o", str(out)]) == 1
    assert "no contract with the reference 'NOPE'" in capsys.readouterr().err
    assert main([*args[:-2], "--period", "2027-Q2", "-o", str(tmp_path / "x.pdf")]) == 1
    assert "2027-Q2 is outside contract NDHF-HV-2024's term" in capsys.readouterr().err
    assert main([*args, "-o", str(tmp_path / "report.txt")]) == 1
    assert "should end in .pdf" in capsys.readouterr().err
    assert main(["--db", str(demo_path), "contracts", "list"]) == 0
    listing = capsys.readouterr().out
    assert "NDHF-EA-2025" in listing and "NDHF-PHARM-2025" in listing and "Current RAG" in listing


def test_demo_pdfs_include_the_compliance_report(demo_path: Path, tmp_path: Path) -> None:
    database = Database.open(str(demo_path), actor="tester")
    try:
        path = cr.demo_compliance_pdf(database, tmp_path / "compliance-report.pdf")
    finally:
        database.dispose()
    assert path.exists() and "Contract compliance report" in page_texts(path)[0]
