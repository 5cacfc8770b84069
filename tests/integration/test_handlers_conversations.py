"""Conversations kept between messages, on SQLite and PostgreSQL: picks and document pages."""

from __future__ import annotations

import pytest

from core.storage import UnitOfWork
from tests.support.chat import Chat, ChatFactory
from tests.support.clock import ManualClock
from tests.support.ledger import seed_shop


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory) -> Chat:
    await seed_shop(uow)
    return chat_factory(uow)


async def test_ambiguous_name_is_picked_by_number_then_forgotten(chat: Chat) -> None:
    assert "1. 酸牛奶（MILK2）" in await chat.say("clerk1", "销售 牛奶 1")
    assert "2. 鲜牛奶（MILK）" in await chat.say("clerk1", "入库 牛奶 5")
    assert "已过账 入库单 RK-20261126-0001" in await chat.say("clerk1", "2")
    assert "没有等待选择的商品列表" in await chat.say("clerk1", "2")
    assert await chat.document_numbers() == ["RK-20261126-0001"]


async def test_document_pages_continue_until_the_end_and_expire(
    chat: Chat, clock: ManualClock
) -> None:
    for n in range(12):
        await chat.say("clerk1", f"入库 可乐 {n + 1}")
    first = await chat.say("clerk1", "单据")
    assert first.startswith("单据 1-10") and first.endswith("发送“下一页”查看更多")
    second = await chat.say("clerk1", "下一页")
    assert second.startswith("单据 11-12") and "RK-20261126-0001" in second
    await chat.say("clerk1", "单据")
    clock.advance(minutes=11)
    assert "已超过 10 分钟" in await chat.say("clerk1", "下一页")
