"""``jxc wecom menu`` pushes the scan menu through ``menu/create``; the fake checks it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

import aiohttp

from bot.fake_wecom import FakeWeCom
from bot.wecom_api import WeComApiError, WeComClient
from handlers.menu import app_menu
from tests.support.bot_harness import AGENT_ID, CORP_ID, SECRET, new_fake


async def _jxc(fake: FakeWeCom, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "JXC_WECOM_API_BASE": fake.api_base,
        "JXC_WECOM_CORP_ID": CORP_ID,
        "JXC_WECOM_SECRET": SECRET,
        "JXC_WECOM_AGENT_ID": str(AGENT_ID),
    }
    env.pop("JXC_CONFIG", None)
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("jxc")),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode()


async def test_jxc_wecom_menu_creates_the_scan_menu_for_the_agent() -> None:
    async with new_fake() as fake:
        code, out = await _jxc(fake, "wecom", "menu")
        assert code == 0, out
        call = fake.successful("menu/create")[-1]
    assert call.query["agentid"] == str(AGENT_ID)
    menu = fake.menus[AGENT_ID]
    scans = menu["button"][0]["sub_button"]
    assert [(b["type"], b["name"]) for b in scans] == [
        ("scancode_waitmsg", "扫码查询"),
        ("scancode_waitmsg", "扫码拣货"),
        ("scancode_waitmsg", "扫码收货"),
        ("scancode_waitmsg", "扫码盘点"),
    ]
    assert menu["button"][1] == {"type": "click", "name": "帮助", "key": "help"}


async def test_fake_refuses_a_menu_wecom_would_refuse() -> None:
    async with new_fake() as fake:
        too_many = {
            "button": [{"type": "click", "name": f"按钮{i}", "key": f"k{i}"} for i in range(4)]
        }
        long_name = {"button": [{"type": "click", "name": "帮助帮助帮助帮助帮助", "key": "k"}]}
        for body in (too_many, long_name, app_menu()):
            fake.menus.clear()
            await _post_menu(fake, body)
        answers = [
            c.response["errcode"] for c in fake.calls if c.name == "menu/create" and c.response
        ]
    assert answers == [40016, 40054, 0]


async def _post_menu(fake: FakeWeCom, body: dict[str, object]) -> None:
    async with aiohttp.ClientSession() as session:
        client = WeComClient(session, fake.api_base, CORP_ID, SECRET, AGENT_ID, max_attempts=1)
        with contextlib.suppress(WeComApiError):
            await client.create_menu(body)
