"""Stock facts for the alert rules: levels per item and warehouse, expiring batches, prices
under cost, categories held and when each was last counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, select, text

from core import orders
from core.analytics.documents import SalesLine
from core.common import DocStatus, DocType
from core.ledger import OUTGOING
from core.storage import (
    Batch,
    Document,
    DocumentLine,
    Item,
    StockBalance,
    StockLevelRow,
    StockMove,
    UnitOfWork,
    Warehouse,
)

ZERO = Decimal(0)
# The partial indexes' own conditions, as literals: a bound parameter in their place would
# keep SQLite (and PostgreSQL's generic plans) from using them.
IN_STOCK_WITH_EXPIRY = and_(text("stock_balances.qty > 0"), StockBalance.expiry.is_not(None))
NEGATIVE = text("stock_balances.qty < 0")
LEVEL_COLUMNS = (
    Item.sku,
    Item.name,
    Item.unit,
    Item.category,
    Item.reorder_point,
    Item.reorder_qty,
)

EXPIRING_COLUMNS = (
    Batch.id,
    Batch.lot,
    StockBalance.expiry,
    Item.sku,
    Item.name,
    Item.unit,
    Item.category,
    Item.cost,
)


@dataclass(frozen=True)
class StockLevel:
    warehouse: str
    sku: str
    name: str
    unit: str
    category: str
    on_hand: Decimal
    reserved: Decimal
    reorder_point: Decimal
    reorder_qty: Decimal
    # Still to ship on open sales orders: promised to customers, so not free to sell.
    ordered: Decimal = ZERO

    @property
    def free(self) -> Decimal:
        """Held and not promised to an order: what reorder advice is for."""
        return self.on_hand - self.ordered

    @property
    def available(self) -> Decimal:
        return self.free - self.reserved


async def stock_levels(uow: UnitOfWork, *, negative_only: bool = False) -> list[StockLevel]:
    """Book stock per item and warehouse that ever held it, less pending outgoing documents.

    ``negative_only`` keeps those below zero, read from the stock level rows
    (``stock_levels``, one per item and warehouse, kept in step by posting). The low-stock
    alert reads its levels through ``core.analytics.low``.
    """
    ordered = await orders.held_by_orders(uow)
    if not negative_only:
        return await _levels_from_balances(uow, ordered)
    statement = (
        select(*LEVEL_COLUMNS, Warehouse.code, StockLevelRow.on_hand, StockLevelRow.reserved)
        .select_from(StockLevelRow)
        .join(Item, Item.id == StockLevelRow.item_id)
        .join(Warehouse, Warehouse.id == StockLevelRow.warehouse_id)
        .where(StockLevelRow.on_hand < 0)
    )
    found = [
        StockLevel(code, sku, name, unit, cat, qty, held, rp, rq, ordered.get((sku, code), ZERO))
        for sku, name, unit, cat, rp, rq, code, qty, held in await uow.session.execute(statement)
    ]
    found.sort(key=lambda lv: (lv.warehouse, lv.sku))
    return found


async def _levels_from_balances(
    uow: UnitOfWork, ordered: dict[tuple[str, str], Decimal]
) -> list[StockLevel]:
    """Every level of a pair that has a balance (it held stock once, or holds it now)."""
    levels = (
        select(
            StockBalance.item_id,
            StockBalance.warehouse_id,
            func.sum(StockBalance.qty).label("total"),
        )
        .group_by(StockBalance.item_id, StockBalance.warehouse_id)
        .subquery("levels")
    )
    statement = (
        select(*LEVEL_COLUMNS, Warehouse.code, levels.c.total)
        .join(Item, Item.id == levels.c.item_id)
        .join(Warehouse, Warehouse.id == levels.c.warehouse_id)
        .order_by(Warehouse.code, Item.sku)
    )
    reserved = await _reserved(uow)
    return [
        StockLevel(
            code,
            sku,
            name,
            unit,
            category,
            qty,
            reserved.get((sku, code), ZERO),
            rp,
            rq,
            ordered.get((sku, code), ZERO),
        )
        for sku, name, unit, category, rp, rq, code, qty in await uow.session.execute(statement)
    ]


async def _reserved(uow: UnitOfWork) -> dict[tuple[str, str], Decimal]:
    rows = await uow.session.execute(
        select(Item.sku, Warehouse.code, func.sum(DocumentLine.qty))
        .join(Document, Document.id == DocumentLine.document_id)
        .join(Item, Item.id == DocumentLine.item_id)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .where(
            DocumentLine.qty > 0,
            Document.status == DocStatus.PENDING,
            Document.type.in_(OUTGOING),
        )
        .group_by(Item.sku, Warehouse.code)
    )
    return {(sku, code): qty for sku, code, qty in rows.all()}


@dataclass(frozen=True)
class LastOutgoing:
    document: str
    actor: str
    at: datetime


async def last_outgoing(uow: UnitOfWork, warehouse: str, sku: str) -> LastOutgoing | None:
    """The most recent document that took this item out of this warehouse."""
    row = (
        await uow.session.execute(
            select(Document.number, StockMove.actor, StockMove.posted_at)
            .join(Document, Document.id == StockMove.document_id)
            .join(Item, Item.id == StockMove.item_id)
            .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
            .where(Item.sku == sku, Warehouse.code == warehouse, StockMove.qty < 0)
            .order_by(StockMove.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else LastOutgoing(row[0], row[1], row[2])


@dataclass(frozen=True)
class BatchStock:
    batch_id: int
    warehouse: str
    sku: str
    name: str
    unit: str
    category: str
    lot: str
    expiry: date
    qty: Decimal
    cost: Decimal
    # What the batch's own balance says; ``qty`` is less when negative stock elsewhere in
    # the item's balances (goods sold before they were booked in) has used part of it.
    booked: Decimal

    @property
    def value(self) -> Decimal:
        return self.qty * self.cost


async def batches_expiring_by(uow: UnitOfWork, last_day: date) -> list[BatchStock]:
    """Batches with stock whose expiry is on or before ``last_day`` (expired ones included).

    Never more than the shop holds: an item's negative balances (sold before booked in, kept
    in its unbatched line) are taken from its batches earliest expiry first, as FEFO selling
    would have taken them, and a batch used up that way is left out.
    """
    # A range over the partial index of in-stock balances by expiry; plain columns, not
    # entities: thousands of batches may be near expiry (``jxc bench``, alert_scan).
    rows = await uow.session.execute(
        select(*EXPIRING_COLUMNS, Warehouse.code, StockBalance.qty)
        .select_from(StockBalance)
        .join(Batch, Batch.id == StockBalance.batch_id)
        .join(Item, Item.id == StockBalance.item_id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .where(IN_STOCK_WITH_EXPIRY, StockBalance.expiry <= last_day)
        .order_by(Warehouse.code, StockBalance.expiry, Batch.received_at, Batch.id)
    )
    deficits = await _deficits(uow)
    found = []
    for batch_id, lot, expiry, sku, name, unit, category, cost, code, qty in rows.all():
        owed = deficits.get((code, sku), ZERO)
        used = min(owed, qty)
        if used:
            deficits[(code, sku)] = owed - used
        if expiry is not None and qty > used:
            found.append(
                BatchStock(
                    batch_id, code, sku, name, unit, category, lot, expiry, qty - used, cost, qty
                )
            )
    found.sort(key=lambda b: (b.warehouse, b.expiry, b.sku))
    return found


async def _deficits(uow: UnitOfWork) -> dict[tuple[str, str], Decimal]:
    """Per (warehouse, sku), how far the negative balances go below zero: a few rows, read
    along the partial index of negative balances."""
    rows = await uow.session.execute(
        select(Warehouse.code, Item.sku, func.sum(StockBalance.qty))
        .select_from(StockBalance)
        .join(Item, Item.id == StockBalance.item_id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .where(NEGATIVE)
        .group_by(Warehouse.code, Item.sku)
    )
    return {(code, sku): -total for code, sku, total in rows.all()}


@dataclass(frozen=True)
class BelowCost:
    """An item priced under cost; ``sale`` is a posted sale below cost, when that is the news."""

    sku: str
    name: str
    price: Decimal
    cost: Decimal
    sale: SalesLine | None = None


async def items_priced_below_cost(uow: UnitOfWork) -> list[BelowCost]:
    rows = await uow.session.scalars(select(Item).where(Item.price < Item.cost).order_by(Item.sku))
    return [BelowCost(i.sku, i.name, i.price, i.cost) for i in rows]


@dataclass(frozen=True)
class CategoryStock:
    warehouse: str
    category: str
    items: int
    last_counted: datetime | None


async def categories(uow: UnitOfWork) -> list[CategoryStock]:
    """Item categories held per warehouse, with when each was last counted there."""
    held = await uow.session.execute(
        select(Warehouse.code, Item.category, func.count(func.distinct(Item.id)))
        .join(StockBalance, StockBalance.item_id == Item.id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .group_by(Warehouse.code, Item.category)
    )
    counted = await uow.session.execute(
        select(Warehouse.code, Item.category, func.max(Document.created_at))
        .join(DocumentLine, DocumentLine.document_id == Document.id)
        .join(Item, Item.id == DocumentLine.item_id)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .where(Document.type == DocType.COUNT, Document.status == DocStatus.POSTED)
        .group_by(Warehouse.code, Item.category)
    )
    last = {(code, category): at for code, category, at in counted.all()}
    return [
        CategoryStock(code, category, int(n), last.get((code, category)))
        for code, category, n in sorted(held.all())
    ]
