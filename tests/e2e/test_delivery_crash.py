"""A real ``jxc serve`` killed with SIGKILL mid-burst: after the restart every message is answered
exactly once, each user's replies in order, and what was stuck goes out within seconds."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.fake_wecom import FakeWeCom
from core import ledger
from core.messaging import outbox
from core.storage import OutboxMessage, UnitOfWork
from tests.support.bot_harness import AES_KEY, TOKEN
from tests.support.serve import ServeProcess, free_port, pending, read, seeded_database

CLERKS = [f"clerk{n:02d}" for n in range(20)]
SALES_EACH = 10
STOCK = 5000
SOLD = re.compile(r"可乐 (\d+) 瓶 ×")


def msg_id(clerk: int, sale: int) -> str:
    return str(7_100_000_000_000_000_000 + clerk * 100 + sale)


def sends(fake: FakeWeCom) -> int:
    return sum(call.name == "message/send" for call in fake.calls)


async def stuck_rows(url: str) -> list[int]:
    async def find(uow: UnitOfWork) -> list[int]:
        rows = await uow.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == outbox.PENDING)
        )
        return list(rows)

    found = await read(url, find)
    assert isinstance(found, list)
    return found


async def all_sent(url: str, ids: list[int]) -> bool:
    async def check(uow: UnitOfWork) -> bool:
        statuses = await uow.session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.id.in_(ids))
        )
        return all(status == outbox.SENT for status in statuses)

    return bool(await read(url, check))


async def test_a_kill_9_mid_burst_then_restart_answers_every_sale_once_in_order_and_promptly(
    tmp_path: Path, fake_wecom: FakeWeCom
) -> None:
    url = await seeded_database(tmp_path / "jxc.db", CLERKS, STOCK)
    log = (tmp_path / "serve.log").open("wb")
    server = ServeProcess(url, free_port(), fake_wecom.api_base, log)
    wecom = fake_wecom.callback_client(server.url, TOKEN, AES_KEY)
    acknowledged: list[tuple[int, int]] = []
    restarted = asyncio.Event()
    unacknowledged = 0

    async def clerk(n: int) -> None:
        nonlocal unacknowledged
        for sale in range(1, SALES_EACH + 1):
            while True:  # WeCom retries a callback until it gets a 200
                try:
                    status = await wecom.send_text(CLERKS[n], f"销售 可乐 {sale}", msg_id(n, sale))
                except aiohttp.ClientError:
                    status = 0
                if status == 200:
                    break
                unacknowledged += 1
                await restarted.wait()
            acknowledged.append((n, sale))

    # Slow answers from WeCom: at the kill, sends are in flight and rows claimed.
    fake_wecom.delay(0.5)
    await server.start()
    clerks = [asyncio.create_task(clerk(n)) for n in range(len(CLERKS))]
    try:
        async with asyncio.timeout(60):
            # Half the sales in, and replies going out steadily (each answered 0.5 s late).
            while len(acknowledged) < 100 or sends(fake_wecom) < 40:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        await server.kill()
        stuck = await stuck_rows(url)
        fake_wecom.delay(0)
        await server.start()
        restart = server.started_at
        listening_after = time.monotonic() - restart
        restarted.set()
        async with asyncio.timeout(15):
            while not await all_sent(url, stuck):  # noqa: ASYNC110 - another process's data
                await asyncio.sleep(0.05)
        stuck_delivered_after = time.monotonic() - restart
        await asyncio.gather(*clerks)

        duplicates = random.Random(12).sample(acknowledged, 30)
        for n, sale in duplicates:
            assert await wecom.send_text(CLERKS[n], f"销售 可乐 {sale}", msg_id(n, sale)) == 200
        async with asyncio.timeout(60):
            while await pending(url) != (0, 0):  # noqa: ASYNC110 - another process's data
                await asyncio.sleep(0.05)
        total_after_restart = time.monotonic() - restart
    finally:
        for task in clerks:
            task.cancel()
        await server.stop()
        log.close()

    replies = {c: fake_wecom.texts_to(c) for c in CLERKS}
    for userid, texts in replies.items():
        sold = [int(m.group(1)) for text in texts if (m := SOLD.search(text))]
        assert sold == list(range(1, SALES_EACH + 1)), (userid, texts)
        assert len(texts) == SALES_EACH, (userid, texts)
    on_hand = await read(url, lambda u: ledger.stock_of(u, "COKE"))
    assert on_hand.on_hand == Decimal(STOCK - len(CLERKS) * sum(range(1, SALES_EACH + 1)))  # type: ignore[attr-defined]
    repeats = Counter(c.json["touser"] for c in fake_wecom.dropped_repeats() if c.json)
    print(  # the figures the issue asks for, in the test log
        f"\nkill -9 run: {len(stuck)} rows pending at the kill; restarted process listening "
        f"after {listening_after:.2f} s, those rows delivered {stuck_delivered_after:.2f} s "
        f"after the restart; {unacknowledged} unacknowledged "
        f"callbacks retried, 30 duplicates ignored; resends WeCom dropped: "
        f"{sum(repeats.values())}; everything settled {total_after_restart:.2f} s after restart"
    )
    assert stuck and repeats  # rows were in flight at the kill, and their resends were dropped
