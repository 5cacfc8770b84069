"""Scanning over the real wire: WeCom's scancode_waitmsg events, signed and encrypted, sent by
the fake WeCom to the running bot: redeliveries, concurrent pickers, a restart mid-pick."""

from __future__ import annotations

import asyncio
import re

from bot.fake_wecom import FakeWeCom
from core import orders
from core.common import plain_qty
from core.storage import UnitOfWork
from handlers.menu import SCAN_PICK
from tests.support.bot_harness import BotHarness, running_bot
from tests.support.ledger import seed_shop
from tests.support.scanning import COKE, register_codes


async def _order_of_three(bot: BotHarness) -> str:
    """Ten colas in stock and an order for three; the order's number (today's, real clock)."""
    await register_codes(bot.uow())
    await bot.chat.say("clerk1", "入库 可乐 10")
    created = await bot.chat.say("clerk1", "订单 客户张三: 可乐 3")
    found = re.search(r"DD-\d{8}-\d{4}", created[0])
    assert found is not None
    return found[0]


async def _available(bot: BotHarness) -> tuple[str, str]:
    async def read(uow: UnitOfWork) -> tuple[str, str]:
        stock = (await orders.stock_of(uow, "COKE")).warehouses[0]
        return plain_qty(stock.on_hand), plain_qty(stock.available)

    return await bot.run(read)


async def test_a_scan_event_delivered_three_times_is_applied_once(bot: BotHarness) -> None:
    order = await _order_of_three(bot)
    await bot.chat.say("clerk1", f"拣货 {order}")
    sealed = bot.wecom.seal(bot.wecom.scan_event("clerk1", SCAN_PICK, COKE))
    statuses = await asyncio.gather(
        *(bot.wecom.send_raw(sealed.body, sealed.query) for _ in range(3))
    )
    assert statuses == [200, 200, 200]
    await bot.settled()
    replies = [t for t in bot.chat.received("clerk1") if t.startswith("✓")]
    assert replies == [f"✓ 可乐 +1 瓶\n拣货 {order}：可乐 1/3"]


async def test_two_pickers_scanning_at_once_never_pick_more_than_ordered(
    database_url: str, fake_wecom: FakeWeCom
) -> None:
    async with running_bot(database_url, fake_wecom) as bot:
        await seed_shop(bot.uow())
        await _two_pickers(bot)


async def _two_pickers(bot: BotHarness) -> None:
    order = await _order_of_three(bot)
    await bot.chat.say("clerk1", f"拣货 {order}")
    await bot.chat.say("clerk2", f"拣货 {order}")
    events = [
        bot.wecom.scan_event(user, SCAN_PICK, COKE, create_time=bot.wecom.now() + n)
        for n in range(3)
        for user in ("clerk1", "clerk2")
    ]
    statuses = await asyncio.gather(*(bot.wecom.send(event) for event in events))
    assert statuses == [200] * 6
    await bot.settled()
    told = bot.chat.received("clerk1") + bot.chat.received("clerk2")
    assert sum(t.startswith("✓ 可乐 +1 瓶") for t in told) == 3
    assert sum("超过订单数量（可乐 已拣 3 瓶，订单要 3 瓶），未计入" in t for t in told) == 3
    await bot.chat.say("clerk2", "拣货 结束")
    shipped = await bot.chat.say("clerk1", f"发货 {order}")
    assert any("库存：可乐 7 瓶（MAIN）" in t for t in shipped)
    assert await _available(bot) == ("7", "7")


async def test_order_pick_ship_keeps_stock_and_reservations_right(bot: BotHarness) -> None:
    order = await _order_of_three(bot)
    assert await _available(bot) == ("10", "7")
    await bot.chat.say("clerk1", f"拣货 {order}")
    for n in range(2):
        await bot.wecom.scan("clerk1", SCAN_PICK, COKE, create_time=bot.wecom.now() + n)
    await bot.settled()
    await bot.chat.say("clerk1", f"发货 {order}")
    assert await _available(bot) == ("8", "7")  # 2 shipped, 1 still reserved


async def test_a_pick_session_survives_a_restart(sqlite_url: str, fake_wecom: FakeWeCom) -> None:
    async with running_bot(sqlite_url, fake_wecom) as bot:
        await seed_shop(bot.uow())
        order = await _order_of_three(bot)
        await bot.chat.say("clerk1", f"拣货 {order}")
    async with running_bot(sqlite_url, fake_wecom) as again:
        before = len(again.chat.received("clerk1"))
        assert await again.wecom.scan("clerk1", SCAN_PICK, COKE) == 200
        await again.settled()
        assert again.chat.received("clerk1")[before:] == [f"✓ 可乐 +1 瓶\n拣货 {order}：可乐 1/3"]


async def test_two_people_shipping_one_order_at_once_ship_it_once(
    database_url: str, fake_wecom: FakeWeCom
) -> None:
    async with running_bot(database_url, fake_wecom) as bot:
        await seed_shop(bot.uow())
        order = await _order_of_three(bot)
        await bot.chat.say("clerk1", f"拣货 {order}")
        for n in range(3):
            await bot.wecom.scan("clerk1", SCAN_PICK, COKE, create_time=bot.wecom.now() + n)
        await bot.chat.say("clerk1", "拣货 结束")
        sent = await asyncio.gather(
            bot.wecom.send_text("clerk1", f"发货 {order}"),
            bot.wecom.send_text("mgr1", f"发货 {order}"),
        )
        assert sent == [200, 200]
        await bot.settled()
        told = bot.chat.received("clerk1")[-1:] + bot.chat.received("mgr1")[-1:]
        assert sum("已发货：销售单" in t for t in told) == 1
        assert sum(f"订单 {order} 已全部发货" in t for t in told) == 1
        assert await _available(bot) == ("7", "7")
