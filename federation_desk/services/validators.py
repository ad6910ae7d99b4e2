"""Validators for identifiers and contact details. Each returns the tidied value or raises ValidationError
with a message a practice manager understands. Formats: ../shared/DOMAIN.md 5.4 (ODS, PCN, CQC).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date as date_type

from federation_desk.errors import FieldProblem, ValidationError

ODS_PRACTICE = re.compile(r"^[A-Z]\d{5}$")
PCN_CODE = re.compile(r"^U\d{5}$")
CQC_ID = re.compile(r"^1-\d{9,11}$")
COMPANY_NUMBER = re.compile(r"^(?:\d{8}|(?:SC|NI|OC|SO|NC|R0)\d{6})$")
VAT_NUMBER = re.compile(r"^GB(?:\d{9}|\d{12})$")
POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?) ?(\d[A-Z]{2})$")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
PHONE = re.compile(r"^\+?[0-9 ()\-]{10,20}$")
_WHITESPACE = re.compile(r"\s+")


def _tidy(value: str | None) -> str:
    text = (value or "").strip()
    if "  " not in text and text.isprintable():  # the only spaces are single plain ones: nothing to collapse
        return text
    return _WHITESPACE.sub(" ", text)


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError([FieldProblem(field, message)])


def required_text(value: str | None, field: str, label: str, max_length: int = 200) -> str:
    text = _tidy(value)
    if not text:
        raise _fail(field, f"{label} is required.")
    if len(text) > max_length:
        raise _fail(field, f"{label} is too long: {len(text)} characters, at most {max_length}.")
    return text


def optional_text(value: str | None, field: str, label: str, max_length: int = 200) -> str | None:
    text = _tidy(value)
    if not text:
        return None
    return required_text(text, field, label, max_length)


def ods_practice_code(value: str | None, field: str = "ods_code") -> str:
    code = _tidy(value).upper().replace(" ", "")
    if not code:
        raise _fail(field, "The practice's ODS code is required (one letter and five digits, e.g. A81001).")
    if not ODS_PRACTICE.match(code):
        raise _fail(
            field,
            f"'{_tidy(value)}' is not a GP practice ODS code. It is one letter followed by five digits, "
            "e.g. A81001; you can look it up on the NHS ODS portal.",
        )
    return code


def pcn_code(value: str | None, field: str = "code") -> str:
    code = _tidy(value).upper().replace(" ", "")
    if not PCN_CODE.match(code):
        raise _fail(
            field, f"'{_tidy(value)}' is not a PCN code. PCN codes are the letter U and five digits, e.g. U12345."
        )
    return code


def cqc_id(value: str | None, field: str, label: str = "CQC location ID") -> str | None:
    text = _tidy(value).replace(" ", "")
    if not text:
        return None
    if not CQC_ID.match(text):
        raise _fail(field, f"'{_tidy(value)}' is not a {label}. CQC IDs look like 1-123456789.")
    return text


def postcode(value: str | None, field: str = "postcode") -> str | None:
    text = _tidy(value).upper().replace(" ", "")
    if not text:
        return None
    m = POSTCODE.match(text)
    if not m:
        raise _fail(field, f"'{_tidy(value)}' is not a UK postcode (for example LS1 4AP).")
    return f"{m.group(1)} {m.group(2)}"


def email(value: str | None, field: str = "email") -> str | None:
    text = _tidy(value)
    if not text:
        return None
    if not EMAIL.match(text):
        raise _fail(field, f"'{text}' is not an email address (name@example.nhs.net).")
    return text.lower() if text.lower().endswith("nhs.net") else text  # NHSmail addresses are lower case


def phone(value: str | None, field: str = "phone") -> str | None:
    text = _tidy(value)
    if not text:
        return None
    if not PHONE.match(text) or sum(ch.isdigit() for ch in text) < 10:
        raise _fail(field, f"'{text}' is not a telephone number (at least 10 digits, e.g. 0113 496 0000).")
    return text


def company_number(value: str | None, field: str = "companies_house_number") -> str | None:
    text = _tidy(value).upper().replace(" ", "")
    if not text:
        return None
    if text.isdigit() and len(text) < 8:
        text = text.zfill(8)
    if not COMPANY_NUMBER.match(text):
        raise _fail(field, f"'{_tidy(value)}' is not a Companies House number (8 characters, e.g. 09876543).")
    return text


def vat_number(value: str | None, field: str = "vat_number") -> str | None:
    text = _tidy(value).upper().replace(" ", "")
    if not text:
        return None
    if text.isdigit():
        text = "GB" + text
    if not VAT_NUMBER.match(text):
        raise _fail(field, f"'{_tidy(value)}' is not a UK VAT number (GB and 9 digits, e.g. GB123456789).")
    return text


def non_negative_int(value: str | int | None, field: str, label: str, maximum: int = 10_000_000) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().replace(",", "")
    if not text.isdigit():
        raise _fail(field, f"{label} must be a whole number, not '{str(value).strip()}'.")
    number = int(text)
    if number > maximum:
        raise _fail(field, f"{label} of {number:,} is larger than any practice has; please check it.")
    return number


def collect(*checks: Callable[[], object]) -> list[object]:
    """Run several field checks and raise one ValidationError naming every problem."""
    problems: list[FieldProblem] = []
    results: list[object] = []
    for check in checks:
        try:
            results.append(check())
        except ValidationError as err:
            problems.extend(err.problems)
            results.append(None)
    if problems:
        raise ValidationError(problems)
    return results


# ---- HR: professional registers, DBS certificates and dates (DOMAIN.md 1.3 and 1.5) ---------------------------

GMC_NUMBER = re.compile(r"^\d{7}$")
GMC_ASSOCIATE = re.compile(r"^A\d{6,7}$")
NMC_PIN = re.compile(r"^\d{2}[A-Z]\d{4}[A-Z]$")
GPHC_PHARMACIST = re.compile(r"^2\d{6}$")
GPHC_TECHNICIAN = re.compile(r"^5\d{6}$")
HCPC_PROFESSIONS = {
    "AS": "arts therapists",
    "BS": "biomedical scientists",
    "CH": "chiropodists and podiatrists",
    "CS": "clinical scientists",
    "DT": "dietitians",
    "HAD": "hearing aid dispensers",
    "ODP": "operating department practitioners",
    "OR": "orthoptists",
    "OT": "occupational therapists",
    "PA": "paramedics",
    "PH": "physiotherapists",
    "PO": "prosthetists and orthotists",
    "PYL": "practitioner psychologists",
    "RA": "radiographers",
    "SL": "speech and language therapists",
}
HCPC_NUMBER = re.compile(r"^(HAD|ODP|PYL|AS|BS|CH|CS|DT|OR|OT|PA|PH|PO|RA|SL)(\d{1,6})$")
DBS_CERTIFICATE = re.compile(r"^\d{12}$")
# How far ahead a renewal date can be (months, with a month's grace): GMC annual retention, NMC 3-yearly
# revalidation/renewal, GPhC annual, HCPC every 2 years (DOMAIN.md 1.3).
RENEWAL_MONTHS_AHEAD = {"GMC": 13, "NMC": 37, "GPhC": 13, "HCPC": 25}
REVALIDATION_MONTHS_AHEAD = {"GMC": 61, "NMC": 37, "GPhC": 13}
_REGISTER_NAMES = {"GMC": "GMC", "NMC": "NMC", "GPhC": "GPhC", "HCPC": "HCPC"}


_REGISTER_PREFIXES = ("GMC", "NMC", "GPHC", "HCPC")


def _compact(value: str | None) -> str:
    """Upper case with spaces, hyphens and a leading register name removed: ' gmc 123-4567 ' -> '1234567'."""
    text = _tidy(value).upper().replace(" ", "").replace("-", "").replace(".", "")
    if not text.startswith(_REGISTER_PREFIXES):
        return text
    for prefix in _REGISTER_PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            rest = text[len(prefix) :].lstrip(":#")
            if rest:
                return rest
    return text


def gmc_number(value: str | None, field: str = "number", associate: bool = False) -> str:
    """A GMC reference number: 7 digits for a doctor; 'A' and 6-7 digits for a physician associate."""
    if value and (GMC_ASSOCIATE if associate else GMC_NUMBER).fullmatch(value):
        return value  # already exactly in the register's form (the usual case in an import)
    raw = _tidy(value)
    text = _compact(raw)
    if not text:
        raise _fail(field, "The GMC number is required (7 digits, e.g. 1234567).")
    if associate:
        if GMC_ASSOCIATE.match(text):
            return text
        if GMC_NUMBER.match(text):
            raise _fail(
                field,
                f"'{raw}' is a doctor's GMC number. Physician associates have their own GMC number, which starts "
                "with A (e.g. A1234567).",
            )
        raise _fail(field, f"'{raw}' is not a GMC number for a physician associate: the letter A and 7 digits.")
    if GMC_NUMBER.match(text):
        return text
    if GMC_ASSOCIATE.match(text):
        raise _fail(
            field,
            f"'{raw}' is a physician associate's GMC number (it starts with A). A doctor's GMC number is 7 digits.",
        )
    if text.isdigit() and len(text) < 7:
        raise _fail(
            field,
            f"'{raw}' has {len(text)} digits; GMC numbers have 7. If it starts with a zero, include the zero "
            "(spreadsheets often drop it).",
        )
    raise _fail(field, f"'{raw}' is not a GMC number. GMC numbers are 7 digits, e.g. 1234567.")


def nmc_pin(value: str | None, field: str = "number") -> str:
    """An NMC PIN: 2 digits, a letter, 4 digits, a letter (e.g. 12A3456E)."""
    if value and NMC_PIN.fullmatch(value):
        return value  # already exactly in the register's form
    raw = _tidy(value)
    text = _compact(raw)
    if not text:
        raise _fail(field, "The NMC PIN is required (2 digits, a letter, 4 digits and a letter, e.g. 12A3456E).")
    if NMC_PIN.match(text):
        return text
    raise _fail(
        field,
        f"'{raw}' is not an NMC PIN. A PIN is 8 characters: 2 digits, a letter, 4 digits and a letter, e.g. 12A3456E.",
    )


def gphc_number(value: str | None, field: str = "number", technician: bool | None = None) -> str:
    """A GPhC registration number: 7 digits, starting 2 for a pharmacist and 5 for a pharmacy technician."""
    if value and (
        (technician is not False and GPHC_TECHNICIAN.fullmatch(value))
        or (technician is not True and GPHC_PHARMACIST.fullmatch(value))
    ):
        return value  # already exactly in the register's form, and the right one for the role
    raw = _tidy(value)
    text = _compact(raw)
    if not text:
        raise _fail(field, "The GPhC registration number is required (7 digits, e.g. 2012345).")
    if not (text.isdigit() and len(text) == 7):
        raise _fail(
            field,
            f"'{raw}' is not a GPhC number. GPhC numbers are 7 digits: pharmacists' start with 2 (e.g. 2012345), "
            "pharmacy technicians' with 5 (e.g. 5012345).",
        )
    if technician is True and not GPHC_TECHNICIAN.match(text):
        raise _fail(
            field,
            f"'{raw}' is not a pharmacy technician's GPhC number: those start with 5 "
            + ("(numbers starting with 2 are pharmacists')." if text.startswith("2") else "(e.g. 5012345)."),
        )
    if technician is False and not GPHC_PHARMACIST.match(text):
        raise _fail(
            field,
            f"'{raw}' is not a pharmacist's GPhC number: those start with 2 "
            + ("(numbers starting with 5 are pharmacy technicians')." if text.startswith("5") else "(e.g. 2012345)."),
        )
    if not (GPHC_PHARMACIST.match(text) or GPHC_TECHNICIAN.match(text)):
        raise _fail(
            field,
            f"'{raw}' is not a GPhC number: pharmacists' numbers start with 2 and pharmacy technicians' with 5.",
        )
    return text


def hcpc_number(value: str | None, field: str = "number", expected_prefix: str | None = None) -> str:
    """An HCPC registration number: the profession's prefix and up to 6 digits (PA = paramedics, PH =
    physiotherapists ...). Prescribing systems pad to 8 characters with zeros; both forms are accepted."""
    exact = HCPC_NUMBER.fullmatch(value) if value else None
    if exact and (not expected_prefix or exact.group(1) == expected_prefix):
        return value  # type: ignore[return-value]  # already exactly in the register's form, the role's prefix
    raw = _tidy(value)
    text = _compact(raw)
    if not text:
        raise _fail(field, "The HCPC registration number is required (a profession prefix and digits, e.g. PA123456).")
    m = HCPC_NUMBER.match(text)
    if not m:
        raise _fail(
            field,
            f"'{raw}' is not an HCPC registration number. It is the profession's prefix and up to 6 digits, "
            "e.g. PA123456 for a paramedic or PH123456 for a physiotherapist.",
        )
    prefix = m.group(1)
    if expected_prefix and prefix != expected_prefix:
        raise _fail(
            field,
            f"'{raw}' starts with {prefix}, the HCPC prefix for {HCPC_PROFESSIONS[prefix]}; this role needs a "
            f"{expected_prefix} number ({HCPC_PROFESSIONS[expected_prefix]}).",
        )
    return text


# The HCPC prefix a role's registration must carry (roles.json codes).
HCPC_PREFIX_FOR_ROLE = {"paramedic": "PA", "physiotherapist": "PH"}


def registration_number(regulator: str, value: str | None, field: str = "number", role_code: str = "") -> str:
    """A registration number checked against the register's format (and the role, where that decides it)."""
    if regulator == "GMC":
        return gmc_number(value, field, associate=role_code == "physician_associate")
    if regulator == "NMC":
        return nmc_pin(value, field)
    if regulator == "GPhC":
        technician = {"pharmacy_technician": True, "clinical_pharmacist": False}.get(role_code)
        return gphc_number(value, field, technician)
    if regulator == "HCPC":
        if role_code == "physician_associate":
            raise _fail(
                field,
                "Physician associates are registered with the GMC (a number starting with A), not the HCPC; "
                "HCPC numbers starting PA belong to paramedics.",
            )
        return hcpc_number(value, field, HCPC_PREFIX_FOR_ROLE.get(role_code))
    raise _fail(field, "Choose the register (GMC, NMC, GPhC or HCPC) before entering a registration number.")


def dbs_certificate_number(value: str | None, field: str = "certificate_number") -> str | None:
    """A DBS certificate number: 12 digits (spaces allowed as typed on the certificate)."""
    raw = _tidy(value)
    text = raw.replace(" ", "").replace("-", "")
    if not text:
        return None
    if DBS_CERTIFICATE.match(text):
        return text
    digits = sum(ch.isdigit() for ch in text)
    if text.isdigit():
        raise _fail(
            field,
            f"'{raw}' has {digits} digits; a DBS certificate number has 12. If it starts with a zero, include it "
            "(spreadsheets often drop it).",
        )
    raise _fail(field, f"'{raw}' is not a DBS certificate number: 12 digits, as printed on the certificate.")


def date_text(value: str | None, field: str, label: str, required: bool = False) -> date_type | None:
    """A date typed or imported as text (dd/mm/yyyy or yyyy-mm-dd), with the reason it cannot be read."""
    from federation_desk.services.dates import DateParseError, parse_date

    text = _tidy(value)
    if not text:
        if required:
            raise _fail(field, f"{label} is required (dd/mm/yyyy).")
        return None
    try:
        return parse_date(text)
    except DateParseError as exc:
        raise _fail(field, f"{label}: {exc}") from None


def not_in_future(value: date_type | None, today: date_type, field: str, label: str) -> date_type | None:
    if value is not None and value > today:
        from federation_desk.services.dates import format_date

        raise _fail(field, f"{label} ({format_date(value)}) is in the future; it must be today or earlier.")
    return value


def not_before(
    later: date_type | None, earlier: date_type | None, field: str, later_label: str, earlier_label: str
) -> date_type | None:
    """``later`` may not fall before ``earlier`` (an expiry before its issue date, a leave end before its start)."""
    if later is not None and earlier is not None and later < earlier:
        from federation_desk.services.dates import format_date

        raise _fail(
            field,
            f"{later_label} ({format_date(later)}) is before {earlier_label.lower()} ({format_date(earlier)}).",
        )
    return later


def plausible_date(
    value: date_type | None,
    field: str,
    label: str,
    earliest: date_type = date_type(1940, 1, 1),
    latest: date_type = date_type(2100, 12, 31),
) -> date_type | None:
    """Refuse dates no HR record can hold (a typo such as 01/01/1026 or 01/01/3026)."""
    if value is not None and not earliest <= value <= latest:
        from federation_desk.services.dates import format_date

        raise _fail(field, f"{label} ({format_date(value)}) cannot be right; check the year.")
    return value


def _months_ahead(today: date_type, months: int) -> date_type:
    import calendar

    year, month0 = divmod(today.month - 1 + months, 12)
    year += today.year
    return date_type(year, month0 + 1, min(today.day, calendar.monthrange(year, month0 + 1)[1]))


def renewal_date(
    regulator: str, value: date_type | None, today: date_type, field: str = "expires_on"
) -> date_type | None:
    """A registration's renewal date can be no further ahead than the register's cycle (DOMAIN.md 1.3)."""
    months = RENEWAL_MONTHS_AHEAD.get(regulator)
    if value is None or months is None:
        return value
    if value > _months_ahead(today, months):
        from federation_desk.services.dates import format_date

        cycle = {"GMC": "every year", "NMC": "every 3 years", "GPhC": "every year", "HCPC": "every 2 years"}[regulator]
        raise _fail(
            field,
            f"A {_REGISTER_NAMES[regulator]} registration renews {cycle}, so a renewal date of {format_date(value)} "
            f"is too far ahead. Check the date on the {_REGISTER_NAMES[regulator]} register.",
        )
    return value


def revalidation_date(
    regulator: str, value: date_type | None, today: date_type, field: str = "revalidation_due"
) -> date_type | None:
    months = REVALIDATION_MONTHS_AHEAD.get(regulator)
    if value is None or months is None:
        return value
    if value > _months_ahead(today, months):
        from federation_desk.services.dates import format_date

        cycle = {"GMC": "every 5 years", "NMC": "every 3 years", "GPhC": "every year"}[regulator]
        raise _fail(
            field,
            f"{_REGISTER_NAMES[regulator]} revalidation comes round {cycle}, so {format_date(value)} is too far "
            "ahead. Check the revalidation date with the regulator.",
        )
    return value
