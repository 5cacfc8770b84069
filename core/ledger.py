"""Posting: write a plan's moves and update balances in the same transaction.

Balances change nowhere else. Each update is guarded by the balance's ``version`` (the ORM
emits ``UPDATE … WHERE version = :seen``); losing that race raises ``ConcurrencyConflict``
and the whole unit of work is retried.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from core.errors import ConcurrencyConflict
from core.models import Document, DocumentLine, Item, StockBalance, StockMove, Warehouse
from core.planning import Plan
from core.uow import UnitOfWork
from core.views import BalanceView


async def apply_plan(
    uow: UnitOfWork,
    document: Document,
    lines: dict[int, DocumentLine],
    plan: Plan,
    balances: dict[tuple[int, int], list[StockBalance]],
    posted_at: datetime,
    actor: str,
) -> tuple[BalanceView, ...]:
    by_batch = {(b.warehouse_id, b.batch_id): b for group in balances.values() for b in group}
    touched: dict[tuple[int, int], tuple[Item, Warehouse]] = {}
    for move in plan.moves:
        line = lines[move.line_no]
        uow.session.add(
            StockMove(
                document_id=document.id,
                line_id=line.id,
                item_id=move.item.id,
                warehouse_id=move.warehouse.id,
                batch_id=move.batch.id,
                qty=move.qty,
                unit_cost=line.price if _is_purchase_cost(document, line) else move.item.cost,
                posted_at=posted_at,
                actor=actor,
            )
        )
        key = (move.warehouse.id, move.batch.id)
        balance = by_batch.get(key) or await _balance_row(uow, move.item, move.warehouse, key)
        by_batch[key] = balance
        balance.qty += move.qty
        touched[(move.item.id, move.warehouse.id)] = (move.item, move.warehouse)
    try:
        await uow.session.flush()
    except StaleDataError as error:
        raise ConcurrencyConflict(str(error)) from error
    return await resulting_balances(uow, list(touched.values()))


def _is_purchase_cost(document: Document, line: DocumentLine) -> bool:
    return document.type == "receipt" and line.price is not None


async def _balance_row(
    uow: UnitOfWork, item: Item, warehouse: Warehouse, key: tuple[int, int]
) -> StockBalance:
    existing = await uow.session.scalar(
        select(StockBalance)
        .where(
            StockBalance.item_id == item.id,
            StockBalance.warehouse_id == warehouse.id,
            StockBalance.batch_id == key[1],
        )
        .with_for_update()
    )
    if existing is not None:
        return existing
    balance = StockBalance(
        item_id=item.id, warehouse_id=warehouse.id, batch_id=key[1], qty=Decimal(0)
    )
    uow.session.add(balance)
    return balance


async def resulting_balances(
    uow: UnitOfWork, pairs: list[tuple[Item, Warehouse]]
) -> tuple[BalanceView, ...]:
    views = []
    for item, warehouse in pairs:
        qty = await uow.session.scalar(
            select(func.sum(StockBalance.qty)).where(
                StockBalance.item_id == item.id, StockBalance.warehouse_id == warehouse.id
            )
        )
        views.append(BalanceView(item.sku, item.name, item.unit, warehouse.code, qty or Decimal(0)))
    return tuple(views)
