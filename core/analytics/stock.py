"""Stock facts for the alert rules: levels per item and warehouse, expiring batches, prices
under cost, categories held and when each was last counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from core.doctypes import DocStatus, DocType
from core.models import (
    Batch,
    Document,
    DocumentLine,
    Item,
    StockBalance,
    StockMove,
    Warehouse,
)
from core.queries import OUTGOING
from core.uow import UnitOfWork

ZERO = Decimal(0)


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

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


async def stock_levels(uow: UnitOfWork, *, negative_only: bool = False) -> list[StockLevel]:
    """Book stock per item and warehouse that ever held it, less pending outgoing documents."""
    total = func.sum(StockBalance.qty)
    statement = (
        select(Item, Warehouse.code, total)
        .join(StockBalance, StockBalance.item_id == Item.id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .group_by(Item.id, Warehouse.id)
        .order_by(Warehouse.code, Item.sku)
    )
    if negative_only:
        statement = statement.having(total < 0)
    reserved = await _reserved(uow)
    return [
        StockLevel(
            code,
            item.sku,
            item.name,
            item.unit,
            item.category,
            qty,
            reserved.get((item.sku, code), ZERO),
            item.reorder_point,
            item.reorder_qty,
        )
        for item, code, qty in (await uow.session.execute(statement)).all()
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

    @property
    def value(self) -> Decimal:
        return self.qty * self.cost


async def batches_expiring_by(uow: UnitOfWork, last_day: date) -> list[BatchStock]:
    """Batches with stock whose expiry is on or before ``last_day`` (expired ones included)."""
    rows = await uow.session.execute(
        select(Batch, Item, Warehouse.code, StockBalance.qty)
        .join(StockBalance, StockBalance.batch_id == Batch.id)
        .join(Item, Item.id == Batch.item_id)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .where(StockBalance.qty > 0, Batch.expiry.is_not(None), Batch.expiry <= last_day)
        .order_by(Warehouse.code, Batch.expiry, Item.sku)
    )
    return [
        BatchStock(b.id, code, i.sku, i.name, i.unit, i.category, b.lot, b.expiry, qty, i.cost)
        for b, i, code, qty in rows.all()
        if b.expiry is not None
    ]


@dataclass(frozen=True)
class BelowCost:
    sku: str
    name: str
    price: Decimal
    cost: Decimal


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
