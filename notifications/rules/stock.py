"""Low stock (→ purchasing) and stock that went negative (→ managers).

Both are conditions that end: once an item is back above its reorder point (or zero) its
state is forgotten, so falling again is announced again. A condition that lasts is repeated
after the quiet period, not every 30 minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from core import analytics
from core.analytics import LastOutgoing, LowCounts, Said, StockLevel
from core.common import plain_qty
from core.messaging import alert_state
from core.reports import order_to_lift, write_low_stock_list
from notifications.recipients import BUYERS
from notifications.report import RuleReport, RuleRun
from notifications.rules.alert_cards import TOP, Actionable, deliver, low_stock_buttons
from notifications.rules.announce import Candidate, announce

LOW = "low"


@dataclass(frozen=True)
class LowItem:
    """A low item and the advice for it.

    A purchaser orders for stock that is there. A document waiting for approval (say a sale
    that would drive stock negative) may yet be rejected, so it does not drive the advice:
    ``suggested`` is for the stock on hand (zero while that is above the reorder point).
    It is not hidden either: ``if_approved`` is what to order should the pending requests be
    approved, so the purchaser can prepare for them. (Counting a pending 500 against 96 on
    hand gave "可用 -406, 建议订货 72": an order that would not even cover the request.)
    """

    level: StockLevel
    suggested: Decimal
    if_approved: Decimal | None


def low_item(level: StockLevel) -> LowItem:
    # An open sales order is a promise, not a request: its stock is not there to sell.
    held_low = level.free <= level.reorder_point
    return LowItem(
        level,
        order_to_lift(level.free, level) if held_low else Decimal(0),
        order_to_lift(level.available, level) if level.reserved else None,
    )


def said_of(run: RuleRun) -> Said:
    return Said(run.rule, LOW, run.now - run.settings.quiet_period)


async def low_stock_scan(run: RuleRun) -> list[LowCounts]:
    """Per warehouse, how many items are low and how many of them are due to be said."""
    return await analytics.low_stock_counts(run.uow, said_of(run))


async def low_stock(run: RuleRun) -> RuleReport:
    said = said_of(run)

    def write(facts: list[LowItem], path: Path) -> Path:
        return write_low_stock_list([(f.level, f.suggested) for f in facts], path, run.tz)

    spec = Actionable(
        title="低库存",
        list_title="低库存补货清单",
        card_roles=BUYERS,
        describe=_describe,
        line=_card_line,
        kept=_kept,
        write=write,
        buttons=low_stock_buttons,
    )
    report = RuleReport(run.rule, run.now)
    for counts in await low_stock_scan(run):
        if not counts.due:
            continue
        levels = await analytics.low_stock_due(run.uow, said, counts.warehouse)
        subjects = [f"{lv.warehouse}:{lv.sku}" for lv in levels]
        report.found += subjects
        if not await deliver(run, report, spec, counts.warehouse, [low_item(lv) for lv in levels]):
            report.undelivered += subjects
            continue
        known = await alert_state.load(run.uow, run.rule, subjects)
        for subject in subjects:
            await alert_state.mark(run.uow, known, run.rule, subject, LOW, run.now)
        report.alerted += subjects
    # Back above the point: forgotten, so falling again is news.
    await alert_state.clear(run.uow, run.rule, await analytics.restocked(run.uow, said))
    return report


def _describe(facts: Sequence[LowItem]) -> str:
    return f"{len(facts)} 个商品到了补货点，最缺的 {min(TOP, len(facts))} 个："


def _kept(fact: LowItem) -> dict[str, Any]:
    lv = fact.level
    return {"sku": lv.sku, "name": lv.name, "unit": lv.unit, "suggested": str(fact.suggested)}


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
        quiet=run.settings.quiet_period,
        forget_the_rest=True,
    )
