"""Usage variance, the restaurant's loss signal: what recipes say was used against what left.

Per ingredient (an item that is a component or a substitute in any BOM), over posted
documents in ``[start, end)``:

- theoretical = kit sales × recipe + productions per BOM (``production_uses``). A kit sold
  where the kitchen works by backflush counts the components the sale took, as posted (so the
  recipe version and substitutes each sale used); where it works by issue the sale moved no
  stock, and its line × the recipe version in force when it was made counts instead;
- actual = what really left the shelf: issues (领用), what backflushing sales took, what
  productions really consumed, and count shortfalls (盘点: a count finding less than the book
  adds to use, finding more takes from it).

The gap is actual − theoretical, in quantity, in money at the item's cost, and in percent of
theoretical; the report lists the worst (largest money gap) first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import aliased

from core import catalog
from core.catalog import ItemKind
from core.common import DocStatus, DocType
from core.recipes.stockless import stockless_kit_parts
from core.recipes.tables import BomLine, ProductionUse, SubstituteRule
from core.storage import Document, DocumentLine, Item, StockMove, UnitOfWork

ACTUAL_TYPES = (DocType.ISSUE, DocType.PRODUCTION, DocType.COUNT)
EVIDENCE = 5


@dataclass
class UsageRow:
    sku: str
    name: str
    unit: str
    cost: Decimal
    theoretical: Decimal = Decimal(0)
    actual: Decimal = Decimal(0)
    documents: list[str] = field(default_factory=list)

    @property
    def gap(self) -> Decimal:
        return self.actual - self.theoretical

    @property
    def gap_money(self) -> Decimal:
        return self.gap * self.cost

    @property
    def percent(self) -> Decimal | None:
        if self.theoretical == 0:
            return None
        return (self.gap / self.theoretical * 100).quantize(Decimal("0.1"))

    def beyond(self, threshold_pct: Decimal) -> bool:
        """Off by more than ``threshold_pct``; any use with no theoretical use at all counts."""
        if self.percent is None:
            return self.actual != 0
        return abs(self.percent) > threshold_pct


async def usage(
    uow: UnitOfWork, start: datetime, end: datetime, warehouse: str | None = None
) -> list[UsageRow]:
    warehouse_id = (
        None if warehouse is None else (await catalog.warehouse_by_code(uow, warehouse)).id
    )
    ingredients = await _ingredients(uow)
    rows: dict[int, UsageRow] = {}

    def row(item: Item) -> UsageRow:
        if item.id not in rows:
            rows[item.id] = UsageRow(item.sku, item.name, item.unit, item.cost)
        return rows[item.id]

    line_item = aliased(Item)
    moves = (
        select(StockMove.qty, Document.type, Document.number, line_item.kind, Item)
        .join(Document, Document.id == StockMove.document_id)
        .join(DocumentLine, DocumentLine.id == StockMove.line_id)
        .join(line_item, line_item.id == DocumentLine.item_id)
        .join(Item, Item.id == StockMove.item_id)
        .where(
            Document.status == DocStatus.POSTED,
            StockMove.posted_at >= start,
            StockMove.posted_at < end,
            StockMove.item_id.in_(ingredients),
            Document.type.in_([DocType.SALE, *ACTUAL_TYPES]),
        )
        .order_by(StockMove.id)
    )
    if warehouse_id is not None:
        moves = moves.where(StockMove.warehouse_id == warehouse_id)
    for qty, doc_type, number, kind, item in await uow.session.execute(moves):
        if doc_type == DocType.SALE:
            if kind == ItemKind.KIT:
                row(item).theoretical -= qty
                row(item).actual -= qty
            continue
        if doc_type == DocType.PRODUCTION and qty > 0:
            continue
        entry = row(item)
        entry.actual -= qty
        if number not in entry.documents:
            entry.documents.append(number)
    planned = (
        select(ProductionUse.theoretical_qty, Item)
        .join(Document, Document.id == ProductionUse.document_id)
        .join(Item, Item.id == ProductionUse.item_id)
        .where(
            Document.status == DocStatus.POSTED,
            Document.posted_at >= start,
            Document.posted_at < end,
        )
    )
    if warehouse_id is not None:
        planned = planned.where(Document.warehouse_id == warehouse_id)
    for qty, item in await uow.session.execute(planned):
        row(item).theoretical += qty
    for part in await stockless_kit_parts(uow, start, end, warehouse_id):
        row(part.item).theoretical += part.qty
    found = [r for r in rows.values() if r.theoretical or r.actual]
    for r in found:
        del r.documents[EVIDENCE:]
    return sorted(found, key=lambda r: (-r.gap_money, -(r.percent or 0), r.sku))


async def _ingredients(uow: UnitOfWork) -> set[int]:
    components = await uow.session.scalars(select(BomLine.component_id).distinct())
    substitutes = await uow.session.scalars(select(SubstituteRule.substitute_id).distinct())
    return set(components) | set(substitutes)
