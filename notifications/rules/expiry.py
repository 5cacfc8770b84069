"""Batches with stock close to or past expiry (→ store group), once per batch and bucket.

Buckets are days before expiry (30 / 7 / 0 by default, per category if configured); a batch
is in the nearest bucket it has reached, so it is announced at 30 days, again at 7 and again
on its last day (or when found already expired).

What was said is one row per warehouse, not one per batch: the day of the last alert and the
newest balance then (``core.analytics.Told``). A batch is news when it reached its bucket
after that day, or its balance is newer (received or moved in since). So a run counts news
in SQL and reads batches only for a warehouse that has some: the shop's 15 000 batches near
expiry are not loaded every morning to find the few that crossed a threshold. The price: a
batch that had no stock on the day it crossed a threshold (its balance was empty, or
negative stock elsewhere had used it) and gets stock back later is told at its next
threshold, not on the day stock returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from core import analytics, catalog
from core.analytics import BatchStock, Buckets, ExpiryCounts, Told
from core.common import SentAlert, plain_qty
from core.messaging import alert_state
from core.reports import write_expiry_list
from notifications.recipients import MANAGERS
from notifications.report import RuleReport, RuleRun
from notifications.rules.alert_cards import TOP, Actionable, deliver, expiry_buttons
from notifications.settings import AlertSettings


@dataclass(frozen=True)
class ExpiringBatch:
    batch: BatchStock
    bucket: int
    days_left: int


@dataclass(frozen=True)
class ExpiryScan:
    """What a run reads before it says anything."""

    buckets: Buckets
    known: dict[str, SentAlert]
    told: dict[str, Told]
    counts: list[ExpiryCounts]
    newest_balance: int


def buckets_of(settings: AlertSettings, today: date) -> Buckets:
    return Buckets(today, settings.expiry_days, dict(settings.expiry_days_by_category))


async def expiry_scan(run: RuleRun, today: date) -> ExpiryScan:
    """Per warehouse, the batches in each bucket and how many of them are news."""
    codes = [w.code for w in await catalog.list_warehouses(run.uow)]
    known = await alert_state.load(run.uow, run.rule, codes)
    told = {code: t for code, row in known.items() if (t := _told(row.state)) is not None}
    buckets = buckets_of(run.settings, today)
    scan = await analytics.expiry_counts(run.uow, buckets, told)
    return ExpiryScan(buckets, known, told, scan.counts, scan.newest_balance)


async def expiry(run: RuleRun) -> RuleReport:
    today = run.now.astimezone(run.tz).date()
    scan = await expiry_scan(run, today)

    def write(facts: list[ExpiringBatch], path: Path) -> Path:
        return write_expiry_list([f.batch for f in facts], today, path, run.tz)

    spec = Actionable(
        title="临期/过期",
        list_title="临期过期清单",
        card_roles=MANAGERS,
        describe=_describe,
        line=_card_line,
        kept=_kept,
        write=write,
        buttons=expiry_buttons,
    )
    report = RuleReport(run.rule, run.now)
    for counts in sorted(scan.counts, key=lambda c: c.warehouse):
        if not counts.news_total:
            continue
        code = counts.warehouse
        news = await analytics.expiry_news(run.uow, scan.buckets, code, scan.told.get(code))
        facts = [ExpiringBatch(n.batch, n.bucket, (n.batch.expiry - today).days) for n in news]
        subjects = [f"{code}:{f.batch.sku}:{f.batch.batch_id}" for f in facts]
        report.found += subjects
        if not await deliver(run, report, spec, code, facts, today=today):
            report.undelivered += subjects
            continue
        told = f"{today.isoformat()}#{scan.newest_balance}#{len(facts)}"
        await alert_state.mark(run.uow, scan.known, run.rule, code, told, run.now)
        report.alerted += subjects
    return report


def _told(state: str) -> Told | None:
    """``<day>#<newest balance>#<batches told>``, as the last alert left it."""
    day, _, rest = state.partition("#")
    try:
        return Told(date.fromisoformat(day), int(rest.partition("#")[0]))
    except ValueError:
        return None


def batches_told(state: str) -> int:
    """How many batches the alert that left ``state`` listed (the digest counts them)."""
    count = state.rsplit("#", 2)[-1]
    return int(count) if state.count("#") == 2 and count.isdigit() else 1


def _describe(facts: Sequence[ExpiringBatch]) -> str:
    expired = sum(1 for f in facts if f.days_left <= 0)
    return f"{len(facts)} 批，其中已过期或今天到期 {expired} 批；最急的 {min(TOP, len(facts))} 批："


def _kept(fact: ExpiringBatch) -> dict[str, Any]:
    b = fact.batch
    return {
        "batch_id": b.batch_id,
        "sku": b.sku,
        "name": b.name,
        "unit": b.unit,
        "lot": b.lot,
        "expiry": b.expiry.isoformat(),
        "qty": str(b.qty),
    }


def _card_line(fact: ExpiringBatch) -> tuple[str, str]:
    b = fact.batch
    when = f"已过期 {-fact.days_left} 天" if fact.days_left < 0 else f"还剩 {fact.days_left} 天"
    if fact.days_left == 0:
        when = "今天到期"
    return f"{b.name} {b.lot or ''}".strip(), f"{when}，{plain_qty(b.qty)} {b.unit}"
