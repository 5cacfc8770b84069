"""Document and approval numbers like ``XS-20261126-0001``: per prefix, per shop-local day."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from core.models import NumberSequence
from core.uow import UnitOfWork


async def next_number(uow: UnitOfWork, prefix: str) -> str:
    day = uow.today().strftime("%Y%m%d")
    dialect = postgresql if uow.is_postgres else sqlite
    # One atomic upsert: concurrent posters on PostgreSQL each get their own number.
    statement = (
        dialect.insert(NumberSequence)
        .values(prefix=prefix, day=day, last=1)
        .on_conflict_do_update(
            index_elements=["prefix", "day"], set_={"last": NumberSequence.last + 1}
        )
        .returning(NumberSequence.last)
    )
    last = (await (await uow.connection()).execute(statement)).scalar_one()
    return f"{prefix}-{day}-{last:04d}"
