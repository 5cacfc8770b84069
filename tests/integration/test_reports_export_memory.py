"""A million-line export keeps flat memory: the peak RSS of the ``jxc export`` process stays
under ``PEAK_RSS_BOUND`` (about the interpreter and its libraries; the ledger is far larger).

CSV carries the million lines (≈ 1 min here); XLSX, whose writer is ~3× slower per row, is
held to the same bound at 100,000 lines, against a run of 1,000 lines to show it is flat.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.report_history import bulk_sales, import_history

PEAK_RSS_BOUND_KB = 200 * 1024
FLAT_KB = 30 * 1024
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child forked from a large
# pytest process would report the parent's size; VmHWM belongs to the new address space.
MEASURE = (
    "import sys\n"
    "from bot.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
    "print(status, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def peak_rss_kb(db: Path, out: Path) -> int:
    env = {**os.environ, "JXC_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    env.pop("JXC_CONFIG", None)
    args = ["export", "lines", "--from", "2026-09-01", "--to", "2026-12-31", str(out)]
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, *args], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stderr
    return int(result.stderr.strip().splitlines()[-1])


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return import_history(tmp_path)


def test_a_million_line_csv_export_stays_under_the_memory_bound(
    ledger: Path, tmp_path: Path
) -> None:
    lines = bulk_sales(ledger, 100_000, 10)
    out = tmp_path / "lines.csv"
    peak = peak_rss_kb(ledger, out)
    with out.open(encoding="utf-8-sig") as written:
        assert sum(1 for _ in written) == lines + 14 + 1  # bulk + the history + the header
    assert peak < PEAK_RSS_BOUND_KB


def test_xlsx_export_memory_does_not_grow_with_the_rows(ledger: Path, tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    small_db = import_history(small)
    bulk_sales(small_db, 100, 10)
    baseline = peak_rss_kb(small_db, small / "lines.xlsx")
    bulk_sales(ledger, 10_000, 10)
    peak = peak_rss_kb(ledger, tmp_path / "lines.xlsx")
    assert peak < PEAK_RSS_BOUND_KB
    assert peak - baseline < FLAT_KB
