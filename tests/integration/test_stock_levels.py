"""The stock level rows: kept in step by posting and approvals, checked by ``jxc audit verify``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from core import analytics, approvals, audit, ledger
from core.analytics import Said, StockLevel
from core.common import NeedsApproval
from core.ledger import Line, Receive, Sell
from core.storage import Item, StockLevelRow, UnitOfWork, Warehouse, alembic_config, upgrade
from tests.support.ledger import run, seed_shop


@pytest.fixture
async def shop(uow: UnitOfWork) -> UnitOfWork:
    await seed_shop(uow)
    receipt = Receive(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(12)),))
    await run(uow, lambda u: ledger.submit(u, receipt))
    return uow


async def level(uow: UnitOfWork, sku: str) -> tuple[Decimal, Decimal, Decimal]:
    async def read(u: UnitOfWork) -> tuple[Decimal, Decimal, Decimal]:
        row = (
            await u.session.execute(
                select(StockLevelRow.on_hand, StockLevelRow.reserved, StockLevelRow.headroom)
                .join(Item, Item.id == StockLevelRow.item_id)
                .where(Item.sku == sku)
            )
        ).one()
        return row[0], row[1], row[2]

    return await run(uow, read)


async def low_levels(u: UnitOfWork) -> list[StockLevel]:
    """What the low-stock alert would say now, with nothing said before."""
    return await analytics.low_stock_due(u, Said("low-stock", "low", u.now()), "MAIN")


async def test_posting_keeps_on_hand_and_headroom_in_step(shop: UnitOfWork) -> None:
    assert await level(shop, "COKE") == (Decimal(12), Decimal(0), Decimal(2))  # point 10
    sale = Sell(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(3)),))
    await run(shop, lambda u: ledger.submit(u, sale))
    assert await level(shop, "COKE") == (Decimal(9), Decimal(0), Decimal(-1))
    low = await run(shop, low_levels)
    assert [(lv.sku, lv.on_hand) for lv in low] == [("COKE", Decimal(9))]
    assert await run(shop, audit.first_problem) is None


async def test_a_pending_sale_reserves_until_it_is_rejected(shop: UnitOfWork) -> None:
    big = Sell(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(20)),))
    pending = await run(shop, lambda u: ledger.submit(u, big))
    assert isinstance(pending, NeedsApproval)
    assert await level(shop, "COKE") == (Decimal(12), Decimal(20), Decimal(-18))
    assert await run(shop, audit.first_problem) is None
    number = pending.approval.number
    await run(shop, lambda u: approvals.decide(u, number, "mgr1", approve=False))
    assert await level(shop, "COKE") == (Decimal(12), Decimal(0), Decimal(2))
    assert await run(shop, audit.first_problem) is None


async def test_an_approved_pending_sale_moves_its_reservation_to_on_hand(shop: UnitOfWork) -> None:
    big = Sell(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(20)),))
    pending = await run(shop, lambda u: ledger.submit(u, big))
    assert isinstance(pending, NeedsApproval)
    number = pending.approval.number
    await run(shop, lambda u: approvals.decide(u, number, "mgr1", approve=True))
    assert await level(shop, "COKE") == (Decimal(-8), Decimal(0), Decimal(-18))
    assert await run(shop, audit.first_problem) is None


@pytest.mark.parametrize("column", ["on_hand", "reserved", "reorder_point"])
async def test_audit_verify_catches_an_edited_stock_level(shop: UnitOfWork, column: str) -> None:
    async def edit(u: UnitOfWork) -> None:
        column_ = getattr(StockLevelRow, column)
        await u.session.execute(update(StockLevelRow).values({column_: column_ + 1}))

    await run(shop, edit)
    problem = await run(shop, audit.first_problem)
    assert problem is not None
    assert problem.table == "stock_levels" and column in problem.detail


async def test_audit_verify_catches_a_missing_stock_level(shop: UnitOfWork) -> None:
    async def drop(u: UnitOfWork) -> None:
        await u.session.execute(StockLevelRow.__table__.delete())

    await run(shop, drop)
    problem = await run(shop, audit.first_problem)
    assert problem is not None and problem.table == "stock_levels"


async def test_migration_0008_backfills_levels_and_expiry_from_the_ledger(
    engine: AsyncEngine, shop: UnitOfWork
) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    before_0008 = script.get_revision("0008").down_revision
    assert isinstance(before_0008, str)
    milk = Receive(
        warehouse="B1",
        actor="boss",
        lines=(Line("MILK", Decimal(4), expiry=date(2026, 12, 5)),),
    )
    await run(shop, lambda u: ledger.submit(u, milk))
    big = Sell(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(20)),))
    assert isinstance(await run(shop, lambda u: ledger.submit(u, big)), NeedsApproval)
    before = await run(shop, _all_levels)
    assert before[("MILK", "B1")] == (Decimal(4), Decimal(0), Decimal(6))
    assert before[("COKE", "MAIN")] == (Decimal(12), Decimal(20), Decimal(10))

    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), before_0008))
    await upgrade(engine)

    assert await run(shop, _all_levels) == before
    assert await run(shop, audit.first_problem) is None


async def _all_levels(u: UnitOfWork) -> dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]:
    rows = await u.session.execute(
        select(
            Item.sku,
            Warehouse.code,
            StockLevelRow.on_hand,
            StockLevelRow.reserved,
            StockLevelRow.reorder_point,
        )
        .join(Item, Item.id == StockLevelRow.item_id)
        .join(Warehouse, Warehouse.id == StockLevelRow.warehouse_id)
    )
    return {(sku, code): (a, b, c) for sku, code, a, b, c in rows}


async def test_a_reorder_point_changed_on_the_item_is_followed_by_its_levels(
    shop: UnitOfWork,
) -> None:
    async def raise_point(u: UnitOfWork) -> None:
        await u.session.execute(
            update(Item).where(Item.sku == "COKE").values(reorder_point=Decimal(15))
        )

    await run(shop, raise_point)
    assert await level(shop, "COKE") == (Decimal(12), Decimal(0), Decimal(-3))
    low = await run(shop, low_levels)
    assert [lv.sku for lv in low] == ["COKE"]
    assert await run(shop, audit.first_problem) is None
