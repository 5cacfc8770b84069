"""A trading company that keeps no stock: sales, purchases, partners, AR/AP and margin, but
no moves or balances; stock work refused with the reason; brokered deals (撮合)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import analytics, audit, catalog, ledger, money, presets
from core.common import InvalidInput, Posted
from core.ledger import Count, Line, Receive, Sell, Transfer, WriteOff
from core.storage import Item, StockBalance, StockMove, UnitOfWork
from tests.support.chat import Chat, ChatFactory
from tests.support.ledger import run, seed_shop
from tests.support.money import import_partners_and_prices

D = Decimal
TODAY, TOMORROW = date(2026, 11, 26), date(2026, 11, 27)


@pytest.fixture
async def trader(uow: UnitOfWork) -> UnitOfWork:
    await seed_shop(uow)

    async def setup(u: UnitOfWork) -> None:
        await catalog.add_warehouse(u, "boss", "TR", "贸易部")
        await catalog.configure_warehouse(u, "boss", "TR", mode="no_inventory")
        await catalog.save_user(u, "boss", "trader1", "小陈", "clerk", ["TR"])
        u.session.add(
            Item(sku="SOY", name="大豆", unit="吨", unit_precision=3, price=D(4100), cost=D(4000))
        )

    await run(uow, setup)
    return uow


async def moves_and_balances(uow: UnitOfWork) -> tuple[int, int]:
    async def count(u: UnitOfWork) -> tuple[int, int]:
        moves = await u.session.scalar(select(func.count()).select_from(StockMove))
        balances = await u.session.scalar(select(func.count()).select_from(StockBalance))
        return int(moves or 0), int(balances or 0)

    return await run(uow, count)


async def test_trade_without_stock_books_money_and_margin_but_no_moves(
    trader: UnitOfWork,
) -> None:
    header = {"warehouse": "TR", "actor": "trader1"}
    bought = await run(
        trader,
        lambda u: ledger.submit(
            u, Receive(**header, partner="大豆供应商", lines=(Line("SOY", D(10), D(4000)),))
        ),
    )
    sold = await run(
        trader,
        lambda u: ledger.submit(
            u, Sell(**header, partner="粮油公司", lines=(Line("SOY", D("2.5"), D(4400)),))
        ),
    )
    assert isinstance(bought, Posted) and isinstance(sold, Posted)
    assert sold.balances == () and bought.balances == ()
    assert await moves_and_balances(trader) == (0, 0)
    receivable = await run(trader, lambda u: money.ageing(u, "ar"))
    payable = await run(trader, lambda u: money.ageing(u, "ap"))
    assert [(r.name, r.balance) for r in receivable.rows] == [("粮油公司", D("11000.00"))]
    assert [(r.name, r.balance) for r in payable.rows] == [("大豆供应商", D("40000.00"))]
    report = await run(trader, lambda u: money.margin(u, TODAY, TOMORROW, "item"))
    assert [(r.key, r.revenue, r.cost, r.margin) for r in report.rows] == [
        ("大豆", D("11000.00"), D("10000.00"), D("1000.00"))  # cost at the item's 4000
    ]
    assert await run(trader, audit.first_problem) is None


@pytest.mark.parametrize(
    ("command", "word"),
    [
        (Count(warehouse="TR", actor="trader1", lines=(Line("SOY", D(3)),)), "盘点"),
        (WriteOff(warehouse="TR", actor="trader1", lines=(Line("SOY", D(1)),)), "报损"),
        (
            Transfer(
                warehouse="MAIN", actor="mgr1", to_warehouse="TR", lines=(Line("COKE", D(1)),)
            ),
            "调拨",
        ),
    ],
)
async def test_stock_work_is_refused_with_the_reason(
    trader: UnitOfWork, command: Count | WriteOff | Transfer, word: str
) -> None:
    with pytest.raises(InvalidInput, match=f"是无库存模式.*不能{word}"):
        await run(trader, lambda u: ledger.submit(u, command))
    assert await moves_and_balances(trader) == (0, 0)


def soy_deal(warehouse: str = "TR", key: str | None = "msg:deal") -> money.Broker:
    return money.Broker(
        warehouse=warehouse,
        actor="trader1" if warehouse == "TR" else "mgr1",
        customer="客户甲",
        supplier="供应商乙",
        item="SOY",
        qty=D(10),
        sale_price=D(4200),
        purchase_price=D(4100),
        idempotency_key=key,
    )


async def test_a_brokered_deal_links_sale_and_purchase_with_its_commission(
    trader: UnitOfWork,
) -> None:
    view = await run(trader, lambda u: money.broker(u, soy_deal()))
    assert view.number == "CH-20261126-0001"
    assert (view.revenue, view.cost, view.margin) == (D("42000.00"), D("41000.00"), D("1000.00"))
    again = await run(trader, lambda u: money.broker(u, soy_deal()))
    assert again.replayed and again.number == view.number
    report = await run(trader, lambda u: money.margin(u, TODAY, TOMORROW, "customer"))
    assert [(r.key, r.margin) for r in report.rows] == [("客户甲", D("1000.00"))]
    receivable = await run(trader, lambda u: money.ageing(u, "ar"))
    payable = await run(trader, lambda u: money.ageing(u, "ap"))
    assert receivable.total == D(42000) and payable.total == D(41000)
    assert await moves_and_balances(trader) == (0, 0)


async def test_a_deal_is_refused_where_stock_is_kept(trader: UnitOfWork) -> None:
    with pytest.raises(InvalidInput, match="仓库 MAIN 记库存，撮合只用于无库存模式的仓库"):
        await run(trader, lambda u: money.broker(u, soy_deal("MAIN")))
    assert await run(trader, lambda u: money.ageing(u, "ar")) == money.Ageing("ar", ())


async def test_no_stock_alert_levels_exist_for_a_warehouse_without_stock(
    trader: UnitOfWork,
) -> None:
    sale = Sell(warehouse="TR", actor="trader1", partner="粮油公司", lines=(Line("SOY", D(5)),))
    await run(trader, lambda u: ledger.submit(u, sale))
    levels = await run(trader, lambda u: analytics.stock_levels(u))
    expiring = await run(trader, lambda u: analytics.batches_expiring_by(u, date(2030, 1, 1)))
    assert [lv for lv in levels if lv.warehouse == "TR"] == []
    assert [b for b in expiring if b.warehouse == "TR"] == []


async def test_a_warehouse_holding_stock_cannot_stop_keeping_it(trader: UnitOfWork) -> None:
    receive = Receive(warehouse="B1", actor="mgr2", lines=(Line("COKE", D(3)),))
    await run(trader, lambda u: ledger.submit(u, receive))
    with pytest.raises(InvalidInput, match="仓库 B1 还有库存，请先盘点清零"):
        await run(
            trader, lambda u: catalog.configure_warehouse(u, "boss", "B1", mode="no_inventory")
        )
    count = Count(warehouse="B1", actor="mgr2", lines=(Line("COKE", D(0)),))
    await run(trader, lambda u: ledger.submit(u, count))
    view = await run(
        trader, lambda u: catalog.configure_warehouse(u, "boss", "B1", mode="no_inventory")
    )
    assert view.code == "B1"


@pytest.fixture
async def no_inventory_shop(uow: UnitOfWork, chat_factory: ChatFactory, tmp_path: Path) -> Chat:
    """The test shop set up with ``jxc init --preset no-inventory``, partners and a price list."""
    await seed_shop(uow)
    await import_partners_and_prices(uow, tmp_path)
    await run(uow, lambda u: presets.apply_preset(u, "boss", "no-inventory"))
    return chat_factory(uow)


async def test_a_no_inventory_shop_from_its_preset_by_chat(no_inventory_shop: Chat) -> None:
    chat = no_inventory_shop
    bought = await chat.say("mgr1", "入库 可乐 100 单价 2.2 供应商 可口可乐")
    assert "已过账 入库单 RK-20261126-0001" in bought and "可口可乐 现应付 ¥220.00" in bought
    assert "库存：" not in bought
    sold = await chat.say("clerk1", "销售 客户张三: 可乐 20")
    assert "可乐 20 瓶 × ¥3.00 = ¥60.00" in sold and "张三 现应收 ¥60.00" in sold
    assert "库存：" not in sold
    ordered = await chat.say("clerk1", "订单 客户张三: 可乐 10")
    assert "可乐 10 瓶 × ¥3.00" in ordered
    assert "MAIN 不记库存：发货时请发：发货 DD-20261126-0001" in ordered
    looked_up = await chat.say("clerk1", "查 可乐")
    assert "可乐（COKE）售价 ¥3.50" in looked_up and "价目 批发：¥3.00" in looked_up
    assert "销售订单 DD-20261126-0001 张三：未发 10 瓶" in looked_up
    assert "MAIN 为无库存模式" in looked_up
    shipped = await chat.say("clerk1", "发货 DD-20261126-0001")  # nothing to pick: all of it
    assert "已发货：销售单 XS-20261126-0002（DD-20261126-0001）" in shipped
    assert "张三 现应收 ¥90.00" in shipped
    assert "没有未完成的订单或待审批的单据" in await chat.say("clerk1", "查 可乐")
    paid = await chat.say("clerk1", "收款 张三 50 微信")
    assert "张三 现应收 ¥40.00" in paid
    assert "张三：¥40.00" in await chat.say("clerk1", "应收")
    assert "可口可乐 现应付 ¥120.00" in await chat.say("mgr1", "付款 可口可乐 100 转账")
    await chat.say("mgr1", "采购 供应商可口可乐: 可乐 50 @2.1")
    assert "不能扫码收货" in await chat.say("mgr1", "收货 CG-20261126-0001")
    received = await chat.say("mgr1", "入库 CG-20261126-0001")  # nothing to scan: all of it
    assert "已入库：入库单 RK-20261126-0002（CG-20261126-0001）" in received
    assert "可口可乐 现应付 ¥225.00" in received  # 120 + 50 × 2.1
    margin = await chat.say("mgr1", "毛利 本月 按 客户")
    # 30 bottles sold for 90.00 at the item's cost when posted, 2.00 each
    assert "张三：销售额 ¥90.00，成本 ¥60.00，毛利 ¥30.00" in margin
    for command, refused in (
        ("盘点 可乐 3", "不能盘点"),
        ("报损 可乐 1", "不能报损"),
        ("盘点 饮料", "不能盘点"),
        ("调拨 可乐 1 到 B1", "不能调拨"),
    ):
        reply = await chat.say("mgr1", command)
        assert "仓库 MAIN 是无库存模式" in reply and refused in reply, command
    await chat.say("clerk1", "订单 客户张三: 可乐 1")
    picking = await chat.say("clerk1", "拣货 DD-20261126-0002")
    assert "不能扫码拣货；直接发送 发货 DD-20261126-0002" in picking
    shown = await chat.say("clerk1", "帮助")
    assert "撮合/broker" in shown and "盘点/count" not in shown and "报损/writeoff" not in shown
    assert await moves_and_balances(chat.uow) == (0, 0)
    assert await run(chat.uow, audit.first_problem) is None


async def test_the_no_inventory_preset_is_refused_while_a_warehouse_holds_stock(
    uow: UnitOfWork,
) -> None:
    await seed_shop(uow)
    receipt = Receive(warehouse="MAIN", actor="mgr1", lines=(Line("COKE", D(5), D(2)),))
    await run(uow, lambda u: ledger.submit(u, receipt))
    with pytest.raises(InvalidInput, match="仓库 MAIN 还有库存，请先盘点清零或调拨出去"):
        await run(uow, lambda u: presets.apply_preset(u, "boss", "no-inventory"))
    assert await run(uow, presets.current_profile) is None
    assert await moves_and_balances(uow) == (1, 1)
