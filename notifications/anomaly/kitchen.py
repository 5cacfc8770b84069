"""Who issues (领用) more of an ingredient than the kit sales since the last issue used.

A kitchen restocks to its usual level: each issue of an ingredient replaces what the kit
sales since the previous issue of it used by their recipes (as backflushed, or, where the
kitchen works by issue, each sold line × its recipe), plus the kitchen's usual waste. What an
issue takes beyond that is its *excess*; a person's day is the excess of their issues that day
as a share of the sales those issues replaced, so volume, the festival peak or a dish's price
never raise it.

Each person is judged against their own usual share (blended with the kitchen's, or the
chain's, for a newcomer), in units of the kitchen's usual day-to-day spread, by a CUSUM over
the watched days: a day adds how far it is above usual (capped, so one spoiled batch or a
raised par is one day's worth), less an allowance, and the sum never drops below zero. A
person is flagged when it crosses the threshold with excess on ``min_days`` days.

What the whole kitchen draws beyond its recipes is nobody's own: a dish served with more of an
ingredient than its recipe says (a menu change nobody entered) shows in everybody's issues of
that ingredient. So before naming a person, the others' issues are asked: an ingredient whose
excess share in them has risen, since a day of the person's run, two standard errors above
their usual, is taken off the person's issues of it at that rise, and the CUSUM is run again on
what is left. The kitchen's spread is the residuals' SD, each clipped at three robust SDs.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from zoneinfo import ZoneInfo

from core.recipes import KitchenMove
from notifications.settings import IssueSettings

ZERO = Decimal(0)


@dataclass(frozen=True)
class IssueCheck:
    """One issued ingredient against what the sales since its previous issue used."""

    issue: KitchenMove
    explained_qty: Decimal
    since: datetime
    sold_lines: frozenset[int]

    @property
    def explained_value(self) -> Decimal:
        return self.explained_qty * self.issue.cost

    @property
    def excess_qty(self) -> Decimal:
        return self.issue.qty - self.explained_qty

    @property
    def excess_value(self) -> Decimal:
        return self.excess_qty * self.issue.cost


@dataclass
class PersonDay:
    checks: list[IssueCheck] = field(default_factory=list)

    def upto(self, now: datetime) -> list[IssueCheck]:
        return [c for c in self.checks if c.issue.at < now]


@dataclass(frozen=True)
class DayShare:
    day: date
    excess: Decimal
    sales: Decimal
    checks: tuple[IssueCheck, ...]

    @property
    def share(self) -> float:
        return float(self.excess / self.sales) if self.sales > 0 else 0.0


@dataclass
class Kitchen:
    tz: ZoneInfo
    # (warehouse, person) -> shop day -> their issues that day
    days: dict[tuple[str, str], dict[date, PersonDay]]
    sales_value: dict[int, Decimal]
    # Shares of finished days, filled as hourly runs ask for them again.
    finished: dict[tuple[str, str, date], DayShare] = field(default_factory=dict)


@dataclass(frozen=True)
class IssueFinding:
    """Signals: ``baseline`` (the CUSUM against their own usual crossed), ``kitchen`` (the run's
    share is two spreads above the kitchen's usual too), ``days`` (excess on most run days).
    """

    person: str
    warehouse: str
    statistic: float
    since: date
    usual_share: float
    kitchen_share: float
    spread: float
    days: tuple[DayShare, ...]
    # Of the run's excess, what the others' issues show the whole kitchen drawing too.
    kitchen_wide: Decimal = ZERO

    @property
    def signals(self) -> tuple[str, ...]:
        found = ["baseline"]
        if self.share >= self.kitchen_share + 2 * self.spread:
            found.append("kitchen")
        if 2 * len(self.days_above) > len(self.days):
            found.append("days")
        return tuple(found)

    @property
    def days_above(self) -> tuple[DayShare, ...]:
        return tuple(d for d in self.days if d.share >= self.usual_share + 2 * self.spread)

    @property
    def warehouses(self) -> tuple[str, ...]:
        return (self.warehouse,)

    @property
    def excess(self) -> Decimal:
        return sum((d.excess for d in self.days), ZERO)

    @property
    def sales(self) -> Decimal:
        return sum((d.sales for d in self.days), ZERO)

    @property
    def share(self) -> float:
        return float(self.excess / self.sales) if self.sales > 0 else 0.0

    @property
    def documents(self) -> tuple[IssueCheck, ...]:
        """The issues of the flagged days that took more than they replaced, largest first."""
        checks = [c for d in self.days for c in d.checks if c.excess_value > 0]
        return tuple(sorted(checks, key=lambda c: (-c.excess_value, c.issue.at)))


def build_kitchen(moves: Iterable[KitchenMove], tz: ZoneInfo) -> Kitchen:
    """``moves`` oldest first, as ``core.recipes.kitchen_moves`` returns them."""
    used: dict[tuple[str, str], tuple[Decimal, set[int]]] = {}
    last_issue: dict[tuple[str, str], datetime] = {}
    days: dict[tuple[str, str], dict[date, PersonDay]] = defaultdict(lambda: defaultdict(PersonDay))
    sales_value: dict[int, Decimal] = {}
    for _, group in groupby(moves, key=lambda move: move.document):
        document = list(group)
        if document[0].doc_type != "issue":
            for move in document:
                qty, lines = used.get((move.warehouse, move.sku), (ZERO, set()))
                lines.add(move.line)
                used[(move.warehouse, move.sku)] = (qty + move.qty, lines)
                sales_value[move.line] = move.sales_value
            continue
        # One check per ingredient of the issue (a line drawn from two batches is two moves).
        by_sku: dict[str, KitchenMove] = {}
        for move in document:
            seen = by_sku.get(move.sku)
            by_sku[move.sku] = move if seen is None else replace(seen, qty=seen.qty + move.qty)
        for issue in by_sku.values():
            _check(issue, used, last_issue, days, tz)
    return Kitchen(tz, days, sales_value)


def _check(
    issue: KitchenMove,
    used: dict[tuple[str, str], tuple[Decimal, set[int]]],
    last_issue: dict[tuple[str, str], datetime],
    days: dict[tuple[str, str], dict[date, PersonDay]],
    tz: ZoneInfo,
) -> None:
    key = (issue.warehouse, issue.sku)
    qty, lines = used.pop(key, (ZERO, set()))
    previous = last_issue.get(key)
    last_issue[key] = issue.at
    if previous is None:
        # The first issue seen restocks use from before the facts begin: nothing explains it.
        return
    day = issue.at.astimezone(tz).date()
    check = IssueCheck(issue, qty, previous, frozenset(lines))
    days[(issue.warehouse, issue.actor)][day].checks.append(check)


def day_share(kitchen: Kitchen, day: date, person_day: PersonDay, now: datetime) -> DayShare:
    checks = person_day.upto(now)
    lines = {line for c in checks for line in c.sold_lines}
    sales = sum((kitchen.sales_value[line] for line in lines), ZERO)
    excess = sum((c.excess_value for c in checks), ZERO)
    return DayShare(day, excess, sales, tuple(checks))


def _shares(
    kitchen: Kitchen, key: tuple[str, str], first: date, last: date, now: datetime
) -> list[DayShare]:
    by_day = kitchen.days[key]
    today = now.astimezone(kitchen.tz).date()
    found = []
    for day in sorted(d for d in by_day if first <= d <= last):
        if day < today:
            share = kitchen.finished.get((*key, day))
            if share is None:
                share = kitchen.finished[(*key, day)] = day_share(kitchen, day, by_day[day], now)
        else:
            share = day_share(kitchen, day, by_day[day], now)
        if share.checks and share.sales > 0:
            found.append(share)
    return found


def assess_kitchen(kitchen: Kitchen, now: datetime, settings: IssueSettings) -> list[IssueFinding]:
    today = now.astimezone(kitchen.tz).date()
    watch_from = today - timedelta(days=settings.watch_days - 1)
    base_from = watch_from - timedelta(days=settings.baseline_days)
    base_to = watch_from - timedelta(days=1)
    baseline = {key: _shares(kitchen, key, base_from, base_to, now) for key in kitchen.days}
    known = {d.day for shares in baseline.values() for d in shares}
    if len(known) < settings.learning_days:
        return []
    pool_usual = statistics.median(d.share for shares in baseline.values() for d in shares)
    residuals = [
        d.share - statistics.median(s.share for s in shares)
        for shares in baseline.values()
        for d in shares
    ]
    spread = max(_spread(residuals), settings.min_spread)
    usual: dict[tuple[str, str], float] = {}
    watched: dict[tuple[str, str], list[DayShare]] = {}
    for key in kitchen.days:
        own = baseline[key]
        own_usual = statistics.median(d.share for d in own) if own else pool_usual
        usual[key] = (len(own) * own_usual + settings.prior_days * pool_usual) / (
            len(own) + settings.prior_days
        )
        watched[key] = _shares(kitchen, key, watch_from, today, now)
    findings = []
    for key in sorted(kitchen.days):
        found = _cusum(watched[key], usual[key], spread, settings)
        if found is None:
            continue
        others = [k for k in kitchen.days if k[0] == key[0] and k != key]
        common = _kitchen_wide(
            [c for k in others for d in baseline[k] for c in d.checks],
            [d for k in others for d in watched[k]],
            watched[key],
            found[1],
        )
        if common is not None:
            # What everybody draws more of over the same days (a recipe that under-states a
            # dish, a menu change) is nobody's own: judged on what is left.
            found = _cusum(common, usual[key], spread, settings)
        if found is not None:
            statistic, run = found
            as_issued = {d.day: d for d in watched[key]}
            days = tuple(as_issued[d.day] for d in run)
            common_excess = sum((d.excess for d in days), ZERO) - sum((d.excess for d in run), ZERO)
            findings.append(
                IssueFinding(key[1], key[0], statistic, run[0].day, usual[key], pool_usual,
                             spread, days, common_excess)
            )  # fmt: skip
    return findings


def _ratios(checks: Iterable[IssueCheck]) -> dict[str, tuple[float, float, int]]:
    """Per ingredient: its issues' excess as a share of what the sales used (pooled), the
    spread of that share from issue to issue, and how many issues.
    """
    by_sku: dict[str, list[IssueCheck]] = defaultdict(list)
    for check in checks:
        if check.explained_qty > 0:
            by_sku[check.issue.sku].append(check)
    found = {}
    for sku, group in by_sku.items():
        excess = sum((c.excess_value for c in group), ZERO)
        explained = sum((c.explained_value for c in group), ZERO)
        each = [float(c.excess_qty / c.explained_qty) for c in group]
        found[sku] = (float(excess / explained), _spread(each), len(group))
    return found


def _kitchen_wide(
    others_before: Sequence[IssueCheck],
    others_watched: Sequence[DayShare],
    own: Sequence[DayShare],
    run: Sequence[DayShare],
) -> list[DayShare] | None:
    """The person's watched days less what the others' issues say the whole kitchen draws
    beyond its recipes now: for each ingredient whose excess share in the others' issues since a
    day of ``run`` is two standard errors above their usual, that rise × what the person's issues
    of it replaced, from that day on. Of the days the rise could start from, the one leaving the
    least; None when no ingredient rose.
    """
    usual = _ratios(others_before)
    best: tuple[float, list[DayShare]] | None = None
    for since in sorted({d.day for d in run}):
        now = _ratios(c for d in others_watched if d.day >= since for c in d.checks)
        rises = {}
        for sku, (ratio, _, count) in now.items():
            if sku in usual and usual[sku][1] > 0:
                rise = ratio - usual[sku][0]
                if rise >= 2 * usual[sku][1] / math.sqrt(count):
                    rises[sku] = Decimal(str(round(rise, 6)))
        if not rises:
            continue
        left = [d if d.day < since else _less(d, rises) for d in own]
        total = sum((d.excess for d in left), ZERO)
        if best is None or total < best[0]:
            best = (float(total), left)
    return None if best is None else best[1]


def _less(day: DayShare, rises: dict[str, Decimal]) -> DayShare:
    common = sum((rises.get(c.issue.sku, ZERO) * c.explained_value for c in day.checks), ZERO)
    return replace(day, excess=day.excess - common)


def _robust_sd(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    centre = statistics.median(values)
    return 1.4826 * statistics.median(abs(v - centre) for v in values)


def _spread(residuals: Sequence[float]) -> float:
    """The residuals' SD with each clipped at three robust SDs: steadier over a few weeks than
    the robust SD alone, yet one spoiled batch counts no more than a bad day.
    """
    if len(residuals) < 2:
        return 0.0
    centre = statistics.median(residuals)
    limit = 3 * _robust_sd(residuals)
    clipped = [max(-limit, min(limit, r - centre)) for r in residuals]
    return math.sqrt(sum(c * c for c in clipped) / (len(clipped) - 1))


def _cusum(
    days: Sequence[DayShare], usual: float, spread: float, settings: IssueSettings
) -> tuple[float, list[DayShare]] | None:
    statistic = 0.0
    run: list[DayShare] = []
    for day in days:
        z = min((day.share - usual) / spread, settings.day_cap)
        statistic = max(0.0, statistic + z - settings.allowance)
        run = [*run, day] if statistic > 0 else []
    above = [d for d in run if (d.share - usual) / spread > settings.allowance]
    if statistic >= settings.threshold and len(above) >= settings.min_days:
        return statistic, run
    return None


def detect_issues(
    moves: Iterable[KitchenMove], now: datetime, tz: ZoneInfo, settings: IssueSettings
) -> list[IssueFinding]:
    return assess_kitchen(build_kitchen(moves, tz), now, settings)
