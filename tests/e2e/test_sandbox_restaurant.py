"""``jxc sandbox --preset restaurant``: the noodle restaurant's demo driven by chat over HTTP,
through the signed, encrypted callback and the fake WeCom: 领用, a dish sold, 用量 本周.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.runner import running_sandbox
from bot.sandbox.state import Sandbox
from tests.support.bot_harness import FAST
from tests.support.sandbox import EventStream, settings_for


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    (tmp_path / "data").mkdir()
    async with running_sandbox(
        settings_for(tmp_path / "data"), tuning=FAST, preset="restaurant"
    ) as running:
        yield running


class Page:
    """The chat page: one event stream, and each message's reply read after it was said."""

    def __init__(self, http: aiohttp.ClientSession, sandbox: Sandbox, stream: EventStream):
        self.http, self.sandbox, self.stream = http, sandbox, stream

    async def ask(self, userid: str, text: str) -> str:
        before = len(self.stream.events)
        body = {"userid": userid, "text": text}
        async with self.http.post(self.sandbox.url + "sandbox/say", json=body) as answer:
            assert answer.status == 200
        events = self.stream.events
        mine = await self.stream.next(
            lambda e: (
                events.index(e) >= before and e["chat"] == f"user:{userid}" and e["sender"] == "me"
            )
        )
        reply = await self.stream.next(
            lambda e: events.index(e) > events.index(mine) and e["chat"] == f"user:{userid}"
            and e["kind"] == "text" and e["sender"] == "bot"
        )  # fmt: skip
        return str(reply["body"]["content"])


async def test_the_restaurant_demo_by_chat_issue_dish_and_weekly_usage(sandbox: Sandbox) -> None:
    assert sandbox.seeded
    async with aiohttp.ClientSession() as http, EventStream(http, sandbox.url) as stream:
        page = Page(http, sandbox, stream)
        # The manager's 帮助 comes in two parts, the clerk's in one; 用量 is shown working below.
        help_text = await page.ask("xiaowang", "帮助")
        assert "领用/issue" in help_text
        assert "生产/produce" not in help_text  # the restaurant preset leaves it out
        recipe = await page.ask("xiaowang", "配方 牛肉面")
        assert "- 牛肉 0.1 kg，损耗 5%（含损耗 0.105 kg）" in recipe
        issued = await page.ask("xiaowang", "领用 牛肉 2 厨房")
        assert "已过账 领用单 LY-" in issued and "部门：厨房" in issued
        sold = await page.ask("xiaowang", "销售 牛肉面 3")
        assert "牛肉面 3 碗 × ¥28.00 = ¥84.00" in sold
        # The restaurant's kitchen works by issue: the 领用 took the beef, the dish takes none.
        assert "库存：" not in sold
        beef_left = await page.ask("xiaowang", "查 牛肉")
        assert "MAIN：现有 1 kg" in beef_left  # 24 kg delivered, 21 kg and 2 kg issued
        refused = await page.ask("xiaowang", "入库 牛肉面 3")
        assert "牛肉面 是套餐/菜品，不入库" in refused
        usage = await page.ask("lijie", "用量 本周")
        assert "用量对比 本周（MAIN）" in usage
        beef = next(line for line in usage.splitlines() if "牛肉：" in line)
        # The kitchen took 2 kg today for dishes whose recipe allows 0.315 kg: a loss.
        assert beef.startswith("1. 牛肉：") and beef.endswith("⚠")
        assert "领用按部门：\n- 厨房 " in usage
        refused_usage = await page.ask("xiaowang", "用量 本周")
        assert "只有店长、管理员、审计可以使用" in refused_usage
        async with http.post(sandbox.url + "sandbox/rules/usage-variance") as answer:
            assert answer.status == 200
            assert (await answer.json())["rule"] == "usage-variance"
