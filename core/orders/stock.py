"""``查``'s stock of an item: the ledger's, less what open sales orders, the kits still to ship
on them and the pending recipe documents hold of it.

What they hold is read in one statement (each read had been its own: the order lines, the
kits, the pending documents), since a read costs the chat's event loop more to run than SQLite
spends answering it. The pending documents are few, so their lines are read only when there
are any.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, bindparam, select
from sqlalchemy.orm import InstrumentedAttribute

from core import catalog, ledger, recipes
from core.catalog import BY_ISSUE, ItemKind
from core.common import DocStatus, ItemStock
from core.orders.tables import Order, OrderLine
from core.orders.views import OPEN, PARTIAL, SALES
from core.storage import QTY, Document, Item, ReadStatement, UnitOfWork, Warehouse, tag, typed_null

# What a row of ``_HOLDING`` is: an open sales order's line of the item (warehouse, qty, done),
# a kit still to ship on one (warehouse, the kit's item id as ``ref``, qty, done), or a
# pending document the recipes read (its id as ``ref``).
_ORDERED, _KIT, _PENDING = "ordered", "kit", "pending"
_NO_QTY = typed_null(QTY)


def _open_sales_lines(
    kind: str, ref: ColumnElement[Any] | InstrumentedAttribute[Any]
) -> Select[Any]:
    return (
        select(tag(kind), Warehouse.code, ref.label("ref"), OrderLine.qty, OrderLine.done)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Warehouse, Warehouse.id == Order.warehouse_id)
        .join(Item, Item.id == OrderLine.item_id)
        .where(Order.kind == SALES, Order.status.in_((OPEN, PARTIAL)))
    )


_HOLDING = ReadStatement(
    _open_sales_lines(_ORDERED, typed_null(Integer()))
    .where(Item.sku == bindparam("sku"))
    .union_all(
        _open_sales_lines(_KIT, OrderLine.item_id).where(
            Item.kind == ItemKind.KIT,
            OrderLine.qty > OrderLine.done,
            Warehouse.kit_consumption.is_distinct_from(BY_ISSUE),
        ),
        select(tag(_PENDING), typed_null(String()), Document.id, _NO_QTY, _NO_QTY).where(
            Document.status == DocStatus.PENDING, Document.type.in_(recipes.PENDING_TYPES)
        ),
    )
)


@dataclass
class _Holding:
    """``_HOLDING``'s rows sorted out: what open sales orders still hold per warehouse, the
    kits still to ship (warehouse, kit item id, quantity, when their recipe is read) and the
    pending documents the recipes read."""

    ordered: dict[str, Decimal] = field(default_factory=dict)
    kits: list[tuple[str, int, Decimal, datetime]] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)

    def add(self, row: Any, now: datetime) -> None:
        if row.kind == _PENDING:
            self.pending.append(row.ref)
        elif row.kind == _KIT:
            self.kits.append((row.code, row.ref, row.qty - row.done, now))
        elif row.qty > row.done:
            self.hold(row.code, row.qty - row.done)

    def hold(self, warehouse: str, qty: Decimal) -> None:
        self.ordered[warehouse] = self.ordered.get(warehouse, Decimal(0)) + qty


async def stock_of(uow: UnitOfWork, query: str, warehouse: str | None = None) -> ItemStock:
    """``查``: the ledger's stock of an item, with what open sales orders still hold and what
    pending productions and kit sales will take of it (core.recipes) beside pending requests."""
    stock = await ledger.stock_of(uow, query, warehouse)
    holding = _Holding()
    for row in await _HOLDING.rows(await uow.read_connection(), {"sku": stock.sku}):
        holding.add(row, uow.now())
    if holding.kits:
        # What the kits still to ship will take of the item by their recipe now, where the
        # kitchen backflushes.
        component = await catalog.item_by_sku(uow, stock.sku)
        for code, qty in (await recipes.parts_of_kits(uow, holding.kits, component.id)).items():
            holding.hold(code, qty)
    recipes_hold = await recipes.held_by_pending(uow, stock.sku, holding.pending)
    return replace(
        stock,
        warehouses=tuple(
            replace(
                w,
                reserved=w.reserved + recipes_hold.get(w.warehouse, Decimal(0)),
                ordered=holding.ordered.get(w.warehouse, Decimal(0)),
            )
            for w in stock.warehouses
        ),
    )
