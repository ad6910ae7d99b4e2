"""One helper for every background job (Anki's operations): the screen hands over a pure function and callbacks.

* ``run_query(fn, *args, on_done=...)``: ``fn(session, *args)`` in a read session on a worker thread.
* ``run_write(fn, *args, on_done=...)``: ``fn(session, *args)`` in one transaction; its ``Changes`` go out on the
  bus so pages that show that kind of data refresh themselves.
* ``run_job(fn, *args, on_done=...)``: ``fn(database, *args)`` for jobs that manage their own sessions (PDF builds,
  imports).

If ``fn`` has a ``progress`` parameter it receives a Progress whose ``update()`` raises ``Cancelled`` after the
person pressed Cancel. A ``label`` shows a progress dialog with Cancel, but only after 600 ms so quick jobs do not
flash. A ``key`` cancels the previous job with the same key (a new filter makes the stale query moot).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from federation_desk.services.changes import Changes
from federation_desk.ui import errors
from federation_desk.ui.bus import bus
from federation_desk.ui.workers import Worker

log = logging.getLogger(__name__)
PROGRESS_DELAY_MS = 600


def _wants_progress(fn: Callable[..., Any]) -> bool:
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    return "progress" in names


class Job(QObject):
    """A running operation: its worker, its optional delayed progress dialog, and its callbacks."""

    def __init__(
        self,
        ops: Operations,
        worker: Worker,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str | None,
        parent_widget: QWidget | None,
    ) -> None:
        super().__init__()
        self.ops = ops
        self.worker = worker
        self.signals = worker.signals
        self._on_done = on_done
        self._on_error = on_error
        self._parent_widget = parent_widget
        self._label = label
        self._dialog: QProgressDialog | None = None
        self._last_progress: tuple[int, object, str] | None = None
        self._timer: QTimer | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.was_cancelled = False
        self.done = False
        worker.signals.finished.connect(self._finished)
        worker.signals.failed.connect(self._failed)
        worker.signals.cancelled.connect(self._cancelled)
        worker.signals.progressed.connect(self._progressed)
        worker.signals.ended.connect(self._ended)
        if label:
            self._timer = QTimer(self)
            self._timer.setSingleShot(True)
            self._timer.timeout.connect(self._show_dialog)
            self._timer.start(PROGRESS_DELAY_MS)

    def cancel(self) -> None:
        self.worker.cancel()

    def _show_dialog(self) -> None:
        if self.done:
            return
        dialog = QProgressDialog(self._label or "Working ...", "Cancel", 0, 0, self._parent_widget)
        dialog.setWindowTitle("Federation Desk")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.cancel)
        dialog.setAccessibleName("Progress")
        dialog.show()
        self._dialog = dialog
        if self._last_progress is not None:
            self._progressed(*self._last_progress)

    def _dialog_alive(self) -> bool:
        return self._dialog is not None and shiboken6.isValid(self._dialog)

    def _progressed(self, done: int, total: object, text: str) -> None:
        self._last_progress = (done, total, text)
        dialog = self._dialog
        if dialog is None or not self._dialog_alive():
            return
        if text:
            dialog.setLabelText(text)
        if isinstance(total, int) and total > 0:
            dialog.setMaximum(total)
            # A modal QProgressDialog processes events in setValue: the job may end (and the dialog go) meanwhile.
            dialog.setValue(min(done, total))

    def _finished(self, result: Any) -> None:
        self.result = result
        if self._on_done is not None:
            _deliver(self._on_done, result)

    def _failed(self, exc: BaseException) -> None:
        self.error = exc
        if self._on_error is not None:
            _deliver(self._on_error, exc)
        else:
            errors.show_error(self._parent_widget, exc)

    def _cancelled(self) -> None:
        self.was_cancelled = True

    def _ended(self) -> None:
        self.done = True
        if self._timer is not None:
            self._timer.stop()
        if self._dialog is not None and self._dialog_alive():
            self._dialog.reset()
            self._dialog.hide()
            self._dialog.deleteLater()
        self._dialog = None
        self.ops._forget(self)


def _deliver(callback: Callable[[Any], None], value: Any) -> None:
    """Hand a job's outcome to the screen that asked for it; if that screen has closed meanwhile (Qt deleted its
    objects), the outcome is dropped: nobody is there to see it."""
    try:
        callback(value)
    except RuntimeError as exc:
        if "already deleted" not in str(exc):
            raise
        log.debug("A result arrived for a screen that has closed: %s", exc)


class Operations:
    """Runs jobs against the open database on a small thread pool."""

    def __init__(self, database_getter: Callable[[], Any], max_threads: int = 2) -> None:
        self._database = database_getter
        self.pool = QThreadPool()
        # Two threads: a shared server allows two connections per desktop (db/engine.py).
        self.pool.setMaxThreadCount(max_threads)
        self._jobs: set[Job] = set()
        self._keyed: dict[str, Job] = {}

    @property
    def active_jobs(self) -> int:
        return len(self._jobs)

    def _start(
        self,
        body: Callable[[Any], Any],
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        label: str | None,
        parent: QWidget | None,
        key: str | None,
    ) -> Job:
        if key is not None and key in self._keyed:
            self._keyed[key].cancel()
        job = Job(self, Worker(body), on_done, on_error, label, parent)
        self._jobs.add(job)
        if key is not None:
            self._keyed[key] = job
        job.worker.start_in(self.pool)
        return job

    def _forget(self, job: Job) -> None:
        self._jobs.discard(job)
        for key, value in list(self._keyed.items()):
            if value is job:
                del self._keyed[key]

    def _call(self, fn: Callable[..., Any], first: Any, args: tuple[Any, ...], progress: Any) -> Any:
        if _wants_progress(fn):
            return fn(first, *args, progress=progress)
        return fn(first, *args)

    def run_query(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        label: str | None = None,
        parent: QWidget | None = None,
        key: str | None = None,
    ) -> Job:
        database = self._database()

        def body(progress: Any) -> Any:
            with database.session() as session:
                return self._call(fn, session, args, progress)

        return self._start(body, on_done, on_error, label, parent, key)

    def run_write(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        label: str | None = None,
        parent: QWidget | None = None,
    ) -> Job:
        database = self._database()

        def body(progress: Any) -> Any:
            with database.unit_of_work() as session:
                return self._call(fn, session, args, progress)

        def done(result: Any) -> None:
            changes = result if isinstance(result, Changes) else _changes_in(result)
            if changes is not None:
                bus().changed.emit(changes)
            if on_done is not None:
                on_done(result)

        return self._start(body, done, on_error, label, parent, None)

    def run_job(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        label: str | None = None,
        parent: QWidget | None = None,
        key: str | None = None,
    ) -> Job:
        database = self._database()

        def body(progress: Any) -> Any:
            return self._call(fn, database, args, progress)

        def done(result: Any) -> None:
            changes = result if isinstance(result, Changes) else _changes_in(result)
            if changes is not None:
                bus().changed.emit(changes)
            if on_done is not None:
                on_done(result)

        return self._start(body, done, on_error, label, parent, key)

    def wait(self, msecs: int = 30_000) -> bool:
        return self.pool.waitForDone(msecs)


def _changes_in(result: Any) -> Changes | None:
    if isinstance(result, tuple):
        for item in result:
            if isinstance(item, Changes):
                return item
    return None
