"""The low-stock and expiry scans of the alert schedule against one pass over the batches.

What is timed is what the scheduled job does before it announces anything: the rules' own
scans (``low_stock_scan``, ``expiry_scan``: per warehouse, how many items are low and how
many batches sit in each expiry bucket, and how many of them are due to be said) on the
large bulk ledger, inside a unit of work, with nothing said yet, so every one of them is
due. The baseline is ``SELECT count(*) FROM batches`` through the same session: the
cheapest look at every batch, so the ratio says how many such passes a scan is worth.
Delivery (reading the due items for the card and the list file, rendering, outbox rows,
alert state) is left out on purpose: it grows with what is news, not with the size of the
ledger, and a run with nothing new to say never reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from benchmarks import bulk
from benchmarks.bulk import LedgerSize
from benchmarks.latency import Latency, ratio, sample
from benchmarks.report import Goal, Measurement
from benchmarks.runner import BenchEnv
from core.storage import Batch, UnitOfWork
from notifications.registry import RULES
from notifications.rules.expiry import expiry_scan
from notifications.rules.stock import low_stock_scan
from notifications.settings import AlertSettings


@dataclass(frozen=True)
class Config:
    ledger: LedgerSize
    scans: int


FULL = Config(bulk.LARGE, scans=15)
QUICK = Config(bulk.QUICK, scans=15)


@dataclass(frozen=True)
class ScanResult:
    latency: Latency
    low: int
    expiring: int
    due: int


async def measure(env: BenchEnv, config: Config | None = None) -> list[Measurement]:
    config = config or (QUICK if env.quick else FULL)
    env.log(f"alert scan: building ledger ({config.ledger.label()})")
    path = await bulk.cached(env.workdir, config.ledger, datetime.now(UTC))
    async with bulk.unit_of_work(path) as uow:
        scan = await scan_latency(uow, config.scans)
        count = await sample(lambda _: count_batches(uow), config.scans)
    return [
        Measurement(
            key="alert_scan_ratio",
            title=f"low-stock + expiry scan vs count(*), {config.ledger.batches:,} batches",
            value=ratio(scan.latency.p50, count.p50),
            goal=Goal("<=", 3),
            project=scan.latency.text(),
            baseline=count.text(),
            raw={
                "scan": scan.latency.raw(),
                "count": count.raw(),
                "ledger": config.ledger.label(),
                "low_stock_found": scan.low,
                "expiring_found": scan.expiring,
                "due_found": scan.due,
            },
        )
    ]


async def scan_latency(uow: UnitOfWork, scans: int) -> ScanResult:
    found: list[tuple[int, int, int]] = []

    async def scan(_: int) -> None:
        async with uow:
            now, settings = uow.now(), AlertSettings()
            low = await low_stock_scan(RULES["low-stock"].bind(uow, now, settings))
            expiring = await expiry_scan(RULES["expiry"].bind(uow, now, settings), uow.today())
            found.append(
                (
                    sum(c.low for c in low),
                    sum(sum(c.held.values()) for c in expiring.counts),
                    sum(c.due for c in low) + sum(c.news_total for c in expiring.counts),
                )
            )

    latency = await sample(scan, scans)
    return ScanResult(latency, *found[-1])


async def count_batches(uow: UnitOfWork) -> int:
    async with uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Batch)) or 0)
