"""Items at or under their reorder point as the low-stock alert reads them: counts first, the
levels only for a warehouse where some are due.

The alert says each low item once, again after a quiet period, and forgets it once the item
is back above its point (``notifications.rules.stock``); what it said is a row per item in
``alert_state``. So whether an item is due is a join of the range of ``ix_stock_levels_low``
(the level rows at or under their point) to those rows, counted in SQL per warehouse; a
shop with thousands of low items reads no item, and builds no object, on a run with nothing
new to say (``jxc bench``, alert_scan). Items on open sales orders are the exception: what
the orders hold lowers what is free, so those few are judged in Python from their rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text, true

from core import orders
from core.analytics.stock import LEVEL_COLUMNS, StockLevel
from core.storage import AlertState, Item, StockLevelRow, UnitOfWork, Warehouse

ZERO = Decimal(0)
# The partial index's own condition, as a literal (see core.analytics.stock).
REORDERED = text("stock_levels.reorder_point > 0")
LOW = StockLevelRow.headroom <= 0


@dataclass(frozen=True)
class Said:
    """A rule's rows: a subject (``<warehouse>:<sku>``) is due unless said in ``state``
    after ``since``."""

    rule: str
    state: str
    since: datetime

    def is_due(self, row: AlertState | None) -> bool:
        return row is None or row.state != self.state or row.last_sent_at <= self.since


@dataclass
class LowCounts:
    warehouse: str
    low: int = 0
    due: int = 0


def _subject() -> ColumnElement[str]:
    return Warehouse.code + ":" + Item.sku


def _levels(*columns: Any) -> Any:
    return (
        select(*columns)
        .select_from(StockLevelRow)
        .join(Item, Item.id == StockLevelRow.item_id)
        .join(Warehouse, Warehouse.id == StockLevelRow.warehouse_id)
        .where(REORDERED)
    )


def _said_join(statement: Any, said: Said) -> Any:
    return statement.outerjoin(
        AlertState, and_(AlertState.rule == said.rule, AlertState.subject == _subject())
    )


def _due(said: Said) -> ColumnElement[bool]:
    return or_(
        AlertState.id.is_(None),
        AlertState.state != said.state,
        AlertState.last_sent_at <= said.since,
    )


async def low_stock_counts(uow: UnitOfWork, said: Said) -> list[LowCounts]:
    """Per warehouse with low items: how many, and how many are due to be said."""
    ordered, promised = await _held(uow)
    statement = _said_join(
        _levels(Warehouse.code, func.count(), func.sum(case((_due(said), 1), else_=0))), said
    ).where(LOW, _unpromised(promised))
    counts: dict[str, LowCounts] = {}
    for code, low, due in (await uow.session.execute(statement.group_by(Warehouse.code))).all():
        counts[code] = LowCounts(code, int(low), int(due or 0))
    for level, row in await _promised(uow, said, ordered, promised):
        c = counts.setdefault(level.warehouse, LowCounts(level.warehouse))
        c.low += 1
        c.due += said.is_due(row)
    return sorted(counts.values(), key=lambda c: c.warehouse)


async def low_stock_due(uow: UnitOfWork, said: Said, warehouse: str) -> list[StockLevel]:
    """The low items of ``warehouse`` due to be said, the furthest under their point first."""
    ordered, promised = await _held(uow)
    statement = _said_join(
        _levels(*LEVEL_COLUMNS, Warehouse.code, StockLevelRow.on_hand, StockLevelRow.reserved),
        said,
    ).where(LOW, Warehouse.code == warehouse, _due(said), _unpromised(promised))
    found = [
        StockLevel(code, sku, name, unit, cat, qty, held, rp, rq)
        for sku, name, unit, cat, rp, rq, code, qty, held in (
            await uow.session.execute(statement)
        ).all()
    ]
    found += [
        level
        for level, row in await _promised(uow, said, ordered, promised)
        if level.warehouse == warehouse and said.is_due(row)
    ]
    found.sort(key=lambda lv: (lv.available - lv.reorder_point, lv.sku))
    return found


async def restocked(uow: UnitOfWork, said: Said) -> list[str]:
    """The rule's subjects that are no longer low: the condition ended."""
    ordered, promised = await _held(uow)
    still = _levels(_subject()).where(LOW, _unpromised(promised))
    statement = select(AlertState.subject).where(
        AlertState.rule == said.rule, AlertState.subject.not_in(still.scalar_subquery())
    )
    low_promised = {
        f"{lv.warehouse}:{lv.sku}" for lv, _ in await _promised(uow, said, ordered, promised)
    }
    return [s for s in (await uow.session.scalars(statement)).all() if s not in low_promised]


async def _held(uow: UnitOfWork) -> tuple[dict[tuple[str, str], Decimal], list[str]]:
    """What open sales orders hold per (sku, warehouse), and the skus they hold."""
    ordered = await orders.held_by_orders(uow)
    return ordered, sorted({sku for sku, _ in ordered})


def _unpromised(promised: list[str]) -> ColumnElement[bool]:
    """Items no open sales order holds (those are judged in Python, by ``_promised``)."""
    return Item.sku.not_in(promised) if promised else true()


async def _promised(
    uow: UnitOfWork,
    said: Said,
    ordered: dict[tuple[str, str], Decimal],
    promised: list[str],
) -> list[tuple[StockLevel, AlertState | None]]:
    """The low levels of items on open sales orders, with their rows in ``alert_state``."""
    if not promised:
        return []
    statement = _said_join(
        _levels(
            *LEVEL_COLUMNS,
            Warehouse.code,
            StockLevelRow.on_hand,
            StockLevelRow.reserved,
            AlertState,
        ),
        said,
    ).where(Item.sku.in_(promised))
    found = []
    for sku, name, unit, cat, rp, rq, code, qty, held, row in (
        await uow.session.execute(statement)
    ).all():
        level = StockLevel(
            code, sku, name, unit, cat, qty, held, rp, rq, ordered.get((sku, code), ZERO)
        )
        if level.available <= level.reorder_point:
            found.append((level, row))
    return found
