"""Tenders service: pipeline rows and the interfaces, saving with validation and stale-edit checks, answers with
revision history and the portal's count rules, the content library, bid/no-bid, outcome, dashboard card."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import select

from federation_desk.db.session import Database
from federation_desk.domain.contracts import Contract, ReportingFrequency
from federation_desk.domain.documents import Document
from federation_desk.domain.tenders import (
    BidDecision,
    CountRule,
    CriterionKind,
    DocumentCategory,
    KeyDateKind,
    OutcomeResult,
    QuestionStatus,
    Regime,
    TenderSource,
    TenderStatus,
)
from federation_desk.errors import NotFound, StaleEditError, ValidationError
from federation_desk.services import tenders as ts
from federation_desk.services.audit import record_history

TODAY = date(2026, 11, 22)


def _tender(db: Database, reference: str = "T-2026-001", **kw: object) -> int:
    with db.unit_of_work() as s:
        ts.load_procurement_reference(s)
        buyer = ts.save_buyer(
            s, ts.BuyerForm(name="NHS West Yorkshire ICB", identifier_scheme="GB-PPON", identifier="PABC-1234-WXYZ")
        )
        form = ts.TenderForm(
            reference=reference,
            title=str(kw.get("title", "Same-day access hub for Łukasz & <b>friends</b>")),
            buyer_id=buyer.ids[0],
            source=TenderSource.FIND_A_TENDER,
            estimated_value="£1.2m",
            term_months="36",
            extension_count="2",
            extension_months="12",
        )
        changes = ts.save_tender(s, form, today=TODAY)
        return changes.ids[0]


# ---- counting as the portal does --------------------------------------------------------------------------


def test_counts_follow_the_rule_on_the_text_a_portal_receives() -> None:
    text = "  Our\u00a0service co-ordinates 24/7 care \u2013 safely.\r\n\r\n\u2022 Zoë\u200b's team\t \n"
    assert ts.portal_text(text) == "Our service co-ordinates 24/7 care \u2013 safely.\n\n\u2022 Zoë's team"
    assert ts.count_answer(text, CountRule.WORDS) == 8  # the dash and the bullet are not words
    assert ts.count_answer(text, CountRule.CHARACTERS) == len(
        "Our service co-ordinates 24/7 care \u2013 safely.\n\n\u2022 Zoë's team"
    )
    assert ts.count_answer(text, CountRule.CHARACTERS_NO_SPACES) == len(
        "Ourserviceco-ordinates24/7care\u2013safely.\u2022Zoë'steam"
    )
    # A decomposed é (e + combining accent) is one character once composed, as a portal stores it.
    assert ts.count_answer("Cafe\u0301", CountRule.CHARACTERS) == 4
    assert ts.count_answer("", CountRule.WORDS) == 0 and ts.count_answer(None, CountRule.CHARACTERS) == 0
    assert ts.count_label(501, 500, CountRule.WORDS) == "501 / 500 words"
    assert ts.over_limit(501, 500) and not ts.over_limit(500, 500) and not ts.over_limit(9999, None)


# ---- pipeline and interfaces -------------------------------------------------------------------------------


def test_list_and_find_tenders(database: Database) -> None:
    tid = _tender(database)
    with database.unit_of_work() as s:
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.SUBMISSION_DEADLINE, date(2026, 12, 15), "12:00"))
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.CLARIFICATION_DEADLINE, date(2026, 12, 1)))
        ts.save_question(s, tid, ts.QuestionForm("1", "Describe your model", "500"))
        ts.save_question(s, tid, ts.QuestionForm("2", "Social value", "250", status=QuestionStatus.FINAL))
    with database.session() as s:
        rows = ts.list_tenders(s, today=TODAY)
        row = ts.find_tender(s, "  t-2026-001 ")
    assert [r.reference for r in rows] == ["T-2026-001"]
    assert row.id == tid and row.status is TenderStatus.IDENTIFIED
    assert row.buyer_name == "NHS West Yorkshire ICB"
    assert (row.submission_deadline, row.submission_time) == (date(2026, 12, 15), time(12, 0))
    assert (row.next_deadline, row.next_deadline_label) == (date(2026, 12, 1), "Clarification deadline")
    assert (row.questions, row.questions_final) == (2, 1)
    assert row.estimated_value == Decimal("1200000.00")
    assert row.days_to_submission(TODAY) == 23
    with database.session() as s, pytest.raises(NotFound, match="T-9999"):
        ts.find_tender(s, "T-9999")


def test_save_tender_refuses_bad_input_and_changes_nothing(database: Database) -> None:
    _tender(database)
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        ts.save_tender(
            s,
            ts.TenderForm(reference="t-2026-001", title="", estimated_value="lots", term_months="three years"),
        )
    fields = {p.field for p in err.value.problems}
    assert {"title", "estimated_value", "term_months"} <= fields
    with pytest.raises(ValidationError, match="already used"), database.unit_of_work() as s:
        ts.save_tender(s, ts.TenderForm(reference="t-2026-001", title="Another"))
    with database.session() as s:
        assert len(ts.list_tenders(s)) == 1
        assert ts.next_reference(s, TODAY) == "T-2026-002"


def test_process_sets_the_regime_and_status_moves_are_versioned(database: Database) -> None:
    tid = _tender(database)
    with database.session() as s:
        process = next(p for p in ts.list_processes(s) if p.code == "psr_competitive")
        detail = ts.load_tender(s, tid)
    form = ts.TenderForm(reference=detail.reference, title=detail.title, process_id=process.id)
    with database.unit_of_work() as s:
        ts.save_tender(s, form, tid, detail.version, today=TODAY)
    with database.unit_of_work() as s:
        row = ts.get_tender_row(s, tid)
        assert row.regime is Regime.PSR
        ts.change_status(s, tid, row.version, TenderStatus.TENDER, TODAY)
    with pytest.raises(StaleEditError), database.unit_of_work() as s:
        ts.change_status(s, tid, row.version, TenderStatus.SUBMITTED, TODAY)  # the old version
    with database.session() as s:
        assert ts.get_tender_row(s, tid).status is TenderStatus.TENDER
        history = record_history(s, "tender", tid)
    assert any(h.field == "status" and h.new_value == "tender" for h in history)


def test_key_dates_compute_standstill_and_warn_about_non_working_days(database: Database) -> None:
    tid = _tender(database)
    with database.session() as s:
        process = next(p for p in ts.list_processes(s) if p.code == "pa23_open")
        detail = ts.load_tender(s, tid)
    with database.unit_of_work() as s:
        ts.save_tender(
            s, ts.TenderForm(reference=detail.reference, title=detail.title, process_id=process.id), tid, detail.version
        )
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.SUBMISSION_DEADLINE, date(2026, 12, 28), "noon"))
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.AWARD_NOTICE, date(2026, 11, 26)))
    with database.session() as s:
        detail = ts.load_tender(s, tid)
    submission = next(k for k in detail.key_dates if k.kind is KeyDateKind.SUBMISSION_DEADLINE)
    assert submission.at_time == time(12, 0) and submission.when == "28/12/2026 12:00"
    assert submission.warning and "is not a working day" in submission.warning
    assert any("Monday 28/12/2026" in w for w in detail.warnings)
    standstill = next(c for c in detail.computed_dates if c.title == "Standstill ends")
    assert standstill.on_date == date(2026, 12, 8)  # PA23, all-UK holidays: St Andrew's Day moves it
    with pytest.raises(ValidationError, match="not a time"), database.unit_of_work() as s:
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.PRESENTATION, date(2027, 1, 5), "half past"))


# ---- questions and answers ---------------------------------------------------------------------------------


def test_answers_keep_revisions_and_count_by_the_questions_rule(database: Database) -> None:
    tid = _tender(database)
    with database.unit_of_work() as s:
        ts.save_question(s, tid, ts.QuestionForm("Q1", "Mobilisation", "20", CountRule.CHARACTERS_NO_SPACES, "15"))
    with database.session() as s:
        q = ts.list_questions(s, tid)[0]
    assert (q.status, q.count, q.answer_limit, q.weighting) == (QuestionStatus.NOT_STARTED, 0, 20, Decimal("15"))
    with database.unit_of_work() as s:
        changes = ts.save_answer(s, q.id, "We mobilise in <b>six</b> weeks & keep staff.", q.version)
    assert "characters" in changes.message
    with database.session() as s:
        q = ts.list_questions(s, tid)[0]
    assert q.status is QuestionStatus.DRAFTING and q.answer == "We mobilise in <b>six</b> weeks & keep staff."
    assert q.count == len("Wemobilisein<b>six</b>weeks&keepstaff.") and q.is_over_limit
    with database.unit_of_work() as s:
        ts.save_answer(s, q.id, "Six weeks.", q.version, status=QuestionStatus.FINAL)
    with pytest.raises(StaleEditError), database.unit_of_work() as s:
        ts.save_answer(s, q.id, "A stale overwrite", q.version)
    with database.session() as s:
        revisions = ts.list_revisions(s, q.id)
        q = ts.list_questions(s, tid)[0]
    assert [r.revision for r in revisions] == [2, 1]
    assert revisions[0].text == "Six weeks." and revisions[0].count == 9 and revisions[0].saved_by == "tester"
    assert q.status is QuestionStatus.FINAL and not q.is_over_limit
    with database.unit_of_work() as s:  # saving the same text again adds no revision
        ts.save_answer(s, q.id, "Six weeks.", q.version)
    with database.session() as s:
        assert len(ts.list_revisions(s, q.id)) == 2


def test_question_validation(database: Database) -> None:
    tid = _tender(database)
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        ts.save_question(s, tid, ts.QuestionForm("", "", "five hundred", weighting="150"))
    assert {p.field for p in err.value.problems} >= {"number", "answer_limit", "weighting"}
    with database.unit_of_work() as s:
        ts.save_question(s, tid, ts.QuestionForm("1", "Text"))
    with pytest.raises(ValidationError, match="already has a question 1"), database.unit_of_work() as s:
        ts.save_question(s, tid, ts.QuestionForm("1", "Other"))


# ---- the content library -----------------------------------------------------------------------------------


def test_library_search_review_and_save_back(database: Database) -> None:
    tid = _tender(database)
    with database.unit_of_work() as s:
        ts.save_library_answer(
            s,
            ts.LibraryForm(
                "Safeguarding <b>adults</b> & children",
                "Our safeguarding lead ...",
                "Safeguarding, #CQC, ",
                "Zoë",
                date(2025, 1, 10),
                "12",
            ),
        )
        ts.save_library_answer(
            s,
            ts.LibraryForm(
                "Mobilisation plan", "We mobilise safely in six weeks.", "mobilisation", "", date(2026, 6, 1), "12"
            ),
        )
        ts.save_question(s, tid, ts.QuestionForm("3", "Describe mobilisation"))
    with database.session() as s:
        rows = ts.list_library(s)
        overdue = ts.library_past_review(s, TODAY)
        q = ts.list_questions(s, tid)[0]
    safeguarding = next(r for r in rows if r.title.startswith("Safeguarding"))
    assert safeguarding.tags == ("safeguarding", "cqc")
    assert [r.title for r in overdue] == ["Safeguarding <b>adults</b> & children"]
    assert safeguarding.review_text(TODAY) == "Review was due 10/01/2026"
    assert [r.title for r in ts.search_library(rows, "safely six")] == ["Mobilisation plan"]
    assert [r.title for r in ts.search_library(rows, "", ["CQC"])] == [safeguarding.title]
    assert ts.search_library(rows, "mobilisation", ["cqc"]) == []
    inserted = rows[0].id
    with database.unit_of_work() as s:
        ts.save_answer(s, q.id, "We mobilise in six weeks.", q.version, library_answer_id=inserted)
        ts.save_answer_to_library(s, q.id, "Mobilisation (short)", "mobilisation, short", TODAY)
    with database.session() as s:
        rows = ts.list_library(s)
    saved = next(r for r in rows if r.title == "Mobilisation (short)")
    assert saved.source_note == "T-2026-001 question 3" and saved.last_reviewed_on == TODAY
    assert next(r for r in rows if r.id == inserted).used_in == 1
    with pytest.raises(ValidationError, match="nothing to keep"), database.unit_of_work() as s:
        ts.save_answer_to_library(s, q.id, "Empty", "", TODAY, text="   ")


# ---- documents, bid/no-bid, pricing, outcome ---------------------------------------------------------------


def test_checklist_bid_no_bid_pricing_and_outcome(database: Database) -> None:
    tid = _tender(database)
    with database.unit_of_work() as s:
        ts.add_standard_checklist(s, tid)
        ts.add_standard_checklist(s, tid)  # adds nothing twice
        ts.ensure_bid_scores(s, tid)
        ts.save_price_line(s, tid, ts.PriceLineForm("GP session", "£650.00", "1,040", "session"))
        ts.save_price_line(s, tid, ts.PriceLineForm("Mobilisation", "12,500"))
        ts.save_criterion(s, tid, ts.CriterionForm(CriterionKind.QUALITY, "Quality", "60"))
        ts.save_criterion(s, tid, ts.CriterionForm(CriterionKind.PRICE, "Price", "30"))
    with database.session() as s:
        detail = ts.load_tender(s, tid)
    assert len(detail.documents) == len(ts.procurement_reference()["standard_checklist"]["items"])
    insurance = next(d for d in detail.documents if d.insurance_type == "public liability")
    assert insurance.category is DocumentCategory.INSURANCE and insurance.minimum_limit == Decimal("10000000.00")
    assert detail.pricing_total == Decimal("688500.00")
    assert any("add up to 90%" in w for w in detail.warnings)
    assert detail.term_text == "3 years + 2 × 1 year"
    scores = [ts.ScoreEntry(b.id, b.version, 4) for b in detail.bid_scores]
    with pytest.raises(ValidationError, match="reason"), database.unit_of_work() as s:
        ts.save_bid_assessment(s, tid, detail.version, scores, BidDecision.BID, "  ", TODAY)
    with database.unit_of_work() as s:
        ts.save_bid_assessment(s, tid, detail.version, scores, BidDecision.BID, "Fits our plan", TODAY)
    with database.session() as s:
        detail = ts.load_tender(s, tid)
    assert detail.bid_decision is BidDecision.BID and detail.bid_decided_by == "tester"
    assert detail.status is TenderStatus.QUALIFICATION
    assert ts.bid_percent(detail.bid_scores) == Decimal("80.0")
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        ts.save_price_line(s, tid, ts.PriceLineForm("Bad", "abc", "-1"))
    assert {p.field for p in err.value.problems} == {"unit_price"} or "quantity" in str(err.value)
    with database.unit_of_work() as s:
        ts.save_outcome(
            s,
            tid,
            ts.OutcomeForm(OutcomeResult.LOST, date(2027, 3, 1), "52.5", "28", "80.5", "84", "Other Ltd"),
            None,
            TODAY,
        )
    with database.session() as s:
        detail = ts.load_tender(s, tid)
    assert detail.status is TenderStatus.LOST and detail.outcome is not None
    assert detail.outcome.our_total_score == Decimal("80.5") and detail.outcome.winner == "Other Ltd"


def test_dashboard_card_lists_deadlines_in_the_next_14_days(database: Database) -> None:
    tid = _tender(database)
    with database.session() as s:
        assert ts.tenders_card(s, TODAY).headline == "No tender deadlines in the next 14 days"  # type: ignore[union-attr]
    with database.unit_of_work() as s:
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.CLARIFICATION_DEADLINE, date(2026, 11, 24)))
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.SUBMISSION_DEADLINE, date(2026, 12, 20)))
        ts.save_task(s, tid, ts.TaskForm("Sign the form of tender", "Priya", date(2026, 12, 1)))
    with database.session() as s:
        card = ts.tenders_card(s, TODAY)
    assert card is not None and card.headline == "2 deadlines in the next 14 days"
    assert card.details[0].startswith("T-2026-001 Clarification deadline in 2 days (24/11/2026)")
    assert "task: Sign the form of tender" in card.details[1]
    assert card.severity.value == "danger" and card.page == "tenders"


def test_deleting_a_tender_removes_its_parts_and_keeps_their_history(database: Database) -> None:
    tid = _tender(database)
    with database.unit_of_work() as s:
        ts.save_question(s, tid, ts.QuestionForm("1", "Question"))
        q = ts.list_questions(s, tid)[0]
        ts.save_answer(s, q.id, "An answer.", q.version)
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.SUBMISSION_DEADLINE, date(2027, 1, 5)))
        ts.add_standard_checklist(s, tid)
    with database.session() as s:
        version = ts.get_tender_row(s, tid).version
    with database.unit_of_work() as s:
        ts.delete_tender(s, tid, version)
    with database.session() as s:
        assert ts.list_tenders(s) == []
        history = record_history(s, "tender_question", q.id)
    assert any(h.action == "deleted" for h in history)


def test_count_tender_contents_names_what_deleting_takes_with_it(database: Database) -> None:
    tid = _tender(database, title="Enhanced Access hub service")
    with database.session() as s:
        empty = ts.count_tender_contents(s, tid)
    assert empty.parts == []
    assert empty.deletion_question == (
        "Delete tender T-2026-001 'Enhanced Access hub service'? It has no questions, dates or other records yet. "
        "This cannot be undone; the audit log keeps a record of what was deleted."
    )
    with database.unit_of_work() as s:
        for number in ("1", "2"):
            ts.save_question(s, tid, ts.QuestionForm(number, f"Question {number}"))
        ts.save_key_date(s, tid, ts.KeyDateForm(KeyDateKind.SUBMISSION_DEADLINE, date(2027, 1, 5)))
        ts.save_task(s, tid, ts.TaskForm("Sign the form of tender", "Priya", date(2026, 12, 1)))
        ts.save_price_line(s, tid, ts.PriceLineForm("GP session", "£650.00", "1,040", "session"))
        ts.save_price_line(s, tid, ts.PriceLineForm("Mobilisation", "12,500"))
    with database.unit_of_work() as s:
        other = ts.save_tender(s, ts.TenderForm(reference="T-2026-002", title="Another"), today=TODAY).ids[0]
        ts.save_question(s, other, ts.QuestionForm("1", "Not counted for the first tender"))
    with database.session() as s:
        contents = ts.count_tender_contents(s, tid)
        version = ts.get_tender_row(s, tid).version
    assert (contents.questions, contents.key_dates, contents.tasks, contents.price_lines) == (2, 1, 1, 2)
    assert contents.version == version and contents.clarifications == 0 and not contents.outcome
    assert contents.deletion_question == (
        "Delete tender T-2026-001 'Enhanced Access hub service'? Its 2 questions and answers, 1 key date, 1 task "
        "and 2 price lines will be deleted too. This cannot be undone; the audit log keeps a record of what was "
        "deleted."
    )
    # Evidence files are not deleted with the checklist: the question says so.
    with database.unit_of_work() as s:
        ts.add_standard_checklist(s, tid)
        line = ts.list_required_documents(s, tid)[0]
        ts.attach_evidence(s, line.id, line.version, "policy.pdf", b"%PDF-1.4\n%%EOF\n")
    with database.session() as s:
        contents = ts.count_tender_contents(s, tid)
        document_id = ts.list_required_documents(s, tid)[0].document_id
    assert contents.checklist > 1 and contents.evidence_files == 1
    assert f"{contents.checklist} documents checklist lines" in contents.deletion_question
    assert "The file attached as evidence stays in the document store." in contents.deletion_question
    # A contract won from it stays, its link cleared: the question says so too.
    with database.unit_of_work() as s:
        s.add(
            Contract(
                reference="C-2027-001",
                title="Enhanced Access hub",
                commissioner="NHS West Yorkshire ICB",
                start_date=date(2027, 4, 1),
                end_date=date(2030, 3, 31),
                reporting_frequency=ReportingFrequency.QUARTERLY,
                tender_id=tid,
            )
        )
    with database.session() as s:
        contents = ts.count_tender_contents(s, tid)
    assert contents.contracts == ("C-2027-001",)
    assert contents.deletion_question.endswith(
        "Contract C-2027-001 stays, no longer linked to this tender. This cannot be undone; the audit log keeps a "
        "record of what was deleted."
    )
    with database.unit_of_work() as s:
        ts.delete_tender(s, tid, version)
    with database.session() as s:
        assert s.get(Document, document_id) is not None
        assert s.scalar(select(Contract.tender_id).where(Contract.reference == "C-2027-001")) is None
    with pytest.raises(NotFound), database.session() as s:
        ts.count_tender_contents(s, tid)
