"""The daily digest per store (→ store group): today's sales, returns, receipts, write-offs,
open approvals and the alerts sent today. Sent once per shop day.

Anomaly alerts are left out on purpose: they name a clerk who may read the store group.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from core import analytics, catalog
from core.doctypes import DocType
from core.messaging import alert_state
from notifications import delivery
from notifications.report import RuleReport, RuleRun
from notifications.rules.announce import Candidate, announce

ZERO = Decimal(0)
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
            totals[code].alerts[RULE_NAMES[row.rule]] += 1
    candidates = [Candidate(code, day.isoformat(), code, t) for code, t in totals.items()]
    return await announce(run, candidates, route=delivery.group, template="digest.j2", day=day)


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
