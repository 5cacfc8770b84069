"""Transcripts of adding an item by chat: 新品 by managers and admins, refused for clerks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.storage import AuditLog, UnitOfWork
from tests.support.chat import Chat, ChatFactory
from tests.support.ledger import run, seed_shop


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory) -> Chat:
    await seed_shop(uow)
    return chat_factory(uow)


async def audit_entries(uow: UnitOfWork, action: str) -> list[AuditLog]:
    async def read(u: UnitOfWork) -> list[AuditLog]:
        return list(await u.session.scalars(select(AuditLog).where(AuditLog.action == action)))

    return await run(uow, read)


async def test_manager_adds_an_item_that_can_then_be_received_and_sold(chat: Chat) -> None:
    reply = await chat.say("mgr1", "新品 芬达 条码 690001 售价 3.5 单位 瓶")
    assert reply == (
        "已添加商品 芬达（编码 690001）\n"
        "售价 ¥3.50，单位 瓶，条码 690001\n"
        "现在可以登记入库，例如：入库 芬达 24"
    )
    assert "已过账 入库单" in await chat.say("clerk1", "入库 芬达 24")
    assert "芬达 2 瓶 × ¥3.50 = ¥7.00" in await chat.say("clerk1", "销售 690001 2")
    [entry] = await audit_entries(chat.uow, "item.create")
    assert (entry.actor, entry.subject) == ("mgr1", "item:690001")
    assert entry.payload["price"] == "3.5" and entry.payload["unit"] == "瓶"


async def test_new_item_defaults_and_optional_fields(chat: Chat) -> None:
    plain = await chat.say("boss", "newitem 手工饺子 售价12")
    assert plain.startswith("已添加商品 手工饺子（编码 P00006）\n售价 ¥12.00，单位 个\n")
    full = await chat.say(
        "boss", "新品 散装大米 售价 6.8 单位 kg 进价 4 分类 粮油 保质期 180天 补货点 50 编码 RICE"
    )
    assert "已添加商品 散装大米（编码 RICE）" in full
    assert "单位 kg，进价 ¥4.00，分类 粮油，保质期 180 天，补货点 50 kg" in full
    assert "散装大米 1.5 kg" in await chat.say("clerk1", "入库 散装大米 1.5kg")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新品 可乐 售价 3", "已有商品“可乐”（COKE），不能重复添加"),
        ("新品 可乐零度 条码 6901234567890 售价 3", "条码 6901234567890 已用于 可乐（COKE）"),
        ("新品 可乐零度 编码 COKE 售价 3", "编码 COKE 已用于 可乐，请换一个编码"),
        ("新品 芬达 条码 69-0001 售价 3", "条码“69-0001”无效：应为 4 到 14 位数字"),
        ("新品 芬达 条码 690001", "缺少售价，例如：新品 可乐 条码 690001 售价 3.5 单位 瓶"),
        ("新品 芬达 售价 abc", "单价“abc”不是有效的数字"),
        ("新品 芬达 售价 -1", "单价不能为负数"),
        ("新品 芬达 售价 0", "售价必须大于 0（收到 ¥0.00）"),
        ("新品 售价 3", "缺少商品名称"),
        ("新品 123 售价 3", "商品名称不能只是数字"),
        ("新品 芬达 售价 3 保质期 1.5", "保质期请写整天数"),
        ("新品 芬达 售价 3 单位 2瓶", "单位“2瓶”无效"),
    ],
)
async def test_bad_or_duplicate_new_items_are_refused_and_nothing_is_added(
    chat: Chat, text: str, expected: str
) -> None:
    reply = await chat.say("mgr1", text)
    assert expected in reply
    assert await audit_entries(chat.uow, "item.create") == []


async def test_clerk_is_told_who_may_add_items(chat: Chat) -> None:
    refused = await chat.say("clerk1", "新品 芬达 售价 3")
    assert "“新品”只有店长、管理员可以使用，你的角色是店员" in refused
    unknown = await chat.say("clerk1", "入库 芬达 10")
    assert "没有找到商品“芬达”" in unknown
    assert "如是新商品，请店长或管理员用“新品”添加后再登记" in unknown


async def test_manager_receiving_an_unknown_item_is_shown_how_to_add_it(chat: Chat) -> None:
    reply = await chat.say("mgr1", "入库 芬达 10")
    assert "如是新商品，先添加：新品 芬达 条码 690001 售价 3.5 单位 瓶" in reply
    assert "新品 芬达" in await chat.say("mgr1", "查 芬达")


async def test_help_shows_new_item_to_managers_and_admins_only(chat: Chat) -> None:
    assert "新品/newitem：" in await chat.say("mgr1", "帮助 库存")
    assert "新品/newitem" in await chat.say("boss", "帮助")
    assert "新品" not in await chat.say("clerk1", "帮助")
