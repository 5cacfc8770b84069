"""Thresholds and periods of the alert rules, with the defaults of DESIGN §6.

``config.Settings`` carries no alert section yet; callers pass an ``AlertSettings`` (or get
these defaults) so the rules stay testable with plain values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal


@dataclass(frozen=True)
class AnomalySettings:
    """The negative-sales detector (``notifications.anomaly.detector`` explains the signals)."""

    # Long window: enough days for a clerk's usual rate; short: the pattern's first days.
    long_days: int = 14
    short_days: int = 3
    hour_days: int = 7
    # Below this a clerk's share is noise: one return of a big item would look like theft.
    min_sale_docs: int = 5
    min_reversal_docs: int = 2
    # "Repeatedly": reversals on two days at least before own/orphan say anything.
    min_days: int = 2
    min_share: Decimal = Decimal("0.02")
    # Robust z against the peers' long-window shares; the short window is noisier, so higher.
    share_z_long: float = 3.5
    share_z_short: float = 5.0
    share_ratio: float = 2.0
    # Shares are fractions of sales; peers' MAD below one percentage point is not a scale.
    share_scale_floor: float = 0.01
    # "Most" of the reversals, by count and by value.
    own_share: float = 0.6
    orphan_share: float = 0.6
    # Orphans mean something only where the peers name customers for a fifth of their value.
    peers_orphan_max: float = 0.8
    same_day_hours: int = 12
    correction_minutes: int = 10
    cluster_minutes: int = 60
    cluster_min_days: int = 3
    # After correcting for the windows the clerk could have used.
    cluster_alpha: float = 0.005
    signals_needed: int = 3
    quiet_period: timedelta = timedelta(hours=72)
    evidence_docs: int = 8


@dataclass(frozen=True)
class AlertSettings:
    quiet_period: timedelta = timedelta(hours=24)
    expiry_days: tuple[int, ...] = (30, 7, 0)
    expiry_days_by_category: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    count_variance_qty: Decimal = Decimal(10)
    count_variance_value: Decimal = Decimal(100)
    count_lookback: timedelta = timedelta(days=2)
    below_cost_lookback: timedelta = timedelta(days=1)
    cycle_count_weeks: int = 5
    usage_variance_pct: Decimal = Decimal(5)
    anomaly: AnomalySettings = field(default_factory=AnomalySettings)

    def expiry_buckets(self, category: str) -> tuple[int, ...]:
        """Days-before-expiry thresholds for a category, most distant first."""
        days = self.expiry_days_by_category.get(category, self.expiry_days)
        return tuple(sorted(days, reverse=True))
