"""Replies reach WeCom exactly once through API failures, expired tokens and a killed server."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

from bot.fake_wecom import FakeWeCom
from core.messaging import inbox, outbox
from core.storage import UnitOfWork, create_engine, create_sessionmaker
from handlers import dispatch
from handlers.inbound import Inbound
from tests.support.bot_harness import FAST, BotHarness, Chat, running_bot
from tests.support.ledger import seed_shop


def unreachable_api_base() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/cgi-bin/"


async def test_an_api_failing_with_5xx_three_times_then_recovering_delivers_the_reply_once(
    bot: BotHarness, chat: Chat
) -> None:
    bot.fake.fail_next(3, status=503, path="message/send")

    # 单据 takes the inbox and message/send (帮助 and 查 may be answered passively).
    replies = await chat.say("clerk1", "单据")

    assert len(replies) == 1
    sends = [call for call in bot.fake.calls if call.name == "message/send"]
    assert [call.status for call in sends] == [503, 503, 503, 200]


async def test_a_token_that_expired_mid_run_is_refetched_transparently(
    bot: BotHarness, chat: Chat
) -> None:
    assert len(await chat.say("clerk1", "单据")) == 1
    bot.fake.expire_tokens()

    assert len(await chat.say("clerk2", "单据")) == 1

    assert bot.fake.token_fetches() == 2
    rejected = [c for c in bot.fake.calls if (c.response or {}).get("errcode") == 42001]
    assert len(rejected) == 1


async def backlog(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            received = await inbox.status_counts(session)
            outgoing = await outbox.status_counts(session)
    finally:
        await engine.dispose()
    return received.get(inbox.PENDING, 0), outgoing.get(outbox.PENDING, 0)


async def test_a_killed_server_answers_each_message_exactly_once_after_restart(
    sqlite_url: str, fake_wecom: FakeWeCom
) -> None:
    answered = {"clerk1": asyncio.Event(), "clerk2": asyncio.Event()}
    stuck = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def handle_or_hang(uow: UnitOfWork, inbound: Inbound) -> None:
        # Handlers run on the database thread (SQLite): events are set on the test's loop.
        await dispatch.handle(uow, inbound)
        if inbound.userid in answered:
            loop.call_soon_threadsafe(answered[inbound.userid].set)
            return
        loop.call_soon_threadsafe(stuck.set)  # reply written, transaction open: server dies
        await asyncio.Event().wait()

    # The first server cannot reach WeCom, so its replies pile up in the outbox.
    patient = replace(FAST, delivery=replace(FAST.delivery, max_attempts=1000))
    api_down = unreachable_api_base()
    async with running_bot(
        sqlite_url, fake_wecom, api_base=api_down, handle=handle_or_hang, tuning=patient
    ) as first:
        await seed_shop(first.uow())
        for userid in answered:
            # 单据: handled by the inbox (帮助 would be answered in the callback's response).
            assert await first.wecom.send_text(userid, "单据") == 200
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in answered.values())), 5)
        # One reply each (a manager's 帮助 is long enough to come in two parts).
        assert await first.wecom.send_text("mgr1", "待审批") == 200
        await asyncio.wait_for(stuck.wait(), 5)
        await first.kill()
    assert await backlog(sqlite_url) == (1, 2)

    async with running_bot(sqlite_url, fake_wecom) as second:
        await second.settled()

    for userid in ("clerk1", "clerk2", "mgr1"):
        assert len(second.chat.received(userid)) == 1, userid
