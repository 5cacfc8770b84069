"""Migration 0002 on a real SQLite file and a real PostgreSQL: queued rows survive, keyed."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.messaging import outbox
from core.storage import UnitOfWork, alembic_config, in_transaction, upgrade


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def test_0002_keeps_queued_rows_keys_them_by_target_and_lifts_the_length_limit(
    engine: AsyncEngine, uow: UnitOfWork
) -> None:
    await downgrade(engine, "0001")
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO outbox (channel, target, payload, created_at, status, attempts,"
                " next_attempt_at) VALUES ('user', 'boss|mgr1', :payload, :now, 'pending', 0,"
                " :now)"
            ),
            {"payload": '{"msgtype": "text", "text": {"content": "hi"}}', "now": datetime.now(UTC)},
        )

    await upgrade(engine)

    async with engine.connect() as connection:
        key, claimed = (
            await connection.execute(text("SELECT target_key, claimed_by FROM outbox"))
        ).one()
    assert (key, claimed) == (outbox.target_key("user", "boss|mgr1"), None)
    many = "|".join(f"user-{n:03d}-".ljust(64, "x") for n in range(1000))

    async def queue(u: UnitOfWork) -> None:
        await outbox.enqueue(u, "user", many, outbox.text_payload("盘点"))

    await in_transaction(uow, queue)
    async with engine.connect() as connection:
        lengths = (await connection.execute(text("SELECT target FROM outbox"))).scalars().all()
    assert sorted(map(len, lengths)) == [len("boss|mgr1"), len(many)]
