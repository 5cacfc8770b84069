"""Seeding a small shop and running core services in their own transactions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TypeVar

from core import catalog
from core.storage import Item, UnitOfWork, in_transaction

T = TypeVar("T")

ITEMS = [
    # sku, name, unit, precision, price, cost, shelf_life_days, reorder_point, category, barcode
    ("COKE", "可乐", "瓶", 0, "3.5", "2.0", None, "10", "饮料", "6901234567890"),
    ("SPRITE", "雪碧", "瓶", 0, "3.5", "2.0", None, "10", "饮料", "6901234567891"),
    ("APPLE", "红富士苹果", "kg", 3, "12.8", "8.0", 7, "5", "水果", None),
    ("MILK", "鲜牛奶", "盒", 0, "6.0", "4.0", 10, "6", "乳品", None),
    ("MILK2", "酸牛奶", "盒", 0, "5.0", "3.0", 21, "6", "乳品", None),
]
USERS = [
    ("clerk1", "小王", "clerk", ["MAIN"]),
    ("clerk2", "小张", "clerk", ["MAIN"]),
    ("mgr1", "李姐", "manager", ["MAIN"]),
    ("mgr2", "赵哥", "manager", ["B1"]),
    ("boss", "老板", "admin", ["MAIN"]),
    ("audit", "审计", "auditor", ["MAIN"]),
]


async def run(uow: UnitOfWork, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    return await in_transaction(uow, work)


async def seed_shop(uow: UnitOfWork) -> None:
    async def work(uow: UnitOfWork) -> None:
        for sku, name, unit, precision, price, cost, shelf, reorder, category, barcode in ITEMS:
            uow.session.add(
                Item(
                    sku=sku,
                    name=name,
                    unit=unit,
                    unit_precision=precision,
                    price=Decimal(price),
                    cost=Decimal(cost),
                    shelf_life_days=shelf,
                    reorder_point=Decimal(reorder),
                    reorder_qty=Decimal(0),
                    category=category,
                    barcode=barcode,
                    batch_tracked=shelf is not None,
                )
            )
        await catalog.add_warehouse(uow, "test", "B1", "二号店")
        for userid, name, role, warehouses in USERS:
            await catalog.save_user(uow, "test", userid, name, role, warehouses)

    await run(uow, work)
