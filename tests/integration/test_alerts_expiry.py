"""Expiry alerts through the daily 08:30 schedule: each batch once per bucket."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from alembic import command
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core import catalog
from core.analytics import ExpiryCounts
from core.ledger import Line, Receive, Sell
from core.storage import (
    SHANGHAI,
    AlertState,
    Batch,
    OutboxMessage,
    UnitOfWork,
    alembic_config,
    upgrade,
)
from notifications.registry import RULES
from notifications.rules.expiry import expiry_scan
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


async def receive(shop: UnitOfWork, *lines: Line) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=lines))


def lots(*expiries: date, sku: str = "MILK") -> tuple[Line, ...]:
    return tuple(
        Line(sku, Decimal(2), lot=f"L{n}", expiry=e) for n, e in enumerate(expiries, start=1)
    )


async def test_a_batch_is_announced_at_thirty_then_seven_then_zero_days_and_never_twice(
    shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    expiry = date(2026, 12, 31)
    await receive(
        shop,
        Line("MILK", Decimal(10), lot="L1", expiry=expiry),
        Line("MILK2", Decimal(4), lot="FAR", expiry=date(2027, 6, 1)),
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
    await receive(
        shop,
        Line("MILK", Decimal(2), lot="OLD", expiry=date(2026, 11, 20)),
        Line("MILK", Decimal(3), lot="SOON", expiry=date(2026, 11, 30)),
        Line("MILK2", Decimal(5), lot="LATER", expiry=date(2026, 12, 20)),
        Line("APPLE", Decimal(1), lot="GONE", expiry=date(2026, 11, 28)),
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
    await receive(
        shop,
        Line("MILK", Decimal(2), lot="A", expiry=date(2026, 12, 5)),
        Line("APPLE", Decimal(2), lot="B", expiry=date(2026, 11, 28)),
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
    await receive(
        shop,
        Line("MILK", Decimal(3), lot="A", expiry=soon),
        Line("MILK", Decimal(6), lot="B", expiry=later),
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
    await receive(shop, *lots(*(date(2026, 12, n) for n in range(1, 9))))
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


async def test_an_alert_with_more_batches_than_it_lists_gives_counts_and_the_most_urgent(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    expiries = (
        date(2026, 12, 20),  # L1, 24 days
        date(2026, 11, 20),  # L2, expired
        date(2026, 12, 1),  # L3, 5 days
        date(2026, 11, 26),  # L4, today
        date(2026, 12, 10),  # L5, 14 days
        date(2026, 11, 30),  # L6, 4 days
        date(2026, 12, 25),  # L7, 29 days
        date(2026, 12, 2),  # L8, 6 days
    )
    await receive(shop, *lots(*expiries))
    report = await rule(shop, "expiry", clock.now)
    [sent] = await outbox(shop, "expiry")
    assert len(report.alerted) == 8
    assert "共 8 批：已过期或今天到期 2 批，7 天内到期 3 批，30 天内到期 3 批" in sent.text
    assert "最急的 5 批" in sent.text and "另有 3 批未列出，见完整清单" in sent.text
    listed = [f"批号 L{n}，" for n in (2, 4, 6, 3, 8)]
    positions = [sent.text.index(lot) for lot in listed]
    assert positions == sorted(positions)
    assert all(f"批号 L{n}，" not in sent.text for n in (1, 5, 7))


async def test_a_second_run_says_nothing_and_what_was_said_is_one_row_per_warehouse(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    """Also for an item whose negative stock used part of its batches."""
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=(Line("MILK", Decimal(3)),)))
    await receive(
        shop,
        *lots(date(2026, 11, 28), date(2026, 12, 10)),
        *lots(date(2026, 12, 3), date(2026, 12, 24), sku="MILK2"),
    )
    first = await rule(shop, "expiry", clock.now)
    second = await rule(shop, "expiry", clock.now + timedelta(hours=1))
    assert len(first.alerted) == 3  # MILK's L1 went to the negative stock, 1 of L2 too
    assert second.alerted == [] and len(await outbox(shop, "expiry")) == 1

    async def said(u: UnitOfWork) -> list[str]:
        return list(
            await u.session.scalars(select(AlertState.subject).where(AlertState.rule == "expiry"))
        )

    assert await run(shop, said) == ["MAIN"]
    today = (clock.now + timedelta(hours=1)).astimezone(SHANGHAI).date()

    async def scan(u: UnitOfWork) -> list[ExpiryCounts]:
        bound = RULES["expiry"].bind(u, clock.now + timedelta(hours=1), AlertSettings())
        return (await expiry_scan(bound, today)).counts

    [main] = await run(shop, scan)
    assert (sum(main.held.values()), main.news_total) == (3, 0)


async def test_the_next_day_a_batch_crossing_a_threshold_and_a_new_batch_are_news(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    today = clock.now.astimezone(SHANGHAI).date()
    far, near = today + timedelta(days=31), today + timedelta(days=20)
    await receive(
        shop,
        Line("MILK", Decimal(3), lot="FAR", expiry=far),
        Line("MILK", Decimal(3), lot="NEAR", expiry=near),
    )
    first = await rule(shop, "expiry", clock.now)
    assert [s.rsplit(":", 1)[0] for s in first.alerted] == ["MAIN:MILK"]
    # Already inside the 30-day bucket the first run told, but received after it.
    late = Line("MILK2", Decimal(2), lot="LATE", expiry=today + timedelta(days=10))
    await receive(shop, late)
    second = await rule(shop, "expiry", clock.now + timedelta(days=1))
    assert len(second.alerted) == 2
    texts = [s.text for s in await outbox(shop, "expiry")]
    assert len(texts) == 2 and "共 2 批：30 天内到期 2 批" in texts[1]
    assert "批号 LATE" in texts[1] and "批号 FAR" in texts[1] and "批号 NEAR" not in texts[1]
    third = await rule(shop, "expiry", clock.now + timedelta(days=1, hours=1))
    assert third.alerted == []


async def test_upgrading_keeps_what_the_per_batch_rows_told_and_still_tells_what_is_new(
    engine: AsyncEngine, shop: UnitOfWork, clock: ManualClock
) -> None:
    today = clock.now.astimezone(SHANGHAI).date()
    told = Line("MILK", Decimal(3), lot="TOLD", expiry=today + timedelta(days=20))
    await receive(shop, told)
    [batch_id] = await run(shop, lambda u: u.session.scalars(select(Batch.id)))
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0008"))

    async def told_the_old_way(u: UnitOfWork) -> None:
        u.session.add(
            AlertState(
                rule="expiry", subject=f"MAIN:MILK:{batch_id}", state="d30", last_sent_at=clock.now
            )
        )

    await run(shop, told_the_old_way)
    await upgrade(engine)

    async def said(u: UnitOfWork) -> list[str]:
        return list(await u.session.scalars(select(AlertState.subject)))

    assert await run(shop, said) == ["MAIN"]
    assert (await rule(shop, "expiry", clock.now + timedelta(hours=1))).alerted == []
    late = Line("MILK2", Decimal(2), lot="LATE", expiry=today + timedelta(days=10))
    await receive(shop, late)
    later = await rule(shop, "expiry", clock.now + timedelta(hours=2))
    assert [s.rsplit(":", 1)[0] for s in later.alerted] == ["MAIN:MILK2"]
