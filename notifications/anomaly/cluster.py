"""Hour-of-day concentration: reversals on several days inside the same 60-minute window.

Chance alone puts a busy clerk's many honest returns into a common hour now and then, so a
window counts only when that many days are unlikely for this clerk: each reversal day "hits"
the window with the probability that one of that day's reversal episodes lands in it, if
reversals fell like the clerk's own sales do across the day (busy hours get more returns).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from notifications.anomaly.activity import Reversal
from notifications.anomaly.stats import at_least
from notifications.settings import AnomalySettings

MINUTES_PER_DAY = 24 * 60
# Fewer earlier reversals than this say nothing about when the clerk usually has them.
MIN_EARLIER = 5


@dataclass(frozen=True)
class Cluster:
    start_minute: int
    minutes: int
    days: tuple[date, ...]
    reversal_days: int
    p_value: float

    def significant(self, settings: AnomalySettings) -> bool:
        return len(self.days) >= settings.cluster_min_days and (
            self.p_value <= settings.cluster_alpha
        )


def densest_window(
    reversals: Sequence[Reversal],
    sales: Sequence[int],
    earlier: Sequence[int],
    settings: AnomalySettings,
) -> Cluster | None:
    """The 60-minute window holding reversals on the most days (least likely by chance).

    ``sales`` and ``earlier`` are sorted minutes of day of the clerk's sales and of their
    reversals before these days. A clerk who takes the evening returns because the returns
    desk has gone home reverses in the evening every week: that is their normal, not news.
    """
    width = settings.cluster_minutes
    episodes = _episodes_per_day(reversals, width)
    starts = sorted({r.minute for r in reversals})
    # The window is picked after looking: correct for the windows the clerk could have used,
    # one per hour of the day in which they sell.
    windows = max(1, len({minute // 60 for minute in sales}))
    best: Cluster | None = None
    for start in starts:
        days = tuple(sorted({r.day for r in reversals if start <= r.minute < start + width}))
        hit = _share_in(sales, start, width)
        if len(earlier) >= MIN_EARLIER:
            hit = max(hit, _share_in(earlier, start, width))
        chances = [1 - (1 - hit) ** n for n in episodes.values()]
        p_value = min(1.0, windows * at_least(chances, len(days)))
        candidate = Cluster(start, width, days, len(episodes), p_value)
        if best is None or (len(days), -candidate.p_value) > (len(best.days), -best.p_value):
            best = candidate
    return best


def _episodes_per_day(reversals: Sequence[Reversal], width: int) -> dict[date, int]:
    """Reversals within one window of each other on a day are one sitting, not several."""
    minutes: dict[date, list[int]] = defaultdict(list)
    for r in reversals:
        minutes[r.day].append(r.minute)
    counts = {}
    for day, values in minutes.items():
        values.sort()
        counts[day] = 1 + sum(1 for a, b in pairwise(values) if b - a >= width)
    return counts


def _share_in(sales: Sequence[int], start: int, width: int) -> float:
    """Share of the clerk's sales in [start, start + width), never below a uniform day's share."""
    uniform = width / MINUTES_PER_DAY
    if not sales:
        return uniform
    inside = bisect_left(sales, start + width) - bisect_left(sales, start)
    return max(inside / len(sales), uniform)
