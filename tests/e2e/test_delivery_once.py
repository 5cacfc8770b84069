"""Each reply reaches its user once and in order: lost answers, repeats, many senders at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.fake_wecom import FakeWeCom
from core import catalog
from core.storage import UnitOfWork
from tests.support.bot_harness import FAST, BotHarness, Chat, running_bot
from tests.support.ledger import seed_shop

INVISIBLE = "\u200b"


def visible(text: str) -> str:
    return text.rstrip(INVISIBLE)


async def test_a_send_that_wecom_delivers_then_answers_502_reaches_the_user_once(
    bot: BotHarness, chat: Chat
) -> None:
    bot.fake.fail_after_delivery(3, status=502, path="message/send")

    # 单据 takes the inbox and message/send (查 may be answered in the callback's response).
    replies = await chat.say("clerk1", "单据")

    assert len(replies) == 1
    sends = [call for call in bot.fake.calls if call.name == "message/send"]
    assert [call.status for call in sends] == [502, 502, 502, 200]
    assert [call.dropped for call in sends] == [False, True, True, True]


@pytest.fixture
async def impatient_bot(sqlite_url: str, fake_wecom: FakeWeCom) -> AsyncIterator[BotHarness]:
    async with running_bot(sqlite_url, fake_wecom, tuning=replace(FAST, api_timeout=0.2)) as bot:
        await seed_shop(bot.uow())
        yield bot


async def test_a_send_whose_answer_times_out_after_delivery_reaches_the_user_once(
    impatient_bot: BotHarness,
) -> None:
    impatient_bot.fake.fail_after_delivery(2, status=200, path="message/send", delay=1.0)

    replies = await impatient_bot.chat.say("clerk1", "单据", timeout=10)

    assert len(replies) == 1
    assert len(impatient_bot.fake.dropped_repeats()) == 2


async def test_two_identical_questions_get_two_identical_looking_answers(
    bot: BotHarness, chat: Chat
) -> None:
    # Through message/send (单据 takes the inbox; 查 may be answered passively).
    [first] = await chat.say("clerk1", "单据")
    [second] = await chat.say("clerk1", "单据")

    assert first != second  # distinct requests, or WeCom's duplicate check drops the second
    assert visible(first) == visible(second) and "单据" in first


SENDERS = [f"shopper{n:03d}" for n in range(200)]
MESSAGES_EACH = 10


async def test_200_senders_with_10_messages_each_get_2000_replies_each_once_in_order(
    bot: BotHarness,
) -> None:
    async def enrol(uow: UnitOfWork) -> None:
        for n, userid in enumerate(SENDERS):
            await catalog.save_user(uow, "test", userid, f"店员{n}", "clerk", ["MAIN"])

    await bot.run(enrol)
    questions = ["查 可乐", "查 雪碧"]

    async def sender(userid: str) -> None:
        for k in range(MESSAGES_EACH):
            assert await bot.wecom.send_text(userid, questions[k % 2]) == 200

    started = time.monotonic()
    await asyncio.gather(*(sender(userid) for userid in SENDERS))
    await bot.settled(timeout=300)
    seconds = time.monotonic() - started

    for userid in SENDERS:
        replies = [visible(text) for text in bot.chat.received(userid)]
        assert len(replies) == MESSAGES_EACH, userid
        assert [("雪碧" in text) for text in replies] == [k % 2 == 1 for k in range(10)], userid
    total = len(SENDERS) * MESSAGES_EACH
    print(f"\n200 senders × 10: {total} replies in {seconds:.1f} s, {total / seconds:.0f} msg/s")
