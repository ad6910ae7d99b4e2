"""What a write changed, so screens refresh only when their kind of data moved (Anki's OpChanges)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Changes:
    kinds: frozenset[str] = field(default_factory=frozenset)
    ids: tuple[int, ...] = ()
    message: str = ""

    @classmethod
    def of(cls, *kinds: str, ids: tuple[int, ...] = (), message: str = "") -> Changes:
        return cls(frozenset(kinds), ids, message)

    def touches(self, *kinds: str) -> bool:
        return "*" in self.kinds or bool(self.kinds.intersection(kinds))

    def __or__(self, other: Changes) -> Changes:
        return Changes(self.kinds | other.kinds, self.ids + other.ids, self.message or other.message)


EVERYTHING = Changes.of("*")
