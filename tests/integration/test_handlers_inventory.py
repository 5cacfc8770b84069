"""Transcripts of keeping stock right by chat: 调拨, 盘点, 报损, 调价."""

from __future__ import annotations

import pytest

from core import catalog
from core.storage import UnitOfWork, in_transaction
from tests.support.chat import Chat, ChatFactory
from tests.support.ledger import seed_shop


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory) -> Chat:
    await seed_shop(uow)
    chat = chat_factory(uow)
    await chat.say("clerk1", "入库 可乐 24")
    return chat


async def test_transfer_moves_stock_between_warehouses(chat: Chat) -> None:
    reply = await chat.say("mgr1", "调拨 可乐 5 从 MAIN 到 B1")
    assert "已过账 调拨单 DB-20261126-0001（MAIN → B1）" in reply
    assert "库存：可乐 19 瓶（MAIN），可乐 5 瓶（B1）" in reply
    stock = await chat.say("mgr2", "查 可乐")
    assert "B1：现有 5 瓶" in stock and "MAIN：现有 19 瓶" in stock


async def test_transfer_defaults_to_own_warehouse_and_needs_a_destination(chat: Chat) -> None:
    assert "（MAIN → B1）" in await chat.say("mgr1", "transfer 可乐 1 到 b1")
    missing = await chat.say("mgr1", "调拨 可乐 1")
    assert "缺少调入仓库“到 …”，例如：调拨 可乐 5 从 MAIN 到 B1" in missing
    same = await chat.say("mgr1", "调拨 可乐 1 到 MAIN")
    assert "调出和调入不能是同一个仓库" in same
    unknown = await chat.say("mgr1", "调拨 可乐 1 到 X9")
    assert "没有代码为 X9 的仓库/门店" in unknown
    assert len(await chat.document_numbers()) == 2


async def test_transfer_from_a_warehouse_the_user_does_not_run_is_refused(chat: Chat) -> None:
    reply = await chat.say("mgr2", "调拨 可乐 1 从 MAIN 到 B1")
    assert "你没有仓库 MAIN 的权限" in reply


async def test_count_posts_the_variance(chat: Chat) -> None:
    reply = await chat.say("clerk1", "盘点 可乐 23")
    assert "已过账 盘点单 PD-20261126-0001" in reply
    assert "库存：可乐 23 瓶（MAIN）" in reply


async def test_writeoff_keeps_the_trailing_words_as_the_reason(chat: Chat) -> None:
    reply = await chat.say("clerk1", "报损 可乐 2 过期 破损")
    assert "已过账 报损单 BS-20261126-0001" in reply
    assert "备注：过期 破损" in reply
    assert "备注：过期 破损" in await chat.say("audit", "单据 BS-20261126-0001")


async def test_large_writeoff_awaits_approval(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 200")
    reply = await chat.say("clerk1", "报损 可乐 150 过期")
    assert "报损单 BS-20261126-0001 已提交，需审批后过账" in reply
    assert "报损金额 ¥300.00 超过审批阈值 ¥200.00" in reply


async def test_price_change_is_requested_for_approval(chat: Chat) -> None:
    reply = await chat.say("clerk1", "调价 可乐 3.8 促销结束")
    assert "调价申请已提交，需审批后生效" in reply
    assert "原因：促销结束\n可乐 售价：¥3.50 → ¥3.80" in reply
    assert "审批单 SP-20261126-0001" in reply
    assert "¥3.90" in await chat.say("clerk1", "price 雪碧 @3.9")


async def test_price_change_reply_shows_the_change_once_and_no_reason_unless_given(
    chat: Chat,
) -> None:
    reply = await chat.say("clerk1", "调价 可乐 3.8")
    assert reply.count("¥3.50 → ¥3.80") == 1
    assert "原因" not in reply
    assert "可乐 售价 ¥3.50 → ¥3.80" in await chat.say("mgr1", "待审批")


async def test_writeoff_reason_written_with_a_colon_is_the_note(chat: Chat) -> None:
    reply = await chat.say("clerk1", "报损 可乐 2 原因:破损")
    assert "已过账 报损单 BS-20261126-0001" in reply
    assert "备注：破损" in reply


async def test_price_change_to_the_same_price_is_refused(chat: Chat) -> None:
    assert "可乐 现价已是 ¥3.50，无需调价" in await chat.say("clerk1", "调价 可乐 ¥3.5")


async def test_a_write_off_beyond_stock_where_negative_is_allowed_shows_the_right_after(
    chat: Chat,
) -> None:
    """Where negative stock is allowed the shortfall is a move of its own: counted once."""
    await in_transaction(
        chat.uow,
        lambda uow: catalog.configure_warehouse(uow, "test", "MAIN", negative_stock_policy="allow"),
    )
    reply = await chat.say("clerk1", "报损 可乐 124 损坏")  # ¥248 at cost 2, over ¥200
    assert "需审批后过账" in reply and "可乐@MAIN：24 → -100" in reply
