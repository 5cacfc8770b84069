"""Usage variance on a known week: theoretical (kit sales × recipe + production per BOM)
against actual (issues + production actuals + count variance), and the weekly alert.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from config import Settings
from core import catalog, recipes
from core.common import InvalidInput
from core.recipes import usage
from core.storage import SHANGHAI, UnitOfWork
from tests.support.alerts import outbox, rule
from tests.support.chat import Chat, ChatFactory
from tests.support.cli import jxc
from tests.support.clock import ManualClock
from tests.support.ledger import run
from tests.support.recipes import assert_ledger_sound, on_hand, seed_kitchen

WEEK_START = datetime(2026, 11, 23, tzinfo=SHANGHAI)
WEEK_END = datetime(2026, 11, 30, tzinfo=SHANGHAI)
MAIN, B1 = 1, 2


async def set_kitchen(uow: UnitOfWork, warehouse: str, consumption: str) -> None:
    await run(
        uow,
        lambda u: catalog.configure_warehouse(u, "test", warehouse, kit_consumption=consumption),
    )


@pytest.fixture
async def chat(
    uow: UnitOfWork, chat_factory: ChatFactory, tmp_path: Path, clock: ManualClock
) -> Chat:
    """A known week (Thursday 2026-11-26) with noise outside it: MAIN's kitchen works by issue,
    B1 backflushes its dishes."""
    clock.now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    await seed_kitchen(uow, tmp_path)
    await set_kitchen(uow, "MAIN", "issue")
    chat = chat_factory(uow)
    clock.now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # the week before
    await chat.say("clerk1", "入库 鸡肉 20, 花生 2, 面粉 100, 鸡蛋 200")
    await chat.say("clerk1", "销售 宫保鸡丁 5")
    await chat.say("clerk1", "领用 鸡肉 3 厨房")
    clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    await chat.say("clerk1", "销售 宫保鸡丁 20")  # 鸡肉 4, 花生 1 in theory; no stock moves
    await chat.say("clerk1", "领用 鸡肉 4.6 厨房")  # 鸡肉 4.6 in fact
    await chat.say("clerk1", "领用 花生 1 厨房")
    await chat.say("clerk1", "盘点 花生 1.2")  # book 1: 0.2 found, so 0.8 used
    await chat.say("clerk1", "生产 面包 100 实际 面粉 26")  # 面粉 25.5 in theory, 26 used
    await chat.say("clerk1", "盘点 面粉 74.2")  # book 74: 0.2 found
    await chat.say("clerk1", "入库 鸭肉 2")
    await chat.say("clerk1", "领用 鸭肉 1 生产")  # no recipe uses duck: departments only
    await chat.say("mgr2", "入库 鸡肉 5, 花生 1, 鸡蛋 10 仓库 B1")
    await chat.say("mgr2", "销售 宫保鸡丁 10 仓库 B1")  # backflushed: 鸡肉 2, 花生 0.5
    await chat.say("mgr2", "盘点 鸡肉 2.8 仓库 B1")  # book 3: 0.2 short
    await chat.say("mgr2", "领用 鸡蛋 10 厨房 仓库 B1")  # no dish behind it
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
        ("PEANUT", 1, Decimal("0.8"), Decimal("-0.2"), Decimal("-2.4"), Decimal("-20.0")),
    ]
    assert rows[0].documents == ["LY-20261126-0001"]
    b1 = await run(uow, lambda u: usage.usage(u, WEEK_START, WEEK_END, "B1"))
    # B1 backflushes: its sale's moves are both the theory and part of the actual use.
    assert [(r.sku, r.theoretical, r.actual, r.gap_money) for r in b1] == [
        ("EGG", 0, 10, 8),
        ("CHICKEN", 2, Decimal("2.2"), 6),
        ("PEANUT", Decimal("0.5"), Decimal("0.5"), 0),
    ]
    everywhere = await run(uow, lambda u: usage.usage(u, WEEK_START, WEEK_END))
    assert (everywhere[0].theoretical, everywhere[0].actual) == (6, Decimal("6.8"))
    await assert_ledger_sound(uow)


async def test_a_kitchen_that_works_by_issue_is_not_consumed_twice_by_dish_sales(
    chat: Chat, uow: UnitOfWork
) -> None:
    # MAIN: 20 in, 3 and 4.6 issued; the 25 dishes sold took nothing more.
    assert await on_hand(uow, "CHICKEN", MAIN) == Decimal("12.4")
    # B1 backflushes: 5 in, 2 taken by the dishes, counted to 2.8.
    assert await on_hand(uow, "CHICKEN", B1) == Decimal("2.8")
    sold = await chat.say("clerk1", "销售 宫保鸡丁 2")
    assert "宫保鸡丁 2 份 × ¥38.00 = ¥76.00" in sold and "鸡肉" not in sold
    assert await on_hand(uow, "CHICKEN", MAIN) == Decimal("12.4")
    with pytest.raises(InvalidInput, match="只能是 backflush（卖出即扣）或 issue（按领用）"):
        await set_kitchen(uow, "MAIN", "twice")
    await chat.say("clerk1", "销售 宫保鸡丁 2")
    assert await on_hand(uow, "CHICKEN", MAIN) == Decimal("12.4")  # still by issue
    await set_kitchen(uow, "MAIN", "backflush")
    await chat.say("clerk1", "销售 宫保鸡丁 2")
    assert await on_hand(uow, "CHICKEN", MAIN) == Decimal("12.0")
    await assert_ledger_sound(uow)


async def test_usage_shows_what_each_department_drew(chat: Chat, uow: UnitOfWork) -> None:
    found = await run(uow, lambda u: recipes.issued_by_department(u, WEEK_START, WEEK_END, "MAIN"))
    assert [(d.department, d.documents, d.value) for d in found] == [
        ("厨房", 2, 150),
        ("生产", 1, 25),
    ]
    assert [(i.sku, i.qty, i.value) for i in found[0].items] == [
        ("CHICKEN", Decimal("4.6"), 138),
        ("PEANUT", 1, 12),
    ]
    everywhere = await run(uow, lambda u: recipes.issued_by_department(u, WEEK_START, WEEK_END))
    assert [(d.department, d.documents, d.value) for d in everywhere] == [
        ("厨房", 3, 158),
        ("生产", 1, 25),
    ]
    reply = await chat.say("mgr1", "用量 本周")
    assert (
        "领用按部门：\n- 厨房 ¥150.00（2 张领用单）：鸡肉 4.6 kg ¥138.00、花生 1 kg ¥12.00\n"
        in reply
    )
    assert "- 生产 ¥25.00（1 张领用单）：鸭肉 1 kg ¥25.00" in reply


async def test_usage_report_and_health_workbook_break_issues_down_by_department(
    chat: Chat, settings: Settings, tmp_path: Path
) -> None:
    env: dict[str, str | None] = {"JXC_DATABASE_URL": settings.database_url}
    report = await asyncio.to_thread(
        jxc, tmp_path, "report", "usage", "--from", "2026-11-23", "--to", "2026-11-29",
        "--warehouse", "MAIN", env=env,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    tail = lines[lines.index("department\tdocuments\tsku\tname\tunit\tqty\tvalue") + 1 :]
    assert tail == [
        "厨房\t2\tCHICKEN\t鸡肉\tkg\t4.6\t¥138.00",
        "厨房\t2\tPEANUT\t花生\tkg\t1\t¥12.00",
        "厨房\t2\t*\t合计\t\t\t¥150.00",
        "生产\t1\tDUCK\t鸭肉\tkg\t1\t¥25.00",
        "生产\t1\t*\t合计\t\t\t¥25.00",
    ]
    out = tmp_path / "health"
    health = await asyncio.to_thread(
        jxc, tmp_path, "health", "--months", "1", "--to", "2026-11-29", "--out", str(out), env=env
    )
    assert health.returncode == 0, health.stderr
    book = load_workbook(out / "health.xlsx", read_only=True)
    # Both weeks, both warehouses: the kitchen's 3 + 4.6 kg of chicken, B1's eggs, the duck.
    rows = [tuple(r) for r in book["领用"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1], r[2] or r[3], _number(r[5]), _number(r[6])) for r in rows] == [
        ("厨房", 4, "CHICKEN", Decimal("7.6"), 228),
        ("厨房", 4, "PEANUT", 1, 12),
        ("厨房", 4, "EGG", 10, 8),
        ("厨房", 4, "小计", None, 248),
        ("生产", 1, "DUCK", 1, 25),
        ("生产", 1, "小计", None, 25),
        ("合计", 5, None, None, 273),
    ]
    assert dict(book["概览"].iter_rows(min_row=2, values_only=True))["领用金额"] == "¥273.00"


def _number(cell: object) -> Decimal | None:
    """A workbook number as written (openpyxl reads it back as a float)."""
    return None if cell is None else Decimal(str(cell))


async def test_usage_in_chat_is_for_managers_admins_and_auditors(chat: Chat) -> None:
    reply = await chat.say("mgr1", "用量 本周")
    assert "用量对比 本周（MAIN）" in reply
    assert "1. 鸡肉：理论 4 kg，实际 4.6 kg，差 +0.6 kg（¥18.00，+15%） ⚠" in reply
    assert "2. 面粉：理论 25.5 kg，实际 25.8 kg，差 +0.3 kg（¥1.20，+1.2%）\n" in reply
    assert "4. 花生：理论 1 kg，实际 0.8 kg，差 -0.2 kg（¥-2.40，-20%） ⚠" in reply
    assert "用量对比 2026-11-23 至 2026-11-29（全部仓库）" in await chat.say(
        "audit", "用量 2026-11-23~2026-11-29"
    )
    b1 = await chat.say("audit", "用量 本周 仓库 b1")
    assert "（B1）" in b1 and "鸡肉：理论 2 kg，实际 2.2 kg" in b1
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
        "- 花生：理论 1 kg，实际 0.8 kg，差 -0.2 kg（¥-2.40，-20%） "
        "单据：LY-20261126-0002、PD-20261126-0001" in main
    )
    assert "面粉" not in main and "鸡蛋" not in main
    b1 = sent["boss|mgr2"]
    # B1 issued eggs with no sale behind them: all of it is beyond any threshold.
    assert "- 鸡蛋：理论 0 个，实际 10 个，差 10 个（¥8.00） 单据：LY-20261126-0004" in b1
    # Its dishes backflushed: what the count found missing is the gap.
    assert "- 鸡肉：理论 2 kg，实际 2.2 kg，差 0.2 kg（¥6.00，10%） 单据：PD-20261126-0003" in b1
    assert "花生" not in b1
    again = await rule(uow, "usage-variance", monday)
    assert again.alerted == []
