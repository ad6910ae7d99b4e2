"""Reference for the start-up benchmark: a bare PySide6 QMainWindow that prints on its first paint."""

import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

started = time.perf_counter()
app = QApplication(sys.argv)
window = QMainWindow()
window.resize(1280, 800)


class Painted(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            print(f"BENCH first-paint {time.perf_counter() - started:.4f}", flush=True)
            QTimer.singleShot(0, app.quit)
        return False


window.installEventFilter(Painted(window))
window.show()
app.exec()
