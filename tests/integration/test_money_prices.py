"""Customer prices: a sale takes the customer's list, then the item price; a typed price
below the list (beyond the warehouse tolerance) or below cost, or a sale past the credit
limit, waits for a manager on a card showing list price, typed price and cost.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core import approvals, catalog, ledger, money, orders
from core.common import ImportFailed, NeedsApproval, Posted
from core.ledger import Line, Receive, Sell
from core.storage import UnitOfWork
from tests.support.ledger import run, seed_shop
from tests.support.money import import_partners_and_prices

D = Decimal


@pytest.fixture
async def shop(uow: UnitOfWork, tmp_path: Path) -> UnitOfWork:
    await seed_shop(uow)
    await import_partners_and_prices(uow, tmp_path)
    receive = Receive(
        warehouse="MAIN",
        actor="mgr1",
        lines=(Line("COKE", D(500), D(2)), Line("SPRITE", D(100), D(2)), Line("MILK2", D(9), D(3))),
    )
    await run(uow, lambda u: ledger.submit(u, receive))
    return uow


def sale(*lines: Line, partner: str | None = "张三") -> Sell:
    return Sell(warehouse="MAIN", actor="clerk1", partner=partner, lines=lines)


async def submit(uow: UnitOfWork, command: Sell) -> Posted | NeedsApproval:
    return await run(uow, lambda u: ledger.submit(u, command))


async def test_sale_to_a_customer_takes_their_list_then_the_item_price(shop: UnitOfWork) -> None:
    result = await submit(
        shop, sale(Line("COKE", D(10)), Line("MILK2", D(1)), Line("SPRITE", D(2)))
    )
    assert isinstance(result, Posted)
    assert [ln.price for ln in result.document.lines] == [D("3.0"), D("5.0"), D("3.2")]


async def test_the_largest_quantity_break_reached_applies(shop: UnitOfWork) -> None:
    result = await submit(shop, sale(Line("COKE", D(120))))
    assert isinstance(result, Posted) and result.document.lines[0].price == D("2.8")


async def test_customer_without_a_list_and_cash_sales_pay_the_item_price(shop: UnitOfWork) -> None:
    for partner in ("李四", None):
        result = await submit(shop, sale(Line("COKE", D(1)), partner=partner))
        assert isinstance(result, Posted) and result.document.lines[0].price == D("3.5")


async def test_typed_price_below_the_list_waits_for_approval_with_the_prices_on_the_card(
    shop: UnitOfWork,
) -> None:
    result = await submit(shop, sale(Line("COKE", D(5), D("2.5"))))
    assert isinstance(result, NeedsApproval)
    approval = result.approval
    assert approval.subject == "price_below_list"
    assert "可乐 单价 ¥2.50 低于价目 批发 ¥3.00" in approval.reason
    changes = [(c.label, c.before, c.after) for c in approval.changes]
    assert ("可乐 单价（价目 批发 ¥3.00，成本 ¥2.00）", "¥3.00", "¥2.50") in changes
    decided = await run(shop, lambda u: approvals.decide(u, approval.number, "mgr1", approve=True))
    assert isinstance(decided.outcome, Posted)
    assert decided.outcome.document.lines[0].price == D("2.5")


async def test_typed_price_below_cost_names_both_reasons(shop: UnitOfWork) -> None:
    result = await submit(shop, sale(Line("COKE", D(5), D("1.5"))))
    assert isinstance(result, NeedsApproval)
    assert "低于价目 批发 ¥3.00" in result.approval.reason
    assert "低于成本 ¥2.00" in result.approval.reason


async def test_a_typed_price_at_or_above_the_list_posts(shop: UnitOfWork) -> None:
    assert isinstance(await submit(shop, sale(Line("COKE", D(5), D("3.0")))), Posted)
    assert isinstance(await submit(shop, sale(Line("COKE", D(5), D("3.3")))), Posted)


async def test_the_warehouse_tolerance_lets_a_small_discount_through(shop: UnitOfWork) -> None:
    await run(
        shop,
        lambda u: catalog.configure_warehouse(u, "boss", "MAIN", price_tolerance=D(20)),
    )
    assert isinstance(await submit(shop, sale(Line("COKE", D(5), D("2.4")))), Posted)
    assert isinstance(await submit(shop, sale(Line("COKE", D(5), D("2.39")))), NeedsApproval)


async def test_a_sale_past_the_credit_limit_waits_for_approval(shop: UnitOfWork) -> None:
    first = await submit(shop, sale(Line("COKE", D(300))))  # 300 × 2.8 = 840 ≤ 1000
    assert isinstance(first, Posted)
    second = await submit(shop, sale(Line("COKE", D(60))))  # 840 + 180 > 1000
    assert isinstance(second, NeedsApproval)
    assert second.approval.subject == "credit_limit"
    assert "张三 欠款 ¥840.00 加本单 ¥180.00 超过信用额度 ¥1,000.00" in second.approval.reason


async def test_price_rows_for_unknown_skus_are_refused_and_nothing_is_imported(
    shop: UnitOfWork, tmp_path: Path
) -> None:
    path = tmp_path / "bad_prices.csv"
    path.write_text("price_list,sku,price\n零售,COKE,3.9\n零售,NOPE,1\n零售,SPRITE,abc\n")
    with pytest.raises(ImportFailed) as failed:
        await run(shop, lambda u: money.import_prices(u, path, "cli"))
    assert failed.value.errors == [
        "第 3 行：没有编码为 NOPE 的商品（请先导入商品）",
        "第 4 行 price：“abc” 无法识别",
    ]
    result = await submit(shop, sale(Line("COKE", D(1)), partner="李四"))
    assert isinstance(result, Posted) and result.document.lines[0].price == D("3.5")


async def test_partner_rows_with_a_bad_credit_limit_are_refused(
    shop: UnitOfWork, tmp_path: Path
) -> None:
    path = tmp_path / "bad_partners.csv"
    path.write_text("code,name,kind,credit_limit\nC009,王五,customer,很多\nC010,赵六,vip,\n")
    with pytest.raises(ImportFailed) as failed:
        await run(shop, lambda u: money.import_partners(u, path, "cli"))
    assert failed.value.errors == [
        "第 2 行 credit_limit：“很多” 无法识别",
        "第 3 行：kind 只能是 customer、supplier 或 both（收到 vip）",
    ]


async def test_a_price_approval_refreshed_by_a_stock_change_still_shows_the_prices(
    shop: UnitOfWork,
) -> None:
    asked = await submit(shop, sale(Line("COKE", D(5), D("2.5"))))
    assert isinstance(asked, NeedsApproval)
    assert isinstance(await submit(shop, sale(Line("COKE", D(1)), partner=None)), Posted)
    number = asked.approval.number
    first = await run(shop, lambda u: approvals.decide(u, number, "mgr1", approve=True))
    assert first.refreshed  # the stock it saw moved: the manager decides on today's numbers
    assert "低于价目 批发 ¥3.00" in first.approval.reason
    labels = [c.label for c in first.approval.changes]
    assert "可乐 单价（价目 批发 ¥3.00，成本 ¥2.00）" in labels
    second = await run(shop, lambda u: approvals.decide(u, number, "mgr1", approve=True))
    assert isinstance(second.outcome, Posted)


async def test_a_pending_sale_that_now_passes_the_credit_limit_is_voided_on_approval(
    shop: UnitOfWork,
) -> None:
    asked = await submit(shop, sale(Line("COKE", D(5), D("2.5"))))  # below the list: 12.50
    assert isinstance(asked, NeedsApproval)
    assert isinstance(await submit(shop, sale(Line("COKE", D(355)))), Posted)  # 355 × 2.8 = 994
    number = asked.approval.number
    decided = await run(shop, lambda u: approvals.decide(u, number, "mgr1", approve=True))
    assert decided.refusal is not None and "现在还需另一种审批" in decided.refusal
    assert "超过信用额度" in decided.refusal


async def test_a_sales_order_takes_the_customers_list_then_the_item_price(
    shop: UnitOfWork,
) -> None:
    def order(partner: str | None, *lines: Line) -> orders.NewOrder:
        return orders.NewOrder(orders.SALES, "MAIN", "clerk1", partner, lines)

    wholesale = await run(
        shop,
        lambda u: orders.create_order(
            u, order("张三", Line("COKE", D(120)), Line("SPRITE", D(2)), Line("MILK2", D(1)))
        ),
    )
    # 批发: COKE 2.8 from 100, SPRITE 3.2; MILK2 is not on the list: its item price 5.0
    assert [ln.price for ln in wholesale.lines] == [D("2.8"), D("3.2"), D("5.0")]
    plain = await run(shop, lambda u: orders.create_order(u, order("李四", Line("COKE", D(1)))))
    cash = await run(shop, lambda u: orders.create_order(u, order(None, Line("COKE", D(1)))))
    assert plain.lines[0].price == cash.lines[0].price == D("3.5")
    typed = await run(
        shop, lambda u: orders.create_order(u, order("张三", Line("COKE", D(1), D("3.1"))))
    )
    assert typed.lines[0].price == D("3.1")
    shipped = await run(
        shop,
        lambda u: orders.ship(
            u, "mgr1", wholesale.number, "ship-1", unscanned=True, may_skip_scan=True
        ),
    )
    # shipped at the order's prices, which are the customer's: no approval is needed
    assert isinstance(shipped.result, Posted)
    assert [ln.price for ln in shipped.result.document.lines] == [D("2.8"), D("3.2"), D("5.0")]
