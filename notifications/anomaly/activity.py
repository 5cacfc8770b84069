"""Sales activity per warehouse, clerk and day, with each reversal annotated once.

A reversal is a posted sales return or a negative sale line. Annotating looks only backwards
(sales earlier the same day), so a reversal reads the same whatever window a later run puts
around it. Each reversal line is matched to at most one earlier sale line of the same day in
the same shop with the same item, quantity and price, and a matched sale line is used for one
reversal only: a genuine return is mostly of something bought on an earlier day, a skim undoes
a sale rung up hours before.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core.analytics import SalesLine
from notifications.settings import AnomalySettings

if TYPE_CHECKING:
    from notifications.anomaly.baseline import Tally

ZERO = Decimal(0)


@dataclass(frozen=True)
class Match:
    """A reversal line and the earlier sale line of the same day it undoes."""

    line: SalesLine
    sale: SalesLine


@dataclass(frozen=True)
class Reversal:
    """The lines of one document that take goods back, less quick corrections of a typo."""

    document: str
    doc_type: str
    warehouse: str
    clerk: str
    at: datetime
    day: date
    lines: tuple[SalesLine, ...]
    value: Decimal
    orphan: bool
    matches: tuple[Match, ...]

    @property
    def matched_value(self) -> Decimal:
        return sum((m.line.amount for m in self.matches), ZERO)

    @property
    def suspect(self) -> bool:
        """No customer, no original, and most of it undoes sales rung up earlier today."""
        return self.orphan and self.matched_value * 2 >= self.value

    @property
    def own(self) -> bool:
        """It undoes the clerk's own sales only."""
        return self.sellers == {self.clerk}

    @property
    def sellers(self) -> frozenset[str]:
        """Whose sales it undoes (the clerk's own, or a colleague's)."""
        return frozenset(m.sale.clerk for m in self.matches)


@dataclass
class ClerkDay:
    """Sale documents (time, running value) and reversals of one clerk's day in one shop."""

    sale_times: list[float] = field(default_factory=list)
    running_value: list[Decimal] = field(default_factory=list)
    reversals: list[Reversal] = field(default_factory=list)
    corrections: int = 0

    def add_sale(self, at: datetime, value: Decimal) -> None:
        total = self.running_value[-1] if self.running_value else ZERO
        self.sale_times.append(at.timestamp())
        self.running_value.append(total + value)

    def sales_before(self, cutoff: float) -> int:
        """How many of the day's sale documents were made before POSIX time ``cutoff``."""
        return bisect_left(self.sale_times, cutoff)

    def value_of_first(self, count: int) -> Decimal:
        return self.running_value[count - 1] if count else ZERO

    def reversals_before(self, now: datetime) -> list[Reversal]:
        return [r for r in self.reversals if r.at < now]


# (warehouse, clerk) -> shop day -> the clerk's day there
Days = dict[tuple[str, str], dict[date, ClerkDay]]


@dataclass
class Activity:
    tz: ZoneInfo
    days: Days
    # Totals of finished days, filled by ``baseline.tally``: hourly runs ask for them again.
    finished: dict[tuple[str, str, date], Tally] = field(default_factory=dict)
    # Each clerk's baseline tally, by the day it is judged on and the days watched after it.
    pasts: dict[tuple[str, str, date, int], Tally] = field(default_factory=dict)

    @property
    def warehouses(self) -> set[str]:
        return {warehouse for warehouse, _ in self.days}

    @property
    def first_day(self) -> date | None:
        return min((day for by_day in self.days.values() for day in by_day), default=None)


def build_activity(lines: Iterable[SalesLine], tz: ZoneInfo, settings: AnomalySettings) -> Activity:
    """``lines`` oldest first, as ``core.analytics.sales_lines`` returns them."""
    days: Days = defaultdict(lambda: defaultdict(ClerkDay))
    recent: dict[tuple[str, date, str], list[SalesLine]] = defaultdict(list)
    open_sales: dict[tuple[str, date, str, Decimal, Decimal], list[SalesLine]] = defaultdict(list)
    for document in _documents(lines):
        first = document[0]
        local = first.at.astimezone(tz)
        clerk_day = days[(first.warehouse, first.clerk)][local.date()]
        undone = [line for line in document if line.is_reversal]
        if undone:
            _add_reversal(clerk_day, undone, recent, open_sales, local.date(), settings)
        sold = [line for line in document if not line.is_reversal]
        if sold:
            clerk_day.add_sale(first.at, sum((line.amount for line in sold), ZERO))
        for line in sold:
            recent[(line.warehouse, local.date(), line.sku)].append(line)
            key = (line.warehouse, local.date(), line.sku, line.qty, line.price)
            open_sales[key].append(line)
    return Activity(tz, days)


def _documents(lines: Iterable[SalesLine]) -> Iterator[list[SalesLine]]:
    for _, group in groupby(lines, key=lambda line: line.document):
        yield list(group)


def _add_reversal(
    clerk_day: ClerkDay,
    undone: list[SalesLine],
    recent: dict[tuple[str, date, str], list[SalesLine]],
    open_sales: dict[tuple[str, date, str, Decimal, Decimal], list[SalesLine]],
    day: date,
    settings: AnomalySettings,
) -> None:
    fixed = [_corrected(line, recent, day, settings) for line in undone]
    # A typo is fixed sale by sale: lines undoing several sales are no correction of one.
    if len({sale.document for sale in fixed if sale is not None}) > 1:
        fixed = [None] * len(undone)
    kept = [line for line, sale in zip(undone, fixed, strict=True) if sale is None]
    if not kept:
        clerk_day.corrections += 1
        return
    first = kept[0]
    since = first.at - timedelta(hours=settings.same_day_hours)
    matches = []
    for line in kept:
        candidates = open_sales.get((line.warehouse, day, line.sku, abs(line.qty), line.price))
        while candidates and candidates[0].at < since:
            candidates.pop(0)
        if candidates:
            # The latest such sale: a skim undoes what was rung up shortly before.
            matches.append(Match(line, candidates.pop()))
    clerk_day.reversals.append(
        Reversal(
            document=first.document,
            doc_type=first.doc_type,
            warehouse=first.warehouse,
            clerk=first.clerk,
            at=first.at,
            day=day,
            lines=tuple(kept),
            value=sum((line.amount for line in kept), ZERO),
            orphan=not first.partner and not first.original,
            matches=tuple(matches),
        )
    )


def _corrected(
    line: SalesLine, recent: dict[tuple[str, date, str], list[SalesLine]], day: date,
    settings: AnomalySettings,
) -> SalesLine | None:  # fmt: skip
    """The sale line whose mistyped quantity ``line`` undoes minutes after it was rung up (an
    honest correction, by the clerk or by a colleague at the same till), if any.
    """
    since = line.at - timedelta(minutes=settings.correction_minutes)
    for sale in reversed(recent.get((line.warehouse, day, line.sku), [])):
        if sale.at < since:
            return None
        if abs(line.qty) <= sale.qty:
            return sale
    return None
