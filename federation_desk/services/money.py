"""Money as exact decimals: read what people type ("£10m", "10,000,000", "10000000.00"), show "£10,000,000"."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from federation_desk.errors import ValidationError

PENNY = Decimal("0.01")
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000, "bn": 1_000_000_000, "b": 1_000_000_000}
_PATTERN = re.compile(r"^(?P<sign>-)?£?\s*(?P<number>[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*(?P<unit>k|m|bn|b)?$")


def parse_money(text: str, field: str = "amount") -> Decimal:
    """Parse an amount of pounds. Accepts £, thousands commas, k/m/bn suffixes; refuses anything else."""
    raw = text.strip().lower().replace(" ", "")
    raw = raw.replace("gbp", "£") if raw.startswith("gbp") else raw
    m = _PATTERN.match(raw)
    if not m or (m.group("number").count(",") and not _commas_ok(m.group("number"))):
        raise ValidationError(
            f"'{text.strip()}' is not an amount of money. Write it like £10,000,000, 10000000.00 or £10m."
        )
    try:
        number = Decimal(m.group("number").replace(",", ""))
    except InvalidOperation:
        raise ValidationError(f"'{text.strip()}' is not an amount of money.") from None
    amount = number * _MULTIPLIERS[m.group("unit") or ""]
    if m.group("sign"):
        amount = -amount
    if amount != amount.quantize(PENNY):
        raise ValidationError(f"'{text.strip()}' has fractions of a penny; use at most two decimal places.")
    return amount.quantize(PENNY)


def _commas_ok(number: str) -> bool:
    whole = number.split(".")[0]
    groups = whole.split(",")
    return len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


def format_money(amount: Decimal | int | None, pence: bool | None = None, empty: str = "") -> str:
    """``£10,000,000`` for whole pounds, ``£1,234.50`` when there are pence (or when ``pence`` is True)."""
    if amount is None:
        return empty
    value = Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)
    show_pence = pence if pence is not None else value != value.to_integral_value()
    sign = "-" if value < 0 else ""
    value = abs(value)
    text = f"{value:,.2f}" if show_pence else f"{value:,.0f}"
    return f"{sign}£{text}"
