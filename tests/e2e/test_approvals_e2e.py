"""Two-step verification end to end: signed callbacks in, cards and messages out of the fake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.fake_wecom import FakeWeCom
from bot.wecom_messages import CardClick
from core import ledger
from core.storage import AuditLog, UnitOfWork
from tests.support.bot_harness import AGENT_ID, BotHarness, Chat, new_fake, running_bot
from tests.support.clock import ManualClock
from tests.support.ledger import seed_shop

PRICE_REQUEST = "SP-20261126-0001"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake_wecom(clock: ManualClock) -> AsyncIterator[FakeWeCom]:
    async with new_fake(clock=clock) as fake:
        yield fake


@pytest.fixture
async def bot(
    sqlite_url: str, fake_wecom: FakeWeCom, clock: ManualClock
) -> AsyncIterator[BotHarness]:
    async with running_bot(sqlite_url, fake_wecom, clock=clock) as harness:
        await seed_shop(harness.uow())
        yield harness


def task_of(fake: FakeWeCom, userid: str) -> str:
    [card] = fake.cards_to(userid)
    return str(card["task_id"])


async def price_of(bot: BotHarness) -> str:
    stock = await bot.run(lambda u: ledger.stock_of(u, "COKE"))
    return str(stock.price)


async def audit_count(bot: BotHarness, action: str) -> int:
    async def count(u: UnitOfWork) -> int:
        found = await u.session.scalar(select(func.count()).where(AuditLog.action == action))
        return int(found or 0)

    return await bot.run(count)


async def test_price_change_waits_for_a_manager_click_then_applies(
    bot: BotHarness, chat: Chat, fake_wecom: FakeWeCom
) -> None:
    [requested] = await chat.say("clerk1", "调价 可乐 3.8")
    assert "已发给 老板、李姐 审批" in requested
    assert fake_wecom.cards_to("clerk1") == []
    assert task_of(fake_wecom, "mgr1") == task_of(fake_wecom, "boss")
    assert "¥3.50" in (await chat.say("clerk1", "查 可乐"))[0]

    [decided] = await chat.click("mgr1", task_of(fake_wecom, "mgr1"), f"approve:{PRICE_REQUEST}")
    assert f"已批准 {PRICE_REQUEST}" in decided
    assert await price_of(bot) == "3.8000"
    [update] = fake_wecom.card_updates()
    assert update["button"]["replace_name"] == "已批准·李姐"
    assert sorted(update["userids"]) == ["boss", "mgr1"]
    assert any("已批准（李姐）" in text for text in chat.received("clerk1"))
    assert "¥3.80" in (await chat.say("clerk1", "查 可乐"))[0]


@pytest.mark.parametrize(
    ("clicker", "why"),
    [("clerk1", "不能审批自己"), ("clerk2", "只有店长或管理员"), ("mgr2", "不是仓库 MAIN 的店长")],
)
async def test_requester_clerks_and_other_store_managers_cannot_approve(
    bot: BotHarness, chat: Chat, fake_wecom: FakeWeCom, clicker: str, why: str
) -> None:
    await chat.say("clerk1", "调价 可乐 3.8")
    [refused] = await chat.click(clicker, task_of(fake_wecom, "mgr1"), f"approve:{PRICE_REQUEST}")
    assert why in refused
    assert await price_of(bot) == "3.5000"
    assert fake_wecom.card_updates() == []


async def test_requesting_manager_cannot_approve_their_own_request(
    bot: BotHarness, chat: Chat, fake_wecom: FakeWeCom
) -> None:
    await chat.say("mgr1", "调价 可乐 3.8")
    [refused] = await chat.click("mgr1", task_of(fake_wecom, "boss"), f"approve:{PRICE_REQUEST}")
    assert "不能审批自己提交的申请" in refused
    assert await price_of(bot) == "3.5000"


async def test_two_managers_clicking_at_once_apply_it_once(
    bot: BotHarness, chat: Chat, fake_wecom: FakeWeCom
) -> None:
    await chat.say("clerk1", "调价 可乐 3.8")
    task = task_of(fake_wecom, "mgr1")
    statuses = await asyncio.gather(
        bot.wecom.click_card("mgr1", task, f"approve:{PRICE_REQUEST}"),
        bot.wecom.click_card("boss", task, f"approve:{PRICE_REQUEST}"),
    )
    assert statuses == [200, 200]
    await bot.settled()
    assert await audit_count(bot, "price.change") == 1
    replies = chat.received("mgr1")[-1:] + chat.received("boss")[-1:]
    assert sum("本次操作未做任何更改" in r for r in replies) == 1


async def test_the_same_click_delivered_three_times_applies_once(
    bot: BotHarness, chat: Chat, fake_wecom: FakeWeCom
) -> None:
    await chat.say("clerk1", "调价 可乐 3.8")
    click = CardClick(
        from_user="mgr1",
        create_time=bot.wecom.now(),
        event_key=f"approve:{PRICE_REQUEST}",
        task_id=task_of(fake_wecom, "mgr1"),
        card_type="button_interaction",
        response_code=fake_wecom.issue_response_code(task_of(fake_wecom, "mgr1")),
        agent_id=AGENT_ID,
    )
    assert [await bot.wecom.send(click) for _ in range(3)] == [200, 200, 200]
    await bot.settled()
    assert await audit_count(bot, "price.change") == 1
    assert len(fake_wecom.texts_to("mgr1")) == 1
    assert len(fake_wecom.card_updates()) == 1


async def test_a_price_already_set_by_an_earlier_approval_voids_the_later_one_saying_why(
    bot: BotHarness, chat: Chat, fake_wecom: FakeWeCom
) -> None:
    await chat.say("clerk1", "调价 可乐 3.8")
    await chat.say("clerk2", "调价 可乐 3.8")
    await chat.say("mgr1", f"批准 {PRICE_REQUEST}")
    [late] = await chat.say("mgr1", "批准 SP-20261126-0002")
    assert "可乐 售价已由 ¥3.50 改为 ¥3.80，已是申请的 ¥3.80，无需再调" in late
    assert await price_of(bot) == "3.8000"
    [told] = [text for text in chat.received("clerk2") if "已冲突" in text]
    assert "申请已作废：申请后可乐 售价已由 ¥3.50 改为 ¥3.80，已是申请的 ¥3.80，无需再调" in told


async def test_sales_meanwhile_refresh_the_card_and_the_approver_decides_on_the_new_numbers(
    bot: BotHarness, chat: Chat, fake_wecom: FakeWeCom
) -> None:
    await chat.say("clerk1", "入库 可乐 96")
    await chat.say("clerk1", "销售 可乐 500")
    await chat.say("clerk2", "销售 可乐 2")
    await chat.say("clerk2", "销售 可乐 3")
    task = task_of(fake_wecom, "mgr1")

    [refreshed] = await chat.click("mgr1", task, f"approve:{PRICE_REQUEST}")
    assert refreshed.startswith("申请提交后可乐@MAIN 库存 96 → 91。")
    assert "可乐@MAIN：91 → -409" in refreshed
    [update] = fake_wecom.card_updates()
    assert sorted(update["userids"]) == ["boss", "mgr1"]
    card = update["template_card"]
    assert card["task_id"] == task
    assert {"keyname": "可乐@MAIN", "value": "91 → -409"} in card["horizontal_content_list"]
    assert card["main_title"]["desc"] == "库存不足：可乐 现有 91 瓶，需要 500 瓶"
    assert card["sub_title_text"] == "已按最新数据更新：可乐@MAIN 库存 96 → 91"
    assert [(b["text"], b["key"]) for b in card["button_list"]] == [
        ("批准", f"approve:{PRICE_REQUEST}@1"),
        ("驳回", f"reject:{PRICE_REQUEST}@1"),
    ]
    assert (await bot.run(lambda u: ledger.stock_of(u, "COKE"))).on_hand == 91

    [stale] = await chat.click("boss", task, f"approve:{PRICE_REQUEST}")
    assert "你点的是更新前的卡片，未做任何更改" in stale and "可乐@MAIN：91 → -409" in stale
    assert (await bot.run(lambda u: ledger.stock_of(u, "COKE"))).on_hand == 91

    [approved] = await chat.click("boss", task, f"approve:{PRICE_REQUEST}@1")
    assert f"已批准 {PRICE_REQUEST}" in approved and "库存：可乐 -409 瓶（MAIN）" in approved
    assert fake_wecom.card_updates()[-1]["button"]["replace_name"] == "已批准·老板"
    assert any("已批准（老板）" in text for text in chat.received("clerk1"))
    assert await audit_count(bot, "approval.refresh") == 1


async def test_negative_sale_by_a_clerk_posts_only_after_approval(
    bot: BotHarness, chat: Chat, fake_wecom: FakeWeCom
) -> None:
    await chat.say("clerk1", "入库 可乐 10")
    [pending] = await chat.say("clerk1", "销售 可乐 -2")
    assert "需审批后过账" in pending
    assert "10 瓶" in (await chat.say("clerk1", "查 可乐"))[0]
    await chat.click("mgr1", task_of(fake_wecom, "mgr1"), f"approve:{PRICE_REQUEST}")
    stock = await bot.run(lambda u: ledger.stock_of(u, "COKE"))
    assert stock.on_hand == 12
    assert await audit_count(bot, "document.post") == 2


async def test_click_after_expiry_is_refused_and_the_card_shows_expired(
    bot: BotHarness, chat: Chat, fake_wecom: FakeWeCom, clock: ManualClock
) -> None:
    await chat.say("clerk1", "调价 可乐 3.8")
    clock.advance(hours=25)
    [refused] = await chat.click("mgr1", task_of(fake_wecom, "mgr1"), f"approve:{PRICE_REQUEST}")
    assert "已过期" in refused
    assert await price_of(bot) == "3.5000"
    [update] = fake_wecom.card_updates()
    assert update["button"]["replace_name"] == "已过期"
