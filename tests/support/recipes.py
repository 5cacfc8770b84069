"""A restaurant and a bakery in one shop: items with kinds, recipes and substitutes, loaded
through the real importers from CSV files.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from core import importer
from core.audit import first_problem
from core.recipes import bom_import, substitutes
from core.storage import Batch, Item, StockBalance, StockMove, UnitOfWork
from tests.support.ledger import run, seed_shop

ITEMS = [
    # sku, name, unit, price, cost, shelf_life_days, kind
    ("CHICKEN", "鸡肉", "kg", "", "30", "", "stock"),
    ("PEANUT", "花生", "kg", "", "12", "", "stock"),
    ("DUCK", "鸭肉", "kg", "", "25", "5", "stock"),
    ("KUNGPAO", "宫保鸡丁", "份", "38", "", "", "kit"),
    ("FLOUR", "面粉", "kg", "", "4", "180", "stock"),
    ("STRONG", "高筋粉", "kg", "", "5", "180", "stock"),
    ("WHOLE", "全麦粉", "kg", "", "6", "180", "stock"),
    ("EGG", "鸡蛋", "个", "", "0.8", "20", "stock"),
    ("BREAD", "面包", "个", "6", "", "3", "made"),
    ("DOUGH", "面团", "kg", "", "", "1", "made"),
]
BOM = [
    ("KUNGPAO", "CHICKEN", "0.2", "0"),
    ("KUNGPAO", "PEANUT", "0.05", "0"),
    ("BREAD", "FLOUR", "0.25", "2"),
    ("BREAD", "EGG", "1", "5"),
]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


async def seed_kitchen(uow: UnitOfWork, folder: Path) -> None:
    """The test shop (users, MAIN and B1) with the recipe items and BOMs loaded."""
    await seed_shop(uow)
    items = write_csv(
        folder / "recipe_items.csv",
        ("sku", "name", "unit", "price", "cost", "shelf_life_days", "kind"),
        ITEMS,
    )
    await run(uow, lambda u: importer.import_items(u, items, "test"))
    await import_bom(uow, folder / "bom.csv", BOM)


async def import_bom(
    uow: UnitOfWork,
    path: Path,
    rows: Sequence[Sequence[str]],
    valid_from: datetime | None = None,
) -> bom_import.BomImport:
    write_csv(path, ("product_sku", "component_sku", "qty", "scrap_pct"), rows)
    return await run(uow, lambda u: bom_import.import_bom(u, path, "test", valid_from))


async def import_substitutes(uow: UnitOfWork, path: Path, rows: Sequence[Sequence[str]]) -> int:
    header = ("component_sku", "substitute_sku", "ratio", "priority", "needs_approval")
    write_csv(path, header, rows)
    return await run(uow, lambda u: substitutes.import_substitutes(u, path, "test"))


async def on_hand(uow: UnitOfWork, sku: str, warehouse_id: int = 1) -> Decimal:
    async def total(u: UnitOfWork) -> Decimal:
        rows = await u.session.scalars(
            select(StockBalance.qty)
            .join(Item, Item.id == StockBalance.item_id)
            .where(Item.sku == sku, StockBalance.warehouse_id == warehouse_id)
        )
        return sum(rows, Decimal(0))

    return await run(uow, total)


async def batches_of(uow: UnitOfWork, sku: str) -> dict[str, Decimal]:
    """Lot → quantity on hand in MAIN."""

    async def lots(u: UnitOfWork) -> dict[str, Decimal]:
        rows = await u.session.execute(
            select(Batch.lot, StockBalance.qty)
            .join(StockBalance, StockBalance.batch_id == Batch.id)
            .join(Item, Item.id == Batch.item_id)
            .where(Item.sku == sku)
            .order_by(Batch.id)
        )
        return {lot: qty for lot, qty in rows}

    return await run(uow, lots)


async def move_costs(uow: UnitOfWork, sku: str) -> list[tuple[Decimal, Decimal]]:
    """(qty, unit cost) of every move of ``sku``, oldest first."""

    async def moves(u: UnitOfWork) -> list[tuple[Decimal, Decimal]]:
        rows = await u.session.execute(
            select(StockMove.qty, StockMove.unit_cost)
            .join(Item, Item.id == StockMove.item_id)
            .where(Item.sku == sku)
            .order_by(StockMove.id)
        )
        return [(qty, cost) for qty, cost in rows]

    return await run(uow, moves)


async def assert_ledger_sound(uow: UnitOfWork) -> None:
    assert await run(uow, first_problem) is None
