"""Building a ledger with a long history fast, straight through SQL, for the benchmarks.

The history is consistent (balances equal the sum of moves), so the services behave as
they would in a shop that has run for years.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from core.models import Batch, Document, DocumentLine, Item, StockBalance, StockMove, Warehouse
from core.uow import UnitOfWork

ITEMS = 200
CHUNK = 2000


async def seed_items(uow: UnitOfWork) -> None:
    uow.session.add_all(
        Item(
            sku=f"SKU{n:04d}",
            name=f"商品{n:04d}",
            unit="个",
            unit_precision=0,
            price=Decimal("5.5"),
            cost=Decimal("3.2"),
            reorder_point=Decimal(10),
            reorder_qty=Decimal(50),
            category=f"类{n % 10}",
        )
        for n in range(ITEMS)
    )
    await uow.session.flush()


async def add_history(uow: UnitOfWork, documents: int, seed: int = 1) -> None:
    """``documents`` sales of one line each, spread over the past year, with their moves."""
    session = uow.session
    warehouse_id = (
        await session.execute(select(Warehouse.id).where(Warehouse.code == "MAIN"))
    ).scalar_one()
    items = list(await session.scalars(select(Item.id).order_by(Item.id)))
    batches = {}
    for item_id in items:
        batch = Batch(item_id=item_id, lot="", expiry=None, received_at=uow.now())
        session.add(batch)
        batches[item_id] = batch
    await session.flush()
    rng = random.Random(seed)
    start = uow.now() - timedelta(days=365)
    totals: dict[int, Decimal] = dict.fromkeys(items, Decimal(0))
    for first in range(0, documents, CHUNK):
        count = min(CHUNK, documents - first)
        picks = [rng.choice(items) for _ in range(count)]
        at = [
            start + timedelta(seconds=(first + n) * 365 * 86400 // documents) for n in range(count)
        ]
        doc_ids = await _insert_documents(uow, warehouse_id, first, at)
        line_ids = await _insert_lines(uow, doc_ids, picks)
        await session.execute(
            insert(StockMove),
            [
                {
                    "document_id": doc_id,
                    "line_id": line_id,
                    "item_id": item_id,
                    "warehouse_id": warehouse_id,
                    "batch_id": batches[item_id].id,
                    "qty": Decimal(-1),
                    "unit_cost": Decimal("3.2"),
                    "posted_at": when,
                    "actor": "bench",
                }
                for doc_id, line_id, item_id, when in zip(doc_ids, line_ids, picks, at, strict=True)
            ],
        )
        for item_id in picks:
            totals[item_id] -= 1
    session.add_all(
        StockBalance(item_id=i, warehouse_id=warehouse_id, batch_id=batches[i].id, qty=q)
        for i, q in totals.items()
    )
    await session.flush()


async def _insert_documents(
    uow: UnitOfWork, warehouse_id: int, first: int, at: list[datetime]
) -> list[int]:
    rows = [
        {
            "number": f"HX-{first + n:08d}",
            "type": "sale",
            "status": "posted",
            "warehouse_id": warehouse_id,
            "created_by": f"clerk{n % 5}",
            "created_at": when,
            "posted_at": when,
            "note": "",
            "version": 1,
        }
        for n, when in enumerate(at)
    ]
    result = await uow.session.execute(
        insert(Document).returning(Document.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


async def _insert_lines(uow: UnitOfWork, doc_ids: list[int], items: list[int]) -> list[int]:
    rows = [
        {"document_id": d, "line_no": 1, "item_id": i, "qty": Decimal(1), "price": Decimal("5.5")}
        for d, i in zip(doc_ids, items, strict=True)
    ]
    result = await uow.session.execute(
        insert(DocumentLine).returning(DocumentLine.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


def epoch() -> datetime:
    return datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
