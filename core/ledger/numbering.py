"""Document and approval numbers like ``XS-20261126-0001``: per prefix, per shop-local day."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite

from core.storage import NumberSequence, UnitOfWork


def _next_in_sequence(dialect: Any) -> Any:
    """One atomic upsert: concurrent posters on PostgreSQL each get their own number."""
    return (
        dialect.insert(NumberSequence)
        .values(prefix=bindparam("prefix"), day=bindparam("day"), last=1)
        .on_conflict_do_update(
            index_elements=["prefix", "day"], set_={"last": NumberSequence.last + 1}
        )
        .returning(NumberSequence.last)
    )


def _next_many_in_sequence(dialect: Any) -> Any:
    """``count`` numbers at once: the sequence moves by ``count``, the last is returned."""
    statement = dialect.insert(NumberSequence).values(
        prefix=bindparam("prefix"), day=bindparam("day"), last=bindparam("count")
    )
    return statement.on_conflict_do_update(
        index_elements=["prefix", "day"],
        set_={"last": NumberSequence.last + statement.excluded.last},
    ).returning(NumberSequence.last)


# Built once: constructing the statement costs more than running it.
_NEXT = {"postgresql": _next_in_sequence(postgresql), "sqlite": _next_in_sequence(sqlite)}
_NEXT_MANY = {
    "postgresql": _next_many_in_sequence(postgresql),
    "sqlite": _next_many_in_sequence(sqlite),
}


async def next_number(uow: UnitOfWork, prefix: str) -> str:
    day = uow.today().strftime("%Y%m%d")
    connection = await uow.connection()
    statement = _NEXT[connection.dialect.name]
    last = (await connection.execute(statement, {"prefix": prefix, "day": day})).scalar_one()
    return f"{prefix}-{day}-{last:04d}"


async def next_numbers(uow: UnitOfWork, prefix: str, count: int) -> list[str]:
    """``count`` consecutive numbers of today's sequence in one statement."""
    day = uow.today().strftime("%Y%m%d")
    connection = await uow.connection()
    statement = _NEXT_MANY[connection.dialect.name]
    params = {"prefix": prefix, "day": day, "count": count}
    last = (await connection.execute(statement, params)).scalar_one()
    return [f"{prefix}-{day}-{n:04d}" for n in range(last - count + 1, last + 1)]
