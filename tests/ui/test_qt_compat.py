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
