"""Units of measure: how many decimals a quantity in a unit may have."""

from __future__ import annotations

# Weighed goods are sold in fractions; counted goods in whole units.
WEIGHT_UNITS = {"kg": 3, "千克": 3, "公斤": 3, "斤": 2, "g": 0, "克": 0, "l": 3, "升": 3}


def unit_precision(unit: str) -> int:
    return WEIGHT_UNITS.get(unit.lower(), 0)
