"""Replaying the hourly anomaly rule over a simulated history, in memory.

The detector is evaluated at every hourly fire time at which its verdict could change: after
an hour in which a document was recorded, and at each shop-day change (the windows move).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol

from notifications.anomaly import assess, build_activity
from notifications.anomaly.kitchen import assess_kitchen, build_kitchen
from notifications.settings import AnomalySettings, IssueSettings
from tests.support.kitchen_simulator import KitchenHistory
from tests.support.store_simulator import SHANGHAI, StoreHistory


class History(Protocol):
    @property
    def fraud_clerks(self) -> set[str]: ...

    @property
    def honest_clerks(self) -> set[str]: ...

    def fraud_days_before(self, until: datetime) -> int: ...


@dataclass(frozen=True)
class Replay:
    first_flagged: dict[str, datetime]

    def detected_at(self, history: History) -> datetime | None:
        """When the first of the fraudulent clerks was named."""
        times = [t for c, t in self.first_flagged.items() if c in history.fraud_clerks]
        return min(times, default=None)

    def delay(self, history: StoreHistory) -> timedelta | None:
        started = history.fraud_started_at
        assert history.frauds and started is not None
        flagged = self.detected_at(history)
        return None if flagged is None else flagged - started

    def fraud_days_until(self, history: History) -> int | None:
        """On how many days fraud was committed before the clerk was named (that day counts)."""
        flagged = self.detected_at(history)
        return None if flagged is None else history.fraud_days_before(flagged)

    def honest_flagged(self, history: History) -> dict[str, datetime]:
        return {c: t for c, t in self.first_flagged.items() if c in history.honest_clerks}


def fire_times(history: StoreHistory, since: datetime, until: datetime) -> Iterator[datetime]:
    return _hours({d.at for d in history.documents}, since, until)


def _hours(times: set[datetime], since: datetime, until: datetime) -> Iterator[datetime]:
    busy = {at.replace(minute=0, second=0, microsecond=0) for at in times}
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


def shop_day(history: StoreHistory | KitchenHistory, day: int) -> datetime:
    return datetime.combine(history.start + timedelta(days=day), time(), SHANGHAI)


def replay_kitchen(
    history: KitchenHistory, since: datetime, until: datetime, settings: IssueSettings
) -> Replay:
    """The issue detector at each fire time of the hourly rule."""
    kitchen = build_kitchen(history.moves, SHANGHAI)
    first: dict[str, datetime] = {}
    issued = {m.at for m in history.moves if m.doc_type == "issue"}
    for now in _hours(issued, since, until):
        for finding in assess_kitchen(kitchen, now, settings):
            first.setdefault(finding.person, now)
    return Replay(first)
