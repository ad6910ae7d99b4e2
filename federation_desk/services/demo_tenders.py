"""Demo tenders (step 60): a pipeline at every stage, one complete bid ready for its bid pack, a content library
(two answers past their review date), clarifications, tasks, a documents checklist with evidence PDFs, bid/no-bid
scores, pricing, and outcomes with lessons learned. Dates are relative to the demo's "today".
"""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation_desk.domain.tenders import (
    BidDecision,
    BidScore,
    Buyer,
    Clarification,
    CountRule,
    CriterionKind,
    DocumentCategory,
    EvaluationCriterion,
    KeyDateKind,
    LibraryAnswer,
    OutcomeResult,
    PriceLine,
    ProcurementProcess,
    QuestionStatus,
    RequiredDocument,
    Tender,
    TenderKeyDate,
    TenderLink,
    TenderLot,
    TenderOutcome,
    TenderQuestion,
    TenderSource,
    TenderStatus,
    TenderTask,
)
from federation_desk.services.demo import SPECIAL_NAMES, DemoContext, demo_step
from federation_desk.services.documents import store_document
from federation_desk.services.tenders import (
    add_standard_checklist,
    count_answer,
    default_bid_criteria,
    save_answer,
)

COMPLETE_BID_TITLE = "Same Day Urgent Care and Enhanced Access Hub – Northdale"
OWNERS = ("Priya Shah", "Łukasz Wiśniewski", "Siobhán Ní Bhriain", "Tom Hughes", "Alex <b> O'Neil & Sons")


def complete_bid_reference(session: Session) -> str:
    """The reference of the demo's complete bid (the one the demo bid pack is built from)."""
    reference = session.scalar(select(Tender.reference).where(Tender.title == COMPLETE_BID_TITLE))
    if reference is None:
        raise LookupError("The demo's complete bid is not in this database.")
    return reference


# ---- small PDFs for the evidence (demo only; written by hand so services need no report code) -----------------


def simple_pdf(title: str, paragraphs: list[str], pages: int = 1) -> bytes:
    """A plain A4 PDF with a title and wrapped lines of text on each page (Helvetica, WinAnsi)."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    lines: list[str] = []
    for paragraph in paragraphs:
        words, line = paragraph.split(), ""
        for word in words:
            if len(line) + len(word) + 1 > 88:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines += [line, ""]
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    font = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids = []
    for page in range(pages):
        body = [
            "BT",
            "/F1 16 Tf",
            "72 770 Td",
            f"({esc(title)}) Tj",
            "/F1 10 Tf",
            "0 -14 Td",
            f"(Page {page + 1} of {pages}) Tj",
            "0 -10 Td",
        ]
        for text in lines[:52]:
            body += ["0 -13 Td", f"({esc(text)}) Tj"]
        body.append("ET")
        stream = "\n".join(body).encode("cp1252", errors="replace")
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
        content = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font} 0 R >> >> "
            f"/Contents {content} 0 R >>".encode()
        )
        kids.append(len(objects))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
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


# ---- the content library ------------------------------------------------------------------------------------

LIBRARY: list[tuple[str, str, str, int]] = [
    # (title, tags, body, months since last review)
    (
        "Who we are",
        "organisation, overview",
        "Northdale Health Federation is a GP-led company owned by its member practices. We hold the NHS contracts our "
        "practices choose to deliver together, employ the shared clinical and additional roles workforce on behalf "
        "of our primary care networks, and run the Enhanced Access hubs across the district.\nOur board of GP and "
        "practice manager directors meets monthly; a clinical director leads quality and safety, supported by a "
        "governance committee that reviews every incident, complaint and audit.",
        3,
    ),
    (
        "Safeguarding <b>adults</b> & children",
        "safeguarding, cqc, quality",
        "Every clinician completes level 3 safeguarding children and adults training, refreshed every three years, "
        "and every non-clinical colleague level 1 or 2 by role. Our named safeguarding GP leads a monthly case review "
        "and links with the local safeguarding partnerships.\nConcerns raised in a hub are recorded on the patient's "
        "own practice record the same day, so the registered practice sees them next morning. We audit safeguarding "
        "coding quarterly and report the results to the governance committee.",
        16,
    ),
    (
        "Mobilisation plan",
        "mobilisation, workforce, it",
        "We mobilise in twelve weeks from award. Weeks 1-4: contract signature, TUPE consultation where it applies, "
        "recruitment of the hub lead and rota build from our existing sessional pool. Weeks 5-8: clinical system "
        "set-up with shared care record access, information governance agreements with each practice, and "
        "induction. Weeks 9-12: dry runs on two evenings, booking live in every practice, and go-live.\nA "
        "mobilisation board meets weekly with the commissioner and tracks risks, issues and dependencies.",
        5,
    ),
    (
        "Workforce and clinical governance",
        "workforce, governance, cqc",
        "Every shift is staffed from our own employed and sessional clinicians, who are checked before each session: "
        "professional registration, DBS, indemnity and mandatory training must be in date on the day or the "
        "booking is refused. Our compliance records are kept in one system across all member practices.\nClinical "
        "supervision is provided on every shift by a named GP. New starters complete a two-session induction and "
        "a supervised first shift.",
        2,
    ),
    (
        "Social value commitments",
        "social value, net zero",
        "We recruit locally first: 80% of our hub staff live within the district. We offer two paid apprenticeships "
        "each year and placements for local college health and social care students. We pay the real Living Wage.\n"
        "Our carbon reduction plan commits us to net zero for our own emissions by 2035; hubs use the practices' "
        "existing estate, and staff travel is reduced by remote triage for the first contact.",
        14,
    ),
    (
        "Patient access and inequalities",
        "access, inequalities",
        "Appointments are bookable through every practice, NHS 111 and the NHS App. We hold back a share of "
        "appointments for patients identified by practices as needing continuity or an interpreter, and we run the "
        "hubs in the two neighbourhoods with the highest deprivation scores.\nWe monitor uptake by age, ethnicity "
        "and deprivation quintile each quarter and act on the gaps we find.",
        4,
    ),
    (
        "Information governance",
        "information governance, dspt, it",
        "We meet the standards of the Data Security and Protection Toolkit each year. Hubs work on the registered "
        "practice's clinical system under data processing agreements with every practice, and every colleague "
        "completes data security awareness training annually.",
        6,
    ),
    (
        "Business continuity",
        "business continuity, resilience",
        "Our business continuity plan covers loss of premises, IT, staff and utilities. Each hub has a named "
        "fallback site at a member practice; clinical systems are accessible from any practice; and our sessional "
        "pool lets us replace a clinician at short notice. We test the plan twice a year.",
        8,
    ),
]


def _library(ctx: DemoContext) -> dict[str, LibraryAnswer]:
    rows: dict[str, LibraryAnswer] = {}
    for i, (title, tags, body, months) in enumerate(LIBRARY):
        row = LibraryAnswer(
            title=title,
            body=body,
            tags=tags,
            owner=OWNERS[i % len(OWNERS)],
            last_reviewed_on=ctx.today - timedelta(days=months * 30),
            review_interval_months=12,
        )
        ctx.session.add(row)
        rows[title] = row
    ctx.session.flush()
    return rows


# ---- tenders ------------------------------------------------------------------------------------------------


def _buyer(s: Session, name: str, kind: str, scheme: str, identifier: str, contact: str, email: str) -> Buyer:
    buyer = Buyer(
        name=name, kind=kind, identifier_scheme=scheme, identifier=identifier, contact_name=contact, contact_email=email
    )
    s.add(buyer)
    s.flush()
    return buyer


def _process(s: Session, code: str) -> ProcurementProcess | None:
    return s.scalar(select(ProcurementProcess).where(ProcurementProcess.code == code))


def _tender(s: Session, ref: str, title: str, status: TenderStatus, buyer: Buyer, process: str, **kw: Any) -> Tender:
    proc = _process(s, process)
    tender = Tender(
        reference=ref,
        title=title,
        buyer_id=buyer.id,
        status=status,
        process_id=proc.id if proc else None,
        regime=proc.regime if proc else None,
        **kw,
    )
    s.add(tender)
    s.flush()
    return tender


def _dates(s: Session, tender: Tender, *items: tuple[KeyDateKind, date, time | None]) -> None:
    for kind, on, at in items:
        s.add(TenderKeyDate(tender_id=tender.id, kind=kind, on_date=on, at_time=at))


def _criteria(s: Session, tender: Tender, *items: tuple[CriterionKind, str, int]) -> None:
    for order, (kind, name, weight) in enumerate(items):
        s.add(
            EvaluationCriterion(
                tender_id=tender.id, kind=kind, name=name, weight=Decimal(weight), sort_order=(order + 1) * 10
            )
        )


def _scores(s: Session, tender: Tender, scores: list[int | None]) -> None:
    for order, (item, score) in enumerate(zip(default_bid_criteria(), scores)):
        s.add(
            BidScore(
                tender_id=tender.id,
                criterion=item["criterion"],
                guidance=item["guidance"],
                weight=item["weight"],
                score=score,
                sort_order=(order + 1) * 10,
            )
        )


def _question(
    s: Session,
    tender: Tender,
    number: str,
    text: str,
    limit: int | None,
    weight: int | None,
    owner: str,
    due: date | None,
    rule: CountRule = CountRule.WORDS,
) -> TenderQuestion:
    q = TenderQuestion(
        tender_id=tender.id,
        number=number,
        text=text,
        answer_limit=limit,
        count_rule=rule,
        weighting=Decimal(weight) if weight is not None else None,
        owner=owner,
        due_on=due,
        sort_order=int("".join(ch for ch in number if ch.isdigit()) or 0) * 10,
    )
    s.add(q)
    s.flush()
    return q


def _answer(
    s: Session,
    q: TenderQuestion,
    text: str,
    status: QuestionStatus,
    library: LibraryAnswer | None = None,
    drafts: int = 1,
) -> None:
    """Save an answer through the service (so it has its revision history), with earlier drafts first."""
    words = text.split()
    for i in range(drafts - 1, 0, -1):
        draft = " ".join(words[: max(10, len(words) * (drafts - i) // drafts)])
        save_answer(s, q.id, draft, q.version, QuestionStatus.DRAFTING, library.id if library else None)
        s.refresh(q)
    save_answer(s, q.id, text, q.version, status, library.id if library else None)
    s.refresh(q)


def _evidence(s: Session, tender: Tender, today: date) -> None:
    """Attach evidence PDFs to the standard checklist, every one valid on the submission date."""
    add_standard_checklist(s, tender.id)
    lines = s.scalars(select(RequiredDocument).where(RequiredDocument.tender_id == tender.id)).all()
    for line in lines:
        if line.insurance_type:
            continue  # met by the insurance schedule and its certificates
        if line.category is DocumentCategory.ACCOUNTS:
            pdf = simple_pdf(
                "Northdale Health Federation Ltd: audited accounts",
                [
                    "Statement of financial position and income statement for the years ended 31 March 2025 and 2026.",
                    "Turnover £6.8m (2025: £5.9m). Reserves £0.74m. Auditor's opinion: unqualified.",
                ],
                pages=3,
            )
            valid_to = None
        elif line.category is DocumentCategory.POLICY:
            pdf = simple_pdf(
                line.name,
                [
                    f"{line.name} of Northdale Health Federation.",
                    "Approved by the board. Reviewed annually by the governance committee.",
                ],
                pages=2,
            )
            valid_to = today + timedelta(days=200)
            line.reference = "Version 4.2"
        else:
            pdf = simple_pdf(line.name, [f"{line.name} for Northdale Health Federation Ltd (company 09876543)."])
            valid_to = today + timedelta(days=330) if line.category is DocumentCategory.CERTIFICATE else None
        doc_id, _c = store_document(
            s, f"{line.name}.pdf".replace("'", ""), pdf, attach_to=("required_document", line.id), purpose=line.name
        )
        line.document_id, line.expires_on = doc_id, valid_to
        line.valid_from = today - timedelta(days=90)
    s.flush()


ANSWERS = {
    "1": ("Mobilisation plan", "Mobilisation plan"),
    "2": ("Workforce and clinical governance", None),
    "3": ("Patient access and inequalities", None),
    "4": ("Safeguarding <b>adults</b> & children", None),
    "5": ("Social value commitments", None),
    "6": ("Information governance", None),
}


def _logo(ctx: DemoContext) -> None:
    """Give the demo federation a logo for the bid pack's cover (the app's own mark), if it has none."""
    from federation_desk.domain.organisation import Federation
    from federation_desk.paths import resource

    federation = ctx.session.get(Federation, ctx.federation_id) if ctx.federation_id else None
    if federation is None or federation.logo_document_id is not None:
        return
    data = resource("icons", "app.png").read_bytes()
    federation.logo_document_id, _c = store_document(
        ctx.session,
        "Northdale Health Federation logo.png",
        data,
        attach_to=("federation", federation.id),
        purpose="logo",
    )


@demo_step(60, "tenders")
def make_tenders(ctx: DemoContext) -> None:
    s, today = ctx.session, ctx.today
    year = today.year
    _logo(ctx)
    owners = [f"{given} {family}" for given, family in SPECIAL_NAMES[:2]] + ["Priya Shah", "Tom Hughes"]
    library = _library(ctx)
    icb = _buyer(
        s,
        "NHS West Yorkshire Integrated Care Board",
        "Integrated care board",
        "GB-PPON",
        "PQWX-7213-RTNM",
        "Siân O'Donnell",
        "wy.procurement@nhs.net",
    )
    place = _buyer(
        s,
        "NHS Bradford District and Craven Place",
        "ICB place",
        "GB-PPON",
        "PRTY-3322-KLMN",
        "Procurement team",
        "bdc.procurement@nhs.net",
    )
    council = _buyer(
        s,
        "City of Bradford Metropolitan District Council",
        "Local authority",
        "GB-GOR",
        "LA0213",
        "Commissioning Team",
        "commissioning@bradford.gov.uk",
    )
    trust = _buyer(
        s,
        "Airedale NHS Foundation Trust",
        "NHS foundation trust",
        "GB-PPON",
        "PKLM-1188-QRST",
        "Contracts office",
        "contracts@anhst.nhs.uk",
    )

    def ref(n: int) -> str:
        return f"T-{year}-{n:03d}"

    # 1. Won last year: the Enhanced Access contract the contracts module reports on.
    won = _tender(
        s,
        f"T-{year - 1}-004",
        "Enhanced Access hub services for Northdale Central and Aire Valley PCNs",
        TenderStatus.AWARDED,
        icb,
        "psr_competitive",
        source=TenderSource.FIND_A_TENDER,
        estimated_value=Decimal("3100000"),
        term_months=36,
        extension_count=2,
        extension_months=12,
        owner=owners[0],
        status_changed_on=today - timedelta(days=240),
        bid_decision=BidDecision.BID,
        bid_decision_reason="Core federation service; we already run both hubs.",
        bid_decision_on=today - timedelta(days=420),
    )
    _dates(
        s,
        won,
        (KeyDateKind.SUBMISSION_DEADLINE, today - timedelta(days=330), time(12, 0)),
        (KeyDateKind.AWARD_NOTICE, today - timedelta(days=262), None),
        (KeyDateKind.CONTRACT_START, today - timedelta(days=230), None),
    )
    _criteria(
        s,
        won,
        (CriterionKind.QUALITY, "Quality and innovation", 40),
        (CriterionKind.PRICE, "Value", 20),
        (CriterionKind.OTHER, "Integration, collaboration and service sustainability", 15),
        (CriterionKind.OTHER, "Improving access, reducing health inequalities and facilitating choice", 15),
        (CriterionKind.SOCIAL_VALUE, "Social value", 10),
    )
    s.add(
        TenderOutcome(
            tender_id=won.id,
            result=OutcomeResult.WON,
            notified_on=today - timedelta(days=262),
            our_quality_score=Decimal("71.5"),
            our_price_score=Decimal("18"),
            our_total_score=Decimal("89.5"),
            winner_total_score=Decimal("89.5"),
            winner="Northdale Health Federation Ltd",
            contract_value=Decimal("3050000"),
            feedback="Strong mobilisation plan and workforce model. Social value commitments were "
            "generic: make them measurable next time.",
            lessons="Quantify social value (apprenticeships, local hires). Start the pricing model two "
            "weeks earlier; the finance sign-off was rushed.",
        )
    )
    # 2. The complete bid, due in ten days.
    bid = _tender(
        s,
        ref(7),
        COMPLETE_BID_TITLE,
        TenderStatus.TENDER,
        icb,
        "pa23_competitive_flexible",
        source=TenderSource.FIND_A_TENDER,
        buyer_reference="WYICB-PC-0412",
        description="Same day urgent care and Enhanced Access hub for the registered population of "
        "Northdale PCN (c. 74,000 patients), weekday evenings and Saturdays.",
        estimated_value=Decimal("2520000"),
        term_months=36,
        extension_count=2,
        extension_months=12,
        owner=owners[1],
        status_changed_on=today - timedelta(days=30),
        cpv_codes="85121100",
        ocid="ocds-h6vhtk-05a1f3",
        notice_id="041873-2026",
        notice_url="https://www.find-tender.service.gov.uk/Notice/041873-2026",
        bid_decision=BidDecision.BID,
        bid_decision_reason="Fits our strategy; we run the current hub.",
        bid_decision_on=today - timedelta(days=40),
        bid_decided_by=owners[2],
    )
    _dates(
        s,
        bid,
        (KeyDateKind.CLARIFICATION_DEADLINE, today + timedelta(days=3), time(17, 0)),
        (KeyDateKind.SUBMISSION_DEADLINE, today + timedelta(days=10), time(12, 0)),
        (KeyDateKind.PRESENTATION, today + timedelta(days=24), time(10, 30)),
        (KeyDateKind.CONTRACT_START, today + timedelta(days=160), None),
    )
    s.add(TenderLot(tender_id=bid.id, number="1", title="Northdale hub", estimated_value=Decimal("2520000")))
    _criteria(
        s,
        bid,
        (CriterionKind.QUALITY, "Service model and mobilisation", 30),
        (CriterionKind.QUALITY, "Workforce & <clinical> governance", 20),
        (CriterionKind.SOCIAL_VALUE, "Social value", 10),
        (CriterionKind.PRICE, "Price", 40),
    )
    _scores(s, bid, [4, 4, 5, 3, 4, 3, 3])
    texts = {
        "1": "Describe how you will mobilise the service safely by the contract start date, including workforce, IT "
        "and estates, and how you will manage the risks.",
        "2": "Describe your workforce model and clinical governance arrangements, including how you assure that every "
        "clinician's registration, DBS check, indemnity and training are valid on the day they work.",
        "3": "How will the service improve access and reduce health inequalities for the population served?",
        "4": "Describe your safeguarding arrangements for children and adults at risk.",
        "5": "Set out your social value commitments, with measures you will report each year.",
        "6": "Describe how you will meet information governance requirements, including the Data Security and "
        "Protection Toolkit. (Character limit.)",
    }
    limits = {"1": (750, 20), "2": (750, 20), "3": (500, 15), "4": (500, 10), "5": (500, 10), "6": (1500, 5)}
    for number, (title, _lib) in ANSWERS.items():
        limit, weight = limits[number]
        rule = CountRule.CHARACTERS if number == "6" else CountRule.WORDS
        q = _question(
            s,
            bid,
            number,
            texts[number],
            limit,
            weight,
            owners[int(number) % len(owners)],
            today + timedelta(days=5),
            rule,
        )
        body = library[title].body
        extra = (
            "\n\nIn our current hub contract we have delivered 98.7% of commissioned appointments over the last "
            "twelve months, with 94% of patients rating their experience as good or very good."
            if rule is CountRule.WORDS
            else ""
        )
        if number == "4":
            extra += (
                "\n\nOur safeguarding lead, Siobhán Ní Bhriain, reports to the board <b>monthly</b> & on request; "
                "Łukasz Wiśniewski audits the hub records."
            )
        text = body + extra
        assert count_answer(text, rule) <= limit
        _answer(s, q, text, QuestionStatus.FINAL, library[title], drafts=2 if number in ("1", "2") else 1)
    s.add_all(
        [
            PriceLine(
                tender_id=bid.id,
                item="GP sessions (4 hours 10 minutes)",
                unit="session",
                quantity=Decimal(1040),
                unit_price=Decimal("620.00"),
                sort_order=10,
            ),
            PriceLine(
                tender_id=bid.id,
                item="Advanced nurse practitioner sessions",
                unit="session",
                quantity=Decimal(780),
                unit_price=Decimal("390.00"),
                sort_order=20,
            ),
            PriceLine(
                tender_id=bid.id,
                item="Reception and administration",
                unit="hour",
                quantity=Decimal(5200),
                unit_price=Decimal("15.20"),
                sort_order=30,
            ),
            PriceLine(
                tender_id=bid.id,
                item="Hub management and clinical governance",
                unit="year",
                quantity=Decimal(1),
                unit_price=Decimal("68500.00"),
                sort_order=40,
            ),
            PriceLine(
                tender_id=bid.id,
                item="Mobilisation (one-off)",
                unit="lump sum",
                quantity=Decimal(1),
                unit_price=Decimal("24000.00"),
                sort_order=50,
            ),
        ]
    )
    s.add_all(
        [
            Clarification(
                tender_id=bid.id,
                number="CQ1",
                raised_by_us=True,
                asked_on=today - timedelta(days=18),
                answered_on=today - timedelta(days=14),
                question="Is the Saturday service expected at both hub sites or one?",
                answer="One site per PCN on Saturdays; either site on weekday evenings.",
            ),
            Clarification(
                tender_id=bid.id,
                number="CQ2",
                raised_by_us=False,
                asked_on=today - timedelta(days=9),
                answered_on=today - timedelta(days=6),
                question="Will TUPE apply to the current hub reception staff?",
                answer="Yes: TUPE information is in the data room, folder 4.",
            ),
        ]
    )
    s.add_all(
        [
            TenderTask(
                tender_id=bid.id,
                title="Finance sign-off of the pricing schedule",
                owner=owners[2],
                due_on=today + timedelta(days=5),
            ),
            TenderTask(
                tender_id=bid.id, title="Board approval to submit", owner=owners[3], due_on=today + timedelta(days=8)
            ),
            TenderTask(
                tender_id=bid.id,
                title="Upload the bid pack to the portal",
                owner=owners[1],
                due_on=today + timedelta(days=9),
            ),
            TenderTask(
                tender_id=bid.id,
                title="Collect CVs of the hub leads",
                owner=owners[0],
                due_on=today - timedelta(days=3),
                done=True,
                done_on=today - timedelta(days=4),
            ),
        ]
    )
    s.add(
        TenderLink(
            tender_id=bid.id,
            ocds_id="041873-2026",
            title="Tender notice",
            notice_type="UK4",
            document_type="tenderNotice",
            url="https://www.find-tender.service.gov.uk/Notice/041873-2026",
            from_notice=True,
        )
    )
    s.flush()
    _evidence(s, bid, today)

    # 3. In tender but not ready: pre-flight blockers to show.
    phleb = _tender(
        s,
        ref(6),
        "Community Phlebotomy Service",
        TenderStatus.TENDER,
        place,
        "psr_competitive",
        source=TenderSource.FIND_A_TENDER,
        estimated_value=Decimal("930000"),
        term_months=36,
        owner=owners[2],
        status_changed_on=today - timedelta(days=12),
        ocid="ocds-h6vhtk-05b27c",
        award_criteria_basis="Quality only (fixed price)",
        bid_decision=BidDecision.BID,
        bid_decision_reason="Uses our phlebotomy HCAs between practice clinics.",
        bid_decision_on=today - timedelta(days=15),
        bid_decided_by=owners[3],
    )
    _dates(
        s,
        phleb,
        (KeyDateKind.SUBMISSION_DEADLINE, today + timedelta(days=5), time(12, 0)),
        (KeyDateKind.CLARIFICATION_DEADLINE, today + timedelta(days=1), time(17, 0)),
    )
    _criteria(s, phleb, (CriterionKind.QUALITY, "Quality", 100))
    q1 = _question(
        s,
        phleb,
        "1",
        "Describe your service model, opening hours and sites.",
        500,
        40,
        owners[2],
        today + timedelta(days=2),
    )
    _answer(
        s,
        q1,
        "Clinics run at six member practices and two community venues, 08:00 to 18:00 on weekdays, "
        "with home visits for housebound patients booked through the practices.",
        QuestionStatus.IN_REVIEW,
    )
    q2 = _question(
        s,
        phleb,
        "2",
        "Describe your approach to quality and patient safety, including sample labelling and rejection rates.",
        100,
        30,
        owners[3],
        today + timedelta(days=2),
    )
    _answer(
        s,
        q2,
        (library["Workforce and clinical governance"].body + " ") * 2,
        QuestionStatus.DRAFTING,
        library["Workforce and clinical governance"],
    )
    _question(
        s,
        phleb,
        "3",
        "How will you work with practices and the laboratory to reduce repeat tests?",
        300,
        30,
        owners[0],
        today + timedelta(days=3),
    )
    add_standard_checklist(s, phleb.id)
    # 4. Bid/no-bid under way.
    social = _tender(
        s,
        ref(5),
        "Social Prescribing Link Workers – Keighley & Shipley",
        TenderStatus.BID_NO_BID,
        council,
        "pa23_below_threshold",
        source=TenderSource.CONTRACTS_FINDER,
        estimated_value=Decimal("180000"),
        term_months=24,
        owner=owners[3],
        status_changed_on=today - timedelta(days=4),
        award_criteria_basis="Rated criteria (quality and price)",
    )
    _dates(s, social, (KeyDateKind.SUBMISSION_DEADLINE, today + timedelta(days=19), time(17, 0)))
    _scores(s, social, [3, 2, 4, None, 2, None, None])
    # 5. Just identified.
    diabetes = _tender(
        s,
        ref(8),
        "Diabetes structured education (adults)",
        TenderStatus.IDENTIFIED,
        place,
        "psr_most_suitable_provider",
        source=TenderSource.DIRECT,
        estimated_value=Decimal("240000"),
        owner=owners[0],
        status_changed_on=today - timedelta(days=2),
        notes="Heard at the ICB primary care board; a most suitable provider process is likely.",
    )
    _dates(s, diabetes, (KeyDateKind.EXPRESSION_OF_INTEREST, today + timedelta(days=12), None))
    # 6. Qualification stage (selection questionnaire).
    care_homes = _tender(
        s,
        ref(3),
        "Enhanced health in care homes – ward rounds",
        TenderStatus.QUALIFICATION,
        trust,
        "pa23_competitive_flexible",
        source=TenderSource.BUYER_PORTAL,
        estimated_value=Decimal("610000"),
        term_months=24,
        extension_count=1,
        extension_months=12,
        owner=owners[1],
        status_changed_on=today - timedelta(days=21),
        portal_url="https://atamis-anhst.my.site.com/s/Welcome",
        bid_decision=BidDecision.BID,
        bid_decision_reason="Builds on the PCNs' care home DES work.",
        bid_decision_on=today - timedelta(days=25),
        bid_decided_by=owners[2],
    )
    _dates(s, care_homes, (KeyDateKind.EXPRESSION_OF_INTEREST, today + timedelta(days=6), time(12, 0)))
    s.add(
        TenderTask(
            tender_id=care_homes.id,
            title="Complete the Procurement Specific Questionnaire",
            owner=owners[1],
            due_on=today + timedelta(days=4),
        )
    )
    # 7. Submitted; award notice published: the standstill is running.
    winter = _tender(
        s,
        ref(2),
        "Winter access hub 2026/27",
        TenderStatus.SUBMITTED,
        icb,
        "psr_direct_award_c",
        source=TenderSource.FIND_A_TENDER,
        estimated_value=Decimal("420000"),
        term_months=6,
        owner=owners[3],
        status_changed_on=today - timedelta(days=25),
        bid_decision=BidDecision.BID,
        bid_decision_reason="Extension of the existing hub.",
        bid_decision_on=today - timedelta(days=60),
    )
    _dates(
        s,
        winter,
        (KeyDateKind.SUBMISSION_DEADLINE, today - timedelta(days=25), time(12, 0)),
        (KeyDateKind.AWARD_NOTICE, today - timedelta(days=2), None),
        (KeyDateKind.CONTRACT_START, today + timedelta(days=20), None),
    )
    # 8. Lost, with feedback.
    lost = _tender(
        s,
        f"T-{year - 1}-009",
        "Minor surgery and joint injections (locally commissioned service)",
        TenderStatus.LOST,
        place,
        "psr_competitive",
        source=TenderSource.FIND_A_TENDER,
        estimated_value=Decimal("350000"),
        term_months=36,
        owner=owners[2],
        status_changed_on=today - timedelta(days=95),
        bid_decision=BidDecision.BID,
        bid_decision_reason="Several practices already offer it.",
        bid_decision_on=today - timedelta(days=200),
    )
    _dates(s, lost, (KeyDateKind.SUBMISSION_DEADLINE, today - timedelta(days=160), time(12, 0)))
    s.add(
        TenderOutcome(
            tender_id=lost.id,
            result=OutcomeResult.LOST,
            notified_on=today - timedelta(days=95),
            our_quality_score=Decimal("48"),
            our_price_score=Decimal("30"),
            our_total_score=Decimal("78"),
            winner_total_score=Decimal("84.5"),
            winner="Airedale Community Services CIC",
            feedback="Pricing was competitive; the clinical audit plan lacked detail and the premises "
            "answer did not evidence infection control at every site.",
            lessons="Add site-by-site IPC audit results to the library. Ask the practices for evidence earlier.",
        )
    )
    # 9. No bid.
    sexual = _tender(
        s,
        ref(1),
        "Sexual health outreach in primary care",
        TenderStatus.WITHDRAWN,
        council,
        "pa23_open",
        source=TenderSource.CONTRACTS_FINDER,
        estimated_value=Decimal("95000"),
        owner=owners[0],
        status_changed_on=today - timedelta(days=50),
        bid_decision=BidDecision.NO_BID,
        bid_decision_reason="Below our minimum contract size and outside our clinical model.",
        bid_decision_on=today - timedelta(days=50),
        bid_decided_by=owners[3],
    )
    _scores(s, sexual, [1, 3, 2, 2, 1, 3, 4])
    s.flush()
    ctx.extras["tender_ids"] = [t.id for t in (won, bid, phleb, social, diabetes, care_homes, winter, lost, sexual)]
