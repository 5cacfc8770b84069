"""``python -m tests.support.anomaly_eval [--seeds N] [--first-seed S] [--days D]``: the
detector's evaluation (``--families sparse --sizes 0.01 --set min_rate=0.001`` to try a part
of it, or a setting; ``--first-seed 1060`` for seeds the settings were not chosen on).

Replays simulated histories hourly through the detectors the anomaly rules run
(``notifications.anomaly.assess`` for a shop's reversals, ``assess_kitchen`` for a
restaurant's issues) and prints, per fraud family and size, the detection rate
and the fraud days until the clerk was named (median, worst), and false alarms per 1,000
store-days over honest stores. It takes minutes, so it is a command, not a test.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from notifications.settings import AlertSettings
from tests.support.anomaly_runs import Replay, replay, replay_kitchen, shop_day
from tests.support.kitchen_simulator import KitchenHistory, simulate_kitchen
from tests.support.store_simulator import SHANGHAI, Store, StoreHistory, simulate, simulate_chain

SIZES = (0.01, 0.05, 0.15)


def chain_of(*stores: Store) -> Callable[[int, int], StoreHistory]:
    """An honest chain of these stores."""
    return lambda s, d: simulate_chain(s, stores, days=d)


def small_shop_in_a_chain(seed: int, share: float, days: int) -> StoreHistory:
    """Fraud in a two- or three-clerk store, beside a full shop and a store without names."""
    small = Store("S2", staff="two" if seed % 2 else "three", fraud=True)
    stores = (Store("S1"), small, Store("S3", staff="two", named=0.0))
    return simulate_chain(seed, stores, days=days, share=share, first_fraud_day=28)


# Fraud families: how to simulate a seed at a size (the share of the clerk's takings).
FAMILIES: dict[str, Callable[[int, float, int], StoreHistory | KitchenHistory]] = {
    "1 any hour": lambda s, x, d: simulate(s, days=d, family="hour", share=x, first_fraud_day=28),
    "2 returns": lambda s, x, d: simulate(s, days=d, family="returns", share=x, first_fraud_day=28),
    "3 collusion": lambda s, x, d: simulate(
        s, days=d, family="collusion", share=x, first_fraud_day=28
    ),
    "4 small shop": lambda s, x, d: simulate(
        s, days=d, family="hour", share=x, staff="two" if s % 2 else "three", first_fraud_day=28
    ),
    "4b chain shop": small_shop_in_a_chain,
    # The same small store's history without the rest of its chain.
    "4b alone": lambda s, x, d: small_shop_in_a_chain(s, x, d).store("S2"),
    "5 sparse": lambda s, x, d: simulate(s, days=d, family="sparse", share=x, first_fraud_day=28),
    "6 kitchen": lambda s, x, d: simulate_kitchen(s, days=d, share=x, cooks=2 + s % 2),
}
HONEST: dict[str, Callable[[int, int], StoreHistory | KitchenHistory]] = {
    "returns desk": lambda s, d: simulate(s, days=d, fraud=False),
    "3x volume": lambda s, d: simulate(s, days=d, fraud=False, busy=10.5),
    "festival peak": lambda s, d: simulate(s, days=d, fraud=False, festival=True),
    "newcomer": lambda s, d: simulate(s, days=d, fraud=False, newcomer=True),
    "two clerks": lambda s, d: simulate(s, days=d, fraud=False, staff="two"),
    "no customer names": lambda s, d: simulate(s, days=d, fraud=False, named=0.0),
    "two fix each other": lambda s, d: simulate(
        s, days=d, fraud=False, staff="two", colleague_fixes=0.6
    ),
    "small-shop chain": chain_of(Store("S1", "two"), Store("S2", "three"), Store("S3", "two")),
    "chain, no names": chain_of(Store("S1"), Store("S2", named=0.0), Store("S3", "two")),
    # The risk of pooling: a newcomer where nobody names a customer, beside stores that do.
    "chain no-name new": chain_of(
        Store("S1"), Store("S2", "two", named=0.0, newcomer=True), Store("S3", "three")
    ),
    "kitchen": lambda s, d: simulate_kitchen(s, days=d, fraud=False, cooks=2 + s % 2),
    "kitchen festival": lambda s, d: simulate_kitchen(s, days=d, fraud=False, festival=True),
    "kitchen 7% waste": lambda s, d: simulate_kitchen(s, days=d, fraud=False, waste=0.07),
    "kitchen newcomer": lambda s, d: simulate_kitchen(s, days=d, fraud=False, newcomer=True),
    "kitchen recipe low": lambda s, d: simulate_kitchen(
        s, days=d, fraud=False, recipe_short=True, cooks=2 + s % 2
    ),
}
KITCHEN_CASES = {name for name in [*FAMILIES, *HONEST] if "kitchen" in name}
# Weeks enough for sparse fraud to accumulate; the table says how many fraud days it took.
FOLLOW = timedelta(days=28)
HONEST_FROM_DAY = 14  # silent until 14 baseline days: from day 28


@dataclass(frozen=True)
class FraudRun:
    family: str
    size: float
    seed: int
    fraud_days: int | None
    honest_named: int


@dataclass(frozen=True)
class HonestRun:
    case: str
    seed: int
    stores: int
    store_days: int
    alarms: int
    named: tuple[str, ...] = ()


def fraud_run(job: tuple[str, float, int, int, AlertSettings]) -> FraudRun:
    family, size, seed, days, settings = job
    history = FAMILIES[family](seed, size, days)
    started = history.fraud_started_at
    assert started is not None
    until = min(started + FOLLOW, shop_day(history, history.days))
    result = _replay(history, started - timedelta(days=2), until, settings)
    named = result.fraud_days_until(history)
    return FraudRun(family, size, seed, named, len(result.honest_flagged(history)))


def honest_run(job: tuple[str, int, int, AlertSettings]) -> HonestRun:
    case, seed, days, settings = job
    history = HONEST[case](seed, days)
    since, until = shop_day(history, HONEST_FROM_DAY), shop_day(history, days)
    result = _replay(history, since, until, settings)
    named = tuple(f"{c}@{t.astimezone(SHANGHAI):%m-%d %H}" for c, t in result.first_flagged.items())
    stores = len(history.warehouses) if isinstance(history, StoreHistory) else 1
    store_days = stores * (days - HONEST_FROM_DAY)
    return HonestRun(case, seed, stores, store_days, len(result.first_flagged), named)


def _replay(
    history: StoreHistory | KitchenHistory, since: datetime, until: datetime,
    settings: AlertSettings,
) -> Replay:  # fmt: skip
    """The rule that judges the history: the kitchen's issues, or the shop's reversals."""
    if isinstance(history, KitchenHistory):
        return replay_kitchen(history, since, until, settings.issues)
    return replay(history, since, until, settings.anomaly)


def fraud_table(runs: list[FraudRun]) -> Iterator[str]:
    yield "family        size  stores  detected  ≤3 days  ≤7 days  median  worst  honest named"
    for family in FAMILIES:
        for size in SIZES:
            group = [r for r in runs if r.family == family and r.size == size]
            if not group:
                continue
            found = sorted(r.fraud_days for r in group if r.fraud_days is not None)
            median = f"{statistics.median(found):g}" if found else "-"
            worst = str(found[-1]) if len(found) == len(group) else "miss"
            within3 = sum(1 for d in found if d <= 3)
            within7 = sum(1 for d in found if d <= 7)
            yield (
                f"{family:<13} {size:>4.0%}  {len(group):>6}  {len(found):>8}  {within3:>7}"
                f"  {within7:>7}  {median:>6}  {worst:>5}  {sum(r.honest_named for r in group):>12}"
            )


def honest_table(runs: list[HonestRun]) -> Iterator[str]:
    yield "honest case        stores  store-days  alarms  per 1,000 store-days"
    for case in [*HONEST, "all"]:
        group = [r for r in runs if case in (r.case, "all")]
        if not group:
            continue
        days = sum(r.store_days for r in group)
        alarms = sum(r.alarms for r in group)
        stores = sum(r.stores for r in group)
        yield f"{case:<18} {stores:>6}  {days:>10}  {alarms:>6}  {1000 * alarms / days:>20.2f}"
    for r in runs:
        if r.named:
            yield f"  alarm: {r.case} seed {r.seed}: {', '.join(r.named)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.anomaly_eval")
    parser.add_argument("--seeds", type=int, default=20, help="seeds per family and size")
    parser.add_argument(
        "--first-seed", type=int, default=1000, help="the first seed (held-out ones: 1060)"
    )
    parser.add_argument("--days", type=int, default=90, help="days of each history")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--only", choices=["fraud", "honest"], help="one half of the table")
    parser.add_argument("--threshold", type=float, help="the CUSUM threshold to try")
    parser.add_argument(
        "--set",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="anomaly settings to try, as min_rate=0.001",
    )
    parser.add_argument(
        "--families",
        nargs="+",
        metavar="WORD",
        help="only families and honest cases whose name holds one of these",
    )
    parser.add_argument("--sizes", nargs="+", type=float, choices=SIZES, help="only these sizes")
    args = parser.parse_args(argv)
    settings = AlertSettings()
    if args.threshold is not None:
        settings = replace(settings, anomaly=replace(settings.anomaly, threshold=args.threshold))
    if args.set:
        tried = {name: type(getattr(settings.anomaly, name))(value)
                 for name, value in (pair.split("=", 1) for pair in args.set)}  # fmt: skip
        settings = replace(settings, anomaly=replace(settings.anomaly, **tried))
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    families = [f for f in FAMILIES if _chosen(f, args.families)]
    honest = [c for c in HONEST if _chosen(c, args.families)]
    sizes = args.sizes or SIZES
    with ProcessPoolExecutor(args.jobs) as pool:
        if args.only != "honest" and families:
            jobs = [(f, x, s, args.days, settings) for f in families for x in sizes for s in seeds]
            print("\n".join(fraud_table(list(pool.map(fraud_run, jobs)))), flush=True)
        if args.only != "fraud" and honest:
            cases = [(c, s, args.days, settings) for c in honest for s in seeds]
            print("\n".join(honest_table(list(pool.map(honest_run, cases)))), flush=True)
    return 0


def _chosen(name: str, words: list[str] | None) -> bool:
    return words is None or any(word in name for word in words)


if __name__ == "__main__":
    raise SystemExit(main())
