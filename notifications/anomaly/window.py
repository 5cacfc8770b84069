"""One clerk's sales and reversals over the last N shop days, up to the run's instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cached_property

from notifications.anomaly.activity import ZERO, Activity, Reversal


@dataclass(frozen=True)
class WindowStats:
    clerk: str
    days: int
    sale_docs: int
    sales_value: Decimal
    reversals: tuple[Reversal, ...]

    @cached_property
    def reversal_value(self) -> Decimal:
        return sum((r.value for r in self.reversals), ZERO)

    @cached_property
    def share(self) -> float:
        return _ratio(self.reversal_value, self.sales_value)

    @cached_property
    def trimmed_share(self) -> float:
        """The share without the single largest reversal: one big honest return is not a
        pattern, while the pattern's many reversals hardly notice losing one."""
        largest = max((r.value for r in self.reversals), default=ZERO)
        return _ratio(self.reversal_value - largest, self.sales_value)

    @cached_property
    def own(self) -> tuple[Reversal, ...]:
        return tuple(r for r in self.reversals if r.own_value > 0)

    @cached_property
    def own_share(self) -> float:
        return _ratio(sum((r.own_value for r in self.reversals), ZERO), self.reversal_value)

    @cached_property
    def orphans(self) -> tuple[Reversal, ...]:
        return tuple(r for r in self.reversals if r.orphan)

    @cached_property
    def orphan_value(self) -> Decimal:
        return sum((r.value for r in self.orphans), ZERO)

    @cached_property
    def orphan_share(self) -> float:
        return _ratio(self.orphan_value, self.reversal_value)


def _ratio(part: Decimal, whole: Decimal) -> float:
    return float(part / whole) if whole > 0 else 0.0


def shop_days(activity: Activity, now: datetime, count: int, skip: int = 0) -> list[date]:
    today = now.astimezone(activity.tz).date()
    return [today - timedelta(days=back) for back in range(skip, skip + count)]


def window_stats(
    activity: Activity, now: datetime, days: int, skip: int = 0
) -> dict[str, WindowStats]:
    """Every clerk's totals over ``days`` shop days ending ``skip`` days ago, before ``now``."""
    span = shop_days(activity, now, days, skip)
    cutoff = now.timestamp()
    result = {}
    for clerk, by_day in activity.days.items():
        sale_docs, value = 0, ZERO
        reversals: list[Reversal] = []
        for day in span:
            clerk_day = by_day.get(day)
            if clerk_day is None:
                continue
            count = clerk_day.sales_before(cutoff)
            sale_docs, value = sale_docs + count, value + clerk_day.value_of_first(count)
            reversals.extend(r for r in clerk_day.reversals if r.at < now)
        if sale_docs or reversals:
            result[clerk] = WindowStats(clerk, days, sale_docs, value, tuple(reversals))
    return result


def sale_minutes(activity: Activity, clerk: str, now: datetime, days: int) -> list[int]:
    """Minutes of day of the clerk's sale documents in the window, sorted."""
    minutes: list[int] = []
    for day in shop_days(activity, now, days):
        clerk_day = activity.days[clerk].get(day)
        if clerk_day is not None:
            minutes.extend(clerk_day.sale_minutes[: clerk_day.sales_before(now.timestamp())])
    return sorted(minutes)
