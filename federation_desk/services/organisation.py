"""Federation, PCNs, practices and sites: lists for screens and validated saves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation_desk.db.session import load_for_edit
from federation_desk.domain.organisation import CqcRating, Federation, Pcn, Practice, Site, SiteKind
from federation_desk.errors import FieldProblem, NotFound, ValidationError
from federation_desk.services import validators as v
from federation_desk.services.changes import Changes


@dataclass(frozen=True)
class FederationRow:
    id: int
    version: int
    name: str
    legal_name: str | None
    companies_house_number: str | None
    cqc_provider_id: str | None
    vat_number: str | None
    address: str | None
    postcode: str | None
    phone: str | None
    email: str | None
    website: str | None
    logo_document_id: int | None


@dataclass(frozen=True)
class PcnRow:
    id: int
    version: int
    code: str
    name: str
    practice_count: int
    list_size: int
    adjusted_population: int


@dataclass(frozen=True)
class PracticeRow:
    id: int
    version: int
    ods_code: str
    name: str
    pcn_id: int | None
    pcn_name: str | None
    list_size: int | None
    adjusted_population: int | None
    cqc_location_id: str | None
    cqc_rating: CqcRating | None
    address: str | None
    postcode: str | None
    phone: str | None
    email: str | None
    joined_on: date | None
    active: bool
    site_count: int


@dataclass(frozen=True)
class SiteRow:
    id: int
    version: int
    name: str
    kind: SiteKind
    practice_id: int | None
    practice_name: str | None
    pcn_id: int | None
    pcn_name: str | None
    address: str | None
    postcode: str | None
    opening_hours: str | None
    active: bool


@dataclass(frozen=True)
class PracticeForm:
    """What the person typed in the practice editor (raw text; the service validates it)."""

    ods_code: str
    name: str
    pcn_id: int | None = None
    list_size: str = ""
    adjusted_population: str = ""
    cqc_location_id: str = ""
    cqc_rating: CqcRating | None = None
    address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    joined_on: date | None = None
    active: bool = True


@dataclass(frozen=True)
class SiteForm:
    name: str
    kind: SiteKind
    practice_id: int | None = None
    pcn_id: int | None = None
    address: str = ""
    postcode: str = ""
    opening_hours: str = ""
    active: bool = True


@dataclass(frozen=True)
class PcnForm:
    code: str
    name: str


@dataclass(frozen=True)
class FederationForm:
    name: str
    legal_name: str = ""
    companies_house_number: str = ""
    cqc_provider_id: str = ""
    vat_number: str = ""
    address: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""


@dataclass(frozen=True)
class OrganisationSummary:
    federation_name: str | None
    pcns: int
    practices: int
    sites: int
    hubs: int
    list_size: int
    adjusted_population: int
    practices_missing_population: tuple[str, ...]


# ---- reading -------------------------------------------------------------------------------------------------


def get_federation(session: Session) -> FederationRow | None:
    fed = session.scalars(select(Federation).order_by(Federation.id).limit(1)).first()
    if fed is None:
        return None
    return FederationRow(
        fed.id,
        fed.version,
        fed.name,
        fed.legal_name,
        fed.companies_house_number,
        fed.cqc_provider_id,
        fed.vat_number,
        fed.address,
        fed.postcode,
        fed.phone,
        fed.email,
        fed.website,
        fed.logo_document_id,
    )


def list_pcns(session: Session) -> list[PcnRow]:
    counts = (
        select(
            Practice.pcn_id,
            func.count(Practice.id).label("n"),
            func.coalesce(func.sum(Practice.list_size), 0).label("lst"),
            func.coalesce(func.sum(Practice.adjusted_population), 0).label("adj"),
        )
        .where(Practice.active.is_(True))
        .group_by(Practice.pcn_id)
        .subquery()
    )
    rows = session.execute(
        select(Pcn.id, Pcn.version, Pcn.code, Pcn.name, counts.c.n, counts.c.lst, counts.c.adj)
        .outerjoin(counts, counts.c.pcn_id == Pcn.id)
        .order_by(Pcn.name)
    ).all()
    return [PcnRow(r[0], r[1], r[2], r[3], r[4] or 0, r[5] or 0, r[6] or 0) for r in rows]


def list_practices(session: Session, include_inactive: bool = True) -> list[PracticeRow]:
    site_counts = select(Site.practice_id, func.count(Site.id).label("n")).group_by(Site.practice_id).subquery()
    stmt = (
        select(Practice, Pcn.name, site_counts.c.n)
        .outerjoin(Pcn, Pcn.id == Practice.pcn_id)
        .outerjoin(site_counts, site_counts.c.practice_id == Practice.id)
        .order_by(Practice.name)
    )
    if not include_inactive:
        stmt = stmt.where(Practice.active.is_(True))
    return [_practice_row(p, pcn_name, n or 0) for p, pcn_name, n in session.execute(stmt).all()]


def _practice_row(p: Practice, pcn_name: str | None, site_count: int) -> PracticeRow:
    return PracticeRow(
        p.id,
        p.version,
        p.ods_code,
        p.name,
        p.pcn_id,
        pcn_name,
        p.list_size,
        p.adjusted_population,
        p.cqc_location_id,
        p.cqc_rating,
        p.address,
        p.postcode,
        p.phone,
        p.email,
        p.joined_on,
        p.active,
        site_count,
    )


def get_practice(session: Session, practice_id: int) -> PracticeRow:
    for row in list_practices(session):
        if row.id == practice_id:
            return row
    raise NotFound("This practice")


def list_sites(session: Session, practice_id: int | None = None) -> list[SiteRow]:
    stmt = (
        select(Site, Practice.name, Pcn.name)
        .outerjoin(Practice, Practice.id == Site.practice_id)
        .outerjoin(Pcn, Pcn.id == Site.pcn_id)
        .order_by(Site.kind, Site.name)
    )
    if practice_id is not None:
        stmt = stmt.where(Site.practice_id == practice_id)
    return [
        SiteRow(
            s.id,
            s.version,
            s.name,
            s.kind,
            s.practice_id,
            practice_name,
            s.pcn_id,
            pcn_name,
            s.address,
            s.postcode,
            s.opening_hours,
            s.active,
        )
        for s, practice_name, pcn_name in session.execute(stmt).all()
    ]


def organisation_summary(session: Session) -> OrganisationSummary:
    fed = session.scalar(select(Federation.name).order_by(Federation.id).limit(1))
    pcns = session.scalar(select(func.count(Pcn.id))) or 0
    active = Practice.active.is_(True)
    practices, list_size, adjusted = session.execute(
        select(
            func.count(Practice.id),
            func.coalesce(func.sum(Practice.list_size), 0),
            func.coalesce(func.sum(Practice.adjusted_population), 0),
        ).where(active)
    ).one()
    sites = session.scalar(select(func.count(Site.id)).where(Site.active.is_(True))) or 0
    hubs = session.scalar(select(func.count(Site.id)).where(Site.active.is_(True), Site.kind == SiteKind.HUB)) or 0
    missing = session.scalars(
        select(Practice.name).where(active, Practice.adjusted_population.is_(None)).order_by(Practice.name)
    ).all()
    return OrganisationSummary(fed, pcns, practices, sites, hubs, int(list_size), int(adjusted), tuple(missing))


# ---- writing -------------------------------------------------------------------------------------------------


def save_federation(session: Session, form: FederationForm, expected_version: int | None = None) -> Changes:
    name, legal, chn, cqc, vat, address, pc, tel, mail, web = v.collect(
        lambda: v.required_text(form.name, "name", "The federation's name"),
        lambda: v.optional_text(form.legal_name, "legal_name", "The legal name"),
        lambda: v.company_number(form.companies_house_number),
        lambda: v.cqc_id(form.cqc_provider_id, "cqc_provider_id", "CQC provider ID"),
        lambda: v.vat_number(form.vat_number),
        lambda: v.optional_text(form.address, "address", "The address", 500),
        lambda: v.postcode(form.postcode),
        lambda: v.phone(form.phone),
        lambda: v.email(form.email),
        lambda: v.optional_text(form.website, "website", "The website"),
    )
    fed = session.scalars(select(Federation).order_by(Federation.id).limit(1)).first()
    if fed is None:
        fed = Federation(name=name)
        session.add(fed)
    else:
        fed = load_for_edit(session, Federation, fed.id, expected_version)
    fed.name, fed.legal_name, fed.companies_house_number, fed.cqc_provider_id = name, legal, chn, cqc  # type: ignore[assignment]
    fed.vat_number, fed.address, fed.postcode = vat, address, pc  # type: ignore[assignment]
    fed.phone, fed.email, fed.website = tel, mail, web  # type: ignore[assignment]
    session.flush()
    return Changes.of("federation", ids=(fed.id,), message="Federation details saved.")


def save_pcn(
    session: Session, form: PcnForm, pcn_id: int | None = None, expected_version: int | None = None
) -> Changes:
    code, name = v.collect(
        lambda: v.pcn_code(form.code),
        lambda: v.required_text(form.name, "name", "The PCN's name"),
    )
    clash = session.scalar(select(Pcn).where(Pcn.code == code, Pcn.id != (pcn_id or -1)))
    if clash is not None:
        raise ValidationError([FieldProblem("code", f"PCN code {code} is already used by {clash.name}.")])
    if pcn_id is None:
        fed_id = session.scalar(select(Federation.id).order_by(Federation.id).limit(1))
        if fed_id is None:
            raise ValidationError("Enter the federation's details before adding PCNs.")
        pcn = Pcn(code=code, name=name, federation_id=fed_id)
        session.add(pcn)
    else:
        pcn = load_for_edit(session, Pcn, pcn_id, expected_version)
        pcn.code, pcn.name = code, name  # type: ignore[assignment]
    session.flush()
    return Changes.of("pcn", ids=(pcn.id,), message=f"PCN {name} saved.")


def save_practice(
    session: Session, form: PracticeForm, practice_id: int | None = None, expected_version: int | None = None
) -> Changes:
    ods, name, list_size, adjusted, cqc, address, pc, tel, mail = v.collect(
        lambda: v.ods_practice_code(form.ods_code),
        lambda: v.required_text(form.name, "name", "The practice name"),
        lambda: v.non_negative_int(form.list_size, "list_size", "List size", 200_000),
        lambda: v.non_negative_int(form.adjusted_population, "adjusted_population", "Adjusted population", 250_000),
        lambda: v.cqc_id(form.cqc_location_id, "cqc_location_id"),
        lambda: v.optional_text(form.address, "address", "The address", 500),
        lambda: v.postcode(form.postcode),
        lambda: v.phone(form.phone),
        lambda: v.email(form.email),
    )
    if practice_id is None:
        practice = Practice(ods_code=ods, name=name)
    else:
        practice = load_for_edit(session, Practice, practice_id, expected_version)
    if practice.ods_code != ods or practice_id is None:  # an unchanged code cannot clash with another practice's
        clash = session.scalar(select(Practice).where(Practice.ods_code == ods, Practice.id != (practice_id or -1)))
        if clash is not None:
            message = f"ODS code {ods} already belongs to {clash.name}. Each practice has its own."
            raise ValidationError([FieldProblem("ods_code", message)])
    if form.pcn_id is not None and form.pcn_id != practice.pcn_id and session.get(Pcn, form.pcn_id) is None:
        raise ValidationError([FieldProblem("pcn_id", "The chosen PCN no longer exists. Choose another.")])
    if practice_id is None:
        session.add(practice)
    practice.ods_code, practice.name, practice.pcn_id = ods, name, form.pcn_id  # type: ignore[assignment]
    practice.list_size, practice.adjusted_population = list_size, adjusted  # type: ignore[assignment]
    practice.cqc_location_id, practice.cqc_rating = cqc, form.cqc_rating  # type: ignore[assignment]
    practice.address, practice.postcode, practice.phone, practice.email = address, pc, tel, mail  # type: ignore[assignment]
    practice.joined_on, practice.active = form.joined_on, form.active
    session.flush()
    return Changes.of("practice", ids=(practice.id,), message=f"{name} saved.")


def save_site(
    session: Session, form: SiteForm, site_id: int | None = None, expected_version: int | None = None
) -> Changes:
    name, address, pc, hours = v.collect(
        lambda: v.required_text(form.name, "name", "The site name"),
        lambda: v.optional_text(form.address, "address", "The address", 500),
        lambda: v.postcode(form.postcode),
        lambda: v.optional_text(form.opening_hours, "opening_hours", "Opening hours", 1000),
    )
    if form.kind is SiteKind.PRACTICE and form.practice_id is None:
        raise ValidationError([FieldProblem("practice_id", "Choose the practice these premises belong to.")])
    if form.practice_id is not None and session.get(Practice, form.practice_id) is None:
        raise ValidationError([FieldProblem("practice_id", "The chosen practice no longer exists.")])
    if site_id is None:
        site = Site(name=name, kind=form.kind)
        session.add(site)
    else:
        site = load_for_edit(session, Site, site_id, expected_version)
    site.name, site.kind, site.practice_id, site.pcn_id = name, form.kind, form.practice_id, form.pcn_id  # type: ignore[assignment]
    site.address, site.postcode, site.opening_hours, site.active = address, pc, hours, form.active  # type: ignore[assignment]
    session.flush()
    return Changes.of("site", ids=(site.id,), message=f"{name} saved.")


@dataclass(frozen=True)
class OrganisationData:
    federation: FederationRow | None
    pcns: list[PcnRow]
    practices: list[PracticeRow]
    sites: list[SiteRow]


def load_organisation(session: Session) -> OrganisationData:
    """Everything the Organisation page shows, in four set-based queries."""
    return OrganisationData(get_federation(session), list_pcns(session), list_practices(session), list_sites(session))
