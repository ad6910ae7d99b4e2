"""Importing a tender notice from an Open Contracting Data Standard (OCDS) file, as Find a Tender and Contracts
Finder publish them (DOMAIN.md 5.1-5.2).

Reads a **release package** (``releases[]``) or a **record package** (``records[]`` with a ``compiledRelease``
or embedded releases). Releases of one procurement (one ``ocid``) are merged oldest first, as OCDS compiles them.
Creates or updates one tender per ocid: title, description, buyer (with its identifier, address and contact),
value, tender and enquiry periods, contract period, lots, documents (as links, with the UK notice type), and award
criteria in both published shapes: the OCDS 1.1 code string (``priceOnly``, ``ratedCriteria`` ...) and the per-lot
object with named criteria and weights (EU/UK profile).

Importing the same notice again updates the tender (matched on ocid) and never duplicates it; what the notice does
not carry (questions, status, owner, notes, dates typed in by hand) is left alone. A file that is not OCDS, or whose
notice has no tender section, is refused with a message and nothing is changed: every notice in the file is read
and checked before anything is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation_desk.domain.tenders import (
    Buyer,
    CriterionKind,
    EvaluationCriterion,
    KeyDateKind,
    ProcurementProcess,
    Tender,
    TenderKeyDate,
    TenderLink,
    TenderLot,
    TenderSource,
    TenderStatus,
)
from federation_desk.errors import FileTooLarge, UnsupportedFile
from federation_desk.services.changes import Changes
from federation_desk.services.dates import LONDON, format_date, format_instant
from federation_desk.services.tenders import next_reference, procurement_reference

MAX_OCDS_BYTES = 20 * 1024 * 1024
WHAT_TO_DO = (
    "Download the notice as OCDS JSON from Find a Tender (the ocdsReleasePackages or ocdsRecordPackages address "
    "of the notice) or from Contracts Finder (Published/OCDS/Record), then import that file."
)
AWARD_CRITERIA_CODES = {
    # OCDS 1.1 codes, then the OCDS 1.0 ones still seen in older notices.
    "priceOnly": "Price only",
    "costOnly": "Cost only",
    "qualityOnly": "Quality only (fixed price)",
    "ratedCriteria": "Rated criteria (quality and price)",
    "lowestCost": "Lowest cost",
    "bestProposal": "Best proposal",
    "bestValueToGovernment": "Best value to government",
    "singleBidOnly": "Single bid only",
}
_SINGLE_CRITERION = {
    "priceOnly": (CriterionKind.PRICE, "Price"),
    "lowestCost": (CriterionKind.PRICE, "Lowest cost"),
    "costOnly": (CriterionKind.COST, "Cost"),
    "qualityOnly": (CriterionKind.QUALITY, "Quality"),
}
_CRITERION_TYPES = {"price": CriterionKind.PRICE, "cost": CriterionKind.COST, "quality": CriterionKind.QUALITY}


# ---- what a notice holds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeCriterion:
    kind: CriterionKind
    name: str
    description: str | None
    weight: Decimal | None


@dataclass(frozen=True)
class NoticeLot:
    number: str
    title: str
    description: str | None
    value: Decimal | None
    criteria: tuple[NoticeCriterion, ...]


@dataclass(frozen=True)
class NoticeDocument:
    ocds_id: str
    title: str
    url: str | None
    document_type: str | None
    notice_type: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class NoticeBuyer:
    name: str
    scheme: str | None
    identifier: str | None
    address: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    website: str | None


@dataclass(frozen=True)
class NoticeDate:
    kind: KeyDateKind
    label: str | None
    on_date: date
    at_time: time | None


@dataclass(frozen=True)
class Notice:
    """One procurement (ocid) read from a file, merged from its releases; nothing written yet."""

    ocid: str
    release_id: str
    release_date: datetime | None
    source: TenderSource
    title: str
    description: str | None
    buyer: NoticeBuyer | None
    buyer_reference: str | None
    value: Decimal | None
    value_note: str | None
    term_months: int | None
    cpv_codes: str | None
    method_details: str | None
    status: str | None
    award_criteria_basis: str | None
    tender_criteria: tuple[NoticeCriterion, ...]
    lots: tuple[NoticeLot, ...]
    documents: tuple[NoticeDocument, ...]
    dates: tuple[NoticeDate, ...]
    notice_id: str | None
    notice_url: str | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportedTender:
    id: int
    reference: str
    title: str
    created: bool


@dataclass(frozen=True)
class ImportResult:
    imported: list[ImportedTender]
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> Changes:
        ids = tuple(t.id for t in self.imported)
        return Changes.of("tender", "buyer", ids=ids, message=self.summary)

    @property
    def summary(self) -> str:
        created = [t for t in self.imported if t.created]
        updated = [t for t in self.imported if not t.created]
        parts = []
        if created:
            parts.append("Imported " + ", ".join(f"{t.reference} ({t.title})" for t in created) + ".")
        if updated:
            parts.append("Updated " + ", ".join(f"{t.reference} ({t.title})" for t in updated) + " from the notice.")
        parts.extend(self.skipped)
        return " ".join(parts) or "Nothing was imported."


# ---- reading -----------------------------------------------------------------------------------------------


def _refuse(filename: str, problem: str, what: str = WHAT_TO_DO) -> UnsupportedFile:
    return UnsupportedFile(f"'{filename}' {problem}", what)


def read_ocds_file(path: Path) -> tuple[str, bytes]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnsupportedFile(
            f"'{path.name}' could not be opened ({exc.strerror}).", "Check the file and try again."
        ) from exc
    if size > MAX_OCDS_BYTES:
        raise FileTooLarge(
            f"'{path.name}' is {size / 1024 / 1024:.1f} MB; an OCDS notice is normally well under 1 MB and "
            f"Federation Desk reads files of up to {MAX_OCDS_BYTES // 1024 // 1024} MB.",
            "Download the single notice (its ocid or notice id) rather than a bulk search result.",
        )
    return path.name, path.read_bytes()


def read_notices(data: bytes, filename: str = "the file") -> list[Notice]:
    """Parse and check an OCDS release or record package; raises UnsupportedFile with a plain reason."""
    if len(data) > MAX_OCDS_BYTES:
        raise FileTooLarge(f"'{filename}' is too large to be an OCDS notice.", "Import one notice at a time.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse(filename, "is not a text file, so it cannot be an OCDS notice.") from None
    try:
        package = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _refuse(
            filename,
            f"is not valid JSON (the text stops making sense at line {exc.lineno}, column {exc.colno}), so it "
            "cannot be read as an OCDS notice. It may be incomplete or a web page saved by mistake.",
        ) from None
    releases_by_ocid = _releases_by_ocid(package, filename)
    notices: list[Notice] = []
    missing: list[str] = []
    for ocid, releases in releases_by_ocid.items():
        merged = _merge_releases(releases)
        if not isinstance(merged.get("tender"), dict) or not merged["tender"]:
            missing.append(ocid)
            continue
        notices.append(_notice(ocid, merged, package, filename))
    if not notices:
        which = f" ({', '.join(missing[:3])})" if missing else ""
        raise _refuse(
            filename,
            f"is an OCDS file, but its notice{which} has no tender section (it may be a planning, award or contract "
            "notice only), so there is nothing to import as a tender. Nothing has been changed.",
            "Import the tender notice (UK4 on Find a Tender, or the opportunity notice on Contracts Finder).",
        )
    return notices


def _releases_by_ocid(package: Any, filename: str) -> dict[str, list[dict[str, Any]]]:
    if not isinstance(package, dict):
        raise _refuse(filename, "holds JSON, but not an OCDS release or record package.")
    grouped: dict[str, list[dict[str, Any]]] = {}
    if isinstance(package.get("releases"), list):
        releases = package["releases"]
    elif isinstance(package.get("records"), list):
        releases = []
        for record in package["records"]:
            if not isinstance(record, dict):
                continue
            compiled = record.get("compiledRelease")
            # Linked releases are {url, date, tag} pointers; embedded ones carry the release itself.
            embedded = [r for r in record.get("releases") or [] if isinstance(r, dict) and "ocid" in r]
            if isinstance(compiled, dict):
                # The compiled release's id is made up ("ocid-date"): the notice ids are the embedded releases'.
                ordered = sorted(embedded, key=lambda r: str(r.get("date") or ""))
                notice_ids = [r.get("id") for r in ordered if isinstance(r.get("id"), str)]
                releases.append(
                    {**compiled, "ocid": compiled.get("ocid") or record.get("ocid"), "_notice_ids": notice_ids}
                )
            elif embedded:
                releases.extend(embedded)
            elif record.get("releases"):
                raise _refuse(
                    filename,
                    "is an OCDS record package that lists its releases only as links and has no compiled release, "
                    "so the notice itself is not in the file.",
                    "Download the record package from Find a Tender (it includes the compiled release) or the "
                    "release package of the notice, and import that.",
                )
    elif "ocid" in package and "tag" in package:
        releases = [package]  # a single release, not wrapped in a package
    else:
        raise _refuse(
            filename,
            "holds JSON, but not an OCDS release or record package (it has neither 'releases' nor 'records').",
        )
    for release in releases:
        if not isinstance(release, dict):
            continue
        ocid = release.get("ocid")
        if not isinstance(ocid, str) or not ocid.strip():
            raise _refuse(
                filename, "has a release without an 'ocid' (the procurement's identifier), so it is not OCDS."
            )
        grouped.setdefault(ocid.strip(), []).append(release)
    if not grouped:
        raise _refuse(filename, "is an OCDS package with no releases in it.")
    return grouped


def _merge(old: Any, new: Any) -> Any:
    """OCDS merge, simplified: objects merge field by field, arrays of objects with ids merge by id, anything
    else is replaced by the newer value."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = dict(old)
        for key, value in new.items():
            out[key] = _merge(old.get(key), value) if key in old else value
        return out
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and all(isinstance(x, dict) and "id" in x for x in old + new)
        and (old or new)
    ):
        merged: dict[str, Any] = {str(x["id"]): x for x in old}
        for item in new:
            key = str(item["id"])
            merged[key] = _merge(merged[key], item) if key in merged else item
        return list(merged.values())
    return new if new is not None else old


def _merge_releases(releases: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(releases, key=lambda r: _instant(r.get("date")) or datetime.min.replace(tzinfo=UTC))
    merged: dict[str, Any] = {}
    for release in ordered:
        merged = _merge(merged, release)
    merged["_release_ids"] = [r.get("id") for r in ordered]
    return merged


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=LONDON)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed


def _london(value: Any) -> tuple[date, time | None] | None:
    """An OCDS date-time as a London date and wall time (None for midnight-only dates)."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return date.fromisoformat(value.strip()), None
    instant = _instant(value)
    if instant is None:
        return None
    local = instant.astimezone(LONDON)
    wall = local.time().replace(second=0, microsecond=0)
    return local.date(), (None if wall == time(0, 0) else wall)


def _text(value: Any, limit: int = 100_000) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.replace("\r\n", "\n").strip()
    return text[:limit] or None


def _amount(value: Any) -> tuple[Decimal | None, str | None]:
    """(amount, currency) from an OCDS Value, preferring the net amount, then the UK extension's amountGross."""
    if not isinstance(value, dict):
        return None, None
    for key in ("amount", "amountGross"):
        raw = value.get(key)
        if raw is None or isinstance(raw, bool):
            continue
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            continue
        if amount.is_finite() and amount >= 0:
            return amount.quantize(Decimal("0.01")), (value.get("currency") or "GBP") + (
                " including VAT" if key == "amountGross" else ""
            )
    return None, None


def _weight(numbers: Any) -> Decimal | None:
    for number in numbers or []:
        if not isinstance(number, dict):
            continue
        if number.get("weight") in (None, "percentageExact", "percentageRangeMiddle", "decimalExact"):
            try:
                value = Decimal(str(number.get("number")))
            except InvalidOperation:
                continue
            if number.get("weight") == "decimalExact" and value <= 1:
                value *= 100
            if value.is_finite() and 0 <= value <= 100:
                return value.quantize(Decimal("0.001")).normalize()
    return None


def _criteria_object(block: Any) -> tuple[NoticeCriterion, ...]:
    if not isinstance(block, dict):
        return ()
    out = []
    for c in block.get("criteria") or []:
        if not isinstance(c, dict):
            continue
        ctype = str(c.get("type") or "").lower()
        kind = _CRITERION_TYPES.get(ctype, CriterionKind.OTHER)
        name = _text(c.get("name"), 300) or _text(c.get("description"), 300) or kind.label
        if kind is CriterionKind.QUALITY and "social value" in name.lower():
            kind = CriterionKind.SOCIAL_VALUE
        description = _text(c.get("description"), 5000)
        out.append(NoticeCriterion(kind, name, description if description != name else None, _weight(c.get("numbers"))))
    return tuple(out)


def _source(ocid: str) -> TenderSource:
    prefixes = procurement_reference()["ocid_prefixes"]
    for prefix, name in prefixes.items():
        if ocid.startswith(prefix):
            return TenderSource(name)
    return TenderSource.BUYER_PORTAL


def _address(address: Any) -> str | None:
    if not isinstance(address, dict):
        return None
    parts = [address.get(k) for k in ("streetAddress", "locality", "region", "postalCode", "countryName")]
    text = "\n".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())
    return text or None


def _buyer(release: dict[str, Any]) -> NoticeBuyer | None:
    buyer_ref = release.get("buyer") if isinstance(release.get("buyer"), dict) else {}
    parties = [p for p in release.get("parties") or [] if isinstance(p, dict)]
    party = next((p for p in parties if buyer_ref.get("id") and p.get("id") == buyer_ref.get("id")), None)
    if party is None:
        party = next((p for p in parties if "buyer" in (p.get("roles") or [])), None)
    name = _text((party or {}).get("name"), 300) or _text(buyer_ref.get("name"), 300)
    if not name:
        return None
    identifier = (party or {}).get("identifier") if isinstance((party or {}).get("identifier"), dict) else {}
    contact = (party or {}).get("contactPoint") if isinstance((party or {}).get("contactPoint"), dict) else {}
    details = (party or {}).get("details") if isinstance((party or {}).get("details"), dict) else {}
    return NoticeBuyer(
        name=name,
        scheme=_text(identifier.get("scheme"), 40),
        identifier=_text(str(identifier.get("id")) if identifier.get("id") is not None else None, 80),
        address=_address((party or {}).get("address")),
        contact_name=_text(contact.get("name"), 200),
        contact_email=_text(contact.get("email"), 200),
        contact_phone=_text(contact.get("telephone"), 40),
        website=_text(contact.get("url"), 300) or _text(details.get("url"), 300),
    )


def _months_between(start: date, end: date) -> int:
    """Whole months of a contract period (1 April 2027 to 31 March 2030 is 36)."""
    return max(1, round((end - start).days / 30.4375))


def _notice(ocid: str, release: dict[str, Any], package: dict[str, Any], filename: str) -> Notice:
    tender = release["tender"]
    warnings: list[str] = []
    title = _text(tender.get("title"), 400) or _text(release.get("title"), 400)
    if not title:
        raise _refuse(filename, f"has a tender ({ocid}) with no title, so it does not look like a published notice.")
    value, currency = _amount(tender.get("value"))
    value_note = None
    if currency and not currency.startswith("GBP"):
        warnings.append(f"The notice gives its value in {currency.split()[0]}, not pounds, so no value was imported.")
        value = None
    elif currency and currency.endswith("including VAT"):
        value_note = "Including VAT (the notice gives only the gross amount)"
    dates_: list[NoticeDate] = []

    def add_date(kind: KeyDateKind, raw: Any, label: str | None = None) -> None:
        when = _london(raw)
        if when is not None:
            dates_.append(NoticeDate(kind, label, when[0], when[1]))

    add_date(KeyDateKind.SUBMISSION_DEADLINE, (tender.get("tenderPeriod") or {}).get("endDate"))
    add_date(KeyDateKind.CLARIFICATION_DEADLINE, (tender.get("enquiryPeriod") or {}).get("endDate"))
    add_date(KeyDateKind.EXPRESSION_OF_INTEREST, tender.get("expressionOfInterestDeadline"))
    add_date(KeyDateKind.OTHER, (tender.get("awardPeriod") or {}).get("startDate"), "Expected award decision")
    contract = tender.get("contractPeriod") if isinstance(tender.get("contractPeriod"), dict) else {}
    add_date(KeyDateKind.CONTRACT_START, contract.get("startDate"))
    term = contract.get("durationInMonths") if isinstance(contract.get("durationInMonths"), int) else None
    start, end = _london(contract.get("startDate")), _london(contract.get("endDate"))
    if term is None and start and end and end[0] > start[0]:
        term = _months_between(start[0], end[0])
    cpv = []
    for block in [
        tender.get("classification"),
        *[i.get("classification") for i in tender.get("items") or [] if isinstance(i, dict)],
    ]:
        if isinstance(block, dict) and block.get("id") and str(block.get("scheme", "CPV")).upper() == "CPV":
            code = str(block["id"])
            if code not in cpv:
                cpv.append(code)
    lots = []
    for lot in tender.get("lots") or []:
        if not isinstance(lot, dict) or lot.get("id") is None:
            continue
        lot_value, lot_currency = _amount(lot.get("value"))
        if lot_currency and not lot_currency.startswith("GBP"):
            lot_value = None
        lots.append(
            NoticeLot(
                str(lot["id"])[:40],
                _text(lot.get("title"), 400) or f"Lot {lot['id']}",
                _text(lot.get("description")),
                lot_value,
                _criteria_object(lot.get("awardCriteria")),
            )
        )
    basis_raw = tender.get("awardCriteria")
    tender_criteria: tuple[NoticeCriterion, ...] = ()
    basis = None
    if isinstance(basis_raw, str) and basis_raw.strip():
        code = basis_raw.strip()
        basis = AWARD_CRITERIA_CODES.get(code, code)[:60]
        single = _SINGLE_CRITERION.get(code)
        details = _text(tender.get("awardCriteriaDetails"), 5000)
        if single:
            tender_criteria = (NoticeCriterion(single[0], single[1], details, Decimal(100)),)
        elif details:
            tender_criteria = (NoticeCriterion(CriterionKind.OTHER, "Award criteria as published", details, None),)
    elif isinstance(basis_raw, dict):
        tender_criteria = _criteria_object(basis_raw)
    documents = []
    for doc in [*(tender.get("documents") or []), *((release.get("planning") or {}).get("documents") or [])]:
        if not isinstance(doc, dict):
            continue
        url = _text(doc.get("url"), 1000)
        if url and not re.match(r"^https?://", url, re.IGNORECASE):
            url = None  # only web links are kept (never file:// or javascript:)
        published = _instant(doc.get("datePublished"))
        documents.append(
            NoticeDocument(
                str(doc.get("id") or len(documents) + 1)[:120],
                _text(doc.get("title"), 400)
                or _text(doc.get("description"), 400)
                or doc.get("documentType")
                or "Notice document",
                url,
                _text(doc.get("documentType"), 80),
                _text(doc.get("noticeType"), 20),
                published,
            )
        )
    source = _source(ocid)
    release_ids = [r for r in release.get("_notice_ids") or release.get("_release_ids") or [] if isinstance(r, str)]
    notice_id = release_ids[-1] if release_ids else _text(release.get("id"), 120)
    if "compiled" in (release.get("tag") or []) and not release.get("_notice_ids"):
        dated = sorted(
            (d for d in documents if d.notice_type), key=lambda d: d.published_at or datetime.min.replace(tzinfo=UTC)
        )
        notice_id = dated[-1].ocds_id if dated else notice_id
    if source is TenderSource.CONTRACTS_FINDER and notice_id and re.match(r"^[0-9a-f-]{36}-\d+$", notice_id):
        notice_id = notice_id[:36]  # Contracts Finder release ids are the notice GUID plus a number
    notice_pages = [d for d in documents if d.url and "/Notice/" in d.url]
    page = next((d for d in notice_pages if d.ocds_id == notice_id), None) or max(
        notice_pages, key=lambda d: d.published_at or datetime.min.replace(tzinfo=UTC), default=None
    )
    notice_url = page.url if page is not None else None
    if notice_url is None and notice_id and source.value in procurement_reference()["notice_urls"]:
        notice_url = procurement_reference()["notice_urls"][source.value].format(notice_id=notice_id)
    if tender.get("status") == "cancelled":
        warnings.append("The buyer has cancelled this procurement (the notice's tender status is 'cancelled').")
    buyer_reference = _text(str(tender.get("id")) if tender.get("id") is not None else None, 120)
    if buyer_reference == ocid:
        buyer_reference = None
    if release.get("date") is None and package.get("publishedDate"):
        release["date"] = package.get("publishedDate")
    return Notice(
        ocid=ocid,
        release_id=notice_id or ocid,
        release_date=_instant(release.get("date")),
        source=source,
        title=title,
        description=_text(tender.get("description")) or _text(release.get("description")),
        buyer=_buyer(release),
        buyer_reference=buyer_reference,
        value=value,
        value_note=value_note,
        term_months=term if term and 0 < term <= 600 else None,
        cpv_codes=", ".join(cpv)[:400] or None,
        method_details=_text(tender.get("procurementMethodDetails"), 300) or _text(tender.get("procurementMethod"), 60),
        status=_text(tender.get("status"), 40),
        award_criteria_basis=basis,
        tender_criteria=tender_criteria,
        lots=tuple(lots),
        documents=tuple(documents),
        dates=tuple(dates_),
        notice_id=notice_id,
        notice_url=notice_url,
        warnings=tuple(warnings),
    )


def _process_code(method_details: str | None) -> str | None:
    if not method_details:
        return None
    text = method_details.lower()
    for keyword, code in procurement_reference()["ocds_method_keywords"]["rules"]:
        if keyword in text:
            return str(code)
    return None


# ---- writing -----------------------------------------------------------------------------------------------


def import_notice_file(session: Session, path: Path, today: date) -> ImportResult:
    filename, data = read_ocds_file(path)
    return import_ocds(session, data, filename, today)


def import_ocds(session: Session, data: bytes, filename: str, today: date) -> ImportResult:
    """Create or update a tender for each procurement in an OCDS package (one transaction: all or nothing)."""
    notices = read_notices(data, filename)
    imported: list[ImportedTender] = []
    skipped: list[str] = []
    warnings: list[str] = []
    for notice in notices:
        tender = session.scalar(select(Tender).where(Tender.ocid == notice.ocid))
        if (
            tender is not None
            and tender.ocds_release_date is not None
            and notice.release_date is not None
            and notice.release_date < tender.ocds_release_date
        ):
            skipped.append(
                f"{tender.reference} was not changed: this notice (published {format_instant(notice.release_date)}) "
                f"is older than the one already imported ({format_instant(tender.ocds_release_date)})."
            )
            continue
        created = tender is None
        if tender is None:
            tender = Tender(
                reference=next_reference(session, today),
                title=notice.title,
                status=TenderStatus.IDENTIFIED,
                status_changed_on=today,
                ocid=notice.ocid,
            )
            session.add(tender)
        _apply(session, tender, notice)
        session.flush()
        imported.append(ImportedTender(tender.id, tender.reference, tender.title, created))
        warnings.extend(f"{tender.reference}: {w}" for w in notice.warnings)
    session.flush()
    return ImportResult(imported, skipped, warnings)


def _find_or_add_buyer(session: Session, info: NoticeBuyer) -> Buyer:
    buyer = None
    if info.scheme and info.identifier:
        buyer = session.scalar(
            select(Buyer).where(Buyer.identifier_scheme == info.scheme, Buyer.identifier == info.identifier)
        )
    if buyer is None:
        buyer = session.scalars(
            select(Buyer).where(func.lower(Buyer.name) == info.name.lower()).order_by(Buyer.id)
        ).first()
    if buyer is None:
        buyer = Buyer(name=info.name)
        session.add(buyer)
    if info.scheme and info.identifier and not buyer.identifier:
        clash = session.scalar(
            select(Buyer.id).where(Buyer.identifier_scheme == info.scheme, Buyer.identifier == info.identifier)
        )
        if clash is None:
            buyer.identifier_scheme, buyer.identifier = info.scheme, info.identifier
    # The notice is the buyer's own latest word on how to reach them.
    buyer.address = info.address or buyer.address
    buyer.contact_name = info.contact_name or buyer.contact_name
    buyer.contact_email = info.contact_email or buyer.contact_email
    buyer.contact_phone = info.contact_phone or buyer.contact_phone
    buyer.website = info.website or buyer.website
    session.flush()
    return buyer


def _apply(session: Session, tender: Tender, notice: Notice) -> None:
    tender.title = notice.title
    tender.description = notice.description
    tender.source = notice.source
    tender.buyer_reference = notice.buyer_reference or tender.buyer_reference
    if notice.value is not None:
        tender.estimated_value, tender.value_note = notice.value, notice.value_note
    tender.term_months = notice.term_months or tender.term_months
    tender.cpv_codes = notice.cpv_codes or tender.cpv_codes
    tender.award_criteria_basis = notice.award_criteria_basis
    tender.notice_id, tender.notice_url = notice.notice_id, notice.notice_url
    tender.ocds_release_date = notice.release_date
    tender.ocds_imported_at = datetime.now(UTC)
    if notice.buyer is not None:
        tender.buyer_id = _find_or_add_buyer(session, notice.buyer).id
    if tender.process_id is None:
        code = _process_code(notice.method_details)
        if code:
            process = session.scalar(select(ProcurementProcess).where(ProcurementProcess.code == code))
            if process is not None:
                tender.process_id, tender.regime = process.id, process.regime
    session.flush()
    tid = tender.id
    # Dates, criteria and links that came from the notice are replaced; those typed in by hand stay.
    for model in (TenderKeyDate, EvaluationCriterion, TenderLink):
        for obj in session.scalars(select(model).where(model.tender_id == tid, model.from_notice.is_(True))).all():
            session.delete(obj)
    session.flush()
    for d in notice.dates:
        session.add(
            TenderKeyDate(
                tender_id=tid, kind=d.kind, label=d.label, on_date=d.on_date, at_time=d.at_time, from_notice=True
            )
        )
    lots = {lot.number: lot for lot in session.scalars(select(TenderLot).where(TenderLot.tender_id == tid)).all()}
    order = 0
    for c in notice.tender_criteria:
        order += 10
        session.add(_criterion(tid, None, c, order))
    for nl in notice.lots:
        lot = lots.get(nl.number)
        if lot is None:
            lot = TenderLot(tender_id=tid, number=nl.number, title=nl.title)
            session.add(lot)
        lot.title, lot.description = nl.title, nl.description
        lot.estimated_value = nl.value if nl.value is not None else lot.estimated_value
        session.flush()
        for c in nl.criteria:
            order += 10
            # With a single lot its criteria are the tender's criteria.
            session.add(_criterion(tid, lot.id if len(notice.lots) > 1 else None, c, order))
    for doc in notice.documents:
        session.add(
            TenderLink(
                tender_id=tid,
                ocds_id=doc.ocds_id,
                title=doc.title,
                url=doc.url,
                document_type=doc.document_type,
                notice_type=doc.notice_type,
                published_at=doc.published_at,
                from_notice=True,
            )
        )
    session.flush()


def _criterion(tender_id: int, lot_id: int | None, c: NoticeCriterion, order: int) -> EvaluationCriterion:
    return EvaluationCriterion(
        tender_id=tender_id,
        lot_id=lot_id,
        kind=c.kind,
        name=c.name,
        description=c.description,
        weight=c.weight,
        sort_order=order,
        from_notice=True,
    )


def describe_notice(notice: Notice) -> str:
    """A one-paragraph summary of what an import would bring in (for the confirmation step)."""
    parts = [f"{notice.title} ({notice.source.value}, {notice.ocid})"]
    if notice.buyer:
        parts.append(f"buyer {notice.buyer.name}")
    deadline = next((d for d in notice.dates if d.kind is KeyDateKind.SUBMISSION_DEADLINE), None)
    if deadline:
        parts.append(f"submission deadline {format_date(deadline.on_date)}")
    if notice.lots:
        parts.append(f"{len(notice.lots)} lots")
    return ", ".join(parts) + "."
