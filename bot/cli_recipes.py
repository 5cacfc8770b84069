"""Recipes at the command line: ``jxc import bom|substitutes``, ``jxc departments add|list``
and ``jxc report usage --from --to``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli_ledger import CLI_ACTOR, unit_of_work
from core import recipes
from core.common import DomainError, money, plain_qty
from core.recipes import bom_import, substitutes, usage
from core.storage import in_transaction

Register = Callable[[argparse.ArgumentParser, Callable[..., Any]], None]


def add_imports(
    imports: argparse._SubParsersAction[argparse.ArgumentParser], command: Register
) -> None:
    bom = imports.add_parser("bom", help="BOMs: product_sku,component_sku,qty,scrap_pct")
    bom.add_argument("file")
    bom.add_argument("--from", dest="valid_from", help="shop-local date the version starts")
    command(bom, import_bom)
    subs = imports.add_parser(
        "substitutes", help="component_sku,substitute_sku,ratio,priority,needs_approval"
    )
    subs.add_argument("file")
    command(subs, import_substitutes)


def add_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    report: argparse._SubParsersAction[argparse.ArgumentParser],
    command: Register,
) -> None:
    departments = commands.add_parser("departments", help="departments goods are issued to")
    dep = departments.add_subparsers(required=True)
    add = dep.add_parser("add", help="add a department")
    add.add_argument("name")
    command(add, departments_add)
    command(dep.add_parser("list", help="list departments"), departments_list)
    use = report.add_parser("usage", help="recipe use against real use, worst first")
    use.add_argument("--from", dest="start", required=True, help="shop-local date YYYY-MM-DD")
    use.add_argument("--to", dest="end", required=True, help="shop-local date, included")
    use.add_argument("--warehouse")
    command(use, report_usage)


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise SystemExit(f"{option}: not a date YYYY-MM-DD: {text}") from error


async def import_bom(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not await asyncio.to_thread(path.is_file):
        return _fail(f"no such file: {path}")
    tz = ZoneInfo(args.settings.timezone)
    start = (
        datetime.combine(_day(args.valid_from, "--from"), time(), tz) if args.valid_from else None
    )
    try:
        async with unit_of_work(args.settings) as uow:
            result = await in_transaction(
                uow, lambda u: bom_import.import_bom(u, path, CLI_ACTOR, start)
            )
    except DomainError as error:
        return _fail(error.message)
    since = result.valid_from.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    print(f"bom: {result.products} products, {result.lines} lines, valid from {since}")
    return 0


async def import_substitutes(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not await asyncio.to_thread(path.is_file):
        return _fail(f"no such file: {path}")
    try:
        async with unit_of_work(args.settings) as uow:
            count = await in_transaction(
                uow, lambda u: substitutes.import_substitutes(u, path, CLI_ACTOR)
            )
    except DomainError as error:
        return _fail(error.message)
    print(f"substitutes: {count} rules")
    return 0


async def departments_add(args: argparse.Namespace) -> int:
    try:
        async with unit_of_work(args.settings) as uow:
            name = await in_transaction(
                uow, lambda u: recipes.add_department(u, CLI_ACTOR, args.name)
            )
    except DomainError as error:
        return _fail(error.message)
    print(f"added department {name}")
    return 0


async def departments_list(args: argparse.Namespace) -> int:
    async with unit_of_work(args.settings) as uow:
        for name in await in_transaction(uow, recipes.list_departments):
            print(name)
    return 0


async def report_usage(args: argparse.Namespace) -> int:
    tz = ZoneInfo(args.settings.timezone)
    first, last = _day(args.start, "--from"), _day(args.end, "--to")
    if last < first:
        return _fail("--to is before --from")
    start = datetime.combine(first, time(), tz)
    end = datetime.combine(last + timedelta(days=1), time(), tz)
    try:
        async with unit_of_work(args.settings) as uow:
            rows = await in_transaction(uow, lambda u: usage.usage(u, start, end, args.warehouse))
            departments = await in_transaction(
                uow, lambda u: recipes.issued_by_department(u, start, end, args.warehouse)
            )
    except DomainError as error:
        return _fail(error.message)
    print("sku\tname\tunit\ttheoretical\tactual\tgap\tgap_money\tgap_pct")
    for r in rows:
        pct = "-" if r.percent is None else f"{r.percent}%"
        print(
            f"{r.sku}\t{r.name}\t{r.unit}\t{plain_qty(r.theoretical)}\t{plain_qty(r.actual)}\t"
            f"{plain_qty(r.gap)}\t{money(r.gap_money)}\t{pct}"
        )
    print()
    print("department\tdocuments\tsku\tname\tunit\tqty\tvalue")
    for d in departments:
        for i in d.items:
            print(
                f"{d.department}\t{d.documents}\t{i.sku}\t{i.name}\t{i.unit}\t{plain_qty(i.qty)}\t"
                f"{money(i.value)}"
            )
        print(f"{d.department}\t{d.documents}\t*\t合计\t\t\t{money(d.value)}")
    return 0
