"""Which clerks' reversals form the pattern of the seed case, and the evidence for it.

Four signals, each normalised so that volume alone never raises one:

- ``share``: reversal value as a share of the clerk's own sales, less the single largest
  reversal (one big honest return is not a pattern), far above the peers' usual share
  (robust z on the MAD of the peers' long-window shares, ≥ ``share_ratio`` × their median,
  ≥ ``min_share``); in the short window also ≥ ``share_ratio`` × the clerk's own earlier
  days, so a returns desk that always has a high share is not news;
- ``own``: most reversals (by count and value) undo, without a customer or an original
  document, the clerk's own sale of the same item earlier the same day, on two days or more;
  a reversal within minutes of the sale is a typo correction and is left out altogether;
- ``orphan``: most reversals have no customer and no original document, in a shop whose other
  clerks name a customer for at least a fifth of theirs (where nobody records customers,
  a missing one says nothing);
- ``hour``: reversals on ≥ 3 of the last 7 days inside one 60-minute window, unlikely by chance
  given how many days the clerk reverses anything, when they sell and when they used to
  reverse (``cluster``).

A clerk is flagged when ``share`` and at least two others agree, in the short window (the
pattern's first days) or the long one (a slower pattern). Money out of proportion is required:
structure alone (a clerk who voids at closing time) is not an accusation. Honest behaviour
raises one signal at a time: a returns desk has a high share but named customers at random
hours, a clumsy clerk corrects within minutes, a busy clerk is busy at every hour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from core.analytics import SalesLine
from notifications.anomaly.activity import ZERO, Activity, Reversal, build_activity
from notifications.anomaly.cluster import Cluster, densest_window
from notifications.anomaly.stats import robust_distance
from notifications.anomaly.window import WindowStats, sale_minutes, window_stats
from notifications.settings import AnomalySettings


@dataclass(frozen=True)
class Finding:
    clerk: str
    signals: tuple[str, ...]
    window: WindowStats
    peer_share: float
    share_z: float
    peer_orphan_share: float | None
    cluster: Cluster | None

    @property
    def warehouses(self) -> tuple[str, ...]:
        return tuple(sorted({r.warehouse for r in self.window.reversals}))


def detect(
    lines: Iterable[SalesLine], now: datetime, tz: ZoneInfo, settings: AnomalySettings
) -> list[Finding]:
    return assess(build_activity(lines, tz, settings), now, settings)


def assess(activity: Activity, now: datetime, settings: AnomalySettings) -> list[Finding]:
    long = window_stats(activity, now, settings.long_days)
    short = window_stats(activity, now, settings.short_days)
    before = window_stats(
        activity, now, settings.long_days - settings.short_days, skip=settings.short_days
    )
    recent = window_stats(activity, now, settings.hour_days)
    older = window_stats(
        activity, now, settings.long_days - settings.hour_days, skip=settings.hour_days
    )
    findings = []
    for clerk in sorted(long):
        peers = [s for c, s in long.items() if c != clerk and s.sale_docs >= settings.min_sale_docs]
        hour = _hour_pattern(activity, recent.get(clerk), older.get(clerk), now, settings)
        judged = [
            _judge(
                short.get(clerk), peers, hour, settings.share_z_short, settings, before.get(clerk)
            ),
            _judge(long[clerk], peers, hour, settings.share_z_long, settings),
        ]
        flagged = [f for f in judged if f is not None]
        if flagged:
            findings.append(max(flagged, key=lambda f: len(f.signals)))
    return findings


def _hour_pattern(
    activity: Activity,
    recent: WindowStats | None,
    older: WindowStats | None,
    now: datetime,
    settings: AnomalySettings,
) -> Callable[[], Cluster | None]:
    """The clerk's densest hour, computed only if a window gets as far as asking for it."""

    @cache
    def densest() -> Cluster | None:
        if recent is None or not recent.reversals:
            return None
        minutes = sale_minutes(activity, recent.clerk, now, settings.long_days)
        earlier = sorted(r.minute for r in older.reversals) if older else []
        return densest_window(recent.reversals, minutes, earlier, settings)

    return densest


def _judge(
    mine: WindowStats | None,
    peers: Sequence[WindowStats],
    hour: Callable[[], Cluster | None],
    share_z: float,
    settings: AnomalySettings,
    usual: WindowStats | None = None,
) -> Finding | None:
    """Judge one window of a clerk against the peers' long window (their steadier rate).

    ``usual`` is the clerk's own earlier days: a short window must also be a change from
    them, so a returns desk with a high share every week is not news.
    """
    if mine is None or not _eligible(mine, settings):
        return None
    centre, z = robust_distance(
        mine.trimmed_share, [p.share for p in peers], settings.share_scale_floor
    )
    if not _share_signal(mine, centre, z, share_z, settings) or _usual_for(mine, usual, settings):
        return None
    peer_orphan = _pooled_orphan_share(peers)
    cluster = hour()
    signals = ["share"] + [
        name
        for name, raised in (
            ("own", _own_signal(mine, settings)),
            ("orphan", _orphan_signal(mine, peer_orphan, settings)),
            ("hour", cluster is not None and cluster.significant(settings)),
        )
        if raised
    ]
    if len(signals) < settings.signals_needed:
        return None
    return Finding(mine.clerk, tuple(signals), mine, centre, z, peer_orphan, cluster)


def _eligible(mine: WindowStats, settings: AnomalySettings) -> bool:
    return (
        mine.sale_docs >= settings.min_sale_docs
        and len(mine.reversals) >= settings.min_reversal_docs
    )


def _share_signal(
    mine: WindowStats, centre: float, z: float, share_z: float, settings: AnomalySettings
) -> bool:
    return (
        mine.trimmed_share >= float(settings.min_share)
        and mine.trimmed_share >= settings.share_ratio * centre
        and z >= share_z
    )


def _usual_for(mine: WindowStats, usual: WindowStats | None, settings: AnomalySettings) -> bool:
    if usual is None or usual.sale_docs < settings.min_sale_docs:
        return False
    return mine.trimmed_share < settings.share_ratio * usual.share


def _own_signal(mine: WindowStats, settings: AnomalySettings) -> bool:
    return (
        _most(mine.own, mine, settings.own_share, settings.min_days)
        and mine.own_share >= settings.own_share
    )


def _orphan_signal(mine: WindowStats, peers: float | None, settings: AnomalySettings) -> bool:
    if not _most(mine.orphans, mine, settings.orphan_share, settings.min_days):
        return False
    if mine.orphan_share < settings.orphan_share:
        return False
    return peers is None or peers <= settings.peers_orphan_max


def _most(some: Sequence[Reversal], mine: WindowStats, share: float, min_days: int) -> bool:
    """On ``min_days`` days at least, and ``share`` of the reversals by number too.

    Repetition is what the pattern is, so several reversals in one sitting count once; the
    count keeps one large reversal from speaking for many small honest ones.
    """
    days = len({r.day for r in some})
    return days >= min_days and len(some) >= share * len(mine.reversals)


def _pooled_orphan_share(peers: Sequence[WindowStats]) -> float | None:
    """Orphan share of all the peers' reversal value together; None when they reversed nothing."""
    total = sum((p.reversal_value for p in peers), ZERO)
    if total == 0:
        return None
    return float(sum((p.orphan_value for p in peers), ZERO) / total)
