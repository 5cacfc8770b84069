"""The low-stock and expiry scans of the alert schedule against one pass over the batches.

What is timed is what the scheduled job does before it announces anything: the rules' own
candidate queries (``low_stock_candidates``, ``expiry_candidates``) on the large bulk ledger,
inside a unit of work. The baseline is ``SELECT count(*) FROM batches`` through the same
session: the cheapest look at every batch, so the ratio says how many such passes a scan is
worth. Delivery (rendering, outbox rows, alert state) is left out on purpose: it grows with
what is found, not with the size of the ledger.
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
from notifications.rules.expiry import expiry_candidates
from notifications.rules.stock import low_stock_candidates
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
            },
        )
    ]


async def scan_latency(uow: UnitOfWork, scans: int) -> ScanResult:
    found: list[tuple[int, int]] = []

    async def scan(_: int) -> None:
        async with uow:
            run = RULES["low-stock"].bind(uow, uow.now(), AlertSettings())
            low = await low_stock_candidates(run)
            expiring = await expiry_candidates(run, uow.today())
            found.append((len(low), len(expiring)))

    latency = await sample(scan, scans)
    low, expiring = found[-1]
    return ScanResult(latency, low, expiring)


async def count_batches(uow: UnitOfWork) -> int:
    async with uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Batch)) or 0)
