"""The guard against PySide6 6.12.0's None reference leak on Python 3.11 (ui/qt_compat.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from federation_desk.ui.qt_compat import leaks_none


def test_only_the_affected_combination_is_guarded() -> None:
    assert leaks_none((3, 11), "6.12.0")
    assert not leaks_none((3, 12), "6.12.0")  # None is immortal from Python 3.12 (PEP 683)
    assert not leaks_none((3, 11), "6.11.3")
    assert not leaks_none((3, 13), "6.12.1")


def test_a_long_busy_session_neither_aborts_nor_crashes_at_exit() -> None:
    # Without the guard 20,000 void Qt calls abort Python 3.11 with PySide6 6.12.0 ("none_dealloc").
    script = textwrap.dedent(
        """
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QLabel
        from federation_desk.ui.application import create_application
        app = create_application()
        label = QLabel()
        state = {"bursts": 0}

        def burst():
            for _ in range(50_000):
                label.setText("busy")
            state["bursts"] += 1
            if state["bursts"] == 12:
                app.quit()

        timer = QTimer()
        timer.timeout.connect(burst)
        timer.start(50)
        app.exec()
        print("survived", state["bursts"] * 50_000)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "survived 600000" in result.stdout


def test_garbage_made_by_workers_is_collected_on_the_gui_thread_only() -> None:
    # Python collects cycles on whichever thread crosses a threshold; a Qt wrapper collected on a pool thread
    # crashed the suite once ("Garbage-collecting" in a worker's query). The app collects on the GUI thread.
    script = textwrap.dedent(
        """
        import gc, os, threading
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QThreadPool, QTimer
        from federation_desk.ui.application import create_application
        from federation_desk.ui.workers import Worker
        app = create_application()
        gui = threading.get_ident()
        threads = set()

        class Cycle:
            def __init__(self):
                self.me = self

            def __del__(self):
                threads.add(threading.get_ident())

        def churn(progress):
            for _ in range(100_000):
                Cycle()

        pool = QThreadPool()
        for _ in range(2):
            Worker(churn).start_in(pool)
        QTimer.singleShot(2500, app.quit)
        app.exec()
        print("enabled", gc.isenabled(), "collected", bool(threads), "gui-only", threads == {gui})
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "enabled False collected True gui-only True" in result.stdout


def test_the_quicker_feature_scan_decides_as_pysides_own() -> None:
    # PySide asks of every module imported after it whether its source mentions PySide6; the replacement must give
    # the same answer for modules that do, that don't, and that have no source file.
    import importlib
    import types

    import PySide6.QtCore  # noqa: F401 - loads PySide's feature support

    from federation_desk.ui import qt_compat

    assert qt_compat.quicker_feature_scan()
    feature = sys.modules["shibokensupport.feature"]
    assert feature._mod_uses_pyside is qt_compat.mentions_pyside
    original = qt_compat.pyside_scan
    assert callable(original) and original is not qt_compat.mentions_pyside
    names = [
        "federation_desk.ui.qt_compat",  # mentions PySide6
        "federation_desk.ui.workers",
        "federation_desk.services.dates",  # does not
        "json",
        "sqlalchemy.orm",
        "math",  # built in: no source
    ]
    for name in names:
        module = importlib.import_module(name)
        assert qt_compat.mentions_pyside(module) == bool(original(module)), name
    assert not qt_compat.mentions_pyside(types.ModuleType("made_in_memory"))
    assert qt_compat.quicker_feature_scan()  # a second call changes nothing
    assert qt_compat.pyside_scan is original
