"""How the simulated people behave, day by day (see ``store_simulator`` for the cast)."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from tests.support.store_model import (
    CATALOGUE,
    MAIN,
    SHANGHAI,
    Clerk,
    Fraud,
    SimDocument,
    SimLine,
    StoreHistory,
)

# Customers by the hour, 07:00–21:59: a morning, a noon and an evening peak.
TRAFFIC = dict(zip(range(7, 22), (0.6, 1.4, 1.2, 0.9, 1.1, 1.2, 0.8, 0.6, 0.7, 0.9, 1.5, 1.6,
                                  1.2, 0.8, 0.4), strict=True))  # fmt: skip
PRODUCE = {p.sku for p in CATALOGUE if p.category in ("蔬菜", "水果")}
FAMILY = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"


class Simulation:
    """One store's days; a store of a chain stamps its warehouse on its documents and starts
    their numbers with ``prefix`` (as its clerks' ids).
    """

    def __init__(
        self, rng: random.Random, history: StoreHistory, warehouse: str = MAIN, prefix: str = ""
    ) -> None:
        self.rng = rng
        self.history = history
        self.warehouse = warehouse
        self.prefix = prefix
        self.serial = 0
        self.sales: dict[int, dict[str, list[SimDocument]]] = defaultdict(dict)

    def add(self, doc_type: str, at: datetime, user: str, partner: str | None,
            lines: tuple[SimLine, ...], fraud: bool = False) -> SimDocument:  # fmt: skip
        self.serial += 1
        number = f"{self.prefix}{'XS' if doc_type == 'sale' else 'XT'}{self.serial:06d}"
        document = SimDocument(number, doc_type, at, self.warehouse, user, partner, lines, fraud)
        self.history.documents.append(document)
        return document

    def instant(self, day: int, minute: float) -> datetime:
        local = datetime.combine(self.history.start + timedelta(days=day), time(), SHANGHAI)
        return (local + timedelta(minutes=minute)).astimezone(UTC)

    def on_shift(self, clerk: Clerk, day: int) -> bool:
        working = (self.history.start + timedelta(days=day)).weekday() != clerk.day_off
        return working and day >= clerk.first_day

    def traffic(self, day: int) -> float:
        peak = self.history.peak
        return peak[2] if peak is not None and peak[0] <= day < peak[1] else 1.0

    def honest_days(self) -> None:
        for day in range(self.history.days):
            for clerk in self.history.clerks:
                if self.on_shift(clerk, day):
                    self.sales[day][clerk.userid] = list(self._selling_day(clerk, day))
            self._customer_returns(day)

    def _selling_day(self, clerk: Clerk, day: int) -> Iterator[SimDocument]:
        for hour in range(*clerk.shift):
            mean = clerk.sales_per_hour * TRAFFIC.get(hour, 0.2) * self.traffic(day)
            for _ in range(_poisson(self.rng, mean)):
                at = self.instant(day, hour * 60 + self.rng.uniform(0, 60))
                sale = self.add("sale", at, clerk.userid, None, self._basket())
                yield sale
                if self.rng.random() < clerk.correction_rate * len(sale.lines):
                    self._correct(clerk, sale)

    def _basket(self) -> tuple[SimLine, ...]:
        weights = [p.popularity for p in CATALOGUE]
        picked = {p.sku: p for p in self.rng.choices(CATALOGUE, weights, k=self.rng.randint(1, 4))}
        return tuple(SimLine(p.sku, _qty(self.rng, p.places), p.price) for p in picked.values())

    def _correct(self, clerk: Clerk, sale: SimDocument) -> None:
        """A mistyped quantity undone a few minutes later (10 instead of 1, say)."""
        line = self.rng.choice(sale.lines)
        undo = (
            line.qty if self.rng.random() < 0.5 else (line.qty * Decimal("0.9")).quantize(line.qty)
        )
        if undo > 0:
            at = sale.at + timedelta(minutes=self.rng.uniform(0.5, 8))
            local = at.astimezone(SHANGHAI)
            day = (local.date() - self.history.start).days
            by = clerk
            fixes = self.history.colleague_fixes
            if fixes and self.rng.random() < fixes:
                others = [c for c in self._present(day, local.hour) if c is not clerk]
                by = self.rng.choice(others) if others else clerk
            self.add("sale", at, by.userid, None, (replace(line, qty=-undo),))

    def _customer_returns(self, day: int) -> None:
        """About 1.5% of baskets come back 0–4 days later, taken by whoever is at the till."""
        for sales in self.sales[day].values():
            for sale in sales:
                if sale.lines[0].qty > 0 and self.rng.random() < 0.015:
                    self.customer_return(sale, day + self.rng.choice([0, 1, 1, 1, 2, 2, 3, 4]))

    def customer_return(self, sale: SimDocument, day: int, named: float | None = None) -> None:
        if day >= self.history.days:
            return
        minute = self.rng.uniform(8 * 60, 21 * 60)
        if day == (sale.at.astimezone(SHANGHAI).date() - self.history.start).days:
            minute = max(minute, _local_minute(sale.at) + 60)
        clerk = self._taking_returns(day, int(minute // 60))
        if clerk is None:
            return
        named_share = clerk.named_returns if named is None else named
        partner = None
        if self.rng.random() < named_share:
            partner = f"顾客{self.rng.choice(FAMILY)}{self.rng.randrange(100)}"
        line = self.rng.choice(sale.lines)
        self.add("sales_return", self.instant(day, minute), clerk.userid, partner, (line,))

    def _present(self, day: int, hour: int) -> list[Clerk]:
        return [c for c in self.history.clerks
                if self.on_shift(c, day) and c.shift[0] <= hour < c.shift[1]]  # fmt: skip

    def _taking_returns(self, day: int, hour: int) -> Clerk | None:
        present = self._present(day, hour)
        desk = [c for c in present if c.returns_desk]
        if desk and self.rng.random() < 0.7:
            return desk[0]
        return self.rng.choice(present) if present else None

    def recall_day(self) -> None:
        """One day many customers bring back the same spoiled item (honest, bunched noise)."""
        day = self.rng.randrange(15, self.history.days)
        earlier = [
            s for d in range(day - 3, day) for sales in self.sales[d].values() for s in sales
        ]
        for sale in self.rng.sample(earlier, min(len(earlier), self.rng.randint(4, 8))):
            self.customer_return(sale, day, named=0.7)

    def fraud_days(self, fraud: Fraud) -> None:
        clerk = next(c for c in self.history.clerks if c.userid == fraud.clerk)
        for day in range(fraud.start_day, self.history.days):
            weekday = (self.history.start + timedelta(days=day)).weekday()
            if fraud.weekdays is not None and weekday not in fraud.weekdays:
                continue
            if self.on_shift(clerk, day) and self.rng.random() <= fraud.day_probability:
                self._skim(fraud, clerk, day, self.sales[day].get(clerk.userid, []))

    def _skim(self, fraud: Fraud, clerk: Clerk, day: int, sales: list[SimDocument]) -> None:
        """Reverse ``daily_share`` of the day's takings at about the usual (or any) time."""
        minute = fraud.minute + self.rng.uniform(-fraud.jitter, fraud.jitter)
        if fraud.hours_vary:
            minute = self.rng.uniform((clerk.shift[0] + 1) * 60, clerk.shift[1] * 60 - 10)
        at = self.instant(day, minute)
        sold = [ln for s in sales if s.at < at for ln in s.lines if ln.qty > 0]
        if fraud.victim is not None:
            theirs = self.sales[day].get(fraud.victim, [])
            sold = [ln for s in theirs if s.at < at for ln in s.lines if ln.qty > 0]
        elif not fraud.own_sales:
            sold = [ln for s in self._all_sales(day) for ln in s.lines if ln.qty > 0]
        pool = [ln for ln in sold if ln.sku in PRODUCE] or sold
        target = fraud.daily_share * sum(float(ln.qty * ln.price) for s in sales for ln in s.lines)
        taken = 0.0
        while pool and taken < target:
            lines = [pool.pop(self.rng.randrange(len(pool))) for _ in range(min(len(pool), 3))]
            self._reverse(fraud, at, tuple({ln.sku: ln for ln in lines}.values()))
            taken += sum(float(ln.qty * ln.price) for ln in lines)
            at += timedelta(minutes=self.rng.uniform(1, 6))

    def _all_sales(self, day: int) -> list[SimDocument]:
        return [s for sales in self.sales[day].values() for s in sales]

    def _reverse(self, fraud: Fraud, at: datetime, lines: tuple[SimLine, ...]) -> None:
        if fraud.kind == "negative_sale":
            undone = tuple(replace(ln, qty=-ln.qty) for ln in lines)
            self.add("sale", at, fraud.clerk, None, undone, fraud=True)
        else:
            self.add("sales_return", at, fraud.clerk, None, lines, fraud=True)


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, math.exp(-mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _qty(rng: random.Random, places: int) -> Decimal:
    if places == 0:
        return Decimal(rng.choice([1, 1, 1, 2, 2, 3, 6]))
    return Decimal(str(round(rng.uniform(0.3, 2.5), places)))


def _local_minute(at: datetime) -> float:
    local = at.astimezone(SHANGHAI)
    return local.hour * 60 + local.minute
