"""The stock level rows (one per item and warehouse), kept in step with balances and requests.

Posting adds each move's quantity to its pair's ``on_hand`` in the same statement batch as
the balances; a document that waits for approval adds what it would take out to
``reserved`` and gives it back when it leaves ``pending`` (posted, rejected, expired,
cancelled or conflicted). One multi-row upsert per call, rows in key order so that two
transactions on PostgreSQL lock them in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from core.common import RESERVING_TYPES
from core.ledger.planning import PlannedMove
from core.storage import Item, RowStatement, StockLevelRow, UnitOfWork

LEVELS = cast(Table, StockLevelRow.__table__)
RESERVING = RESERVING_TYPES

Pair = tuple[int, int]  # (item_id, warehouse_id)


def _upsert(dialect: Any) -> Any:
    statement = dialect.insert(LEVELS)
    return statement.on_conflict_do_update(
        index_elements=[LEVELS.c.item_id, LEVELS.c.warehouse_id],
        set_={
            "on_hand": LEVELS.c.on_hand + statement.excluded.on_hand,
            "reserved": LEVELS.c.reserved + statement.excluded.reserved,
        },
    )


# Built once: constructing the statement costs more than running it.
_KEYS = ("item_id", "warehouse_id", "on_hand", "reserved", "reorder_point")
_UPSERT = {
    "postgresql": RowStatement(_upsert(postgresql), _KEYS),
    "sqlite": RowStatement(_upsert(sqlite), _KEYS),
}


@dataclass
class LevelChanges:
    """What a posting or a batch of them adds to each pair's level."""

    on_hand: dict[Pair, Decimal]
    reserved: dict[Pair, Decimal]
    reorder_points: dict[int, Decimal]

    @classmethod
    def empty(cls) -> LevelChanges:
        return cls({}, {}, {})

    def moved(self, moves: Iterable[PlannedMove]) -> None:
        for move in moves:
            pair = (move.item.id, move.warehouse.id)
            self.on_hand[pair] = self.on_hand.get(pair, Decimal(0)) + move.qty
            self.reorder_points[move.item.id] = move.item.reorder_point

    def reserve(self, item: Item, warehouse_id: int, qty: Decimal) -> None:
        pair = (item.id, warehouse_id)
        self.reserved[pair] = self.reserved.get(pair, Decimal(0)) + qty
        self.reorder_points[item.id] = item.reorder_point


async def apply(connection: AsyncConnection, changes: LevelChanges) -> None:
    """One upsert of every touched pair: a missing row starts at the change itself."""
    pairs = sorted(changes.on_hand.keys() | changes.reserved.keys())
    if not pairs:
        return
    zero = Decimal(0)
    await _UPSERT[connection.dialect.name].run(
        connection,
        [
            (
                item_id,
                warehouse_id,
                changes.on_hand.get((item_id, warehouse_id), zero),
                changes.reserved.get((item_id, warehouse_id), zero),
                changes.reorder_points[item_id],
            )
            for item_id, warehouse_id in pairs
        ],
    )


def reservation(
    doc_type: str, warehouse_id: int, lines: Iterable[tuple[Item, Decimal]], sign: int
) -> LevelChanges:
    """What a pending document holds back (``sign`` +1) or gives back (-1)."""
    changes = LevelChanges.empty()
    if doc_type in RESERVING:
        for item, qty in lines:
            if qty > 0:
                changes.reserve(item, warehouse_id, sign * qty)
    return changes


async def hold(
    uow: UnitOfWork,
    doc_type: str,
    warehouse_id: int,
    lines: Iterable[tuple[Item, Decimal]],
    sign: int,
) -> None:
    """A document entered (+1) or left (-1) ``pending``: its reservation follows."""
    changes = reservation(doc_type, warehouse_id, lines, sign)
    if changes.reserved:
        await apply(await uow.connection(), changes)
