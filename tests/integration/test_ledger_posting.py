from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core import catalog, ledger
from core.common import (
    InsufficientStock,
    InvalidInput,
    NeedsApproval,
    NotFound,
    PermissionDenied,
    Posted,
)
from core.ledger import (
    Adjust,
    Count,
    Line,
    Receive,
    ReturnPurchase,
    ReturnSale,
    Sell,
    Transfer,
    WriteOff,
)
from core.storage import UnitOfWork
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop


@pytest.fixture
async def shop(uow: UnitOfWork) -> UnitOfWork:
    await seed_shop(uow)
    return uow


async def post(uow: UnitOfWork, cmd: object) -> Posted | NeedsApproval:
    return await run(uow, lambda u: ledger.submit(u, cmd))  # type: ignore[arg-type]


async def on_hand(uow: UnitOfWork, sku: str, warehouse: str = "MAIN") -> Decimal:
    stock = await run(uow, lambda u: ledger.stock_of(u, sku, warehouse))
    return stock.on_hand


def lines(*specs: tuple[str, str]) -> tuple[Line, ...]:
    return tuple(Line(sku, Decimal(qty)) for sku, qty in specs)


async def test_receipt_then_sale_leaves_the_difference(shop: UnitOfWork) -> None:
    received = await post(
        shop, Receive(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "24")))
    )
    assert isinstance(received, Posted)
    assert received.document.number.startswith("RK-20261126-")
    sold = await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "2"))))
    assert isinstance(sold, Posted)
    assert sold.document.number == "XS-20261126-0001"
    assert sold.document.total == Decimal("7.0")
    assert [b.qty for b in sold.balances] == [Decimal(22)]
    assert await on_hand(shop, "COKE") == Decimal(22)


async def test_multi_line_sale_with_customer_and_prices(shop: UnitOfWork) -> None:
    await post(
        shop,
        Receive(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "10"), ("SPRITE", "10"))),
    )
    sale = Sell(
        warehouse="MAIN",
        actor="clerk1",
        partner="张三",
        lines=(Line("COKE", Decimal(2), Decimal("4.0")), Line("SPRITE", Decimal(3))),
    )
    result = await post(shop, sale)
    assert isinstance(result, Posted)
    assert result.document.partner == "张三"
    assert result.document.total == Decimal("8.0") + Decimal("10.5")
    assert {b.sku: b.qty for b in result.balances} == {"COKE": 8, "SPRITE": 7}


async def test_sale_consumes_earliest_expiry_first(shop: UnitOfWork) -> None:
    await post(
        shop,
        Receive(
            warehouse="MAIN",
            actor="clerk1",
            lines=(
                Line("MILK", Decimal(5), lot="L2", expiry=date(2026, 12, 5)),
                Line("MILK", Decimal(5), lot="L1", expiry=date(2026, 11, 30)),
            ),
        ),
    )
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("MILK", "7"))))
    stock = await run(shop, lambda u: ledger.stock_of(u, "MILK"))
    assert [(b.lot, b.qty) for b in stock.warehouses[0].batches] == [("L2", Decimal(3))]


async def test_receipt_without_expiry_gets_one_from_shelf_life(shop: UnitOfWork) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="clerk1", lines=lines(("MILK", "4"))))
    stock = await run(shop, lambda u: ledger.stock_of(u, "MILK"))
    batch = stock.warehouses[0].batches[0]
    assert batch.expiry == date(2026, 12, 6)  # 2026-11-26 in Shanghai + 10 days


async def test_expired_batch_is_not_sold_without_approval(
    shop: UnitOfWork, clock: ManualClock
) -> None:
    await post(
        shop,
        Receive(
            warehouse="MAIN",
            actor="clerk1",
            lines=(Line("MILK", Decimal(3), lot="OLD", expiry=date(2026, 11, 27)),),
        ),
    )
    clock.advance(days=3)
    result = await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("MILK", "2"))))
    assert isinstance(result, NeedsApproval)
    assert result.approval.subject == "negative_stock" or "过期" in result.approval.reason
    assert "过期" in result.approval.reason
    assert await on_hand(shop, "MILK") == Decimal(3)


async def test_negative_stock_policy_approve_opens_a_request(shop: UnitOfWork) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "3"))))
    result = await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "5"))))
    assert isinstance(result, NeedsApproval)
    assert result.approval.subject == "negative_stock"
    assert "现有 3 瓶，需要 5 瓶" in result.approval.reason
    assert result.approval.document is not None
    assert result.approval.document.status == "pending"
    assert await on_hand(shop, "COKE") == Decimal(3)


async def test_negative_stock_policy_forbid_refuses_with_numbers(shop: UnitOfWork) -> None:

    await run(
        shop,
        lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy="forbid"),
    )
    await post(shop, Receive(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "3"))))
    with pytest.raises(InsufficientStock, match="现有 3 瓶，需要 5 瓶"):
        await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "5"))))
    assert await on_hand(shop, "COKE") == Decimal(3)


async def test_negative_stock_policy_allow_posts_below_zero(shop: UnitOfWork) -> None:

    await run(
        shop,
        lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy="allow"),
    )
    result = await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "2"))))
    assert isinstance(result, Posted)
    assert await on_hand(shop, "COKE") == Decimal(-2)


async def test_clerk_return_and_negative_sale_need_approval_but_manager_posts(
    shop: UnitOfWork,
) -> None:
    clerk_return = await post(
        shop, ReturnSale(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "1")))
    )
    negative_sale = await post(
        shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "-1")))
    )
    assert isinstance(clerk_return, NeedsApproval)
    assert isinstance(negative_sale, NeedsApproval)
    assert negative_sale.approval.subject == "clerk_return"
    manager_return = await post(
        shop, ReturnSale(warehouse="MAIN", actor="mgr1", lines=lines(("COKE", "1")))
    )
    assert isinstance(manager_return, Posted)
    assert await on_hand(shop, "COKE") == Decimal(1)


async def test_return_against_original_goes_back_into_the_sold_batch(shop: UnitOfWork) -> None:
    await post(
        shop,
        Receive(
            warehouse="MAIN",
            actor="clerk1",
            lines=(
                Line("MILK", Decimal(5), lot="L1", expiry=date(2026, 11, 30)),
                Line("MILK", Decimal(5), lot="L2", expiry=date(2026, 12, 9)),
            ),
        ),
    )
    sale = await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("MILK", "2"))))
    assert isinstance(sale, Posted)
    returned = await post(
        shop,
        ReturnSale(
            warehouse="MAIN",
            actor="mgr1",
            lines=lines(("MILK", "1")),
            original_number=sale.document.number,
        ),
    )
    assert isinstance(returned, Posted)
    stock = await run(shop, lambda u: ledger.stock_of(u, "MILK"))
    assert {b.lot: b.qty for b in stock.warehouses[0].batches} == {"L1": 4, "L2": 5}


async def test_writeoff_above_value_threshold_needs_approval(shop: UnitOfWork) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "200"))))
    small = await post(shop, WriteOff(warehouse="MAIN", actor="mgr1", lines=lines(("COKE", "5"))))
    big = await post(shop, WriteOff(warehouse="MAIN", actor="mgr1", lines=lines(("COKE", "150"))))
    assert isinstance(small, Posted)
    assert isinstance(big, NeedsApproval)
    assert "报损金额 ¥300.00 超过审批阈值 ¥200.00" in big.approval.reason
    assert await on_hand(shop, "COKE") == Decimal(195)


async def test_adjustment_signed_and_threshold(shop: UnitOfWork) -> None:
    up = await post(shop, Adjust(warehouse="MAIN", actor="mgr1", lines=lines(("COKE", "5"))))
    down = await post(shop, Adjust(warehouse="MAIN", actor="mgr1", lines=lines(("COKE", "-2"))))
    big = await post(shop, Adjust(warehouse="MAIN", actor="mgr1", lines=lines(("COKE", "500"))))
    assert isinstance(up, Posted) and isinstance(down, Posted)
    assert isinstance(big, NeedsApproval)
    assert await on_hand(shop, "COKE") == Decimal(3)


async def test_count_posts_the_variance(shop: UnitOfWork) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "24"))))
    counted = await post(shop, Count(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "23"))))
    assert isinstance(counted, Posted)
    assert await on_hand(shop, "COKE") == Decimal(23)
    more = await post(shop, Count(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "30"))))
    assert isinstance(more, Posted)
    assert await on_hand(shop, "COKE") == Decimal(30)


async def test_transfer_moves_batches_between_warehouses(shop: UnitOfWork) -> None:
    await post(
        shop,
        Receive(
            warehouse="MAIN",
            actor="clerk1",
            lines=(Line("MILK", Decimal(6), lot="L1", expiry=date(2026, 12, 1)),),
        ),
    )
    result = await post(
        shop,
        Transfer(warehouse="MAIN", to_warehouse="B1", actor="boss", lines=lines(("MILK", "4"))),
    )
    assert isinstance(result, Posted)
    assert {(b.warehouse, b.qty) for b in result.balances} == {("MAIN", 2), ("B1", 4)}
    stock = await run(shop, lambda u: ledger.stock_of(u, "MILK", "B1"))
    assert stock.warehouses[0].batches[0].lot == "L1"


async def test_purchase_return_leaves_stock(shop: UnitOfWork) -> None:
    await post(
        shop,
        Receive(
            warehouse="MAIN", actor="clerk1", partner="可口可乐公司", lines=lines(("COKE", "24"))
        ),
    )
    result = await post(
        shop,
        ReturnPurchase(
            warehouse="MAIN", actor="clerk1", partner="可口可乐公司", lines=lines(("COKE", "4"))
        ),
    )
    assert isinstance(result, Posted)
    assert await on_hand(shop, "COKE") == Decimal(20)


async def test_same_idempotency_key_returns_the_first_result(shop: UnitOfWork) -> None:
    cmd = Receive(
        warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "24")), idempotency_key="msg:1"
    )
    first = await post(shop, cmd)
    second = await post(shop, cmd)
    assert isinstance(first, Posted) and isinstance(second, Posted)
    assert second.replayed and second.document.number == first.document.number
    assert second.balances == first.balances
    assert await on_hand(shop, "COKE") == Decimal(24)


@pytest.mark.parametrize(
    ("sku", "qty", "error", "message"),
    [
        ("COKE", "0", InvalidInput, "数量不能为 0"),
        ("COKE", "1.5", InvalidInput, "只能是整数"),
        ("APPLE", "1.2345", InvalidInput, "最多 3 位小数"),
        ("NOPE", "1", NotFound, "NOPE"),
    ],
)
async def test_bad_lines_are_refused_and_change_nothing(
    shop: UnitOfWork, sku: str, qty: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        await post(shop, Receive(warehouse="MAIN", actor="clerk1", lines=lines((sku, qty))))
    page = await run(shop, lambda u: ledger.list_documents(u, ledger.DocumentFilter()))
    assert page.rows == ()


async def test_unknown_user_auditor_and_foreign_warehouse_are_refused(shop: UnitOfWork) -> None:
    for actor, warehouse, message in [
        ("stranger", "MAIN", "联系管理员开通"),
        ("audit", "MAIN", "审计"),
        ("mgr2", "MAIN", "没有仓库 MAIN"),
    ]:
        with pytest.raises(PermissionDenied, match=message):
            await post(shop, Receive(warehouse=warehouse, actor=actor, lines=lines(("COKE", "1"))))


async def test_negative_stock_of_a_shelf_life_item_keeps_one_default_batch_across_days(
    shop: UnitOfWork, clock: ManualClock
) -> None:

    await run(
        shop,
        lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy="allow"),
    )
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("MILK", "2"))))
    clock.advance(days=1)
    await post(shop, Sell(warehouse="MAIN", actor="clerk1", lines=lines(("MILK", "1"))))
    stock = await run(shop, lambda u: ledger.stock_of(u, "MILK"))
    assert [(b.lot, b.expiry, b.qty) for b in stock.warehouses[0].batches] == [("", None, -3)]


async def test_a_transfer_is_listed_for_both_stores(shop: UnitOfWork) -> None:
    await post(shop, Receive(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "5"))))
    moved = await post(
        shop,
        Transfer(warehouse="MAIN", to_warehouse="B1", actor="boss", lines=lines(("COKE", "2"))),
    )
    assert isinstance(moved, Posted)
    for store in ("MAIN", "B1"):
        page = await run(
            shop,
            lambda u, s=store: ledger.list_documents(
                u, ledger.DocumentFilter(warehouses=(s,), type="transfer")
            ),
        )
        assert [d.number for d in page.rows] == [moved.document.number]


async def test_audit_chain_verifies_when_the_clock_is_not_in_utc(shop: UnitOfWork) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core import audit

    shanghai = shop.with_clock(
        lambda: datetime(2026, 11, 26, 16, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    await post(shanghai, Receive(warehouse="MAIN", actor="clerk1", lines=lines(("COKE", "1"))))
    assert await run(shop, audit.first_problem) is None
