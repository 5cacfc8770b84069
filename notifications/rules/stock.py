"""Low stock (→ purchasing) and stock that went negative (→ managers).

Both are conditions that end: once an item is back above its reorder point (or zero) its
state is forgotten, so falling again is announced again. A condition that lasts is repeated
after the quiet period, not every 30 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from core import analytics
from core.analytics import LastOutgoing, StockLevel
from core.fmt import plain_qty
from core.reports.lists import suggested_order, write_low_stock_list
from notifications import delivery
from notifications.report import RuleReport, RuleRun
from notifications.rules import alert_cards
from notifications.rules.alert_cards import send_cards
from notifications.rules.announce import Candidate, announce
from notifications.rules.lists import send_lists


@dataclass(frozen=True)
class LowItem:
    level: StockLevel
    suggested: Decimal


async def low_stock_candidates(run: RuleRun) -> list[Candidate]:
    """Items at or under their reorder point: the scan, apart from announcing."""
    return [
        Candidate(f"{lv.warehouse}:{lv.sku}", "low", lv.warehouse, LowItem(lv, suggested_order(lv)))
        for lv in await analytics.stock_levels(run.uow, low_only=True)
    ]


async def low_stock(run: RuleRun) -> RuleReport:
    candidates = await low_stock_candidates(run)
    report = await announce(
        run,
        candidates,
        route=delivery.purchasing,
        template="low_stock.j2",
        quiet=run.settings.quiet_period,
        forget_the_rest=True,
    )

    def write(facts: list[LowItem], path: Path) -> Path:
        return write_low_stock_list([(f.level, f.suggested) for f in facts], path, run.tz)

    await send_lists(run, report, candidates, delivery.purchasing, "低库存补货清单", write)
    urgent = sorted(candidates, key=lambda c: c.fact.level.available - c.fact.level.reorder_point)
    describe = "{count} 个商品到了补货点，最缺的 {top} 个："
    await send_cards(run, report, urgent, alert_cards.LOW_STOCK, describe, _card_line)
    return report


def _card_line(fact: LowItem) -> tuple[str, str]:
    lv = fact.level
    return lv.name, f"可用 {plain_qty(lv.available)}，建议订 {plain_qty(fact.suggested)} {lv.unit}"


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
        route=delivery.managers,
        template="negative_stock.j2",
        quiet=run.settings.quiet_period,
        forget_the_rest=True,
    )
