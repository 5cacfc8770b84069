"""Which clerks reverse sales against their own usual, and the evidence for it.

A *suspect* reversal has no customer and no original document and undoes, line for line,
sales rung up earlier the same day in the same shop (the clerk's own or a colleague's; each
sale undone once). Honest shops have some: a returned item that happens to match today's sale,
a returns desk, a shop where nobody records customers. What the detector asks is whether a
clerk has more of them than *they* usually do (their own past, blended with the shop's or
chain's for a newcomer), with evidence summed over days by a CUSUM, so a pattern at any hour,
of any size, on every day or two days a week climbs until it is unlikely by chance.

Two clerks who undo each other's sales are pooled: each may stay below the line alone. What
chance would give them is not both clerks' usual counts but the part of each that would land
on the other's sales (the other's share of the two's sales that day), on days both worked.

A genuine return without a name lands on a colleague's sale as often as on one's own, so a
clerk who takes many of them (a late shift, a sloppy habit of not asking the name) meets
chance matches on other people's sales that a skim does not need: the short test is asked of
the reversals of the clerk's *own* sales against their own usual of those, and the test of
every suspect reversal, colleagues' sales included, crosses a higher line.

Fraud on two or three days a week drains a short CUSUM on the quiet days between, and after
two weeks it starts to count as the clerk's usual. A slow test therefore watches up to six
weeks against the clerk's usual *before* them, counting only reversals of the clerk's own
sales, and looks for a gentler but larger raise, four times the usual (not a raise per sale,
which would ask the busiest clerk for more than a 1% skim on two days a week brings). Honest
clerks rarely undo their own sales, so the tests of own sales floor the usual lower per sale
(``own_min_rate``); over six weeks a clerk who undoes an own sale every week or two, with a
baseline of a few weeks that happened to see none, would climb, so there the usual is never
below ``weeks_min_daily`` a working day.

Signals named in the alert:

- ``baseline``: the CUSUM of reversals of the clerk's own sales against their usual crossed;
- ``all``: the CUSUM of every suspect reversal of theirs, colleagues' sales included, crossed
  its higher line;
- ``weeks``: the slow test of reversals of their own sales over up to six weeks crossed it;
- ``pair``: the CUSUM of two clerks undoing each other's sales crossed it;
- ``value``: the watched days' suspect value is at least ``ratio`` × the clerk's usual share;
- ``peers``: the watched days' suspect rate is at least ``ratio`` × the shop's/chain's.

A clerk is flagged on ``baseline``, ``all`` or ``pair`` with suspect reversals on ``min_days``
days, or on ``weeks`` with reversals of their own sales on ``weeks_min_days``; a pair, once
each has undone the other's sales on ``pair_min_days`` days. A pair's alert lists only the
reversals of each other's sales.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.analytics import SalesLine
from notifications.anomaly.activity import ZERO, Activity, Reversal, build_activity
from notifications.anomaly.baseline import (
    Tally,
    chance_odds,
    day_tally,
    days_before,
    known_days,
    past,
    usual_loose,
    usual_rate,
)
from notifications.anomaly.cusum import Cusum, DayCount, cusum
from notifications.settings import AnomalySettings


@dataclass(frozen=True)
class Watch:
    """One clerk's watched days against their usual rate."""

    warehouse: str
    clerk: str
    rate: float
    usual: Tally
    pool: Tally
    days: tuple[DayCount, ...]
    reversals: tuple[Reversal, ...]
    recent: Tally


@dataclass(frozen=True)
class Finding:
    clerk: str
    warehouse: str
    signals: tuple[str, ...]
    evidence: Cusum
    rate: float
    usual_share: float
    peer_rate: float
    recent: Tally
    documents: tuple[Reversal, ...]
    partner: str | None

    @property
    def warehouses(self) -> tuple[str, ...]:
        return (self.warehouse,)

    @property
    def since(self) -> date | None:
        return self.evidence.run_start


def detect(
    lines: Iterable[SalesLine], now: datetime, tz: ZoneInfo, settings: AnomalySettings
) -> list[Finding]:
    return assess(build_activity(lines, tz, settings), now, settings)


def assess(activity: Activity, now: datetime, settings: AnomalySettings) -> list[Finding]:
    today = now.astimezone(activity.tz).date()
    if known_days(activity, today, settings, settings.watch_days) < settings.learning_days:
        return []
    findings: dict[tuple[str, str], Finding] = {}
    short = settings.watch_days
    own = _watches(activity, today, now, settings, short, settings.min_daily, own=True)
    watches = _watches(activity, today, now, settings, short, settings.min_daily)
    for test, tested, threshold in (
        ("baseline", own, settings.threshold),
        ("all", watches, settings.all_threshold),
    ):
        for key, watch in sorted(tested.items()):
            evidence = _evidence(watch.days, settings, settings.ratio, settings.shift_per_sale)
            if key not in findings and _crossed(evidence, threshold, settings.min_days):
                findings[key] = _finding(watch, evidence, test, settings)
    weeks = _weeks_watched(activity, today, settings)
    if weeks > settings.watch_days:
        slow = _watches(activity, today, now, settings, weeks, settings.weeks_min_daily, own=True)
        for key, watch in sorted(slow.items()):
            evidence = _evidence(
                watch.days, settings, settings.weeks_ratio, settings.weeks_shift_per_sale
            )
            crossed = _crossed(evidence, settings.weeks_threshold, settings.weeks_min_days)
            if key not in findings and crossed:
                findings[key] = _finding(watch, evidence, "weeks", settings)
    for first, second in _pairs(watches):
        if first in findings or second in findings:
            # One of them is explained alone; the other merely sold what they reversed.
            continue
        a, b = watches[first], watches[second]
        crossing = _crossing(a, b, settings)
        joint = _evidence(crossing, settings, settings.ratio, settings.shift_per_sale)
        if not _crossed(joint, settings.pair_threshold, settings.min_days):
            continue
        if not _both_ways(a, b, settings):
            continue
        for one, other in ((a, b), (b, a)):
            findings[(one.warehouse, one.clerk)] = _finding(
                one, joint, "pair", settings, other.clerk
            )
    return [findings[key] for key in sorted(findings)]


def _weeks_watched(activity: Activity, today: date, settings: AnomalySettings) -> int:
    """Days the slow test watches: ``weeks_watch_days``, fewer in a shop too new to have
    ``learning_days`` of history before them.
    """
    first = activity.first_day
    known = (today - first).days if first is not None else 0
    return min(settings.weeks_watch_days, known - settings.learning_days)


def _watches(
    activity: Activity, today: date, now: datetime, settings: AnomalySettings, watched: int,
    min_daily: float, own: bool = False,
) -> dict[tuple[str, str], Watch]:  # fmt: skip
    """Each clerk's ``watched`` days; with ``own``, only reversals of their own sales count."""
    usual = {key: past(activity, key, now, settings, watched) for key in activity.days}
    if own:
        usual = {key: tally.own() for key, tally in usual.items()}
    pool = sum(usual.values(), Tally())
    return {
        key: _watch(activity, key, today, now, usual[key], pool, settings, watched, own, min_daily)
        for key in usual
    }


def _watch(
    activity: Activity,
    key: tuple[str, str],
    today: date,
    now: datetime,
    usual: Tally,
    pool: Tally,
    settings: AnomalySettings,
    watched: int,
    own: bool,
    min_daily: float,
) -> Watch:
    rate = usual_rate(usual, pool, settings, settings.own_min_rate if own else settings.min_rate)
    odds = chance_odds(pool)
    loose = usual_loose(usual, pool, settings)
    by_day = activity.days[key]
    counts: list[DayCount] = []
    reversals: list[Reversal] = []
    recent = Tally()
    for day in reversed(days_before(today, watched, 0)):
        seen = day_tally(activity, key, day, now)
        if seen is None:
            continue
        clerk_day = by_day[day]
        if own:
            seen = seen.own()
        recent += seen
        # Chance matches follow the returns the clerk usually takes, not a day's few, unless
        # the day brought more (a festival brings more of everything).
        chance = odds * max(loose * seen.days, seen.loose)
        # However quiet their past, anyone who works a day may meet a chance match or two.
        expected = max(rate * seen.sale_docs + chance, min_daily * seen.days)
        counts.append(DayCount(day, seen.suspects, expected, seen.sale_docs))
        reversals.extend(
            r for r in clerk_day.reversals_before(now) if r.suspect and (r.own or not own)
        )
    return Watch(key[0], key[1], rate, usual, pool, tuple(counts), tuple(reversals), recent)


def _evidence(
    days: Iterable[DayCount], settings: AnomalySettings, ratio: float, shift: float
) -> Cusum:
    return cusum(list(days), ratio, shift, settings.day_cap)


def _crossed(evidence: Cusum, threshold: float, min_days: int) -> bool:
    active = {d.day for d in evidence.run_days if d.observed > 0}
    return evidence.statistic >= threshold and len(active) >= min_days


def _pairs(watches: dict[tuple[str, str], Watch]) -> list[tuple[tuple[str, str], ...]]:
    """Clerks of one shop who each undid the other's sales in the watched days."""
    undid = {
        (r.warehouse, r.clerk, seller)
        for watch in watches.values()
        for r in watch.reversals
        for seller in r.sellers - {r.clerk}
    }
    return sorted(((w, a), (w, b)) for w, a, b in undid if a < b and (w, b, a) in undid)


def _undoing(one: Watch, other: Watch) -> list[Reversal]:
    return [r for r in one.reversals if other.clerk in r.sellers]


def _both_ways(a: Watch, b: Watch, settings: AnomalySettings) -> bool:
    return all(
        len({r.day for r in _undoing(x, y)}) >= settings.pair_min_days for x, y in ((a, b), (b, a))
    )


def _crossing(a: Watch, b: Watch, settings: AnomalySettings) -> list[DayCount]:
    """Per day both worked, the reversals of each other's sales, against what chance gives.

    A chance match lands on the latest matching sale, mostly rung up by whoever is at the
    till, so of one clerk's usual count the colleague's share of the two's sales that day
    would undo the colleague's (the shop's other clerks, on other shifts, draw fewer). However
    quiet the two, each may meet a chance match or two (``min_daily`` each).
    """
    crossed: dict[date, int] = {}
    for r in [*_undoing(a, b), *_undoing(b, a)]:
        crossed[r.day] = crossed.get(r.day, 0) + 1
    theirs = {d.day: d for d in b.days}
    days: list[DayCount] = []
    for mine in a.days:
        other = theirs.get(mine.day)
        if other is None or not mine.sale_docs or not other.sale_docs:
            continue
        docs = mine.sale_docs + other.sale_docs
        chance = (mine.expected * other.sale_docs + other.expected * mine.sale_docs) / docs
        expected = max(chance, 2 * settings.min_daily)
        days.append(DayCount(mine.day, crossed.get(mine.day, 0), expected, docs))
    return days


def _finding(
    watch: Watch, evidence: Cusum, test: str, settings: AnomalySettings,
    partner: str | None = None,
) -> Finding:  # fmt: skip
    start = evidence.run_start
    documents = tuple(
        r
        for r in watch.reversals
        if start is not None and r.day >= start and (partner is None or partner in r.sellers)
    )
    recent = watch.recent
    usual_share = max(watch.usual.value_share, watch.pool.value_share)
    peer_rate = (watch.pool.suspects + 1) / (watch.pool.sale_docs + settings.prior_docs)
    recent_rate = recent.suspects / recent.sale_docs if recent.sale_docs else 0.0
    signals = [test]
    if recent.value_share >= settings.ratio * usual_share:
        signals.append("value")
    if recent_rate >= settings.ratio * peer_rate:
        signals.append("peers")
    return Finding(
        clerk=watch.clerk,
        warehouse=watch.warehouse,
        signals=tuple(signals),
        evidence=evidence,
        rate=watch.rate,
        usual_share=usual_share,
        peer_rate=peer_rate,
        recent=recent,
        documents=documents,
        partner=partner,
    )


def suspect_value(documents: Iterable[Reversal]) -> Decimal:
    return sum((r.value for r in documents), ZERO)
