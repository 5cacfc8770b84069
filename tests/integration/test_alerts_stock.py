"""Low stock and negative stock driven through their 30-minute schedule with a frozen clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from core import catalog, orders
from core.common import MAX_MESSAGE_BYTES as MAX_BYTES
from core.ledger import Line, Receive, Sell
from core.storage import Item, OutboxMessage, UnitOfWork
from notifications.registry import RULES
from notifications.rules.stock import low_stock_scan
from notifications.scheduler import AlertScheduler
from notifications.settings import AlertSettings
from tests.support.alerts import drive, make_scheduler, outbox, post, rule
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop


@pytest.fixture
async def shop(uow: UnitOfWork) -> UnitOfWork:
    await seed_shop(uow)
    return uow


@pytest.fixture
async def chat_shop(shop: UnitOfWork) -> UnitOfWork:
    """The shop with a purchasing chat P1: the low-stock note (with the advice) goes there."""
    await run(
        shop, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", purchasing_chat_id="P1")
    )
    return shop


@pytest.fixture
def scheduler(engine: AsyncEngine, clock: ManualClock, settings: Settings) -> AlertScheduler:
    return make_scheduler(engine, clock, settings)


def coke(qty: int) -> tuple[Line, ...]:
    return (Line("COKE", Decimal(qty)),)


async def test_low_item_is_alerted_once_and_again_only_after_restock_and_fall(
    chat_shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    await post(chat_shop, Receive(warehouse="MAIN", actor="boss", lines=coke(12)))
    await post(chat_shop, Sell(warehouse="MAIN", actor="clerk1", lines=coke(3)))
    reports = await drive(scheduler, "low-stock", clock, clock.now + timedelta(hours=3))
    assert [r.alerted for r in reports] == [["MAIN:COKE"]] + [[]] * 6
    [sent] = await outbox(chat_shop, "low-stock")
    assert "可乐（COKE）可用 9 瓶，补货点 10，建议订货 **11 瓶**" in sent.text
    assert (sent.channel, sent.target) == ("appchat", "P1")

    await post(chat_shop, Receive(warehouse="MAIN", actor="boss", lines=coke(20)))
    await drive(scheduler, "low-stock", clock, clock.now + timedelta(hours=1))
    await post(chat_shop, Sell(warehouse="MAIN", actor="clerk1", lines=coke(25)))
    await drive(scheduler, "low-stock", clock, clock.now + timedelta(hours=2))
    assert len(await outbox(chat_shop, "low-stock")) == 2


async def test_a_low_item_that_stays_low_is_repeated_after_the_quiet_period(
    chat_shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    await post(chat_shop, Receive(warehouse="MAIN", actor="boss", lines=coke(5)))
    await drive(scheduler, "low-stock", clock, clock.now + timedelta(hours=23))
    assert len(await outbox(chat_shop, "low-stock")) == 1
    await drive(scheduler, "low-stock", clock, clock.now + timedelta(hours=2))
    assert len(await outbox(chat_shop, "low-stock")) == 2


async def test_low_stock_goes_to_the_purchasing_chat_then_the_group_chat(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=coke(1)))
    await run(shop, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", group_chat_id="G1"))
    await rule(shop, "low-stock", clock.now)
    await run(
        shop, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", purchasing_chat_id="P1")
    )
    await post(shop, Receive(warehouse="MAIN", actor="boss", lines=coke(20)))
    await rule(shop, "low-stock", clock.now + timedelta(minutes=30))
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=coke(20)))
    await rule(shop, "low-stock", clock.now + timedelta(minutes=60))
    sent = await outbox(shop, "low-stock")
    assert [(s.channel, s.target) for s in sent] == [("appchat", "G1"), ("appchat", "P1")]


async def test_many_low_items_make_one_card_one_short_note_and_one_file_not_walls(
    chat_shop: UnitOfWork, clock: ManualClock, settings: Settings
) -> None:
    async def add_items(u: UnitOfWork) -> None:
        for n in range(60):
            u.session.add(
                Item(
                    sku=f"VEG{n:02d}",
                    name=f"有机蔬菜第{n}号",
                    unit="kg",
                    reorder_point=Decimal(100),
                )
            )

    await run(chat_shop, add_items)
    lines = tuple(Line(f"VEG{n:02d}", Decimal(n + 1)) for n in range(60))
    await post(chat_shop, Receive(warehouse="MAIN", actor="boss", lines=lines))
    report = await rule(chat_shop, "low-stock", clock.now)
    assert len(report.alerted) == 60
    [note] = await outbox(chat_shop, "low-stock")
    assert (note.channel, note.target) == ("appchat", "P1")
    assert len(note.text.encode()) <= MAX_BYTES
    assert "60 个商品到了补货点，最缺的 5 个" in note.text and note.text.count("\n- ") == 5
    assert "有机蔬菜第0号" in note.text and "有机蔬菜第5号" not in note.text
    assert "另有 55 个商品未列出，见完整清单" in note.text
    positions = [note.text.index(f"有机蔬菜第{n}号") for n in range(5)]  # furthest under first
    assert positions == sorted(positions)

    async def rows(u: UnitOfWork) -> list[OutboxMessage]:
        return list(await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    sent = await run(chat_shop, rows)
    assert [(r.channel, r.target, r.payload["msgtype"]) for r in sent] == [
        ("user", "boss|mgr1", "card"),
        ("appchat", "P1", "markdown"),
        ("appchat", "P1", "file"),
    ]
    assert len(sent[0].payload["card"]["rows"]) == 5
    sheet = load_workbook(settings.data_dir / sent[2].payload["file"]["path"]).worksheets[0]
    assert sheet.max_row == 61


async def test_stock_that_went_negative_is_told_to_managers_once(
    shop: UnitOfWork, scheduler: AlertScheduler, clock: ManualClock
) -> None:
    await run(
        shop,
        lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy="allow"),
    )
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=coke(2)), policy=True)
    await drive(scheduler, "negative-stock", clock, clock.now + timedelta(hours=2))
    [sent] = await outbox(shop, "negative-stock")
    assert sent.target == "boss|mgr1"
    assert '可乐（COKE）账面 <font color="warning">-2 瓶</font>' in sent.text
    assert "最近出库 XS-20261126-0001（小王" in sent.text


async def test_a_sale_awaiting_approval_does_not_drive_the_reorder_advice(
    chat_shop: UnitOfWork, clock: ManualClock
) -> None:
    """96 held, a negative-stock sale of 500 pending: advice for the 96, the 500 beside it."""
    await run(chat_shop, lambda u: set_reorder(u, "COKE", point=24, standard=72))
    await post(chat_shop, Receive(warehouse="MAIN", actor="boss", lines=coke(96)))
    pending = await post(
        chat_shop, Sell(warehouse="MAIN", actor="clerk1", lines=coke(500)), policy=True
    )
    assert pending.approval.subject == "negative_stock"
    await rule(chat_shop, "low-stock", clock.now)
    [sent] = await outbox(chat_shop, "low-stock")
    assert (
        "可乐（COKE）账面 96 瓶，补货点 24，现有库存暂不需订货；"
        "另有待审批出库 500 瓶（未批准，不计入建议），如获批准库存将为 -404 瓶，需订货 432 瓶"
    ) in sent.text
    assert "-406" not in sent.text and "建议订货 **72" not in sent.text


async def test_held_stock_under_the_point_is_advised_apart_from_a_pending_sale(
    chat_shop: UnitOfWork, clock: ManualClock
) -> None:
    await run(chat_shop, lambda u: set_reorder(u, "COKE", point=24, standard=72))
    await post(chat_shop, Receive(warehouse="MAIN", actor="boss", lines=coke(20)))
    await post(chat_shop, Sell(warehouse="MAIN", actor="clerk1", lines=coke(30)), policy=True)
    await rule(chat_shop, "low-stock", clock.now)
    [sent] = await outbox(chat_shop, "low-stock")
    assert "账面 20 瓶，补货点 24，建议订货 **72 瓶**；另有待审批出库 30 瓶" in sent.text
    assert "如获批准库存将为 -10 瓶，需订货 72 瓶" in sent.text


async def test_a_standard_order_too_small_to_lift_stock_is_advised_in_multiples(
    chat_shop: UnitOfWork, clock: ManualClock
) -> None:
    await run(chat_shop, lambda u: set_reorder(u, "COKE", point=10, standard=24))
    await post(chat_shop, Sell(warehouse="MAIN", actor="clerk1", lines=coke(30)))
    await rule(chat_shop, "low-stock", clock.now)
    [sent] = await outbox(chat_shop, "low-stock")
    assert "可乐（COKE）可用 -30 瓶，补货点 10，建议订货 **48 瓶**" in sent.text


async def set_reorder(uow: UnitOfWork, sku: str, *, point: int, standard: int) -> None:
    item = await catalog.item_by_sku(uow, sku)
    item.reorder_point, item.reorder_qty = Decimal(point), Decimal(standard)


async def test_stock_promised_to_an_open_order_counts_as_unavailable_for_low_stock(
    chat_shop: UnitOfWork, clock: ManualClock
) -> None:
    await post(chat_shop, Receive(warehouse="MAIN", actor="boss", lines=coke(15)))
    order = orders.NewOrder(
        kind=orders.SALES, warehouse="MAIN", actor="clerk1", partner="张三", lines=coke(6)
    )
    await run(chat_shop, lambda u: orders.create_order(u, order))
    report = await rule(chat_shop, "low-stock", clock.now)
    assert report.alerted == ["MAIN:COKE"]
    [sent] = await outbox(chat_shop, "low-stock")
    assert "可乐（COKE）可用 9 瓶（账面 15，订单占用 6），补货点 10，建议订货" in sent.text


async def test_low_stock_sends_the_full_reorder_list_as_an_xlsx_file(
    uow: UnitOfWork, clock: ManualClock, settings: Settings
) -> None:
    await seed_shop(uow)
    restock = (Line("COKE", Decimal(3)), Line("MILK", Decimal(1)))
    await post(uow, Receive(warehouse="MAIN", actor="boss", lines=restock))
    report = await rule(uow, "low-stock", clock.now)
    assert (report.messages, report.attachments) == (1, 1)  # the card, and the list

    async def files(u: UnitOfWork) -> list[OutboxMessage]:
        rows = await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [r for r in rows if r.payload["msgtype"] == "file"]

    sent = await run(uow, files)
    skus = set()
    for row in sent:
        sheet = load_workbook(settings.data_dir / row.payload["file"]["path"]).worksheets[0]
        header = [c.value for c in sheet[1]]
        assert header[:2] == ["仓库", "商品编码"] and "建议采购" in header
        skus |= {r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"COKE", "MILK"} <= skus


async def test_a_run_counts_low_items_and_says_only_the_one_newly_low(
    chat_shop: UnitOfWork, clock: ManualClock
) -> None:
    async def add_items(u: UnitOfWork) -> None:
        for n in range(8):
            u.session.add(Item(sku=f"VEG{n}", name=f"蔬菜{n}", unit="kg", reorder_point=Decimal(9)))

    await run(chat_shop, add_items)
    lines = tuple(Line(f"VEG{n}", Decimal(n + 1)) for n in range(8)) + coke(12)
    await post(chat_shop, Receive(warehouse="MAIN", actor="boss", lines=lines))
    first = await rule(chat_shop, "low-stock", clock.now)
    assert len(first.alerted) == 8

    async def counts(u: UnitOfWork) -> list[tuple[str, int, int]]:
        bound = RULES["low-stock"].bind(u, clock.now + timedelta(minutes=30), AlertSettings())
        return [(c.warehouse, c.low, c.due) for c in await low_stock_scan(bound)]

    assert await run(chat_shop, counts) == [("MAIN", 8, 0)]
    await post(chat_shop, Sell(warehouse="MAIN", actor="clerk1", lines=coke(3)))
    assert await run(chat_shop, counts) == [("MAIN", 9, 1)]
    second = await rule(chat_shop, "low-stock", clock.now + timedelta(minutes=30))
    assert second.alerted == ["MAIN:COKE"]
    notes = await outbox(chat_shop, "low-stock")
    assert len(notes) == 2 and "1 个商品到了补货点" in notes[1].text
    assert "蔬菜" not in notes[1].text
    third = await rule(chat_shop, "low-stock", clock.now + timedelta(minutes=60))
    assert third.alerted == []
