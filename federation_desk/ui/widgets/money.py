"""A money entry that reads amounts as people type them and always shows them the house way.

``MoneyField`` accepts "£10m", "10,000,000", "10000000.00", "£2.5k" ... (``services.money.parse_money``) and, when
the person leaves the field, rewrites what they typed as "£10,000,000" (pence only when there are some). Text that
is not an amount is left as typed and marked, with the reason as the tooltip; the dialog's save then names the
problem by the field. ``value()`` returns an exact ``Decimal`` (or None when empty).
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QWidget

from federation_desk.errors import FieldProblem, ValidationError
from federation_desk.services.money import format_money, parse_money

PLACEHOLDER = "e.g. £10,000,000 or £10m"


class MoneyField(QLineEdit):
    amount_changed = Signal(object)  # Decimal | None, after the person finished editing

    def __init__(
        self,
        value: Decimal | None = None,
        field: str = "amount",
        label: str = "The amount",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.field = field
        self.label = label
        self.setPlaceholderText(PLACEHOLDER)
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setMinimumWidth(160)
        self._hint = ""
        self.set_value(value)
        self.editingFinished.connect(self.tidy)

    def set_value(self, value: Decimal | None) -> None:
        self.setText(format_money(value) if value is not None else "")
        self._mark(None)

    def value(self) -> Decimal | None:
        """The amount typed (exact), None when empty; raises ValidationError naming this field otherwise."""
        text = self.text().strip()
        if not text:
            return None
        try:
            return parse_money(text, self.field)
        except ValidationError as err:
            raise ValidationError([FieldProblem(self.field, f"{self.label}: {err.problems[0].message}")]) from None

    def is_valid(self) -> bool:
        try:
            self.value()
        except ValidationError:
            return False
        return True

    def tidy(self) -> None:
        """Show what was typed as "£10,000,000"; mark it (and say why) when it is not an amount."""
        text = self.text().strip()
        if not text:
            self._mark(None)
            self.amount_changed.emit(None)
            return
        try:
            amount = parse_money(text, self.field)
        except ValidationError as err:
            self._mark(err.problems[0].message)
            return
        formatted = format_money(amount)
        if formatted != self.text():
            self.setText(formatted)
        self._mark(None)
        self.amount_changed.emit(amount)

    @property
    def problem(self) -> str:
        return self._hint

    def _mark(self, problem: str | None) -> None:
        self._hint = problem or ""
        invalid = problem is not None
        self.setToolTip(problem or "Type an amount: £10m, 10,000,000 or 10000000.00 all mean £10,000,000.")
        if bool(self.property("invalid")) != invalid:
            self.setProperty("invalid", invalid)
            self.style().unpolish(self)
            self.style().polish(self)
