"""领用: an issue document to a known department, approved above the value threshold."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core import recipes
from core.common import InvalidInput
from core.storage import UnitOfWork
from tests.support.chat import Chat, ChatFactory
from tests.support.ledger import run
from tests.support.recipes import assert_ledger_sound, on_hand, seed_kitchen


@pytest.fixture
async def chat(uow: UnitOfWork, chat_factory: ChatFactory, tmp_path: Path) -> Chat:
    await seed_kitchen(uow, tmp_path)
    chat = chat_factory(uow)
    await chat.say("clerk1", "入库 面粉 100")
    return chat


async def test_issue_to_the_kitchen_posts_an_issue_document(chat: Chat, uow: UnitOfWork) -> None:
    reply = await chat.say("clerk1", "领用 面粉 5 厨房")
    assert "已过账 领用单 LY-20261126-0001（MAIN）\n部门：厨房\n面粉 5 kg" in reply
    assert "库存：面粉 95 kg（MAIN）" in reply
    assert "部门：厨房" in await chat.say("audit", "单据 LY-20261126-0001")
    english = await chat.say("clerk1", "issue 面粉 1 部门 生产 早班")
    assert "部门：生产" in english and "备注：早班" in english
    listed = await chat.say("mgr1", "单据 本周 部门 厨房")
    assert "LY-20261126-0001" in listed and "LY-20261126-0002" not in listed
    await assert_ledger_sound(uow)


async def test_an_unknown_or_missing_department_is_refused_with_the_list(chat: Chat) -> None:
    unknown = await chat.say("clerk1", "领用 面粉 5 前厅")
    assert "没有部门“前厅”。现有部门：厨房、生产；例如：领用 面粉 5 厨房" in unknown
    missing = await chat.say("clerk1", "领用 面粉 5")
    assert "请写出领用部门（厨房、生产），例如：领用 面粉 5 厨房" in missing
    assert len(await chat.document_numbers()) == 1


async def test_departments_added_by_the_admin_can_be_issued_to(chat: Chat, uow: UnitOfWork) -> None:
    assert await run(uow, lambda u: recipes.add_department(u, "boss", "前厅")) == "前厅"
    with pytest.raises(InvalidInput):
        await run(uow, lambda u: recipes.add_department(u, "boss", "厨房"))
    assert await run(uow, recipes.list_departments) == ["厨房", "生产", "前厅"]
    assert "部门：前厅" in await chat.say("clerk1", "领用 面粉 1 前厅")


async def test_an_issue_over_the_value_threshold_waits_for_approval(
    chat: Chat, uow: UnitOfWork
) -> None:
    # 60 kg × ¥4 = ¥240 > the default ¥200 threshold.
    reply = await chat.say("clerk1", "领用 面粉 60 厨房")
    assert "领用单 LY-20261126-0001 已提交，需审批后过账" in reply
    assert "领用金额 ¥240.00 超过审批阈值 ¥200.00" in reply
    assert await on_hand(uow, "FLOUR") == 100
    assert "可用 40 kg（待审批占用 60 kg）" in await chat.say("clerk1", "查 面粉")
    assert "已批准" in await chat.say("mgr1", "批准 SP-20261126-0001")
    assert await on_hand(uow, "FLOUR") == Decimal(40)
    await assert_ledger_sound(uow)


async def test_auditors_cannot_issue(chat: Chat) -> None:
    reply = await chat.say("audit", "领用 面粉 1 厨房")
    assert "“领用”只有店员、店长、管理员可以使用，你的角色是审计" in reply
    assert len(await chat.document_numbers()) == 1
