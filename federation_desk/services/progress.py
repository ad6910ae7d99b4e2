"""How long jobs report progress and learn that the person pressed Cancel.

A job receives a :class:`Progress`; it calls ``progress.update(done, total, text)`` now and then. If the person
pressed Cancel, ``update`` raises :class:`~federation_desk.errors.Cancelled` and the job stops where it is (its
transaction rolls back). The UI supplies its own implementation; services never know about Qt.
"""

from __future__ import annotations

import threading
from typing import Protocol

from federation_desk.errors import Cancelled


class Progress(Protocol):
    def update(self, done: int, total: int | None = None, text: str = "") -> None: ...

    def check(self) -> None: ...


class NullProgress:
    """Progress that goes nowhere (tests, the command line)."""

    def update(self, done: int, total: int | None = None, text: str = "") -> None:
        return None

    def check(self) -> None:
        return None


class CancellableProgress:
    """Thread-safe progress with a cancel flag; the UI subclasses it to forward updates as signals."""

    def __init__(self) -> None:
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def update(self, done: int, total: int | None = None, text: str = "") -> None:
        self.check()
        self.report(done, total, text)

    def report(self, done: int, total: int | None, text: str) -> None:
        """Override to show progress somewhere."""


class PrintProgress(CancellableProgress):
    """Progress for the command line: prints a line when the text changes."""

    def __init__(self) -> None:
        super().__init__()
        self._last = ""

    def report(self, done: int, total: int | None, text: str) -> None:
        if text and text != self._last:
            self._last = text
            print(f"  {text}", flush=True)
