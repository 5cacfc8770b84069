"""The anomaly detector's signals on small hand-made histories (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.analytics import SalesLine
from notifications.anomaly import Finding, build_activity, detect
from notifications.anomaly.cusum import DayCount, cusum
from notifications.settings import AnomalySettings
from tests.support.store_simulator import SHANGHAI

SETTINGS = AnomalySettings()
DAY0 = datetime(2026, 11, 1, tzinfo=SHANGHAI)
CLERKS = ("a", "b", "c", "d")


class Shop:
    """Four clerks selling cabbage every 20 minutes, 08:00–18:00, for 50 days."""

    def __init__(self, days: int = 50) -> None:
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

    def findings(self, day: int, hour: int = 23) -> list[Finding]:
        lines = sorted(self.lines, key=lambda ln: (ln.at, ln.document))
        return detect(lines, self.at(day, hour * 60), SHANGHAI, SETTINGS)


def test_skimming_own_sales_at_any_hour_is_flagged_on_the_second_day() -> None:
    shop = Shop()
    for day in (40, 41, 42):
        for n in range(2):
            shop.sell("c", day, 11 * 60 + 50 + n, "2.5")
            shop.add("sale", "c", day, 12 * 60 + 12 + n, "-2.5")
    assert shop.flagged(40) == {}
    assert shop.flagged(41) == {"c": ("baseline", "value", "peers")}


def test_undoing_colleagues_sales_alone_is_flagged_at_the_higher_line() -> None:
    # Chance matches of genuine returns land on colleagues' sales, so reversing theirs must
    # go further than reversing one's own before it names anybody, but it does count.
    shop = Shop()
    for day in (40, 41, 42):
        for n, seller in enumerate(("a", "d")):
            shop.sell(seller, day, 11 * 60 + 50 + n, "2.5")
            shop.add("sale", "c", day, 12 * 60 + 12 + n, "-2.5")
    # The same two reversals a day of c's own sales were named on the second day.
    assert shop.flagged(41) == {}
    found = {f.clerk: f for f in shop.findings(42)}
    assert list(found) == ["c"] and found["c"].signals[0] == "all"
    assert {seller for r in found["c"].documents for seller in r.sellers} == {"a", "d"}


def test_a_sale_is_matched_by_one_reversal_only() -> None:
    shop = Shop(days=1)
    shop.add("sales_return", "c", 0, 12 * 60 + 12, "1.5")
    shop.add("sales_return", "c", 0, 12 * 60 + 15, "1.5")
    lines = sorted(shop.lines, key=lambda ln: ln.at)
    day = build_activity(lines, SHANGHAI, SETTINGS).days[("MAIN", "c")][DAY0.date()]
    first, second = day.reversals
    # c sold cabbage at 08:00, 08:20, …: each reversal undoes a different sale.
    assert first.matches[0].sale.document != second.matches[0].sale.document
    assert first.suspect and second.suspect


def test_a_return_of_a_quantity_nobody_sold_today_is_not_suspect() -> None:
    shop = Shop(days=1)
    shop.add("sales_return", "c", 0, 12 * 60, "2.35")
    lines = sorted(shop.lines, key=lambda ln: ln.at)
    (reversal,) = (
        build_activity(lines, SHANGHAI, SETTINGS).days[("MAIN", "c")][DAY0.date()].reversals
    )
    assert reversal.orphan and reversal.matches == () and not reversal.suspect


def test_a_quick_correction_of_a_typo_is_not_a_reversal() -> None:
    shop = Shop()
    for day in (40, 41, 42):
        shop.sell("c", day, 9 * 60 + 1, "15")
        shop.add("sale", "c", day, 9 * 60 + 3, "-13.5")
    activity = build_activity(sorted(shop.lines, key=lambda ln: ln.at), SHANGHAI, SETTINGS)
    days = activity.days[("MAIN", "c")]
    assert all(clerk_day.reversals == [] for clerk_day in days.values())
    assert sum(clerk_day.corrections for clerk_day in days.values()) == 3
    assert shop.flagged(42) == {}


def _line(shop: Shop, document: str, minute: int, sku: str, qty: str) -> SalesLine:
    return SalesLine(document, "sale", "MAIN", "c", shop.at(0, minute), None, None, sku, sku,
                     "kg", Decimal(qty), Decimal(8), Decimal(5))  # fmt: skip


def test_voiding_lines_of_several_sales_minutes_later_is_no_typo_correction() -> None:
    shop = Shop(days=1)
    shop.lines += [
        _line(shop, "S1", 12 * 60 + 1, "TOM", "1.2"),
        _line(shop, "S2", 12 * 60 + 3, "CUC", "0.8"),
        # One document undoing a line of each, minutes later: no single mistyped sale.
        _line(shop, "R1", 12 * 60 + 6, "TOM", "-1.2"),
        _line(shop, "R1", 12 * 60 + 6, "CUC", "-0.8"),
        _line(shop, "S3", 13 * 60 + 1, "TOM", "1.2"),
        _line(shop, "S3", 13 * 60 + 1, "CUC", "0.8"),
        # Both lines of one sale voided: a basket rung up by mistake.
        _line(shop, "R2", 13 * 60 + 4, "TOM", "-1.2"),
        _line(shop, "R2", 13 * 60 + 4, "CUC", "-0.8"),
    ]
    lines = sorted(shop.lines, key=lambda ln: (ln.at, ln.document))
    day = build_activity(lines, SHANGHAI, SETTINGS).days[("MAIN", "c")][DAY0.date()]
    (reversal,) = day.reversals
    assert reversal.document == "R1" and reversal.suspect and reversal.own
    assert {m.sale.document for m in reversal.matches} == {"S1", "S2"}
    assert day.corrections == 1


def test_a_colleague_voiding_a_mistyped_sale_minutes_later_is_a_correction() -> None:
    shop = Shop()
    for day in range(40, 46):
        seller, fixer = ("a", "b") if day % 2 else ("b", "a")
        shop.sell(seller, day, 11 * 60 + 1, "2.5")
        shop.add("sale", fixer, day, 11 * 60 + 4, "-2.5")
    activity = build_activity(sorted(shop.lines, key=lambda ln: ln.at), SHANGHAI, SETTINGS)
    for clerk in ("a", "b"):
        days = activity.days[("MAIN", clerk)].values()
        assert all(clerk_day.reversals == [] for clerk_day in days)
    assert shop.flagged(45) == {}


def test_named_customers_bringing_back_this_mornings_purchase_are_not_the_pattern() -> None:
    shop = Shop()
    for day in (40, 41, 42):
        for n in range(4):
            shop.add("sales_return", "c", day, 16 * 60 + 12 + n, "1.5", partner=f"顾客{n}")
    assert shop.flagged(42) == {}


def test_a_clerk_who_always_reverses_this_much_is_judged_by_their_own_past() -> None:
    shop = Shop()
    for day in range(50):
        shop.add("sales_return", "d", day, 9 * 60 + 37 * (day % 7), "1.5")
    assert all(shop.flagged(day) == {} for day in range(42, 50))


def test_two_clerks_reversing_each_others_sales_are_flagged_as_a_pair() -> None:
    shop = Shop()
    for day in range(40, 46):
        # Each undoes, on alternate days, a sale the other rang up: too little alone.
        seller, undoer = ("a", "b") if day % 2 else ("b", "a")
        shop.sell(seller, day, 13 * 60 + 30, "2.5")
        shop.add("sale", undoer, day, 14 * 60 + 12, "-2.5")
    found = {f.clerk: f for f in shop.findings(45)}
    assert set(found) == {"a", "b"}
    assert found["a"].partner == "b" and found["b"].partner == "a"
    assert all("pair" in f.signals for f in found.values())


def test_a_pair_is_judged_by_the_share_of_chance_matches_that_would_undo_the_colleague() -> None:
    # Every clerk now and then takes back, unnamed, something they sold that morning; of
    # those, by chance, about half would undo the colleague's sales rather than their own,
    # so the two clerks' usual counts are not both expected to cross.
    shop = Shop()
    for day in range(0, 50, 3):
        for n, clerk in enumerate(CLERKS):
            shop.sell(clerk, day, 10 * 60 + 5, f"3.{n + 1}")
            shop.add("sales_return", clerk, day, 15 * 60, f"3.{n + 1}")
    for day in range(40, 44):
        for seller, undoer, qty in (("a", "b", "2.5"), ("b", "a", "2.7")):
            shop.sell(seller, day, 13 * 60 + 30, qty)
            shop.add("sale", undoer, day, 14 * 60 + 12, f"-{qty}")
    assert shop.flagged(41) == {}
    found = {f.clerk: f for f in shop.findings(43)}
    assert set(found) == {"a", "b"}
    assert found["a"].partner == "b" and found["a"].signals[0] == "pair"
    assert [r.sellers for r in found["a"].documents] == [frozenset({"b"})] * 4


def test_the_cusum_climbs_over_sparse_days_and_drains_on_quiet_ones() -> None:
    day0 = DAY0.date()

    def count(back: int, observed: int) -> DayCount:
        return DayCount(day0 + timedelta(days=back), observed, 0.1, 30)

    sparse = [count(n, 1 if n % 3 == 0 else 0) for n in range(12)]
    climbed = cusum(sparse[:10], ratio=2.0, shift=0.015, cap=3)
    assert climbed.statistic > cusum(sparse[:4], ratio=2.0, shift=0.015, cap=3).statistic
    quiet = cusum([*sparse[:4], *(count(n, 0) for n in range(4, 30))], 2.0, 0.015, 3)
    assert quiet.statistic == 0 and quiet.run_start is None


def test_one_day_of_many_reversals_counts_as_at_most_the_cap() -> None:
    day = DayCount(DAY0.date(), 20, 0.1, 30)
    capped = DayCount(DAY0.date(), 3, 0.1, 30)
    assert cusum([day], 2.0, 0.015, 3).statistic == cusum([capped], 2.0, 0.015, 3).statistic
