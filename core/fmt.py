"""How numbers read in Chinese replies: money with ¥ and two places, quantities with units."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    return f"¥{value.quantize(CENT, rounding=ROUND_HALF_UP):,}"


def plain_qty(value: Decimal) -> str:
    """``24.0000`` → ``24``, ``1.5000`` → ``1.5``."""
    normalized = value.normalize()
    text = f"{normalized:f}"
    return "0" if text in ("-0", "") else text


def qty_text(value: Decimal, unit: str) -> str:
    return f"{plain_qty(value)} {unit}"
