"""``jxc sandbox --preset no-inventory``: the grain trader's demo driven by chat over HTTP,
through the signed, encrypted callback and the fake WeCom: 查 with prices and the open order,
the order shipped without picking, a brokered deal, stock work refused, 应收 and 毛利.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.runner import running_sandbox
from bot.sandbox.state import Sandbox
from tests.e2e.test_sandbox_restaurant import Page
from tests.support.bot_harness import FAST
from tests.support.sandbox import EventStream, settings_for


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    (tmp_path / "data").mkdir()
    async with running_sandbox(
        settings_for(tmp_path / "data"), tuning=FAST, preset="no-inventory"
    ) as running:
        yield running


async def test_the_trading_demo_by_chat_keeps_money_but_no_stock(sandbox: Sandbox) -> None:
    assert sandbox.seeded
    async with aiohttp.ClientSession() as http, EventStream(http, sandbox.url) as stream:
        page = Page(http, sandbox, stream)
        soy = await page.ask("xiaowang", "查 大豆")
        assert "大豆（SOY）售价 ¥4,300.00" in soy and "价目 大客户：¥4,200.00" in soy
        assert "MAIN 为无库存模式" in soy
        found = re.search(r"销售订单 (DD-\d{8}-\d{4}) 华丰食品厂：未发 5 吨", soy)
        assert found, soy
        shipped = await page.ask("xiaowang", f"发货 {found[1]}")
        assert "大豆 5 吨 × ¥4,200.00 = ¥21,000.00" in shipped
        # 42,000 + 99,400 + 16,000 (the oil deal) − 40,000 paid, and now 21,000
        assert "华丰食品厂 现应收 ¥138,400.00" in shipped
        oil = "撮合 客户城东粮店 供应商金龙油脂: 豆油 20桶 @165 进价 135"
        deal = await page.ask("xiaowang", oil)
        assert "毛利（佣金）¥600.00" in deal
        refused = await page.ask("xiaowang", "盘点 大豆 3")
        assert "仓库 MAIN 是无库存模式" in refused and "不能盘点" in refused
        owed = await page.ask("lijie", "应收")
        assert "华丰食品厂：¥138,400.00" in owed and "城东粮店：¥37,800.00" in owed
        payable = await page.ask("lijie", "应付")
        assert "北方粮贸：¥135,000.00" in payable and "金龙油脂：¥16,200.00" in payable
        help_text = await page.ask("xiaowang", "帮助")
        assert "撮合/broker" in help_text and "盘点/count" not in help_text
