"""Form dialogs that save through a worker and show a service's ValidationError next to the fields.

A dialog subclass builds its fields with :meth:`FormDialog.add_field`, returns the form in :meth:`collect`, and
names the service call in :meth:`save_call`. Saving disables the buttons, runs the write on a worker, and either
closes the dialog or shows what is wrong: field problems in red by their fields, a stale edit with a Reload choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from federation_desk.errors import StaleEditError, ValidationError
from federation_desk.services.dates import DateParseError, format_date, parse_date
from federation_desk.ui import errors
from federation_desk.ui.widgets.common import plain_label


def field_text(value: object) -> str:
    """What a text field shows for a stored value: empty for None."""
    return "" if value is None else str(value)


def choice_combo(items: Sequence[tuple[str, Any]], current: Any) -> QComboBox:
    """A drop-down of (label, value) pairs with ``current`` selected (the first item if it is not there)."""
    combo = QComboBox()
    for label, value in items:
        combo.addItem(label, value)
    combo.setCurrentIndex(next((i for i, (_l, v) in enumerate(items) if v == current), 0))
    return combo


class DateField(QLineEdit):
    """A British date (dd/mm/yyyy) that may be left empty."""

    def __init__(self, value: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("dd/mm/yyyy")
        self.set_date(value)

    def set_date(self, value: date | None) -> None:
        self.setText(format_date(value))

    def date_value(self, field: str, label: str) -> date | None:
        text = self.text().strip()
        if not text:
            return None
        try:
            return parse_date(text)
        except DateParseError as exc:
            from federation_desk.errors import FieldProblem

            raise ValidationError([FieldProblem(field, f"{label}: {exc}")]) from exc


class FormDialog(QDialog):
    def __init__(self, title: str, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.problems_label = plain_label("", "FormErrors")
        self.problems_label.setVisible(False)
        self.problems_label.setAccessibleName("Problems with this form")
        layout.addWidget(self.problems_label)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(self.form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setProperty("primary", True)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.fields: dict[str, QWidget] = {}
        self._field_errors: dict[str, QLabel] = {}
        self.saved_result: Any = None
        self.save_job: Any = None

    def add_field(self, name: str, label: str, widget: QWidget, hint: str = "") -> QWidget:
        widget.setAccessibleName(label.replace("&", ""))
        container = QWidget()
        column = QVBoxLayout(container)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        if hint:
            column.addWidget(plain_label(hint, "Muted"))
        error = plain_label("", "FieldError")
        error.setVisible(False)
        column.addWidget(error)
        text = QLabel(label)
        text.setBuddy(widget)
        self.form.addRow(text, container)
        self.fields[name] = widget
        self._field_errors[name] = error
        return widget

    # -- subclasses -------------------------------------------------------------------------------------------
    def collect(self) -> Any:
        """Read the widgets into the service's form dataclass (may raise ValidationError)."""
        raise NotImplementedError

    def save_call(self, form: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        """The service function and its arguments after the session: ``(save_practice, (form, id, version))``."""
        raise NotImplementedError

    def reload(self) -> None:
        """After a stale edit: close so the page reloads the latest version (subclasses may do better)."""
        self.reject()

    # -- saving -----------------------------------------------------------------------------------------------
    def save(self) -> None:
        self.clear_problems()
        try:
            form = self.collect()
        except ValidationError as err:
            self.show_problems(err)
            return
        fn, args = self.save_call(form)
        self._busy(True)
        self.save_job = self.ops.run_write(fn, *args, on_done=self._saved, on_error=self._failed, parent=self)

    def _busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy)
        self.save_button.setText("Saving ..." if busy else "Save")

    def _saved(self, result: Any) -> None:
        self._busy(False)
        self.saved_result = result
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        if isinstance(exc, ValidationError):
            self.show_problems(exc)
        elif isinstance(exc, StaleEditError):
            self.show_stale(exc)
        else:
            errors.show_error(self, exc)

    def show_stale(self, exc: StaleEditError) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(exc.title)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(exc.message)
        box.setInformativeText(
            "Reload shows the latest version (your changes here are discarded). Keep my text to copy leaves this "
            "window open so you can copy what you typed."
        )
        reload_button = box.addButton("Reload", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep my text to copy", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is reload_button:
            self.reload()
        else:
            self.problems_label.setText(exc.message + " Copy what you need, then close this window and reload.")
            self.problems_label.setVisible(True)

    def show_problems(self, err: ValidationError) -> None:
        general: list[str] = []
        for problem in err.problems:
            label = self._field_errors.get(problem.field)
            widget = self.fields.get(problem.field)
            if label is None or widget is None:
                general.append(problem.message)
                continue
            label.setText(problem.message)
            label.setVisible(True)
            # Wrapped labels in a form layout do not ask for their height: give it to them.
            label.setMinimumHeight(label.heightForWidth(max(widget.width(), 240)))
            widget.setProperty("invalid", True)
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        count = len(err.problems)
        summary = "Nothing was saved: " + (
            "please correct the entry marked in red."
            if count == 1
            else f"please correct the {count} entries marked in red."
        )
        self.problems_label.setText(" ".join([summary, *general]))
        self.problems_label.setVisible(True)
        self.problems_label.setMinimumHeight(self.problems_label.heightForWidth(max(self.width() - 24, 300)))
        first = next((self.fields[p.field] for p in err.problems if p.field in self.fields), None)
        if first is not None:
            first.setFocus()
        self.adjustSize()  # wrapped messages need the height to show in full

    def clear_problems(self) -> None:
        self.problems_label.setVisible(False)
        for name, label in self._field_errors.items():
            label.setVisible(False)
            widget = self.fields[name]
            if widget.property("invalid"):
                widget.setProperty("invalid", False)
                widget.style().unpolish(widget)
                widget.style().polish(widget)
