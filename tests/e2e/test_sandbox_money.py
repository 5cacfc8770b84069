"""The README's money walkthrough in the sandbox: the demo's wholesale customers, a sale at
their price list, a payment and 应收, through the chat page's routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.runner import running_sandbox
from bot.sandbox.state import Sandbox
from tests.e2e.test_sandbox_http import post, said
from tests.support.bot_harness import FAST
from tests.support.cli import jxc
from tests.support.sandbox import EventStream, seeded_copy, settings_for


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    return seeded_copy(tmp_path_factory, tmp_path / "data")


@pytest.fixture
async def sandbox(data_dir: Path) -> AsyncIterator[Sandbox]:
    async with running_sandbox(settings_for(data_dir), tuning=FAST) as running:
        yield running


Say = Callable[[str, str], Awaitable[str]]


@asynccontextmanager
async def chat_page(sandbox: Sandbox) -> AsyncIterator[Say]:
    """Say something as someone on the chat page; the bot's next reply to them."""
    async with aiohttp.ClientSession() as http, EventStream(http, sandbox.url) as stream:

        async def say(userid: str, text: str) -> str:
            seen = len(stream.events)
            assert await post(http, sandbox.url + "sandbox/say", {"userid": userid, "text": text})
            bot_said = said(f"user:{userid}", "text")
            reply = await stream.next(lambda e: e in stream.events[seen:] and bot_said(e))
            return str(reply["body"]["content"])

        yield say


async def test_the_money_walkthrough(sandbox: Sandbox) -> None:
    async with chat_page(sandbox) as say:
        owed = await say("lijie", "应收")
        assert "张三便利店：" in owed and "李四餐厅：" in owed
        sold = await say("xiaowang", "销售 客户张三便利店: 矿泉水 24")
        assert "矿泉水 24 瓶 × ¥1.60 = ¥38.40" in sold and "张三便利店 现应收" in sold
        paid = await say("xiaowang", "收款 张三便利店 50 微信")
        assert "已登记收款" in paid and "冲销" in paid
        card = await say("xiaowang", "客户 张三便利店")
        assert "联系人：张三" in card and "价目：批发" in card
        margin = await say("lijie", "毛利 本月 按 客户")
        assert "张三便利店：销售额" in margin


def test_the_no_inventory_walkthrough(data_dir: Path) -> None:
    """Step 5: the README's CLI commands on the sandbox's ledger, then a deal by chat."""
    folder = str(data_dir)
    user = ("users", "add", "xiaowang", "--name", "小王", "--role", "clerk")
    for command in (
        ("warehouses", "add", "TR", "--name", "贸易部"),
        ("warehouses", "set", "TR", "--mode", "no-inventory"),
        (*user, "--warehouse", "MAIN", "--warehouse", "TR"),
    ):
        assert jxc(data_dir, "--data-dir", folder, *command).returncode == 0, command

    async def walk() -> None:
        async with (
            running_sandbox(settings_for(data_dir), tuning=FAST) as sandbox,
            chat_page(sandbox) as say,
        ):
            deal = await say("xiaowang", "撮合 客户甲 供应商乙: 矿泉水 100 @2.2 进价 1.1 仓库 TR")
            assert "已登记撮合 CH-" in deal and "毛利（佣金）¥110.00" in deal
            looked_up = await say("xiaowang", "查 矿泉水 仓库 TR")
            assert "矿泉水（WATER）售价 ¥2.00" in looked_up and "无库存模式" in looked_up

    asyncio.run(walk())
