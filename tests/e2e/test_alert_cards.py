"""The expiry and low-stock cards over the real wire: counts, the most urgent lines, and
buttons that check the clicker's role before they act."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.fake_wecom import FakeWeCom
from core.ledger import Line, Receive
from core.storage import UnitOfWork
from notifications.registry import run_rule
from tests.support.alerts import post
from tests.support.bot_harness import BotHarness, running_bot
from tests.support.ledger import seed_shop


@pytest.fixture
async def bot(sqlite_url: str, fake_wecom: FakeWeCom, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(sqlite_url, fake_wecom, data_dir=tmp_path / "data") as harness:
        await seed_shop(harness.uow())
        yield harness


async def alert(bot: BotHarness, rule: str) -> dict[str, object]:
    async def work(uow: UnitOfWork) -> None:
        await run_rule(uow, rule, uow.now())

    await bot.run(work)
    await bot.settled(30)
    [card] = [c for c in bot.fake.cards_to("mgr1") if c["task_id"].startswith(rule)]
    return card


async def test_expiry_card_lists_the_most_urgent_and_its_buttons_check_roles(
    bot: BotHarness,
) -> None:
    today = date.today()
    lots = [
        Line("MILK", Decimal(2), lot=f"L{n}", expiry=today + timedelta(days=n - 2))
        for n in range(8)
    ]
    await post(bot.uow(), Receive(warehouse="MAIN", actor="boss", lines=tuple(lots)))
    card = await alert(bot, "expiry")
    assert card["main_title"]["title"] == "临期/过期 8 项 · MAIN"  # type: ignore[index]
    rows = card["horizontal_content_list"]
    assert len(rows) == 5 and "已过期 2 天" in rows[0]["value"]  # type: ignore[index,arg-type]
    keys = {b["text"]: b["key"] for b in card["button_list"]}  # type: ignore[union-attr]
    assert list(keys) == ["报损", "调拨", "已处理"]
    task = str(card["task_id"])

    [lines] = await bot.chat.click("clerk1", task, keys["报损"])
    assert "已过期或今天到期的 3 批" in lines and "报损 MILK 2盒 过期" in lines
    [refused] = await bot.chat.click("clerk1", task, keys["调拨"])
    assert "只有采购、店长、管理员可以点" in refused
    [refused] = await bot.chat.click("clerk1", task, keys["已处理"])
    assert "只有店长、管理员可以点" in refused

    [done] = await bot.chat.click("mgr1", task, keys["已处理"])
    assert "已处理（李姐）" in done
    [update] = bot.fake.card_updates()
    assert update["button"]["replace_name"] == "已处理·李姐"


async def test_low_stock_card_makes_a_purchase_list_for_buyers_only(bot: BotHarness) -> None:
    restock = (Line("COKE", Decimal(3)), Line("MILK", Decimal(1)))
    await post(bot.uow(), Receive(warehouse="MAIN", actor="boss", lines=restock))
    card = await alert(bot, "low-stock")
    keys = {b["text"]: b["key"] for b in card["button_list"]}  # type: ignore[union-attr]
    assert list(keys) == ["生成采购单", "已处理"]

    [refused] = await bot.chat.click("clerk1", str(card["task_id"]), keys["生成采购单"])
    assert "只有采购、店长、管理员可以点" in refused
    text, file = await bot.chat.click("mgr1", str(card["task_id"]), keys["生成采购单"])
    assert "MAIN 的采购单" in text and file == "[file]"
    media_id = bot.fake.messages_to("mgr1")[-1]["file"]["media_id"]
    stored = bot.fake.media(media_id)
    assert stored is not None
    sheet = load_workbook(BytesIO(stored.content)).worksheets[0]
    skus = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"COKE", "MILK"} <= skus
