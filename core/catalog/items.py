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
    sku: str
    name: str
    category: str
    unit: str
    unit_precision: int
    price: Decimal
    cost: Decimal
    shelf_life_days: int | None
    reorder_point: Decimal
    reorder_qty: Decimal
    batch_tracked: bool
    kind: ItemKind = ItemKind.STOCK


def add_items(uow: UnitOfWork, items: Iterable[NewItem]) -> None:
    uow.session.add_all(Item(**asdict(item)) for item in items)


async def has_items(uow: UnitOfWork) -> bool:
    return await uow.session.scalar(select(Item.id).limit(1)) is not None
