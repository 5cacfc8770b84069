"""Count variances, prices below cost: told to managers once, on the frozen clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core.ledger import Count, Line, Receive, Sell
from core.storage import Item, UnitOfWork
from notifications.scheduler import AlertScheduler
from tests.support.alerts import drive, make_scheduler, outbox, post, rule
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop


@pytest.fixture
async def shop(uow: UnitOfWork) -> UnitOfWork:
    await seed_shop(uow)
    await post(
        uow,
        Receive(
            warehouse="MAIN",
            actor="boss",
            lines=(
                Line("COKE", Decimal(40)),
                Line("SPRITE", Decimal(40)),
            ),
        ),
    )
    return uow


@pytest.fixture
def scheduler(engine: AsyncEngine, clock: ManualClock, settings: Settings) -> AlertScheduler:
    return make_scheduler(engine, clock, settings)


async def test_a_count_beyond_the_threshold_is_told_to_managers_once(
    shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    await post(
        shop,
        Count(
            warehouse="MAIN",
            actor="clerk1",
            lines=(
                Line("COKE", Decimal(25)),
                Line("SPRITE", Decimal(38)),
            ),
        ),
    )
    reports = await drive(scheduler, "count-variance", clock, clock.now + timedelta(hours=1))
    assert sum(len(r.alerted) for r in reports) == 1
    [sent] = await outbox(shop, "count-variance")
    assert sent.target == "boss|mgr1"
    assert "盘点单 PD-20261126-0001，盘点人 小王" in sent.text
    assert "可乐（COKE）实盘 25 瓶，盘亏 15 瓶，成本 ¥30.00" in sent.text
    assert "雪碧" not in sent.text


async def test_a_small_count_variance_says_nothing(shop: UnitOfWork, clock: ManualClock) -> None:
    await post(shop, Count(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(38)),)))
    report = await rule(shop, "count-variance", clock.now + timedelta(minutes=5))
    assert report.found == [] and await outbox(shop) == []


async def test_prices_and_sales_below_cost_are_told_once_each(
    shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    await run(
        shop,
        lambda u: u.session.execute(
            update(Item).where(Item.sku == "SPRITE").values(price=Decimal("1.50"))
        ),
    )
    await post(
        shop,
        Sell(warehouse="MAIN", actor="clerk2", lines=(Line("COKE", Decimal(2), Decimal("1.20")),)),
    )
    clock.advance(minutes=1)
    reports = await drive(scheduler, "price-below-cost", clock, clock.now + timedelta(hours=2))
    assert sorted(reports[0].alerted) == ["MAIN:item:SPRITE", "MAIN:sale:XS-20261126-0001:COKE"]
    assert all(r.alerted == [] for r in reports[1:])
    [sent] = await outbox(shop, "price-below-cost")
    assert "雪碧（SPRITE）售价 ¥1.50 低于成本 ¥2.00" in sent.text
    assert "销售单 XS-20261126-0001（小张，11-26 10:00）可乐 2 瓶 按 ¥1.20 售出" in sent.text


async def test_a_sale_below_a_cent_is_told_at_its_price_not_at_zero(
    shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    await post(
        shop,
        Sell(
            warehouse="MAIN", actor="clerk2", lines=(Line("COKE", Decimal(3), Decimal("0.0035")),)
        ),
    )
    clock.advance(minutes=1)
    await drive(scheduler, "price-below-cost", clock, clock.now + timedelta(minutes=30))
    [sent] = await outbox(shop, "price-below-cost")
    assert "可乐 3 瓶 按 ¥0.0035 售出，成本 ¥2.00" in sent.text
