"""Facts the alert rules judge: stock levels, expiring batches, sales lines, counts, day totals.

Pure reads over the ledger tables. Money is multiplied out in Python: ``Fixed`` columns are
scaled integers, so a SQL product of two of them would carry the scale twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, select

from core.doctypes import DocStatus, DocType
from core.models import (
    Approval,
    Batch,
    Document,
    DocumentLine,
    Item,
    Partner,
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
class SalesLine:
    """One posted line of a sale or a sales return; ``qty`` as recorded (negative sale < 0)."""

    document: str
    doc_type: str
    warehouse: str
    clerk: str
    at: datetime
    partner: str | None
    original: str | None
    sku: str
    name: str
    unit: str
    qty: Decimal
    price: Decimal
    cost: Decimal

    @property
    def is_reversal(self) -> bool:
        return self.doc_type == DocType.SALES_RETURN or self.qty < 0

    @property
    def amount(self) -> Decimal:
        return abs(self.qty) * self.price


async def sales_lines(uow: UnitOfWork, since: datetime, until: datetime) -> list[SalesLine]:
    """Posted sale and sales-return lines created in [since, until), oldest first."""
    rows = await uow.session.execute(
        select(Document, DocumentLine, Item, Warehouse.code, Partner.name)
        .join(DocumentLine, DocumentLine.document_id == Document.id)
        .join(Item, Item.id == DocumentLine.item_id)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .outerjoin(Partner, Partner.id == Document.partner_id)
        .where(
            Document.type.in_((DocType.SALE, DocType.SALES_RETURN)),
            Document.status == DocStatus.POSTED,
            Document.created_at >= since,
            Document.created_at < until,
        )
        .order_by(Document.created_at, Document.id, DocumentLine.line_no)
    )
    return [
        SalesLine(
            d.number, d.type, code, d.created_by, d.created_at, partner, d.original_number,
            i.sku, i.name, i.unit, ln.qty, ln.price if ln.price is not None else i.price, i.cost,
        )
        for d, ln, i, code, partner in rows.all()
    ]  # fmt: skip


@dataclass(frozen=True)
class LineMoves:
    """A document line with the stock it actually moved (a count's variance) and its cost."""

    document: str
    doc_type: str
    warehouse: str
    actor: str
    at: datetime
    sku: str
    name: str
    unit: str
    qty: Decimal
    price: Decimal | None
    moved: Decimal
    moved_value: Decimal


async def posted_lines(
    uow: UnitOfWork, doc_types: tuple[DocType, ...], since: datetime, until: datetime
) -> list[LineMoves]:
    """Lines of posted documents of ``doc_types`` created in [since, until), with their moves."""
    rows = await uow.session.execute(
        select(Document, DocumentLine, Item, Warehouse.code, StockMove.qty, StockMove.unit_cost)
        .join(DocumentLine, DocumentLine.document_id == Document.id)
        .join(Item, Item.id == DocumentLine.item_id)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .outerjoin(
            StockMove,
            and_(
                StockMove.line_id == DocumentLine.id,
                StockMove.warehouse_id == Document.warehouse_id,
            ),
        )
        .where(
            Document.type.in_(doc_types),
            Document.status == DocStatus.POSTED,
            Document.created_at >= since,
            Document.created_at < until,
        )
        .order_by(Document.created_at, Document.id, DocumentLine.line_no)
    )
    moved: dict[int, tuple[Decimal, Decimal]] = defaultdict(lambda: (ZERO, ZERO))
    lines: dict[int, tuple[Document, DocumentLine, Item, str]] = {}
    for d, ln, i, code, qty, unit_cost in rows.all():
        lines[ln.id] = (d, ln, i, code)
        if qty is not None:
            before = moved[ln.id]
            moved[ln.id] = (before[0] + qty, before[1] + qty * unit_cost)
    return [
        LineMoves(
            d.number, d.type, code, d.created_by, d.created_at, i.sku, i.name, i.unit, ln.qty,
            ln.price, *moved[line_id],
        )
        for line_id, (d, ln, i, code) in lines.items()
    ]  # fmt: skip


@dataclass(frozen=True)
class BelowCost:
    sku: str
    name: str
    price: Decimal
    cost: Decimal


async def items_priced_below_cost(uow: UnitOfWork) -> list[BelowCost]:
    rows = await uow.session.scalars(select(Item).where(Item.price < Item.cost).order_by(Item.sku))
    return [BelowCost(i.sku, i.name, i.price, i.cost) for i in rows]


async def open_approvals(uow: UnitOfWork) -> dict[str, int]:
    """Pending approval requests per warehouse code."""
    rows = await uow.session.execute(
        select(Warehouse.code, func.count(Approval.id))
        .join(Warehouse, Warehouse.id == Approval.warehouse_id)
        .where(Approval.status == "pending")
        .group_by(Warehouse.code)
    )
    return {code: int(count) for code, count in rows.all()}


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
