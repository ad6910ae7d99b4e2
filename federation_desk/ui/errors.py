"""Showing errors: a FederationDeskError as plain text with what to do; anything unexpected as a short apology
with a "Copy details" button (the detail goes to the log, never a stack trace in the person's face)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from federation_desk.errors import FederationDeskError

log = logging.getLogger(__name__)

# Tests replace this to capture what would be shown.
_presenter: Callable[[QWidget | None, str, str, str, str], None] | None = None


def describe(exc: BaseException) -> tuple[str, str, str]:
    """(title, message, what to do) for any exception."""
    if isinstance(exc, FederationDeskError):
        return exc.title, exc.message, exc.what_to_do
    return (
        "Sorry, something went wrong",
        "Federation Desk hit a problem it did not expect, and the last action did not finish. Nothing was saved "
        "from it.",
        "Try again. If it happens again, press 'Copy details' and send them to your IT support.",
    )


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    title, message, what_to_do = describe(exc)
    details = ""
    if not isinstance(exc, FederationDeskError):
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        log.error("Unexpected error: %s", details)
    else:
        log.info("Shown to user: %s %s", message, what_to_do)
    if _presenter is not None:
        _presenter(parent, title, message, what_to_do, details)
        return
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if isinstance(exc, FederationDeskError) else QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(message)
    box.setInformativeText(what_to_do)
    if details:
        copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
        copy.clicked.disconnect()
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(details))
    box.addButton(QMessageBox.StandardButton.Ok)
    box.exec()
