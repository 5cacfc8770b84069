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
    """The reversal detector (``notifications.anomaly.detector`` explains the signals)."""

    # The clerk's usual rate comes from the baseline days before the watched ones.
    baseline_days: int = 42
    watch_days: int = 14
    # A newcomer's rate leans on the pooled one as if it were this many sale documents.
    prior_docs: int = 300
    # … and its usual count of returns taken on the pooled one as if over this many days.
    prior_days: int = 7
    # Without this many days of the shop's history before the watched ones, stay silent.
    learning_days: int = 14
    # Suspect reversals per sale document below which nobody's usual rate is taken to be.
    min_rate: float = 0.002
    # … nor their usual suspect reversals on a working day below this (a returns desk sells
    # little, so its rate per sale says little of the returns it takes).
    min_daily: float = 0.05
    # The raised rate the CUSUM looks for: twice the usual, or one more reversal per
    # 1/shift_per_sale sale documents, whichever is more.
    ratio: float = 2.0
    shift_per_sale: float = 0.015
    day_cap: int = 3
    # The short test of the reversals of the clerk's own sales crosses here; the one of every
    # suspect reversal (a genuine return lands on a colleague's sale as often as on one's own,
    # so an honest clerk who takes many unnamed returns climbs it by chance) higher up. Over
    # seeds 1000-1059 of the seven honest cases the two stayed below 7.11 and 8.32.
    threshold: float = 7.6
    all_threshold: float = 8.8
    # "Repeatedly": suspect reversals on two days at least.
    min_days: int = 2
    # A pair: each undid the other's sales on a day at least, and their joint reversals, on
    # ``min_days`` days, crossed this line (honest pairs stayed below 4.4).
    pair_min_days: int = 1
    pair_threshold: float = 6.5
    # The slow test: weeks of the clerk's days against their usual before those weeks, a
    # gentler raise looked for, so a few reversals on two or three days a week add up; over
    # weeks a usual rate misjudged by half would add up too, so it looks for four times the
    # usual, and no raise per sale: that would ask the busiest clerk for more reversals a day
    # than 1% of their takings on two days a week brings.
    weeks_watch_days: int = 42
    weeks_ratio: float = 4.0
    weeks_shift_per_sale: float = 0.0
    # Reversals of one's own sales are rare among honest clerks, so the tests of them floor
    # the usual lower per sale; but a clerk who takes many unnamed returns undoes an own sale
    # every week or two, and a baseline of a few weeks may have seen none, so over six weeks
    # the usual is never below ``weeks_min_daily`` a working day (at 0.05 three honest clerks
    # of seeds 1020-1059 crossed 5.0; at 0.1 the largest honest statistic is 5.09).
    own_min_rate: float = 0.0005
    weeks_min_daily: float = 0.1
    weeks_threshold: float = 5.6
    weeks_min_days: int = 3
    same_day_hours: int = 12
    correction_minutes: int = 10
    quiet_period: timedelta = timedelta(hours=72)
    evidence_docs: int = 8


@dataclass(frozen=True)
class IssueSettings:
    """The issue (领用) detector (``notifications.anomaly.kitchen`` explains it)."""

    baseline_days: int = 42
    watch_days: int = 14
    # Without this many days of issues before the watched ones, stay silent (a fortnight: a
    # spread measured on fewer days is too often low by chance).
    learning_days: int = 14
    # A newcomer's usual share leans on the kitchen's as if it were this many days of theirs.
    prior_days: int = 7
    # The kitchen's day-to-day spread of excess, as a share of sales, is never taken below this.
    min_spread: float = 0.004
    # CUSUM in units of that spread: a day counts at most ``day_cap``, less ``allowance``.
    day_cap: float = 4.0
    allowance: float = 1.0
    threshold: float = 7.0
    min_days: int = 2
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
    issues: IssueSettings = field(default_factory=IssueSettings)
