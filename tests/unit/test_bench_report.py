"""``jxc bench --json``: every headline figure with its raw numbers, goal and verdict."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.report import Goal, Measurement, save, table


def measurement(key: str, value: float, goal: Goal) -> Measurement:
    return Measurement(key, key, value, goal, "1/s", "2/s", {"project": 1, "baseline": 2})


def test_json_has_each_key_with_its_raw_numbers_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    save(
        [
            measurement("posting_ratio_sqlite", 0.42, Goal(">=", 0.5)),
            measurement("rss_mb", 150.0, Goal("<", 200)),
        ],
        path,
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["posting_ratio_sqlite"] == 0.42
    assert data["posting_ratio_sqlite_raw"] == {
        "project": 1,
        "baseline": 2,
        "goal": ">= 0.5",
        "met": False,
    }
    assert data["rss_mb"] == 150.0 and data["rss_mb_raw"]["met"] is True


def test_table_names_missed_goals() -> None:
    printed = table(
        [
            measurement("page_depth_ratio", 1.2, Goal("<=", 1.5)),
            measurement("alert_scan_ratio", 4.0, Goal("<=", 3)),
        ]
    )
    rows = printed.splitlines()[2:]
    assert rows[0].endswith("yes") and rows[1].endswith("NO")
