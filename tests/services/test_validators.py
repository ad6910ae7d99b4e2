from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation_desk.errors import ValidationError
from federation_desk.services import validators as v


@pytest.mark.parametrize("raw,expected", [("A81001", "A81001"), (" a81001 ", "A81001"), ("y 91000", "Y91000")])
def test_ods_practice_code_accepts_and_tidies(raw: str, expected: str) -> None:
    assert v.ods_practice_code(raw) == expected


@pytest.mark.parametrize("raw", ["81001", "AA1001", "A8100", "A810011", "U12345X", "<b>A81001</b>"])
def test_ods_practice_code_refuses_with_an_example(raw: str) -> None:
    with pytest.raises(ValidationError) as err:
        v.ods_practice_code(raw)
    assert "A81001" in err.value.message and err.value.problems[0].field == "ods_code"


@given(st.from_regex(r"\A[A-Z][0-9]{5}\Z"))
def test_every_well_formed_ods_code_is_accepted(code: str) -> None:
    assert v.ods_practice_code(code.lower()) == code


@given(st.text(max_size=12))
def test_ods_validator_never_crashes(text: str) -> None:
    try:
        result = v.ods_practice_code(text)
    except ValidationError:
        return
    assert v.ODS_PRACTICE.match(result)


def test_pcn_code() -> None:
    assert v.pcn_code("u12345") == "U12345"
    with pytest.raises(ValidationError, match="letter U and five digits"):
        v.pcn_code("P12345")


@pytest.mark.parametrize("raw,expected", [("ls14ap", "LS1 4AP"), ("BD18 3JN", "BD18 3JN"), ("sw1a1aa", "SW1A 1AA")])
def test_postcode(raw: str, expected: str) -> None:
    assert v.postcode(raw) == expected


def test_postcode_refused() -> None:
    with pytest.raises(ValidationError, match="not a UK postcode"):
        v.postcode("12345")


def test_cqc_company_vat_email_phone() -> None:
    assert v.cqc_id("1-123456789", "x") == "1-123456789"
    with pytest.raises(ValidationError, match="1-123456789"):
        v.cqc_id("123456789", "x")
    assert v.company_number("9876543") == "09876543"
    assert v.vat_number("123456789") == "GB123456789"
    assert v.email("Practice@NHS.net") == "practice@nhs.net"
    with pytest.raises(ValidationError):
        v.email("not an email")
    assert v.phone("0113 496 0000") == "0113 496 0000"
    with pytest.raises(ValidationError, match="at least 10 digits"):
        v.phone("12345")


def test_numbers_and_collect_reports_every_problem() -> None:
    assert v.non_negative_int("12,500", "list_size", "List size") == 12500
    with pytest.raises(ValidationError) as err:
        v.collect(
            lambda: v.ods_practice_code("bad"),
            lambda: v.non_negative_int("lots", "list_size", "List size"),
            lambda: v.required_text("  ", "name", "The practice name"),
        )
    assert {p.field for p in err.value.problems} == {"ods_code", "list_size", "name"}
    assert "The practice name is required." in err.value.message
