"""The read lane: read-only commands answered in the callback's own HTTP response (WeCom's
passive reply), from a read-only snapshot, without waiting for any commit.

Over the real wire: the fake WeCom's callback client opens the encrypted reply exactly as
WeCom does (signature, AES, our corp id) and records it among the calls.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from bot import inbox_store
from bot.appkeys import COMMITTER, DELIVERED, READ_LANE
from bot.fake_wecom import FakeWeCom
from bot.wecom_messages import TextMessage
from core import ledger
from core.ledger import Line, Receive
from core.messaging import inbox, outbox
from core.storage import SHANGHAI, InboxMessage, OutboxMessage, UnitOfWork
from handlers.dispatch import PASSIVE_MAX_BYTES
from tests.support.bot_harness import AGENT_ID, BotHarness, running_bot
from tests.support.ledger import seed_shop


@pytest.fixture
async def shop(database_url: str, fake_wecom: FakeWeCom) -> AsyncIterator[BotHarness]:
    async with running_bot(database_url, fake_wecom) as harness:
        await seed_shop(harness.uow())
        yield harness


def sends_to(fake_wecom: FakeWeCom, userid: str) -> list[str]:
    return [
        str(call.json["text"]["content"])
        for call in fake_wecom.calls
        if call.name == "message/send" and call.json and call.json.get("touser") == userid
    ]


def passive_to(fake_wecom: FakeWeCom, userid: str) -> list[str]:
    return [
        str(call.json["text"]["content"])
        for call in fake_wecom.passive_replies()
        if call.json and call.json["touser"] == userid
    ]


async def rows_of(bot: BotHarness, userid: str) -> tuple[list[str], list[tuple[str, object]]]:
    """The user's inbox statuses and their reply rows (status, response), oldest first."""

    async def read(uow: UnitOfWork) -> tuple[list[str], list[tuple[str, object]]]:
        received = await uow.session.scalars(
            select(InboxMessage.status)
            .where(InboxMessage.from_user == userid)
            .order_by(InboxMessage.id)
        )
        replies = await uow.session.execute(
            select(OutboxMessage.status, OutboxMessage.response)
            .where(OutboxMessage.target == userid)
            .order_by(OutboxMessage.id)
        )
        return list(received), [(status, response) for status, response in replies]

    return await bot.run(read)


@asynccontextmanager
async def committer_held(bot: BotHarness) -> AsyncIterator[asyncio.Task[None]]:
    """The group committer busy with a write that holds SQLite's write lock until the block
    ends: its database thread is blocked, as in a long batch, and every commit waits."""
    held, release = threading.Event(), threading.Event()

    async def long_batch(uow: UnitOfWork) -> None:
        await uow.session.execute(text("UPDATE inbox SET attempts = attempts WHERE id < 0"))
        held.set()
        release.wait(timeout=30)  # blocks the database thread itself

    task = asyncio.create_task(bot.app[COMMITTER].run(long_batch))
    try:
        if not await asyncio.to_thread(held.wait, 10):
            raise AssertionError("the committer never started the long batch")
        yield task
    finally:
        release.set()


async def queued(bot: BotHarness, requests: int) -> None:
    async with asyncio.timeout(10):
        # The committer's queue has no event to wait on: poll it.
        while bot.app[COMMITTER].queued() < requests:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_a_stock_query_is_answered_in_the_callback_response_and_not_sent_again(
    shop: BotHarness, fake_wecom: FakeWeCom
) -> None:
    assert await shop.wecom.send_text("clerk1", "查 可乐") == 200
    [reply] = passive_to(fake_wecom, "clerk1")  # in the 200 itself: nothing waited for
    assert "可乐" in reply
    await shop.settled()
    assert sends_to(fake_wecom, "clerk1") == []
    assert await rows_of(shop, "clerk1") == ([inbox.DONE], [("sent", {"passive": True})])


async def test_a_retry_of_an_answered_message_gets_the_same_reply_and_nothing_is_sent(
    shop: BotHarness, fake_wecom: FakeWeCom
) -> None:
    assert await shop.wecom.send_text("clerk1", "查 可乐", msg_id="777001") == 200
    await shop.settled()  # recorded: the retries find the stored reply
    for _ in range(2):  # WeCom's other two tries, as if each answer was lost on the way back
        assert await shop.wecom.send_text("clerk1", "查 可乐", msg_id="777001") == 200
    await shop.settled()
    first, *again = passive_to(fake_wecom, "clerk1")
    assert again == [first, first]
    assert sends_to(fake_wecom, "clerk1") == []
    assert await rows_of(shop, "clerk1") == ([inbox.DONE], [("sent", {"passive": True})])


async def test_copies_of_a_read_posted_at_once_get_one_reply_recorded_once_and_never_sent(
    shop: BotHarness, fake_wecom: FakeWeCom
) -> None:
    message = TextMessage("clerk1", shop.wecom.now(), "4363689963896700988", "帮助", AGENT_ID)
    sealed = shop.wecom.seal(message)
    statuses = await asyncio.gather(
        *(shop.wecom.send_raw(sealed.body, sealed.query) for _ in range(4))
    )
    await shop.settled()
    assert statuses == [200, 200, 200, 200]
    # Each copy that got an answer got the same one: WeCom shows the answer to the try it
    # waits for (its tries come one after another, each after the last timed out).
    assert len(set(passive_to(fake_wecom, "clerk1"))) == 1
    assert sends_to(fake_wecom, "clerk1") == []
    assert await rows_of(shop, "clerk1") == ([inbox.DONE], [("sent", {"passive": True})])


async def test_a_retry_while_the_answer_is_not_recorded_yet_gets_the_same_reply(
    bot: BotHarness, fake_wecom: FakeWeCom
) -> None:
    async with committer_held(bot):
        assert await bot.wecom.send_text("clerk1", "帮助", msg_id="777002") == 200
        assert bot.app[READ_LANE].records_in_flight == 1
        assert await bot.wecom.send_text("clerk1", "帮助", msg_id="777002") == 200
    await bot.settled()
    first, again = passive_to(fake_wecom, "clerk1")
    assert again == first
    assert sends_to(fake_wecom, "clerk1") == []
    assert await rows_of(bot, "clerk1") == ([inbox.DONE], [("sent", {"passive": True})])


async def test_a_read_is_answered_while_a_write_batch_holds_the_sqlite_write_lock(
    bot: BotHarness, fake_wecom: FakeWeCom
) -> None:
    async with committer_held(bot) as batch:
        sale = asyncio.create_task(bot.wecom.send_text("clerk2", "销售 可乐 1"))
        assert await bot.wecom.send_text("clerk1", "查 可乐") == 200
        [reply] = passive_to(fake_wecom, "clerk1")
        assert "可乐" in reply
        # The committer was held all along: the batch and the sale's store still wait on it.
        assert not batch.done() and not sale.done()
    assert await sale == 200
    await bot.settled()
    assert any("XS-" in sent for sent in sends_to(fake_wecom, "clerk2"))
    assert await rows_of(bot, "clerk1") == ([inbox.DONE], [("sent", {"passive": True})])


async def test_a_query_behind_a_stored_message_of_the_same_user_does_not_overtake_it(
    shop: BotHarness, fake_wecom: FakeWeCom
) -> None:
    sale = TextMessage("clerk1", shop.wecom.now(), "555001", "销售 可乐 1", AGENT_ID)

    # Stored as the callback stores it, but the worker has not got to it yet.
    await shop.app[COMMITTER].run(lambda uow: inbox_store.store(uow, sale))
    assert await shop.wecom.send_text("clerk1", "查 可乐") == 200
    assert shop.wecom.last_body == ""
    await shop.settled()
    assert passive_to(fake_wecom, "clerk1") == []
    sold, query = sends_to(fake_wecom, "clerk1")
    assert "XS-" in sold
    assert "可乐" in query


async def delivered_to(bot: BotHarness, userid: str) -> None:
    """Until the delivery worker holds a reply to ``userid`` WeCom accepted, not yet recorded."""
    key = outbox.target_key("user", userid)
    async with asyncio.timeout(10):
        while not bot.app[DELIVERED].to(key):  # noqa: ASYNC110 - a plain set, no event
            await asyncio.sleep(0.01)


async def sale_reply_unanswered(bot: BotHarness, fake_wecom: FakeWeCom) -> asyncio.Event:
    """clerk1 sells; its reply reaches WeCom, whose answer waits until the event is set."""
    answers = fake_wecom.hold_answers("message/send")
    assert await bot.wecom.send_text("clerk1", "销售 可乐 1") == 200
    await fake_wecom.wait_for(lambda c: c.name == "message/send", timeout=10)
    return answers


async def test_a_query_after_a_reply_was_delivered_is_answered_before_delivery_records_it(
    bot: BotHarness, fake_wecom: FakeWeCom
) -> None:
    answers = await sale_reply_unanswered(bot, fake_wecom)
    async with committer_held(bot):
        answers.set()
        # WeCom accepted the sale's reply; recording that waits for the held committer.
        await delivered_to(bot, "clerk1")
        assert await bot.wecom.send_text("clerk1", "查 可乐") == 200
        [stock] = passive_to(fake_wecom, "clerk1")
    assert "可乐" in stock
    await bot.settled()
    [sold] = sends_to(fake_wecom, "clerk1")
    assert "XS-" in sold
    received, replies = await rows_of(bot, "clerk1")
    assert received == [inbox.DONE, inbox.DONE]
    assert [status for status, _ in replies] == ["sent", "sent"]
    assert replies[1] == ("sent", {"passive": True})


async def test_a_query_while_a_reply_is_still_being_sent_takes_the_inbox_after_it(
    bot: BotHarness, fake_wecom: FakeWeCom
) -> None:
    answers = await sale_reply_unanswered(bot, fake_wecom)
    # WeCom has not answered the sale's reply: it may yet fail and be sent again.
    assert await bot.wecom.send_text("clerk1", "查 可乐") == 200
    assert bot.wecom.last_body == ""
    answers.set()
    await bot.settled()
    assert passive_to(fake_wecom, "clerk1") == []
    sold, stock = sends_to(fake_wecom, "clerk1")
    assert "XS-" in sold
    assert "可乐" in stock


async def test_a_query_behind_a_message_still_being_stored_takes_the_inbox_after_it(
    bot: BotHarness, fake_wecom: FakeWeCom
) -> None:
    wecom = bot.wecom
    async with committer_held(bot):
        sale = asyncio.create_task(wecom.send_text("clerk1", "销售 可乐 1"))
        await queued(bot, 1)  # the sale's store waits in the committer's queue
        query = asyncio.create_task(wecom.send_text("clerk1", "查 可乐"))
        await queued(bot, 2)  # and so does the query's
    assert [await sale, await query] == [200, 200]
    await bot.settled()
    assert passive_to(fake_wecom, "clerk1") == []
    sold, stock = sends_to(fake_wecom, "clerk1")
    assert "XS-" in sold
    assert "可乐" in stock


async def test_a_reply_longer_than_a_passive_reply_may_be_goes_through_message_send(
    shop: BotHarness, fake_wecom: FakeWeCom
) -> None:
    expiry = datetime.now(SHANGHAI).date() + timedelta(days=8)
    lots = tuple(Line("MILK", Decimal(1), lot=f"LOT{n:03d}", expiry=expiry) for n in range(80))
    receipt = Receive(warehouse="MAIN", actor="boss", lines=lots)
    await shop.run(lambda uow: ledger.submit(uow, receipt, enforce_policy=False))

    assert await shop.wecom.send_text("clerk1", "查 鲜牛奶") == 200  # every batch listed
    assert shop.wecom.last_body == ""
    await shop.settled()
    assert passive_to(fake_wecom, "clerk1") == []
    sent = sends_to(fake_wecom, "clerk1")
    assert len(sent) >= 2 and len("".join(sent).encode()) > PASSIVE_MAX_BYTES
    assert "LOT079" in sent[-1]
    received, replies = await rows_of(shop, "clerk1")
    assert received == [inbox.DONE]
    assert {status for status, _ in replies} == {"sent"}
    assert all(response != {"passive": True} for _, response in replies)


async def test_a_query_that_has_to_write_takes_the_inbox_and_its_list_can_be_picked_from(
    shop: BotHarness, fake_wecom: FakeWeCom
) -> None:
    # Two items match: the numbered list is remembered, which a read-only snapshot refuses.
    assert await shop.wecom.send_text("clerk1", "查 牛奶") == 200
    assert shop.wecom.last_body == ""
    await shop.settled()
    [offer] = sends_to(fake_wecom, "clerk1")
    assert "鲜牛奶" in offer and "酸牛奶" in offer
    assert await shop.wecom.send_text("clerk1", "1") == 200
    await shop.settled()
    assert len(sends_to(fake_wecom, "clerk1")) == 2
    assert passive_to(fake_wecom, "clerk1") == []


async def test_writes_and_card_clicks_never_take_the_read_lane(
    shop: BotHarness, fake_wecom: FakeWeCom
) -> None:
    assert await shop.wecom.send_text("clerk1", "销售 可乐 1") == 200
    assert shop.wecom.last_body == ""
    assert await shop.wecom.click_card("mgr1", "task-x", "approve:1") == 200
    assert shop.wecom.last_body == ""
    await shop.settled()
    assert fake_wecom.passive_replies() == []


async def test_with_passive_replies_off_every_reply_goes_through_message_send(
    sqlite_url: str, fake_wecom: FakeWeCom
) -> None:
    async with running_bot(sqlite_url, fake_wecom, wecom_passive_replies=False) as bot:
        await seed_shop(bot.uow())
        assert await bot.wecom.send_text("clerk1", "查 可乐") == 200
        assert bot.wecom.last_body == ""
        await bot.settled()
        assert fake_wecom.passive_replies() == []
        [reply] = sends_to(fake_wecom, "clerk1")
        assert "可乐" in reply
