"""Replaying the hourly anomaly rule over a simulated history, in memory.

The detector is evaluated at every hourly fire time at which its verdict could change: after
an hour in which a document was recorded, and at each shop-day change (the windows move).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from notifications.anomaly import assess, build_activity
from notifications.settings import AnomalySettings
from tests.support.store_simulator import SHANGHAI, StoreHistory


@dataclass(frozen=True)
class Replay:
    first_flagged: dict[str, datetime]

    def detected_at(self, history: StoreHistory) -> datetime | None:
        """When the first of the fraudulent clerks was named."""
        times = [t for c, t in self.first_flagged.items() if c in history.fraud_clerks]
        return min(times, default=None)

    def delay(self, history: StoreHistory) -> timedelta | None:
        started = history.fraud_started_at
        assert history.frauds and started is not None
        flagged = self.detected_at(history)
        return None if flagged is None else flagged - started

    def fraud_days_until(self, history: StoreHistory) -> int | None:
        """On how many days fraud was committed before the clerk was named (that day counts)."""
        flagged = self.detected_at(history)
        if flagged is None:
            return None
        return len({d.at.astimezone(SHANGHAI).date() for d in history.documents
                    if d.fraud and d.at < flagged})  # fmt: skip

    def honest_flagged(self, history: StoreHistory) -> dict[str, datetime]:
        return {c: t for c, t in self.first_flagged.items() if c in history.honest_clerks}


def fire_times(history: StoreHistory, since: datetime, until: datetime) -> Iterator[datetime]:
    busy = {d.at.replace(minute=0, second=0, microsecond=0) for d in history.documents}
    hour = since.replace(minute=0, second=0, microsecond=0)
    while hour < until:
        hour += timedelta(hours=1)
        if hour - timedelta(hours=1) in busy or hour.astimezone(SHANGHAI).hour == 0:
            yield hour


def replay(
    history: StoreHistory,
    since: datetime,
    until: datetime,
    settings: AnomalySettings,
    every: timedelta = timedelta(hours=1),
) -> Replay:
    """Run the detector at each fire time (or, with ``every`` a day, at each shop midnight)."""
    activity = build_activity(history.sales_lines(), SHANGHAI, settings)
    first: dict[str, datetime] = {}
    for now in fire_times(history, since, until):
        if every >= timedelta(days=1) and now.astimezone(SHANGHAI).hour != 0:
            continue
        for finding in assess(activity, now, settings):
            first.setdefault(finding.clerk, now)
    return Replay(first)


def shop_day(history: StoreHistory, day: int) -> datetime:
    return datetime.combine(history.start + timedelta(days=day), time(), SHANGHAI)
