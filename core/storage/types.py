"""Column types that keep money, quantities and instants exact on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

SCALE = 4
_FACTOR = Decimal(10) ** SCALE


class Fixed(TypeDecorator[Decimal]):
    """A ``Decimal`` with four places stored as a scaled 64-bit integer.

    SQLite has no decimal type and would round-trip through float; an integer column keeps
    ``SUM`` and ``qty = qty + :delta`` exact on both databases.
    """

    impl = BigInteger
    cache_ok = True

    # Both run for every quantity of every row a posting reads or writes: kept to the fewest
    # Decimal operations (an int compares with a Decimal exactly).
    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = (value if type(value) is Decimal else Decimal(value)) * _FACTOR
        whole = int(scaled)
        if whole != scaled:
            raise ValueError(f"{value} has more than {SCALE} decimal places")
        return whole

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # The stored integer as the coefficient, four places: exactly ``n / 10⁴`` quantized.
        return Decimal(int(value)).scaleb(-SCALE)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        converted = value.astimezone(UTC)
        return converted.replace(tzinfo=None) if dialect.name == "sqlite" else converted

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
