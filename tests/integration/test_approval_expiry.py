"""A request nobody answers expires: its card is greyed out and the requester is told."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core.ledger import Line, Receive
from core.storage import SHANGHAI, OutboxMessage, UnitOfWork, in_transaction
from notifications.approval_expiry import announce_expired
from tests.support.alerts import make_scheduler, post, rule
from tests.support.chat import Chat
from tests.support.clock import ManualClock
from tests.support.ledger import seed_shop


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def outbox_rows(uow: UnitOfWork) -> list[OutboxMessage]:
    async def read(u: UnitOfWork) -> list[OutboxMessage]:
        return list(await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    return await in_transaction(uow, read)


async def test_expired_request_greys_out_its_card_and_tells_the_requester_once(
    uow: UnitOfWork, engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    await seed_shop(uow)
    chat = Chat(uow)
    await chat.say("clerk1", "调价 可乐 3.8")

    async def delivered(u: UnitOfWork) -> None:
        await u.session.execute(
            update(OutboxMessage).values(status="sent", response={"response_code": "SEND-1"})
        )

    await in_transaction(uow, delivered)
    scheduler = make_scheduler(engine, clock, settings)
    scheduler.on_approvals_expired = announce_expired
    clock.advance(hours=25)
    for _ in range(2):
        fire = scheduler.fire_time("expire-approvals", clock.now)
        await scheduler.fire("expire-approvals", fire)
        clock.advance(minutes=5)
    updates = [r for r in await outbox_rows(uow) if r.channel == "card_update"]
    assert [u.payload["replace_name"] for u in updates] == ["已过期"]
    told = [r.payload["text"]["content"] for r in await outbox_rows(uow) if r.target == "clerk1"]
    assert sum("SP-20261126-0001 已过期" in t for t in told) == 1
    assert "已过期" in await chat.click("mgr1", "approve:SP-20261126-0001")


async def test_an_expired_writeoff_from_an_alert_card_reopens_the_card(
    uow: UnitOfWork, engine: AsyncEngine, clock: ManualClock, settings: Settings
) -> None:
    await seed_shop(uow)
    today = clock.now.astimezone(SHANGHAI).date()
    lots = tuple(
        Line("MILK", Decimal(30), lot=f"L{n}", expiry=today + timedelta(days=n - 2))
        for n in range(8)
    )
    # L0..L2 expired: 90 boxes, ¥360 written off, so it needs approval
    await post(uow, Receive(warehouse="MAIN", actor="boss", lines=lots))
    await rule(uow, "expiry", clock.now)

    async def delivered(u: UnitOfWork) -> None:
        await u.session.execute(
            update(OutboxMessage).values(status="sent", response={"response_code": "SEND-1"})
        )

    await in_transaction(uow, delivered)
    [card] = [r.payload["card"] for r in await outbox_rows(uow) if r.payload.get("card")]
    writeoff = next(b["key"] for b in card["buttons"] if b["text"] == "报损")
    chat = Chat(uow)
    assert "审批单 SP-" in await chat.click("clerk1", writeoff, task_id=card["task_id"])
    await in_transaction(uow, delivered)
    scheduler = make_scheduler(engine, clock, settings)
    scheduler.on_approvals_expired = announce_expired
    clock.advance(hours=25)
    await scheduler.fire("expire-approvals", scheduler.fire_time("expire-approvals", clock.now))

    [redrawn] = [r.payload["card"] for r in await outbox_rows(uow) if "card" in r.payload
                 and r.channel == "card_update"]  # fmt: skip
    assert "已过期，未做任何更改；卡片已恢复，可重新处理" in redrawn["note"]
    done = next(b["key"] for b in redrawn["buttons"] if b["text"] == "已处理")
    assert "已处理（李姐）" in await chat.click("mgr1", done, task_id=card["task_id"])
