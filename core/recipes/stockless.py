"""What kit sales used by their recipes where they moved no stock (the kitchen works by issue,
so 领用 took the ingredients): each sold line × the recipe version in force when it was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import aliased

from core.catalog import ItemKind
from core.common import DocStatus, DocType
from core.recipes.bom import all_versions, version_at
from core.storage import Document, DocumentLine, Item, StockMove, UnitOfWork, Warehouse


@dataclass(frozen=True)
class StocklessPart:
    """One ingredient of one sold kit line; ``qty`` is negative where the kit was sold back."""

    document: str
    warehouse: str
    actor: str
    at: datetime
    line: int
    sales_value: Decimal
    item: Item
    qty: Decimal


async def stockless_kit_parts(
    uow: UnitOfWork, start: datetime, end: datetime, warehouse_id: int | None = None
) -> list[StocklessPart]:
    """Posted in ``[start, end)``, oldest first."""
    # By the document too: stock_moves is indexed by document, not by line.
    moved = (
        select(StockMove.id)
        .where(
            StockMove.document_id == DocumentLine.document_id,
            StockMove.line_id == DocumentLine.id,
        )
        .exists()
    )
    kit = aliased(Item)
    lines = (
        select(DocumentLine, Document, kit.price, Warehouse.code)
        .join(Document, Document.id == DocumentLine.document_id)
        .join(kit, kit.id == DocumentLine.item_id)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .where(
            Document.type == DocType.SALE,
            Document.status == DocStatus.POSTED,
            Document.posted_at >= start,
            Document.posted_at < end,
            kit.kind == ItemKind.KIT,
            ~moved,
        )
        .order_by(Document.posted_at, Document.id, DocumentLine.line_no)
    )
    if warehouse_id is not None:
        lines = lines.where(Document.warehouse_id == warehouse_id)
    found = (await uow.session.execute(lines)).all()
    history = await all_versions(uow, {line.item_id for line, _, _, _ in found})
    parts: list[StocklessPart] = []
    for line, document, list_price, code in found:
        version = version_at(history.get(line.item_id, []), document.created_at)
        if version is None or document.posted_at is None:
            continue
        price = line.price if line.price is not None else list_price
        parts.extend(
            StocklessPart(
                document.number,
                code,
                document.created_by,
                document.posted_at,
                line.id,
                line.qty * price,
                c.item,
                c.sold(line.qty),
            )
            for c in version.components
        )
    return parts
