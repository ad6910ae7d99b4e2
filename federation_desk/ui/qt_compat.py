"""Work-arounds for defects in the Qt binding, each limited to the versions that have it.

PySide6 6.12.0 on Python 3.11 drops one reference to ``None`` on every call of a Qt method that returns nothing
(``setText``, ``QPainter.save``, ``processEvents`` ...). After some tens of thousands of calls None's reference
count reaches zero and the interpreter aborts ("none_dealloc"): a busy rota page gets there within minutes.
Python 3.12 made None immortal (PEP 683: its count starts so high it can never reach zero), so there the leak is
harmless; PySide6-Pdf, which the app needs, exists only for 6.12. Until a fixed PySide6 is released,
:func:`guard_none` does what Python 3.12 does: it raises None's count by 2**40 once, at start-up, before any other
thread runs. None is never freed, so an over-large count does no harm.

PySide6 (6.x) also looks at every module imported after it, for its ``__feature__`` switches: it asks
``inspect.getsource`` for the whole source of each one (SQLAlchemy, ReportLab, the domain models: hundreds of
modules) only to learn whether the text "PySide6" occurs in it, and keeps every line in ``linecache``. That cost about
0.1 s of the start and more as pages load. :func:`quicker_feature_scan` answers the same question by searching the
module's file as bytes.
"""

from __future__ import annotations

import sys
from typing import Any

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


def mentions_pyside(module: object) -> bool:
    """Whether a module's source contains "PySide6": what PySide's own check decides, without inspect/linecache.
    A module without a readable .py file counts as not using PySide, as it does there (no source, no switch)."""
    spec = getattr(module, "__spec__", None)
    path = getattr(spec, "origin", None)  # the module's file, for one loaded from a file
    if not isinstance(path, str) or not path.endswith(".py"):
        return False
    try:
        with open(path, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return False


pyside_scan: Any = None  # PySide's own check, once replaced (kept for the test that compares the two)


def quicker_feature_scan() -> bool:
    """Replace PySide's per-import source scan by :func:`mentions_pyside` (idempotent). False where this PySide
    has no such scan (the private function it replaces is looked up, never assumed)."""
    global pyside_scan
    feature = sys.modules.get("shibokensupport.feature")
    current = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(current):
        return False
    if current is not mentions_pyside:
        pyside_scan = current
        feature._mod_uses_pyside = mentions_pyside
    return True


class GuiThreadCollector:
    """Runs Python's cycle collector on the GUI thread only.

    Python collects cycles on whichever thread happens to allocate when a threshold is crossed. If that is a
    worker thread and the garbage holds a Qt wrapper (a finished job's signals, a closed dialog), the C++ object
    is destroyed off the GUI thread and the process crashes (seen: a segmentation fault "Garbage-collecting" inside
    a worker's query). So automatic collection is switched off and a timer on the GUI thread does the same work,
    generation by generation, at the thresholds Python itself would use (the pyqtgraph approach).
    """

    def __init__(self, interval_ms: int = 1000) -> None:
        import gc

        from PySide6.QtCore import QTimer

        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> int:
        """Let go of finished workers, then collect what is due; returns what was freed."""
        from federation_desk.ui.workers import reap

        reap()
        return collect_due(self.threshold)


def settle_long_lived() -> int:
    """Move every object made so far (modules, classes, the ORM's mappers: what the first database open imported)
    out of the collector's reach: they live as long as the process, yet a full collection would walk them all,
    on the GUI thread, each time (about 0.07 s with the demo open, 0.13 s once a few pages have loaded). Returns how
    many objects are now left out."""
    import gc

    gc.freeze()
    return gc.get_freeze_count()


def collect_due(threshold: tuple[int, ...] | None = None) -> int:
    """One step of Python's own schedule, run by the caller's thread (the GUI thread)."""
    import gc

    t0, t1, t2 = (threshold or gc.get_threshold())[:3]
    c0, c1, c2 = gc.get_count()
    if c0 <= t0:
        return 0
    if c1 > t1:
        return gc.collect(2 if c2 > t2 else 1)
    return gc.collect(0)


_collector: GuiThreadCollector | None = None


def collect_on_gui_thread(interval_ms: int = 1000) -> GuiThreadCollector:
    """Install the GUI-thread collector once (needs a QApplication)."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector(interval_ms)
    return _collector
