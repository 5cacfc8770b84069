"""Adding items one by one (the sandbox's catalogue); spreadsheets go through ``core.importer``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal

from sqlalchemy import select

from core.catalog.kinds import ItemKind
from core.storage import Item, UnitOfWork


@dataclass(frozen=True)
class NewItem:
    """An item to add; batch-tracked exactly when it has a shelf life, so receipts get an
    expiry (as 新品 makes them)."""

    sku: str
    name: str
    unit: str
    price: Decimal
    cost: Decimal
    category: str = ""
    unit_precision: int = 0
    shelf_life_days: int | None = None
    reorder_point: Decimal = Decimal(0)
    reorder_qty: Decimal = Decimal(0)
    barcode: str | None = None
    kind: ItemKind = ItemKind.STOCK

    @property
    def batch_tracked(self) -> bool:
        return self.shelf_life_days is not None


def add_items(uow: UnitOfWork, items: Iterable[NewItem]) -> None:
    uow.session.add_all(Item(**asdict(item), batch_tracked=item.batch_tracked) for item in items)


async def has_items(uow: UnitOfWork) -> bool:
    return await uow.session.scalar(select(Item.id).limit(1)) is not None
