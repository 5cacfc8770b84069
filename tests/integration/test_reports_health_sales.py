"""The health check's sales pass over the money history (tests/support/money.py) plus one sale
below cost in B1, worked out by hand:

MAIN  08-01 XS-A 46.00, 09-20 XS-B 60.00, 10-15 XS-C 280.00, 11-20 XS-D 14.00, 11-26 XT −5.60
B1    11-26 XS 3 kg APPLE at 5.00 (cost 8.00) = 15.00, below cost by 9.00
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core import money, reports
from core.ledger import Line, Receive, Sell
from core.storage import UnitOfWork
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
