"""The posting benchmark runs both sides on both databases and reports honest ratios."""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks import posting
from benchmarks.runner import BenchEnv

TINY = posting.Sizes(clerks=5, orders_per_clerk=2)


async def test_posting_benchmark_measures_sqlite_and_postgresql(
    tmp_path: Path, pg_admin_url: str
) -> None:
    env = BenchEnv(quick=True, workdir=tmp_path, pg_admin_url=pg_admin_url)
    results = {m.key: m for m in await posting.measure(env, TINY)}
    assert set(results) == {
        "posting_ratio_sqlite",
        "posting_ratio_sqlite_batched",
        "posting_ratio_pg",
    }
    for m in results.values():
        raw = m.raw
        assert raw["project_orders_per_s"] > 0 and raw["baseline_orders_per_s"] > 0
        assert math.isclose(
            m.value, raw["project_orders_per_s"] / raw["baseline_orders_per_s"], rel_tol=0.01
        )


async def test_without_postgresql_only_sqlite_is_measured(tmp_path: Path) -> None:
    env = BenchEnv(quick=True, workdir=tmp_path, pg_admin_url=None)
    assert [m.key for m in await posting.measure(env, TINY)] == [
        "posting_ratio_sqlite",
        "posting_ratio_sqlite_batched",
    ]
