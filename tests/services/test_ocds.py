"""OCDS import on files shaped like real Find a Tender and Contracts Finder notices (tests/data/ocds/): release and
record packages, both award-criteria shapes, re-import updates (matched on ocid), refusals that change nothing."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from federation_desk.db.session import Database
from federation_desk.domain.tenders import (
    Buyer,
    CriterionKind,
    KeyDateKind,
    QuestionStatus,
    Regime,
    Tender,
    TenderSource,
    TenderStatus,
)
from federation_desk.errors import FileTooLarge, UnsupportedFile
from federation_desk.services import ocds
from federation_desk.services import tenders as ts

DATA = Path(__file__).parent.parent / "data" / "ocds"
TODAY = date(2026, 11, 22)


def _import(db: Database, name: str) -> ocds.ImportResult:
    with db.unit_of_work() as s:
        ts.load_procurement_reference(s)
        return ocds.import_notice_file(s, DATA / name, TODAY)


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        return s.scalar(select(func.count(Tender.id))) or 0, s.scalar(select(func.count(Buyer.id))) or 0


def test_find_a_tender_release_package_with_lots_and_per_lot_criteria(database: Database) -> None:
    result = _import(database, "fts-release-package-uk4.json")
    assert [(t.reference, t.created) for t in result.imported] == [("T-2026-001", True)]
    assert "Imported T-2026-001" in result.summary
    with database.session() as s:
        d = ts.load_tender(s, result.imported[0].id)
    assert d.title == "Same Day Urgent Care and Enhanced Access Hub Services – Northdale & Aire Valley"
    assert d.source is TenderSource.FIND_A_TENDER and d.status is TenderStatus.IDENTIFIED
    assert d.ocid == "ocds-h6vhtk-05a1f3" and d.notice_id == "041873-2026"
    assert d.notice_url == "https://www.find-tender.service.gov.uk/Notice/041873-2026"
    assert d.buyer_reference == "WYICB-PC-0412"
    assert d.estimated_value == Decimal("4200000.00") and d.term_months == 36
    assert d.regime is Regime.PA23 and d.process_name == "Competitive flexible procedure"
    assert d.cpv_codes == "85121100, 85141000"
    assert d.buyer is not None and d.buyer.name == "NHS West Yorkshire Integrated Care Board"
    assert (d.buyer.identifier_scheme, d.buyer.identifier) == ("GB-PPON", "PQWX-7213-RTNM")
    assert d.buyer.contact_name == "Procurement team (Siân O'Donnell)" and "Wakefield" in (d.buyer.address or "")
    dates = {k.kind: k for k in d.key_dates}
    # 12:00Z in January is 12:00 in London; 17:00Z enquiry deadline likewise.
    assert (dates[KeyDateKind.SUBMISSION_DEADLINE].on_date, dates[KeyDateKind.SUBMISSION_DEADLINE].at_time) == (
        date(2027, 1, 15),
        time(12, 0),
    )
    assert dates[KeyDateKind.CLARIFICATION_DEADLINE].on_date == date(2027, 1, 6)
    assert dates[KeyDateKind.CONTRACT_START].on_date == date(2027, 7, 1) and all(k.from_notice for k in d.key_dates)
    assert [(lot.number, lot.title, lot.estimated_value) for lot in d.lots] == [
        ("1", "Northdale hub", Decimal("2520000.00")),
        ("2", "Aire Valley hub", Decimal("1680000.00")),
    ]
    lot1 = [(c.kind, c.name, c.weight) for c in d.criteria if c.lot_number == "1"]
    assert lot1 == [
        (CriterionKind.QUALITY, "Service model and mobilisation", Decimal(30)),
        (CriterionKind.QUALITY, "Workforce & <clinical> governance", Decimal(20)),
        (CriterionKind.SOCIAL_VALUE, "Social value", Decimal(10)),
        (CriterionKind.PRICE, "Price", Decimal(40)),
    ]
    assert [(c.name, c.weight) for c in d.criteria if c.lot_number == "2"] == [
        ("Quality", Decimal(70)),
        ("Price", Decimal(30)),
    ]
    links = {link.title: link for link in d.links}
    assert links["Tender notice"].notice_type == "UK4"
    assert links["Service specification (local copy)"].url is None  # a file:// link is not kept
    assert links["Invitation to tender pack (Atamis)"].url == "https://health-family.force.com/s/Welcome"


def test_reimporting_updates_the_same_tender_and_keeps_our_work(database: Database) -> None:
    first = _import(database, "fts-release-package-uk4.json").imported[0]
    with database.unit_of_work() as s:
        ts.save_question(s, first.id, ts.QuestionForm("Q1", "Describe the service model", "750"))
        ts.save_key_date(s, first.id, ts.KeyDateForm(KeyDateKind.PRESENTATION, date(2027, 2, 10), "10:30"))
        row = ts.get_tender_row(s, first.id)
        ts.change_status(s, first.id, row.version, TenderStatus.TENDER, TODAY)
    second = _import(database, "fts-release-package-uk4-changed.json")
    assert [(t.id, t.created) for t in second.imported] == [(first.id, False)]
    assert _counts(database) == (1, 1)
    with database.session() as s:
        d = ts.load_tender(s, first.id)
    assert d.title.endswith("(amended)") and d.estimated_value == Decimal("4350000.00")
    assert d.status is TenderStatus.TENDER  # ours, not the notice's
    assert [q.number for q in d.questions] == ["Q1"] and d.questions[0].status is QuestionStatus.NOT_STARTED
    submission = [k for k in d.key_dates if k.kind is KeyDateKind.SUBMISSION_DEADLINE]
    assert [(k.on_date, k.from_notice) for k in submission] == [(date(2027, 1, 22), True)]
    assert any(k.kind is KeyDateKind.PRESENTATION and not k.from_notice for k in d.key_dates)
    assert [(c.name, c.weight) for c in d.criteria if c.lot_number == "2"] == [
        ("Quality", Decimal(60)),
        ("Social value", Decimal(10)),
        ("Price", Decimal(30)),
    ]
    assert d.notice_url == "https://www.find-tender.service.gov.uk/Notice/043120-2026"
    # Importing the older notice after the newer one changes nothing and says why.
    third = _import(database, "fts-release-package-uk4.json")
    assert third.imported == [] and "older than the one already imported" in third.summary
    with database.session() as s:
        assert ts.load_tender(s, first.id).estimated_value == Decimal("4350000.00")


def test_record_package_with_the_code_string_shape_psr(database: Database) -> None:
    result = _import(database, "fts-record-package-psr.json")
    with database.session() as s:
        d = ts.load_tender(s, result.imported[0].id)
    assert d.title == "Community Phlebotomy Service" and d.regime is Regime.PSR
    assert d.process_name == "Competitive process" and d.notice_id == "038902-2026"
    assert d.award_criteria_basis == "Quality only (fixed price)"
    assert [(c.kind, c.name, c.weight) for c in d.criteria] == [(CriterionKind.QUALITY, "Quality", Decimal(100))]
    assert d.term_months == 36  # 1 April 2027 to 31 March 2030
    assert d.buyer is not None and d.buyer.contact_email == "bdc.procurement@nhs.net"  # from the compiled release
    assert d.submission_date == date(2026, 12, 4)


def test_contracts_finder_release_package(database: Database) -> None:
    result = _import(database, "cf-release-package.json")
    with database.session() as s:
        d = ts.load_tender(s, result.imported[0].id)
    assert d.source is TenderSource.CONTRACTS_FINDER
    assert d.notice_id == "7c3e9a61-2f4b-4d0e-9a63-5b8f1e2d4c07"
    assert d.notice_url == "https://www.contractsfinder.service.gov.uk/Notice/7c3e9a61-2f4b-4d0e-9a63-5b8f1e2d4c07"
    assert d.award_criteria_basis == "Rated criteria (quality and price)"
    assert [(c.name, c.description) for c in d.criteria] == [("Award criteria as published", "Quality 70%, price 30%.")]
    assert d.description is not None and "\r" not in d.description
    assert d.buyer is not None and (d.buyer.identifier_scheme, d.buyer.identifier) == ("GB-GOR", "LA0213")
    assert d.estimated_value == Decimal("180000.00") and d.term_months == 24
    submission = next(k for k in d.key_dates if k.kind is KeyDateKind.SUBMISSION_DEADLINE)
    assert (submission.on_date, submission.at_time) == (date(2026, 12, 11), time(17, 0))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not-ocds.json", "not an OCDS release or record package"),
        ("fts-award-only.json", "has no tender section"),
        ("truncated-download.json", "is not valid JSON"),
        ("record-package-linked-releases.json", "lists its releases only as links"),
    ],
)
def test_files_that_are_not_importable_get_a_clear_message_and_change_nothing(
    database: Database, name: str, message: str
) -> None:
    _import(database, "cf-release-package.json")
    before = _counts(database)
    with pytest.raises(UnsupportedFile) as err:
        _import(database, name)
    assert message in err.value.message and name in err.value.message
    assert err.value.what_to_do
    assert _counts(database) == before


def test_other_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFile, match="not a text file"):
        ocds.read_notices(b"\xff\xfe\x00\x00binary", "photo.jpg")
    with pytest.raises(UnsupportedFile, match="not an OCDS"):
        ocds.read_notices(b"[1, 2, 3]", "list.json")
    with pytest.raises(UnsupportedFile, match="without an 'ocid'"):
        ocds.read_notices(b'{"releases": [{"id": "1", "tender": {"title": "x"}}]}', "no-ocid.json")
    with pytest.raises(UnsupportedFile, match="no releases"):
        ocds.read_notices(b'{"releases": []}', "empty.json")
    big = tmp_path / "huge.json"
    with big.open("wb") as fh:
        fh.truncate(ocds.MAX_OCDS_BYTES + 1)
    with pytest.raises(FileTooLarge):
        ocds.read_ocds_file(big)
    # Money in another currency is not taken as pounds.
    notices = ocds.read_notices(
        b'{"releases": [{"ocid": "ocds-abc123-1", "id": "1", "date": "2026-01-01T00:00:00Z", "tag": ["tender"],'
        b' "tender": {"title": "Euro tender", "value": {"amount": 1000, "currency": "EUR"}}}]}',
        "euro.json",
    )
    assert notices[0].value is None and "EUR" in notices[0].warnings[0]
    assert notices[0].source is TenderSource.BUYER_PORTAL
