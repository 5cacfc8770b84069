"""``查 可乐`` on a ledger of ten million moves against the same query on ten thousand.

The query is the chat command's own (``core.ledger.stock_of`` in a unit of work, the item
asked for by name), on a different item each time, so the ratio shows whether the answer
slows down as a shop's history grows. Both ledgers are SQLite files written by
``benchmarks.bulk``; the large one is shared with the other scale benchmarks of the run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import bulk
from benchmarks.bulk import LedgerSize
from benchmarks.latency import Latency, ratio, sample
from benchmarks.report import Goal, Measurement
from benchmarks.runner import BenchEnv
from core import ledger


@dataclass(frozen=True)
class Config:
    large: LedgerSize
    small: LedgerSize
    queries: int


FULL = Config(bulk.LARGE, bulk.SMALL, queries=400)
QUICK = Config(bulk.QUICK, bulk.SMALL, queries=200)


async def measure(env: BenchEnv, config: Config | None = None) -> list[Measurement]:
    config = config or (QUICK if env.quick else FULL)
    now = datetime.now(UTC)
    env.log(f"stock query: building ledgers ({config.large.label()})")
    large = await bulk.cached(env.workdir, config.large, now)
    small = await bulk.cached(env.workdir, config.small, now)
    on_large = await query_latency(large, config.large, config.queries)
    on_small = await query_latency(small, config.small, config.queries)
    return [
        Measurement(
            key="stock_query_scale_ratio",
            title=f"查 stock, {config.large.moves:,} vs {config.small.moves:,} moves (p50)",
            value=ratio(on_large.p50, on_small.p50),
            goal=Goal("<=", 1.5),
            project=on_large.text(),
            baseline=on_small.text(),
            raw={
                "large": {**on_large.raw(), "ledger": config.large.label()},
                "small": {**on_small.raw(), "ledger": config.small.label()},
                "p99_ratio": round(ratio(on_large.p99, on_small.p99), 4),
            },
        )
    ]


async def query_latency(path: Path, size: LedgerSize, count: int) -> Latency:
    """Latency of ``stock_of`` by item name, one unit of work per query as the chat does."""
    rng = random.Random(7)
    names = [bulk.name(rng.randrange(size.skus)) for _ in range(count + 3)]
    async with bulk.unit_of_work(path) as uow:

        async def ask(n: int) -> None:
            async with uow:
                await ledger.stock_of(uow, names[n])

        return await sample(ask, count)
