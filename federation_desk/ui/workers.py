"""The one worker mechanism: a QRunnable plus a QObject carrying its signals (STYLE.md practice 3).

Results reach widgets only through queued signals; the job itself runs on a QThreadPool thread and opens its own
database session there. Cancel sets a flag that the job's next ``progress.update()`` turns into ``Cancelled``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from federation_desk.errors import Cancelled
from federation_desk.services.progress import CancellableProgress

log = logging.getLogger(__name__)
# Workers that have started. The pool thread needs the Python object (and its signals) alive until run() returns,
# even if the screen that started the job has gone away meanwhile. They are let go by `reap()` on the GUI thread
# once run() has returned, never by the pool thread itself: the last reference dropped on a pool thread would
# destroy the signals' QObject there, off the thread it belongs to, which can crash the process.
_RUNNING: set[Worker] = set()
_RUNNING_LOCK = threading.Lock()


def reap() -> int:
    """Let go of workers whose run() has returned; call on the GUI thread. Returns how many are still running."""
    with _RUNNING_LOCK:
        finished = [w for w in _RUNNING if w.returned]
        _RUNNING.difference_update(finished)
        left = len(_RUNNING)
    del finished  # dropped here, on the calling (GUI) thread
    return left


class WorkerSignals(QObject):
    progressed = Signal(int, object, str)  # done, total (int or None), text
    finished = Signal(object)  # the job's result
    failed = Signal(object)  # the exception
    cancelled = Signal()
    ended = Signal()  # after any of the three above


class QtProgress(CancellableProgress):
    """Forwards progress as signals, at most about 20 a second."""

    def __init__(self, signals: WorkerSignals) -> None:
        super().__init__()
        self._signals = signals
        self._last = 0.0

    def report(self, done: int, total: int | None, text: str) -> None:
        now = time.monotonic()
        if now - self._last >= 0.05 or (total is not None and done >= total):
            self._last = now
            self._signals.progressed.emit(done, total, text)


class Worker(QRunnable):
    """Runs ``fn(progress)`` on a pool thread and reports the outcome through ``signals``."""

    def __init__(self, fn: Callable[[CancellableProgress], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the Python side keeps it alive until `ended`
        self.fn = fn
        self.signals = WorkerSignals()
        self.progress = QtProgress(self.signals)
        self.returned = False

    def cancel(self) -> None:
        self.progress.cancel()

    @property
    def cancel_requested(self) -> bool:
        return self.progress.cancelled

    def start_in(self, pool: QThreadPool) -> None:
        reap()
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        pool.start(self)

    def run(self) -> None:
        try:
            self._run()
        finally:
            self.returned = True  # reap() lets go of it later, on the GUI thread

    def _run(self) -> None:
        try:
            result = self.fn(self.progress)
        except Cancelled:
            self._emit(self.signals.cancelled)
        except BaseException as exc:
            if not isinstance(exc, Exception):
                log.exception("Job stopped by %r", exc)
            self._emit(self.signals.failed, exc)
        else:
            if self.progress.cancelled:
                self._emit(self.signals.cancelled)
            else:
                self._emit(self.signals.finished, result)
        self._emit(self.signals.ended)

    @staticmethod
    def _emit(signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:
            # The application is shutting down and took the receiving objects with it: nobody is listening.
            log.debug("Result of a job dropped at shutdown")
