"""Lots, expiry and FEFO: which batch a receipt goes into and which batches a sale consumes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, select, tuple_
from sqlalchemy.orm import contains_eager

from core.common import InvalidInput
from core.storage import (
    Batch,
    Document,
    Item,
    StockBalance,
    StockMove,
    UnitOfWork,
    lost_race_on_insert,
)

# Stock of an item with no lot and no expiry lives in this batch; so does negative stock.
DEFAULT_LOT = ""
BALANCES = cast(Table, StockBalance.__table__)
BATCHES = cast(Table, Batch.__table__)


class BatchLike(Protocol):
    """What planning reads of a batch: a ``Batch`` of the session, or a ``BatchRow``."""

    @property
    def id(self) -> int: ...
    @property
    def lot(self) -> str: ...
    @property
    def expiry(self) -> date | None: ...
    @property
    def received_at(self) -> datetime: ...
    @property
    def cost(self) -> Decimal | None: ...


class BalanceLike(Protocol):
    """What planning reads of a balance: a ``StockBalance`` of the session, or a ``BalanceRow``."""

    @property
    def batch_id(self) -> int: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def batch(self) -> BatchLike: ...


@dataclass(slots=True)
class BatchRow:
    """A batch read as a plain row (a batch of postings plans against these)."""

    id: int
    lot: str
    expiry: date | None
    received_at: datetime
    cost: Decimal | None
    received_qty: Decimal


@dataclass(slots=True)
class BalanceRow:
    """A balance read as a plain row, its quantity as the batch's plans leave it."""

    id: int | None  # None: not stored yet
    item_id: int
    warehouse_id: int
    batch_id: int
    qty: Decimal
    version: int
    batch: BatchLike


def auto_lot(expiry: date | None) -> str:
    """Receipts with the same expiry and no lot share one batch."""
    return DEFAULT_LOT if expiry is None else f"E{expiry:%Y%m%d}"


class WouldCreate(Exception):
    """Planning without writes (a batch of postings) met a batch that does not exist yet."""


async def batch_for_receipt(
    uow: UnitOfWork, item: Item, lot: str | None, expiry: date | None, *, create: bool = True
) -> Batch:
    if expiry is None and item.shelf_life_days:
        expiry = uow.today() + timedelta(days=item.shelf_life_days)
    lot = auto_lot(expiry) if lot is None else lot
    batch = await _batch(uow, item, lot)
    if batch is None:
        if not create:
            raise WouldCreate(f"batch {lot} of {item.sku}")
        return await _new_batch(uow, item, lot, expiry)
    if expiry is not None and batch.expiry is not None and batch.expiry != expiry:
        raise InvalidInput(
            f"{item.name} 批号 {lot} 已登记到期日 {batch.expiry}，与 {expiry} 不符；"
            "请换一个批号或更正到期日"
        )
    return batch


async def default_batch(uow: UnitOfWork, item: Item, *, create: bool = True) -> Batch:
    """The item's batch without lot or expiry: unbatched stock and negative stock."""
    batch = await _batch(uow, item, DEFAULT_LOT)
    if batch is not None:
        return batch
    if not create:
        raise WouldCreate(f"default batch of {item.sku}")
    return await _new_batch(uow, item, DEFAULT_LOT, None)


async def _new_batch(uow: UnitOfWork, item: Item, lot: str, expiry: date | None) -> Batch:
    batch = Batch(item_id=item.id, lot=lot, expiry=expiry, received_at=uow.now())
    uow.session.add(batch)
    with lost_race_on_insert("a batch"):
        await uow.session.flush()
    return batch


async def existing_batch(uow: UnitOfWork, item: Item, lot: str) -> Batch:
    batch = await _batch(uow, item, lot)
    if batch is None:
        raise InvalidInput(f"{item.name} 没有批号 {lot}")
    return batch


async def _batch(uow: UnitOfWork, item: Item, lot: str) -> Batch | None:
    return await uow.session.scalar(select(Batch).where(Batch.item_id == item.id, Batch.lot == lot))


# Built once: every posting runs it, and building it costs as much as running it.
_LOCKED_BALANCES = (
    select(StockBalance)
    .join(StockBalance.batch)
    .where(
        tuple_(StockBalance.item_id, StockBalance.warehouse_id).in_(
            bindparam("pairs", expanding=True)
        )
    )
    .order_by(StockBalance.id)
    .options(contains_eager(StockBalance.batch))
    .with_for_update(of=StockBalance)
)


async def locked_balances(
    uow: UnitOfWork, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], list[StockBalance]]:
    """Balances of (item, warehouse) pairs, row-locked in id order, FEFO-sorted per pair.

    Locking every pair of a document up front, in one id-ordered statement, means two
    documents touching the same items cannot deadlock (PostgreSQL; SQLite already
    serialises writers).
    """
    result: dict[tuple[int, int], list[StockBalance]] = {pair: [] for pair in pairs}
    if not pairs:
        return result
    rows = await uow.session.scalars(_LOCKED_BALANCES, {"pairs": sorted(pairs)})
    for balance in rows:
        result[(balance.item_id, balance.warehouse_id)].append(balance)
    for balances in result.values():
        if len(balances) > 1:
            balances.sort(key=fefo_key)
    return result


_BALANCE_ROWS = (
    select(
        BALANCES.c.id,
        BALANCES.c.item_id,
        BALANCES.c.warehouse_id,
        BALANCES.c.batch_id,
        BALANCES.c.qty,
        BALANCES.c.version,
        BATCHES.c.lot,
        BATCHES.c.expiry,
        BATCHES.c.received_at,
        BATCHES.c.cost,
        BATCHES.c.received_qty,
    )
    .join(BATCHES, BATCHES.c.id == BALANCES.c.batch_id)
    .where(
        tuple_(BALANCES.c.item_id, BALANCES.c.warehouse_id).in_(bindparam("pairs", expanding=True))
    )
    .order_by(BALANCES.c.id)
    .with_for_update(of=BALANCES)
)


async def locked_balance_rows(
    uow: UnitOfWork, pairs: set[tuple[int, int]]
) -> dict[tuple[int, int], list[BalanceRow]]:
    """``locked_balances`` as plain rows, each batch one ``BatchRow`` however many balances
    share it: building ORM objects for them cost more than the query."""
    result: dict[tuple[int, int], list[BalanceRow]] = {pair: [] for pair in pairs}
    if not pairs:
        return result
    connection = await uow.connection()
    found: dict[int, BatchRow] = {}
    rows = await connection.execute(_BALANCE_ROWS, {"pairs": sorted(pairs)})
    for id_, item_id, warehouse_id, batch_id, qty, version, *of_batch in rows:
        batch = found.get(batch_id)
        if batch is None:
            batch = found[batch_id] = BatchRow(batch_id, *of_batch)
        result[(item_id, warehouse_id)].append(
            BalanceRow(id_, item_id, warehouse_id, batch_id, qty, version, batch)
        )
    for balances in result.values():
        if len(balances) > 1:
            balances.sort(key=fefo_key)
    return result


def fefo_key(balance: BalanceLike) -> tuple[date, object, int]:
    """Earliest expiry first (no expiry last), then oldest receipt."""
    batch = balance.batch
    return (batch.expiry or date.max, batch.received_at, batch.id)


def is_expired(batch: BatchLike, today: date) -> bool:
    return expiry_passed(batch.expiry, today)


def expiry_passed(expiry: date | None, today: date) -> bool:
    return expiry is not None and expiry < today


@dataclass(frozen=True)
class Take:
    batch: BatchLike
    qty: Decimal
    expired: bool


@dataclass(frozen=True)
class Allocation:
    takes: tuple[Take, ...]
    shortfall: Decimal


def allocate(
    stock: list[tuple[BatchLike, Decimal]], qty: Decimal, today: date, *, include_expired: bool
) -> Allocation:
    """Take ``qty`` FEFO from batches with stock; expired ones only when allowed.

    ``stock`` is FEFO-ordered (batch, quantity there now) pairs.
    """
    takes: list[Take] = []
    remaining = qty
    for batch, available in stock:
        if remaining <= 0:
            break
        expired = is_expired(batch, today)
        if available <= 0 or (expired and not include_expired):
            continue
        take = Take(batch, min(available, remaining), expired)
        takes.append(take)
        remaining -= take.qty
    return Allocation(tuple(takes), max(remaining, Decimal(0)))


async def batch_sold_in(uow: UnitOfWork, document_id: int, item_id: int) -> Batch | None:
    """The batch an earlier document took this item from (returns go back into it)."""
    return await uow.session.scalar(
        select(Batch)
        .join(StockMove, StockMove.batch_id == Batch.id)
        .where(StockMove.document_id == document_id, StockMove.item_id == item_id)
        .order_by(StockMove.id)
        .limit(1)
    )


def newest_fresh_batch(balances: Sequence[BalanceLike], today: date) -> BatchLike | None:
    fresh = [b.batch for b in balances if not is_expired(b.batch, today)]
    return max(fresh, key=lambda b: (b.received_at, b.id), default=None)


async def return_batches(
    uow: UnitOfWork, original: Document | None, items: list[Item]
) -> dict[int, Batch]:
    """The batch each item goes back into: the one the original sale took it from."""
    if original is None:
        return {}
    found: dict[int, Batch] = {}
    for item in items:
        batch = await batch_sold_in(uow, original.id, item.id)
        if batch is None:
            raise InvalidInput(f"原单 {original.number} 中没有 {item.name}")
        found[item.id] = batch
    return found
