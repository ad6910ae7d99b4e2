"""Errors the services raise, each with a plain-English message and what the person can do about it.

The UI shows ``message`` and ``what_to_do`` as plain text; nothing here is ever shown as a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class FederationDeskError(Exception):
    """Base of every error a user may meet. ``str(err)`` is the whole plain-English text."""

    title = "Something needs your attention"

    def __init__(self, message: str, what_to_do: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.what_to_do = what_to_do

    def __str__(self) -> str:
        return f"{self.message} {self.what_to_do}".strip()


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class ValidationError(FederationDeskError):
    """One or more fields hold values that cannot be saved. Nothing was changed."""

    title = "Please check what you entered"

    def __init__(self, problems: list[FieldProblem] | str, what_to_do: str = "") -> None:
        if isinstance(problems, str):
            problems = [FieldProblem("", problems)]
        self.problems = list(problems)
        text = " ".join(p.message for p in self.problems)
        super().__init__(text, what_to_do or "Nothing has been saved. Correct the highlighted entries and save again.")

    def for_field(self, field: str) -> list[str]:
        return [p.message for p in self.problems if p.field == field]


class StaleEditError(FederationDeskError):
    """Someone else saved the record after it was opened here."""

    title = "Someone else changed this record"

    def __init__(self, what: str, changed_by: str | None = None, changed_at: datetime | None = None) -> None:
        self.what = what
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = changed_by or "another user"
        when = ""
        if changed_at is not None:
            from federation_desk.services.dates import format_instant

            when = f" at {format_instant(changed_at)}"
        super().__init__(
            f"{what} was changed by {who}{when} after you opened it, so your changes were not saved.",
            "Reload to see the latest version, then make your change again. You can copy your text first.",
        )


class NotPermitted(FederationDeskError):
    title = "Not allowed"

    def __init__(self, message: str, what_to_do: str = "Ask a federation administrator if you need this.") -> None:
        super().__init__(message, what_to_do)


class NotFound(FederationDeskError):
    title = "Not found"

    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} could not be found. It may have been deleted by someone else.",
            "Refresh the list and try again.",
        )


class FileTooLarge(FederationDeskError):
    title = "File too large"


class UnsupportedFile(FederationDeskError):
    title = "File not accepted"


class SchemaOutOfDate(FederationDeskError):
    title = "Database needs upgrading"


class DatabaseUnavailable(FederationDeskError):
    title = "Cannot open the database"


class Cancelled(Exception):
    """Raised inside a job when the person pressed Cancel. Not an error: callers just stop."""
