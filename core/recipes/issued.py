"""What each department drew (领用) over a period: per item, the quantity and its value at the
cost the moves carried, and the department's total; for the usage report and the health check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from core.common import DocStatus, DocType
from core.storage import Document, Item, Partner, StockMove, UnitOfWork, Warehouse

ZERO = Decimal(0)


@dataclass(frozen=True)
class IssuedItem:
    sku: str
    name: str
    unit: str
    qty: Decimal
    value: Decimal


@dataclass(frozen=True)
class DepartmentUse:
    department: str
    documents: int
    items: tuple[IssuedItem, ...]  # largest value first

    @property
    def value(self) -> Decimal:
        return sum((i.value for i in self.items), Decimal(0))


async def issued_by_department(
    uow: UnitOfWork, start: datetime, end: datetime, warehouse: str | None = None
) -> list[DepartmentUse]:
    """Posted issues whose stock left in ``[start, end)``, largest department first."""
    moved = (
        select(
            Partner.name,
            Item.sku,
            Item.name,
            Item.unit,
            StockMove.unit_cost,
            func.sum(StockMove.qty),
        )
        .select_from(StockMove)
        .join(Document, Document.id == StockMove.document_id)
        .join(Partner, Partner.id == Document.partner_id)
        .join(Item, Item.id == StockMove.item_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .where(
            Document.type == DocType.ISSUE,
            Document.status == DocStatus.POSTED,
            StockMove.posted_at >= start,
            StockMove.posted_at < end,
        )
        # Summed per unit cost: the columns are scaled integers, so values are multiplied here.
        .group_by(Partner.name, Item.sku, Item.name, Item.unit, StockMove.unit_cost)
    )
    documents = (
        select(Partner.name, func.count(func.distinct(Document.id)))
        .select_from(StockMove)
        .join(Document, Document.id == StockMove.document_id)
        .join(Partner, Partner.id == Document.partner_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .where(
            Document.type == DocType.ISSUE,
            Document.status == DocStatus.POSTED,
            StockMove.posted_at >= start,
            StockMove.posted_at < end,
        )
        .group_by(Partner.name)
    )
    if warehouse is not None:
        moved = moved.where(Warehouse.code == warehouse)
        documents = documents.where(Warehouse.code == warehouse)
    # Moves of an issue are negative (stock leaves); a department's use is their opposite.
    totals: dict[str, dict[tuple[str, str, str], list[Decimal]]] = {}
    for department, sku, name, unit, unit_cost, qty in await uow.session.execute(moved):
        entry = totals.setdefault(department, {}).setdefault((sku, name, unit), [ZERO, ZERO])
        entry[0] -= qty
        entry[1] -= qty * unit_cost
    counts = {name: count for name, count in await uow.session.execute(documents)}
    found = [
        DepartmentUse(
            department,
            int(counts.get(department, 0)),
            tuple(
                sorted(
                    (IssuedItem(sku, name, unit, qty, value) for (sku, name, unit), (qty, value)
                     in rows.items()),
                    key=lambda i: (-i.value, i.sku),
                )
            ),
        )
        for department, rows in totals.items()
    ]  # fmt: skip
    return sorted(found, key=lambda d: (-d.value, d.department))
