"""Connecting to the federation's server: the profile editor with "Test connection", and the password prompt.

Profiles (name, server, port, database, login, SSL) are kept in the settings; passwords only ever in the operating
system's keyring, and only when the person ticks "Remember". A password typed here is handed to the connection and
then forgotten: it is never written to the settings, a file or the log.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from federation_desk.errors import ValidationError
from federation_desk.services import connections as conn
from federation_desk.ui import settings, theme
from federation_desk.ui.widgets.common import plain_label
from federation_desk.ui.widgets.forms import FormDialog

SERVER_PROFILES = settings.Setting[list[str]](
    "database/server_profiles", [], "Connection profiles for the federation's server (never a password)"
)


def load_profiles() -> list[conn.ConnectionProfile]:
    profiles = []
    for text in SERVER_PROFILES.get():
        try:
            profiles.append(conn.ConnectionProfile.from_dict(json.loads(text)))
        except (ValueError, TypeError):
            continue  # a damaged entry is skipped, not fatal
    return profiles


def save_profile(profile: conn.ConnectionProfile) -> None:
    """Add or replace (by name) a profile in the settings."""
    kept = [p for p in load_profiles() if p.name != profile.name]
    SERVER_PROFILES.set([json.dumps(p.to_dict(), ensure_ascii=False) for p in [profile, *kept]])


def remember_label() -> str:
    import sys

    store = "Windows Credential Manager" if sys.platform == "win32" else "this computer's password store"
    return f"Remember the password in {store}"


class ConnectionDialog(FormDialog):
    """Choose or describe the server, test the connection, and connect."""

    def __init__(self, parent: QWidget | None = None, profile: conn.ConnectionProfile | None = None) -> None:
        super().__init__("Connect to the federation server", None, parent)
        self.setMinimumWidth(600)
        self.location: str | None = None
        self.password: str | None = None
        self.profile: conn.ConnectionProfile | None = None
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self.test_worker: Any = None

        intro = plain_label(
            "Your IT support gives you the server's name, the database and your login. Your password is kept only "
            "in this computer's password store, and only if you ask for it to be remembered.",
            "Muted",
        )
        self.layout().insertWidget(1, intro)
        self.profiles = load_profiles()
        self.saved = QComboBox()
        self.saved.addItem("(a new connection)", None)
        for p in self.profiles:
            self.saved.addItem(p.name, p.name)
        if self.profiles:
            self.add_field("saved", "Sa&ved connections", self.saved)
        self.name = self.add_field("name", "&Name", QLineEdit(), "What you call this connection")
        self.host = self.add_field("host", "&Server", QLineEdit(), "e.g. db.riverside-federation.nhs.uk")
        self.port = self.add_field("port", "&Port", QLineEdit(str(conn.DEFAULT_PORT)))
        self.database = self.add_field("database", "&Database", QLineEdit("federation"))
        self.user = self.add_field("user", "&Login", QLineEdit())
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_field("password", "Pass&word", self.password_edit)
        self.remember = QCheckBox(remember_label())
        self.remember.setChecked(True)
        self.add_field("remember", "", self.remember)
        self.ssl = QComboBox()
        for mode, label in conn.SSL_MODES:
            self.ssl.addItem(label, mode)
        self.add_field("sslmode", "&Encryption (SSL)", self.ssl)

        test_row = QHBoxLayout()
        self.test_button = QPushButton("&Test connection")
        self.test_button.setAccessibleName("Test connection")
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        self.result_label = plain_label("")
        self.result_label.setAccessibleName("Connection test result")
        self.result_label.setVisible(False)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertLayout(layout.count() - 1, test_row)
        layout.insertWidget(layout.count() - 1, self.result_label)
        self.save_button.setText("Connect")

        self.test_button.clicked.connect(self.test)
        self.saved.currentIndexChanged.connect(self._choose_saved)
        if profile is not None:
            self.show_profile(profile)
        elif self.profiles:
            self.saved.setCurrentIndex(1)

    # -- profiles ---------------------------------------------------------------------------------------------
    def _choose_saved(self) -> None:
        name = self.saved.currentData()
        profile = next((p for p in self.profiles if p.name == name), None)
        if profile is not None:
            self.show_profile(profile)

    def show_profile(self, profile: conn.ConnectionProfile) -> None:
        self.name.setText(profile.name)
        self.host.setText(profile.host)
        self.port.setText(str(profile.port))
        self.database.setText(profile.database)
        self.user.setText(profile.user)
        self.ssl.setCurrentIndex(max(0, self.ssl.findData(profile.sslmode)))
        stored = conn.get_password(profile)
        self.password_edit.setText(stored or "")
        self.password_edit.setPlaceholderText("remembered" if stored else "")

    def collect(self) -> conn.ConnectionProfile:
        return conn.validate_profile(
            conn.ProfileForm(
                self.name.text(),
                self.host.text(),
                self.port.text(),
                self.database.text(),
                self.user.text(),
                self.ssl.currentData(),
            )
        )

    # -- testing ----------------------------------------------------------------------------------------------
    def show_problems(self, err: ValidationError) -> None:
        super().show_problems(err)
        self.result_label.setVisible(False)  # an old test result would contradict the entries marked in red
        count = len(err.problems)
        self.problems_label.setText(
            "Please correct the entry marked in red."
            if count == 1
            else f"Please correct the {count} entries marked in red."
        )

    def test(self) -> None:
        self.clear_problems()
        try:
            profile = self.collect()
        except ValidationError as err:
            self.show_problems(err)
            return
        password = self.password_edit.text() or None
        self.test_button.setEnabled(False)
        self.test_button.setText("Testing ...")
        self._show_result("Connecting to the server ...", None)
        from federation_desk.ui.workers import Worker

        worker = Worker(lambda _progress: conn.test_connection(profile, password))
        worker.signals.finished.connect(self._tested)
        worker.signals.failed.connect(lambda exc: self._tested(conn.explain_connection_error(exc, profile)))
        self.test_worker = worker
        worker.start_in(self._pool)

    def _tested(self, check: conn.ConnectionCheck) -> None:
        self.test_button.setEnabled(True)
        self.test_button.setText("&Test connection")
        text = check.message
        if check.ok and check.signed_in_as:
            text += f" You will work as {check.signed_in_as}."
        if check.advice:
            text += "\n" + check.advice
        self._show_result(text, check.ok, connected=check.problem == "schema")
        self.last_check = check

    def _show_result(self, text: str, ok: bool | None, connected: bool = False) -> None:
        colours = theme.current()
        if ok is None:
            colour, mark = colours.muted, ""
        elif ok:
            colour, mark = colours.good, "✔ "
        elif connected:  # reached the server, but the database is not ready for this version
            colour, mark = colours.warning, "⚠ "
        else:
            colour, mark = colours.danger, "✖ "
        self.result_label.setStyleSheet(f"color: {colour};")
        self.result_label.setText(mark + text)
        self.result_label.setVisible(True)
        self.adjustSize()

    # -- connecting -------------------------------------------------------------------------------------------
    def save(self) -> None:
        self.clear_problems()
        try:
            profile = self.collect()
        except ValidationError as err:
            self.show_problems(err)
            return
        password = self.password_edit.text() or None
        save_profile(profile)
        if password and self.remember.isChecked():
            try:
                conn.save_password(profile, password)
            except conn.KeyringUnavailable as exc:
                from federation_desk.ui import errors

                errors.show_error(self, exc)  # says so plainly; the password is used now and not kept anywhere
        self.profile = profile
        self.location = profile.location
        self.password = password
        self.accept()

    @classmethod
    def ask(
        cls, parent: QWidget | None = None, profile: conn.ConnectionProfile | None = None
    ) -> tuple[str, str | None] | None:
        """(address to open, password typed now or None) or None if the person cancelled."""
        dialog = cls(parent, profile)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.location is None:
            return None
        return dialog.location, dialog.password


class PasswordDialog(QDialog):
    """Asks for the password of a server login when the keyring has none (or it was refused)."""

    def __init__(self, location: str, reason: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Password for the federation server")
        self.setMinimumWidth(460)
        self.profile = conn.ConnectionProfile.from_location(location)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(f"Type the password of {self.profile.user} on {self.profile.host}."))
        if reason:
            self.reason = plain_label(reason, "FormErrors")
            layout.addWidget(self.reason)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        row = QHBoxLayout()
        row.addWidget(QLabel("Password"))
        row.addWidget(self.password, 1)
        layout.addLayout(row)
        self.remember = QCheckBox(remember_label())
        self.remember.setChecked(conn.keyring_available())
        self.remember.setEnabled(conn.keyring_available())
        layout.addWidget(self.remember)
        if not conn.keyring_available():
            layout.addWidget(
                plain_label(
                    "This computer has no password store Federation Desk can use, so you will be asked each time.",
                    "Muted",
                )
            )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _ok(self) -> None:
        if not self.password.text():
            self.password.setFocus()
            return
        if self.remember.isChecked():
            try:
                conn.save_password(self.profile, self.password.text())
            except conn.KeyringUnavailable as exc:
                from federation_desk.ui import errors

                errors.show_error(self, exc)
        self.accept()

    @classmethod
    def ask(cls, location: str, reason: str = "", parent: QWidget | None = None) -> str | None:
        dialog = cls(location, reason, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.password.text()
