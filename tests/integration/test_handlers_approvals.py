"""Transcripts of approval requests by chat: 待审批, 批准, 驳回, 撤回 and card clicks."""

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
    """A shop where clerk1 asked to sell 5 of 3 cola (SP-…-0001) and to reprice it (…-0002)."""
    await seed_shop(uow)
    chat = chat_factory(uow)
    await chat.say("clerk1", "入库 可乐 3")
    await chat.say("clerk1", "销售 可乐 5")
    await chat.say("clerk1", "调价 可乐 3.8")
    return chat


async def test_manager_sees_the_open_requests_of_their_warehouses(chat: Chat) -> None:
    reply = await chat.say("mgr1", "待审批")
    assert reply.splitlines()[0] == "待审批 2 条："
    assert "SP-20261126-0001 负库存销售（MAIN）小王 11-26 10:00" in reply
    assert "SP-20261126-0002 调价（MAIN）小王 11-26 10:00" in reply
    assert "没有等待审批的申请" in await chat.say("mgr2", "pending")
    assert "待审批 2 条" in await chat.say("boss", "待审批")


async def test_manager_approves_a_sale_by_text_and_it_posts(chat: Chat) -> None:
    reply = await chat.say("mgr1", "批准 sp-20261126-0001")
    assert "已批准 SP-20261126-0001（负库存销售，申请人 小王）" in reply
    assert "销售单 XS-20261126-0001 已过账" in reply
    assert "库存：可乐 -2 瓶（MAIN）" in reply
    assert "没有等待审批" not in await chat.say("mgr1", "待审批")


async def test_manager_approves_a_price_change(chat: Chat) -> None:
    reply = await chat.say("mgr1", "批准 SP-20261126-0002 可以")
    assert "可乐 售价 ¥3.50 → ¥3.80" in reply
    assert "售价 ¥3.80" in await chat.say("clerk1", "查 可乐")


async def test_manager_rejects_with_a_reason_and_nothing_posts(chat: Chat) -> None:
    reply = await chat.say("mgr1", "驳回 SP-20261126-0001 数量不对")
    assert "已驳回 SP-20261126-0001（负库存销售，申请人 小王）" in reply
    assert "原因：数量不对" in reply
    assert "XS-20261126-0001 销售 已驳回" in await chat.say("mgr1", "单据")


async def test_a_decided_request_is_not_decided_again(chat: Chat) -> None:
    await chat.say("mgr1", "驳回 SP-20261126-0001")
    again = await chat.say("boss", "批准 SP-20261126-0001")
    assert "申请 SP-20261126-0001 已驳回（李姐），本次操作未做任何更改" in again


async def test_requester_cannot_approve_their_own_request(chat: Chat) -> None:
    await chat.say("mgr1", "调价 雪碧 4")
    reply = await chat.say("mgr1", "批准 SP-20261126-0003")
    assert "不能审批自己提交的申请" in reply


async def test_manager_of_another_warehouse_cannot_approve(chat: Chat) -> None:
    assert "你不是仓库 MAIN 的店长" in await chat.say("mgr2", "批准 SP-20261126-0001")


async def test_unknown_request_number(chat: Chat) -> None:
    assert "没有编号为 SP-20261126-0099 的审批申请" in await chat.say(
        "mgr1", "批准 SP-20261126-0099"
    )


async def test_expired_request_cannot_be_approved(chat: Chat, clock: ManualClock) -> None:
    clock.advance(hours=25)
    assert "该申请已过期，未做任何更改" in await chat.say("mgr1", "批准 SP-20261126-0001")


async def test_requester_withdraws_their_request_and_others_cannot(chat: Chat) -> None:
    assert "只有申请人本人可以撤回申请" in await chat.say("clerk2", "撤回 SP-20261126-0002")
    reply = await chat.say("clerk1", "撤回 SP-20261126-0002")
    assert "已撤回 SP-20261126-0002（调价），未做任何更改" in reply
    assert "已撤回（小王）" in await chat.say("clerk1", "撤回 SP-20261126-0002")


async def test_card_click_approves_and_answers_the_clicker(chat: Chat) -> None:
    reply = await chat.click("mgr1", "approve:SP-20261126-0002")
    assert "已批准 SP-20261126-0002（调价" in reply
    second = await chat.click("boss", "reject:SP-20261126-0002")
    assert "已批准（李姐），本次操作未做任何更改" in second


async def test_card_click_reject_and_unknown_buttons(chat: Chat) -> None:
    assert "已驳回 SP-20261126-0001" in await chat.click("mgr1", "reject:SP-20261126-0001")
    assert "无法识别这个按钮" in await chat.click("mgr1", "explode:SP-20261126-0001")
    assert "只有店长或管理员可以审批" in await chat.click("clerk2", "approve:SP-20261126-0002")


async def test_card_click_by_an_unknown_user_is_refused(chat: Chat) -> None:
    assert "请联系管理员开通" in await chat.click("stranger", "approve:SP-20261126-0001")
    assert "待审批 2 条" in await chat.say("mgr1", "待审批")


async def test_many_open_requests_are_listed_ten_with_the_rest_counted(chat: Chat) -> None:
    for n in range(10):
        await chat.say("clerk1", f"销售 可乐 {n + 10}")
    reply = await chat.say("mgr1", "待审批")
    assert reply.startswith("待审批 12 条：")
    assert "还有 2 条未显示" in reply
    assert len(reply.encode()) < 2048


async def test_a_price_below_the_cent_is_shown_as_it_will_be_set(chat: Chat) -> None:
    """The request, the card and the decision show ¥3.805, the price approving sets, not ¥3.81."""
    request = await chat.say("clerk1", "调价 雪碧 3.805")
    assert "雪碧 售价：¥3.50 → ¥3.805" in request
    assert "雪碧 售价 ¥3.50 → ¥3.805" in await chat.say("mgr1", "批准 SP-20261126-0003")
    assert "雪碧 现价已是 ¥3.805，无需调价" in await chat.say("clerk1", "调价 雪碧 3.805")
