"""Who runs a scheduled job: a row per job in ``leases``, taken by compare-and-set.

``UPDATE leases SET holder = :me, until = :t WHERE name = :n AND (until < :now OR holder = :me)``
changes one row for exactly one contender. On PostgreSQL a second contender's UPDATE waits
for the first transaction's row lock and then re-reads the row, now held until later: it
changes nothing. Taking the lease in the same transaction as the run means a run that fails
gives the lease back with its rollback.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from core.storage import Lease, UnitOfWork

NEVER = datetime(1970, 1, 1, tzinfo=UTC)


async def acquire(uow: UnitOfWork, name: str, holder: str, now: datetime, until: datetime) -> bool:
    """Take lease ``name`` until ``until`` if it is free at ``now`` or already ours."""
    dialect = postgresql if uow.is_postgres else sqlite
    await uow.session.execute(
        dialect.insert(Lease)
        .values(name=name, holder="", until=NEVER)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    taken = await uow.session.execute(
        update(Lease)
        .where(Lease.name == name, or_(Lease.until < now, Lease.holder == holder))
        .values(holder=holder, until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]
