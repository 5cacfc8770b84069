"""``jxc audit verify``: every balance equals its moves, and the audit chain is unbroken."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from core.audit.chain import GENESIS, HEAD_ID, canonical, chain_hash
from core.storage.models import AuditHead, AuditLog, StockBalance, StockMove

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
        await balance_problem(uow) or await money.partner_problem(uow) or await audit_problem(uow)
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
