"""Quantities and money are stored as integers ×10⁴ and read back with exactly four places."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.dialects import sqlite

from core.storage import Fixed

DIALECT = sqlite.dialect()


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (Decimal("1.2345"), 12345),
        (Decimal("-0.0001"), -1),
        (Decimal("1E+3"), 10_000_000),
        (Decimal("2.50000"), 25000),
        (7, 70000),
        ("0.5", 5000),
    ],
)
def test_values_are_stored_scaled_by_ten_thousand(value: object, stored: int) -> None:
    assert Fixed().process_bind_param(value, DIALECT) == stored


@pytest.mark.parametrize("value", [Decimal("0.00001"), Decimal("-3.14159"), 0.1])
def test_a_fifth_decimal_place_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="decimal places"):
        Fixed().process_bind_param(value, DIALECT)


@pytest.mark.parametrize(
    ("stored", "text"),
    [(0, "0.0000"), (1, "0.0001"), (-12345, "-1.2345"), (10_000, "1.0000"), (2**63 - 1, None)],
)
def test_stored_integers_read_back_with_four_places(stored: int, text: str | None) -> None:
    value = Fixed().process_result_value(stored, DIALECT)
    assert value is not None
    assert value.as_tuple().exponent == -4
    assert value * 10_000 == stored
    if text is not None:
        assert str(value) == text
