"""The demo federation's insurance and indemnity tell the story the demo promises: a gap between renewals, a policy
about to run out, certificates to open, and clinicians' covers in every state."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from federation_desk.db.session import Database
from federation_desk.domain.indemnity import PolicyType
from federation_desk.services import documents as docs
from federation_desk.services import indemnity as ind
from federation_desk.services.demo_indemnity import certificate_pdf, policy_year_start
from tests.conftest import FIXED_TODAY


def test_demo_has_a_gap_an_expiring_policy_and_certificates(demo_db: Database) -> None:
    today = FIXED_TODAY
    with demo_db.session() as s:
        gaps = ind.find_gaps(s, today - timedelta(days=365), today + timedelta(days=365))
        renewals = ind.renewal_calendar(s, today)
        schedule = ind.insurance_schedule(s, today)
        practices = ind.insurance_schedule(s, today, all_holders=True)
        card = ind.indemnity_card(s, today)
        clinicians = ind.list_clinician_cover(s, today)
        held = ind.policy_held_throughout(
            s, None, PolicyType.PUBLIC_LIABILITY, Decimal(10_000_000), date(2025, 4, 1), today
        )
        certificate = docs.document_bytes(s, schedule[0].certificate_document_id)  # type: ignore[arg-type]
    assert [(g.holder, g.policy_type, g.start, g.end) for g in gaps] == [
        ("Northdale Health Federation", PolicyType.PUBLIC_LIABILITY, date(2026, 4, 1), date(2026, 4, 14))
    ]
    assert not held.ok and held.gaps == [(date(2026, 4, 1), date(2026, 4, 14))]
    soon = [r for r in renewals if r.kind == ind.POLICY_KIND and 0 <= r.days_left <= 30 and not r.renewal_recorded]
    assert {(r.holder, r.what, r.days_left) for r in soon} >= {("Northdale Health Federation", "Cyber", 20)}
    assert any(r.days_left == 12 and r.holder != "Northdale Health Federation" for r in soon)
    assert {r.policy_type for r in schedule} == set(PolicyType)  # EL, PL, PI, CNST, cyber, D&O
    assert all(r.certificate_filename and r.certificate_filename.endswith(".pdf") for r in schedule)
    assert certificate[1] == "application/pdf" and certificate[2].startswith(b"%PDF-")
    employers = {r.holder_practice_id for r in practices if r.policy_type is PolicyType.EMPLOYERS_LIABILITY}
    assert len(employers) == 13  # the federation and all 12 practices
    assert card is not None and card.severity.value == "warning" and "within 30 days" in card.headline
    assert any("employers' liability and public liability end" in d for d in card.details)  # one line per holder
    statuses = {c.status for c in clinicians}
    assert statuses >= {ind.CoverStatus.VALID, ind.CoverStatus.EXPIRING, ind.CoverStatus.EXPIRED}
    assert any(c.cover is not None and c.cover.certificate_document_id for c in clinicians)
    assert any(c.name == "Siobhán Ní Bhriain" for c in clinicians)


def test_policy_year_start_and_certificate_text() -> None:
    assert policy_year_start(date(2026, 11, 22)) == date(2026, 4, 1)
    assert policy_year_start(date(2026, 3, 31)) == date(2025, 4, 1)
    assert policy_year_start(date(2026, 4, 1)) == date(2026, 4, 1)
    pdf = certificate_pdf(["Certificate (EL)", "Limit: £10,000,000"])
    from io import BytesIO

    from pypdf import PdfReader

    text = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert "Certificate (EL)" in text and "£10,000,000" in text
