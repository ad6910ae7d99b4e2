"""Register numbers, DBS certificates and HR dates: what is accepted, tidied, and refused with which words."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from federation_desk.errors import ValidationError
from federation_desk.services import validators as v

TODAY = date(2026, 11, 22)


def _message(fn: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(ValidationError) as err:
        fn(*args, **kwargs)  # type: ignore[operator]
    return err.value.message


@pytest.mark.parametrize("raw", ["1234567", " 1234567 ", "GMC 1234567", "gmc:1234567", "123-4567", "0123456"])
def test_gmc_numbers_are_tidied(raw: str) -> None:
    assert v.gmc_number(raw) in ("1234567", "0123456")


def test_gmc_messages() -> None:
    assert "GMC numbers have 7" in _message(v.gmc_number, "123456")
    assert "include the zero" in _message(v.gmc_number, "123456")
    assert "physician associate" in _message(v.gmc_number, "A1234567")
    assert "own GMC number, which starts with A" in _message(v.gmc_number, "1234567", associate=True)
    assert v.gmc_number("a1234567", associate=True) == "A1234567"
    assert "7 digits" in _message(v.gmc_number, "<b>123</b>")
    assert "required" in _message(v.gmc_number, "  ")


@given(st.from_regex(r"\A[0-9]{7}\Z"))
def test_every_seven_digit_number_is_a_gmc_number(number: str) -> None:
    assert v.gmc_number(number) == number


@pytest.mark.parametrize(
    "raw,expected", [("12a3456e", "12A3456E"), ("12A 3456 E", "12A3456E"), ("NMC 71A2998E", "71A2998E")]
)
def test_nmc_pins(raw: str, expected: str) -> None:
    assert v.nmc_pin(raw) == expected


@pytest.mark.parametrize("raw", ["12A3456", "1A23456E", "12AB456E", "123456789", "12A3456EE"])
def test_bad_nmc_pins_name_the_pattern(raw: str) -> None:
    assert "2 digits, a letter, 4 digits and a letter" in _message(v.nmc_pin, raw)


@given(st.from_regex(r"\A[0-9]{2}[A-Z][0-9]{4}[A-Z]\Z"))
def test_every_well_formed_pin_is_accepted_in_lower_case_with_spaces(pin: str) -> None:
    assert v.nmc_pin(f" {pin[:3].lower()} {pin[3:]} ") == pin


def test_gphc_numbers_and_the_role() -> None:
    assert v.gphc_number("2012345") == "2012345"
    assert v.gphc_number("5012345", technician=True) == "5012345"
    assert "pharmacy technicians'" in _message(v.gphc_number, "5012345", technician=False)
    assert "pharmacists'" in _message(v.gphc_number, "2012345", technician=True)
    assert "7 digits" in _message(v.gphc_number, "20123")
    assert "start with 2" in _message(v.gphc_number, "3012345")


def test_hcpc_numbers_prefixes_and_the_pa_trap() -> None:
    assert v.hcpc_number("pa 123456") == "PA123456"
    assert v.hcpc_number("PA00012345"[:8]) == "PA000123"
    assert v.hcpc_number("PYL12345") == "PYL12345"
    assert "prefix for physiotherapists" in _message(v.hcpc_number, "PH123456", expected_prefix="PA")
    assert "e.g. PA123456" in _message(v.hcpc_number, "XX123456")
    assert "not the HCPC" in _message(v.registration_number, "HCPC", "PA123456", role_code="physician_associate")
    assert v.registration_number("HCPC", "PA123456", role_code="paramedic") == "PA123456"
    assert v.registration_number("GMC", "A7654321", role_code="physician_associate") == "A7654321"
    assert "Choose the register" in _message(v.registration_number, "none", "123")


@given(st.sampled_from(sorted(v.HCPC_PROFESSIONS)), st.from_regex(r"\A[0-9]{1,6}\Z"))
def test_every_hcpc_prefix_with_up_to_six_digits(prefix: str, digits: str) -> None:
    assert v.hcpc_number(f"{prefix.lower()}{digits}") == f"{prefix}{digits}"


@given(st.text(max_size=14))
def test_register_validators_never_crash(text: str) -> None:
    for fn in (v.gmc_number, v.nmc_pin, v.gphc_number, v.hcpc_number, v.dbs_certificate_number):
        try:
            fn(text)
        except ValidationError as err:
            assert err.message


def test_dbs_certificate_numbers() -> None:
    assert v.dbs_certificate_number("0012 3456 7890") == "001234567890"
    assert v.dbs_certificate_number("") is None
    assert "has 11 digits" in _message(v.dbs_certificate_number, "12345678901")
    assert "include it" in _message(v.dbs_certificate_number, "12345678901")
    assert "12 digits" in _message(v.dbs_certificate_number, "DBS-ABC")


@given(st.from_regex(r"\A[0-9]{12}\Z"))
def test_every_twelve_digit_certificate_number(number: str) -> None:
    assert v.dbs_certificate_number(number) == number


def test_dates() -> None:
    assert v.date_text("29/02/2024", "d", "The date") == date(2024, 2, 29)
    assert "not a real date" in _message(v.date_text, "29/02/2025", "d", "The date")
    assert "month-first" in _message(v.date_text, "02/29/2024", "d", "The date")
    assert "two-digit year" in _message(v.date_text, "01/02/26", "d", "The date")
    assert "required" in _message(v.date_text, "", "d", "The date", required=True)
    assert "in the future" in _message(v.not_in_future, date(2026, 11, 23), TODAY, "d", "The issue date")
    assert v.not_in_future(TODAY, TODAY, "d", "The issue date") == TODAY
    assert "is before the issue date" in _message(
        v.not_before, date(2026, 1, 1), date(2026, 1, 2), "d", "The expiry", "The issue date"
    )
    assert "check the year" in _message(v.plausible_date, date(1026, 1, 1), "d", "The date")


def test_renewal_and_revalidation_dates_follow_the_register_cycles() -> None:
    assert v.renewal_date("HCPC", date(2028, 11, 30), TODAY) == date(2028, 11, 30)
    assert "renews every 2 years" in _message(v.renewal_date, "HCPC", date(2029, 1, 31), TODAY)
    assert v.renewal_date("NMC", date(2029, 11, 30), TODAY) == date(2029, 11, 30)
    assert "NMC register" in _message(v.renewal_date, "NMC", date(2030, 1, 31), TODAY)
    assert "every 5 years" in _message(v.revalidation_date, "GMC", date(2032, 1, 1), TODAY)
    assert v.revalidation_date("GMC", date(2031, 6, 1), TODAY) == date(2031, 6, 1)
