"""查 of an item that everything holds at once: batches, a pending sale of it, a pending kit sale
and a kit order taking it by their recipe, and an open order of it, read in one statement."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core import orders
from core.common import ItemStock
from core.storage import UnitOfWork, create_engine, create_sessionmaker
from tests.support.chat import Chat, ChatFactory
from tests.support.ledger import run
from tests.support.recipes import seed_kitchen


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory, tmp_path: Path) -> Chat:
    await seed_kitchen(uow, tmp_path)
    chat = chat_factory(uow)
    await chat.say("clerk1", "入库 鸡肉 1 到期 2026-12-10")
    await chat.say("clerk1", "入库 鸡肉 5 到期 2026-11-28")
    await chat.say("clerk1", "入库 花生 10")
    assert "需审批后过账" in await chat.say("clerk1", "销售 鸡肉 8")
    assert "需审批后过账" in await chat.say("clerk1", "销售 宫保鸡丁 40")
    assert "已建销售订单" in await chat.say("clerk1", "订单 客户张三: 宫保鸡丁 6")
    assert "已建销售订单" in await chat.say("clerk1", "订单 客户李四: 鸡肉 2")
    return chat


async def test_stock_reply_counts_every_holder_once(chat: Chat) -> None:
    # Pending: the sale's 8 kg and the forty dishes' 8 kg; ordered: 2 kg and six dishes' 1.2.
    assert await chat.say("clerk1", "查 鸡肉") == (
        "鸡肉（CHICKEN）售价 ¥0.00\n"
        "MAIN：现有 6 kg，可用 -13.2 kg（待审批占用 16 kg）（订单占用 3.2 kg）\n"
        "  · 批号 E20261128 到期 2026-11-28 5 kg\n"
        "  · 批号 E20261210 到期 2026-12-10 1 kg"
    )


async def test_the_read_lanes_snapshot_reads_what_the_writer_reads(
    chat: Chat, uow: UnitOfWork, engine: AsyncEngine, database_url: str
) -> None:
    """On SQLite the read lane's connections run the statement straight on the driver."""
    written = await run(uow, lambda u: orders.stock_of(u, "鸡肉"))
    reader = create_engine(database_url, read_only=True, inline=True)
    try:
        async with uow.using(create_sessionmaker(reader)) as snapshot:
            read: ItemStock = await orders.stock_of(snapshot, "鸡肉")
    finally:
        await reader.dispose()
    assert read == written
    assert [(w.warehouse, w.reserved, w.ordered) for w in read.warehouses] == [
        ("MAIN", Decimal(16), Decimal("3.2"))
    ]
