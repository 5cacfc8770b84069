"""``jxc init --preset NAME [--demo]``: set the shop up for its industry, optionally with a
small example shop of that kind.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from bot.cli_ledger import CLI_ACTOR, unit_of_work
from bot.sandbox import demo_data
from bot.sandbox.demo_kitchen import seed_demo
from core import presets, storage
from core.common import DomainError
from core.storage import create_engine, in_transaction


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: Callable[[argparse.ArgumentParser, Callable[..., Any]], None],
) -> None:
    init = commands.add_parser("init", help="set the shop up with an industry preset")
    init.add_argument("--preset", required=True, choices=sorted(presets.PRESETS))
    init.add_argument("--demo", action="store_true", help="load a small example shop (empty DB)")
    command(init, init_shop)


async def init_shop(args: argparse.Namespace) -> int:
    try:
        preset = presets.preset_named(args.preset)
    except DomainError as error:
        print(error.message, file=sys.stderr)
        return 1
    engine = create_engine(args.settings.database_url)
    try:
        await storage.upgrade(engine)
    finally:
        await engine.dispose()
    async with unit_of_work(args.settings) as uow:
        if args.demo and await demo_data.has_data(uow):
            print("--demo needs an empty database (it already has items)", file=sys.stderr)
            return 1
        try:
            await in_transaction(uow, lambda u: presets.apply_preset(u, CLI_ACTOR, preset.name))
        except DomainError as error:
            print(error.message, file=sys.stderr)
            return 1
        if args.demo:
            await seed_demo(uow, preset.name)
    print(
        f"preset {preset.name}（{preset.title}）: negative stock {preset.negative_stock}, "
        f"approval above {preset.approval_threshold}, kit sales {preset.kit_consumption}"
    )
    print(f"alert rules: {', '.join(preset.alert_rules)}")
    hidden = "、".join(preset.hidden_commands) or "-"
    print(f"帮助 leaves out: {hidden}")
    if args.demo:
        print(f"demo: {preset.demo}")
    return 0
