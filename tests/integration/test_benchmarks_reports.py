"""The large-data report benchmarks on a tiny ledger: each job runs in a child process and
reports its time, its peak memory growth and what it handled. Timings are never asserted."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from benchmarks import peak, reports
from tests.integration.test_benchmarks_scale import TINY, tiny_env

HELD_MB = 64


async def hold_memory(mb: int) -> dict[str, Any]:
    """A job for the child: touch ``mb`` megabytes, then let them go."""
    block = bytearray(mb * 2**20)
    for at in range(0, len(block), 4096):
        block[at] = 1
    del block
    return {"count": mb}


async def test_a_child_job_reports_the_memory_it_held_at_its_peak_not_what_it_imported() -> None:
    held = await peak.in_child(f"{__name__}:hold_memory", mb=HELD_MB)
    idle = await peak.in_child(f"{__name__}:hold_memory", mb=0)
    assert held.count == HELD_MB
    assert HELD_MB * 0.9 <= held.growth_mb <= HELD_MB + idle.growth_mb + 16
    assert idle.growth_mb < HELD_MB / 4
    assert held.start_kb > 10_000 and held.seconds > 0  # the interpreter and imports are there


async def test_reports_benchmark_times_and_weighs_the_export_and_the_health_check(
    tmp_path: Path,
) -> None:
    config = reports.Config(TINY, export_rows=50)
    found = {m.key: m for m in await reports.measure(tiny_env(tmp_path), config)}
    assert sorted(found) == [
        "export_1m_peak_mb", "export_1m_ratio", "health_check_peak_mb", "health_check_ratio",
    ]  # fmt: skip
    for measurement in found.values():
        raw = measurement.raw
        assert math.isfinite(measurement.value) and measurement.value >= 0
        assert raw["time_s"] > 0 and raw["baseline"]["time_s"] > 0
        assert raw["peak_mb_growth"] >= 0 and raw["baseline"]["peak_mb_growth"] >= 0
    export = found["export_1m_ratio"].raw
    assert export["count"] == export["estimated"] == export["baseline"]["count"] >= 50
    sheet = load_workbook(tmp_path / "lines.xlsx", read_only=True)["单据明细"]
    assert sheet.max_row == export["count"] + 1
    health = found["health_check_ratio"].raw
    assert health["count"] == health["baseline"]["count"] > 0
    assert health["charts"] == 3 and (tmp_path / "health" / "health.xlsx").is_file()
