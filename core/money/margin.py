"""Gross margin of posted sales: revenue from the lines, cost of goods from the moves.

A sale's cost is what its moves carry: each FEFO pick takes the batch's average receipt
price at the time of the sale (``core.ledger``). Sales returns count negative (their moves
bring the cost back); write-offs are a cost of their own. A warehouse that keeps no stock
has no moves: its lines carry their cost (``line_costs``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import func, join, select

from core.common import DocStatus, DocType, InvalidInput
from core.money.amounts import line_amount
from core.money.tables import LineCost
from core.storage import (
    Document,
    DocumentLine,
    Item,
    Partner,
    StockMove,
    UnitOfWork,
    User,
    Warehouse,
    stream_rows,
)

# Each line with its document, item, customer and clerk: what margins are grouped by.
LINES_FROM = (
    join(DocumentLine, Document, Document.id == DocumentLine.document_id)
    .join(Item, Item.id == DocumentLine.item_id)
    .outerjoin(Partner, Partner.id == Document.partner_id)
    .outerjoin(User, User.userid == Document.created_by)
)
GROUPINGS = {"item": "商品", "category": "类别", "customer": "客户", "clerk": "店员"}
NO_CUSTOMER = "（散客）"
WRITE_OFFS = "（报损）"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class MarginRow:
    key: str
    revenue: Decimal
    cost: Decimal
    write_off: Decimal

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost - self.write_off

    @property
    def rate(self) -> Decimal | None:
        if self.revenue == 0:
            return None
        return (self.margin * 100 / self.revenue).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class MarginReport:
    start: date
    end: date  # exclusive
    by: str
    rows: tuple[MarginRow, ...]

    @property
    def total(self) -> MarginRow:
        return MarginRow(
            "合计",
            sum((r.revenue for r in self.rows), Decimal(0)),
            sum((r.cost for r in self.rows), Decimal(0)),
            sum((r.write_off for r in self.rows), Decimal(0)),
        )


async def margin(
    uow: UnitOfWork, start: date, end: date, by: str = "item", warehouse: str | None = None
) -> MarginReport:
    """Margin of documents posted in shop-local days [start, end), grouped ``by``; ``warehouse``
    (a code) keeps one warehouse's documents."""
    return (await margins(uow, start, end, (by,), warehouse))[by]


async def margins(
    uow: UnitOfWork, start: date, end: date, bys: tuple[str, ...], warehouse: str | None = None
) -> dict[str, MarginReport]:
    """``margin`` grouped each of the ways in ``bys``, from one pass over the lines and moves."""
    for by in bys:
        if by not in GROUPINGS:
            raise InvalidInput(f"分组只能是 {'、'.join(GROUPINGS.values())}")
    since = datetime.combine(start, time(), tzinfo=uow.tz)
    until = datetime.combine(end, time(), tzinfo=uow.tz)
    window = [
        Document.status == DocStatus.POSTED,
        Document.posted_at >= since,
        Document.posted_at < until,
    ]
    if warehouse is not None:
        codes = select(Warehouse.id).where(Warehouse.code == warehouse.upper())
        window.append(Document.warehouse_id.in_(codes.scalar_subquery()))
    every = {
        "item": Item.name,
        "category": Item.category,
        "customer": func.coalesce(Partner.name, NO_CUSTOMER),
        "clerk": func.coalesce(User.name, Document.created_by),
    }
    revenue = {by: defaultdict[str, Decimal](Decimal) for by in bys}
    cost = {by: defaultdict[str, Decimal](Decimal) for by in bys}
    write_off = {by: defaultdict[str, Decimal](Decimal) for by in bys}
    sign = {DocType.SALE.value: 1, DocType.SALES_RETURN.value: -1}
    keys: list[Any] = [every[by] for by in bys]
    lines = (
        select(*keys, Document.type, DocumentLine.qty, DocumentLine.price, LineCost.unit_cost)
        .select_from(LINES_FROM)
        .outerjoin(LineCost, LineCost.line_id == DocumentLine.id)
        .where(*window, Document.type.in_(list(sign)))
    )
    async for row in stream_rows(uow, lines):
        doc_type, qty, price, unit_cost = row[len(bys) :]
        for by, name in zip(bys, row, strict=False):
            revenue[by][name] += sign[doc_type] * line_amount(qty, price)
            if unit_cost is not None:
                cost[by][name] += sign[doc_type] * qty * unit_cost
    moves = (
        select(*keys, Document.type, StockMove.qty, StockMove.unit_cost)
        .select_from(LINES_FROM)
        .join(StockMove, StockMove.line_id == DocumentLine.id)
        .where(*window, Document.type.in_([*sign, DocType.WRITEOFF.value]))
    )
    async for row in stream_rows(uow, moves):
        doc_type, qty, unit_cost = row[len(bys) :]
        for by, name in zip(bys, row, strict=False):
            if doc_type == DocType.WRITEOFF.value:
                target = WRITE_OFFS if by == "customer" else name
                write_off[by][target] -= qty * unit_cost
            else:
                cost[by][name] -= qty * unit_cost
    return {by: _report(start, end, by, revenue[by], cost[by], write_off[by]) for by in bys}


def _report(
    start: date,
    end: date,
    by: str,
    revenue: dict[str, Decimal],
    cost: dict[str, Decimal],
    write_off: dict[str, Decimal],
) -> MarginReport:
    keys = sorted(set(revenue) | set(cost) | set(write_off))
    rows = [
        MarginRow(
            k,
            revenue.get(k, Decimal(0)),
            cost.get(k, Decimal(0)).quantize(CENT),
            write_off.get(k, Decimal(0)).quantize(CENT),
        )
        for k in keys
    ]
    rows.sort(key=lambda r: (-r.margin, r.key))
    return MarginReport(start, end, by, tuple(rows))
