"""An idle scan session is ended by the scheduler's sweep, and its user is told once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core.storage import OutboxMessage, UnitOfWork, in_transaction
from notifications.scheduler import END_SCAN_SESSIONS
from tests.support.alerts import make_scheduler
from tests.support.chat import Chat
from tests.support.clock import ManualClock
from tests.support.ledger import seed_shop
from tests.support.scanning import COKE, register_codes


async def texts_to(uow: UnitOfWork, userid: str) -> list[str]:
    async def read(u: UnitOfWork) -> list[str]:
        rows = await u.session.scalars(
            select(OutboxMessage).where(OutboxMessage.target == userid).order_by(OutboxMessage.id)
        )
        return [str(r.payload["text"]["content"]) for r in rows]

    return await in_transaction(uow, read)


async def test_idle_pick_is_ended_by_the_sweep_and_the_picker_told_once(
    uow: UnitOfWork, engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    await seed_shop(uow)
    await register_codes(uow)
    chat = Chat(uow)
    await chat.say("clerk1", "入库 可乐 5")
    await chat.say("clerk1", "订单 客户张三: 可乐 2")
    await chat.say("clerk1", "拣货 DD-20261126-0001")
    scheduler = make_scheduler(engine, clock, settings)
    clock.advance(minutes=20)
    await scheduler.fire(END_SCAN_SESSIONS, scheduler.fire_time(END_SCAN_SESSIONS, clock.now))
    assert not any("已自动结束" in t for t in await texts_to(uow, "clerk1"))
    for _ in range(2):
        clock.advance(minutes=11)
        await scheduler.fire(END_SCAN_SESSIONS, scheduler.fire_time(END_SCAN_SESSIONS, clock.now))
    told = [t for t in await texts_to(uow, "clerk1") if "已自动结束" in t]
    assert told == [
        "你的拣货（DD-20261126-0001）已 30 分钟无操作，已自动结束；已扫的数量仍然保留。\n"
        "继续请发：拣货 DD-20261126-0001"
    ]
    assert "现在没有进行中的拣货" in await chat.scan("clerk1", COKE)
