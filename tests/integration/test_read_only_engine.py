"""The read lane's engine: one snapshot per transaction, writes refused by the database, and
(SQLite) reads beside a writer's open transaction instead of waiting for its lock."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from core.storage import InboxMessage, create_engine


async def test_the_read_only_engine_refuses_a_write(database_url: str) -> None:
    reader = create_engine(database_url, read_only=True)
    try:
        async with reader.connect() as connection:
            with pytest.raises(SQLAlchemyError):
                await connection.execute(text("UPDATE inbox SET attempts = 1"))
    finally:
        await reader.dispose()


async def test_a_read_sees_what_was_committed_while_a_writer_holds_the_sqlite_lock(
    sqlite_url: str,
) -> None:
    engine, reader = create_engine(sqlite_url), create_engine(sqlite_url, read_only=True)
    try:
        async with engine.connect() as writer:
            # BEGIN IMMEDIATE: the write lock is held from here to the rollback.
            await writer.execute(
                text(
                    "INSERT INTO inbox (dedupe_key, from_user, kind, payload, received_at,"
                    " status, attempts)"
                    " VALUES ('k1', 'u', 'text', '{}', '2026-01-01', 'pending', 0)"
                )
            )
            async with reader.connect() as connection:
                # Not the writer's uncommitted row, and no wait for its lock.
                assert await connection.scalar(select(func.count()).select_from(InboxMessage)) == 0
            await writer.rollback()
    finally:
        await reader.dispose()
        await engine.dispose()
