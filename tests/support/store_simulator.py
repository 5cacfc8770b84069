"""Simulated store histories for the anomaly detector: honest clerks, noise, one fraud pattern.

A history is a list of documents as an old system would export them. The cast: a much busier
clerk, two ordinary ones, a sloppy one (few customer names on returns, many typo corrections),
sometimes a part-timer, and a returns desk that takes most customer returns. Honest noise:
sales following the day's traffic in each shift, customers returning goods 0–4 days later
(mostly named), quick corrections of mistyped quantities, a recall day when many customers
bring the same item back. The fraud of the seed case starts on a random day: one clerk
reverses part of the day's takings (negative sales or returns, no customer), their own earlier
sales of produce, at about the same time every working day.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from tests.support.store_behaviour import Simulation
from tests.support.store_model import SHANGHAI, Clerk, Fraud, StoreHistory, catalogue

__all__ = ["SHANGHAI", "StoreHistory", "catalogue", "simulate"]


def simulate(
    seed: int,
    *,
    days: int = 90,
    scale: float = 1.0,
    fraud: bool = True,
    fraud_days: float = 1.0,
    own_sales: bool = True,
) -> StoreHistory:
    """A reproducible history; ``scale`` thins the traffic (a small shop) for database tests.

    The fraud happens on every working day of the clerk, or on ``fraud_days`` of them, and
    reverses the clerk's own earlier sales (the seed case) or, with ``own_sales=False``,
    goods other clerks sold.
    """
    rng = random.Random(seed)
    clerks = _staff(rng, scale)
    start = date(2026, 6, 1) + timedelta(days=rng.randrange(0, 120))
    history = StoreHistory(start, days, clerks, None)
    simulation = Simulation(rng, history)
    simulation.honest_days()
    if fraud:
        history.fraud = _fraud(rng, clerks, days, fraud_days, own_sales)
        simulation.fraud_days(history.fraud)
    simulation.recall_day()
    history.documents.sort(key=lambda d: (d.at, d.number))
    return history


def _staff(rng: random.Random, scale: float) -> tuple[Clerk, ...]:
    early, late = (7, 15), (14, 22)
    clerks = [
        Clerk("busy", early, 9.0 * scale, rng.randrange(7)),
        Clerk("c1", early, 3.5 * scale, rng.randrange(7)),
        Clerk("c2", late, 3.5 * scale, rng.randrange(7), named_returns=0.3, correction_rate=0.02),
        Clerk("c3", late, 3.0 * scale, rng.randrange(7)),
        Clerk("desk", (9, 18), 1.0 * scale, rng.randrange(7), returns_desk=True),
    ]
    if rng.random() < 0.5:
        clerks.append(Clerk("c4", (10, 19), 2.5 * scale, rng.randrange(7)))
    return tuple(clerks)


def _fraud(
    rng: random.Random, clerks: tuple[Clerk, ...], days: int, on_days: float, own_sales: bool
) -> Fraud:
    clerk = rng.choice([c for c in clerks if not c.returns_desk])
    first, last = clerk.shift
    return Fraud(
        clerk=clerk.userid,
        start_day=rng.randrange(20, days - 6),
        minute=rng.randrange((first + 3) * 60, (last - 1) * 60),
        daily_share=rng.uniform(0.08, 0.25),
        kind=rng.choice(["negative_sale", "negative_sale", "return"]),
        own_sales=own_sales,
        jitter=rng.randrange(5, 25),
        day_probability=on_days,
    )
