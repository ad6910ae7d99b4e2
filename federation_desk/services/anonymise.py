"""Hiding staff names in free text: a scrubber built once from every staff member in the database.

People type names into notes, comments and descriptions ("Dr Łukasz Nowak covered the Saturday hub"). A report
that promises "staff names withheld" must not print them, whoever the text is about. :class:`NameScrubber` replaces,
case-insensitively and as whole words:

* a full name: given + family, preferred + family, and "family, given";
* a family name (or a full name) after a title such as Dr, Mr, Mrs, Ms, Miss, Mx, Nurse, Sister or Prof; the title
  is kept ("Dr [name withheld]");
* a family name after the initial of that person's given or preferred name: "Ł. Nowak", "L.Nowak", "L Nowak". The
  initial must be a capital; "A" and "I" count only with a full stop ("A Hall booking" is an article, "A. Hall" a
  person).

A practice's or a PCN's name is left whole even where it holds a person's name ("Dr Patel Surgery"): the report
promises to show role and practice. A given name alone, or a family name without a title, is left alone: "Grace",
"Will" or "Brown" are ordinary words too. Matching is Unicode-aware: an apostrophe or a hyphen in a name matches its
typographic forms (O'Neill, O’Neill; Smith-Jones, Smith‑Jones), a letter with an accent also matches the plain
letter ("Siobhán" and "Siobhan"), and any run of spaces or a line break may separate the words, or a dot or an
underscore as in a login or an e-mail address ("lukasz.nowak@..."). All the names go into one regular expression
shaped as a trie (names sharing a beginning share one branch), so a scan costs about the same with 2,500 staff as
with 25; at each place the longest name wins.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation_desk.domain.organisation import Pcn, Practice
from federation_desk.domain.staff import StaffMember

NAME_WITHHELD = "[name withheld]"
TITLES = ("professor", "doctor", "sister", "nurse", "prof", "miss", "mrs", "dr", "mr", "ms", "mx")

_APOSTROPHES = "'’ʼ‘`´"
_HYPHENS = "-‐‑‒–"
_EXTRA_BASE = {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe"}
_END = ""  # the trie key marking "a name ends here"


@functools.lru_cache(maxsize=4096)
def _atom(ch: str) -> tuple[str, str]:
    """(trie key, regex) for one character of a name."""
    if ch in _APOSTROPHES:
        return "'", "[" + re.escape(_APOSTROPHES) + "]"
    if ch in _HYPHENS:
        return "-", "[" + re.escape(_HYPHENS) + "]"
    if ch == ",":
        return ",", r",\s*"
    low = ch.lower()
    if len(low) != 1:
        return low, re.escape(low)
    base = unicodedata.normalize("NFD", low)[0]
    base = _EXTRA_BASE.get(low, base)
    if base != low and len(base) == 1 and base.isalpha():
        return low, f"[{re.escape(low)}{re.escape(base)}]"
    return low, re.escape(low)


def _atoms(name: str) -> list[tuple[str, str]]:
    words = unicodedata.normalize("NFC", name).replace(",", " , ").split()
    out: list[tuple[str, str]] = []
    for i, word in enumerate(words):
        if word == ",":
            out.append(_atom(","))
            continue
        if i and words[i - 1] != ",":
            out.append((" ", r"(?:\s+|[._])"))  # "Łukasz Nowak", also as a login or e-mail: "lukasz.nowak"
        out.extend(_atom(ch) for ch in word)
    return out


class _Trie:
    def __init__(self) -> None:
        self.root: dict[str, Any] = {}
        self.regex: dict[str, str] = {}
        self.size = 0

    def add(self, name: str) -> None:
        atoms = _atoms(name)
        if not atoms:
            return
        node = self.root
        for key, regex in atoms:
            self.regex[key] = regex
            node = node.setdefault(key, {})
        if _END not in node:
            node[_END] = {}
            self.size += 1

    def pattern(self) -> str:
        return self._render(self.root)

    def _render(self, node: dict[str, Any]) -> str:
        branches = [self.regex[key] + self._render(child) for key, child in sorted(node.items()) if key != _END]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if _END in node:  # a name ends here, or a longer one goes on: greedy, so the longer is tried first
            return f"(?:{body})?" if len(branches) > 1 or len(body) > 1 else f"{body}?"
        return body


def _initials(first_name: str) -> list[str]:
    """The capital initial of a first name, and its plain letter where it has an accent ("Ł" and "L")."""
    letter = first_name[:1].upper()
    if not letter.isalpha() or len(letter) != 1:
        return []
    plain = _atom(letter.lower())[1]
    letters = {letter}
    if plain.startswith("["):  # an accented letter: "[łl]" -> also "L"
        letters.add(plain[-2].upper())
    return sorted(letters)


def _initial_pattern(initial: str, family_names: _Trie) -> str:
    """An initial (a capital, whatever the case of the rest) then a family name: "L. Nowak", "L.Nowak", "L Nowak";
    "A" and "I" only with the full stop, as they are words on their own."""
    after = r"\.\s*" if initial in "AI" else r"(?:\.\s*|\s+)"
    return f"(?-i:{re.escape(initial)}){after}{family_names.pattern()}"


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


class NameScrubber:
    """Replace staff names in free text (see the module's docstring). Build once, call for every text."""

    def __init__(
        self,
        people: Iterable[tuple[str | None, str | None, str | None]],
        replacement: str = NAME_WITHHELD,
        keep: Iterable[str] = (),
    ) -> None:
        """``people``: (given name, family name, preferred name) of every staff member. ``keep``: names that stay
        as they are even where they hold a person's name (practices: "Dr Patel Surgery" is an organisation, and the
        report promises to show the practice)."""
        full, family_names = _Trie(), _Trie()
        by_initial: dict[str, _Trie] = {}  # "L" -> the family names of everyone whose first name starts with L
        for given, family, preferred in people:
            given, family, preferred = _clean(given), _clean(family), _clean(preferred)
            if not family:
                continue
            family_names.add(family)
            for first in dict.fromkeys(n for n in (given, preferred) if n):
                full.add(f"{first} {family}")
                full.add(f"{family}, {first}")
                for initial in _initials(first):
                    by_initial.setdefault(initial, _Trie()).add(family)
        self.replacement = replacement
        self.name_count = full.size
        self._pattern: re.Pattern[str] | None = None
        if family_names.size:
            # A full name, with or without a title before it; else a title and a family name. (The same text with
            # the same staff compiles once: ``re`` keeps the patterns it compiled.)
            title = f"(?:{'|'.join(TITLES)})\\.?"
            options = [f"(?:(?P<title>{title})\\s+)?{full.pattern()}"] if full.size else []
            options.append(f"(?P<title2>{title})\\s+{family_names.pattern()}")
            options += [_initial_pattern(initial, trie) for initial, trie in sorted(by_initial.items())]
            kept = sorted({k for k in map(_clean, keep) if k}, key=len, reverse=True)
            if kept:  # tried first at each place, so an organisation's name is matched whole and left alone
                options.insert(0, "(?P<keep>" + "|".join(map(re.escape, kept)) + ")")
            self._pattern = re.compile(f"(?<!\\w)(?:{'|'.join(options)})(?!\\w)", re.IGNORECASE)

    def _replace(self, match: re.Match[str]) -> str:
        groups = match.groupdict()
        if groups.get("keep"):
            return match.group(0)
        title = groups.get("title") or groups.get("title2")
        return f"{title} {self.replacement}" if title else self.replacement

    def __call__(self, text: str) -> str:
        return self.scrub(text)

    def scrub(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        return self._pattern.sub(self._replace, text)

    def scrub_optional(self, text: str | None) -> str | None:
        return None if text is None else self.scrub(text)


def staff_name_scrubber(session: Session, replacement: str = NAME_WITHHELD) -> NameScrubber:
    """A scrubber for the names of every staff member in the database (leavers too)."""
    rows = session.execute(select(StaffMember.given_name, StaffMember.family_name, StaffMember.preferred_name))
    people = [(g, f, p) for g, f, p in rows]
    organisations = [*session.scalars(select(Practice.name)), *session.scalars(select(Pcn.name))]
    return NameScrubber(people, replacement, keep=organisations)


def scrub_strings(value: Any, scrub: Callable[[str], str], _memo: dict[int, Any] | None = None) -> Any:
    """``value`` with ``scrub`` applied to every string inside it: in frozen dataclasses (their fields), tuples,
    lists and dict values. Enum members, numbers, dates and dict keys are kept as they are. An object met twice
    (the same obligation row in every period) is scrubbed once."""
    memo = {} if _memo is None else _memo
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, tuple | list | dict) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        key = id(value)
        if key in memo:
            return memo[key][1]
        if isinstance(value, tuple):
            out: Any = tuple(scrub_strings(v, scrub, memo) for v in value)
        elif isinstance(value, list):
            out = [scrub_strings(v, scrub, memo) for v in value]
        elif isinstance(value, dict):
            out = {k: scrub_strings(v, scrub, memo) for k, v in value.items()}
        else:
            changes = {
                f.name: scrub_strings(getattr(value, f.name), scrub, memo) for f in dataclasses.fields(value) if f.init
            }
            out = dataclasses.replace(value, **changes)
        memo[key] = (value, out)  # keep the original alive so its id is not reused
        return out
    return value
