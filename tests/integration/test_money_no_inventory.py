"""A trading company that keeps no stock: sales, purchases, partners, AR/AP and margin, but
no moves or balances; stock work refused with the reason; brokered deals (撮合)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import analytics, audit, catalog, ledger, money
from core.errors import InvalidInput
from core.ledger import Count, Line, Receive, Sell, Transfer, WriteOff
from core.storage import Item, StockBalance, StockMove, UnitOfWork
from core.views import Posted
from tests.support.ledger import run, seed_shop

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
