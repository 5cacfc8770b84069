"""Posting: add a plan's moves and update balances in the same transaction.

Balances change nowhere else. Each update is guarded by the balance's ``version`` (the ORM
emits ``UPDATE … WHERE version = :seen`` at flush, see ``documents``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from core.models import Document, DocumentLine, Item, StockBalance, StockMove, Warehouse
from core.planning import Plan
from core.uow import UnitOfWork
from core.views import BalanceView


def apply_plan(
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
                document=document,
                line=line,
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
        if key not in by_batch:
            # ``balances`` holds every balance of the pair, so this batch has none yet; a
            # concurrent insert of the same row fails the unique key and the UoW retries.
            by_batch[key] = StockBalance(
                item_id=move.item.id,
                warehouse_id=move.warehouse.id,
                batch_id=move.batch.id,
                qty=Decimal(0),
            )
            uow.session.add(by_batch[key])
        by_batch[key].qty += move.qty
        touched[(move.item.id, move.warehouse.id)] = (move.item, move.warehouse)
    return tuple(_total(item, warehouse, by_batch.values()) for item, warehouse in touched.values())


def _total(item: Item, warehouse: Warehouse, balances: Iterable[StockBalance]) -> BalanceView:
    qty = sum(
        (b.qty for b in balances if (b.item_id, b.warehouse_id) == (item.id, warehouse.id)),
        Decimal(0),
    )
    return BalanceView(item.sku, item.name, item.unit, warehouse.code, qty)


def _is_purchase_cost(document: Document, line: DocumentLine) -> bool:
    return document.type == "receipt" and line.price is not None
