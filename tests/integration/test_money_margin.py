"""Margin of the known history (tests/support/money.py), worked out by hand:

COKE  revenue 30 + 60 + 280 + 14 − 5.60 = 378.40; cost (10+20+100+4−2) × 2.20 (batch cost,
      not the item's 2.00) = 290.40; write-off 1 × 2.20; margin 85.80
SPRITE revenue 5 × 3.20 = 16.00; cost 5 × 2.10 = 10.50; margin 5.50
张三 revenue 380.40, cost 128 × 2.20 + 10.50 = 292.10, margin 88.30; 李四 14.00 − 8.80 = 5.20;
the write-off −2.20 on its own line. Total margin 91.30.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core import money
from core.storage import UnitOfWork
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop
from tests.support.money import build_history, import_partners_and_prices

D = Decimal
AUG, END = date(2026, 8, 1), date(2026, 11, 27)


@pytest.fixture
async def history(uow: UnitOfWork, clock: ManualClock, tmp_path: Path) -> dict[str, str]:
    await seed_shop(uow)
    await import_partners_and_prices(uow, tmp_path)
    return await build_history(uow, clock, tmp_path)


def rows(report: money.MarginReport) -> dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]:
    return {r.key: (r.revenue, r.cost, r.write_off, r.margin) for r in report.rows}


async def test_margin_by_item_uses_batch_cost_and_counts_returns_and_write_offs(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    report = await run(uow, lambda u: money.margin(u, AUG, END, "item"))
    assert rows(report) == {
        "可乐": (D("378.40"), D("290.40"), D("2.20"), D("85.80")),
        "雪碧": (D("16.00"), D("10.50"), D(0), D("5.50")),
    }
    assert report.total.margin == D("91.30")


async def test_margin_by_customer_keeps_write_offs_apart(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    report = await run(uow, lambda u: money.margin(u, AUG, END, "customer"))
    assert rows(report) == {
        "张三": (D("380.40"), D("292.10"), D(0), D("88.30")),
        "李四": (D("14.00"), D("8.80"), D(0), D("5.20")),
        money.WRITE_OFFS: (D(0), D(0), D("2.20"), D("-2.20")),
    }


async def test_margin_by_category_and_clerk_add_up_to_the_same_total(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    by_category = await run(uow, lambda u: money.margin(u, AUG, END, "category"))
    assert [r.key for r in by_category.rows] == ["饮料"]
    by_clerk = await run(uow, lambda u: money.margin(u, AUG, END, "clerk"))
    assert {r.key: r.margin for r in by_clerk.rows} == {
        "小王": D("94.70"),  # the four sales: 400.00 − 134 × 2.20 − 5 × 2.10
        "李姐": D("-3.40"),  # the return (−5.60 revenue, −4.40 cost) and the write-off 2.20
    }
    assert by_clerk.total.margin == by_category.total.margin == D("91.30")


async def test_margin_window_is_shop_local_days(uow: UnitOfWork, history: dict[str, str]) -> None:
    november = await run(uow, lambda u: money.margin(u, date(2026, 11, 1), END, "item"))
    assert rows(november)["可乐"] == (D("8.40"), D("4.40"), D("2.20"), D("1.80"))


async def test_margin_of_one_warehouse_leaves_the_others_out(
    uow: UnitOfWork, history: dict[str, str]
) -> None:
    main = await run(uow, lambda u: money.margin(u, AUG, END, "item", "main"))
    assert main.total.margin == D("91.30")
    other = await run(uow, lambda u: money.margin(u, AUG, END, "item", "B1"))
    assert other.rows == ()
