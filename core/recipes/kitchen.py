"""Kitchen facts for the issue anomaly rule: who issued which ingredient when (领用), and what
the kit sales in between used by their recipes: the parts each sale backflushed, as posted (so
the substitutes it took), or, where the kitchen works by issue and the sale moved no stock, its
line × the recipe version in force when it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import aliased

from core.catalog import ItemKind
from core.common import DocStatus, DocType
from core.recipes.stockless import stockless_kit_parts
from core.storage import Document, DocumentLine, Item, Partner, StockMove, UnitOfWork, Warehouse


@dataclass(frozen=True)
class KitchenMove:
    """One ingredient leaving stock: issued (``doc_type`` issue) or used by a sold kit (sale).

    ``qty`` is positive; ``sales_value`` is the sold kit line's amount (0 on an issue), given on
    each part of the line, so a line's value is counted once per ``line``.
    """

    document: str
    doc_type: str
    warehouse: str
    actor: str
    at: datetime
    department: str | None
    line: int
    sku: str
    name: str
    unit: str
    qty: Decimal
    cost: Decimal
    sales_value: Decimal

    @property
    def value(self) -> Decimal:
        return self.qty * self.cost


async def kitchen_moves(uow: UnitOfWork, since: datetime, until: datetime) -> list[KitchenMove]:
    """Issues and kit sales' parts posted in [since, until), oldest first."""
    moves = await _moved(uow, since, until)
    for part in await stockless_kit_parts(uow, since, until):
        if part.qty <= 0:
            continue  # a kit sold back, as a backflushed one's returned parts, explains no issue
        item = part.item
        moves.append(
            KitchenMove(
                document=part.document,
                doc_type=DocType.SALE,
                warehouse=part.warehouse,
                actor=part.actor,
                at=part.at,
                department=None,
                line=part.line,
                sku=item.sku,
                name=item.name,
                unit=item.unit,
                qty=part.qty,
                cost=item.cost,
                sales_value=part.sales_value,
            )
        )
    # Stable: each document's moves stay together and in order.
    return sorted(moves, key=lambda move: move.at)


async def _moved(uow: UnitOfWork, since: datetime, until: datetime) -> list[KitchenMove]:
    line_item = aliased(Item)
    rows = await uow.session.execute(
        select(
            StockMove,
            Document,
            DocumentLine,
            line_item.kind,
            line_item.price,
            Item,
            Warehouse.code,
            Partner.name,
        )
        .join(Document, Document.id == StockMove.document_id)
        .join(DocumentLine, DocumentLine.id == StockMove.line_id)
        .join(line_item, line_item.id == DocumentLine.item_id)
        .join(Item, Item.id == StockMove.item_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .outerjoin(Partner, Partner.id == Document.partner_id)
        .where(
            Document.status == DocStatus.POSTED,
            Document.type.in_((DocType.ISSUE, DocType.SALE)),
            StockMove.posted_at >= since,
            StockMove.posted_at < until,
            StockMove.qty < 0,
        )
        .order_by(StockMove.posted_at, StockMove.id)
    )
    moves = []
    for move, document, line, kind, list_price, item, code, partner in rows.all():
        is_issue = document.type == DocType.ISSUE
        if not is_issue and kind != ItemKind.KIT:
            continue
        price = line.price if line.price is not None else list_price
        moves.append(
            KitchenMove(
                document=document.number,
                doc_type=document.type,
                warehouse=code,
                actor=document.created_by,
                at=move.posted_at,
                department=partner if is_issue else None,
                line=line.id,
                sku=item.sku,
                name=item.name,
                unit=item.unit,
                qty=-move.qty,
                cost=item.cost,
                sales_value=Decimal(0) if is_issue else line.qty * price,
            )
        )
    return moves
