"""Batches with stock close to or past expiry (→ store group), once per batch and bucket.

Buckets are days before expiry (30 / 7 / 0 by default, per category if configured); a batch
is in the nearest bucket it has reached, so it is announced at 30 days, again at 7 and again
on its last day (or when found already expired).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from core import analytics
from core.analytics import BatchStock
from core.common import plain_qty
from core.reports import write_expiry_list
from notifications.recipients import MANAGERS
from notifications.report import RuleReport, RuleRun
from notifications.rules.alert_cards import TOP, Actionable, announce_actionable, expiry_buttons
from notifications.rules.announce import Candidate
from notifications.settings import AlertSettings


@dataclass(frozen=True)
class ExpiringBatch:
    batch: BatchStock
    bucket: int
    days_left: int


def bucket_of(batch: BatchStock, today: date, settings: AlertSettings) -> int | None:
    days_left = (batch.expiry - today).days
    reached = [days for days in settings.expiry_buckets(batch.category) if days_left <= days]
    return min(reached) if reached else None


async def expiry(run: RuleRun) -> RuleReport:
    today = run.now.astimezone(run.tz).date()
    candidates = await expiry_candidates(run, today)

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
    urgent = sorted(candidates, key=lambda c: (c.fact.days_left, c.fact.batch.sku))
    return await announce_actionable(run, urgent, spec, today=today)


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


async def expiry_candidates(run: RuleRun, today: date) -> list[Candidate]:
    """Batches that reached a bucket: the scan, apart from announcing."""
    horizons = [max(run.settings.expiry_days, default=0)] + [
        max(days, default=0) for days in run.settings.expiry_days_by_category.values()
    ]
    batches = await analytics.batches_expiring_by(run.uow, today + timedelta(days=max(horizons)))
    candidates = []
    for batch in batches:
        bucket = bucket_of(batch, today, run.settings)
        if bucket is not None:
            fact = ExpiringBatch(batch, bucket, (batch.expiry - today).days)
            subject = f"{batch.warehouse}:{batch.sku}:{batch.batch_id}"
            candidates.append(Candidate(subject, f"d{bucket}", batch.warehouse, fact))
    return candidates
