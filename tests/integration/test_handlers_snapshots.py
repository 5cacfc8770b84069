"""The main replies, compared whole with ``tests/snapshots/*.txt`` (fixed clock, fresh shop).

After an intended wording change, rerun with ``JXC_UPDATE_SNAPSHOTS=1`` and review the diff.
"""

from __future__ import annotations

import pytest

from core.storage import UnitOfWork
from tests.support.chat import Chat, ChatFactory, assert_snapshot
from tests.support.ledger import seed_shop


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory) -> Chat:
    await seed_shop(uow)
    return chat_factory(uow)


async def test_help_snapshots(chat: Chat) -> None:
    assert_snapshot("help_clerk", await chat.say("clerk1", "帮助"))
    assert_snapshot("help_manager", await chat.say("mgr1", "帮助"))
    assert_snapshot("help_manager_money", await chat.say("mgr1", "帮助 往来"))


async def test_refusal_snapshots(chat: Chat) -> None:
    assert_snapshot("unknown_user", await chat.say("stranger", "查 可乐"))
    assert_snapshot("role_refused", await chat.say("audit", "销售 可乐 1"))
    assert_snapshot("bad_quantity", await chat.say("clerk1", "入库 可乐 1.5"))


async def test_posting_snapshots(chat: Chat) -> None:
    assert_snapshot(
        "receipt_posted",
        await chat.say("clerk1", "入库 鲜牛奶 12 单价4 批号 L1 到期 2026-12-01 供应商 光明"),
    )
    await chat.say("clerk1", "入库 可乐 24, 雪碧 24")
    assert_snapshot("sale_posted", await chat.say("clerk1", "销售 客户张三: 可乐 2 @4, 雪碧 3"))
    assert_snapshot("transfer_posted", await chat.say("mgr1", "调拨 鲜牛奶 4 到 B1"))
    assert_snapshot("approval_requested", await chat.say("clerk1", "销售 可乐 30"))
    assert_snapshot("stock_balance", await chat.say("clerk1", "查 鲜牛奶"))
    assert_snapshot("stock_reserved", await chat.say("clerk1", "查 可乐"))
    assert_snapshot("ambiguous_pick", await chat.say("clerk1", "查 牛奶"))


async def test_document_and_approval_snapshots(chat: Chat) -> None:
    await chat.say("clerk1", "入库 可乐 24")
    await chat.say("clerk1", "销售 可乐 30")
    await chat.say("clerk1", "调价 雪碧 3.8 新品价")
    assert_snapshot("documents_list", await chat.say("clerk1", "单据"))
    assert_snapshot("document_detail", await chat.say("clerk1", "单据 RK-20261126-0001"))
    assert_snapshot("pending", await chat.say("mgr1", "待审批"))
    assert_snapshot("approved", await chat.say("mgr1", "批准 SP-20261126-0001"))
    assert_snapshot("rejected", await chat.say("mgr1", "驳回 SP-20261126-0002 价格太高"))
