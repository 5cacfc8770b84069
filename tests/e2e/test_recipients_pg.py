"""Sixty approvers with 64-character userids on PostgreSQL: cards, alerts and failure notes reach
every one of them (recipients used to overflow a 200-character column)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.fake_wecom import FakeWeCom
from core import catalog, ledger
from core.ledger import Line, Receive
from core.storage import UnitOfWork
from handlers import dispatch
from handlers.inbound import Inbound
from notifications.registry import run_rule
from tests.support.bot_harness import BotHarness, running_bot
from tests.support.ledger import seed_shop

pytestmark = pytest.mark.pg

MANAGERS = [f"manager-{n:02d}-".ljust(64, "m") for n in range(30)]
ADMINS = [f"admin-{n:02d}-".ljust(64, "a") for n in range(30)]


async def fail_on_boom(uow: UnitOfWork, inbound: Inbound) -> None:
    if inbound.text == "boom":
        raise RuntimeError("a handler bug")
    await dispatch.handle(uow, inbound)


@pytest.fixture
async def bot(pg_url: str, fake_wecom: FakeWeCom) -> AsyncIterator[BotHarness]:
    async with running_bot(pg_url, fake_wecom, handle=fail_on_boom) as harness:
        await seed_shop(harness.uow())

        async def enrol(uow: UnitOfWork) -> None:
            for n, userid in enumerate(MANAGERS):
                await catalog.save_user(uow, "test", userid, f"经理{n}", "manager", ["MAIN"])
            for n, userid in enumerate(ADMINS):
                await catalog.save_user(uow, "test", userid, f"管理员{n}", "admin", ["MAIN"])

        await harness.run(enrol)
        yield harness


async def test_an_approval_card_reaches_all_60_approvers_and_its_update_too(
    bot: BotHarness,
) -> None:
    [requested] = await bot.chat.say("clerk1", "调价 可乐 3.8")
    assert "审批" in requested

    assert all(len(bot.fake.cards_to(userid)) == 1 for userid in MANAGERS + ADMINS)
    [card] = bot.fake.cards_to(MANAGERS[0])
    approve = next(b["key"] for b in card["button_list"] if b["key"].startswith("approve:"))
    [decided] = await bot.chat.click(MANAGERS[7], card["task_id"], approve)
    assert "已批准" in decided
    [update] = bot.fake.card_updates()
    assert set(MANAGERS + ADMINS) <= set(update["userids"])


async def test_an_alert_rule_runs_and_its_alert_reaches_all_60(bot: BotHarness) -> None:
    async def low_stock(uow: UnitOfWork) -> list[str]:
        receipt = Receive(warehouse="MAIN", actor="boss", lines=(Line("COKE", Decimal(3)),))
        await ledger.submit(uow, receipt)
        report = await run_rule(uow, "low-stock", uow.now() + timedelta(minutes=1))
        return list(report.alerted)

    assert await bot.run(low_stock) == ["MAIN:COKE"]
    await bot.settled()

    for userid in MANAGERS + ADMINS:
        # No group chat: each gets the card with its buttons, and the full list.
        [card] = bot.fake.cards_to(userid)
        assert card["horizontal_content_list"][0]["keyname"] == "可乐"
        assert [m["msgtype"] for m in bot.fake.messages_to(userid)] == ["template_card", "file"]


async def test_a_failure_note_reaches_all_30_admins(bot: BotHarness) -> None:
    [busy] = await bot.chat.say("clerk1", "boom")
    assert "系统繁忙" in busy

    for userid in ADMINS:
        [note] = bot.fake.texts_to(userid)
        assert "clerk1" in note and "RuntimeError" in note
