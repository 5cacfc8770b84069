"""Usage variance on a known week: theoretical (kit sales × recipe + production per BOM)
against actual (issues + production actuals + count variance), and the weekly alert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from core.recipes import usage
from core.storage import SHANGHAI, UnitOfWork
from tests.support.alerts import outbox, rule
from tests.support.chat import Chat, ChatFactory
from tests.support.clock import ManualClock
from tests.support.ledger import run
from tests.support.recipes import assert_ledger_sound, seed_kitchen

WEEK_START = datetime(2026, 11, 23, tzinfo=SHANGHAI)
WEEK_END = datetime(2026, 11, 30, tzinfo=SHANGHAI)


@pytest.fixture
async def chat(
    uow: UnitOfWork, chat_factory: ChatFactory, tmp_path: Path, clock: ManualClock
) -> Chat:
    """A known week in MAIN (Thursday 2026-11-26), and noise outside it and in B1."""
    clock.now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    await seed_kitchen(uow, tmp_path)
    chat = chat_factory(uow)
    clock.now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # the week before
    await chat.say("clerk1", "入库 鸡肉 20, 花生 2, 面粉 100, 鸡蛋 200")
    await chat.say("clerk1", "销售 宫保鸡丁 5")
    await chat.say("clerk1", "领用 鸡肉 3 厨房")
    clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    await chat.say("clerk1", "销售 宫保鸡丁 20")  # 鸡肉 4, 花生 1 in theory
    await chat.say("clerk1", "领用 鸡肉 4.6 厨房")  # 鸡肉 4.6 in fact
    await chat.say("clerk1", "盘点 花生 0.65")  # book 0.75: 0.1 short
    await chat.say("clerk1", "生产 面包 100 实际 面粉 26")  # 面粉 25.5 in theory, 26 used
    await chat.say("clerk1", "盘点 面粉 74.2")  # book 74: 0.2 found
    await chat.say("mgr2", "入库 鸡肉 5 仓库 B1")
    await chat.say("mgr2", "领用 鸡肉 5 厨房 仓库 B1")
    return chat


async def test_usage_report_gives_the_known_numbers_worst_first(
    chat: Chat, uow: UnitOfWork
) -> None:
    rows = await run(uow, lambda u: usage.usage(u, WEEK_START, WEEK_END, "MAIN"))
    table = [(r.sku, r.theoretical, r.actual, r.gap, r.gap_money, r.percent) for r in rows]
    assert table == [
        ("CHICKEN", 4, Decimal("4.6"), Decimal("0.6"), 18, Decimal("15.0")),
        ("FLOUR", Decimal("25.5"), Decimal("25.8"), Decimal("0.3"), Decimal("1.2"), Decimal("1.2")),
        ("EGG", 105, 105, 0, 0, 0),
        ("PEANUT", 1, Decimal("0.1"), Decimal("-0.9"), Decimal("-10.8"), Decimal("-90.0")),
    ]
    assert rows[0].documents == ["LY-20261126-0001"]
    everywhere = await run(uow, lambda u: usage.usage(u, WEEK_START, WEEK_END))
    assert everywhere[0].actual == Decimal("9.6")  # B1's 5 kg issue joins in
    await assert_ledger_sound(uow)


async def test_usage_in_chat_is_for_managers_admins_and_auditors(chat: Chat) -> None:
    reply = await chat.say("mgr1", "用量 本周")
    assert "用量对比 本周（MAIN）" in reply
    assert "1. 鸡肉：理论 4 kg，实际 4.6 kg，差 +0.6 kg（¥18.00，+15%） ⚠" in reply
    assert "2. 面粉：理论 25.5 kg，实际 25.8 kg，差 +0.3 kg（¥1.20，+1.2%）\n" in reply
    assert "4. 花生：理论 1 kg，实际 0.1 kg，差 -0.9 kg（¥-10.80，-90%） ⚠" in reply
    assert "用量对比 2026-11-23 至 2026-11-29（全部仓库）" in await chat.say(
        "audit", "用量 2026-11-23~2026-11-29"
    )
    b1 = await chat.say("audit", "用量 本周 仓库 b1")
    assert "（B1）" in b1 and "鸡肉：理论 0 kg，实际 5 kg" in b1
    assert "你没有仓库 B1 的权限" in await chat.say("mgr1", "用量 本周 仓库 B1")
    assert "只能写一个时间范围" in await chat.say("mgr1", "用量 本周 上周")
    assert "鸡肉：理论 1 kg，实际 3 kg" in await chat.say("mgr1", "用量 上周")
    assert "只有店长、管理员、审计可以使用" in await chat.say("clerk1", "用量 本周")
    assert "看不懂“明年”。时间可以写 今天、昨天、本周、本月" in await chat.say("mgr1", "用量 明年")


async def test_weekly_alert_names_ingredients_beyond_the_threshold_with_documents(
    chat: Chat, uow: UnitOfWork
) -> None:
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
    report = await rule(uow, "usage-variance", monday)
    assert sorted(report.alerted) == ["B1", "MAIN"]
    sent = {s.target: s.text for s in await outbox(uow, "usage-variance")}
    main = sent["boss|mgr1"]
    assert "用量差异周报" in main and "11-23 至 11-29" in main
    assert "- 鸡肉：理论 4 kg，实际 4.6 kg，差 0.6 kg（¥18.00，15%） 单据：LY-20261126-0001" in main
    assert (
        "- 花生：理论 1 kg，实际 0.1 kg，差 -0.9 kg（¥-10.80，-90%） 单据：PD-20261126-0001" in main
    )
    assert "面粉" not in main and "鸡蛋" not in main
    # B1 issued chicken with no sale behind it: all of it is beyond any threshold.
    assert (
        "- 鸡肉：理论 0 kg，实际 5 kg，差 5 kg（¥150.00） 单据：LY-20261126-0002"
        in (sent["boss|mgr2"])
    )
    again = await rule(uow, "usage-variance", monday)
    assert again.alerted == []
