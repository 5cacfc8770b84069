"""The inbox worker's handlings of one group commit batch, taken, answered and closed together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from bot.inbox_worker import InboxWorker
from config import Settings
from core import audit, catalog, ledger
from core.common import ConcurrencyConflict
from core.ledger import Line, Receive
from core.messaging import inbox, outbox
from core.storage import (
    Document,
    GroupCommitter,
    InboxMessage,
    OutboxMessage,
    UnitOfWork,
    create_engine,
    create_sessionmaker,
)
from handlers import dispatch
from handlers.inbound import Inbound
from tests.support.committer import app_committer, recorded_statements
from tests.support.ledger import USERS, run, seed_shop

CLERKS = [userid for userid, *_ in USERS if userid != "audit"]


@pytest.fixture
async def committer(uow: UnitOfWork, database_url: str) -> AsyncIterator[GroupCommitter]:
    await seed_shop(uow)
    receipt = Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(10)),))
    await run(uow, lambda u: ledger.submit(u, receipt))
    async with app_committer(uow, database_url) as c:
        yield c


@pytest.fixture
def statements() -> Iterator[list[str]]:
    with recorded_statements() as seen:
        yield seen


async def receive(uow: UnitOfWork, user: str, content: str, n: int = 0) -> None:
    async def work(u: UnitOfWork) -> None:
        await inbox.receive(
            u,
            inbox.Arrival(
                dedupe_key=f"msg:{user}:{n}",
                from_user=user,
                kind="text",
                payload={
                    "from_user": user,
                    "create_time": 0,
                    "msg_id": f"{user}:{n}",
                    "content": content,
                    "agent_id": 1,
                },
            ),
        )

    await run(uow, work)


@asynccontextmanager
async def serving(worker: InboxWorker, uow: UnitOfWork) -> AsyncIterator[None]:
    async def pending(u: UnitOfWork) -> int:
        return (await inbox.status_counts(u.session)).get(inbox.PENDING, 0)

    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(20):
            while await run(uow, pending):  # noqa: ASYNC110 - the state is in the database
                await asyncio.sleep(0.02)
        yield
    finally:
        worker.stop()
        await asyncio.wait_for(task, 5)


def chat_worker(uow: UnitOfWork, committer: GroupCommitter) -> InboxWorker:
    return InboxWorker(
        uow.fresh,
        dispatch.handle,
        handle_many=dispatch.handle_many,
        poll_interval=0.05,
        transact=committer.run,
    )


async def replies(uow: UnitOfWork) -> dict[str, list[str]]:
    async def work(u: UnitOfWork) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for row in await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            kind = row.payload["msgtype"]  # a card has no content: its kind stands for it
            found.setdefault(row.target, []).append(row.payload[kind].get("content", kind))
        return found

    return await run(uow, work)


async def statuses(uow: UnitOfWork) -> dict[str, str]:
    async def work(u: UnitOfWork) -> dict[str, str]:
        rows = await u.session.execute(select(InboxMessage.from_user, InboxMessage.status))
        return {user: status for user, status in rows}

    return await run(uow, work)


async def test_a_batch_of_messages_is_taken_answered_and_closed_in_a_few_statements_for_all(
    uow: UnitOfWork, committer: GroupCommitter, statements: list[str]
) -> None:
    for user in CLERKS:
        await receive(uow, user, "查 可乐")
    statements.clear()
    async with serving(chat_worker(uow, committer), uow):
        pass
    handling = [s for s in statements if "inbox" in s and "count(" not in s]
    assert len([s for s in handling if s.startswith("SELECT")]) == 1
    assert len([s for s in handling if s.startswith("UPDATE")]) == 1
    assert len([s for s in statements if "outbox" in s]) == 3  # answered?, repeats, replies
    assert len([s for s in statements if "FROM users" in s]) == 1
    answers = await replies(uow)
    assert sorted(answers) == sorted(CLERKS)
    assert all(len(said) == 1 and "可乐" in said[0] for said in answers.values())
    assert set((await statuses(uow)).values()) == {inbox.DONE}


async def test_the_sales_of_a_batch_of_messages_are_posted_together_once_each(
    uow: UnitOfWork, committer: GroupCommitter, statements: list[str]
) -> None:
    sellers = ["clerk1", "clerk2", "mgr1", "boss"]
    for user in sellers:
        await receive(uow, user, "销售 可乐 1")
    statements.clear()
    async with serving(chat_worker(uow, committer), uow):
        pass
    assert len([s for s in statements if s.startswith("INSERT INTO documents ")]) == 1
    assert len([s for s in statements if s.startswith("INSERT INTO stock_moves ")]) == 1
    assert len([s for s in statements if "idempotency_key IN" in s]) == 1
    answers = await replies(uow)
    assert all(len(answers[user]) == 1 and "已过账" in answers[user][0] for user in sellers)
    assert (await run(uow, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(6)

    async def keys(u: UnitOfWork) -> list[str]:
        found = await u.session.scalars(
            select(Document.idempotency_key).where(Document.type == "sale")
        )
        return sorted(key or "" for key in found)

    # Each sale carries its message's key: the message, handled again, would replay it.
    assert await run(uow, keys) == sorted(f"msg:{user}:0" for user in sellers)
    assert await run(uow, audit.first_problem) is None


async def test_a_refused_sale_in_a_batch_changes_nothing_and_the_others_post_and_are_answered(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    forbid = {"negative_stock_policy": "forbid"}
    await run(uow, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", **forbid))
    await receive(uow, "clerk1", "销售 可乐 2")
    await receive(uow, "clerk2", "销售 可乐 99")
    await receive(uow, "mgr1", "销售 可乐 3")
    async with serving(chat_worker(uow, committer), uow):
        pass
    answers = await replies(uow)
    assert "已过账" in answers["clerk1"][0] and "已过账" in answers["mgr1"][0]
    [refusal] = answers["clerk2"]
    assert "库存不足" in refusal
    assert (await run(uow, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(5)
    assert set((await statuses(uow)).values()) == {inbox.DONE}
    assert await run(uow, audit.first_problem) is None


async def test_a_sale_short_of_stock_in_a_batch_waits_for_approval_and_the_others_post(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    approve = {"negative_stock_policy": "approve"}
    await run(uow, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", **approve))
    await receive(uow, "clerk1", "销售 可乐 20")  # 10 on hand: an approval for the shortfall
    await receive(uow, "clerk2", "销售 可乐 3")
    await receive(uow, "mgr1", "入库 雪碧 5")
    async with serving(chat_worker(uow, committer), uow):
        pass
    answers = await replies(uow)
    assert "需审批后过账" in answers["clerk1"][0]
    assert "已过账" in answers["clerk2"][0] and "已过账" in answers["mgr1"][0]
    # The approvers (not the requester) get the request's card.
    cards = [target for target in answers if "|" in target]
    assert len(cards) == 1 and set(cards[0].split("|")) == {"mgr1", "boss"}
    assert (await run(uow, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(7)
    assert (await run(uow, lambda u: ledger.stock_of(u, "SPRITE"))).on_hand == Decimal(5)
    assert set((await statuses(uow)).values()) == {inbox.DONE}
    assert await run(uow, audit.first_problem) is None


async def test_a_handling_that_raises_in_a_batch_fails_alone_and_the_others_are_answered(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    async def handle(u: UnitOfWork, inbound: Inbound) -> None:
        await outbox.enqueue(u, "user", inbound.userid, outbox.text_payload("好"))
        if inbound.userid == "clerk2":
            raise RuntimeError("boom")  # its reply above is rolled back with it

    for user in CLERKS:
        await receive(uow, user, "hi")
    worker = InboxWorker(uow.fresh, handle, poll_interval=0.05, transact=committer.run)
    async with serving(worker, uow):
        pass
    answers = await replies(uow)
    [busy] = answers.pop("clerk2")
    assert busy.startswith("系统繁忙")
    # The admin hears of the failure too, after their own answer.
    answer, note = answers.pop("boss")
    assert answer == "好" and "处理 clerk2 的消息时出错" in note
    assert answers == {user: ["好"] for user in CLERKS if user not in ("clerk2", "boss")}
    found = await statuses(uow)
    assert found.pop("clerk2") == inbox.FAILED
    assert set(found.values()) == {inbox.DONE}


async def test_a_handling_that_lost_a_race_in_a_batch_runs_again_and_is_handled_once(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    tries: list[str] = []

    async def handle(u: UnitOfWork, inbound: Inbound) -> None:
        tries.append(inbound.userid)
        if inbound.userid == "clerk1" and tries.count("clerk1") == 1:
            raise ConcurrencyConflict("a balance changed")
        await outbox.enqueue(u, "user", inbound.userid, outbox.text_payload(inbound.text))

    for user in CLERKS:
        for n in range(2):
            await receive(uow, user, f"{user}-{n}", n)
    worker = InboxWorker(uow.fresh, handle, poll_interval=0.05, transact=committer.run)
    async with serving(worker, uow):
        pass
    answers = await replies(uow)
    assert all(answers[user] == [f"{user}-0", f"{user}-1"] for user in CLERKS)
    assert tries.count("clerk1") == 3 and all(tries.count(u) == 2 for u in CLERKS[1:])


async def test_replies_written_together_repeat_an_identical_body_and_skip_a_key_seen(
    uow: UnitOfWork,
) -> None:
    await run(
        uow,
        lambda u: outbox.enqueue(u, "user", "a", outbox.text_payload("好"), dedupe_key="k1"),
    )
    same = outbox.text_payload("好")
    batch = [
        outbox.Outgoing("user", "a", same, "k2"),
        outbox.Outgoing("user", "a", same, "k3"),
        outbox.Outgoing("user", "b", same, "k4"),
        outbox.Outgoing("user", "a", same, "k1"),  # seen: adds nothing
    ]
    await run(uow, lambda u: outbox.enqueue_many(u, batch))

    async def rows(u: UnitOfWork) -> list[tuple[str | None, str, int, str]]:
        found = await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.dedupe_key, r.target, r.repeat, r.payload["text"]["content"]) for r in found]

    assert await run(uow, rows) == [
        ("k1", "a", 0, "好"),
        ("k2", "a", 1, "好\u200b"),
        ("k3", "a", 2, "好\u200b\u200b"),
        ("k4", "b", 0, "好"),
    ]
    assert await run(uow, lambda u: outbox.existing(u, {"k1", "k3", "k9"})) == {"k1", "k3"}


@pytest.mark.pg
async def test_taking_a_batch_skips_a_user_whose_messages_another_transaction_holds(
    pg_url: str,
) -> None:
    engine = create_engine(pg_url)
    uow = UnitOfWork(create_sessionmaker(engine), settings=Settings(database_url=pg_url))
    try:
        for user in ("a", "b"):
            await receive(uow, user, "hi")
        async with create_sessionmaker(engine)() as other, other.begin():
            key = inbox._user_lock_key("a")
            await other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            taken = await run(uow, lambda u: inbox.take_oldest(u, ["a", "b"]))
        again = await run(uow, lambda u: inbox.take_oldest(u, ["a", "b"]))
    finally:
        await engine.dispose()
    assert list(taken) == ["b"] and taken["b"].payload["content"] == "hi"
    assert sorted(again) == ["a", "b"]  # nothing was marked: both still pending
