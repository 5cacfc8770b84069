"""The daily digest per store (→ store group): today's sales, returns, receipts, write-offs,
open approvals and the alerts sent today. Sent once per shop day, with one picture: sales of
the last 14 days beside the loss rate by category (``core.reports``), as an image message.

Anomaly alerts are left out on purpose: they name a clerk who may read the store group.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from core import analytics, catalog, reports
from core.common import DocType
from core.messaging import alert_state
from core.reports import charts
from notifications import recipients
from notifications.report import RuleReport, RuleRun
from notifications.rules.announce import Candidate, announce
from notifications.rules.expiry import batches_told

ZERO = Decimal(0)
CHART_DAYS = 14
RULE_NAMES = {
    "low-stock": "低库存",
    "negative-stock": "负库存",
    "expiry": "临期/过期",
    "count-variance": "盘点差异",
    "price-below-cost": "低于成本",
}


@dataclass
class DayTotals:
    sales: Decimal = ZERO
    sale_docs: set[str] = field(default_factory=set)
    returns: Decimal = ZERO
    return_docs: set[str] = field(default_factory=set)
    receipts: Decimal = ZERO
    receipt_docs: set[str] = field(default_factory=set)
    writeoffs: Decimal = ZERO
    writeoff_docs: set[str] = field(default_factory=set)
    approvals: int = 0
    alerts: Counter[str] = field(default_factory=Counter)


async def digest(run: RuleRun) -> RuleReport:
    day = run.now.astimezone(run.tz).date()
    since = datetime.combine(day, time(), run.tz)
    totals = {w.code: DayTotals() for w in await catalog.list_warehouses(run.uow)}
    await _add_documents(run, since, totals)
    for code, count in (await analytics.open_approvals(run.uow)).items():
        totals[code].approvals = count
    for row in await alert_state.sent_between(run.uow, since, run.now):
        code = row.subject.split(":", 1)[0]
        if row.rule in RULE_NAMES and code in totals:
            # An expiry alert is one row per warehouse for all the batches it listed.
            said = batches_told(row.state) if row.rule == "expiry" else 1
            totals[code].alerts[RULE_NAMES[row.rule]] += said
    candidates = [Candidate(code, day.isoformat(), code, t) for code, t in totals.items()]
    report = await announce(run, candidates, day=day)
    for code in report.alerted:
        report.attachments += await _send_chart(run, code, day)
    return report


async def _send_chart(run: RuleRun, code: str, day: date) -> int:
    period = reports.Period.of(day - timedelta(days=CHART_DAYS - 1), day, run.tz)
    facts = await reports.health_check(run.uow, period, code)
    relative = Path("reports") / f"digest-{code}-{day:%Y%m%d}.png"
    path = run.uow.settings.data_dir / relative
    title = f"{code} 近 {CHART_DAYS} 天销售与损耗（截至 {day:%m-%d}）"
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(charts.digest_chart, facts, title, path)
    warehouse = next(w for w in await catalog.list_warehouses(run.uow) if w.code == code)
    written = 0
    for target in await run.recipients(run.uow, warehouse):
        written += await recipients.send_media(
            run.uow, target, "image", str(relative), f"{code}-{day}.png", f"{run.key}:{code}"
        )
    return written


async def _add_documents(run: RuleRun, since: datetime, totals: dict[str, DayTotals]) -> None:
    for line in await analytics.sales_lines(run.uow, since, run.now):
        day = totals[line.warehouse]
        if line.is_reversal:
            day.returns += line.amount
            day.return_docs.add(line.document)
        else:
            day.sales += line.amount
            day.sale_docs.add(line.document)
    kinds = (DocType.RECEIPT, DocType.WRITEOFF)
    for moved in await analytics.posted_lines(run.uow, kinds, since, run.now):
        day = totals[moved.warehouse]
        if moved.doc_type == DocType.RECEIPT:
            day.receipts += moved.qty * (moved.price or ZERO)
            day.receipt_docs.add(moved.document)
        else:
            day.writeoffs -= moved.moved_value
            day.writeoff_docs.add(moved.document)
