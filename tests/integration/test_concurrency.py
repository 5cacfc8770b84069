"""Two clerks selling the last unit never both succeed (DESIGN §4, concurrency)."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from core import audit, catalog, ledger
from core.common import InsufficientStock, NeedsApproval, Posted
from core.ledger import Line, Receive, Sell
from core.storage import UnitOfWork
from tests.support.ledger import run, seed_shop

CLERKS = ("clerk1", "clerk2")


async def sell_one(uow: UnitOfWork, n: int) -> Posted | NeedsApproval | InsufficientStock:
    cmd = Sell(
        warehouse="MAIN",
        actor=CLERKS[n % 2],
        lines=(Line("COKE", Decimal(1)),),
        idempotency_key=f"sale:{n}",
    )
    try:
        return await run(uow, lambda u: ledger.submit(u, cmd))
    except InsufficientStock as refused:
        return refused


async def fifty_sales_of_ten_units(uow: UnitOfWork, policy: str) -> list[object]:
    await seed_shop(uow)
    await run(
        uow,
        lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy=policy),
    )
    await run(
        uow,
        lambda u: ledger.submit(
            u, Receive(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(10)),))
        ),
    )
    return list(await asyncio.gather(*(sell_one(uow, n) for n in range(50))))


@pytest.mark.parametrize("policy", ["approve", "forbid"])
async def test_fifty_concurrent_sales_of_the_last_ten_units_sell_exactly_ten(
    uow: UnitOfWork, policy: str
) -> None:
    outcomes = await fifty_sales_of_ten_units(uow, policy)
    posted = [o for o in outcomes if isinstance(o, Posted)]
    assert len(posted) == 10
    others = [o for o in outcomes if not isinstance(o, Posted)]
    expected = NeedsApproval if policy == "approve" else InsufficientStock
    assert len(others) == 40 and all(isinstance(o, expected) for o in others)
    stock = await run(uow, lambda u: ledger.stock_of(u, "COKE"))
    assert stock.on_hand == Decimal(0)
    assert len({p.document.number for p in posted}) == 10
    assert await run(uow, audit.first_problem) is None


async def test_concurrent_first_receipts_of_a_new_lot_all_post(uow: UnitOfWork) -> None:
    """They race to insert the same batch and balance rows; the losers are retried, typed."""
    await seed_shop(uow)

    def receipt(n: int) -> Receive:
        line = Line("COKE", Decimal(1), lot="L-NEW", expiry=date(2027, 1, 1))
        return Receive(
            warehouse="MAIN", actor=CLERKS[n % 2], lines=(line,), idempotency_key=f"r:{n}"
        )

    outcomes = await asyncio.gather(
        *(run(uow, lambda u, n=n: ledger.submit(u, receipt(n))) for n in range(20))
    )
    assert all(isinstance(o, Posted) for o in outcomes)
    stock = await run(uow, lambda u: ledger.stock_of(u, "COKE"))
    assert stock.on_hand == Decimal(20)
    assert await run(uow, audit.first_problem) is None
