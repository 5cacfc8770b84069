"""What pending recipe documents will take of a component once approved, for 查's
待审批占用: a production's consumed lines, and a kit sale's recipe where the kitchen
backflushes (where it works by issue the sale takes nothing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from core import catalog
from core.catalog import BY_ISSUE, ItemKind
from core.common import DocType
from core.recipes.bom import all_versions, version_at
from core.storage import Document, DocumentLine, Item, UnitOfWork, Warehouse

# The pending documents whose lines ``held_by_pending`` reads.
PENDING_TYPES = (DocType.PRODUCTION, DocType.SALE)


async def held_by_pending(uow: UnitOfWork, sku: str, pending: Sequence[int]) -> dict[str, Decimal]:
    """Per warehouse code, how much of item ``sku`` pending productions and kit sales hold, of
    the pending documents ``pending`` (those of ``PENDING_TYPES``)."""
    # Few documents are pending: they are found first (status index), then only their lines
    # are read.
    if not pending:
        return {}
    item_id = (await catalog.item_by_sku(uow, sku)).id
    held: dict[str, Decimal] = defaultdict(Decimal)
    consumed = await uow.session.execute(
        select(Warehouse.code, DocumentLine.qty)
        .join(Document, Document.id == DocumentLine.document_id)
        .join(Warehouse, Warehouse.id == Document.warehouse_id)
        .where(
            DocumentLine.document_id.in_(pending),
            Document.type == DocType.PRODUCTION,
            DocumentLine.item_id == item_id,
            DocumentLine.qty < 0,
        )
    )
    for code, qty in consumed.all():
        held[code] -= qty
    kits = (
        await uow.session.execute(
            select(Warehouse.code, DocumentLine.item_id, DocumentLine.qty, Document.created_at)
            .join(Document, Document.id == DocumentLine.document_id)
            .join(Warehouse, Warehouse.id == Document.warehouse_id)
            .join(Item, Item.id == DocumentLine.item_id)
            .where(
                DocumentLine.document_id.in_(pending),
                Document.type == DocType.SALE,
                Item.kind == ItemKind.KIT,
                DocumentLine.qty > 0,
                Warehouse.kit_consumption.is_distinct_from(BY_ISSUE),
            )
        )
    ).all()
    for code, qty in (await parts_of_kits(uow, kits, item_id)).items():
        held[code] += qty
    return {code: qty for code, qty in held.items() if qty}


async def parts_of_kits(
    uow: UnitOfWork, kits: Sequence[tuple[str, int, Decimal, datetime]], item_id: int
) -> dict[str, Decimal]:
    """Of kit lines (warehouse code, kit item id, quantity, when the recipe is read), what
    their recipes take of ``item_id``, per warehouse code."""
    history = await all_versions(uow, {product for _, product, _, _ in kits})
    held: dict[str, Decimal] = defaultdict(Decimal)
    for code, product, qty, at in kits:
        version = version_at(history.get(product, []), at)
        for c in () if version is None else version.components:
            if c.item.id == item_id:
                held[code] += c.sold(qty)
    return dict(held)
