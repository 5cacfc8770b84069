"""The health check's sales pass and negative-stock finding over the money history
(tests/support/money.py) plus one sale below cost in B1, worked out by hand:

MAIN  08-01 XS-A 46.00, 09-20 XS-B 60.00, 10-15 XS-C 280.00, 11-20 XS-D 14.00, 11-26 XT −5.60
B1    11-26 XS 3 kg APPLE at 5.00 (cost 8.00) = 15.00, below cost by 9.00

Negative stock, MAIN allowing it: APPLE 11-27 in 2, out 7 → −5; 11-28 in 10 → 5; 11-29 out 6
→ −1. From 11-28 on only 11-29 took stock below zero, and only counting 11-27's −5 says so.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from core import money, reports
from core.ledger import Line, Receive, Sell
from core.storage import UnitOfWork, Warehouse
from tests.support.clock import ManualClock
from tests.support.ledger import run, seed_shop
from tests.support.money import at, build_history, import_partners_and_prices, post

D = Decimal
AUG, END = date(2026, 8, 1), date(2026, 11, 26)
MAIN_DAYS = {
    date(2026, 8, 1): D("46.00"),
    date(2026, 9, 20): D("60.00"),
    date(2026, 10, 15): D("280.00"),
    date(2026, 11, 20): D("14.00"),
}


@pytest.fixture
async def history(uow: UnitOfWork, clock: ManualClock, tmp_path: Path) -> str:
    await seed_shop(uow)
    await import_partners_and_prices(uow, tmp_path)
    await build_history(uow, clock, tmp_path)
    clock.now = at(11, 26)
    branch = {"warehouse": "B1", "actor": "mgr2"}
    await post(uow, Receive(**branch, partner="可口可乐", lines=(Line("APPLE", D(10), D(8)),)))
    return await post(uow, Sell(**branch, lines=(Line("APPLE", D(3), D(5)),)))


async def _health(uow: UnitOfWork, warehouse: str | None) -> reports.HealthReport:
    period = reports.Period.of(AUG, END, uow.tz)
    return await run(uow, lambda u: reports.health_check(u, period, warehouse))


async def test_sales_pass_tallies_sales_returns_days_and_categories_of_every_warehouse(
    uow: UnitOfWork, history: str
) -> None:
    report = await _health(uow, None)
    assert (report.sales, report.returns, report.sale_documents) == (D("415.00"), D("5.60"), 5)
    assert {day: v for day, v in report.daily_sales.items() if v} == {
        **MAIN_DAYS,
        END: D("9.40"),  # B1's 15.00 less MAIN's return 5.60
    }
    assert len(report.daily_sales) == (END - AUG).days + 1
    assert {c: t.sales for c, t in report.losses.items()} == {"饮料": D("394.40"), "水果": D(15)}
    [below] = report.findings_of("低于成本销售")
    found = (below.warehouse, below.reference, below.sku, below.value)
    assert found == ("B1", history, "APPLE", D(9))
    assert below.detail == "售价 5.00 < 成本 8.00，数量 3"


async def test_sales_pass_of_one_warehouse_keeps_only_its_lines(
    uow: UnitOfWork, history: str
) -> None:
    main = await _health(uow, "MAIN")
    assert (main.sales, main.returns, main.sale_documents) == (D(400), D("5.60"), 4)
    assert {day: v for day, v in main.daily_sales.items() if v} == {**MAIN_DAYS, END: D("-5.60")}
    assert main.findings_of("低于成本销售") == []
    branch = await _health(uow, "B1")
    assert (branch.sales, branch.returns, branch.sale_documents) == (D(15), D(0), 1)
    assert {c: t.sales for c, t in branch.losses.items()} == {"水果": D(15)}


async def test_margins_in_one_pass_equal_each_grouping_on_its_own(
    uow: UnitOfWork, history: str
) -> None:
    end = END + timedelta(days=1)
    groupings = tuple(money.GROUPINGS)
    together = await run(uow, lambda u: money.margins(u, AUG, end, groupings))
    for by in groupings:
        alone = await run(uow, lambda u, by=by: money.margin(u, AUG, end, by))
        assert together[by] == alone
    assert together["category"].total.margin == together["item"].total.margin
    for warehouse in ("MAIN", "B1"):
        one = await run(uow, lambda u, w=warehouse: money.margins(u, AUG, end, groupings, w))
        assert one["item"] == await run(
            uow, lambda u, w=warehouse: money.margin(u, AUG, end, "item", w)
        )


async def test_negative_stock_is_found_from_the_balance_carried_into_the_period(
    uow: UnitOfWork, clock: ManualClock, history: str
) -> None:
    async def allow(u: UnitOfWork) -> None:
        await u.session.execute(
            update(Warehouse).where(Warehouse.code == "MAIN").values(negative_stock_policy="allow")
        )

    await run(uow, allow)
    main = {"warehouse": "MAIN", "actor": "mgr1"}
    steps = [(27, Receive, 2), (27, Sell, 7), (28, Receive, 10), (29, Sell, 6)]
    numbers = []
    for day, kind, qty in steps:
        clock.now = at(11, day)
        extra = {"partner": "可口可乐"} if kind is Receive else {}
        line = Line("APPLE", D(qty), D(8) if kind is Receive else None)
        numbers.append(await post(uow, kind(**main, **extra, lines=(line,))))

    async def negative(first: date, warehouse: str | None) -> list[tuple[str, str, Decimal]]:
        period = reports.Period.of(first, date(2026, 11, 30), uow.tz)
        report = await run(uow, lambda u: reports.health_check(u, period, warehouse))
        return [(f.reference, f.detail, f.value) for f in report.findings_of("负库存")]

    late = (numbers[3], "出库后库存 -1 kg", D(-8))
    assert await negative(date(2026, 11, 28), None) == [late]
    assert await negative(date(2026, 11, 28), "MAIN") == [late]
    assert await negative(date(2026, 11, 28), "B1") == []
    assert await negative(AUG, None) == [(numbers[1], "出库后库存 -5 kg", D(-40)), late]
