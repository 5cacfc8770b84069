"""Simulated restaurant kitchens for the issue (领用) anomaly detector: cooks, shifts, dishes.

Lunch (sales 11:00–14:00) and dinner (17:00–21:00); at the start of each shift the cook on
duty restocks the kitchen to its par level (定额): they issue what the last shift used, as the
dishes' recipes say, plus the day's waste (about ``waste`` of it), rounded up. A roster of two
or three cooks rotates over the shifts. Honest noise: orders by the day's traffic (busier at
weekends), waste varying day to day, rounding, one spoiled batch thrown out and restocked in
full, and with ``festival`` a busy fortnight whose par is raised at its start and lowered at
its end. Honest variants: a kitchen wasting ``waste=0.07``, a cook hired in the last weeks,
and with ``recipe_short`` a menu change from which one dish is served with a larger portion of
its dearest ingredient than its recipe says, by every cook (nobody updated the recipe).

Fraud (``fraud=True``): from a day after the first weeks, one cook issues on each of their
shifts extra of the dearest ingredients worth ``share`` of the sales their issue restocks,
and takes it home.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from itertools import groupby

from core.ledger import DocumentCommand, Issue, Line, Sell
from core.recipes import KitchenMove
from tests.support.store_model import SHANGHAI


@dataclass(frozen=True)
class Ingredient:
    sku: str
    name: str
    unit: str
    places: int
    cost: Decimal


@dataclass(frozen=True)
class Dish:
    sku: str
    name: str
    price: Decimal
    popularity: int
    recipe: tuple[tuple[str, Decimal], ...]


INGREDIENTS = {
    i.sku: i
    for i in (
        Ingredient("CHICKEN", "鸡肉", "kg", 2, Decimal(30)),
        Ingredient("PORK", "猪肉", "kg", 2, Decimal(28)),
        Ingredient("FISH", "鲈鱼", "kg", 2, Decimal(36)),
        Ingredient("PEANUT", "花生", "kg", 2, Decimal(12)),
        Ingredient("EGG", "鸡蛋", "个", 0, Decimal("0.8")),
        Ingredient("TOMATO", "西红柿", "kg", 2, Decimal(5)),
        Ingredient("TOFU", "豆腐", "kg", 2, Decimal(4)),
        Ingredient("GREENS", "青菜", "kg", 2, Decimal(5)),
    )
}
MENU = (
    Dish("KUNGPAO", "宫保鸡丁", Decimal(38), 8,
         (("CHICKEN", Decimal("0.2")), ("PEANUT", Decimal("0.05")))),
    Dish("BRAISED", "红烧肉", Decimal(48), 6, (("PORK", Decimal("0.25")),)),
    Dish("STEAMFISH", "清蒸鲈鱼", Decimal(68), 3, (("FISH", Decimal("0.6")),)),
    Dish("EGGTOM", "番茄炒蛋", Decimal(22), 7, (("EGG", Decimal(3)), ("TOMATO", Decimal("0.3")))),
    Dish("MAPO", "麻婆豆腐", Decimal(18), 6, (("TOFU", Decimal("0.4")), ("PORK", Decimal("0.05")))),
    Dish("VEGDISH", "清炒时蔬", Decimal(16), 7, (("GREENS", Decimal("0.35")),)),
)  # fmt: skip
# Dishes per hour of each shift on an ordinary weekday.
SHIFTS = {"lunch": ((11, 14), 10 * 60, 14.0), "dinner": ((17, 21), 16 * 60, 15.0)}


@dataclass(frozen=True)
class CookFraud:
    cook: str
    start_day: int
    share: float


@dataclass
class KitchenHistory:
    start: date
    days: int
    cooks: tuple[str, ...]
    moves: list[KitchenMove] = field(default_factory=list)
    fraud: CookFraud | None = None
    warehouse: str = "MAIN"
    # The issue documents that took extra home.
    fraud_issues: set[str] = field(default_factory=set)
    # Shop days [first, last) of a festival peak and how much busier; the newcomer's first day.
    peak: tuple[int, int, float] | None = None
    hired: int | None = None
    # From this shop day the dish uses this many times its recipe's ingredient.
    short_recipe: tuple[int, str, str, float] | None = None
    # Sale number -> the dish and how many portions.
    orders: dict[str, tuple[Dish, Decimal]] = field(default_factory=dict)

    @property
    def fraud_clerks(self) -> set[str]:
        return {self.fraud.cook} if self.fraud else set()

    @property
    def honest_clerks(self) -> set[str]:
        return set(self.cooks) - self.fraud_clerks

    @property
    def fraud_started_at(self) -> datetime | None:
        times = [m.at for m in self.moves if m.document in self.fraud_issues]
        return min(times, default=None)

    def fraud_days_before(self, until: datetime) -> int:
        return len(
            {m.at.astimezone(SHANGHAI).date() for m in self.moves
             if m.document in self.fraud_issues and m.at < until}
        )  # fmt: skip

    def between(self, since: datetime, until: datetime) -> KitchenHistory:
        return replace(self, moves=[m for m in self.moves if since <= m.at < until])

    def commands(self) -> Iterator[DocumentCommand]:
        """The history as ledger commands (kit sales and issues to 厨房), oldest first."""
        for _, group in groupby(self.moves, key=lambda m: m.document):
            moves = list(group)
            first = moves[0]
            if first.doc_type == "issue":
                lines = tuple(Line(m.sku, m.qty) for m in moves)
                yield Issue(warehouse=self.warehouse, actor=first.actor, lines=lines,
                            partner=first.department, posted_at=first.at, number=first.document,
                            note="模拟")  # fmt: skip
            else:
                dish, qty = self.orders[first.document]
                yield Sell(warehouse=self.warehouse, actor=first.actor,
                           lines=(Line(dish.sku, qty, dish.price),), posted_at=first.at,
                           number=first.document, note="模拟")  # fmt: skip


def catalogue_rows() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The kitchen's items (sku, name, unit, price, cost, shelf_life_days, kind) and BOM rows
    (product_sku, component_sku, qty, scrap_pct), for the importers.
    """
    items = [(i.sku, i.name, i.unit, "", str(i.cost), "", "stock") for i in INGREDIENTS.values()]
    items += [(d.sku, d.name, "份", str(d.price), "", "", "kit") for d in MENU]
    bom = [(d.sku, sku, str(qty), "0") for d in MENU for sku, qty in d.recipe]
    return items, bom


def simulate_kitchen(
    seed: int,
    *,
    days: int = 90,
    fraud: bool = True,
    share: float = 0.05,
    cooks: int = 3,
    waste: float = 0.03,
    festival: bool = False,
    newcomer: bool = False,
    recipe_short: bool = False,
    first_fraud_day: int = 28,
    scale: float = 1.0,
) -> KitchenHistory:
    rng = random.Random(seed)
    names = tuple(f"k{n}" for n in range(1, cooks + 1))
    start = date(2026, 6, 1) + timedelta(days=rng.randrange(0, 120))
    history = KitchenHistory(start, days, (*names, "knew") if newcomer else names)
    kitchen = _Kitchen(rng, history, waste, scale)
    if festival:
        first = rng.randrange(days // 3, days - 20)
        kitchen.peak = history.peak = (first, first + 12, rng.uniform(2.0, 3.0))
    if recipe_short:
        dish = rng.choice(MENU)
        sku = max(dish.recipe, key=lambda part: INGREDIENTS[part[0]].cost * part[1])[0]
        first = rng.randrange(days // 3, days - 20)
        kitchen.short = history.short_recipe = (first, dish.sku, sku, rng.uniform(1.2, 1.4))
    hired = rng.randrange(days - 30, days - 12) if newcomer else days
    history.hired = hired if newcomer else None
    if fraud:
        cook = rng.choice(names)
        history.fraud = CookFraud(cook, rng.randrange(first_fraud_day, days - 30), share)
    kitchen.spoiled_day = rng.randrange(10, days)
    offset = rng.randrange(len(names))
    for day in range(days):
        on_duty = list(names) if day < hired else [*names[1:], "knew"]
        for n, shift in enumerate(SHIFTS):
            cook = on_duty[(day * 2 + n + offset + day // 7) % len(on_duty)]
            kitchen.shift(day, shift, cook)
    return history


class _Kitchen:
    def __init__(self, rng: random.Random, history: KitchenHistory, waste: float,
                 scale: float) -> None:  # fmt: skip
        self.rng = rng
        self.history = history
        self.waste = waste
        self.scale = scale
        self.peak: tuple[int, int, float] | None = None
        self.short: tuple[int, str, str, float] | None = None
        self.day = 0
        self.spoiled_day = -1
        self.serial = 0
        self.line = 0
        self.stock: dict[str, Decimal] = {sku: Decimal(0) for sku in INGREDIENTS}
        self.used_sales = Decimal(0)
        self.issues = 0

    def traffic(self, day: int) -> float:
        weekday = (self.history.start + timedelta(days=day)).weekday()
        busy = 1.3 if weekday in (4, 5) else 1.0
        if self.peak is not None and self.peak[0] <= day < self.peak[1]:
            busy *= self.peak[2]
        return busy * self.scale

    def par(self, day: int) -> dict[str, Decimal]:
        """Half again a busy shift's use; raised by the festival's traffic while it lasts."""
        level = 1.5 * 1.3 * self.scale
        if self.peak is not None and self.peak[0] <= day < self.peak[1]:
            level *= self.peak[2]
        total = sum(d.popularity for d in MENU)
        dishes = 4 * 15.0 * level
        par = {sku: Decimal(0) for sku in INGREDIENTS}
        for dish in MENU:
            for sku, qty in dish.recipe:
                par[sku] += qty * Decimal(str(round(dishes * dish.popularity / total, 2)))
        return par

    def at(self, day: int, minute: float) -> datetime:
        local = datetime.combine(self.history.start + timedelta(days=day), time(), SHANGHAI)
        return (local + timedelta(minutes=minute)).astimezone(UTC)

    def shift(self, day: int, shift: str, cook: str) -> None:
        (first, last), issue_minute, per_hour = SHIFTS[shift]
        if day == self.spoiled_day and shift == "lunch":
            spoiled = self.rng.choice(list(INGREDIENTS))
            self.stock[spoiled] = Decimal(0)
        self.restock(day, issue_minute + self.rng.uniform(0, 30), cook)
        waste = max(0.0, self.rng.gauss(self.waste, self.waste / 2))
        self.day = day
        for hour in range(first, last):
            for _ in range(_poisson(self.rng, per_hour * self.traffic(day))):
                self.sell(self.at(day, hour * 60 + self.rng.uniform(0, 60)), waste)

    def restock(self, day: int, minute: float, cook: str) -> None:
        lines: dict[str, Decimal] = {}
        for sku, level in self.par(day).items():
            need = _round_up(level - self.stock[sku], INGREDIENTS[sku].places)
            if need > 0:
                lines[sku] = need
                self.stock[sku] += need
        self.serial += 1
        number = f"LY{self.serial:06d}"
        fraud = self.history.fraud
        if fraud is not None and fraud.cook == cook and day >= fraud.start_day:
            # What is taken home never reaches the kitchen's shelf.
            for sku, extra in self._extra(Decimal(str(fraud.share)) * self.used_sales).items():
                lines[sku] = lines.get(sku, Decimal(0)) + extra
            self.history.fraud_issues.add(number)
        at = self.at(day, minute)
        for sku, qty in lines.items():
            ingredient = INGREDIENTS[sku]
            self.line += 1
            self.history.moves.append(
                KitchenMove(
                    number,
                    "issue",
                    self.history.warehouse,
                    cook,
                    at,
                    "厨房",
                    self.line,
                    sku,
                    ingredient.name,
                    ingredient.unit,
                    qty,
                    ingredient.cost,
                    Decimal(0),
                )
            )
        self.used_sales = Decimal(0)

    def _extra(self, value: Decimal) -> dict[str, Decimal]:
        """The dearest ingredients (meat and fish), half of ``value`` each."""
        dear = sorted(INGREDIENTS.values(), key=lambda i: -i.cost)[:2]
        return {i.sku: _round_up(value / 2 / i.cost, i.places) for i in dear}

    def sell(self, at: datetime, waste: float) -> None:
        dish = self.rng.choices(MENU, [d.popularity for d in MENU])[0]
        qty = Decimal(self.rng.choice([1, 1, 1, 2]))
        self.serial += 1
        self.line += 1
        number = f"XS{self.serial:06d}"
        amount = qty * dish.price
        self.history.orders[number] = (dish, qty)
        for sku, per in dish.recipe:
            ingredient = INGREDIENTS[sku]
            used = qty * per
            self.history.moves.append(
                KitchenMove(
                    number,
                    "sale",
                    self.history.warehouse,
                    "waiter",
                    at,
                    None,
                    self.line,
                    sku,
                    ingredient.name,
                    ingredient.unit,
                    used,
                    ingredient.cost,
                    amount,
                )
            )
            wasted = used * Decimal(str(round(waste, 4)))
            self.stock[sku] -= used + wasted + self._beyond_recipe(dish, sku, used)
        self.used_sales += amount

    def _beyond_recipe(self, dish: Dish, sku: str, used: Decimal) -> Decimal:
        if self.short is None:
            return Decimal(0)
        first, dish_sku, short_sku, factor = self.short
        if self.day < first or (dish.sku, sku) != (dish_sku, short_sku):
            return Decimal(0)
        return used * Decimal(str(round(factor - 1, 4)))


def _round_up(qty: Decimal, places: int) -> Decimal:
    step = Decimal(1).scaleb(-1 if places else 0)
    return (qty / step).to_integral_value(ROUND_CEILING) * step


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, math.exp(-mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count
