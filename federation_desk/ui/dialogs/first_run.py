"""The first start on a desktop: a local database file, or the federation's shared server?"""

from __future__ import annotations

from PySide6.QtWidgets import QCommandLinkButton, QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from federation_desk import APP_NAME
from federation_desk.ui.icons import icon
from federation_desk.ui.widgets.common import plain_label

LOCAL = "local"
SERVER = "server"


class FirstRunDialog(QDialog):
    def __init__(self, local_path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Welcome to {APP_NAME}")
        self.setMinimumWidth(560)
        self.choice: str | None = None
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        title = plain_label(f"Welcome to {APP_NAME}", "PageTitle")
        layout.addWidget(title)
        layout.addWidget(
            plain_label(
                "Where should this computer keep the federation's records? You can change this later from "
                "the File menu."
            )
        )
        self.local_button = QCommandLinkButton(
            "Use a local database file",
            f"For one person, a demonstration, or working offline. The file is kept at {local_path}.",
        )
        self.local_button.setIcon(icon("database"))
        self.local_button.setAccessibleName("Use a local database file")
        self.server_button = QCommandLinkButton(
            "Connect to the federation server",
            "For a federation where several people work on the same records. Your IT support gives you the "
            "server's name and your login.",
        )
        self.server_button.setIcon(icon("organisation"))
        self.server_button.setAccessibleName("Connect to the federation server")
        layout.addWidget(self.local_button)
        layout.addWidget(self.server_button)
        row = QHBoxLayout()
        row.addStretch(1)
        self.later = QPushButton("Decide later")
        row.addWidget(self.later)
        layout.addLayout(row)
        self.local_button.clicked.connect(lambda: self._choose(LOCAL))
        self.server_button.clicked.connect(lambda: self._choose(SERVER))
        self.later.clicked.connect(self.reject)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    @classmethod
    def ask(cls, local_path: str, parent: QWidget | None = None) -> str | None:
        """LOCAL, SERVER, or None (decide later: the local file is used for now)."""
        dialog = cls(local_path, parent)
        dialog.exec()
        return dialog.choice
