"""The daily digest (21:00) and the weekly cycle-count plan (Monday 08:00) on their schedules."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core import catalog, orders
from core.ledger import Line, Receive, ReturnSale, Sell, WriteOff
from core.storage import SHANGHAI, Item, OutboxMessage, UnitOfWork
from notifications.scheduler import AlertScheduler
from tests.support.alerts import drive, make_scheduler, outbox, post, rule
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop


@pytest.fixture
async def shop(uow: UnitOfWork) -> UnitOfWork:
    await seed_shop(uow)
    await run(uow, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", group_chat_id="G1"))
    return uow


@pytest.fixture
def scheduler(engine: AsyncEngine, clock: ManualClock, settings: Settings) -> AlertScheduler:
    return make_scheduler(engine, clock, settings)


async def test_the_digest_goes_out_once_a_day_with_the_days_figures(
    shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(12)),)))
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(4)),)))
    await post(shop, ReturnSale(warehouse="MAIN", actor="mgr1", lines=(Line("COKE", Decimal(1)),)))
    await post(shop, WriteOff(warehouse="MAIN", actor="mgr1", lines=(Line("COKE", Decimal(2)),)))
    await rule(shop, "low-stock", clock.now)
    reports = await drive(scheduler, "digest", clock, clock.now + timedelta(days=3))
    assert [len(r.alerted) for r in reports] == [2, 2, 2]
    await rule(shop, "digest", clock.now + timedelta(minutes=30))
    to_group = [s for s in await outbox(shop, "digest") if s.target == "G1"]
    assert len(to_group) == 3
    first = to_group[0].text
    assert first.startswith("**2026-11-26 经营日报**")
    assert "销售 1 单，¥14.00" in first and "退货/负数销售 1 单，¥3.50" in first
    assert "入库 1 单，¥24.00" in first and "报损 1 单，成本 ¥4.00" in first
    assert "今日提醒：低库存 1 项" in first
    assert "销售 0 单" in to_group[1].text and "今日提醒：无" in to_group[1].text


async def test_the_digest_counts_the_batches_an_expiry_alert_listed(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    today = clock.now.astimezone(SHANGHAI).date()
    lots = tuple(
        Line("MILK", Decimal(2), lot=f"L{n}", expiry=today + timedelta(days=n)) for n in range(3)
    )
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=lots))
    await rule(shop, "expiry", clock.now)
    await rule(shop, "digest", clock.now + timedelta(minutes=5))
    [digest] = [s for s in await outbox(shop, "digest") if s.target == "G1"]
    assert "今日提醒：临期/过期 3 项" in digest.text


async def test_cycle_count_plan_covers_every_category_once_in_five_weeks(
    shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    categories = [f"品类{n:02d}" for n in range(12)]

    async def stock_categories(u: UnitOfWork) -> None:
        for n, category in enumerate(categories):
            u.session.add(Item(sku=f"C{n:02d}", name=f"商品{n}", category=category))

    await run(shop, stock_categories)
    lines = tuple(Line(f"C{n:02d}", Decimal(5)) for n in range(12))
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=lines))
    await drive(scheduler, "cycle-count", clock, clock.now + timedelta(weeks=5))
    await rule(shop, "cycle-count", datetime(2026, 12, 29, 9, tzinfo=SHANGHAI))
    plans = [s.text for s in await outbox(shop, "cycle-count") if s.target == "G1"]
    assert len(plans) == 5
    planned = [re.findall(r"- (品类\d\d)：", text) for text in plans]
    assert sorted(c for week in planned for c in week) == categories
    assert all(2 <= len(week) <= 3 for week in planned)
    assert ["全店盘点" in text for text in plans] == [False, True, False, False, False]


async def test_the_weekly_plan_makes_the_count_tasks_scans_count(shop: UnitOfWork) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(5)),)))
    # The first Monday of December: the monthly full count, a task for each category held.
    await rule(shop, "cycle-count", datetime(2026, 12, 7, 8, tzinfo=SHANGHAI))
    tasks = await run(shop, lambda u: orders.open_tasks(u, "MAIN"))
    assert ("饮料", "2026-12") in [(t.category, t.period) for t in tasks]
    await rule(shop, "cycle-count", datetime(2026, 12, 7, 8, tzinfo=SHANGHAI))
    assert len(await run(shop, lambda u: orders.open_tasks(u, "MAIN"))) == len(tasks)


async def test_the_digest_brings_one_chart_image_to_the_store_group(
    shop: UnitOfWork, clock: ManualClock, settings: Settings
) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(12)),)))
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(4)),)))
    at = clock.now.replace(hour=13)  # 21:00 in Shanghai
    await rule(shop, "digest", at)

    async def rows(u: UnitOfWork) -> list[OutboxMessage]:
        return list(await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    to_group = [r for r in await run(shop, rows) if r.target == "G1"]
    assert [r.payload["msgtype"] for r in to_group] == ["markdown", "image"]
    image = to_group[1].payload["image"]
    path = settings.data_dir / image["path"]
    with Image.open(path) as picture:
        assert picture.format == "PNG" and picture.size[0] >= 960
    # Run again at the same instant: nothing new, the chart included.
    await rule(shop, "digest", at)
    assert len([r for r in await run(shop, rows) if r.target == "G1"]) == 2
