"""``jxc alerts run RULE [--now ISO]``: one alert rule, once, delivered through the outbox."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli_ledger import unit_of_work
from core.common import DomainError, parse_instant
from notifications.registry import RULES, run_and_commit


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: Callable[[argparse.ArgumentParser, Callable[..., Any]], None],
) -> None:
    alerts = commands.add_parser("alerts", help="alert rules").add_subparsers(required=True)
    run = alerts.add_parser("run", help="run one rule now (or as if at --now)")
    run.add_argument("rule", choices=sorted(RULES))
    run.add_argument("--now", help="ISO 8601 instant; without a zone it is shop time")
    command(run, run_once)


async def run_once(args: argparse.Namespace) -> int:
    settings = args.settings
    async with unit_of_work(settings) as uow:
        now = _instant(args.now, ZoneInfo(settings.timezone)) if args.now else uow.now()
        try:
            report = await run_and_commit(uow, args.rule, now)
        except DomainError as error:
            print(error.message)
            return 1
    print(report.summary())
    return 0


def _instant(text: str, shop_zone: ZoneInfo) -> datetime:
    try:
        return parse_instant(text, shop_zone)
    except ValueError as error:
        raise SystemExit(f"--now: not an ISO 8601 time: {text}") from error
