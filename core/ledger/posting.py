"""Posting: add a plan's moves and update balances in the same transaction.

Balances change nowhere else. This is the hot path of every sale, so it speaks Core, not
the ORM: one multi-row insert of the moves, one executemany of relative balance updates
(``qty = qty + :delta, version = version + 1``, guarded by the version the planner saw),
one insert of the balances that did not exist yet, and one upsert of the stock levels. The
balances the planner loaded stay in the session's identity map with their new committed
values, so a later request in the same transaction (group commit) sees them as they now are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm.attributes import set_committed_value

from core.common import BalanceView, ConcurrencyConflict
from core.ledger import levels
from core.ledger.batches import BalanceLike
from core.ledger.planning import Plan, PlannedMove
from core.storage import (
    Batch,
    RowStatement,
    StockBalance,
    StockMove,
    UnitOfWork,
    lost_race_on_insert,
)

BALANCES = cast(Table, StockBalance.__table__)
MOVES = cast(Table, StockMove.__table__)

# Rows: (id, version seen, delta).
ADD_TO_BALANCE = RowStatement(
    update(BALANCES)
    .where(BALANCES.c.id == bindparam("b_id"), BALANCES.c.version == bindparam("b_seen"))
    .values(qty=BALANCES.c.qty + bindparam("b_delta"), version=BALANCES.c.version + 1),
    ("b_id", "b_seen", "b_delta"),
)
INSERT_MOVES = RowStatement(
    insert(MOVES),
    (
        "document_id",
        "line_id",
        "item_id",
        "warehouse_id",
        "batch_id",
        "qty",
        "unit_cost",
        "posted_at",
        "actor",
    ),
)
INSERT_BALANCES = RowStatement(
    insert(BALANCES), ("item_id", "warehouse_id", "batch_id", "qty", "expiry", "version")
)

Balances = dict[tuple[int, int], list[StockBalance]]


@dataclass(frozen=True)
class Posting:
    """The document the moves belong to: its id, its line ids and what a line's goods cost."""

    document_id: int
    line_ids: dict[int, int]  # line_no → document_lines.id
    purchase_costs: dict[int, Decimal]  # line_no → unit cost, for receipts with a price

    def unit_cost(self, move: PlannedMove) -> Decimal:
        """A receipt's price; else the batch's average receipt price; else the item's cost."""
        if move.line_no in self.purchase_costs:
            return self.purchase_costs[move.line_no]
        return move.item.cost if move.batch.cost is None else move.batch.cost


COST_PLACES = Decimal("0.0001")


def add_to_batch_costs(posting: Posting, plan: Plan) -> list[Batch]:
    """Fold what a receipt brought in into its batches' average receipt price; the batches
    changed (the session writes them at its next flush)."""
    changed = []
    for move in plan.moves:
        if move.line_no not in posting.purchase_costs or move.qty <= 0:
            continue
        batch = move.batch
        # What comes in at a price goes into a batch of the session (``batch_for_receipt``).
        assert isinstance(batch, Batch)
        price = posting.purchase_costs[move.line_no]
        received = batch.received_qty + move.qty
        before = (batch.cost or Decimal(0)) * batch.received_qty
        batch.cost = ((before + move.qty * price) / received).quantize(COST_PLACES)
        batch.received_qty = received
        changed.append(batch)
    return changed


def balances_after(
    plan: Plan, balances: Mapping[tuple[int, int], Sequence[BalanceLike]]
) -> tuple[BalanceView, ...]:
    """Each touched item's total in each touched warehouse once the plan is posted."""
    delta: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for move in plan.moves:
        delta[(move.item.id, move.warehouse.id)] += move.qty
    views = {}
    for move in plan.moves:
        key = (move.item.id, move.warehouse.id)
        if key not in views:
            before = sum((b.qty for b in balances.get(key, [])), Decimal(0))
            item, warehouse = move.item, move.warehouse
            views[key] = BalanceView(
                item.sku, item.name, item.unit, warehouse.code, before + delta[key]
            )
    return tuple(views.values())


async def post_plan(
    uow: UnitOfWork,
    posting: Posting,
    plan: Plan,
    balances: Balances,
    posted_at: datetime,
    actor: str,
) -> None:
    if not plan.moves:
        return
    connection = await uow.connection()
    await INSERT_MOVES.run(connection, move_rows(posting, plan, posted_at, actor))
    await _update_balances(connection, plan, balances)
    if posting.purchase_costs:
        add_to_batch_costs(posting, plan)
    changes = levels.LevelChanges.empty()
    changes.moved(plan.moves)
    await levels.apply(connection, changes)


def move_rows(
    posting: Posting, plan: Plan, posted_at: datetime, actor: str
) -> list[tuple[object, ...]]:
    """``INSERT_MOVES`` rows."""
    return [
        (
            posting.document_id,
            posting.line_ids[move.line_no],
            move.item.id,
            move.warehouse.id,
            move.batch.id,
            move.qty,
            posting.unit_cost(move),
            posted_at,
            actor,
        )
        for move in plan.moves
    ]


async def _update_balances(connection: AsyncConnection, plan: Plan, balances: Balances) -> None:
    by_batch = {(b.warehouse_id, b.batch_id): b for group in balances.values() for b in group}
    delta: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    moved: dict[tuple[int, int], PlannedMove] = {}
    for move in plan.moves:
        key = (move.warehouse.id, move.batch.id)
        delta[key] += move.qty
        moved[key] = move
    changed = [(by_batch[key], qty) for key, qty in delta.items() if key in by_batch]
    if changed:
        result = await ADD_TO_BALANCE.run(
            connection, [(b.id, b.version, qty) for b, qty in changed]
        )
        # PostgreSQL holds the rows locked since planning, so only SQLite reports a count.
        if connection.dialect.supports_sane_multi_rowcount and result.rowcount != len(changed):
            raise ConcurrencyConflict("a stock balance changed while the document was posted")
        for balance, qty in changed:
            set_committed_value(balance, "qty", balance.qty + qty)
            set_committed_value(balance, "version", balance.version + 1)
    # ``balances`` holds every balance of each pair, so these batches have none yet; a
    # concurrent insert of the same row fails the unique key: a lost race, retried.
    new = [new_balance(moved[key], qty) for key, qty in delta.items() if key not in by_batch]
    if new:
        with lost_race_on_insert("a stock balance"):
            await INSERT_BALANCES.run(connection, new)


def new_balance(move: PlannedMove, qty: Decimal) -> tuple[object, ...]:
    """The ``INSERT_BALANCES`` row of a balance a move opens (its batch's expiry copied for
    the expiry index)."""
    return (move.item.id, move.warehouse.id, move.batch.id, qty, move.batch.expiry, 1)
