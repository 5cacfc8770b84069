"""``jxc audit verify``: every balance equals its moves, every stock level its balances and
pending documents, and the audit chain is unbroken."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from core.audit.chain import GENESIS, HEAD_ID, canonical, chain_hash
from core.common import RESERVING_TYPES, DocStatus
from core.storage.models import (
    AuditHead,
    AuditLog,
    Batch,
    Document,
    DocumentLine,
    Item,
    StockBalance,
    StockLevelRow,
    StockMove,
)

if TYPE_CHECKING:  # storage's unit of work chains audit entries: a cycle at run time
    from core.storage import UnitOfWork

AUDIT_BATCH = 1000


@dataclass(frozen=True)
class Problem:
    table: str
    row_id: int
    detail: str

    def __str__(self) -> str:
        return f"{self.table} id={self.row_id}: {self.detail}"


async def first_problem(uow: UnitOfWork) -> Problem | None:
    from core import money  # the money side builds on this module

    return (
        await balance_problem(uow)
        or await level_problem(uow)
        or await money.partner_problem(uow)
        or await audit_problem(uow)
    )


async def balance_problem(uow: UnitOfWork) -> Problem | None:
    sums = {
        (item, wh, batch): total
        for item, wh, batch, total in (
            await uow.session.execute(
                select(
                    StockMove.item_id,
                    StockMove.warehouse_id,
                    StockMove.batch_id,
                    func.sum(StockMove.qty),
                ).group_by(StockMove.item_id, StockMove.warehouse_id, StockMove.batch_id)
            )
        ).all()
    }
    balances = await uow.session.scalars(select(StockBalance).order_by(StockBalance.id))
    for balance in balances:
        key = (balance.item_id, balance.warehouse_id, balance.batch_id)
        moved = sums.pop(key, Decimal(0))
        if balance.qty != moved:
            return Problem(
                "stock_balances",
                balance.id,
                f"qty {balance.qty} != sum of moves {moved} "
                f"(item_id={key[0]}, warehouse_id={key[1]}, batch_id={key[2]})",
            )
    for (item, wh, batch), moved in sums.items():
        if moved != 0:
            first_move = await uow.session.scalar(
                select(func.min(StockMove.id)).where(
                    StockMove.item_id == item,
                    StockMove.warehouse_id == wh,
                    StockMove.batch_id == batch,
                )
            )
            return Problem("stock_moves", first_move or 0, f"moves sum to {moved} with no balance")
    return await _expiry_copy_problem(uow)


async def _expiry_copy_problem(uow: UnitOfWork) -> Problem | None:
    row = (
        await uow.session.execute(
            select(StockBalance.id, StockBalance.expiry, Batch.expiry)
            .join(Batch, Batch.id == StockBalance.batch_id)
            .where(StockBalance.expiry.is_distinct_from(Batch.expiry))
            .order_by(StockBalance.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return Problem("stock_balances", row[0], f"expiry {row[1]} != its batch's expiry {row[2]}")


async def level_problem(uow: UnitOfWork) -> Problem | None:
    """Each stock level row against its sources: balances, pending documents, the item."""
    on_hand = {
        (item, wh): total
        for item, wh, total in (
            await uow.session.execute(
                select(
                    StockBalance.item_id, StockBalance.warehouse_id, func.sum(StockBalance.qty)
                ).group_by(StockBalance.item_id, StockBalance.warehouse_id)
            )
        ).all()
    }
    reserved = {
        (item, wh): total
        for item, wh, total in (
            await uow.session.execute(
                select(DocumentLine.item_id, Document.warehouse_id, func.sum(DocumentLine.qty))
                .join(Document, Document.id == DocumentLine.document_id)
                .where(
                    DocumentLine.qty > 0,
                    Document.status == DocStatus.PENDING,
                    Document.type.in_(sorted(RESERVING_TYPES)),
                )
                .group_by(DocumentLine.item_id, Document.warehouse_id)
            )
        ).all()
    }
    rows = await uow.session.execute(
        select(StockLevelRow, Item.reorder_point)
        .join(Item, Item.id == StockLevelRow.item_id)
        .order_by(StockLevelRow.item_id, StockLevelRow.warehouse_id)
    )
    for level, reorder_point in rows:
        pair = (level.item_id, level.warehouse_id)
        where = f"(item_id={pair[0]}, warehouse_id={pair[1]})"
        expected = (on_hand.pop(pair, Decimal(0)), reserved.pop(pair, Decimal(0)), reorder_point)
        found = (level.on_hand, level.reserved, level.reorder_point)
        for name, want, got in zip(
            ("on_hand", "reserved", "reorder_point"), expected, found, strict=True
        ):
            if want != got:
                return Problem("stock_levels", pair[0], f"{name} {got} != {want} {where}")
    for (item, wh), qty in [*on_hand.items(), *reserved.items()]:
        if qty != 0 or (item, wh) in on_hand:
            return Problem("stock_levels", item, f"no row for item_id={item}, warehouse_id={wh}")
    return None


async def audit_problem(uow: UnitOfWork) -> Problem | None:
    prev = GENESIS
    last_id = 0
    while True:
        rows = (
            await uow.session.scalars(
                select(AuditLog)
                .where(AuditLog.id > last_id)
                .order_by(AuditLog.id)
                .limit(AUDIT_BATCH)
            )
        ).all()
        if not rows:
            break
        for row in rows:
            if row.prev_hash != prev:
                return Problem("audit_log", row.id, "prev_hash does not match the row before")
            content = canonical(row.at, row.actor, row.action, row.subject, row.payload)
            if chain_hash(prev, content) != row.hash:
                return Problem("audit_log", row.id, "content does not match its hash")
            prev = row.hash
            last_id = row.id
        uow.session.expunge_all()
    head = await uow.session.get(AuditHead, HEAD_ID)
    if head is None or head.last_hash != prev:
        return Problem("audit_head", HEAD_ID, "chain tip does not match the last audit row")
    return None
