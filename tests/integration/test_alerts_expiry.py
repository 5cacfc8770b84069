"""Expiry alerts through the daily 08:30 schedule: each batch once per bucket."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core import catalog
from core.ledger import Line, Receive, Sell
from core.storage import OutboxMessage, UnitOfWork
from notifications.scheduler import AlertScheduler
from notifications.settings import AlertSettings
from tests.support.alerts import drive, make_scheduler, outbox, post, rule
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop


@pytest.fixture
async def shop(uow: UnitOfWork) -> UnitOfWork:
    """The shop, its store group chat G1 getting the alert's note (the card goes to people)."""
    await seed_shop(uow)
    await run(uow, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", group_chat_id="G1"))
    return uow


@pytest.fixture
def scheduler(engine: AsyncEngine, clock: ManualClock, settings: Settings) -> AlertScheduler:
    return make_scheduler(engine, clock, settings)


async def test_a_batch_is_announced_at_thirty_then_seven_then_zero_days_and_never_twice(
    shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    expiry = date(2026, 12, 31)
    await post(
        shop,
        Receive(
            warehouse="MAIN",
            actor="boss",
            lines=(
                Line("MILK", Decimal(10), lot="L1", expiry=expiry),
                Line("MILK2", Decimal(4), lot="FAR", expiry=date(2027, 6, 1)),
            ),
        ),
    )
    reports = await drive(scheduler, "expiry", clock, clock.now + timedelta(days=40))
    alerted_on = [r.at.date() for r in reports if r.alerted]
    assert alerted_on == [date(2026, 12, 1), date(2026, 12, 24), date(2026, 12, 31)]
    texts = [s.text for s in await outbox(shop, "expiry")]
    assert "共 1 批：30 天内到期 1 批" in texts[0] and "还剩 30 天" in texts[0]
    assert "共 1 批：7 天内到期 1 批" in texts[1] and "还剩 7 天" in texts[1]
    assert "共 1 批：已过期或今天到期 1 批" in texts[2] and "今天到期" in texts[2]
    assert "鲜牛奶 批号 L1，到期 2026-12-31" in texts[0] and "10 盒，成本 ¥40.00" in texts[0]
    assert all("酸牛奶" not in t for t in texts)


async def test_batches_are_grouped_by_bucket_and_sold_out_batches_are_left_out(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    await post(
        shop,
        Receive(
            warehouse="MAIN",
            actor="boss",
            lines=(
                Line("MILK", Decimal(2), lot="OLD", expiry=date(2026, 11, 20)),
                Line("MILK", Decimal(3), lot="SOON", expiry=date(2026, 11, 30)),
                Line("MILK2", Decimal(5), lot="LATER", expiry=date(2026, 12, 20)),
                Line("APPLE", Decimal(1), lot="GONE", expiry=date(2026, 11, 28)),
            ),
        ),
    )
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=(Line("APPLE", Decimal(1)),)))
    report = await rule(shop, "expiry", clock.now)
    [sent] = await outbox(shop, "expiry")
    assert len(report.alerted) == 3
    expired, week, month = (sent.text.index(h) for h in ("已过期或今天", "7 天内", "30 天内"))
    assert expired < week < month
    assert "已过期 6 天" in sent.text and "还剩 4 天" in sent.text and "还剩 24 天" in sent.text
    assert "GONE" not in sent.text


async def test_buckets_can_be_set_per_category(shop: UnitOfWork, clock: ManualClock) -> None:
    await post(
        shop,
        Receive(
            warehouse="MAIN",
            actor="boss",
            lines=(
                Line("MILK", Decimal(2), lot="A", expiry=date(2026, 12, 5)),
                Line("APPLE", Decimal(2), lot="B", expiry=date(2026, 11, 28)),
            ),
        ),
    )
    settings = AlertSettings(expiry_days=(3,), expiry_days_by_category={"乳品": (14,)})
    report = await rule(shop, "expiry", clock.now, settings)
    assert sorted(s.rsplit(":", 1)[0] for s in report.alerted) == ["MAIN:APPLE", "MAIN:MILK"]


async def test_expiry_alert_never_reports_more_than_the_shop_holds(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    """4 sold before any were booked in, then 9 received: 5 on the shelf, 5 expiring."""
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=(Line("MILK", Decimal(4)),)))
    soon, later = date(2026, 11, 28), date(2026, 12, 10)
    await post(
        shop,
        Receive(
            warehouse="MAIN",
            actor="boss",
            lines=(
                Line("MILK", Decimal(3), lot="A", expiry=soon),
                Line("MILK", Decimal(6), lot="B", expiry=later),
            ),
        ),
    )
    report = await rule(shop, "expiry", clock.now)
    [sent] = await outbox(shop, "expiry")
    assert len(report.alerted) == 1
    assert "批号 A" not in sent.text
    assert (
        "鲜牛奶 批号 B，到期 2026-12-10（还剩 14 天），"
        "5 盒（批次账面 6，其中 1 已被无批次负库存抵扣）" in sent.text
    )
    assert "成本 ¥20.00" in sent.text


async def test_the_full_list_follows_the_alert_as_an_xlsx_file(
    shop: UnitOfWork, clock: ManualClock, settings: Settings
) -> None:
    lots = [Line("MILK", Decimal(2), lot=f"L{n}", expiry=date(2026, 12, n)) for n in range(1, 9)]
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=tuple(lots)))
    await rule(shop, "expiry", clock.now)

    async def files(u: UnitOfWork) -> list[OutboxMessage]:
        rows = await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r for r in rows if r.payload["msgtype"] == "file"]

    [row] = await run(shop, files)
    sheet = load_workbook(settings.data_dir / row.payload["file"]["path"]).worksheets[0]
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[4] for r in body] == [f"L{n}" for n in range(1, 9)]  # soonest first
    assert row.payload["file"]["name"].startswith("临期过期清单-MAIN-")
    await rule(shop, "expiry", clock.now)  # the same run again sends no second file
    assert len(await run(shop, files)) == 1
