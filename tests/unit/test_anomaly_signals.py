"""The anomaly detector's signals on small hand-made histories (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.analytics import SalesLine
from notifications.anomaly import build_activity, detect
from notifications.anomaly.stats import at_least, robust_distance
from notifications.settings import AnomalySettings
from tests.support.store_simulator import SHANGHAI

SETTINGS = AnomalySettings()
DAY0 = datetime(2026, 11, 1, tzinfo=SHANGHAI)
CLERKS = ("a", "b", "c", "d")


class Shop:
    """Four clerks selling cabbage every 20 minutes, 08:00–18:00, for 20 days."""

    def __init__(self, days: int = 20) -> None:
        self.lines: list[SalesLine] = []
        self.serial = 0
        for day in range(days):
            for clerk in CLERKS:
                for slot in range(30):
                    self.sell(clerk, day, 8 * 60 + slot * 20)

    def at(self, day: int, minute: int) -> datetime:
        return (DAY0 + timedelta(days=day, minutes=minute)).astimezone(UTC)

    def add(
        self, kind: str, clerk: str, day: int, minute: int, qty: str, partner: str | None = None
    ) -> None:
        self.serial += 1
        self.lines.append(
            SalesLine(
                f"D{self.serial:05d}",
                kind,
                "MAIN",
                clerk,
                self.at(day, minute),
                partner,
                None,
                "CAB",
                "大白菜",
                "kg",
                Decimal(qty),
                Decimal(10),
                Decimal(6),
            )
        )

    def sell(self, clerk: str, day: int, minute: int, qty: str = "1.5") -> None:
        self.add("sale", clerk, day, minute, qty)

    def flagged(self, day: int, hour: int = 23) -> dict[str, tuple[str, ...]]:
        lines = sorted(self.lines, key=lambda ln: (ln.at, ln.document))
        found = detect(lines, self.at(day, hour * 60), SHANGHAI, SETTINGS)
        return {f.clerk: f.signals for f in found}


def test_the_seed_case_is_flagged_on_its_second_day_and_its_hour_by_the_fourth() -> None:
    shop = Shop()
    for day in (16, 17, 18, 19):
        for n in range(4):
            shop.add("sale", "c", day, 16 * 60 + 12 + n, "-1.5")
    assert shop.flagged(16) == {}
    assert shop.flagged(17) == shop.flagged(18) == {"c": ("share", "own", "orphan")}
    assert shop.flagged(19) == {"c": ("share", "own", "orphan", "hour")}


def test_a_quick_correction_of_a_typo_is_not_a_reversal_of_an_own_sale() -> None:
    shop = Shop()
    for day in (16, 17, 18):
        shop.sell("c", day, 9 * 60 + 1, "15")
        shop.add("sale", "c", day, 9 * 60 + 3, "-13.5")
    activity = build_activity(sorted(shop.lines, key=lambda ln: ln.at), SHANGHAI, SETTINGS)
    days = activity.days["c"]
    assert all(days[d.date()].reversals == [] for d in (DAY0 + timedelta(days=16),))
    assert sum(day.corrections for day in days.values()) == 3
    assert shop.flagged(18) == {}


def test_named_customers_bringing_back_this_mornings_purchase_are_not_the_pattern() -> None:
    shop = Shop()
    for day in (16, 17, 18):
        for n in range(4):
            shop.add("sales_return", "c", day, 16 * 60 + 12 + n, "1.5", partner=f"顾客{n}")
    assert shop.flagged(18) == {}


def test_a_returns_desk_with_a_high_share_every_week_is_not_flagged() -> None:
    shop = Shop()
    for day in range(20):
        for n in range(3):
            shop.add(
                "sales_return",
                "d",
                day,
                9 * 60 + 37 * (day % 7) + 150 * n,
                "2",
                partner=None if n == 0 else f"顾客{day}{n}",
            )
    assert all(shop.flagged(day) == {} for day in range(15, 20))


def test_a_busy_clerk_with_many_honest_returns_is_judged_by_share_not_count() -> None:
    shop = Shop()
    for day in range(20):
        for slot in range(120):
            shop.sell("a", day, 8 * 60 + slot * 5)
        for n in range(2):
            shop.add(
                "sales_return",
                "a",
                day,
                8 * 60 + 61 * n + 13 * (day % 9),
                "1.5",
                partner=f"顾客{day}-{n}",
            )
    assert all(shop.flagged(day) == {} for day in range(15, 20))


def test_the_peer_scale_never_drops_below_its_floor() -> None:
    centre, z = robust_distance(0.05, [0.01, 0.01, 0.01], floor=0.01)
    assert (centre, z) == (0.01, pytest.approx(4.0))
    assert robust_distance(0.03, [], floor=0.01) == (0.0, pytest.approx(3.0))


def test_at_least_is_the_tail_of_independent_trials() -> None:
    assert at_least([0.5, 0.5], 1) == pytest.approx(0.75)
    assert at_least([0.1] * 3, 3) == pytest.approx(0.001)
    assert at_least([0.2], 0) == 1.0
