"""MoneyField: amounts typed the ways people type them are shown the house way, and bad text is marked, not lost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from federation_desk.errors import ValidationError
from federation_desk.ui.widgets.money import MoneyField


@pytest.mark.parametrize(
    "typed,shown,value",
    [
        ("£10m", "£10,000,000", Decimal("10000000.00")),
        ("10,000,000", "£10,000,000", Decimal("10000000.00")),
        ("10000000.00", "£10,000,000", Decimal("10000000.00")),
        ("£2.5m", "£2,500,000", Decimal("2500000.00")),
        ("250k", "£250,000", Decimal("250000.00")),
        ("1234.5", "£1,234.50", Decimal("1234.50")),
        ("£0.10", "£0.10", Decimal("0.10")),
    ],
)
def test_typed_amounts_are_shown_the_house_way(app: Any, qtbot: Any, typed: str, shown: str, value: Decimal) -> None:
    field = MoneyField()
    qtbot.addWidget(field)
    field.show()
    field.setFocus()
    if typed.isascii():
        qtbot.keyClicks(field, typed)
    else:
        field.insert(typed)  # "£" is not ASCII: QTest cannot type it
    with qtbot.waitSignal(field.amount_changed, timeout=2_000) as signal:
        field.editingFinished.emit()
    assert field.text() == shown
    assert field.value() == value and signal.args == [value]
    assert field.property("invalid") is not True


def test_text_that_is_not_money_is_kept_marked_and_explained(app: Any, qtbot: Any, screenshot: Any) -> None:
    field = MoneyField(field="limit", label="The limit of indemnity")
    qtbot.addWidget(field)
    field.show()
    qtbot.keyClicks(field, "about ten million")
    field.editingFinished.emit()
    assert field.text() == "about ten million"  # nothing the person typed is thrown away
    assert field.property("invalid") is True
    assert "is not an amount of money" in field.toolTip() and field.problem
    assert not field.is_valid()
    with pytest.raises(ValidationError) as err:
        field.value()
    assert err.value.problems[0].field == "limit"
    assert err.value.problems[0].message.startswith("The limit of indemnity: 'about ten million'")
    field.clear()
    qtbot.keyClicks(field, "10m")
    field.editingFinished.emit()
    assert field.text() == "£10,000,000" and field.property("invalid") is False
    screenshot(field, "money-field")


def test_empty_and_set_values(app: Any, qtbot: Any) -> None:
    field = MoneyField(Decimal("5000000"))
    qtbot.addWidget(field)
    assert field.text() == "£5,000,000" and field.value() == Decimal("5000000.00")
    field.set_value(None)
    assert field.text() == "" and field.value() is None and field.placeholderText().startswith("e.g. £10,000,000")
    with qtbot.waitSignal(field.amount_changed, timeout=2_000) as signal:
        field.editingFinished.emit()
    assert signal.args == [None]
    field.set_value(Decimal("1234.56"))
    assert field.text() == "£1,234.56"
    field.end(False)
    qtbot.keyClicks(field, "x")  # "£1,234.56x"
    assert not field.is_valid()
