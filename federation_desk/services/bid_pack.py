"""What a bid pack needs, gathered in a few set-based queries, and the checks run before building it.

* :func:`compliance_matrix`: each requirement of the tender (every question, every line of the documents
  checklist) -> the answer or evidence that meets it -> whether that evidence is valid on the submission date.
* :func:`preflight`: every blocker (unanswered questions, answers over their limit, evidence expired or missing on
  the submission date, missing mandatory documents, attachments that cannot be read), each with where to fix it,
  and warnings that do not stop the build.
* :func:`gather_bid_pack`: the rows the report prints (organisation profile from live data, workforce compliance
  from the HR engine, insurance schedule from the indemnity module, answers, pricing, policies, evidence files).

The PDF itself is built by ``reports.bid_pack`` (services never import reports).
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from federation_desk.domain.documents import Document
from federation_desk.domain.organisation import CqcRating, Pcn, Practice
from federation_desk.domain.staff import Role, StaffMember
from federation_desk.domain.tenders import DocumentCategory, KeyDateKind, QuestionStatus
from federation_desk.errors import FederationDeskError
from federation_desk.services.dates import format_date
from federation_desk.services.dates import today as london_today
from federation_desk.services.money import format_money
from federation_desk.services.organisation import FederationRow, get_federation
from federation_desk.services.progress import NullProgress, Progress
from federation_desk.services.tenders import (
    LibraryRow,
    PriceLineRow,
    QuestionRow,
    RequiredDocumentRow,
    TenderDetail,
    find_tender,
    list_library,
    load_tender,
)

PDF = "application/pdf"
IMAGES = ("image/png", "image/jpeg")


@dataclass(frozen=True)
class Problem:
    """A blocker or a warning, with where to fix it (a tab of the tender page and the record's id)."""

    message: str
    tab: str  # overview, questions, documents ...
    target_id: int | None = None
    kind: str = ""


@dataclass(frozen=True)
class Preflight:
    tender_id: int
    reference: str
    submission_date: date | None
    blockers: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blockers


class BidPackBlocked(FederationDeskError):
    """The pre-flight check found blockers: nothing was built."""

    title = "The bid pack is not ready"

    def __init__(self, preflight: Preflight) -> None:
        self.preflight = preflight
        count = len(preflight.blockers)
        listed = "\n".join(f"- {b.message}" for b in preflight.blockers)
        super().__init__(
            f"The bid pack for {preflight.reference} was not built: {count} problem{'s' if count != 1 else ''} "
            f"must be fixed first.\n{listed}",
            "Fix each problem (the pre-flight list links to where), then build the bid pack again.",
        )


@dataclass(frozen=True)
class MatrixRow:
    requirement: str
    kind: str  # Question / Document / Insurance
    met_by: str
    status: str  # Valid / Final / Draft / Unanswered / Over limit / Missing / Expired / Not yet valid / Not held
    ok: bool
    detail: str
    tab: str
    target_id: int | None
    mandatory: bool = True


@dataclass(frozen=True)
class InsuranceLine:
    """A policy valid on the submission date (from the indemnity module's insurance schedule)."""

    holder: str
    type_label: str
    policy_type: str
    insurer: str
    policy_number: str
    limit: Decimal | None
    excess: Decimal | None
    start: date
    end: date
    certificate_document_id: int | None
    certificate_filename: str | None


@dataclass(frozen=True)
class EvidenceFile:
    """A file to append to the pack, with its bookmark title."""

    title: str
    filename: str
    media_type: str
    document_id: int
    data: bytes = field(repr=False)


# ---- insurance ----------------------------------------------------------------------------------------------


def insurance_lines(session: Session, on: date) -> list[InsuranceLine]:
    """The federation's policies valid on ``on`` (indemnity's ``insurance_schedule``)."""
    from federation_desk.services.indemnity import insurance_schedule

    return [
        InsuranceLine(
            p.holder_name,
            p.type_label,
            p.policy_type.value,
            p.insurer,
            p.policy_number,
            p.limit,
            p.excess,
            p.start,
            p.end,
            p.certificate_document_id,
            p.certificate_filename,
        )
        for p in insurance_schedule(session, on)
    ]


def _insurance_match(
    doc: RequiredDocumentRow, lines: list[InsuranceLine]
) -> tuple[InsuranceLine | None, InsuranceLine | None]:
    """(a policy that meets the line, the best policy of the right type that falls short)."""
    wanted = (doc.insurance_type or "").strip().casefold()
    of_type = [line for line in lines if line.policy_type.casefold() == wanted or line.type_label.casefold() == wanted]
    meets = [
        line
        for line in of_type
        if doc.minimum_limit is None or (line.limit is not None and line.limit >= doc.minimum_limit)
    ]
    best = max(meets, key=lambda line: line.limit or Decimal(0), default=None)
    short = max(of_type, key=lambda line: line.limit or Decimal(0), default=None) if best is None else None
    return best, short


# ---- the compliance matrix ----------------------------------------------------------------------------------


def _question_title(q: QuestionRow, limit: int = 90) -> str:
    text = " ".join(q.text.split())
    return f"{q.number}. {text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}"


def _document_state(doc: RequiredDocumentRow, on: date | None) -> tuple[str, bool, str]:
    if doc.document_id is None:
        return "Missing", False, "No file attached."
    if on is not None and doc.expires_on is not None and doc.expires_on < on:
        return "Expired", False, f"Expired {format_date(doc.expires_on)}, before the submission date."
    if on is not None and doc.valid_from is not None and doc.valid_from > on:
        return "Not yet valid", False, f"Valid only from {format_date(doc.valid_from)}."
    return "Valid", True, f"Valid until {format_date(doc.expires_on)}." if doc.expires_on else "No expiry date."


def compliance_matrix(
    session: Session, tender_id: int, detail: TenderDetail | None = None, lines: list[InsuranceLine] | None = None
) -> list[MatrixRow]:
    """Each requirement -> what meets it -> valid on the submission date?"""
    detail = detail or load_tender(session, tender_id)
    on = detail.submission_date
    if lines is None:
        lines = insurance_lines(session, on) if on is not None else []
    rows: list[MatrixRow] = []
    for q in detail.questions:
        if not q.is_answered:
            status, ok, text = "Unanswered", False, "No answer yet."
        elif q.is_over_limit:
            status, ok, text = (
                "Over limit",
                False,
                f"{q.count_text}: shorten it by {q.count - (q.answer_limit or 0):,}.",
            )
        else:
            status, ok = ("Final", True) if q.status is QuestionStatus.FINAL else ("Draft", True)
            text = q.count_text
        rows.append(
            MatrixRow(
                _question_title(q), "Question", "Answer" if q.is_answered else "", status, ok, text, "questions", q.id
            )
        )
    for doc in detail.documents:
        if doc.insurance_type:
            if on is None:
                rows.append(
                    MatrixRow(
                        doc.name,
                        "Insurance",
                        "",
                        "No submission date",
                        False,
                        "Add the submission deadline to check the insurance held on that day.",
                        "overview",
                        None,
                        doc.mandatory,
                    )
                )
                continue
            best, short = _insurance_match(doc, lines)
            need = f" of at least {format_money(doc.minimum_limit)}" if doc.minimum_limit is not None else ""
            if best is not None:
                rows.append(
                    MatrixRow(
                        doc.name,
                        "Insurance",
                        f"{best.insurer} policy {best.policy_number}",
                        "Valid",
                        True,
                        f"{best.type_label} {(best.limit and format_money(best.limit)) or 'cover'} until "
                        f"{format_date(best.end)}.",
                        "documents",
                        doc.id,
                        doc.mandatory,
                    )
                )
            else:
                reason = (
                    f"The {short.type_label.lower()} policy held on {format_date(on)} has a limit of "
                    f"{format_money(short.limit) if short.limit is not None else 'no stated amount'}, below the "
                    f"{format_money(doc.minimum_limit)} required."
                    if short is not None
                    else f"No {doc.insurance_type} policy{need} is valid on the submission date {format_date(on)}."
                )
                rows.append(
                    MatrixRow(doc.name, "Insurance", "", "Not held", False, reason, "documents", doc.id, doc.mandatory)
                )
            continue
        status, ok, text = _document_state(doc, on)
        rows.append(
            MatrixRow(doc.name, "Document", doc.filename or "", status, ok, text, "documents", doc.id, doc.mandatory)
        )
    return rows


# ---- pre-flight ---------------------------------------------------------------------------------------------


def _pdf_problem(data: bytes) -> tuple[int, str | None]:
    """(pages, why it cannot be appended or None)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return 0, "is password protected, so it cannot be appended"
        pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        return 0, f"cannot be read as a PDF ({type(exc).__name__}), so it cannot be appended"
    if pages == 0:
        return 0, "has no pages"
    return pages, None


def _image_ok(data: bytes) -> bool:
    from PIL import Image  # Pillow comes with ReportLab

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception:  # any decoder error means the picture cannot be printed
        return False
    return True


def preflight(session: Session, tender_id: int, today: date | None = None) -> Preflight:
    """Every blocker first, with a link to fix it; warnings that do not stop the build after."""
    detail = load_tender(session, tender_id)
    on = detail.submission_date
    blockers: list[Problem] = []
    warnings: list[Problem] = []
    if on is None:
        blockers.append(
            Problem(
                "There is no submission deadline: add it on the Overview tab (evidence is checked against that day).",
                "overview",
                None,
                "no submission date",
            )
        )
    lines = insurance_lines(session, on) if on is not None else []
    matrix = compliance_matrix(session, tender_id, detail, lines)
    questions = {q.id: q for q in detail.questions}
    for row in matrix:
        if row.ok:
            continue
        if row.kind == "Question":
            q = questions[row.target_id or 0]
            if row.status == "Unanswered":
                blockers.append(Problem(f"Question {q.number} has no answer.", "questions", q.id, "unanswered"))
            else:
                blockers.append(
                    Problem(
                        f"The answer to question {q.number} is over its limit: {q.count_text}.",
                        "questions",
                        q.id,
                        "over limit",
                    )
                )
        elif row.kind in ("Document", "Insurance") and on is not None:
            target = blockers if row.mandatory else warnings
            what = "Mandatory document" if row.mandatory else "Optional document"
            if row.status == "Missing":
                message = f"{what} '{row.requirement}' has no file attached."
            elif row.kind == "Insurance":
                message = f"'{row.requirement}': {row.detail}"
            else:
                message = f"{what} '{row.requirement}': {row.detail}"
            target.append(Problem(message, "documents", row.target_id, row.status.lower()))
    # Attachments that cannot be appended.
    docs = [d for d in detail.documents if d.document_id is not None and d.append_to_pack]
    media = {d.document_id: d.media_type for d in docs}
    pdf_ids = [i for i, m in media.items() if m == PDF]
    if pdf_ids:
        contents = dict(session.execute(select(Document.id, Document.content).where(Document.id.in_(pdf_ids))).all())
        for d in docs:
            if d.document_id in contents:
                _pages, problem = _pdf_problem(contents[d.document_id])
                if problem:
                    blockers.append(
                        Problem(f"'{d.filename}' (for '{d.name}') {problem}.", "documents", d.id, "unreadable")
                    )
    image_ids = [i for i, m in media.items() if m in IMAGES]
    if image_ids:
        contents = dict(session.execute(select(Document.id, Document.content).where(Document.id.in_(image_ids))).all())
        for d in docs:
            if d.document_id in contents and not _image_ok(contents[d.document_id]):
                blockers.append(
                    Problem(
                        f"'{d.filename}' (for '{d.name}') is a damaged image, so it cannot be appended.",
                        "documents",
                        d.id,
                        "unreadable",
                    )
                )
    for d in docs:
        if d.media_type not in (PDF, *IMAGES):
            warnings.append(
                Problem(
                    f"'{d.filename}' (for '{d.name}') is not a PDF or an image: it is listed in the pack but not "
                    "appended. Save it as PDF and attach that to include it.",
                    "documents",
                    d.id,
                    "not appended",
                )
            )
    # Answers drafted from library text that is past its review date, and answers not yet final.
    library = {r.id: r for r in list_library(session)} if any(q.library_answer_id for q in detail.questions) else {}
    check_day = today or on or london_today()
    for q in detail.questions:
        lib: LibraryRow | None = library.get(q.library_answer_id or 0)
        if lib is not None and lib.past_review(check_day):
            warnings.append(
                Problem(
                    f"Question {q.number} uses the library answer '{lib.title}', which is past its review date "
                    f"({lib.review_text(check_day).lower()}). Check it is still true.",
                    "questions",
                    q.id,
                    "library review",
                )
            )
        if q.is_answered and q.status is not QuestionStatus.FINAL:
            warnings.append(
                Problem(f"The answer to question {q.number} is not marked final.", "questions", q.id, "not final")
            )
    warnings.extend(Problem(w, "overview", None, "dates") for w in detail.warnings)
    return Preflight(detail.id, detail.reference, on, blockers, warnings)


def preflight_by_reference(session: Session, reference: str, today: date | None = None) -> Preflight:
    return preflight(session, find_tender(session, reference).id, today)


# ---- gathering ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeLine:
    ods_code: str
    name: str
    pcn: str | None
    list_size: int | None
    cqc_rating: CqcRating | None


@dataclass(frozen=True)
class WorkforceLine:
    role: str
    clinical: bool
    people: int
    fte: float


@dataclass(frozen=True)
class ComplianceLine:
    label: str
    compliant: int
    total: int
    percent: float


@dataclass(frozen=True)
class OrganisationProfile:
    federation: FederationRow | None
    practices: list[PracticeLine]
    pcns: int
    registered_population: int
    adjusted_population: int
    ratings: list[tuple[str, int]]
    workforce: list[WorkforceLine]

    @property
    def staff_total(self) -> int:
        return sum(w.people for w in self.workforce)


@dataclass(frozen=True)
class BidPackData:
    detail: TenderDetail
    submission_date: date
    submission_time: time | None
    produced_at: datetime
    produced_by: str
    profile: OrganisationProfile
    compliance: list[ComplianceLine] | None  # None: the HR module could not provide it
    compliance_note: str
    insurance: list[InsuranceLine]
    questions: list[QuestionRow]
    price_lines: list[PriceLineRow]
    policies: list[RequiredDocumentRow]
    evidence: list[EvidenceFile]
    not_appended: list[str]
    logo: bytes | None = field(default=None, repr=False)
    warnings: list[Problem] = field(default_factory=list)


def organisation_profile(session: Session, on: date) -> OrganisationProfile:
    federation = get_federation(session)
    practices = [
        PracticeLine(ods, name, pcn, size, rating)
        for ods, name, pcn, size, rating in session.execute(
            select(Practice.ods_code, Practice.name, Pcn.name, Practice.list_size, Practice.cqc_rating)
            .outerjoin(Pcn, Pcn.id == Practice.pcn_id)
            .where(Practice.active.is_(True))
            .order_by(Practice.name)
        ).all()
    ]
    pcns, registered, adjusted = session.execute(
        select(
            func.count(func.distinct(Practice.pcn_id)),
            func.coalesce(func.sum(Practice.list_size), 0),
            func.coalesce(func.sum(Practice.adjusted_population), 0),
        ).where(Practice.active.is_(True))
    ).one()
    ratings = Counter(p.cqc_rating.label if p.cqc_rating else "Not recorded" for p in practices)
    order = [r.label for r in CqcRating] + ["Not recorded"]
    in_post = or_(StaffMember.leave_date.is_(None), StaffMember.leave_date > on)
    started = or_(StaffMember.start_date.is_(None), StaffMember.start_date <= on)
    workforce = [
        WorkforceLine(name, bool(clinical), int(people), round(float(hours or 0) / 37.5, 1))
        for name, clinical, people, hours, _order in session.execute(
            select(
                Role.name,
                Role.is_clinical,
                func.count(StaffMember.id),
                func.sum(StaffMember.contracted_hours),
                Role.sort_order,
            )
            .join(Role, Role.id == StaffMember.role_id)
            .where(in_post, started)
            .group_by(Role.name, Role.is_clinical, Role.sort_order)
            .order_by(Role.sort_order, Role.name)
        ).all()
    ]
    return OrganisationProfile(
        federation,
        practices,
        int(pcns or 0),
        int(registered),
        int(adjusted),
        [(label, ratings[label]) for label in order if ratings.get(label)],
        workforce,
    )


def workforce_compliance(session: Session, on: date) -> tuple[list[ComplianceLine] | None, str]:
    """Compliance by role on ``on`` from the HR engine (``compliance_summary``)."""
    from federation_desk.services.compliance import compliance_summary

    rows = compliance_summary(session, on, "role")
    lines = [ComplianceLine(r.label, r.compliant, r.total, r.percent) for r in rows]
    compliant = sum(r.compliant for r in rows)
    total = sum(r.total for r in rows)
    overall = f"{100.0 * compliant / total:.1f}%" if total else "no staff"
    note = (
        f"People whose registration, DBS check, right to work, immunisation, appraisal and mandatory training are all "
        f"in date on {format_date(on)}: {compliant:,} of {total:,} ({overall})."
    )
    return lines, note


def gather_bid_pack(
    session: Session, tender_id: int, produced_by: str, progress: Progress | None = None
) -> BidPackData:
    """Everything the bid pack prints, read in one session."""
    progress = progress or NullProgress()
    progress.update(0, None, "Reading the tender ...")
    detail = load_tender(session, tender_id)
    on = detail.submission_date
    if on is None:
        raise FederationDeskError(
            f"{detail.reference} has no submission deadline.", "Add it on the Overview tab, then build again."
        )
    submission_time = next(
        (k.at_time for k in detail.key_dates if k.kind is KeyDateKind.SUBMISSION_DEADLINE and k.on_date == on), None
    )
    progress.update(0, None, "Reading the organisation profile ...")
    profile = organisation_profile(session, on)
    progress.update(0, None, "Checking workforce compliance ...")
    compliance, note = workforce_compliance(session, on)
    progress.update(0, None, "Reading the insurance schedule ...")
    insurance = insurance_lines(session, on)
    # Evidence: the checklist's files, then the insurance certificates, each once.
    wanted: list[tuple[str, int]] = []
    not_appended: list[str] = []
    seen: set[int] = set()
    for d in detail.documents:
        if d.document_id is None or not d.append_to_pack or d.document_id in seen:
            continue
        _state, ok, _text = _document_state(d, on)
        if not ok and not d.insurance_type:
            continue
        if d.media_type not in (PDF, *IMAGES):
            not_appended.append(f"{d.name} ({d.filename})")
            continue
        seen.add(d.document_id)
        wanted.append((d.name, d.document_id))
    for line in insurance:
        if line.certificate_document_id and line.certificate_document_id not in seen:
            seen.add(line.certificate_document_id)
            wanted.append((f"{line.type_label} certificate ({line.insurer})", line.certificate_document_id))
    evidence: list[EvidenceFile] = []
    if wanted:
        progress.update(0, None, "Reading the evidence files ...")
        stored = {
            doc_id: (filename, media, content)
            for doc_id, filename, media, content in session.execute(
                select(Document.id, Document.filename, Document.media_type, Document.content).where(
                    Document.id.in_([doc_id for _t, doc_id in wanted])
                )
            ).all()
        }
        for title, doc_id in wanted:
            if doc_id in stored:
                filename, media, content = stored[doc_id]
                if media in (PDF, *IMAGES):
                    evidence.append(EvidenceFile(title, filename, media, doc_id, content))
                else:
                    not_appended.append(f"{title} ({filename})")
    logo = None
    fed = profile.federation
    if fed is not None and fed.logo_document_id is not None:
        row = session.execute(
            select(Document.media_type, Document.content).where(Document.id == fed.logo_document_id)
        ).first()
        if row is not None and row[0] in IMAGES:
            logo = row[1]
    policies = [d for d in detail.documents if d.category is DocumentCategory.POLICY]
    return BidPackData(
        detail=detail,
        submission_date=on,
        submission_time=submission_time,
        produced_at=datetime.now().astimezone(),
        produced_by=produced_by,
        profile=profile,
        compliance=compliance,
        compliance_note=note,
        insurance=insurance,
        questions=detail.questions,
        price_lines=detail.price_lines,
        policies=policies,
        evidence=evidence,
        not_appended=not_appended,
        logo=logo,
    )


def bid_pack_filename(reference: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in reference).strip("-") or "tender"
    return f"bid-pack-{safe}.pdf"
