from __future__ import annotations

import pytest
from sqlalchemy import func, select

from federation_desk.db.session import Database
from federation_desk.domain.organisation import CqcRating, Practice, SiteKind
from federation_desk.errors import ValidationError
from federation_desk.services import organisation as org


def _federation(db: Database) -> None:
    with db.unit_of_work() as s:
        org.save_federation(s, org.FederationForm(name="Northdale", companies_house_number="9876543"))
        org.save_pcn(s, org.PcnForm(code="u41200", name="Central PCN"))


def test_practice_round_trip_and_summary(database: Database) -> None:
    _federation(database)
    with database.session() as s:
        pcn_id = org.list_pcns(s)[0].id
    with database.unit_of_work() as s:
        changes = org.save_practice(
            s,
            org.PracticeForm(
                ods_code="b86001",
                name="  Zoë's  Surgery ",
                pcn_id=pcn_id,
                list_size="12,000",
                adjusted_population="12500",
                cqc_location_id="1-555000111",
                cqc_rating=CqcRating.GOOD,
                postcode="ls14ap",
                email="Zoe.Surgery@NHS.net",
            ),
        )
    assert changes.touches("practice")
    with database.unit_of_work() as s:
        pid = org.list_practices(s)[0].id
        org.save_site(s, org.SiteForm(name="Main surgery", kind=SiteKind.PRACTICE, practice_id=pid, pcn_id=pcn_id))
        org.save_site(s, org.SiteForm(name="Central Hub", kind=SiteKind.HUB, pcn_id=pcn_id))
    with database.session() as s:
        (row,) = org.list_practices(s)
        summary = org.organisation_summary(s)
        pcn = org.list_pcns(s)[0]
    assert (row.ods_code, row.name, row.postcode, row.email) == (
        "B86001",
        "Zoë's Surgery",
        "LS1 4AP",
        "zoe.surgery@nhs.net",
    )
    assert row.site_count == 1 and row.pcn_name == "Central PCN"
    assert (summary.practices, summary.sites, summary.hubs, summary.list_size) == (1, 2, 1, 12000)
    assert (pcn.practice_count, pcn.adjusted_population) == (1, 12500)


def test_invalid_practice_names_every_problem_and_writes_nothing(database: Database) -> None:
    _federation(database)
    with pytest.raises(ValidationError) as err, database.unit_of_work() as s:
        org.save_practice(s, org.PracticeForm(ods_code="81001", name="", list_size="many", postcode="nowhere"))
    assert {p.field for p in err.value.problems} == {"ods_code", "name", "list_size", "postcode"}
    with database.session() as s:
        assert s.scalar(select(func.count(Practice.id))) == 0


def test_duplicate_ods_code_is_refused_by_name(database: Database) -> None:
    _federation(database)
    with database.unit_of_work() as s:
        org.save_practice(s, org.PracticeForm(ods_code="B86001", name="First Surgery"))
    with pytest.raises(ValidationError, match="already belongs to First Surgery"), database.unit_of_work() as s:
        org.save_practice(s, org.PracticeForm(ods_code="B86001", name="Second Surgery"))


def test_practice_premises_need_a_practice(database: Database) -> None:
    with pytest.raises(ValidationError, match="Choose the practice"), database.unit_of_work() as s:
        org.save_site(s, org.SiteForm(name="Somewhere", kind=SiteKind.PRACTICE))


def test_pcn_needs_the_federation_first(database: Database) -> None:
    with pytest.raises(ValidationError, match="federation's details"), database.unit_of_work() as s:
        org.save_pcn(s, org.PcnForm(code="U12345", name="A PCN"))
