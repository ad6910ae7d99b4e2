"""Importing staff and training records from CSV and Excel files: read (whatever the encoding, separator or
spreadsheet quirks), map columns to fields (guessed, or the mapping remembered from last time), validate every row
with a reason in plain English, and write only the rows the person accepts, in one transaction.

Matching is on stable keys, so importing the same file again updates the same people and never duplicates them:
staff are matched on staff number, then on professional registration number; training rows find their person by
staff number, registration number or email. A training completion already on record is not added twice.

Messy files this copes with: a UTF-8 byte-order mark, Windows-1252 text, comma, semicolon, tab or pipe separators,
Excel serial dates (45678) and Excel date cells, stray and non-breaking spaces, blank lines, repeated header names,
comma decimals (37,5), and ESR competence names (``NHS|CSTF|Fire Safety - 2 Years|``).
"""

from __future__ import annotations

import csv
import enum
import gc
import io
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Date, bindparam, func, insert, select, update
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import Session

from federation_desk.db.audit_hook import to_text
from federation_desk.domain.audit import AuditEntry
from federation_desk.domain.base import utcnow
from federation_desk.domain.compliance import ProfessionalRegistration, TrainingRecord, TrainingSubject
from federation_desk.domain.organisation import Practice
from federation_desk.domain.staff import EmploymentType, Regulator, Role, StaffMember
from federation_desk.errors import UnsupportedFile, ValidationError
from federation_desk.services import validators as v
from federation_desk.services.changes import Changes
from federation_desk.services.dates import format_date
from federation_desk.services.progress import NullProgress, Progress

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug is why it is not 31/12/1899)
SERIAL_RANGE = (20_000, 80_000)  # 1954 to 2119: numbers outside it in a date column are not dates


class ImportKind(enum.Enum):
    STAFF = "staff"
    TRAINING = "training"

    @property
    def label(self) -> str:
        return "Staff records" if self is ImportKind.STAFF else "Training records"


@dataclass(frozen=True)
class TargetField:
    key: str
    label: str
    kind: str = "text"  # text / date / number
    synonyms: tuple[str, ...] = ()


STAFF_FIELDS: tuple[TargetField, ...] = (
    TargetField(
        "staff_number",
        "Staff number",
        synonyms=(
            "staff no",
            "staff id",
            "employee number",
            "employee no",
            "assignment number",
            "payroll number",
            "person id",
            "id",
        ),
    ),
    TargetField("given_name", "Given name", synonyms=("first name", "forename", "forenames", "first names", "given")),
    TargetField("family_name", "Family name", synonyms=("surname", "last name", "family")),
    TargetField(
        "full_name",
        "Full name (given then family, or 'Family, Given')",
        synonyms=("name", "full name", "staff name", "employee name"),
    ),
    TargetField("preferred_name", "Preferred name", synonyms=("known as", "preferred")),
    TargetField("role", "Role", synonyms=("job title", "job role", "position", "post", "staff group", "role")),
    TargetField(
        "practice",
        "Employer practice (ODS code or name)",
        synonyms=("practice", "practice code", "ods code", "ods", "employer", "organisation", "site"),
    ),
    TargetField(
        "employment_type", "Employment type", synonyms=("employment", "contract type", "employment status", "contract")
    ),
    TargetField("email", "Email", synonyms=("email address", "e-mail", "nhs mail", "nhsmail")),
    TargetField("phone", "Telephone", synonyms=("phone", "mobile", "telephone number", "phone number", "tel")),
    TargetField("start_date", "Start date", "date", ("start", "date started", "employment start", "start date")),
    TargetField("leave_date", "Leaving date", "date", ("end date", "leaving date", "leave date", "date left")),
    TargetField(
        "contracted_hours",
        "Contracted hours a week",
        "number",
        ("hours", "contracted hours", "weekly hours", "hours per week", "wte hours"),
    ),
    TargetField(
        "registration_number",
        "Registration number (GMC, NMC, GPhC or HCPC)",
        synonyms=(
            "gmc",
            "gmc number",
            "nmc",
            "nmc pin",
            "pin",
            "gphc",
            "gphc number",
            "hcpc",
            "hcpc number",
            "registration",
            "professional registration",
            "registration number",
        ),
    ),
    TargetField(
        "registration_expiry",
        "Registration renewal date",
        "date",
        ("registration expiry", "renewal date", "expiry date", "registration renewal", "pin expiry"),
    ),
    TargetField(
        "revalidation_due", "Revalidation date", "date", ("revalidation", "revalidation date", "revalidation due")
    ),
)
TRAINING_FIELDS: tuple[TargetField, ...] = (
    TargetField("staff_number", "Staff number", synonyms=STAFF_FIELDS[0].synonyms),
    TargetField("registration_number", "Registration number", synonyms=STAFF_FIELDS[13].synonyms),
    TargetField("email", "Email", synonyms=STAFF_FIELDS[8].synonyms),
    TargetField("full_name", "Name (for the report only)", synonyms=("name", "full name", "staff name", "employee")),
    TargetField(
        "subject",
        "Training subject (name or ESR competence)",
        synonyms=("course", "subject", "competence", "competence name", "training", "module", "course name"),
    ),
    TargetField("level", "Level", "number", ("level", "course level", "tier")),
    TargetField(
        "completed_on",
        "Completed on",
        "date",
        (
            "completed",
            "completion date",
            "date completed",
            "achieved",
            "achievement date",
            "date achieved",
            "date",
            "passed",
        ),
    ),
    TargetField(
        "expires_on", "Certificate expiry", "date", ("expiry", "expires", "expiry date", "valid until", "renewal date")
    ),
    TargetField("hours", "Hours", "number", ("hours", "duration", "cpd hours")),
    TargetField("provider", "Provider", synonyms=("provider", "training provider", "delivered by", "source")),
)
IGNORE = ""  # the mapping value for "do not import this column"
SUBJECT_PREFIX = "subject:"  # wide training files: a column per subject holding completion dates


def fields_for(kind: ImportKind) -> tuple[TargetField, ...]:
    return STAFF_FIELDS if kind is ImportKind.STAFF else TRAINING_FIELDS


# ---- reading ---------------------------------------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u200b\ufeff]+")


_ODD_SPACES = re.compile(r"[\t\n\r\x0b\x0c\u00a0\u2007\u202f\u200b\ufeff]|  ")


def tidy(value: Any) -> str:
    """Cell text with stray, non-breaking and zero-width spaces cleaned away."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if _ODD_SPACES.search(text) is None:  # the usual case: at most spaces at the ends
        return text.strip()
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=8192)
def header_key(text: str) -> str:
    """A header reduced to letters and digits, lower case, accents dropped: 'Date Started ' -> 'datestarted'."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum())


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text (Excel dates already as dates), with how it was read."""

    source: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # cell values: str, or date/float/int from Excel
    lines: tuple[int, ...]  # the file line (or sheet row) of each row, for messages
    notes: tuple[str, ...] = ()
    clean: bool = (
        False  # no tabs, non-breaking or zero-width spaces, or double spaces anywhere: cells only need strip()
    )

    def samples(self, column: int, n: int = 3) -> list[str]:
        found = []
        for row in self.rows:
            if column < len(row):
                text = format_date(row[column]) if isinstance(row[column], date) else tidy(row[column])
                if text:
                    found.append(text)
            if len(found) >= n:
                break
        return found


def read_table(path: Path, progress: Progress | None = None) -> RawTable:
    """Read a CSV or Excel (.xlsx) file, refusing what cannot be read with what to do about it."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnsupportedFile(
            f"'{path.name}' could not be opened ({exc.strerror}).", "Check the file and try again."
        ) from exc
    if size == 0:
        raise UnsupportedFile(f"'{path.name}' is empty.", "Choose the file again; it may not have finished saving.")
    if size > MAX_IMPORT_BYTES:
        raise UnsupportedFile(
            f"'{path.name}' is {size / (1024 * 1024):.0f} MB; imports are limited to "
            f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB.",
            "Split the file into smaller ones, or remove columns you do not need, and import each.",
        )
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if data.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, data, progress)
    if data.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise UnsupportedFile(
            f"'{path.name}' is an old-style Excel file (.xls), which Federation Desk cannot read.",
            "Open it in Excel and save it as an Excel workbook (.xlsx) or as CSV, then import that.",
        )
    with _no_gc():  # a row tuple per line, none of them garbage: see _no_gc
        return _read_text(path.name, data)


def _decode(name: str, data: bytes) -> tuple[str, list[str]]:
    notes: list[str] = []
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        text = data.decode("utf-16")
        notes.append("Read as UTF-16 text.")
        return text, notes
    if b"\x00" in data[:4096]:
        raise UnsupportedFile(
            f"'{name}' is not a text (CSV) file or an Excel workbook.",
            "Export the list from your system as CSV or Excel (.xlsx) and import that file.",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), ["The file starts with a UTF-8 byte-order mark (ignored)."]
    try:
        return data.decode("utf-8"), notes
    except UnicodeDecodeError:
        notes.append("Read as Windows-1252 text (the file is not UTF-8): check accented names look right.")
        return data.decode("cp1252", errors="replace"), notes


def _separator(first_line: str) -> str:
    counts = {sep: 0 for sep in (",", ";", "\t", "|")}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _read_text(name: str, data: bytes) -> RawTable:
    text, notes = _decode(name, data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise UnsupportedFile(f"'{name}' has no rows.", "Check it is the right file: the first row should be headings.")
    sep = _separator(first)
    if sep != ",":
        notes.append({";": "Semicolon", "\t": "Tab", "|": "Pipe"}[sep] + "-separated columns.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows: list[tuple[str, ...]] = []
    numbers: list[int] = []
    headers: tuple[str, ...] | None = None
    blank = 0
    for raw in reader:
        if not "".join(raw).strip():  # every cell empty or spaces
            blank += headers is not None
            continue
        if headers is None:
            headers = tuple(raw)
            continue
        rows.append(tuple(raw))
        numbers.append(reader.line_num)
        if len(rows) > MAX_IMPORT_ROWS:
            raise UnsupportedFile(
                f"'{name}' has more than {MAX_IMPORT_ROWS:,} rows.", "Split it into smaller files and import each."
            )
    if blank:
        notes.append(f"{blank} blank line{'s' if blank != 1 else ''} skipped.")
    table = _finish(name, headers or (), rows, numbers, notes)
    clean = not any(odd in text for odd in _UNCLEAN_TEXT)
    return replace(table, clean=clean) if clean else table


# What makes text need more than strip(): one search of the whole text for each (much faster than a regex).
_UNCLEAN_TEXT = ("\t", "\x0b", "\x0c", "\u00a0", "\u2007", "\u202f", "\u200b", "\ufeff", "  ")


def _read_xlsx(path: Path, data: bytes, progress: Progress | None) -> RawTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UnsupportedFile(
            f"'{path.name}' could not be read as an Excel workbook ({type(exc).__name__}).",
            "Open it in Excel, save it again as .xlsx (or CSV), and import that.",
        ) from exc
    try:
        sheets = [ws for ws in workbook.worksheets if ws.max_row and ws.max_row > 1] or workbook.worksheets[:1]
        sheet = sheets[0]
        notes = [
            f"Read the sheet '{sheet.title}'"
            + (f" (the first of {len(sheets)} with data)." if len(sheets) > 1 else ".")
        ]
        rows: list[tuple[Any, ...]] = []
        numbers: list[int] = []
        headers: tuple[str, ...] | None = None
        blank = 0
        for number, raw in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = tuple(_excel_cell(c) for c in raw)
            if not any(c not in (None, "") and tidy(c) for c in cells):
                blank += headers is not None
                continue
            if headers is None:
                headers = tuple(tidy(c) for c in cells)
                continue
            rows.append(cells)
            numbers.append(number)
            if len(rows) > MAX_IMPORT_ROWS:
                raise UnsupportedFile(
                    f"'{path.name}' has more than {MAX_IMPORT_ROWS:,} rows.", "Split it and import each part."
                )
            if progress is not None and len(rows) % 2000 == 0:
                progress.update(len(rows), None, f"Reading row {len(rows):,} ...")
    finally:
        workbook.close()
    if blank:
        notes.append(f"{blank} blank row{'s' if blank != 1 else ''} skipped.")
    return _finish(path.name, headers or (), rows, numbers, notes)


def _excel_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _finish(
    name: str, headers: Sequence[Any], rows: list[tuple[Any, ...]], numbers: list[int], notes: list[str]
) -> RawTable:
    cleaned = [tidy(h) for h in headers]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if not cleaned:
        raise UnsupportedFile(
            f"'{name}' has no heading row.", "Put the column headings in the first row and try again."
        )
    seen: Counter[str] = Counter()
    unique = []
    for i, h in enumerate(cleaned):
        h = h or f"Column {i + 1}"
        seen[h] += 1
        unique.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    if not rows:
        raise UnsupportedFile(f"'{name}' has headings but no rows of data.", "Check it is the right file.")
    return RawTable(name, tuple(unique), tuple(rows), tuple(numbers), tuple(notes))


# ---- mapping ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectKey:
    """How the importer recognises training subjects by name."""

    names: dict[str, tuple[int, int | None]]  # header_key(name) -> (subject id, level or None)
    labels: dict[int, str]
    levels: dict[int, tuple[int, ...]]


_ESR = re.compile(r"^\s*NHS\s*\|\s*CSTF\s*\|\s*(?P<name>.+?)\s*-\s*(?P<years>\d+)\s*Years?\s*\|?\s*$", re.IGNORECASE)
_LEVEL_SUFFIX = re.compile(r"^(?P<name>.+?)[\s\-–(,]*(?:level|lvl|l|tier)\s*(?P<level>\d)\)?$", re.IGNORECASE)


def subject_key(session: Session) -> SubjectKey:
    from federation_desk.domain.compliance import TrainingLevel

    names: dict[str, tuple[int, int | None]] = {}
    labels: dict[int, str] = {}
    levels: dict[int, list[int]] = defaultdict(list)
    for sid, level in session.execute(select(TrainingLevel.subject_id, TrainingLevel.level)):
        levels[sid].append(level)
    for sid, code, name, short, esr, aliases in session.execute(
        select(
            TrainingSubject.id,
            TrainingSubject.code,
            TrainingSubject.name,
            TrainingSubject.short_name,
            TrainingSubject.esr_name,
            TrainingSubject.aliases,
        ).where(TrainingSubject.active.is_(True))
    ):
        labels[sid] = name
        for text in (code, name, short, esr, *(aliases or "").split("|")):
            if text:
                names.setdefault(header_key(text), (sid, None))
    return SubjectKey(names, labels, {k: tuple(sorted(x)) for k, x in levels.items()})


def match_subject(text: str, key: SubjectKey) -> tuple[int, int | None] | None:
    """A subject (and level, when the text names one) from a course name, an ESR competence or a header."""
    raw = tidy(text)
    if not raw:
        return None
    m = _ESR.match(raw)
    if m:
        raw = m.group("name")
    found = key.names.get(header_key(raw))
    if found is not None:
        return found
    m2 = _LEVEL_SUFFIX.match(raw)
    if m2:
        found = key.names.get(header_key(m2.group("name")))
        if found is not None:
            return found[0], int(m2.group("level"))
    return None


def guess_mapping(
    table: RawTable, kind: ImportKind, remembered: dict[str, str] | None = None, subjects: SubjectKey | None = None
) -> list[str]:
    """A field key for every column (``IGNORE`` for none): the remembered mapping for headers seen before, then
    the headers' usual names; for training, a column named after a subject holds its completion dates."""
    remembered = remembered or {}
    known = {f.key for f in fields_for(kind)}
    by_name: dict[str, str] = {}
    for f in fields_for(kind):
        for name in (f.key, f.label, *f.synonyms):
            by_name.setdefault(header_key(name), f.key)
    result: list[str] = []
    used: set[str] = set()
    for header in table.headers:
        hk = header_key(header)
        if hk in remembered:
            choice = remembered[hk]
            if choice == IGNORE:  # the person chose not to import this column last time
                result.append(IGNORE)
                continue
            if (choice in known or choice.startswith(SUBJECT_PREFIX)) and choice not in used:
                result.append(choice)
                used.add(choice)
                continue
        choice = by_name.get(hk, "")
        if not choice and kind is ImportKind.TRAINING and subjects is not None:
            found = match_subject(header, subjects)
            if found is not None:
                choice = f"{SUBJECT_PREFIX}{found[0]}" + (f":{found[1]}" if found[1] else "")
        if choice in used:
            choice = IGNORE
        result.append(choice)
        if choice:
            used.add(choice)
    return result


def mapping_to_remember(table: RawTable, mapping: Sequence[str]) -> dict[str, str]:
    """What to remember for next time: each header's field, including the columns left out."""
    return {header_key(h): m for h, m in zip(table.headers, mapping)}


# ---- validating ------------------------------------------------------------------------------------------------


class Action(enum.Enum):
    ADD = "add"
    UPDATE = "update"
    UNCHANGED = "no change"
    ERROR = "problem"

    @property
    def label(self) -> str:
        return {"add": "Add", "update": "Update", "no change": "No change", "problem": "Problem"}[self.value]


@dataclass(frozen=True)
class RowResult:
    line: int
    action: Action
    name: str  # who the row is about, for the report
    key: str  # the stable key it matched or will be found by
    problems: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()  # the fields an update changes
    match_id: int | None = None
    values: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.action is not Action.ERROR

    @property
    def message(self) -> str:
        if self.problems:
            return " ".join(self.problems)
        if self.action is Action.UPDATE:
            return "Updates " + ", ".join(self.changes) + "."
        if self.action is Action.UNCHANGED:
            return "Already on record; nothing to change."
        if self.changes:
            return "Adds " + "; ".join(self.changes) + "."
        return "New."


@dataclass(frozen=True)
class ImportPreview:
    kind: ImportKind
    source: str
    headers: tuple[str, ...]
    mapping: tuple[str, ...]
    rows: tuple[RowResult, ...]
    notes: tuple[str, ...]
    on: date

    def count(self, action: Action) -> int:
        return sum(1 for r in self.rows if r.action is action)

    @property
    def writable(self) -> list[RowResult]:
        adding, updating = Action.ADD, Action.UPDATE  # looked up once: an enum member from its class is not free
        return [r for r in self.rows if r.action is adding or r.action is updating]

    @property
    def summary(self) -> str:
        parts = [
            f"{len(self.rows):,} rows",
            f"{self.count(Action.ADD):,} to add",
            f"{self.count(Action.UPDATE):,} to update",
            f"{self.count(Action.UNCHANGED):,} unchanged",
            f"{self.count(Action.ERROR):,} with problems",
        ]
        return ", ".join(parts)


class _DateColumn:
    """Reads one column's dates the British way, deciding once whether the file writes them month-first."""

    _DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
    _YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
    _SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")

    def __init__(self, label: str, values: Iterable[Any]) -> None:
        self.label = label
        self.us_example: str | None = None
        self._seen: dict[str, tuple[str, re.Match[str] | None]] = {}  # cell -> its text and day-month-year match
        for value in dict.fromkeys(values):  # each distinct value once, in the file's order
            if isinstance(value, str):
                text = tidy(value)
                m = self._seen[value] = (text, self._DMY.match(text))
                if m[1] and int(m[1][2]) > 12 and int(m[1][1]) <= 12:
                    self.us_example = text
                    break
        self.serials = 0
        self._cache: dict[Any, date | str | None] = {}

    def read(self, value: Any) -> date | str | None:
        """A date, None for an empty cell, or the reason (a str) it cannot be read."""
        found = self._cache.get(value, _MISSING)
        if found is _MISSING:
            found = self._cache[value] = self._read(value)
        return found  # type: ignore[return-value]

    def read_all(self, values: Sequence[Any]) -> list[date | str | None]:
        """:meth:`read` for each of ``values``; each distinct value is read once."""
        cache = self._cache
        for value in dict.fromkeys(values):
            if value not in cache:
                cache[value] = self._read(value)
        return list(map(cache.__getitem__, values))

    def _read(self, value: Any) -> date | str | None:
        if value is None:
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, int | float):
            return self._serial(float(value), str(value))
        seen = self._seen.pop(value, None)  # the text and its day-month-year match, when __init__ looked at it
        text, m = seen if seen is not None else (tidy(value), None)
        if not text:
            return None
        if m is None:  # not day-month-year (the two forms cannot both match), or not looked at yet
            ymd = self._YMD.match(text)
            if ymd:
                return self._make(int(ymd[1]), int(ymd[2]), int(ymd[3]), text)
            if seen is None:
                m = self._DMY.match(text)
        if m:
            a, b, year = int(m[1]), int(m[2]), m[3]
            if len(year) != 4:
                return f"{self.label} '{text}' has a two-digit year, so the century is a guess; write it in full (e.g. 21/11/2026)."  # noqa: E501
            if self.us_example is not None:
                if a <= 12 and b <= 12 and a != b:
                    return (
                        f"{self.label} '{text}' is ambiguous: this column also has month-first dates such as "
                        f"{self.us_example}, so it could be {format_date(_safe(int(year), b, a))} or "
                        f"{format_date(_safe(int(year), a, b))}. Write dates as dd/mm/yyyy."
                    )
                if b > 12:
                    return f"{self.label} '{text}' is written month-first (American style); write it as dd/mm/yyyy."
            return self._make(int(year), b, a, text)
        if self._SERIAL.match(text):
            return self._serial(float(text), text)
        return f"{self.label} '{text}' is not a date; write dates as dd/mm/yyyy."

    def _serial(self, number: float, text: str) -> date | str:
        if SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
            self.serials += 1
            return EXCEL_EPOCH + timedelta(days=int(number))
        return f"{self.label} '{text}' is a number, not a date; write dates as dd/mm/yyyy."

    def _make(self, year: int, month: int, day: int, text: str) -> date | str:
        try:
            d = date(year, month, day)
        except ValueError:
            return f"{self.label} '{text}' is not a real date."
        if not _EARLIEST <= d <= _LATEST:
            return f"{self.label} '{text}' cannot be right; check the year."
        return d


_MISSING: Any = object()
_EARLIEST, _LATEST = date(1940, 1, 1), date(2100, 12, 31)  # no HR date falls outside these


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")
# A telephone number as validators.phone takes it, and with at least 10 digits: one match for both checks.
_PHONE_10_DIGITS = re.compile(r"^(?=(?:\D*\d){10})" + v.PHONE.pattern.removeprefix("^"))
_HOURS_SUFFIX = re.compile(r"\s*(?:h|hr|hrs|hours?|per week|/\s*week|pw)\.?$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _number(value: Any, label: str, low: float, high: float) -> float | str | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = _HOURS_SUFFIX.sub("", tidy(value))
        if not text:
            return None
        if not _NUMBER.match(text):
            return f"{label} '{tidy(value)}' is not a number."
        number = float(text.replace(",", "."))
    if not low <= number <= high:
        return f"{label} {number:g} cannot be right ({low:g} to {high:g})."
    return number


EMPLOYMENT_WORDS: dict[str, EmploymentType] = {
    "employed": EmploymentType.EMPLOYED,
    "salaried": EmploymentType.EMPLOYED,
    "permanent": EmploymentType.EMPLOYED,
    "fixedterm": EmploymentType.EMPLOYED,
    "substantive": EmploymentType.EMPLOYED,
    "sessional": EmploymentType.SESSIONAL,
    "locum": EmploymentType.LOCUM,
    "selfemployed": EmploymentType.LOCUM,
    "arrs": EmploymentType.ARRS,
    "arrsfunded": EmploymentType.ARRS,
    "bank": EmploymentType.BANK,
    "": EmploymentType.EMPLOYED,
}
ROLE_WORDS: dict[str, str] = {
    "gp": "gp",
    "generalpractitioner": "gp",
    "salariedgp": "gp",
    "gppartner": "gp",
    "partner": "gp",
    "locumgp": "gp",
    "anp": "anp",
    "acp": "anp",
    "advancednursepractitioner": "anp",
    "nurse": "practice_nurse",
    "practicenurse": "practice_nurse",
    "hca": "hca",
    "healthcareassistant": "hca",
    "pharmacist": "clinical_pharmacist",
    "physio": "physiotherapist",
    "fcp": "physiotherapist",
    "pa": "physician_associate",
    "physicianassistant": "physician_associate",
    "receptionist": "receptionist",
    "carenavigator": "receptionist",
    "admin": "administrator",
    "pm": "manager",
    "practicemanager": "manager",
    "splw": "social_prescriber",
    "socialprescriber": "social_prescriber",
}


@dataclass
class _Lookups:
    roles: dict[str, tuple[int, str, Regulator]]  # header_key(code or name) -> (id, code, regulator)
    practices: dict[str, tuple[int, str]]  # ODS code or header_key(name) -> (id, name)
    by_number: dict[str, int]
    by_registration: dict[tuple[Regulator, str], int]
    by_email: dict[str, int]
    by_name: dict[tuple[str, str, int | None], list[int]]  # (given, family, practice) folded -> ids
    staff: dict[int, dict[str, Any]]  # id -> current values of the importable columns
    current_registration: dict[int, tuple[Regulator, str, date | None, date | None]]


_STAFF_COLUMNS = (
    "staff_number",
    "given_name",
    "family_name",
    "preferred_name",
    "email",
    "phone",
    "role_id",
    "employer_practice_id",
    "employment_type",
    "start_date",
    "leave_date",
    "contracted_hours",
)


def _fold(text: str | None) -> str:
    return header_key(text or "")


def _lookups(session: Session) -> _Lookups:
    roles: dict[str, tuple[int, str, Regulator]] = {}
    codes: dict[str, tuple[int, str, Regulator]] = {}
    for rid, code, name, regulator in session.execute(select(Role.id, Role.code, Role.name, Role.regulator)):
        roles[header_key(code)] = roles[header_key(name)] = codes[code] = (rid, code, regulator)
    for word, code in ROLE_WORDS.items():
        if code in codes:
            roles.setdefault(word, codes[code])
    practices: dict[str, tuple[int, str]] = {}
    for pid, ods, name in session.execute(select(Practice.id, Practice.ods_code, Practice.name)):
        practices[ods.upper()] = practices[header_key(name)] = (pid, name)
    S = StaffMember
    staff: dict[int, dict[str, Any]] = {}
    by_number: dict[str, int] = {}
    by_email: dict[str, int] = {}
    by_name: dict[tuple[str, str, int | None], list[int]] = defaultdict(list)
    for row in session.execute(select(S.id, S.version, *[getattr(S, c) for c in _STAFF_COLUMNS])):
        values = dict(zip(("id", "version", *_STAFF_COLUMNS), row))
        staff[row[0]] = values
        if values["staff_number"]:
            by_number[values["staff_number"].upper()] = row[0]
        if values["email"]:
            by_email[values["email"].casefold()] = row[0]
        by_name[
            (values["given_name"].casefold(), values["family_name"].casefold(), values["employer_practice_id"])
        ].append(row[0])
    R = ProfessionalRegistration
    by_registration: dict[tuple[Regulator, str], int] = {}
    current: dict[int, tuple[Regulator, str, date | None, date | None]] = {}
    for sid, regulator, number, expires, reval in session.execute(
        select(R.staff_id, R.regulator, R.number, R.expires_on, R.revalidation_due).order_by(R.id)
    ):
        by_registration[(regulator, number)] = sid
        current[sid] = (regulator, number, expires, reval)
    return _Lookups(roles, practices, by_number, by_registration, by_email, dict(by_name), staff, current)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of small objects are made (it would otherwise
    walk the whole heap again and again); nothing made here is cyclic garbage."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def validate(
    session: Session,
    table: RawTable,
    kind: ImportKind,
    mapping: Sequence[str],
    on: date | None = None,
    progress: Progress | None = None,
) -> ImportPreview:
    """Check every row and decide what it would do (add, update, nothing) or why it cannot be imported."""
    from federation_desk.services.dates import today

    on = on or today()
    progress = progress or NullProgress()
    mapping = tuple(mapping) + (IGNORE,) * (len(table.headers) - len(mapping))
    _check_mapping(kind, mapping, table)
    with _no_gc():
        lookups = _lookups(session)
        if kind is ImportKind.STAFF:
            rows = _validate_staff(table, mapping, lookups, on, progress)
        else:
            rows = _validate_training(session, table, mapping, lookups, on, progress)
    notes = list(table.notes)
    return ImportPreview(kind, table.source, table.headers, mapping, tuple(rows), tuple(notes), on)


def _check_mapping(kind: ImportKind, mapping: Sequence[str], table: RawTable) -> None:
    chosen = [m for m in mapping if m]
    doubled = [m for m, n in Counter(chosen).items() if n > 1]
    labels = {f.key: f.label for f in fields_for(kind)}
    if doubled:
        raise ValidationError(
            "Two columns are mapped to the same field: "
            + ", ".join(labels.get(m, m) for m in doubled)
            + ". Each field can come from one column only.",
            "Set one of them to 'Do not import'.",
        )
    have = set(chosen)
    if kind is ImportKind.STAFF:
        missing = []
        if not ({"given_name", "family_name"} <= have or "full_name" in have):
            missing.append("the given and family names (or a full-name column)")
        if "role" not in have:
            missing.append("the role")
        if missing:
            raise ValidationError(
                f"Staff records need {' and '.join(missing)}; no column is mapped to "
                f"{'them' if len(missing) > 1 else 'it'}.",
                "Choose the matching column for each in the mapping step.",
            )
    else:
        if not have & {"staff_number", "registration_number", "email"}:
            raise ValidationError(
                "Training rows need a column that identifies the person: staff number, registration number or email.",
                "Map one of those columns in the mapping step.",
            )
        wide = any(m.startswith(SUBJECT_PREFIX) for m in chosen)
        if not wide and not {"subject", "completed_on"} <= have:
            raise ValidationError(
                "Training rows need the subject and the completion date (or one column per subject holding "
                "completion dates); they are not mapped.",
                "Map the subject and completed-on columns in the mapping step.",
            )


def _cell(row: tuple[Any, ...], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    return row[index]


def _text(row: tuple[Any, ...], index: int | None) -> str:
    value = _cell(row, index)
    if isinstance(value, date):
        return format_date(value)
    return tidy(value)


def _split_name(full: str) -> tuple[str, str]:
    if "," in full:
        family, _, given = full.partition(",")
        return tidy(given), tidy(family)
    parts = full.rsplit(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", full)


def _cell_text(value: Any) -> str:
    """A cell that is not plain text (a date, a number, nothing), or text with odd spaces, as clean text."""
    if isinstance(value, date):
        return format_date(value)
    return tidy(value)


def _column_cells(table: RawTable, index: int | None, shortest: int) -> list[Any]:
    """One column's cells, None where a short row has no such cell (``shortest``: the shortest row's length)."""
    rows = table.rows
    if index is None:
        return [None] * len(rows)
    if index < shortest:
        return list(map(itemgetter(index), rows))
    return [row[index] if index < len(row) else None for row in rows]


def _column_texts(table: RawTable, cells: list[Any]) -> list[str]:
    """A column's cells as text, tidied as :func:`tidy` would (dates written the British way)."""
    if table.clean:  # no odd spaces anywhere: plain text only needs strip()
        try:
            return list(map(str.strip, cells))
        except TypeError:  # not all of it text
            return [c.strip() if c.__class__ is str else _cell_text(c) for c in cells]
    odd = _ODD_SPACES.search
    return [c.strip() if c.__class__ is str and odd(c) is None else _cell_text(c) for c in cells]


def _per_distinct(column: list[Any] | None, read: Callable[[Any], Any]) -> list[Any]:
    """``read`` of each value in ``column``, calling it once per distinct value ([] for no column)."""
    if column is None:
        return []
    found = {value: read(value) for value in dict.fromkeys(column)}
    return list(map(found.__getitem__, column))


def _validate_staff(
    table: RawTable, mapping: Sequence[str], lk: _Lookups, on: date, progress: Progress
) -> list[RowResult]:
    col = {m: i for i, m in enumerate(mapping) if m}
    labels = {f.key: table.headers[col[f.key]] for f in STAFF_FIELDS if f.key in col}
    total = len(table.rows)
    shortest = min(map(len, table.rows), default=0)
    # Column by column first (in C, mostly): each mapped field's cells, and as text where the field is text.
    cells = {key: _column_cells(table, index, shortest) for key, index in col.items()}
    blank = [""] * total

    def texts(key: str) -> list[str]:
        return _column_texts(table, cells[key]) if key in col else blank

    date_keys = [k for k in ("start_date", "leave_date", "registration_expiry", "revalidation_due") if k in col]
    dates = [(key, _DateColumn(labels[key], cells[key]).read_all(cells[key])) for key in date_keys]
    givens, families, full_names = texts("given_name"), texts("family_name"), texts("full_name")
    preferred = texts("preferred_name") if "preferred_name" in col else None
    role_texts, practice_texts = texts("role"), texts("practice") if "practice" in col else None
    employment_texts = texts("employment_type") if "employment_type" in col else None
    staff_numbers = [t.upper().replace(" ", "") for t in texts("staff_number")] if "staff_number" in col else blank
    mails = texts("email") if "email" in col else None
    phones = texts("phone") if "phone" in col else None
    hours_cells = cells.get("contracted_hours")
    hours_label = labels.get("contracted_hours", "")
    registrations = texts("registration_number") if "registration_number" in col else blank
    has_full_name = "full_name" in col
    given_label = labels.get("given_name", labels.get("full_name", "name"))
    family_label = labels.get("family_name", labels.get("full_name", "name"))

    results: list[RowResult] = []
    seen_numbers: dict[str, int] = {}
    seen_registrations: dict[str, int] = {}
    seen_names: dict[tuple[str, str, int | None], int] = {}
    email_check = v.EMAIL.match
    phone_check = _PHONE_10_DIGITS.match
    by_number, by_registration, by_name = lk.by_number, lk.by_registration, lk.by_name

    def practice_of(text: str) -> Any:
        if header_key(text) in ("federation", "thefederation", "pcn", "central"):
            return (None, "Federation")
        return lk.practices.get(text.upper().replace(" ", "")) or lk.practices.get(header_key(text))

    def role_of(text: str) -> Any:  # (id, code, register, the register's name) or None
        found = lk.roles.get(header_key(text)) if text else None
        return found and (*found, found[2].value)

    # Roles, practices and hours repeat down a file: each distinct text is looked up once.
    roles = _per_distinct(role_texts, role_of)
    practices = _per_distinct(practice_texts, lambda text: practice_of(text) if text else None)
    hours_read = _per_distinct(hours_cells, lambda cell: _number(cell, hours_label, 0, 60))

    # Email and telephone, column by column: whether each is wrong, and the value to store.
    if mails is not None:
        bad_mails = [bool(mail) and not email_check(mail) for mail in mails]
        mail_values = [(lower if (lower := mail.lower()).endswith("nhs.net") else mail) or None for mail in mails]
    if phones is not None:
        bad_phones = [bool(tel) and not phone_check(tel) for tel in phones]
    unregistered, employed = Regulator.NONE, EmploymentType.EMPLOYED
    add, error = Action.ADD, Action.ERROR

    for n, line in enumerate(table.lines):
        if n % 1000 == 0:
            progress.update(n, total, f"Checking row {n + 1:,} of {total:,} ...")
        problems: list[str] = []
        values: dict[str, Any] = {}
        # names
        given, family = givens[n], families[n]
        if not given and not family and has_full_name:
            given, family = _split_name(full_names[n])
        if not given:
            problems.append(f"The given name is blank ({given_label}).")
        if not family:
            problems.append(f"The family name is blank ({family_label}).")
        if len(given) > 120 or len(family) > 120:
            problems.append("A name is longer than 120 characters.")
        values["given_name"], values["family_name"] = given, family
        if preferred is not None:
            values["preferred_name"] = preferred[n] or None
        # role
        role_text = role_texts[n]
        role = roles[n]
        if not role_text:
            problems.append(f"The role is blank ({labels['role']}).")
        elif role is None:
            problems.append(
                f"Unknown role '{role_text}'. Use a role from the catalogue, e.g. GP, Practice nurse, Receptionist."
            )
        else:
            values["role_id"] = role[0]
        # practice
        if practice_texts is not None:
            practice_text = practice_texts[n]
            if not practice_text:
                values["employer_practice_id"] = None
            else:
                found = practices[n]
                if found is None:
                    problems.append(
                        f"Unknown practice '{practice_text}'. Use the practice's ODS code (e.g. A81001) or its name as "
                        "on the Organisation page."
                    )
                else:
                    values["employer_practice_id"] = found[0]
        # employment
        if employment_texts is not None:
            employment_text = employment_texts[n]
            employment = EMPLOYMENT_WORDS.get(header_key(employment_text))
            if employment is None:
                problems.append(
                    f"Unknown employment type '{employment_text}' (use employed, sessional, locum, ARRS or bank)."
                )
            else:
                values["employment_type"] = employment
        # staff number
        number = staff_numbers[n]
        if len(number) > 30:
            problems.append(f"Staff number '{number[:40]}' is longer than 30 characters.")
        if number:
            values["staff_number"] = number
            if number in seen_numbers:
                problems.append(
                    f"Staff number {number} is also on line {seen_numbers[number]}: each person once per file."
                )
            else:
                seen_numbers[number] = line
        # contact
        if mails is not None:
            if bad_mails[n]:
                problems.append(f"'{mails[n]}' is not an email address.")
            values["email"] = mail_values[n]
        if phones is not None:
            if bad_phones[n]:
                problems.append(f"'{phones[n]}' is not a telephone number (at least 10 digits).")
            values["phone"] = phones[n] or None
        # dates and hours
        for key, column in dates:
            got = column[n]
            if isinstance(got, str):
                problems.append(got)
            else:
                values[key] = got
        if values.get("start_date") and values.get("leave_date") and values["leave_date"] < values["start_date"]:
            problems.append(
                f"The leaving date {format_date(values['leave_date'])} is before the start date "
                f"{format_date(values['start_date'])}."
            )
        if hours_cells is not None:
            hours = hours_read[n]
            if isinstance(hours, str):
                problems.append(hours)
            else:
                values["contracted_hours"] = hours
        # registration
        registration = registrations[n]
        reg_key: tuple[Regulator, str] | None = None
        if registration:
            if role is None:
                pass  # the role problem is already reported
            elif role[2] is unregistered:
                problems.append(f"A registration number was given, but {role_text} is not a registered profession.")
            else:
                try:
                    registration = v.registration_number(role[3], registration, "number", role[1])
                    reg_key = (role[2], registration)
                    values["registration"] = reg_key
                    if registration in seen_registrations:
                        problems.append(
                            f"Registration {registration} is also on line {seen_registrations[registration]}."
                        )
                    else:
                        seen_registrations[registration] = line
                except ValidationError as err:
                    problems.append(err.message)
        # who this is
        match = None
        key = ""
        if number and number in by_number:
            match, key = by_number[number], f"staff number {number}"
        elif reg_key and reg_key in by_registration:
            match, key = by_registration[reg_key], f"{reg_key[0].value} {reg_key[1]}"
            if number and lk.staff[match]["staff_number"] and lk.staff[match]["staff_number"] != number:
                problems.append(
                    f"{reg_key[0].value} {reg_key[1]} belongs to staff number {lk.staff[match]['staff_number']}, "
                    f"not {number}."
                )
        else:
            key = f"staff number {number}" if number else (f"{reg_key[0].value} {reg_key[1]}" if reg_key else "")
            if given and family:
                practice_id = values.get("employer_practice_id")
                twins = by_name.get((given.casefold(), family.casefold(), practice_id))
                if twins:
                    known = lk.staff[twins[0]]
                    problems.append(
                        f"{given} {family} is already on file"
                        + (f" (staff number {known['staff_number']})" if known["staff_number"] else "")
                        + ". Add their staff number or registration number to the file to update that record "
                        "instead of adding a second one."
                    )
        name = f"{given} {family}".strip()
        if not number and given and family:
            twin_key = (given.casefold(), family.casefold(), values.get("employer_practice_id"))
            if twin_key in seen_names:
                problems.append(
                    f"{name} at the same employer is also on line {seen_names[twin_key]} and neither has a staff "
                    "number; add staff numbers so each person is imported once."
                )
            else:
                seen_names[twin_key] = line
        if problems:
            results.append(RowResult(line, error, name, key, tuple(problems), (), match, values))
            continue
        if match is None:
            values.setdefault("employment_type", employed)
            results.append(RowResult(line, add, name, key or "new", (), (), None, values))
            continue
        changes = _staff_changes(lk, match, values)
        action = Action.UPDATE if changes else Action.UNCHANGED
        results.append(RowResult(line, action, name, key, (), tuple(changes), match, values))
    progress.update(total, total, "Checked every row.")
    return results


_LABELS = {f.key: f.label.split(" (")[0].lower() for f in STAFF_FIELDS}
_LABELS.update(role_id="role", employer_practice_id="employer", registration="registration")


def _staff_changes(lk: _Lookups, staff_id: int, values: dict[str, Any]) -> list[str]:
    current = lk.staff[staff_id]
    changed = []
    for key, value in values.items():
        if key in ("registration", "registration_expiry", "revalidation_due"):
            continue
        if key in current and current[key] != value and not (value in (None, "") and current[key] in (None, "")):
            changed.append(_LABELS.get(key, key.replace("_", " ")))
    reg = values.get("registration")
    if reg is not None:
        now = lk.current_registration.get(staff_id)
        expiry, reval = values.get("registration_expiry"), values.get("revalidation_due")
        if (
            now is None
            or (now[0], now[1]) != reg
            or (expiry is not None and expiry != now[2])
            or (reval is not None and reval != now[3])
        ):
            changed.append("registration (a new record; the old one stays as history)")
    return changed


def _validate_training(
    session: Session, table: RawTable, mapping: Sequence[str], lk: _Lookups, on: date, progress: Progress
) -> list[RowResult]:
    col = {m: i for i, m in enumerate(mapping) if m}
    subjects = subject_key(session)
    wide = [(i, m) for i, m in enumerate(mapping) if m.startswith(SUBJECT_PREFIX)]
    date_cols = {
        i: _DateColumn(table.headers[i], (row[i] for row in table.rows if i < len(row)))
        for i in [col[k] for k in ("completed_on", "expires_on") if k in col] + [i for i, _m in wide]
    }
    existing: set[tuple[int, int, int, date]] = set()
    T = TrainingRecord
    for sid, subject_id, level, completed in session.execute(select(T.staff_id, T.subject_id, T.level, T.completed_on)):
        existing.add((sid, subject_id, level, completed))
    results: list[RowResult] = []
    seen: dict[tuple[int, int, int, date], int] = {}
    by_number_only = {num: sid for (_reg, num), sid in lk.by_registration.items()}
    total = len(table.rows)
    for n, (line, row) in enumerate(zip(table.lines, table.rows)):
        if n % 1000 == 0:
            progress.update(n, total, f"Checking row {n + 1:,} of {total:,} ...")
        problems: list[str] = []
        name = _text(row, col.get("full_name")) if "full_name" in col else ""
        staff_id, key = None, ""
        number = _text(row, col.get("staff_number")).upper().replace(" ", "") if "staff_number" in col else ""
        registration = (
            _text(row, col.get("registration_number")).upper().replace(" ", "") if "registration_number" in col else ""
        )
        mail = _text(row, col.get("email")).casefold() if "email" in col else ""
        if number:
            staff_id, key = lk.by_number.get(number), f"staff number {number}"
        if staff_id is None and registration:
            staff_id = by_number_only.get(registration)
            key = key or f"registration {registration}"
        if staff_id is None and mail:
            staff_id, key = lk.by_email.get(mail), key or mail
        if staff_id is None:
            if not (number or registration or mail):
                problems.append(
                    "Nothing identifies the person: the staff number, registration number and email are blank."
                )
            else:
                problems.append(f"No one on file has {key}. Import or add the person first.")
        else:
            person = lk.staff[staff_id]
            name = name or f"{person['given_name']} {person['family_name']}"
        records: list[dict[str, Any]] = []
        hours = provider = None
        if "hours" in col:
            got = _number(_cell(row, col["hours"]), table.headers[col["hours"]], 0, 100)
            if isinstance(got, str):
                problems.append(got)
            else:
                hours = got
        if "provider" in col:
            provider = _text(row, col["provider"])[:120] or None
        if wide:
            for i, m in wide:
                got = date_cols[i].read(_cell(row, i))
                if isinstance(got, str):
                    problems.append(got)
                elif got is not None:
                    parts = m.split(":")
                    subject_id = int(parts[1])
                    level = int(parts[2]) if len(parts) > 2 else _default_level(subjects, subject_id)
                    records.append({"subject_id": subject_id, "level": level, "completed_on": got, "expires_on": None})
            if not records and not problems:
                problems.append("No completion dates in this row.")
        else:
            subject_text = _text(row, col["subject"])
            found = match_subject(subject_text, subjects) if subject_text else None
            if not subject_text:
                problems.append("The training subject is blank.")
            elif found is None:
                problems.append(
                    f"Unknown training subject '{subject_text}'. Use a subject from the training catalogue."
                )
            level = None
            if "level" in col and _text(row, col["level"]):
                got_level = _number(_cell(row, col["level"]), table.headers[col["level"]], 1, 5)
                if isinstance(got_level, str):
                    problems.append(got_level)
                else:
                    level = int(got_level)  # type: ignore[arg-type]
            completed = date_cols[col["completed_on"]].read(_cell(row, col["completed_on"]))
            expires = date_cols[col["expires_on"]].read(_cell(row, col["expires_on"])) if "expires_on" in col else None
            for got in (completed, expires):
                if isinstance(got, str):
                    problems.append(got)
            if completed is None:
                problems.append("The completion date is blank.")
            if isinstance(completed, date) and completed > on:
                problems.append(f"The completion date {format_date(completed)} is in the future.")
            if isinstance(completed, date) and isinstance(expires, date) and expires < completed:
                problems.append(f"The expiry {format_date(expires)} is before the completion {format_date(completed)}.")
            if found is not None and isinstance(completed, date):
                subject_id = found[0]
                level = level or found[1] or _default_level(subjects, subject_id)
                records.append(
                    {
                        "subject_id": subject_id,
                        "level": level,
                        "completed_on": completed,
                        "expires_on": expires if isinstance(expires, date) else None,
                    }
                )
        fresh: list[dict[str, Any]] = []
        if staff_id is not None:
            for rec in records:
                k = (staff_id, rec["subject_id"], rec["level"], rec["completed_on"])
                if k in seen:
                    problems.append(
                        f"{subjects.labels[rec['subject_id']]} on {format_date(rec['completed_on'])} for this "
                        f"person is also on line {seen[k]}."
                    )
                    continue
                seen[k] = line
                if k not in existing:
                    fresh.append({**rec, "staff_id": staff_id, "hours": hours, "provider": provider})
        values = {"records": fresh}
        if problems:
            results.append(RowResult(line, Action.ERROR, name, key, tuple(problems), (), staff_id, values))
        elif fresh:
            what = tuple(f"{subjects.labels[r['subject_id']]} {format_date(r['completed_on'])}" for r in fresh)
            results.append(RowResult(line, Action.ADD, name, key, (), what, staff_id, values))
        else:
            results.append(RowResult(line, Action.UNCHANGED, name, key, (), (), staff_id, values))
    progress.update(total, total, "Checked every row.")
    return results


def _default_level(subjects: SubjectKey, subject_id: int) -> int:
    levels = subjects.levels.get(subject_id) or (1,)
    return levels[0]


# ---- writing ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    left_out: int
    problems: int
    registrations: int
    training: int
    changes: Changes

    @property
    def message(self) -> str:
        parts = []
        if self.added:
            parts.append(f"{self.added:,} added")
        if self.updated:
            parts.append(f"{self.updated:,} updated")
        if self.training:
            parts.append(f"{self.training:,} training record{'s' if self.training != 1 else ''} added")
        if self.registrations:
            parts.append(f"{self.registrations:,} registration{'s' if self.registrations != 1 else ''} recorded")
        if self.unchanged:
            parts.append(f"{self.unchanged:,} already up to date")
        if self.left_out:
            parts.append(f"{self.left_out:,} left out")
        if self.problems:
            parts.append(f"{self.problems:,} not imported because of problems")
        return ("Import finished: " + ", ".join(parts) + ".") if parts else "Nothing was imported."


def apply_import(
    session: Session,
    preview: ImportPreview,
    accepted: Collection[int] | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    with _no_gc():
        return _apply(session, preview, accepted, progress)


def _apply(
    session: Session,
    preview: ImportPreview,
    accepted: Collection[int] | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Write the accepted rows (by line; all writable rows when None) in the caller's transaction.

    Rows go in with one statement per batch; every new record gets an audit entry naming the file and line, and
    every changed field of an existing person an entry with the old and the new value. Keys are checked again
    first: if someone added the same staff number since the preview, nothing is written and the person is asked
    to check the file again.
    """
    progress = progress or NullProgress()
    writable = preview.writable
    chosen = writable if accepted is None else [r for r in writable if r.line in accepted]
    left_out = len(writable) - len(chosen)
    audit = _Audit(session, preview.source)
    if preview.kind is ImportKind.TRAINING:
        rows = [dict(rec, line=r.line) for r in chosen for rec in r.values["records"]]
        _refuse_changed_training(session, rows)
        T = TrainingRecord
        columns = ("staff_id", "subject_id", "level", "completed_on", "expires_on", "hours", "provider", "notes")
        ids = _insert(
            session,
            T,
            columns,
            [(*(rec.get(c) for c in columns[:-1]), None) for rec in rows],
            ("staff_id", "subject_id", "level", "completed_on"),
            progress,
            "training records",
        )
        audit.added(T.__tablename__, ids, [rec["line"] for rec in rows])
        audit.write()
        staff_ids = tuple(sorted({rec["staff_id"] for rec in rows}))
        return ImportResult(
            0,
            0,
            preview.count(Action.UNCHANGED),
            left_out,
            preview.count(Action.ERROR),
            0,
            len(rows),
            Changes.of("staff", ids=staff_ids, message=f"{len(rows):,} training records imported."),
        )
    _refuse_changed_staff(session, chosen)
    adding, updating = Action.ADD, Action.UPDATE
    adds = [r for r in chosen if r.action is adding]
    updates = [r for r in chosen if r.action is updating]
    # Every column in every row: one executemany needs the same columns throughout.
    new_rows = [tuple(map(r.values.get, _STAFF_COLUMNS)) for r in adds]
    if any(row[_EMPLOYMENT] is None for row in new_rows):
        new_rows = [
            row
            if row[_EMPLOYMENT] is not None
            else (*row[:_EMPLOYMENT], EmploymentType.EMPLOYED, *row[_EMPLOYMENT + 1 :])
            for row in new_rows
        ]
    progress.update(0, len(chosen), "Adding people ...")
    S = StaffMember
    new_ids = _insert(
        session,
        S,
        _STAFF_COLUMNS,
        new_rows,
        ("staff_number", "given_name", "family_name", "employer_practice_id"),
        progress,
        "people",
        {"working_time_opt_out": False},
    )
    id_of: dict[int, int] = {r.line: sid for r, sid in zip(adds, new_ids)}
    audit.added(S.__tablename__, new_ids, [r.line for r in adds])
    # Updates: one executemany per set of columns that change together.
    current_rows = {
        row[0]: dict(zip(("id", "version", *_STAFF_COLUMNS), row))
        for start in range(0, len(updates), 5000)
        for row in session.execute(
            select(S.id, S.version, *[getattr(S, c) for c in _STAFF_COLUMNS]).where(
                S.id.in_([r.match_id for r in updates[start : start + 5000]])
            )
        )
    }
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in updates:
        current = current_rows[r.match_id]  # type: ignore[index]
        changed = {
            k: r.values[k]
            for k in _STAFF_COLUMNS
            if k in r.values
            and r.values[k] != current[k]
            and not (r.values[k] in (None, "") and current[k] in (None, ""))
        }
        for k, value in changed.items():
            audit.changed(S.__tablename__, r.match_id, k, current[k], value)  # type: ignore[arg-type]
        if changed:
            groups[tuple(sorted(changed))].append({"b_id": r.match_id, "b_version": current["version"], **changed})
    for columns, params in groups.items():
        stmt = (
            update(S)
            .where(S.id == bindparam("b_id"), S.version == bindparam("b_version"))
            .values(
                {c: bindparam(c) for c in columns} | {"version": S.version + 1, "updated_at": func.current_timestamp()}
            )
        )
        session.connection().execute(stmt, params)
    # Registrations: a new record when the number, renewal or revalidation date is new (renewals keep history).
    R = ProfessionalRegistration
    current_reg: dict[int, tuple[Any, ...]] = {}
    matched = [r.match_id for r in updates if r.values.get("registration") is not None]
    for start in range(0, len(matched), 5000):
        for sid, reg, num, exp, reval in session.execute(
            select(R.staff_id, R.regulator, R.number, R.expires_on, R.revalidation_due)
            .where(R.staff_id.in_(matched[start : start + 5000]))
            .order_by(R.id)
        ):
            current_reg[sid] = (reg, num, exp, reval)
    registrations: list[tuple[Any, ...]] = []
    lines = []
    for r in chosen:
        values = r.values
        reg = values.get("registration")
        if reg is None:
            continue
        sid = r.match_id if r.match_id is not None else id_of[r.line]
        expiry, reval = values.get("registration_expiry"), values.get("revalidation_due")
        now_reg = current_reg.get(sid) if current_reg else None
        if (
            now_reg is not None
            and (now_reg[0], now_reg[1]) == reg
            and expiry in (None, now_reg[2])
            and reval in (None, now_reg[3])
        ):
            continue
        registrations.append((sid, reg[0], reg[1], expiry, reval, None, None, None))
        lines.append(r.line)
    reg_ids = _insert(
        session,
        R,
        ("staff_id", "regulator", "number", "expires_on", "revalidation_due", "checked_on", "registered_on", "notes"),
        registrations,
        ("staff_id", "number"),
        progress,
        "registrations",
    )
    audit.added(R.__tablename__, reg_ids, lines)
    audit.write()
    touched = tuple(id_of.values()) + tuple(r.match_id for r in updates if r.match_id is not None)
    result = ImportResult(
        len(adds),
        len(updates),
        preview.count(Action.UNCHANGED),
        left_out,
        preview.count(Action.ERROR),
        len(registrations),
        0,
        Changes.of("staff", ids=touched),
    )
    return replace(result, changes=Changes.of("staff", ids=touched, message=result.message))


_EMPLOYMENT = _STAFF_COLUMNS.index("employment_type")


def _insert(
    session: Session,
    model: Any,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    natural: Sequence[str],
    progress: Progress,
    what: str,
    constants: dict[str, Any] | None = None,
) -> list[int]:
    """Insert many rows (tuples in ``columns`` order) through the driver's executemany; their new ids, in order.

    SQLAlchemy's own multi-row INSERT spends most of its time on per-row bookkeeping; here each column's bind
    processor (enums, dates, instants) is applied once per value (``constants``, the same in every row, once) and
    the driver gets plain tuples. All rows carry the same creation instant, which finds them again: on SQLite the
    ids are the consecutive ones ending at the last row's (checked against that instant); otherwise, or if that
    check fails, the rows' ``natural`` key (unique in the batch: validation refuses repeats) finds each row's id.
    """
    if not rows:
        return []
    stamp = utcnow()
    table = model.__table__
    progress.update(0, len(rows), f"Writing {what} ...")
    executemany(
        session, table, columns, rows, {**(constants or {}), "version": 1, "created_at": stamp, "updated_at": stamp}
    )
    connection = session.connection()
    ids = _consecutive_ids(connection, model, len(rows), stamp)
    if ids is not None:
        return ids
    found: dict[tuple[Any, ...], int] = {}
    key_columns = [getattr(model, c) for c in natural]
    for row in connection.execute(select(model.id, *key_columns).where(model.created_at == stamp)):
        found[tuple(row[1:])] = row[0]
    if len(found) < len(rows):  # two rows with the same natural key cannot happen: validation refuses them
        raise ValidationError(f"Some {what} could not be matched after writing them ({', '.join(natural)}).")
    positions = [list(columns).index(c) for c in natural]
    key_of = itemgetter(*positions)
    if len(positions) == 1:
        return [found[(key_of(row),)] for row in rows]
    return [found[key_of(row)] for row in rows]


def _consecutive_ids(connection: Any, model: Any, count: int, stamp: datetime) -> list[int] | None:
    """On SQLite, the ids of the ``count`` rows just inserted with the creation instant ``stamp``, in order; None
    where that cannot be told this way (another database, or ids that are not consecutive).

    SQLite gives each new row the largest id + 1 (while ids stay below 2**63), and no one else can write inside
    this transaction, so the batch holds the ``count`` ids ending at the last one inserted; counting the rows in
    that range that carry the stamp confirms it.
    """
    if connection.dialect.name != "sqlite":
        return None
    last = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    first = last - count + 1
    mine = connection.execute(
        select(func.count()).where(model.id.between(first, last), model.created_at == stamp)
    ).scalar_one()
    return list(range(first, last + 1)) if mine == count else None


def executemany(
    session: Session,
    table: Any,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    constants: dict[str, Any] | None = None,
) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) with one driver executemany, values processed as SQLAlchemy
    would (enums to their text, dates for SQLite, instants to UTC). ``constants`` are the same in every row (and
    processed once); columns with a plain default may be left out."""
    if not rows:
        return
    from federation_desk.services.compliance import guarded

    if guarded(session):  # the access guard checks every row a practice manager writes: go through the session
        session.execute(insert(table), [dict(zip(columns, row)) | dict(constants or {}) for row in rows])
        return
    connection = session.connection()
    dialect = connection.dialect
    constants = dict(constants or {})
    names = list(columns)
    stmt = insert(table).values({c: bindparam(c) for c in [*names, *constants]})
    compiled = stmt.compile(dialect=dialect)
    for name in compiled.positiontup or compiled.params:
        if name not in names and name not in constants:  # a column with a plain default the rows leave out
            default = table.c[name].default
            if default is None or not default.is_scalar:
                raise ValueError(f"executemany: give a value for {table.name}.{name}")
            constants[name] = default.arg

    def processor_of(name: str) -> Any:
        column_type = table.c[name].type
        if isinstance(column_type, SAEnum) and column_type.enum_class is not None:
            return _enum_value  # the stored text is the member's value (domain.base.enum_column)
        if dialect.name == "sqlite" and type(column_type) is Date:
            return date.isoformat  # SQLite's DATE storage format is ISO (YYYY-MM-DD)
        return column_type.bind_processor(dialect)

    def processed(name: str, value: Any) -> Any:
        processor = processor_of(name)
        value = value if processor is None or value is None else processor(value)
        # What the driver would do to the value in every row (sqlite3 turns an instant into text), done once.
        adapt = _driver_adapter(dialect, value)
        return value if adapt is None else adapt(value)

    fixed = {name: processed(name, value) for name, value in constants.items()}
    active = {i: p for i, name in enumerate(names) if (p := processor_of(name)) is not None}
    all_names = names + list(fixed)
    if compiled.positional:
        order = [all_names.index(name) for name in compiled.positiontup]
    else:
        order = list(range(len(all_names)))
    # Column by column: each column converted in one pass, then the rows zipped together again (all in C but
    # the processors themselves).
    source = list(zip(*rows))
    as_columns: list[Any] = [
        _converted(source[i], processor) if (processor := active.get(i)) is not None else source[i]
        for i in range(len(names))
    ]
    as_columns += [repeat(value) for value in fixed.values()]
    params: Any = list(zip(*(as_columns[i] for i in order)))
    if not compiled.positional:
        params = [dict(zip(compiled.positiontup or all_names, row)) for row in params]
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(compiled.string, params)
    finally:
        cursor.close()


def _driver_adapter(dialect: Any, value: Any) -> Any:
    """The sqlite3 module's adapter for a value's type (None for other drivers, or if it has none)."""
    if dialect.driver != "pysqlite" or value is None:
        return None
    import sqlite3

    return sqlite3.adapters.get((type(value), sqlite3.PrepareProtocol))


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _converted(column: Sequence[Any], processor: Callable[[Any], Any]) -> list[Any]:
    """A column's values through a bind processor (None stays None)."""
    if processor is _enum_value:  # the member's value without a call per value (_value_ is what .value gives)
        return [value._value_ if isinstance(value, enum.Enum) else value for value in column]
    return [None if value is None else processor(value) for value in column]


class _Audit:
    """Audit entries for an import: "added (imported from FILE, line N)" per new record, old and new per changed
    field. Written with one statement; the time is the database's."""

    COLUMNS = ("action", "table_name", "row_id", "field", "old_value", "new_value")

    def __init__(self, session: Session, source: str) -> None:
        self.session = session
        self.actor = str(session.info.get("actor") or "unknown")
        self.source = source
        self.rows: list[tuple[str | None, ...]] = []

    def added(self, table: str, row_ids: Sequence[int], lines: Sequence[int]) -> None:
        """One entry per new record: ``row_ids[i]`` came from line ``lines[i]`` of the file."""
        source = self.source
        self.rows += [
            ("insert", table, str(row_id), None, None, f"imported from {source}, line {line}")
            for row_id, line in zip(row_ids, lines, strict=True)
        ]

    def changed(self, table: str, row_id: int, field_name: str, old: Any, new: Any) -> None:
        self.rows.append(("update", table, str(row_id), field_name, to_text(old), to_text(new)))

    def write(self) -> None:
        if self.rows:
            executemany(
                self.session, AuditEntry.__table__, self.COLUMNS, self.rows, {"at": utcnow(), "actor": self.actor}
            )
            self.rows = []


def _refuse_changed_staff(session: Session, rows: Sequence[RowResult]) -> None:
    adding = Action.ADD
    numbers = {r.values["staff_number"] for r in rows if r.action is adding and r.values.get("staff_number")}
    if not numbers:
        return
    clash = sorted(
        numbers & set(session.scalars(select(StaffMember.staff_number).where(StaffMember.staff_number.is_not(None))))
    )
    if clash:
        raise ValidationError(
            f"Since the file was checked, staff number{'s' if len(clash) != 1 else ''} {', '.join(clash[:5])} "
            "were added by someone else, so nothing was imported.",
            "Check the file again (Back, then Next) and import the rows it then shows.",
        )


def _refuse_changed_training(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    staff = sorted({r["staff_id"] for r in rows})
    T = TrainingRecord
    existing = set()
    for start in range(0, len(staff), 5000):
        existing |= set(
            session.execute(
                select(T.staff_id, T.subject_id, T.level, T.completed_on).where(
                    T.staff_id.in_(staff[start : start + 5000])
                )
            ).all()
        )
    if any((r["staff_id"], r["subject_id"], r["level"], r["completed_on"]) in existing for r in rows):
        raise ValidationError(
            "Some of these training records were added by someone else since the file was checked, so nothing was "
            "imported.",
            "Check the file again (Back, then Next) and import the rows it then shows.",
        )


# ---- one call for scripts and the command line ------------------------------------------------------------------


def import_file(
    session: Session,
    path: Path,
    kind: ImportKind,
    mapping: Sequence[str] | None = None,
    on: date | None = None,
    progress: Progress | None = None,
) -> tuple[ImportPreview, ImportResult]:
    """Read, map (guessed when not given), validate and write the valid rows of ``path``."""
    table = read_table(path, progress)
    subjects = subject_key(session) if kind is ImportKind.TRAINING else None
    chosen = list(mapping) if mapping is not None else guess_mapping(table, kind, None, subjects)
    preview = validate(session, table, kind, chosen, on, progress)
    return preview, apply_import(session, preview, None, progress)
