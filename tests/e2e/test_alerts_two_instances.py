"""Two bot instances on one PostgreSQL: a scheduled alert reaches WeCom once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from bot.appkeys import OWN_TRANSACTIONS, SETTINGS
from core import catalog
from core.ledger import Line, Receive
from notifications.scheduler import create_scheduler
from tests.support.alerts import post
from tests.support.bot_harness import new_fake, running_bot
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop


@pytest.mark.pg
async def test_two_instances_deliver_a_scheduled_alert_once(pg_url: str) -> None:
    clock = ManualClock()
    async with (
        new_fake(clock=clock) as fake,
        running_bot(pg_url, fake, clock=clock) as first,
        running_bot(pg_url, fake, clock=clock) as second,
    ):
        shop = first.uow()
        await seed_shop(shop)
        await run(
            shop, lambda u: catalog.configure_warehouse(u, "t", "MAIN", purchasing_chat_id="buyers")
        )
        await post(shop, Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(3)),)))
        schedulers = [
            create_scheduler(bot.app[OWN_TRANSACTIONS], bot.app[SETTINGS], clock=clock, holder=name)
            for name, bot in (("first", first), ("second", second))
        ]
        fire = schedulers[0].fire_time("low-stock", clock.now)
        reports = await asyncio.gather(*(s.fire("low-stock", fire) for s in schedulers))
        await asyncio.gather(first.settled(), second.settled())
        assert sum(report is not None for report in reports) == 1
        # The alert once, and its full list once, however many instances fired.
        alert, full_list = fake.appchat_messages("buyers")
        assert "可乐" in alert["markdown"]["content"]
        assert full_list["msgtype"] == "file"
