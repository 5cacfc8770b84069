"""Malformed input, role refusals, help per role, and numbered picks for ambiguous names."""

from __future__ import annotations

import pytest

from core.storage import UnitOfWork
from tests.support.chat import Chat, ChatFactory
from tests.support.clock import ManualClock
from tests.support.ledger import seed_shop


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory) -> Chat:
    await seed_shop(uow)
    chat = chat_factory(uow)
    await chat.add_user("buyer1", "purchaser", "MAIN")
    return chat


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("入库 可乐", "缺少数量，例如：入库 可乐 24"),
        ("入库", "缺少商品和数量，例如：入库 可乐 24"),
        ("入库 可乐 abc", "数量“abc”不是有效的数字，例如：入库 可乐 24"),
        ("入库 可乐 0", "数量不能为 0，例如：入库 可乐 2"),
        ("入库 可乐 -3", "入库数量必须大于 0"),
        ("入库 可乐 1.5", "可乐 以“瓶”计，数量只能是整数（收到 1.5）\n例如：入库 可乐 24 单价2.5"),
        ("入库 红富士苹果 1.2345kg", "数量只能是最多 3 位小数（收到 1.2345）\n例如："),
        ("入库 可乐 24箱", "可乐 以“瓶”计，不能按“箱”登记，例如：入库 可乐 24瓶"),
        ("入库 芬达 3", "没有找到商品“芬达”。请检查名称，或发送 查 加商品编码/条码\n如是新商品"),
        ("入库 可乐 3 仓库 X9", "没有代码为 X9 的仓库/门店\n例如：入库 可乐 24 单价2.5"),
        ("入库 可乐 3 单价 abc", "单价“abc”不是有效的数字，例如：入库 可乐 24"),
        ("入库 可乐 3 到期 2027-02-30", "日期“2027-02-30”无效，请写成 2027-01-31"),
        ("入库 可乐 3 供应商", "“供应商”后面缺少内容，例如：入库 可乐 24"),
        ("入库 可乐 12345678901", "数量“12345678901”太大了"),
        ("销售 可乐 2 张三", "看不懂“张三”，例如：销售 可乐 2"),
        ("销售 可乐 2 客户 张三, 雪碧 1 客户 李四", "“客户”写了两个不同的值"),
        ("销售 可乐 2 @1 @2", "“单价”写了两次"),
        ("销售 可乐 2 @-1", "单价不能为负数，例如：@3.5"),
        ("销售 仓库 MAIN: 可乐 2 批号", "“批号”后面缺少内容"),
        ("销售 张三: 可乐 2", "冒号前只能写 客户、仓库 等选项，看不懂“张三”"),
        ("查", "请写出商品名称、编码或条码，例如：查 可乐"),
        ("盘点 可乐 -1", "盘点数量不能为负数，例如：盘点 可乐 23"),
        ("调价 可乐 abc", "价格“abc”不是有效的数字，例如：调价 可乐 3.8"),
        ("调价 可乐", "缺少价格，例如：调价 可乐 3.8"),
        ("调价 可乐 3.8箱", "价格“3.8箱”看不懂"),
        ("撤回", "缺少审批编号，例如：撤回 SP-20261126-0001"),
    ],
)
async def test_malformed_input_says_what_is_wrong_and_posts_nothing(
    chat: Chat, text: str, expected: str
) -> None:
    reply = await chat.say("clerk1", text)
    assert expected in reply
    assert "例如" in reply
    assert await chat.document_numbers() == []


@pytest.mark.parametrize(
    ("userid", "text", "allowed"),
    [
        ("audit", "入库 可乐 1", "店员、采购、店长、管理员"),
        ("audit", "销售 可乐 1", "店员、店长、管理员"),
        ("audit", "退货 可乐 1", "店员、店长、管理员"),
        ("audit", "盘点 可乐 1", "店员、店长、管理员"),
        ("audit", "报损 可乐 1", "店员、店长、管理员"),
        ("audit", "调价 可乐 3", "店员、店长、管理员"),
        ("audit", "撤回 SP-20261126-0001", "店员、采购、店长、管理员"),
        ("buyer1", "销售 可乐 1", "店员、店长、管理员"),
        ("clerk1", "调拨 可乐 1 到 B1", "采购、店长、管理员"),
        ("clerk1", "采购退货 可乐 1", "采购、店长、管理员"),
        ("clerk1", "待审批", "店长、管理员"),
        ("clerk1", "批准 SP-20261126-0001", "店长、管理员"),
        ("buyer1", "驳回 SP-20261126-0001", "店长、管理员"),
    ],
)
async def test_refused_command_names_the_roles_that_may_use_it(
    chat: Chat, userid: str, text: str, allowed: str
) -> None:
    reply = await chat.say(userid, text)
    assert f"只有{allowed}可以使用" in reply
    assert await chat.document_numbers() == []


async def test_help_lists_only_the_commands_of_the_role(chat: Chat) -> None:
    clerk = await chat.say("clerk1", "帮助")
    assert "销售/sell" in clerk
    assert "待审批" not in clerk and "调拨" not in clerk
    auditor = await chat.say("audit", "help")
    assert auditor.splitlines()[1:-1] == [
        "【库存】查/stock",
        "【单据】单据/docs  下一页/more",
        "【往来】客户/customer  供应商/supplier  应收/receivables  应付/payables  "
        "对账单/statement  合同/contract",
        "【报表】毛利/margin  健康检查/health  用量/usage",
        "【配方】配方/recipe",
    ]
    manager = await chat.say("mgr1", "帮助")
    assert "待审批/pending" in manager and "批准/approve" in manager


async def test_help_of_a_section_gives_each_command_with_its_example(chat: Chat) -> None:
    trade = await chat.say("clerk1", "帮助 买卖")
    assert trade.splitlines()[0] == "【买卖】小王（店员）可以用："
    assert "销售/sell：" in trade and "例：销售 客户张三: 可乐 2 @3.5, 雪碧 3" in trade
    assert "采购退货" not in trade
    assert "里没有你（审计）能用的命令" in await chat.say("audit", "帮助 买卖")


async def test_help_of_one_command_says_who_may_use_it(chat: Chat) -> None:
    assert (await chat.say("clerk1", "帮助 入库")).startswith("入库/receive：收货入库")
    assert (await chat.say("clerk1", "help sell")).startswith("销售/sell：")
    refused = await chat.say("clerk1", "帮助 调拨")
    assert "“调拨”只有采购、店长、管理员可以使用，你的角色是店员" in refused


async def test_help_of_an_unknown_topic_names_the_sections(chat: Chat) -> None:
    reply = await chat.say("clerk1", "帮助 咖啡")
    assert "没有“咖啡”这个类别或命令" in reply and "库存、买卖、订单" in reply
    assert "帮助 入库" in reply


async def test_ambiguous_name_offers_a_numbered_list_and_the_number_picks(chat: Chat) -> None:
    offer = await chat.say("clerk1", "入库 可乐 6, 牛奶 5")
    assert offer.splitlines()[:3] == [
        "“牛奶”对应多个商品，请回复序号：",
        "1. 酸牛奶（MILK2）",
        "2. 鲜牛奶（MILK）",
    ]
    assert await chat.document_numbers() == []
    picked = await chat.say("clerk1", "2")
    assert "已过账 入库单 RK-20261126-0001" in picked
    assert "可乐 6 瓶" in picked and "鲜牛奶 5 盒" in picked
    assert "没有等待选择的商品列表" in await chat.say("clerk1", "2")


async def test_pick_works_for_stock_queries_and_rejects_numbers_out_of_range(chat: Chat) -> None:
    await chat.say("clerk1", "查 牛奶")
    assert "请回复 1 到 2 之间的序号" in await chat.say("clerk1", "3")
    assert "酸牛奶（MILK2）" in await chat.say("clerk1", "1")


async def test_pick_expires_after_ten_minutes(chat: Chat, clock: ManualClock) -> None:
    await chat.say("clerk1", "入库 牛奶 5")
    clock.advance(minutes=10)
    assert "已超过 10 分钟" in await chat.say("clerk1", "1")
    assert await chat.document_numbers() == []


async def test_a_number_without_a_list_says_so(chat: Chat) -> None:
    assert "没有等待选择的商品列表" in await chat.say("clerk1", "1")
