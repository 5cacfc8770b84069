"""Rules about recorded documents and prices (→ managers): count variances beyond a
threshold, items priced below cost, sales rung up below cost.

Counts are checked every few minutes over the last ``count_lookback``: each count document
is announced once, whichever run first sees it ("after each count").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from core import analytics
from core.analytics import LineMoves
from core.common import DocType
from notifications.report import RuleReport, RuleRun
from notifications.rules.announce import Candidate, announce


@dataclass(frozen=True)
class CountDocument:
    number: str
    actor: str
    lines: list[LineMoves]


async def count_variance(run: RuleRun) -> RuleReport:
    since = run.now - run.settings.count_lookback
    lines = await analytics.posted_lines(run.uow, (DocType.COUNT,), since, run.now)
    beyond: dict[tuple[str, str], list[LineMoves]] = defaultdict(list)
    for line in lines:
        if (
            abs(line.moved) >= run.settings.count_variance_qty
            or abs(line.moved_value) >= run.settings.count_variance_value
        ):
            beyond[(line.warehouse, line.document)].append(line)
    candidates = [
        Candidate(
            f"{code}:{number}", "variance", code, CountDocument(number, found[0].actor, found)
        )
        for (code, number), found in beyond.items()
    ]
    return await announce(
        run,
        candidates,
        qty_threshold=run.settings.count_variance_qty,
        value_threshold=run.settings.count_variance_value,
    )


async def price_below_cost(run: RuleRun) -> RuleReport:
    candidates = await _priced_below_cost(run) + await _sold_below_cost(run)
    return await announce(run, candidates, forget_the_rest=True)


async def _priced_below_cost(run: RuleRun) -> list[Candidate]:
    """Items whose selling price is under cost, in each warehouse that holds them."""
    below = {item.sku: item for item in await analytics.items_priced_below_cost(run.uow)}
    held = {(lv.warehouse, lv.sku) for lv in await analytics.stock_levels(run.uow)}
    return [
        Candidate(
            f"{code}:item:{sku}",
            f"{below[sku].price}<{below[sku].cost}",
            code,
            below[sku],
        )
        for code, sku in sorted(held)
        if sku in below
    ]


async def _sold_below_cost(run: RuleRun) -> list[Candidate]:
    since = run.now - run.settings.below_cost_lookback
    lines = await analytics.sales_lines(run.uow, since, run.now)
    return [
        Candidate(
            f"{ln.warehouse}:sale:{ln.document}:{ln.sku}",
            "sold",
            ln.warehouse,
            analytics.BelowCost(ln.sku, ln.name, ln.price, ln.cost, ln),
        )
        for ln in lines
        if ln.doc_type == DocType.SALE and ln.qty > 0 and ln.price < ln.cost
    ]
