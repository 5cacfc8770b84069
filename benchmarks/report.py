"""What a benchmark reports, and how ``jxc bench`` prints and saves it.

Every benchmark measures the project and its baseline in the same run, on the same machine,
and reports one headline figure (a ratio, or megabytes for memory) with the raw numbers it
came from and the goal it is judged against.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GOAL_TESTS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "<": operator.lt,
}


@dataclass(frozen=True)
class Goal:
    op: str
    target: float

    def met_by(self, value: float) -> bool:
        return GOAL_TESTS[self.op](value, self.target)

    def __str__(self) -> str:
        return f"{self.op} {self.target:g}"


@dataclass(frozen=True)
class Measurement:
    key: str  # the JSON key, e.g. "posting_ratio_sqlite"
    title: str
    value: float  # the ratio project/baseline (or, for rss_mb, megabytes)
    goal: Goal
    project: str  # the project's absolute figure, as printed
    baseline: str  # the baseline's absolute figure, as printed
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return self.goal.met_by(self.value)


def table(measurements: list[Measurement]) -> str:
    header = f"{'benchmark':44} {'project':>24} {'baseline':>24} {'value':>8} {'goal':>7}  met"
    lines = [header, "-" * len(header)]
    for m in measurements:
        lines.append(
            f"{m.title:44} {m.project:>24} {m.baseline:>24} {m.value:8.3f} {m.goal!s:>7}  "
            f"{'yes' if m.met else 'NO'}"
        )
    return "\n".join(lines)


def as_json(measurements: list[Measurement]) -> dict[str, Any]:
    """``{key: value, key_raw: {...numbers, goal, met}}`` for every measurement."""
    out: dict[str, Any] = {}
    for m in measurements:
        out[m.key] = round(m.value, 4)
        out[f"{m.key}_raw"] = {**m.raw, "goal": str(m.goal), "met": m.met}
    return out


def save(measurements: list[Measurement], path: Path) -> None:
    path.write_text(
        json.dumps(as_json(measurements), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
