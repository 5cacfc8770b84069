"""Low stock (→ purchasing) and stock that went negative (→ managers).

Both are conditions that end: once an item is back above its reorder point (or zero) its
state is forgotten, so falling again is announced again. A condition that lasts is repeated
after the quiet period, not every 30 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core import analytics
from core.analytics import LastOutgoing, StockLevel
from notifications import recipients
from notifications.report import RuleReport, RuleRun
from notifications.rules.announce import Candidate, announce


@dataclass(frozen=True)
class LowItem:
    level: StockLevel
    suggested: Decimal


def suggested_order(level: StockLevel) -> Decimal:
    """``reorder_qty`` when set, else enough to bring availability up to twice the point."""
    if level.reorder_qty > 0:
        return level.reorder_qty
    return max(2 * level.reorder_point - level.available, level.reorder_point)


async def low_stock_candidates(run: RuleRun) -> list[Candidate]:
    """Items at or under their reorder point: the scan, apart from announcing."""
    return [
        Candidate(f"{lv.warehouse}:{lv.sku}", "low", lv.warehouse, LowItem(lv, suggested_order(lv)))
        for lv in await analytics.stock_levels(run.uow, low_only=True)
    ]


async def low_stock(run: RuleRun) -> RuleReport:
    return await announce(
        run,
        await low_stock_candidates(run),
        route=recipients.purchasing,
        template="low_stock.j2",
        quiet=run.settings.quiet_period,
        forget_the_rest=True,
    )


@dataclass(frozen=True)
class NegativeItem:
    level: StockLevel
    last: LastOutgoing | None


async def negative_stock(run: RuleRun) -> RuleReport:
    candidates = [
        Candidate(
            f"{lv.warehouse}:{lv.sku}",
            "negative",
            lv.warehouse,
            NegativeItem(lv, await analytics.last_outgoing(run.uow, lv.warehouse, lv.sku)),
        )
        for lv in await analytics.stock_levels(run.uow, negative_only=True)
    ]
    return await announce(
        run,
        candidates,
        route=recipients.managers,
        template="negative_stock.j2",
        quiet=run.settings.quiet_period,
        forget_the_rest=True,
    )
