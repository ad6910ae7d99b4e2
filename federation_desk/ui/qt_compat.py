"""Work-arounds for defects in the Qt binding, each limited to the versions that have it.

PySide6 6.12.0 on Python 3.11 drops one reference to ``None`` on every call of a Qt method that returns nothing
(``setText``, ``QPainter.save``, ``processEvents`` ...). After some tens of thousands of calls None's reference
count reaches zero and the interpreter aborts ("none_dealloc"): a busy rota page gets there within minutes.
Python 3.12 made None immortal (PEP 683: its count starts so high it can never reach zero), so there the leak is
harmless; PySide6-Pdf, which the app needs, exists only for 6.12. Until a fixed PySide6 is released,
:func:`guard_none` does what Python 3.12 does: it raises None's count by 2**40 once, at start-up, before any other
thread runs. None is never freed, so an over-large count does no harm.
"""

from __future__ import annotations

import sys

import PySide6

IMMORTAL_MARGIN = 1 << 40  # at ~700 lost references a repaint, more than the app could lose in centuries

_guarded = False


def leaks_none(python: tuple[int, int] | None = None, pyside: str | None = None) -> bool:
    """Whether this Python and PySide6 combination has the None reference leak."""
    python = python or (sys.version_info.major, sys.version_info.minor)
    pyside = pyside or PySide6.__version__
    return python < (3, 12) and pyside.startswith("6.12.0")


def guard_none() -> bool:
    """Make None as good as immortal (idempotent). Returns False when this combination does not need it."""
    global _guarded
    if not leaks_none():
        return False
    if not _guarded:
        import ctypes

        ctypes.c_ssize_t.from_address(id(None)).value += IMMORTAL_MARGIN
        _guarded = True
    return True
