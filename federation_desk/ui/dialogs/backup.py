"""Back up the open database to one file, and restore a backup into a new, empty database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from federation_desk.services import backup as svc
from federation_desk.ui.widgets.common import plain_label

SQLITE_FILTER = "Federation Desk backup (*.sqlite)"
DUMP_FILTER = "Federation Desk server backup (*.fdbackup)"
OPEN_FILTER = "Federation Desk backups (*.sqlite *.fdbackup);;All files (*)"


def suggested_backup_name(database: Any) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d-%H%M")
    suffix = ".sqlite" if database.location.is_sqlite else ".fdbackup"
    return f"federation-backup-{stamp}{suffix}"


def ask_backup_path(parent: QWidget | None, database: Any) -> Path | None:
    """Where to write the backup (a save dialog)."""
    name = suggested_backup_name(database)
    filters = SQLITE_FILTER if database.location.is_sqlite else DUMP_FILTER
    path, _ = QFileDialog.getSaveFileName(
        parent, "Back up the whole database to one file", str(Path.home() / name), filters
    )
    return Path(path) if path else None


class RestoreDialog(QDialog):
    """Choose a backup and a new, empty database to restore it into; the restore runs on a worker with progress."""

    restored = Signal(str)  # the location restored into (no password)

    def __init__(self, profiles: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore a backup")
        self.setMinimumWidth(680)
        self.result_location: str | None = None
        self.job: Any = None
        self._ops: Any = None
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "A backup is restored into a new, empty database: a new local file, or an empty database your IT "
                "support created on the server. Nothing that exists is overwritten.",
                "Muted",
            )
        )
        self.problem = plain_label("", "FormErrors")
        self.problem.setVisible(False)
        layout.addWidget(self.problem)
        form = QFormLayout()
        self.source = QLineEdit()
        self.source.setAccessibleName("Backup file")
        browse = _browse_button()
        browse.clicked.connect(self._browse_source)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(browse)
        form.addRow("Backup file", row)
        self.to_file = QRadioButton("A new local database file")
        self.to_server = QRadioButton("An empty database on the server")
        group = QButtonGroup(self)
        group.addButton(self.to_file)
        group.addButton(self.to_server)
        self.to_file.setChecked(True)
        self.target_file = QLineEdit(str(Path.home() / "restored-federation.sqlite"))
        self.target_file.setAccessibleName("New database file")
        browse_target = _browse_button()
        browse_target.clicked.connect(self._browse_target)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target_file, 1)
        target_row.addWidget(browse_target)
        self.server = QComboBox()
        self.server.setAccessibleName("Server connection")
        for p in profiles:
            self.server.addItem(f"{p.name} ({p.display})", p.location)
        if not profiles:
            self.server.addItem("(no server connections yet: use File > Connect to the federation server)", None)
            self.to_server.setEnabled(False)
        form.addRow("Restore into", self.to_file)
        form.addRow("", target_row)
        form.addRow("", self.to_server)
        form.addRow("", self.server)
        layout.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = plain_label("", "Muted")
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = self.buttons.addButton("Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setProperty("primary", True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _browse_source(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the backup", str(Path.home()), OPEN_FILTER)
        if path:
            self.source.setText(path)

    def _browse_target(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "New database file", self.target_file.text(), "Federation Desk database (*.sqlite)"
        )
        if path:
            self.target_file.setText(path)

    def target(self) -> str | None:
        if self.to_server.isChecked():
            return self.server.currentData()
        text = self.target_file.text().strip()
        return text or None

    def _problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(True)
        self.problem.setMinimumHeight(self.problem.heightForWidth(max(self.width() - 24, 300)))
        self.adjustSize()  # the message needs room: grow rather than squeeze the fields

    def start(self) -> None:
        self.problem.setVisible(False)
        source = Path(self.source.text().strip()) if self.source.text().strip() else None
        target = self.target()
        if source is None or not source.exists():
            self._problem("Choose the backup file to restore (it was not found).")
            return
        if target is None:
            self._problem("Choose where to restore it.")
            return
        from federation_desk.services.connections import connectable
        from federation_desk.ui.operations import Operations

        self._ops = Operations(lambda: None, max_threads=1)
        self.restore_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.status.setText("Checking the backup ...")
        self._target = target
        self.job = self._ops.run_job(
            _restore, source, connectable(target), on_done=self._done, on_error=self._failed, parent=self
        )
        self.job.signals.progressed.connect(self._progressed)

    def _progressed(self, done: int, total: object, text: str) -> None:
        if isinstance(total, int) and total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        if text:
            self.status.setText(text)

    def _done(self, result: svc.RestoreResult) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.status.setText(result.message)
        self.result_location = self._target
        self.restored.emit(self._target)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        from federation_desk.errors import FederationDeskError

        self.restore_button.setEnabled(True)
        self.progress.setVisible(False)
        self.status.setText("")
        if isinstance(exc, FederationDeskError):
            self._problem(f"{exc.message} {exc.what_to_do}".strip())
        else:
            from federation_desk.ui import errors

            errors.show_error(self, exc)

    @classmethod
    def ask(cls, profiles: list[Any], parent: QWidget | None = None) -> str | None:
        """The location restored into (to open it), or None."""
        dialog = cls(profiles, parent)
        dialog.exec()
        return dialog.result_location


def _browse_button() -> QPushButton:
    button = QPushButton("Browse ...")
    button.setMinimumSize(button.sizeHint())
    button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return button


def _restore(_database: Any, source: Path, target: str, progress: Any) -> svc.RestoreResult:
    return svc.restore_database(source, target, progress=progress)
