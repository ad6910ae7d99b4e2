"""The one worker mechanism: results, errors, cancel, and the delayed progress dialog."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

from federation_desk.errors import ValidationError
from federation_desk.services import organisation as org
from federation_desk.services.changes import Changes
from federation_desk.services.startup import open_database
from federation_desk.ui.bus import bus
from federation_desk.ui.operations import Operations


def _ops(tmp_path: Path) -> tuple[Operations, Any]:
    db = open_database(tmp_path / "w.sqlite", actor="tester").database
    return Operations(lambda: db), db


def test_query_runs_off_the_gui_thread_with_its_own_session(app: Any, qtbot: Any, tmp_path: Path) -> None:
    ops, db = _ops(tmp_path)
    gui = threading.get_ident()
    seen: dict[str, Any] = {}

    def query(session: Any) -> int:
        seen["thread"] = threading.get_ident()
        return len(org.list_practices(session))

    job = ops.run_query(query, on_done=lambda n: seen.setdefault("result", n))
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    assert seen == {"thread": seen["thread"], "result": 0} and seen["thread"] != gui
    db.dispose()


def test_write_emits_changes_on_the_bus(app: Any, qtbot: Any, tmp_path: Path) -> None:
    ops, db = _ops(tmp_path)
    with qtbot.waitSignal(bus().changed, timeout=10_000) as blocker:
        ops.run_write(org.save_federation, org.FederationForm(name="Northdale"))
    assert isinstance(blocker.args[0], Changes) and blocker.args[0].touches("federation")
    db.dispose()


def test_errors_reach_the_callback_and_nothing_is_written(app: Any, qtbot: Any, tmp_path: Path) -> None:
    ops, db = _ops(tmp_path)
    failures: list[BaseException] = []
    job = ops.run_write(org.save_pcn, org.PcnForm(code="nope", name="X"), on_error=failures.append)
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    assert isinstance(failures[0], ValidationError) and "PCN code" in failures[0].message
    db.dispose()


def test_cancel_stops_a_long_job_and_the_progress_dialog_waits_600_ms(app: Any, qtbot: Any, tmp_path: Path) -> None:
    ops, db = _ops(tmp_path)
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    steps: list[int] = []

    def slow(session: Any, progress: Any) -> str:
        for i in range(400):
            progress.update(i, 400, f"Step {i}")
            steps.append(i)
            time.sleep(0.005)
        return "finished"

    done: list[str] = []
    job = ops.run_query(slow, on_done=done.append, label="Counting slowly ...", parent=parent)
    qtbot.wait(200)
    assert not parent.findChildren(QProgressDialog)  # nothing flashes for a quick job
    qtbot.waitUntil(lambda: bool(parent.findChildren(QProgressDialog)), timeout=3000)
    dialog = parent.findChildren(QProgressDialog)[0]
    assert dialog.labelText().startswith("Step")
    (cancel_button,) = dialog.findChildren(QPushButton)
    with qtbot.waitSignal(job.signals.cancelled, timeout=5000):
        cancel_button.click()
    assert job.was_cancelled and done == [] and len(steps) < 400
    db.dispose()


def test_a_newer_query_with_the_same_key_cancels_the_stale_one(app: Any, qtbot: Any, tmp_path: Path) -> None:
    ops, db = _ops(tmp_path)
    results: list[str] = []

    def slow(session: Any, label: str, progress: Any) -> str:
        for i in range(100):
            progress.update(i, 100)
            time.sleep(0.01)
        return label

    first = ops.run_query(slow, "stale", on_done=results.append, key="filter")
    qtbot.wait(50)
    second = ops.run_query(slow, "fresh", on_done=results.append, key="filter")
    qtbot.waitUntil(lambda: second.done, timeout=10_000)
    qtbot.waitUntil(lambda: first.done, timeout=5000)
    assert results == ["fresh"] and first.was_cancelled
    db.dispose()


def test_a_finished_worker_is_let_go_on_the_gui_thread(
    app: Any, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from federation_desk.ui import workers

    reap = workers.reap
    # The GUI thread's own reaping (the collector's timer, other jobs starting) waits until this test calls it.
    monkeypatch.setattr(workers, "reap", lambda: len(workers._RUNNING))
    ops, db = _ops(tmp_path)
    job = ops.run_query(lambda session: 1)
    worker = job.worker
    qtbot.waitUntil(lambda: job.done, timeout=10_000)
    ops.pool.waitForDone(10_000)
    # The pool thread has returned but did not drop the worker (its signals' QObject belongs to the GUI thread).
    assert worker.returned and worker in workers._RUNNING
    reap()
    assert worker not in workers._RUNNING
    db.dispose()


def test_a_result_for_a_screen_that_has_closed_is_dropped_quietly(app: Any, qtbot: Any, tmp_path: Path) -> None:
    """The person closed the screen while its query ran: the result arrives for an object Qt has deleted. It is
    dropped (the event loop must see no exception), and the job still ends."""
    import shiboken6
    from PySide6.QtCore import QStringListModel

    ops, db = _ops(tmp_path)
    model = QStringListModel()
    gate = threading.Event()

    def slow(_session: Any) -> list[str]:
        gate.wait(5)
        return ["late"]

    job = ops.run_query(slow, on_done=lambda rows: model.setStringList(rows))
    failed = ops.run_query(lambda _s: 1 / 0, on_error=lambda _exc: model.setStringList(["error"]))
    shiboken6.delete(model)
    gate.set()
    qtbot.waitUntil(lambda: job.done and failed.done, timeout=10_000)
    db.dispose()
