"""``jxc export`` and ``jxc health``: what the ledger holds, as workbooks and pictures."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tqdm import tqdm

from bot.cli_ledger import unit_of_work
from config import Settings
from core import reports
from core.common import DomainError


def add_parsers(commands: Any, command: Callable[[Any, Callable[..., Any]], None]) -> None:
    """``command(parser, handler)`` registers a handler the way every ``jxc`` command is."""
    export = commands.add_parser(
        "export", help="documents, lines, audit log, stock or partners of a period to .xlsx/.csv"
    )
    export.add_argument("what", choices=sorted(reports.KINDS))
    export.add_argument("--from", dest="first", required=True, help="shop-local YYYY-MM-DD")
    export.add_argument("--to", dest="last", required=True, help="shop-local YYYY-MM-DD")
    export.add_argument("--warehouse", help="one warehouse code (not for audit)")
    export.add_argument("file", type=Path, help="FILE.xlsx or FILE.csv")
    command(export, export_command)
    add_health_parser(commands, command)


def _fail(message: str) -> int:
    print(message.replace("\n", " "), file=sys.stderr)
    return 1


async def export_command(args: argparse.Namespace) -> int:
    settings: Settings = args.settings
    tz = ZoneInfo(settings.timezone)
    kind = reports.KINDS[args.what]
    started = time.perf_counter()
    try:
        period = reports.Period.of(
            reports.parse_day(args.first, "--from"), reports.parse_day(args.last, "--to"), tz
        )
        book = reports.open_book(args.file, tz)
    except DomainError as error:
        return _fail(error.message)
    # No bar when stderr is not a terminal (disable=None): logs and pipes stay clean.
    bar = tqdm(desc=f"export {kind.name}", unit="row", file=sys.stderr, disable=None)
    try:
        async with unit_of_work(settings) as uow, uow:
            await reports.check_warehouse(uow, kind, args.warehouse)
            bar.total = await reports.estimate(uow, kind, period, args.warehouse)
            with book:
                rows = await reports.export(uow, kind, period, args.warehouse, book, bar.update)
    except DomainError as error:
        args.file.unlink(missing_ok=True)
        return _fail(error.message)
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    print(f"{rows} rows → {args.file} ({period.label()}, {seconds:.1f} s)")
    return 0


def add_health_parser(commands: Any, command: Callable[[Any, Callable[..., Any]], None]) -> None:
    health = commands.add_parser(
        "health", help="health check: one workbook, PNG charts and a summary in DIR"
    )
    health.add_argument("--months", type=int, default=3, help="months up to today (default 3)")
    health.add_argument("--to", dest="last", help="last shop-local day (default: today)")
    health.add_argument("--warehouse", help="one warehouse code (default: all)")
    health.add_argument("--out", type=Path, required=True, help="folder for the files")
    command(health, health_command)


async def health_command(args: argparse.Namespace) -> int:
    from handlers.reports import render_summary

    settings: Settings = args.settings
    tz = ZoneInfo(settings.timezone)
    started = time.perf_counter()
    out: Path = args.out
    try:
        last = reports.parse_day(args.last, "--to") if args.last else datetime.now(tz).date()
        period = reports.Period.months_before(last, args.months, tz)
        await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
        if not os.access(out, os.W_OK):
            raise PermissionError(f"{out} is not writable")
    except DomainError as error:
        return _fail(error.message)
    except OSError as error:
        return _fail(f"无法写入 {out}：{error.strerror or error}")
    try:
        async with unit_of_work(settings) as uow, uow:
            await reports.check_warehouse(uow, reports.KINDS["lines"], args.warehouse)
            files = await reports.produce(uow, period, args.warehouse, out)
    except DomainError as error:
        return _fail(error.message)
    summary = out / "summary.md"
    await asyncio.to_thread(summary.write_text, render_summary(files) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - started
    print(f"{period.label()}: {files.workbook}, {len(files.charts)} charts, {summary}")
    print(f"{seconds:.1f} s")
    return 0
