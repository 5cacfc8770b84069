"""Simulated store histories for the anomaly detector: honest clerks, noise, fraud families.

A history is a list of documents as an old system would export them. The usual cast: a much
busier clerk, two ordinary ones, a sloppy one (few customer names on returns, many typo
corrections), sometimes a part-timer, and a returns desk that takes most customer returns;
``staff="two"`` or ``"three"`` is a small shop of two or three clerks and no desk. Honest
noise: sales following the day's traffic in each shift, customers returning goods 0–4 days
later (mostly named), quick corrections of mistyped quantities, a recall day when many
customers bring the same item back. Honest variants: a festival peak, a newcomer, a shop where
nobody names a customer on a return, a clerk with three times the others' volume, a two-clerk
shop where each voids the other's mistyped quantities.

A chain (``simulate_chain``) is several such stores over the same days, each with its own
warehouse code and clerks, simulated from a seed drawn from the chain's: a chain may mix a
full shop with a returns desk, small shops and a store whose clerks never name a customer.

Fraud families (``family``), starting on a random day after the first weeks:

- ``seed``: the seed case, negative sales or returns of one's own earlier sales at about the
  same time every working day, 8–25% of the day's takings;
- ``hour``: the same at any hour of the shift, of ``share`` of the takings;
- ``returns``: as ``hour``, but by sales returns without customer or original;
- ``collusion``: two clerks of overlapping shifts each reversing the other's sales, half of
  ``share`` each;
- ``sparse``: two or three fixed weekdays, at a different hour each time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tests.support.store_behaviour import Simulation
from tests.support.store_model import MAIN, SHANGHAI, Clerk, Fraud, StoreHistory, catalogue, chain

__all__ = ["SHANGHAI", "Store", "StoreHistory", "catalogue", "simulate", "simulate_chain"]


@dataclass(frozen=True)
class Store:
    """A store of a chain: its warehouse code and how ``simulate`` staffs it."""

    code: str
    staff: str = "shop"
    named: float | None = None
    newcomer: bool = False
    fraud: bool = False


def simulate_chain(
    seed: int, stores: Sequence[Store], *, days: int = 90, family: str = "hour",
    share: float | None = None, first_fraud_day: int = 20,
) -> StoreHistory:  # fmt: skip
    """The chain's stores from one seed; the stores marked ``fraud`` have a ``family`` fraud."""
    rng = random.Random(seed)
    start = _start(rng)
    return chain([_store(rng.randrange(2**31), store, start, days, family, share, first_fraud_day)
                  for store in stores])  # fmt: skip


def _store(
    seed: int, store: Store, start: date, days: int, family: str, share: float | None,
    first_fraud_day: int,
) -> StoreHistory:  # fmt: skip
    return simulate(
        seed,
        days=days,
        fraud=store.fraud,
        family=family,
        share=share,
        staff=store.staff,
        first_fraud_day=first_fraud_day,
        named=store.named,
        newcomer=store.newcomer,
        store=store.code,
        start=start,
    )


def simulate(
    seed: int,
    *,
    days: int = 90,
    scale: float = 1.0,
    fraud: bool = True,
    fraud_days: float = 1.0,
    own_sales: bool = True,
    family: str = "seed",
    share: float | None = None,
    staff: str = "shop",
    first_fraud_day: int = 20,
    busy: float = 9.0,
    named: float | None = None,
    festival: bool = False,
    newcomer: bool = False,
    colleague_fixes: float = 0.0,
    store: str | None = None,
    start: date | None = None,
) -> StoreHistory:
    """A reproducible history; ``scale`` thins the traffic (a small shop) for database tests.

    The seed family's fraud happens on every working day of the clerk, or on ``fraud_days``
    of them, and reverses the clerk's own earlier sales or, with ``own_sales=False``, goods
    other clerks sold. ``named`` sets every clerk's share of returns with a customer's name;
    ``colleague_fixes`` the share of mistyped quantities a colleague at the till voids.
    A ``store`` of a chain has that warehouse code, and its clerks' ids and document numbers
    start with it; a chain's stores share their ``start``.
    """
    rng = random.Random(seed)
    clerks = _staff(rng, scale, staff, busy, named, days if newcomer else None)
    prefix = f"{store}." if store else ""
    clerks = tuple(replace(c, userid=prefix + c.userid) for c in clerks)
    history = StoreHistory(start or _start(rng), days, clerks, colleague_fixes=colleague_fixes)
    if festival:
        first = rng.randrange(days // 3, days - 20)
        history.peak = (first, first + 12, rng.uniform(2.0, 3.0))
    simulation = Simulation(rng, history, store or MAIN, prefix)
    simulation.honest_days()
    if fraud:
        history.frauds = _frauds(rng, clerks, days, fraud_days, own_sales, family, share,
                                 first_fraud_day)  # fmt: skip
        for plan in history.frauds:
            simulation.fraud_days(plan)
    simulation.recall_day()
    history.documents.sort(key=lambda d: (d.at, d.number))
    return history


def _start(rng: random.Random) -> date:
    return date(2026, 6, 1) + timedelta(days=rng.randrange(0, 120))


def _staff(
    rng: random.Random, scale: float, staff: str, busy: float, named: float | None,
    newcomer_within: int | None,
) -> tuple[Clerk, ...]:  # fmt: skip
    early, late = (7, 15), (14, 22)
    if staff == "shop":
        clerks = [
            Clerk("busy", early, busy * scale, rng.randrange(7)),
            Clerk("c1", early, 3.5 * scale, rng.randrange(7)),
            Clerk(
                "c2", late, 3.5 * scale, rng.randrange(7), named_returns=0.3, correction_rate=0.02
            ),
            Clerk("c3", late, 3.0 * scale, rng.randrange(7)),
            Clerk("desk", (9, 18), 1.0 * scale, rng.randrange(7), returns_desk=True),
        ]
        if rng.random() < 0.5:
            clerks.append(Clerk("c4", (10, 19), 2.5 * scale, rng.randrange(7)))
    else:
        # A small shop: long overlapping shifts, so each clerk is at the till with the other.
        clerks = [
            Clerk("c1", (7, 17), 4.0 * scale, rng.randrange(7)),
            Clerk("c2", (12, 22), 4.0 * scale, rng.randrange(7), named_returns=0.5),
        ]
        if staff == "three":
            clerks.append(Clerk("c3", (9, 19), 3.0 * scale, rng.randrange(7)))
    if newcomer_within is not None:
        first = rng.randrange(newcomer_within // 2, newcomer_within - 10)
        clerks.append(Clerk("new", (10, 20), 3.0 * scale, rng.randrange(7), named_returns=0.5,
                            correction_rate=0.03, first_day=first))  # fmt: skip
    if named is not None:
        clerks = [Clerk(c.userid, c.shift, c.sales_per_hour, c.day_off, named, c.correction_rate,
                        c.returns_desk, c.first_day) for c in clerks]  # fmt: skip
    return tuple(clerks)


def _frauds(
    rng: random.Random, clerks: tuple[Clerk, ...], days: int, on_days: float, own_sales: bool,
    family: str, share: float | None, first_day: int,
) -> tuple[Fraud, ...]:  # fmt: skip
    candidates = [c for c in clerks if not c.returns_desk and c.first_day == 0]
    clerk = rng.choice(candidates)
    first, last = clerk.shift
    start_day = rng.randrange(first_day, days - 30)
    size = share if share is not None else rng.uniform(0.08, 0.25)
    plan = Fraud(
        clerk=clerk.userid,
        start_day=start_day,
        minute=rng.randrange((first + 3) * 60, (last - 1) * 60),
        daily_share=size,
        kind=rng.choice(["negative_sale", "negative_sale", "return"]),
        own_sales=own_sales,
        jitter=rng.randrange(5, 25),
        day_probability=on_days,
    )
    if family == "seed":
        return (plan,)
    any_hour = rng.randrange((first + 1) * 60, last * 60 - 30)
    plan = Fraud(plan.clerk, start_day, any_hour, size, "negative_sale", True, plan.jitter, 1.0)
    if family == "hour":
        return (plan,)
    if family == "returns":
        return (Fraud(plan.clerk, start_day, any_hour, size, "return", True, plan.jitter, 1.0),)
    if family == "sparse":
        weekdays = tuple(sorted(rng.sample(range(7), rng.choice([2, 3]))))
        kind = rng.choice(["negative_sale", "return"])
        return (Fraud(plan.clerk, start_day, any_hour, size, kind, True, 0, 1.0, weekdays, True),)
    if family == "collusion":
        other = rng.choice([c for c in candidates if c is not clerk and _overlap(c, clerk)])
        return tuple(
            Fraud(
                a.userid,
                start_day,
                0,
                size / 2,
                rng.choice(["negative_sale", "return"]),
                False,
                0,
                1.0,
                None,
                True,
                b.userid,
            )
            for a, b in ((clerk, other), (other, clerk))
        )
    raise ValueError(f"unknown fraud family {family!r}")


def _overlap(a: Clerk, b: Clerk) -> bool:
    return min(a.shift[1], b.shift[1]) - max(a.shift[0], b.shift[0]) >= 3
