"""The anomaly detector over simulated 90-day store histories (in memory), one fixed seed per
fraud family and size and per honest case; ``python -m tests.support.anomaly_eval`` runs the
same cases over many seeds and prints the table.

Replays are hourly, as the rule runs, but only over the days that matter, to stay quick.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from notifications.settings import AnomalySettings
from tests.support.anomaly_eval import FAMILIES, HONEST, KITCHEN_CASES
from tests.support.anomaly_runs import replay, shop_day
from tests.support.store_simulator import StoreHistory, simulate

SETTINGS = AnomalySettings()
SEED = 1000
# The kitchen's family and honest cases run through the issue detector (test_issue_detection).
SHOP_FAMILIES = [f for f in FAMILIES if f not in KITCHEN_CASES]
SHOP_HONEST = [c for c in HONEST if c not in KITCHEN_CASES]


@pytest.mark.parametrize("family", SHOP_FAMILIES)
@pytest.mark.parametrize(("share", "within"), [(0.05, 3), (0.01, 7)])
def test_each_fraud_family_is_named_within_its_fraud_days_and_no_honest_clerk_is(
    family: str, share: float, within: int
) -> None:
    history = FAMILIES[family](SEED, share, 90)
    assert isinstance(history, StoreHistory)
    started = history.fraud_started_at
    assert started is not None
    # Two fraud days a week at the sparsest; otherwise a day off a week at most.
    weeks = 7 / 2 if family == "5 sparse" else 7 / 6
    until = started + timedelta(days=within * weeks + 1)
    result = replay(history, started - timedelta(days=1), until, SETTINGS)
    fraud_days = result.fraud_days_until(history)
    assert fraud_days is not None, f"{history.frauds} not flagged"
    assert fraud_days <= within
    assert result.honest_flagged(history) == {}


def test_the_seed_case_is_still_named_within_three_days() -> None:
    history = simulate(SEED)
    started = history.fraud_started_at
    assert started is not None
    result = replay(history, started - timedelta(days=1), started + timedelta(days=4), SETTINGS)
    delay = result.delay(history)
    assert delay is not None and delay <= timedelta(days=3)
    assert result.honest_flagged(history) == {}


def test_sparse_fraud_that_drains_the_short_window_is_named_by_the_slow_test() -> None:
    # 5% on two weekdays, one of them the clerk's day off: a skim a week. The short CUSUM
    # drains between the fraud days, the six-week test of own sales adds them up.
    history = FAMILIES["5 sparse"](1015, 0.05, 90)
    assert isinstance(history, StoreHistory)
    started = history.fraud_started_at
    assert started is not None
    since, until = started - timedelta(days=1), started + timedelta(days=22)
    short_only = replay(history, since, until, replace(SETTINGS, weeks_watch_days=0))
    assert short_only.detected_at(history) is None
    result = replay(history, since, until, SETTINGS)
    fraud_days = result.fraud_days_until(history)
    assert fraud_days is not None and fraud_days <= 4
    assert result.honest_flagged(history) == {}


def test_one_percent_two_days_a_week_is_named_by_the_slow_test_within_seven_fraud_days() -> None:
    # One reversal of the clerk's own sale on two weekdays a week: the short CUSUM drains
    # between them; the slow test, looking for four times the usual, crosses its own line.
    history = FAMILIES["5 sparse"](1008, 0.01, 90)
    assert isinstance(history, StoreHistory)
    started = history.fraud_started_at
    assert started is not None
    since, until = started - timedelta(days=1), started + timedelta(days=26)
    short_only = replay(history, since, until, replace(SETTINGS, weeks_watch_days=0))
    assert short_only.detected_at(history) is None
    result = replay(history, since, until, SETTINGS)
    fraud_days = result.fraud_days_until(history)
    assert fraud_days is not None and fraud_days <= 7
    assert result.honest_flagged(history) == {}


def test_the_busiest_clerk_skimming_one_percent_on_weekdays_is_named_by_the_slow_test() -> None:
    # The shop's busiest clerk, 1% on two weekdays a week: a usual floored per sale (or a
    # raise looked for per sale) would expect of them more reversals of their own sales a day
    # than the fraud brings, and the slow test would never climb.
    history = FAMILIES["5 sparse"](1007, 0.01, 90)
    assert isinstance(history, StoreHistory)
    assert history.fraud is not None and history.fraud.clerk == "busy"
    started = history.fraud_started_at
    assert started is not None
    since, until = started - timedelta(days=1), started + timedelta(days=12)
    per_sale = replace(SETTINGS, own_min_rate=SETTINGS.min_rate, weeks_shift_per_sale=0.005)
    assert replay(history, since, until, per_sale).detected_at(history) is None
    result = replay(history, since, until, SETTINGS)
    fraud_days = result.fraud_days_until(history)
    assert fraud_days is not None and fraud_days <= 3
    assert result.honest_flagged(history) == {}


def test_colluders_are_named_once_each_undid_the_others_sales_on_a_day() -> None:
    # 5% between them: one undoes the colleague's sales on the first three days, the other
    # only on the third; waiting for a second day of theirs named the pair on the fourth.
    history = FAMILIES["3 collusion"](1002, 0.05, 90)
    assert isinstance(history, StoreHistory)
    started = history.fraud_started_at
    assert started is not None
    since, until = started - timedelta(days=1), started + timedelta(days=5)
    two_days_each = replace(SETTINGS, pair_min_days=2)
    assert replay(history, since, until, two_days_each).fraud_days_until(history) == 4
    result = replay(history, since, until, SETTINGS)
    assert result.fraud_days_until(history) == 3
    assert set(result.first_flagged) == history.fraud_clerks


# Honest clerks named on seeds the detector had not been tuned on (2026-12-02: the short test
# of every suspect reversal at 6.5, the slow test's usual floored at 0.05 a day), with the
# day of the alarm; the late-shift clerk c2 takes many unnamed returns.
NAMED_ON_UNSEEN_SEEDS = [
    ("returns desk", 1048, date(2026, 8, 5)),
    ("festival peak", 1027, date(2026, 8, 8)),
    ("festival peak", 1030, date(2026, 7, 30)),
    ("festival peak", 1055, date(2026, 10, 3)),
    ("newcomer", 1059, date(2026, 11, 1)),
    ("two clerks", 1029, date(2026, 11, 10)),
    ("no customer names", 1056, date(2026, 10, 8)),
    ("two fix each other", 1024, date(2026, 9, 19)),
]


@pytest.mark.parametrize(("case", "seed", "day"), NAMED_ON_UNSEEN_SEEDS)
def test_honest_clerks_once_named_on_unseen_seeds_are_not(case: str, seed: int, day: date) -> None:
    history = HONEST[case](seed, 90)
    assert isinstance(history, StoreHistory)
    alarm = (day - history.start).days
    since, until = shop_day(history, alarm - 3), shop_day(history, alarm + 2)
    assert replay(history, since, until, SETTINGS).first_flagged == {}


@pytest.mark.parametrize("case", SHOP_HONEST)
def test_an_honest_store_raises_nothing_for_three_weeks(case: str) -> None:
    history = HONEST[case](SEED, 90)
    assert isinstance(history, StoreHistory)
    first = 50
    if history.peak is not None:
        first = history.peak[0] - 2
    newcomers = [c.first_day for c in history.clerks if c.first_day]
    if newcomers:
        # Their first weeks: the seed hires them on day 74.
        first = min(newcomers[0], 69)
    result = replay(history, shop_day(history, first), shop_day(history, first + 21), SETTINGS)
    assert result.first_flagged == {}
