"""Seeding a small shop and running core services in their own transactions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal as D
from typing import TypeVar

from core import catalog
from core.catalog import NewItem
from core.storage import UnitOfWork, in_transaction

T = TypeVar("T")

ITEMS = (
    NewItem("COKE", "可乐", "瓶", D("3.5"), D("2.0"), "饮料", reorder_point=D(10),
            barcode="6901234567890"),
    NewItem("SPRITE", "雪碧", "瓶", D("3.5"), D("2.0"), "饮料", reorder_point=D(10),
            barcode="6901234567891"),
    NewItem("APPLE", "红富士苹果", "kg", D("12.8"), D("8.0"), "水果", 3, shelf_life_days=7,
            reorder_point=D(5)),
    NewItem("MILK", "鲜牛奶", "盒", D("6.0"), D("4.0"), "乳品", shelf_life_days=10,
            reorder_point=D(6)),
    NewItem("MILK2", "酸牛奶", "盒", D("5.0"), D("3.0"), "乳品", shelf_life_days=21,
            reorder_point=D(6)),
)  # fmt: skip
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
        catalog.add_items(uow, ITEMS)
        await catalog.add_warehouse(uow, "test", "B1", "二号店")
        for userid, name, role, warehouses in USERS:
            await catalog.save_user(uow, "test", userid, name, role, warehouses)

    await run(uow, work)
