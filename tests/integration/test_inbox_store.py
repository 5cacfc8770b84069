"""Inbox persistence (core.messaging.inbox) on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core.messaging import inbox
from core.storage import (
    InboxMessage,
    UnitOfWork,
    create_engine,
    create_sessionmaker,
    in_transaction,
)
from tests.support.clock import ManualClock


async def store(uow: UnitOfWork, key: str, user: str = "clerk1", text: str = "帮助") -> bool:
    async def work(uow: UnitOfWork) -> bool:
        return await inbox.receive(
            uow,
            inbox.Arrival(
                dedupe_key=key,
                from_user=user,
                kind="text",
                payload={"content": text},
            ),
        )

    return await in_transaction(uow, work)


async def count_rows(uow: UnitOfWork) -> int:
    async def work(uow: UnitOfWork) -> int:
        return int(await uow.session.scalar(select(func.count()).select_from(InboxMessage)) or 0)

    return await in_transaction(uow, work)


async def test_a_message_is_stored_once_and_its_duplicate_changes_nothing(
    uow: UnitOfWork,
) -> None:
    assert await store(uow, "msg:1") is True
    assert await store(uow, "msg:1", text="a different body") is False

    rows = await in_transaction(uow, lambda u: inbox.status_counts(u.session))
    assert rows == {inbox.PENDING: 1}


async def test_concurrent_duplicates_store_exactly_one_row(
    engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    sessions = create_sessionmaker(engine)
    results = await asyncio.gather(
        *(store(UnitOfWork(sessions, clock=clock, settings=settings), "msg:race") for _ in range(4))
    )

    assert sorted(results) == [False, False, False, True]
    assert await count_rows(UnitOfWork(sessions, clock=clock, settings=settings)) == 1


async def test_users_are_listed_longest_waiting_first_and_messages_claimed_oldest_first(
    uow: UnitOfWork,
) -> None:
    for key, user in [("msg:1", "b"), ("msg:2", "a"), ("msg:3", "b"), ("msg:4", "a")]:
        await store(uow, key, user=user, text=key)

    pending = await in_transaction(uow, lambda u: inbox.pending_by_user(u))
    assert list(pending.items()) == [("b", 2), ("a", 2)]

    async def handle_next(uow: UnitOfWork) -> str | None:
        row = await inbox.take_next(uow.session, "a", uow.now())
        return None if row is None else row.dedupe_key

    handled = [await in_transaction(uow, handle_next) for _ in range(3)]
    assert handled == ["msg:2", "msg:4", None]


async def test_settle_closes_a_pending_message_only_once(uow: UnitOfWork) -> None:
    await store(uow, "msg:1")
    row_id = await in_transaction(uow, lambda u: u.session.scalar(select(InboxMessage.id).limit(1)))
    assert row_id is not None

    async def fail(uow: UnitOfWork) -> bool:
        return await inbox.settle(uow.session, row_id, inbox.FAILED, uow.now(), "7F3A boom")

    assert await in_transaction(uow, fail) is True
    assert await in_transaction(uow, fail) is False
    row = await in_transaction(uow, lambda u: u.session.get(InboxMessage, row_id))
    assert row is not None
    assert (row.status, row.attempts, row.error) == (inbox.FAILED, 1, "7F3A boom")


@pytest.mark.pg
async def test_while_one_transaction_handles_a_user_no_other_claims_that_users_messages(
    pg_url: str, clock: ManualClock
) -> None:
    engine = create_engine(pg_url)
    sessions = create_sessionmaker(engine)
    settings = Settings(database_url=pg_url)
    try:
        await store(UnitOfWork(sessions, clock=clock, settings=settings), "msg:1", user="a")
        await store(UnitOfWork(sessions, clock=clock, settings=settings), "msg:2", user="a")
        await store(UnitOfWork(sessions, clock=clock, settings=settings), "msg:3", user="b")
        async with UnitOfWork(sessions, clock=clock, settings=settings) as first:
            held = await inbox.take_next(first.session, "a", first.now())
            assert held is not None and held.dedupe_key == "msg:1"
            async with UnitOfWork(sessions, clock=clock, settings=settings) as second:
                assert await inbox.take_next(second.session, "a", second.now()) is None
                other = await inbox.take_next(second.session, "b", second.now())
                assert other is not None and other.dedupe_key == "msg:3"
            await first.commit()
        async with UnitOfWork(sessions, clock=clock, settings=settings) as later:
            following = await inbox.take_next(later.session, "a", later.now())
            assert following is not None and following.dedupe_key == "msg:2"
    finally:
        await engine.dispose()


async def test_a_taken_message_is_pending_again_when_its_handling_rolls_back(
    uow: UnitOfWork,
) -> None:
    await store(uow, "msg:1", user="a")

    async def crash(uow: UnitOfWork) -> None:
        taken = await inbox.take_next(uow.session, "a", uow.now())
        assert taken is not None and taken.dedupe_key == "msg:1"
        raise RuntimeError("the handler crashed")

    with pytest.raises(RuntimeError):
        await in_transaction(uow, crash)

    assert await in_transaction(uow, lambda u: inbox.status_counts(u.session)) == {inbox.PENDING: 1}
    row = await in_transaction(uow, lambda u: inbox.take_next(u.session, "a", u.now()))
    assert row is not None and row.dedupe_key == "msg:1"
    counts = await in_transaction(uow, lambda u: inbox.status_counts(u.session))
    assert counts == {inbox.DONE: 1}
