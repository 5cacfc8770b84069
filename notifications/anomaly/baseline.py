"""A clerk's usual rate of suspect reversals, from their own past and the shop's or chain's.

Rates are per sale document, so volume alone never raises one: a clerk with three times the
others' sales, or the Spring Festival peak, is expected to have three times the reversals.
A clerk with little history borrows the pooled rate of everyone (every shop when there are
several), weighted as ``prior_docs`` sale documents of their own, so a newcomer is judged by
what the chain's clerks usually do and a returns desk by what it has always done.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from notifications.anomaly.activity import ZERO, Activity, ClerkDay
from notifications.settings import AnomalySettings


@dataclass(frozen=True)
class Tally:
    sale_docs: int = 0
    sales_value: Decimal = ZERO
    suspects: int = 0
    suspect_value: Decimal = ZERO
    # Reversals without customer or original that undo no sale of the day (old purchases).
    loose: int = 0
    days: int = 0
    # The suspects that undo the clerk's own sales only, and their value.
    own_suspects: int = 0
    own_value: Decimal = ZERO

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.sale_docs + other.sale_docs,
            self.sales_value + other.sales_value,
            self.suspects + other.suspects,
            self.suspect_value + other.suspect_value,
            self.loose + other.loose,
            self.days + other.days,
            self.own_suspects + other.own_suspects,
            self.own_value + other.own_value,
        )

    def own(self) -> Tally:
        """The tally as if only reversals of the clerk's own sales were suspect."""
        return replace(self, suspects=self.own_suspects, suspect_value=self.own_value)

    @property
    def value_share(self) -> float:
        return float(self.suspect_value / self.sales_value) if self.sales_value > 0 else 0.0


def tally(clerk_day: ClerkDay, now: datetime) -> Tally:
    """The clerk's day up to ``now``."""
    docs = clerk_day.sales_before(now.timestamp())
    reversals = clerk_day.reversals_before(now)
    suspects = [r for r in reversals if r.suspect]
    own = [r for r in suspects if r.own]
    return Tally(
        docs,
        clerk_day.value_of_first(docs),
        len(suspects),
        sum((r.value for r in suspects), ZERO),
        sum(1 for r in reversals if r.orphan and not r.suspect),
        1 if docs or reversals else 0,
        len(own),
        sum((r.value for r in own), ZERO),
    )


def day_tally(activity: Activity, key: tuple[str, str], day: date, now: datetime) -> Tally | None:
    """The clerk's ``day`` up to ``now``; a day that is over is totalled once."""
    clerk_day = activity.days[key].get(day)
    if clerk_day is None:
        return None
    if day >= now.astimezone(activity.tz).date():
        return tally(clerk_day, now)
    cached = activity.finished.get((*key, day))
    if cached is None:
        cached = activity.finished[(*key, day)] = tally(clerk_day, now)
    return cached


def days_before(today: date, count: int, skip: int) -> list[date]:
    return [today - timedelta(days=back) for back in range(skip, skip + count)]


def known_days(activity: Activity, today: date, settings: AnomalySettings, watched: int) -> int:
    """Baseline days before the ``watched`` ones on which the shop (any shop of the chain)
    recorded anything.
    """
    span = set(days_before(today, settings.baseline_days, watched))
    return len({day for by_day in activity.days.values() for day in by_day if day in span})


def past(
    activity: Activity, key: tuple[str, str], now: datetime, settings: AnomalySettings,
    watched: int,
) -> Tally:  # fmt: skip
    """The clerk's tally over the baseline days before the ``watched`` ones (all of them
    over, so the hourly runs of a day share it).
    """
    today = now.astimezone(activity.tz).date()
    cached = activity.pasts.get((*key, today, watched))
    if cached is None:
        cached = _past(activity, key, today, now, settings, watched)
        activity.pasts[(*key, today, watched)] = cached
    return cached


def _past(
    activity: Activity, key: tuple[str, str], today: date, now: datetime,
    settings: AnomalySettings, watched: int,
) -> Tally:  # fmt: skip
    total = Tally()
    for day in days_before(today, settings.baseline_days, watched):
        seen = day_tally(activity, key, day, now)
        if seen is not None:
            total += seen
    return total


def chance_odds(pool: Tally) -> float:
    """Suspect reversals per loose one: how often an old purchase brought back without a
    name happens to match, item, quantity and price, something sold earlier today.

    A returns desk takes most returns while selling little; its chance matches follow the
    returns it takes, not its sales.
    """
    return (pool.suspects + 1) / (pool.loose + 2)


def usual_loose(own: Tally, pool: Tally, settings: AnomalySettings) -> float:
    """Loose reversals the clerk takes on a working day: many at a returns desk."""
    pooled = pool.loose / pool.days if pool.days else 0.0
    return (own.loose + settings.prior_days * pooled) / (own.days + settings.prior_days)


def usual_rate(own: Tally, pool: Tally, settings: AnomalySettings, floor: float) -> float:
    """Suspect reversals per sale document expected of this clerk, never below ``floor``."""
    pooled = (pool.suspects + 1) / (pool.sale_docs + settings.prior_docs)
    blended = (own.suspects + settings.prior_docs * pooled) / (own.sale_docs + settings.prior_docs)
    return max(blended, floor)
