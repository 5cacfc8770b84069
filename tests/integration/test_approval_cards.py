"""The approval card: sent to the warehouse's approvers, updated once decided."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from core.storage import OutboxMessage, UnitOfWork, in_transaction
from handlers.inbound import Inbound
from tests.support.chat import Chat
from tests.support.ledger import seed_shop


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def chat(uow: UnitOfWork) -> Chat:
    await seed_shop(uow)
    return Chat(uow)


async def rows(uow: UnitOfWork, channel: str) -> list[OutboxMessage]:
    async def read(u: UnitOfWork) -> list[OutboxMessage]:
        found = await u.session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == channel).order_by(OutboxMessage.id)
        )
        return list(found)

    return await in_transaction(uow, read)


async def deliver_card(uow: UnitOfWork, response_code: str) -> None:
    """What the delivery worker records when message/send accepted the card."""

    async def mark(u: UnitOfWork) -> None:
        await u.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like("approval-card:%"))
            .values(status="sent", response={"errcode": 0, "response_code": response_code})
        )

    await in_transaction(uow, mark)


def card_of(row: OutboxMessage) -> dict[str, Any]:
    return dict(row.payload["card"])


async def test_price_request_sends_one_card_to_the_approvers_not_the_requester(
    chat: Chat, uow: UnitOfWork
) -> None:
    reply = await chat.say("clerk1", "调价 可乐 3.8")
    assert "已发给 老板、李姐 审批" in reply
    [card_row] = [r for r in await rows(uow, "user") if r.payload["msgtype"] == "card"]
    assert card_row.target == "boss|mgr1"
    card = card_of(card_row)
    assert card["title"] == "调价审批 SP-20261126-0001"
    assert ["申请人", "小王"] in card["rows"]
    assert ["可乐 售价", "¥3.50 → ¥3.80"] in card["rows"]
    assert [b["key"] for b in card["buttons"]] == [
        "approve:SP-20261126-0001",
        "reject:SP-20261126-0001",
    ]


async def test_click_approves_updates_the_card_with_its_code_and_tells_the_requester(
    chat: Chat, uow: UnitOfWork
) -> None:
    await chat.say("clerk1", "调价 可乐 3.8")
    await deliver_card(uow, "SEND-CODE")
    click = Inbound(
        userid="mgr1",
        kind="card_click",
        key="card:click-1",
        task_id="t",
        event_key="approve:SP-20261126-0001",
        response_code="CLICK-CODE",
    )
    assert "已批准 SP-20261126-0001" in await chat.send(click)
    [update_row] = await rows(uow, "card_update")
    assert update_row.payload == {
        "userids": ["boss", "mgr1"],
        "response_code": "CLICK-CODE",
        "replace_name": "已批准·李姐",
    }
    told = [r.payload["text"]["content"] for r in await rows(uow, "user") if r.target == "clerk1"]
    assert any("你的调价申请 SP-20261126-0001 已批准（李姐）" in t and "¥3.80" in t for t in told)
    assert "3.80" in await chat.say("clerk1", "查 可乐")


async def test_text_decision_updates_the_card_with_the_send_code(
    chat: Chat, uow: UnitOfWork
) -> None:
    await chat.say("clerk1", "调价 可乐 3.8")
    await deliver_card(uow, "SEND-CODE")
    await chat.say("mgr1", "驳回 SP-20261126-0001")
    [update_row] = await rows(uow, "card_update")
    assert update_row.payload["response_code"] == "SEND-CODE"
    assert update_row.payload["replace_name"] == "已驳回·李姐"


async def test_rejecting_by_card_then_adding_a_reason_tells_the_requester_twice(
    chat: Chat, uow: UnitOfWork
) -> None:
    await chat.say("clerk1", "调价 可乐 3.8")
    reply = await chat.click("mgr1", "reject:SP-20261126-0001")
    assert "驳回 SP-20261126-0001 原因" in reply
    assert "已补充驳回原因" in await chat.say("mgr1", "驳回 SP-20261126-0001 价格太高")
    told = [r.payload["text"]["content"] for r in await rows(uow, "user") if r.target == "clerk1"]
    assert len([t for t in told if "已驳回（李姐）" in t]) == 2
    assert "原因：价格太高" in told[-1]


async def test_withdrawn_request_greys_out_the_card(chat: Chat, uow: UnitOfWork) -> None:
    await chat.say("clerk1", "调价 可乐 3.8")
    await deliver_card(uow, "SEND-CODE")
    await chat.say("clerk1", "撤回 SP-20261126-0001")
    [update_row] = await rows(uow, "card_update")
    assert update_row.payload["replace_name"] == "已撤回"


async def test_no_other_approver_in_the_warehouse_is_said_plainly(
    chat: Chat, uow: UnitOfWork
) -> None:
    await chat.add_user("boss", "admin", "MAIN", active=False)
    reply = await chat.say("mgr1", "调价 可乐 3.8")
    assert "暂无可审批的店长，请联系管理员" in reply
    assert [r for r in await rows(uow, "user") if r.payload["msgtype"] == "card"] == []


async def test_a_request_for_goods_without_prices_shows_its_document_without_an_amount(
    chat: Chat, uow: UnitOfWork
) -> None:
    """A write-off has no prices: its ¥0.00 read beside 报损金额 ¥300.00 as the amount at stake."""
    await chat.say("clerk1", "入库 可乐 200")
    assert "需审批后过账" in await chat.say("clerk1", "报损 可乐 150 过期")  # ¥300 at cost
    [card_row] = [r for r in await rows(uow, "user") if r.payload["msgtype"] == "card"]
    card = card_of(card_row)
    assert card["description"] == "报损金额 ¥300.00 超过审批阈值 ¥200.00"
    assert ["单据", "BS-20261126-0001"] in card["rows"]


async def test_a_request_with_more_lines_than_the_card_holds_says_how_many_are_not_shown(
    chat: Chat, uow: UnitOfWork
) -> None:
    await chat.say("clerk1", "入库 可乐 100, 雪碧 100, 鲜牛奶 10, 酸牛奶 10")
    assert "需审批后过账" in await chat.say("clerk1", "报损 可乐 90, 雪碧 90, 鲜牛奶 5, 酸牛奶 5")
    [card_row] = [r for r in await rows(uow, "user") if r.payload["msgtype"] == "card"]
    shown = card_of(card_row)["rows"]
    assert len(shown) == 6
    assert shown[2:5] == [
        ["可乐@MAIN", "100 → 10"],
        ["雪碧@MAIN", "100 → 10"],
        ["另有 2 项", "看全部请发：单据 BS-20261126-0001"],
    ]
