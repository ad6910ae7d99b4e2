"""The staff name scrubber: full names, titled and initialled family names as whole words, Unicode-aware, a lone
given name left alone; built from the database; fast with 2,500 staff; and the anonymised copy of an evaluation."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from federation_desk.db.session import Database
from federation_desk.domain.organisation import Practice
from federation_desk.domain.staff import EmploymentType, Role, StaffMember
from federation_desk.services.anonymise import NAME_WITHHELD, NameScrubber, scrub_strings, staff_name_scrubber
from federation_desk.services.contract_evaluators import ExceptionRow, anonymise_row

W = NAME_WITHHELD

STAFF = [
    ("Łukasz", "Nowak", None),
    ("Siobhán", "O'Neill", "Shiv"),
    ("Anna", "Smith-Jones", None),
    ("Grace", "Hall", None),
    ("Aoife", "Ní Bhriain", None),
]


@pytest.fixture(scope="module")
def scrub() -> NameScrubber:
    return NameScrubber(STAFF)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr Łukasz Nowak covered the Saturday hub", f"Dr {W} covered the Saturday hub"),
        ("Łukasz Nowak covered", f"{W} covered"),
        ("ŁUKASZ NOWAK and łukasz nowak", f"{W} and {W}"),
        ("Lukasz Nowak, without the stroke", f"{W}, without the stroke"),
        ("Nowak, Łukasz (bank GP)", f"{W} (bank GP)"),
        ("Łukasz\n  Nowak across a line", f"{W} across a line"),
        ("lukasz.nowak@example.nhs.uk", f"{W}@example.nhs.uk"),
        # titles, with or without a full stop, in any case; the title stays
        ("Asked dr. nowak and Mr Nowak", f"Asked dr. {W} and Mr {W}"),
        ("Nurse O'Neill and Prof Smith-Jones", f"Nurse {W} and Prof {W}"),
        ("Miss Hall, Mrs Hall, Ms Hall, Mx Hall", f"Miss {W}, Mrs {W}, Ms {W}, Mx {W}"),
        # apostrophes and hyphens, in their typographic forms too; a possessive keeps its 's
        ("Siobhán O'Neill's list", f"{W}'s list"),
        ("Siobhan O’Neill and Shiv O'Neill", f"{W} and {W}"),
        ("Anna Smith-Jones and Anna Smith‑Jones", f"{W} and {W}"),
        ("Aoife Ní Bhriain and Dr Ní Bhriain", f"{W} and Dr {W}"),
        # an initial of the person's own first (or preferred) name before the family name; a capital, and for "A" and
        # "I" with a full stop, as those are words
        ("Ł. Nowak, L.Nowak and L Nowak", f"{W}, {W} and {W}"),
        ("S. O'Neill (Siobhán or Shiv) and Dr G. Hall", f"{W} (Siobhán or Shiv) and Dr {W}"),
        ("A. Ní Bhriain signed; A Ní Bhriain signed", f"{W} signed; A Ní Bhriain signed"),
        ("X. Nowak is someone else; l nowak is not a capital", "X. Nowak is someone else; l nowak is not a capital"),
        # whole words only
        ("Łukasz Nowakowski and XŁukasz Nowak", "Łukasz Nowakowski and XŁukasz Nowak"),
        ("Grace Hallam stayed", "Grace Hallam stayed"),
        # a given name alone, or a family name without a title, is an ordinary word
        ("By the grace of the hall staff, Grace stayed late.", "By the grace of the hall staff, Grace stayed late."),
        ("Nowak alone; Anna alone; Hall booked", "Nowak alone; Anna alone; Hall booked"),
        ("", ""),
    ],
)
def test_scrubber_replaces_full_names_and_titled_family_names(scrub: NameScrubber, text: str, expected: str) -> None:
    assert scrub(text) == expected


def test_the_longest_name_wins_and_no_staff_means_no_change() -> None:
    scrub = NameScrubber([("Anna", "Smith", None), ("Anna", "Smith-Jones", None), ("Ann", "Smith", None)])
    assert scrub("Anna Smith-Jones, Anna Smith, Ann Smith") == f"{W}, {W}, {W}"
    assert scrub("Dr Smith-Jones") == f"Dr {W}"
    assert NameScrubber([])("Dr Łukasz Nowak") == "Dr Łukasz Nowak"
    assert NameScrubber([("", "Solo", None)])("Solo, and Dr Solo") == f"Solo, and Dr {W}"
    assert NameScrubber(STAFF, "this person")("Dr Nowak") == "Dr this person"


def test_scrubber_built_from_every_staff_member_in_the_database(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work() as s:
        role = s.scalars(select(Role)).first()
        if role is None:
            role = Role(code="GP", name="GP")
            s.add(role)
            s.flush()
        for given, family, preferred in STAFF:
            s.add(
                StaffMember(
                    given_name=given,
                    family_name=family,
                    preferred_name=preferred,
                    role_id=role.id,
                    employment_type=EmploymentType.BANK,
                    leave_date=date(2020, 1, 1) if family == "Hall" else None,  # leavers too
                )
            )
        s.add(Practice(ods_code="B86001", name="Dr Nowak Surgery"))  # named after a doctor who is on the staff
    with sqlite_db.session() as s:
        scrub = staff_name_scrubber(s)
    assert scrub("Shiv O'Neill and Grace Hall met Dr Nowak.") == f"{W} and {W} met Dr {W}."
    # The report promises to show the practice: a practice's name stays whole, the person is still hidden.
    assert scrub("Dr Nowak saw her at Dr Nowak Surgery.") == f"Dr {W} saw her at Dr Nowak Surgery."


@dataclass(frozen=True)
class _Row:
    text: str
    items: tuple[str, ...]
    by_id: dict[int, str]
    count: int


def test_scrub_strings_reaches_every_text_in_nested_rows(scrub: NameScrubber) -> None:
    row = _Row("Dr Nowak", ("fine", "Grace Hall"), {7: "Ms O'Neill"}, 3)
    assert scrub_strings([row, row], scrub) == [_Row(f"Dr {W}", ("fine", W), {7: f"Ms {W}"}, 3)] * 2


def test_an_exception_row_calls_its_own_person_this_person_and_hides_everyone_else(scrub: NameScrubber) -> None:
    row = ExceptionRow(
        "Łukasz Nowak",
        "Łukasz Nowak has no DBS check; Nowak was told by Siobhán O'Neill.",
        "GP",
        "Ashworth Health Centre",
        staff_id=1,
        names=("Łukasz Nowak", "Łukasz", "Nowak"),
    )
    hidden = anonymise_row(row, scrub)
    assert hidden.detail == f"This person has no DBS check; this person was told by {W}."
    assert hidden.names == () and hidden.role == "GP" and hidden.practice == "Ashworth Health Centre"


ORDINARY = ("the rota was short", "on saturday", "so the hub closed early", "and patients were rebooked by phone")


def test_speed_with_2500_staff_over_a_few_hundred_texts() -> None:
    rng = random.Random(7)
    syllables = ["an", "ber", "cas", "dor", "el", "fin", "gar", "hol", "is", "jon", "kar", "lin", "mor", "ńa", "ós"]

    def word(n: int) -> str:
        return "".join(rng.choice(syllables) for _ in range(n)).capitalize()

    people = [
        (word(2), word(3) + (f"-{word(2)}" if i % 10 == 0 else ""), word(2) if i % 5 == 0 else None)
        for i in range(2500)
    ]
    started = time.perf_counter()
    scrub = NameScrubber(people)
    built = time.perf_counter() - started
    texts = []
    for i in range(400):
        given, family, _preferred = people[(i * 37) % len(people)]
        filler = " ".join(rng.choice(ORDINARY) for _ in range(40))
        texts.append(f"{filler} Dr {people[i][1]} handed over to {given} {family}; {given} said thanks.")
    started = time.perf_counter()
    out = [scrub(t) for t in texts]
    scanned = time.perf_counter() - started
    print(f"\n2,500 staff: scrubber built in {built:.3f}s; 400 texts scrubbed in {scanned:.3f}s")
    for text, (given, _f, _p) in zip(out, [people[(i * 37) % len(people)] for i in range(400)], strict=True):
        assert text.count(W) == 2 and f"{W}; {given} said thanks." in text
