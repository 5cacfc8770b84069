"""Document facts for the alert rules: sales and returns line by line, posted lines with the
stock they moved, open approvals.

Money is multiplied out in Python: ``Fixed`` columns are scaled integers, so a SQL product of
two of them would carry the scale twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, select

from core.common import DocStatus, DocType
from core.storage import (
    Approval,
    Document,
    DocumentLine,
    Item,
    Partner,
    StockMove,
    UnitOfWork,
    Warehouse,
)

ZERO = Decimal(0)


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


def sales_query(since: datetime, until: datetime, warehouse: str | None = None) -> Select[Any]:
    """Posted sale and sales-return lines created in [since, until), oldest first, as plain
    columns in ``sales_line``'s order; ``warehouse`` (a code) keeps one warehouse's lines."""
    columns: tuple[Any, ...] = (
        Document.number, Document.type, Warehouse.code, Document.created_by, Document.created_at,
        Partner.name, Document.original_number, Item.sku, Item.name, Item.unit, DocumentLine.qty,
        DocumentLine.price, Item.price, Item.cost,
    )  # fmt: skip
    statement = (
        select(*columns)
        .select_from(Document)
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
    if warehouse is not None:
        statement = statement.where(Warehouse.code == warehouse)
    return statement


def sales_line(row: Sequence[Any]) -> SalesLine:
    """One row of ``sales_query`` as a line; a line without its own price has the item's."""
    (number, doc_type, code, clerk, at, partner, original, sku, name, unit, qty, price,
     item_price, cost) = row  # fmt: skip
    return SalesLine(
        number, doc_type, code, clerk, at, partner, original, sku, name, unit, qty,
        price if price is not None else item_price, cost,
    )  # fmt: skip


async def sales_lines(uow: UnitOfWork, since: datetime, until: datetime) -> list[SalesLine]:
    """Posted sale and sales-return lines created in [since, until), oldest first."""
    rows = await uow.session.execute(sales_query(since, until))
    return [sales_line(row) for row in rows.all()]


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


async def open_approvals(uow: UnitOfWork) -> dict[str, int]:
    """Pending approval requests per warehouse code."""
    rows = await uow.session.execute(
        select(Warehouse.code, func.count(Approval.id))
        .join(Warehouse, Warehouse.id == Approval.warehouse_id)
        .where(Approval.status == "pending")
        .group_by(Warehouse.code)
    )
    return {code: int(count) for code, count in rows.all()}
