"""The inbox worker over a real database, with small handlers standing in for the command set."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.inbox_worker import Handle, InboxWorker
from config import Settings
from core import catalog
from core.messaging import inbox, outbox
from core.storage import (
    InboxMessage,
    OutboxMessage,
    UnitOfWork,
    create_engine,
    create_sessionmaker,
    in_transaction,
    own_transactions,
)
from handlers.inbound import Inbound
from tests.support.clock import ManualClock

Seen = list[tuple[str, str]]


T = TypeVar("T")


@pytest.fixture
def new_uow(
    engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> Callable[[], UnitOfWork]:
    sessions = create_sessionmaker(engine)
    return lambda: UnitOfWork(sessions, clock=clock, settings=settings)


async def receive(new_uow: Callable[[], UnitOfWork], user: str, text: str) -> None:
    async def work(uow: UnitOfWork) -> None:
        await inbox.receive(
            uow,
            inbox.Arrival(
                dedupe_key=f"msg:{user}:{text}",
                from_user=user,
                kind="text",
                payload={
                    "from_user": user,
                    "create_time": 0,
                    "msg_id": f"{user}:{text}",
                    "content": text,
                    "agent_id": 1,
                },
            ),
        )

    await in_transaction(new_uow(), work)


def echo(seen: Seen) -> Handle:
    async def handle(uow: UnitOfWork, inbound: Inbound) -> None:
        seen.append((inbound.userid, inbound.text))
        payload = outbox.text_payload(f"re: {inbound.text}")
        await outbox.enqueue(uow, "user", inbound.userid, payload)

    return handle


async def wait_until_handled(new_uow: Callable[[], UnitOfWork], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    async def pending(uow: UnitOfWork) -> int:
        return (await inbox.status_counts(uow.session)).get(inbox.PENDING, 0)

    async with asyncio.timeout(timeout):
        while await in_transaction(new_uow(), pending):  # noqa: ASYNC110 - state is in the DB
            await asyncio.sleep(0.01)


@asynccontextmanager
async def running(worker: InboxWorker) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(worker.run())
    try:
        yield task
    finally:
        worker.stop()
        await asyncio.wait_for(task, 5)


async def replies(new_uow: Callable[[], UnitOfWork]) -> list[tuple[str, str]]:
    async def work(uow: UnitOfWork) -> list[tuple[str, str]]:
        rows = await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.target, row.payload["text"]["content"]) for row in rows]

    return await in_transaction(new_uow(), work)


async def test_each_users_messages_are_handled_once_in_the_order_received(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    for n in range(5):
        for user in ("a", "b"):
            await receive(new_uow, user, f"{user}{n}")
    seen: Seen = []

    async with running(InboxWorker(new_uow, echo(seen), poll_interval=0.05)):
        await wait_until_handled(new_uow)

    for user in ("a", "b"):
        assert [text for who, text in seen if who == user] == [f"{user}{n}" for n in range(5)]
    assert len(await replies(new_uow)) == 10


@pytest.mark.pg
async def test_different_users_are_handled_at_the_same_time(pg_url: str) -> None:
    engine = create_engine(pg_url)
    sessions = create_sessionmaker(engine)

    def new_uow() -> UnitOfWork:
        return UnitOfWork(sessions, settings=Settings(database_url=pg_url))

    started = {user: asyncio.Event() for user in ("a", "b")}
    # Each handler holds its transaction open until it sees the other user's handler start:
    # served one after another, the first gives up waiting and fails its message.
    met: list[str] = []

    async def handle(uow: UnitOfWork, inbound: Inbound) -> None:
        started[inbound.userid].set()
        other = "b" if inbound.userid == "a" else "a"
        await asyncio.wait_for(started[other].wait(), 5)
        met.append(inbound.userid)

    try:
        await receive(new_uow, "a", "1")
        await receive(new_uow, "b", "1")
        async with running(InboxWorker(new_uow, handle, poll_interval=0.05)):
            await wait_until_handled(new_uow)
    finally:
        await engine.dispose()
    assert sorted(met) == ["a", "b"]


async def test_a_crashing_handler_fails_the_message_and_tells_the_user_an_error_id(
    new_uow: Callable[[], UnitOfWork], caplog: pytest.LogCaptureFixture
) -> None:
    async def handle(uow: UnitOfWork, inbound: Inbound) -> None:
        await echo([])(uow, inbound)  # rolled back with the failure
        raise RuntimeError("boom")

    await in_transaction(
        new_uow(), lambda u: catalog.save_user(u, "test", "boss", "老板", "admin", ["MAIN"])
    )
    await receive(new_uow, "a", "入库 可乐 24")
    with caplog.at_level(logging.ERROR, logger="bot.inbox_worker"):
        async with running(InboxWorker(new_uow, handle, poll_interval=0.05)):
            await wait_until_handled(new_uow)

    [(target, text), (admin, note)] = await replies(new_uow)
    match = re.fullmatch(r"系统繁忙，请稍后再试（编号 ([0-9A-F]{4})）", text)
    assert target == "a" and match is not None
    error_id = match.group(1)
    assert admin == "boss" and f"编号 {error_id}，RuntimeError" in note
    [record] = [r for r in caplog.records if r.getMessage() == "inbox_handler_failed"]
    assert record.__dict__["error_id"] == error_id and record.exc_info is not None
    row = await in_transaction(new_uow(), lambda u: u.session.scalar(select(InboxMessage)))
    assert row is not None and row.status == inbox.FAILED
    assert row.error is not None and row.error.startswith(f"{error_id} RuntimeError")


async def test_a_message_whose_handling_was_killed_is_handled_once_by_the_next_worker(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    entered = asyncio.Event()

    async def hang(uow: UnitOfWork, inbound: Inbound) -> None:
        await echo([])(uow, inbound)
        entered.set()
        await asyncio.Event().wait()

    await receive(new_uow, "a", "1")
    await receive(new_uow, "a", "2")
    first = InboxWorker(new_uow, hang, poll_interval=0.05)
    task = asyncio.create_task(first.run())
    await asyncio.wait_for(entered.wait(), 5)
    first.abort()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await replies(new_uow) == []

    seen: Seen = []
    async with running(InboxWorker(new_uow, echo(seen), poll_interval=0.05)):
        await wait_until_handled(new_uow)

    assert seen == [("a", "1"), ("a", "2")]
    assert await replies(new_uow) == [("a", "re: 1"), ("a", "re: 2")]


async def test_the_scan_each_message_and_each_failure_note_go_through_the_given_transact(
    new_uow: Callable[[], UnitOfWork],
) -> None:
    """The app hands the worker one transaction entry point; the worker opens none itself."""
    given = own_transactions(new_uow)
    used: list[object] = []

    async def transact(work: Callable[[UnitOfWork], Awaitable[T]], /) -> T:
        used.append(work)
        return await given(work)

    def no_own_transactions() -> UnitOfWork:
        raise AssertionError("the worker opened a transaction of its own")

    async def handle(uow: UnitOfWork, inbound: Inbound) -> None:
        raise RuntimeError("boom")

    await receive(new_uow, "a", "帮助")
    worker = InboxWorker(no_own_transactions, handle, poll_interval=0.05, transact=transact)
    async with running(worker):
        await wait_until_handled(new_uow)
    [(target, text)] = await replies(new_uow)
    assert target == "a" and text.startswith("系统繁忙")
    assert len(used) >= 3  # a scan, the failed handling, the failure note
