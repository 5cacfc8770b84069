"""The migrations build exactly the tables the models declare (money tables included)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

import core.money.tables  # noqa: F401  (registers the money side's tables on Base)
from core.storage import Base


async def test_migrated_schema_has_no_difference_from_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    assert diff == []
