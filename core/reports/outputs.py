"""A health check's files in one folder (workbook, charts) and what to do first."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from core.reports.charts import Chart, health_charts
from core.reports.health import HealthReport, health_check
from core.reports.health_book import write_health_book
from core.reports.period import Period
from core.storage import UnitOfWork

WORKBOOK = "health.xlsx"
ACCURACY_GOAL = Decimal("0.98")
LOSS_RATE_GOAL = Decimal("0.05")


@dataclass(frozen=True)
class Priority:
    """One thing to do, with the money it is about; the summary template words it."""

    kind: str
    value: Decimal
    subject: str = ""
    rate: Decimal | None = None
    count: int = 0


@dataclass(frozen=True)
class HealthFiles:
    report: HealthReport
    workbook: Path
    charts: list[Chart]
    priorities: list[Priority]


def priorities(report: HealthReport) -> list[Priority]:
    """What to do first, the largest sum of money first."""
    found: list[Priority] = []
    for category, tally in report.losses.items():
        if tally.rate is not None and tally.rate >= LOSS_RATE_GOAL:
            found.append(Priority("loss", tally.loss, category, tally.rate))
    counts = report.count_total
    if counts.accuracy is not None and counts.accuracy < ACCURACY_GOAL:
        found.append(
            Priority("accuracy", -counts.variance_value, rate=counts.accuracy, count=counts.lines)
        )
    if report.expiry:
        found.append(Priority("expiry", report.expiry_value, count=len(report.expiry)))
    if report.slow:
        found.append(Priority("slow", report.slow_value, count=len(report.slow)))
    for kind, name in (("below_cost", "低于成本销售"), ("negative", "负库存")):
        hits = report.findings_of(name)
        if hits:
            found.append(Priority(kind, sum((f.value for f in hits), Decimal(0)), count=len(hits)))
    refused = [f for f in report.findings if f.kind.startswith("申请")]
    if refused:
        found.append(Priority("requests", Decimal(0), count=len(refused)))
    return sorted(found, key=lambda p: -abs(p.value))


async def produce(
    uow: UnitOfWork, period: Period, warehouse: str | None, folder: Path
) -> HealthFiles:
    """Run the health check and write its workbook and charts into ``folder``."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    report = await health_check(uow, period, warehouse)
    workbook = folder / WORKBOOK
    await write_health_book(uow, report, workbook)
    # Drawing is CPU work of a second or two: keep it off the event loop answering chat.
    charts = await asyncio.to_thread(health_charts, report, folder)
    return HealthFiles(report, workbook, charts, priorities(report))
