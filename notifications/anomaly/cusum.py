"""A Poisson CUSUM: evidence that accumulates over fraud days and drains on quiet ones.

Each day adds the log-likelihood ratio of its suspect reversals under "the clerk's usual rate"
against "that rate raised", and the sum never drops below zero. Sparse fraud two or three days
a week still climbs, because a quiet day costs less than a fraud day brings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DayCount:
    day: date
    observed: int
    expected: float
    sale_docs: int


@dataclass(frozen=True)
class Cusum:
    statistic: float
    run_start: date | None
    run_days: tuple[DayCount, ...]

    @property
    def observed(self) -> int:
        return sum(d.observed for d in self.run_days)

    @property
    def expected(self) -> float:
        return sum(d.expected for d in self.run_days)


def cusum(days: Sequence[DayCount], ratio: float, shift: float, cap: int) -> Cusum:
    """``days`` oldest first; the raised rate is ``ratio`` × usual, or usual + ``shift`` a sale.

    ``cap`` bounds what one day can say: a recall day when many customers bring the same
    item back is one event, not a pattern.
    """
    statistic = 0.0
    run: list[DayCount] = []
    for day in days:
        if day.sale_docs == 0 and day.observed == 0:
            continue
        usual = max(day.expected, 1e-9)
        raised = max(ratio * usual, usual + shift * day.sale_docs)
        step = min(day.observed, cap) * math.log(raised / usual) - (raised - usual)
        statistic = max(0.0, statistic + step)
        run = [*run, day] if statistic > 0 else []
    return Cusum(statistic, run[0].day if run else None, tuple(run))
