"""A request nobody answers expires: its card is greyed out and the requester is told."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core.storage import OutboxMessage, UnitOfWork, in_transaction
from notifications.approval_expiry import announce_expired
from tests.support.alerts import make_scheduler
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
