"""``jxc bench``: the project against a baseline measured in the same run.

Each benchmark module has ``async def measure(env: BenchEnv) -> list[Measurement]``. The
figures are ratios (project / baseline), so they mean the same on a laptop and on a 2-core
shop server; ``report`` prints them as a table, ``save`` writes the JSON.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.report import Measurement
from devsupport.pg_cluster import Cluster


@dataclass(frozen=True)
class BenchEnv:
    quick: bool
    workdir: Path
    pg_admin_url: str | None  # None: no PostgreSQL here, its benchmarks say so and skip

    def log(self, message: str) -> None:
        print(f"… {message}", file=sys.stderr, flush=True)


Benchmark = Callable[[BenchEnv], Awaitable[list[Measurement]]]


def benchmarks() -> list[Benchmark]:
    # Imported here: each pulls in a part of the app, and ``jxc`` starts faster without them.
    from benchmarks import (
        alert_scan,
        callback,
        load,
        page_depth,
        posting,
        reports,
        rss,
        stock_scale,
    )

    return [
        posting.measure,
        stock_scale.measure,
        page_depth.measure,
        callback.measure,
        load.measure,
        alert_scan.measure,
        reports.measure,
        rss.measure,
    ]


@asynccontextmanager
async def environment(quick: bool, pg_url: str | None) -> AsyncIterator[BenchEnv]:
    with tempfile.TemporaryDirectory(prefix="jxc-bench-") as folder:
        if pg_url is not None:
            yield BenchEnv(quick, Path(folder), pg_url)
            return
        cluster = _start_cluster()
        try:
            yield BenchEnv(quick, Path(folder), cluster.admin_url if cluster else None)
        finally:
            if cluster is not None:
                cluster.stop()


def _start_cluster() -> Cluster | None:
    try:
        cluster = Cluster()
        cluster.start()
    except (FileNotFoundError, KeyError, OSError) as error:
        print(f"… no PostgreSQL server here ({error}); its benchmarks are skipped", file=sys.stderr)
        return None
    return cluster


def name_of(bench: Benchmark) -> str:
    """A benchmark's name for ``jxc bench --only``: its module's (``callback``)."""
    return bench.__module__.rsplit(".", 1)[-1]


async def run(
    quick: bool, pg_url: str | None = None, only: Sequence[str] | None = None
) -> list[Measurement]:
    chosen = benchmarks()
    if only:
        names = [name_of(bench) for bench in chosen]
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise ValueError(
                f"no benchmark named {', '.join(unknown)}; there are {', '.join(names)}"
            )
        chosen = [bench for bench in chosen if name_of(bench) in only]
    results: list[Measurement] = []
    async with environment(quick, pg_url) as env:
        for bench in chosen:
            results.extend(await bench(env))
    return results
