"""``jxc wecom menu``: push the app's menu (扫码查询/拣货/收货/盘点 and 帮助) to WeCom."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import aiohttp

from bot.wecom_api import WeComApiError, WeComClient
from handlers.menu import app_menu


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: Callable[[argparse.ArgumentParser, Callable[..., Any]], None],
) -> None:
    wecom = commands.add_parser("wecom", help="the WeCom app").add_subparsers(required=True)
    menu = wecom.add_parser("menu", help="push the app's menu (menu/create)")
    menu.add_argument("--print", action="store_true", help="print the menu instead of pushing it")
    command(menu, push_menu)


async def push_menu(args: argparse.Namespace) -> int:
    menu = app_menu()
    if args.print:
        print(json.dumps(menu, ensure_ascii=False, indent=2))
        return 0
    settings = args.settings
    async with aiohttp.ClientSession() as session:
        client = WeComClient(
            session,
            settings.wecom_api_base,
            settings.wecom_corp_id,
            settings.wecom_secret,
            settings.wecom_agent_id,
        )
        try:
            await client.create_menu(menu)
        except WeComApiError as error:
            print(f"menu/create failed: {error}")
            return 1
    print(f"menu pushed to agent {settings.wecom_agent_id}")
    return 0
