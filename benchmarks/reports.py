"""A million-line export and the three-month health check on the large ledger: time and memory.

Each job runs in a process of its own (``benchmarks.peak``), which reports its wall time and
its peak RSS growth above the start, so each figure is that job's alone.

- Export: ``lines`` (单据明细, the widest table) of the most recent days holding at least
  ``export_rows`` lines, to XLSX, through what ``jxc export`` and ``导出`` run
  (``core.reports``: ``open_book``, ``estimate``, ``export``). Baseline: XlsxWriter alone, in
  the same ``constant_memory`` mode, writing as many rows of the same 17 columns and cell types
  from values made beforehand — the file's own cost, with no database and no conversions.
- Health check: what ``健康检查`` runs for an admin (``reports.produce`` over the three months
  up to today, then the summary): findings, the nine-sheet workbook, the three charts.
  Baseline: one raw ``sqlite3`` aggregate of the same months' posted sale lines per shop day —
  the daily sales chart's figures, the least any health check has to read.

Memory goals: the export streams (server-side cursor, XlsxWriter flushing each row), so its
peak growth must not depend on the rows: < 100 MB, about what XlsxWriter's and SQLite's
buffers plus one fetch batch of rows need, far below a million rows' worth (~1 GB as
Python objects). The health check keeps tallies per day, category and finding, not the
period's lines: < 200 MB, leaving room for the workbook writer and matplotlib's figures.
Time goals: the export at most 3× the bare file writing (the query, Decimal and time-zone
conversions per cell may cost twice the writing again); the health check reads the months
several ways (sales, margin, slow stock, running balances), ≤ 20 one-pass aggregates.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter

from benchmarks import bulk, peak
from benchmarks.bulk import LedgerSize
from benchmarks.peak import Peak
from benchmarks.report import Goal, Measurement
from benchmarks.runner import BenchEnv
from config import Settings
from core import reports
from handlers.reports import render_summary

HEALTH_MONTHS = 3  # what 健康检查 covers
SAMPLE_ROWS = 1000  # the baseline cycles through this many rows made beforehand


@dataclass(frozen=True)
class Config:
    ledger: LedgerSize
    export_rows: int  # at least this many lines exported


FULL = Config(bulk.LARGE, export_rows=1_000_000)
QUICK = Config(bulk.QUICK, export_rows=20_000)


async def measure(env: BenchEnv, config: Config | None = None) -> list[Measurement]:
    config = config or (QUICK if env.quick else FULL)
    env.log(f"export and health check: building ledger ({config.ledger.label()})")
    path = await bulk.cached(env.workdir, config.ledger, datetime.now(UTC))
    tz = ZoneInfo(Settings().timezone)
    today = datetime.now(tz).date()
    first = first_day_holding(path, config.export_rows, tz)
    env.log(f"export: lines {first} to {today} to XLSX")
    export = await peak.in_child(
        f"{__name__}:export_lines",
        db=str(path), out=str(env.workdir / "lines.xlsx"), first=first.isoformat(),
        last=today.isoformat(),
    )  # fmt: skip
    bare_export = await peak.in_child(
        f"{__name__}:xlsxwriter_alone", out=str(env.workdir / "bare.xlsx"), rows=export.count
    )
    env.log(f"health check: {HEALTH_MONTHS} months to {today}")
    health = await peak.in_child(
        f"{__name__}:health_check",
        db=str(path), out=str(env.workdir / "health"), last=today.isoformat(),
    )  # fmt: skip
    bare_health = await peak.in_child(
        f"{__name__}:daily_sales_aggregate", db=str(path), last=today.isoformat()
    )
    ledger = config.ledger.label()
    return [
        *figures("export_1m", f"export {export.count:,} lines, XLSX", export, bare_export,
                 "XlsxWriter alone", Goal("<=", 3), Goal("<", 100), ledger),
        *figures("health_check", f"health check {HEALTH_MONTHS} months of "
                 f"{config.ledger.documents:,} docs", health, bare_health,
                 "sqlite3 aggregate", Goal("<=", 20), Goal("<", 200), ledger),
    ]  # fmt: skip


NTH_NEWEST_LINE = """
SELECT d.created_at FROM documents d JOIN document_lines l ON l.document_id = d.id
ORDER BY d.created_at DESC LIMIT 1 OFFSET ?
"""


def first_day_holding(path: Path, rows: int, tz: ZoneInfo) -> date:
    """The latest shop day from which to today the ledger holds at least ``rows`` lines."""
    with sqlite3.connect(path) as connection:
        found = connection.execute(NTH_NEWEST_LINE, (rows - 1,)).fetchone()
    connection.close()
    if found is None:
        raise ValueError(f"the ledger at {path} holds fewer than {rows:,} lines")
    return datetime.fromisoformat(found[0]).replace(tzinfo=UTC).astimezone(tz).date()


def figures(
    key: str,
    title: str,
    project: Peak,
    baseline: Peak,
    baseline_name: str,
    time_goal: Goal,
    memory_goal: Goal,
    ledger: str,
) -> list[Measurement]:
    raw = {**project.raw(), "baseline": baseline.raw(), "ledger": ledger}
    return [
        Measurement(
            key=f"{key}_ratio",
            title=f"{title}: time",
            value=project.seconds / baseline.seconds,
            goal=time_goal,
            project=f"{project.seconds:.1f} s",
            baseline=f"{baseline_name} {baseline.seconds:.1f} s",
            raw=raw,
        ),
        Measurement(
            key=f"{key}_peak_mb",
            title=f"{title}: peak RSS growth MB",
            value=project.growth_mb,
            goal=memory_goal,
            project=f"{project.growth_mb:.1f} MB",
            baseline=f"{baseline_name} {baseline.growth_mb:.1f} MB",
            raw=raw,
        ),
    ]


# The jobs, each run by ``benchmarks.peak`` in a child process.


async def export_lines(db: str, out: str, first: str, last: str) -> dict[str, Any]:
    kind = reports.KINDS["lines"]
    async with bulk.unit_of_work(Path(db)) as uow, uow:
        period = reports.Period.of(date.fromisoformat(first), date.fromisoformat(last), uow.tz)
        estimated = await reports.estimate(uow, kind, period, None)
        with reports.open_book(Path(out), uow.tz) as book:
            rows = await reports.export(uow, kind, period, None, book)
    return {"count": rows, "estimated": estimated, "days": period.days}


def sample_rows(now: datetime) -> list[tuple[Any, ...]]:
    """Rows shaped like ``lines``' cells after conversion: strings, floats, naive datetimes."""
    return [
        (f"XS-20261201-{n:07d}", "销售", "已过账", "MAIN", now - timedelta(minutes=n),
         f"clerk{n % 5}", None, n % 10 + 1, bulk.sku(n), bulk.name(n), f"类{n % 20:02d}", "个",
         1.0, float(100 + n % 900), float(100 + n % 900), None, None)
        for n in range(SAMPLE_ROWS)
    ]  # fmt: skip


async def xlsxwriter_alone(out: str, rows: int) -> dict[str, Any]:
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "remove_timezone": True})
    number = book.add_format({"num_format": "0.###"})
    money = book.add_format({"num_format": "0.00"})
    instant = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    header = book.add_format({"bold": True})
    columns = reports.KINDS["lines"].columns
    sample = sample_rows(datetime(2026, 12, 1, 12, 0))
    sheet = book.add_worksheet("单据明细")
    sheet.write_row(0, 0, [c.header for c in columns], header)
    at, parts = 1, 1
    for n in range(rows):
        if at == sheet.xls_rowmax:  # a full sheet continues on the next, as the export does
            parts += 1
            sheet = book.add_worksheet(f"单据明细({parts})")
            sheet.write_row(0, 0, [c.header for c in columns], header)
            at = 1
        (number_, kind, status, code, when, actor, _, line, sku, name, category, unit, qty, price,
         amount, _, _) = sample[n % SAMPLE_ROWS]  # fmt: skip
        for col, text in ((0, number_), (1, kind), (2, status), (3, code), (5, actor), (8, sku),
                          (9, name), (10, category), (11, unit)):  # fmt: skip
            sheet.write_string(at, col, text)
        sheet.write_datetime(at, 4, when, instant)
        sheet.write_number(at, 7, line, number)
        sheet.write_number(at, 12, qty, number)
        sheet.write_number(at, 13, price, money)
        sheet.write_number(at, 14, amount, money)
        at += 1
    book.close()
    return {"count": rows}


async def health_check(db: str, out: str, last: str) -> dict[str, Any]:
    async with bulk.unit_of_work(Path(db)) as uow, uow:
        period = reports.Period.months_before(date.fromisoformat(last), HEALTH_MONTHS, uow.tz)
        files = await reports.produce(uow, period, None, Path(out))
        render_summary(files)
    report = files.report
    return {
        "count": report.sale_documents,
        "days": period.days,
        "slow_items": len(report.slow),
        "findings": len(report.findings),
        "charts": len(files.charts),
        "workbook_mb": round(files.workbook.stat().st_size / 2**20, 1),
    }


DAILY_SALES = """
SELECT substr(datetime(d.created_at, ?), 1, 10) AS day, count(DISTINCT d.id), count(*),
       sum(l.qty * l.price)
FROM documents d JOIN document_lines l ON l.document_id = d.id
WHERE d.type IN ('sale', 'sales_return') AND d.status = 'posted'
  AND d.created_at >= ? AND d.created_at < ?
GROUP BY day
"""


async def daily_sales_aggregate(db: str, last: str) -> dict[str, Any]:
    tz = ZoneInfo(Settings().timezone)
    period = reports.Period.months_before(date.fromisoformat(last), HEALTH_MONTHS, tz)
    offset = period.since.utcoffset() or timedelta()
    bounds = [t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for t in (period.since,
              period.until)]  # fmt: skip
    with sqlite3.connect(db) as connection:
        days = connection.execute(
            DAILY_SALES, (f"{offset.total_seconds():+.0f} seconds", *bounds)
        ).fetchall()
    connection.close()
    return {
        "count": sum(documents for _, documents, _, _ in days),
        "lines": sum(lines for _, _, lines, _ in days),
        "days": len(days),
    }
