"""The money side's operator commands: partner, price and contract imports; the margin report."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.cli_ledger import CLI_ACTOR, _fail, _run
from core import money
from core.common import DomainError
from core.money import GROUPINGS


def add_parsers(reports: Any, imports_parser: Any, command: Any) -> None:
    for kind in ("partners", "prices", "contracts"):
        sub = imports_parser.add_parser(kind, help=f"import {kind} from .csv or .xlsx")
        sub.add_argument("file")
        sub.set_defaults(kind=kind)
        command(sub, import_file)
    by_margin = reports.add_parser("margin", help="gross margin of posted sales")
    by_margin.add_argument("--from", dest="start", required=True, help="shop-local YYYY-MM-DD")
    by_margin.add_argument("--to", dest="end", required=True, help="last day, inclusive")
    by_margin.add_argument("--by", choices=sorted(GROUPINGS), default="item")
    command(by_margin, margin_report)


async def import_file(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not await asyncio.to_thread(path.is_file):
        return _fail(f"no such file: {path}")
    try:
        if args.kind == "partners":
            created, updated = await _run(
                args.settings, lambda u: money.import_partners(u, path, CLI_ACTOR)
            )
            print(f"partners: {created} created, {updated} updated")
        elif args.kind == "prices":
            count = await _run(args.settings, lambda u: money.import_prices(u, path, CLI_ACTOR))
            print(f"prices: {count} imported")
        else:
            count = await _run(args.settings, lambda u: money.import_contracts(u, path, CLI_ACTOR))
            print(f"contracts: {count} imported")
    except DomainError as error:
        return _fail(error.message)
    return 0


async def margin_report(args: argparse.Namespace) -> int:
    try:
        start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    except ValueError as error:
        return _fail(f"dates must be YYYY-MM-DD: {error}")
    if end < start:
        return _fail("--to is before --from")
    report = await _run(
        args.settings, lambda u: money.margin(u, start, end + timedelta(days=1), args.by)
    )
    print(f"{args.by}\trevenue\tcost\twrite_off\tmargin\trate%")
    for row in (*report.rows, report.total):
        rate = "-" if row.rate is None else str(row.rate)
        print(f"{row.key}\t{row.revenue}\t{row.cost}\t{row.write_off}\t{row.margin}\t{rate}")
    return 0
