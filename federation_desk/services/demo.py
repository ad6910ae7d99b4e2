"""A deterministic, realistic demo federation, at demo scale (~12 practices, ~300 staff) or benchmark scale.

Modules extend the demo by registering a step with :func:`demo_step`; steps run in order on one
:class:`DemoContext`, which carries the seeded random generator, "today", and what earlier steps created.
Everything is deterministic for a given seed and "today": the same inputs give the same database.
"""

from __future__ import annotations

import importlib
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from federation_desk.db.audit_hook import record_bulk
from federation_desk.db.session import Database
from federation_desk.domain.base import Base
from federation_desk.domain.organisation import CqcRating, Federation, Pcn, Practice, Site, SiteKind
from federation_desk.domain.staff import EmploymentType, Role, StaffMember, StaffPractice
from federation_desk.services.progress import NullProgress, Progress
from federation_desk.services.reference import load_reference_data

DEMO_SEED = 20261122


@dataclass(frozen=True)
class DemoScale:
    practices: int = 12
    staff: int = 300
    seed: int = DEMO_SEED

    @property
    def pcns(self) -> int:
        return max(2, round(self.practices / 6))

    @property
    def is_benchmark(self) -> bool:
        return self.staff > 1000


@dataclass
class DemoContext:
    session: Session
    rng: random.Random
    today: date
    scale: DemoScale
    progress: Progress
    federation_id: int = 0
    pcn_ids: list[int] = field(default_factory=list)
    practice_ids: list[int] = field(default_factory=list)
    site_ids: list[int] = field(default_factory=list)
    hub_ids: list[int] = field(default_factory=list)
    role_ids: dict[str, int] = field(default_factory=dict)
    staff_ids: list[int] = field(default_factory=list)
    staff_by_role: dict[str, list[int]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)  # for later steps: anything they want to share


Step = Callable[[DemoContext], None]
_STEPS: dict[str, tuple[int, Step]] = {}
# Modules whose import registers more demo steps; a module adds its name here when it lands.
MODULES_WITH_DEMO_STEPS: tuple[str, ...] = (
    "federation_desk.services.demo_tenders",
    "federation_desk.services.demo_contracts",
    "federation_desk.services.demo_hr",
    "federation_desk.services.demo_indemnity",
    "federation_desk.services.demo_rota",
)


def demo_step(order: int, name: str) -> Callable[[Step], Step]:
    def register(fn: Step) -> Step:
        _STEPS[name] = (order, fn)
        return fn

    return register


@dataclass(frozen=True)
class DemoSummary:
    counts: dict[str, int]


def build_demo(
    database: Database, scale: DemoScale | None = None, today: date | None = None, progress: Progress | None = None
) -> DemoSummary:
    """Fill an empty (freshly migrated) database with the demo federation, in one transaction."""
    from federation_desk.services.dates import today as london_today

    scale = scale or DemoScale()
    progress = progress or NullProgress()
    for module in MODULES_WITH_DEMO_STEPS:
        importlib.import_module(module)
    steps = sorted(_STEPS.items(), key=lambda item: item[1][0])
    with database.unit_of_work() as session:
        session.info["actor"] = "demo generator"
        if session.scalar(select(func.count(Practice.id))):
            raise ValueError("The database already holds practices; the demo is only written into an empty one.")
        load_reference_data(session)
        ctx = DemoContext(session, random.Random(scale.seed), today or london_today(), scale, progress)
        for done, (name, (_order, step)) in enumerate(steps):
            progress.update(done, len(steps), f"Creating demo {name} ...")
            step(ctx)
            session.flush()
        counts = {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }
    progress.update(len(steps), len(steps), "Demo federation ready.")
    return DemoSummary(counts)


def clear_database(database: Database) -> None:
    """Delete every row (used before rebuilding the demo into an existing file)."""
    with database.unit_of_work() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


# ---- names ---------------------------------------------------------------------------------------------------

GIVEN_NAMES = (
    "Oliver",
    "Amelia",
    "Harry",
    "Olivia",
    "George",
    "Isla",
    "Jack",
    "Ava",
    "Noah",
    "Mia",
    "Leo",
    "Grace",
    "Arthur",
    "Freya",
    "Muhammad",
    "Sophie",
    "Thomas",
    "Emily",
    "James",
    "Ella",
    "William",
    "Poppy",
    "Aarav",
    "Priya",
    "Rohan",
    "Anjali",
    "Kwame",
    "Abena",
    "Chidi",
    "Ngozi",
    "Tomasz",
    "Agnieszka",
    "Mateusz",
    "Katarzyna",
    "Sean",
    "Niamh",
    "Ciarán",
    "Aoife",
    "Rhys",
    "Cerys",
    "Dafydd",
    "Seren",
    "Fatima",
    "Yusuf",
    "Aisha",
    "Omar",
    "Wei",
    "Mei",
    "Hannah",
    "Rachel",
    "David",
    "Sarah",
    "Michael",
    "Helen",
    "Andrew",
    "Claire",
    "Daniel",
    "Laura",
    "Benjamin",
    "Charlotte",
    "Samuel",
    "Lucy",
    "Joseph",
    "Rebecca",
    "Adam",
    "Nicola",
    "Peter",
    "Joanne",
    "Ravi",
    "Sunita",
    "Imran",
    "Nadia",
    "Ioana",
    "Andrei",
    "Mariana",
    "João",
    "Renée",
    "José",
    "Chloé",
    "Björn",
)
FAMILY_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Khan",
    "Begum",
    "Ahmed",
    "Hussain",
    "Singh",
    "Kaur",
    "Shah",
    "Okafor",
    "Mensah",
    "Adeyemi",
    "Kowalski",
    "Nowak",
    "Wiśniewska",
    "Murphy",
    "O'Brien",
    "O'Connor",
    "McCarthy",
    "Jenkins",
    "Hughes",
    "Lloyd",
    "Morgan",
    "Chen",
    "Wong",
    "Li",
    "Ali",
    "Rahman",
    "Iqbal",
    "Cooper",
    "Ward",
    "Morris",
    "Harrison",
    "Mitchell",
    "Turner",
    "Hill",
    "Scott",
    "Moore",
    "Baker",
    "Popescu",
    "Ferreira",
    "Müller",
    "Lefèvre",
    "Fitzgerald",
    "Dubois",
)
# People whose names every screen and report must render exactly.
SPECIAL_NAMES = (
    ("Siobhán", "Ní Bhriain"),
    ("Łukasz", "Wiśniewski"),
    ("Thảo", "Nguyễn"),
    ("Zoë", "Brontë-Smith"),
    ("Alex <b>", "O'Neil & Sons"),
)
PLACES = (
    "Northdale",
    "Kirkby Moor",
    "Ashworth",
    "Hebden Lane",
    "Riverside",
    "Castlegate",
    "Millbrook",
    "Oakwood",
    "Thornbury",
    "Westfield",
    "Hollins",
    "Beckside",
    "Crossflatts",
    "Larkhill",
    "Netherton",
    "Saltaire Road",
    "Greenacres",
    "Fieldhead",
    "Brookfield",
    "Highfield",
    "Moorview",
    "Stonegate",
    "Low Moor",
    "Fairweather Green",
    "Birchwood",
    "Elmfield",
    "Park Lane",
    "Queensbury",
    "Windhill",
    "Eccleshill",
    "Idle",
    "Shipley",
    "Baildon",
    "Cottingley",
    "Wilsden",
    "Denholme",
    "Harden",
    "Bingley",
    "Keighley Road",
    "Silsden",
    "Steeton",
    "Addingham",
    "Burley",
    "Menston",
    "Guiseley",
    "Yeadon",
    "Rawdon",
    "Horsforth",
    "Calverley",
    "Pudsey",
    "Farsley",
    "Tong",
)
PRACTICE_PATTERNS = ("{} Medical Centre", "{} Surgery", "{} Health Centre", "The {} Practice", "{} Medical Practice")
POSTCODE_AREAS = ("BD1", "BD2", "BD3", "BD9", "BD10", "BD13", "BD16", "BD17", "BD18", "BD20", "LS18", "LS19", "LS20")
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
STREETS = ("High Street", "Church Lane", "Mill Road", "Station Road", "Park Avenue", "Victoria Road", "Market Street")

ROLE_MIX = (  # (role code, weight)
    ("gp", 15),
    ("anp", 4),
    ("practice_nurse", 10),
    ("hca", 7),
    ("clinical_pharmacist", 4),
    ("pharmacy_technician", 2),
    ("physiotherapist", 2),
    ("paramedic", 2),
    ("physician_associate", 1),
    ("mental_health_practitioner", 1),
    ("social_prescriber", 2),
    ("health_coach", 1),
    ("care_coordinator", 3),
    ("receptionist", 27),
    ("administrator", 15),
    ("manager", 4),
)
ARRS_SHARED = {
    "clinical_pharmacist",
    "pharmacy_technician",
    "physiotherapist",
    "paramedic",
    "social_prescriber",
    "health_coach",
    "care_coordinator",
    "mental_health_practitioner",
    "physician_associate",
}


def ascii_fold(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in ".-")


# ---- steps ---------------------------------------------------------------------------------------------------


@demo_step(10, "organisation")
def make_organisation(ctx: DemoContext) -> None:
    rng, s = ctx.rng, ctx.session
    fed = Federation(
        name="Northdale Health Federation",
        legal_name="Northdale Health Federation Ltd",
        companies_house_number="09876543",
        cqc_provider_id="1-1234567890",
        vat_number="GB123456789",
        address="Unit 4, Canal Wharf\nShipley\nWest Yorkshire",
        postcode="BD18 3JN",
        phone="01274 496000",
        email="office@northdalehealth.nhs.net",
        website="https://northdalehealth.example.org",
    )
    s.add(fed)
    s.flush()
    ctx.federation_id = fed.id
    pcn_names = [
        "Northdale Central",
        "Aire Valley",
        "Moorside",
        "Wharfe & Washburn",
        "Canal Towns",
        "Tong & Fulneck",
        "Bradford Road",
        "High Pennines",
        "Worth Valley",
    ]
    pcns = []
    for i in range(ctx.scale.pcns):
        name = pcn_names[i] if i < len(pcn_names) else f"Northdale {i + 1}"
        pcns.append(Pcn(code=f"U{41200 + 17 * i:05d}", name=f"{name} PCN", federation_id=fed.id))
    s.add_all(pcns)
    s.flush()
    ctx.pcn_ids = [p.id for p in pcns]

    used: set[str] = set()
    practices: list[Practice] = []
    for i in range(ctx.scale.practices):
        place = PLACES[i % len(PLACES)]
        pattern = PRACTICE_PATTERNS[rng.randrange(len(PRACTICE_PATTERNS))]
        name = pattern.format(place) if i < len(PLACES) else pattern.format(f"{place} {i // len(PLACES) + 1}")
        while name in used:
            name += " II"
        used.add(name)
        list_size = rng.randrange(3_800, 19_000, 10)
        adjusted = round(list_size * rng.uniform(0.9, 1.16))
        rating = rng.choices(
            [CqcRating.GOOD, CqcRating.OUTSTANDING, CqcRating.REQUIRES_IMPROVEMENT, CqcRating.NOT_RATED],
            weights=[78, 9, 10, 3],
        )[0]
        area = POSTCODE_AREAS[i % len(POSTCODE_AREAS)]
        practices.append(
            Practice(
                ods_code=f"Y9{1000 + i * 7:04d}",
                name=name,
                pcn_id=ctx.pcn_ids[i % len(ctx.pcn_ids)],
                list_size=list_size,
                adjusted_population=adjusted if i != 3 else None,  # one gap for the dashboard to point out
                cqc_location_id=f"1-{550000000 + i * 1111:09d}",
                cqc_rating=rating,
                address=f"{rng.randrange(1, 120)} {STREETS[i % len(STREETS)]}\n{place}",
                postcode=f"{area} {rng.randrange(1, 10)}{UNIT_LETTERS[i % 20]}{UNIT_LETTERS[(i * 7) % 20]}",
                phone=f"01274 {496000 + i * 13:06d}"[:12],
                email=f"{ascii_fold(place).replace(' ', '')}.practice@nhs.net",
                joined_on=date(2017, 4, 1) + timedelta(days=rng.randrange(0, 2200)),
                active=True,
            )
        )
    s.add_all(practices)
    s.flush()
    ctx.practice_ids = [p.id for p in practices]

    sites: list[Site] = []
    for p in practices:
        sites.append(
            Site(
                name=f"{p.name}",
                kind=SiteKind.PRACTICE,
                practice_id=p.id,
                pcn_id=p.pcn_id,
                address=p.address,
                postcode=p.postcode,
                opening_hours="Monday to Friday 08:00-18:30",
            )
        )
        if rng.random() < 0.3:
            sites.append(
                Site(
                    name=f"{p.name} (branch)",
                    kind=SiteKind.PRACTICE,
                    practice_id=p.id,
                    pcn_id=p.pcn_id,
                    address=f"{rng.randrange(1, 80)} {STREETS[rng.randrange(len(STREETS))]}",
                    postcode=p.postcode,
                    opening_hours="Monday to Friday 08:30-13:00",
                )
            )
    hubs: list[Site] = []
    for pcn in pcns:
        hubs.append(
            Site(
                name=f"{pcn.name.removesuffix(' PCN')} Hub",
                kind=SiteKind.HUB,
                practice_id=None,
                pcn_id=pcn.id,
                address="Enhanced Access hub",
                postcode="BD18 3JN",
                opening_hours="Monday to Friday 18:30-20:00; Saturday 09:00-17:00",
            )
        )
    s.add_all(sites + hubs)
    s.flush()
    ctx.site_ids = [x.id for x in sites + hubs]
    ctx.hub_ids = [x.id for x in hubs]


@demo_step(20, "staff")
def make_staff(ctx: DemoContext) -> None:
    rng, s = ctx.rng, ctx.session
    ctx.role_ids = dict(s.execute(select(Role.code, Role.id)).all())
    codes = [c for c, _w in ROLE_MIX]
    weights = [w for _c, w in ROLE_MIX]
    practice_pcn = dict(s.execute(select(Practice.id, Practice.pcn_id)).all())
    rows: list[dict[str, Any]] = []
    manager_for = list(ctx.practice_ids)  # every practice gets a manager first
    first_special = len(ctx.practice_ids)  # right after the practice managers
    for n in range(ctx.scale.staff):
        if 0 <= n - first_special < len(SPECIAL_NAMES):
            given, family = SPECIAL_NAMES[n - first_special]
        else:
            given, family = rng.choice(GIVEN_NAMES), rng.choice(FAMILY_NAMES)
        if manager_for:
            role = "manager"
            practice_id: int | None = manager_for.pop(0)
        else:
            role = rng.choices(codes, weights)[0]
            practice_id = ctx.practice_ids[rng.randrange(len(ctx.practice_ids))]
        employment = EmploymentType.EMPLOYED
        host_pcn = None
        if role in ARRS_SHARED and rng.random() < 0.7:
            employment = EmploymentType.ARRS
            host_pcn = practice_pcn[practice_id]
            practice_id = None  # employed by the federation on behalf of the PCN
        elif role == "gp":
            employment = rng.choices(
                [EmploymentType.EMPLOYED, EmploymentType.SESSIONAL, EmploymentType.LOCUM], [55, 30, 15]
            )[0]
        elif rng.random() < 0.05:
            employment = EmploymentType.BANK
        start = ctx.today - timedelta(days=rng.randrange(30, 15 * 365))
        leave = None
        if not 0 <= n - first_special < len(SPECIAL_NAMES) and rng.random() < 0.03:
            leave = ctx.today - timedelta(days=rng.randrange(1, 700))
            if leave <= start:
                leave = start + timedelta(days=200)
        hours = None if employment is EmploymentType.LOCUM else rng.choice([37.5, 37.5, 30.0, 22.5, 16.0, 7.5])
        email_name = f"{ascii_fold(given.split(' ')[0])}.{ascii_fold(family)}"
        rows.append(
            {
                "staff_number": f"FD{n + 1:05d}",
                "given_name": given,
                "family_name": family,
                "preferred_name": None,
                "email": f"{email_name}{n + 1}@nhs.net",
                "phone": f"07700 {900000 + n % 1000:06d}",
                "role_id": ctx.role_ids[role],
                "employer_practice_id": practice_id,
                "employment_type": employment,
                "host_pcn_id": host_pcn,
                "start_date": start,
                "leave_date": leave,
                "contracted_hours": hours,
                "line_manager_id": None,
            }
        )
    # Practice managers come first so everyone else can name theirs as line manager.
    n_managers = len(ctx.practice_ids)
    manager_ids = bulk_insert(ctx, StaffMember, rows[:n_managers])
    manager_of = {row["employer_practice_id"]: mid for row, mid in zip(rows[:n_managers], manager_ids)}
    for row in rows[n_managers:]:
        row["line_manager_id"] = manager_of.get(row["employer_practice_id"])
    ctx.staff_ids = manager_ids + bulk_insert(ctx, StaffMember, rows[n_managers:])
    code_of = {v: k for k, v in ctx.role_ids.items()}
    for staff_id, row in zip(ctx.staff_ids, rows):
        ctx.staff_by_role.setdefault(code_of[row["role_id"]], []).append(staff_id)
    # Shared ARRS staff work for two or three practices of their PCN.
    by_pcn: dict[int, list[int]] = {}
    for pid, pcn_id in practice_pcn.items():
        by_pcn.setdefault(pcn_id, []).append(pid)
    links = []
    for row, staff_id in zip(rows, ctx.staff_ids):
        if row["host_pcn_id"] is not None:
            members = sorted(by_pcn.get(row["host_pcn_id"], []))
            for pid in rng.sample(members, k=min(len(members), rng.choice([2, 3]))):
                links.append({"staff_id": staff_id, "practice_id": pid})
    bulk_insert(ctx, StaffPractice, links)


BULK_CHUNK = 1000


def bulk_insert(ctx: DemoContext, model: type[Base], rows: list[dict[str, Any]]) -> list[int]:
    """Insert many rows and return their ids in order.

    At demo scale rows go through the ORM so each gets its own audit entry; at benchmark scale they are inserted
    in one statement and audited as one bulk entry (a per-row trail of generated data helps nobody).
    """
    if not rows:
        return []
    s = ctx.session
    if ctx.scale.is_benchmark:
        stmt = insert(model).returning(model.id, sort_by_parameter_order=True)  # type: ignore[attr-defined]
        ids: list[int] = []
        # In chunks: one executemany over tens of thousands of rows with RETURNING grows worse than linearly.
        for start in range(0, len(rows), BULK_CHUNK):
            ids.extend(s.scalars(stmt, rows[start : start + BULK_CHUNK]).all())
        record_bulk(s, model.__tablename__, len(rows), "demo federation (benchmark scale)")
        return ids
    objects = [model(**row) for row in rows]
    s.add_all(objects)
    s.flush()
    return [o.id for o in objects]  # type: ignore[attr-defined]
