"""The anomaly detector over simulated 90-day store histories, many seeds (in memory).

Each history has several honest clerks (one much busier, one sloppy with customer names and
typos, a returns desk), honest customer returns days later, corrections, a recall day, and a
clerk who starts reversing part of their own sales at about the same hour every working day.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications.settings import AnomalySettings
from tests.support.anomaly_runs import replay, shop_day
from tests.support.store_simulator import simulate

SEEDS = range(24)
SETTINGS = AnomalySettings()
# Honest weeks before the pattern: the detector must stay quiet there too. Whole 90-day
# honest histories are replayed below; here a week before the start keeps the run short.
QUIET_BEFORE = timedelta(days=7)


@pytest.mark.parametrize("seed", SEEDS)
def test_fraud_is_named_within_three_days_and_no_honest_clerk_is(seed: int) -> None:
    history = simulate(seed)
    assert history.fraud is not None and history.fraud_started_at is not None
    since = max(shop_day(history, 14), history.fraud_started_at - QUIET_BEFORE)
    until = history.fraud_started_at + timedelta(days=4)
    result = replay(history, since, until, SETTINGS)
    delay = result.delay(history)
    assert delay is not None, f"{history.fraud} not flagged"
    assert delay <= timedelta(days=3)
    assert result.honest_flagged(history) == {}


@pytest.mark.parametrize("seed", range(100, 102))
def test_an_honest_store_raises_nothing_in_ninety_days(seed: int) -> None:
    history = simulate(seed, fraud=False)
    result = replay(history, shop_day(history, 14), shop_day(history, history.days), SETTINGS)
    assert result.first_flagged == {}


@pytest.mark.parametrize("seed", range(200, 204))
def test_an_intermittent_pattern_is_still_named_within_a_week(seed: int) -> None:
    history = simulate(seed, fraud_days=0.6)
    assert history.fraud_started_at is not None
    since = max(shop_day(history, 14), history.fraud_started_at - QUIET_BEFORE)
    result = replay(history, since, history.fraud_started_at + timedelta(days=8), SETTINGS)
    delay = result.delay(history)
    assert delay is not None and delay <= timedelta(days=7)
    assert result.honest_flagged(history) == {}
