"""Carrying archived history forward: the 期初 document ``QC-<DATE>`` whose moves are exactly
the sums of the moves archived, per (item, warehouse, batch), so balances still equal moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.common import DocStatus, DocType
from core.storage import Document, DocumentLine, StockMove, UnitOfWork

ACTOR = "archive"
COST_PLACES = Decimal("0.0001")

BalanceKey = tuple[int, int, int]


@dataclass
class Carry:
    qty: Decimal = Decimal(0)
    value: Decimal = Decimal(0)


def cutoff(before: date, tz: ZoneInfo) -> datetime:
    """Shop-local midnight starting ``before``: everything earlier is archived."""
    return datetime.combine(before, time(), tzinfo=tz)


def opening_number(before: date) -> str:
    return f"QC-{before:%Y%m%d}"


async def add_carry(uow: UnitOfWork, carry: dict[BalanceKey, Carry], ids: list[int]) -> None:
    rows = await uow.session.execute(
        select(
            StockMove.item_id,
            StockMove.warehouse_id,
            StockMove.batch_id,
            StockMove.qty,
            StockMove.unit_cost,
        ).where(StockMove.document_id.in_(ids))
    )
    for item_id, warehouse_id, batch_id, qty, unit_cost in rows:
        entry = carry[(item_id, warehouse_id, batch_id)]
        entry.qty += qty
        entry.value += qty * unit_cost


async def carry_forward(uow: UnitOfWork, before: date, carried: dict[BalanceKey, Carry]) -> str:
    """Post the archived sums as moves on ``QC-<DATE>`` without touching balances."""
    document = await _opening_document(uow, before, min(key[1] for key in carried))
    posted_at = document.posted_at or cutoff(before, uow.tz) - timedelta(microseconds=1)
    lines = {line.item_id: line for line in document.lines}
    for (item_id, warehouse_id, batch_id), entry in sorted(carried.items()):
        line = lines.get(item_id)
        if line is None:
            line = DocumentLine(item_id=item_id, line_no=len(lines) + 1, qty=Decimal(0))
            document.lines.append(line)
            lines[item_id] = line
        line.qty += entry.qty
        uow.session.add(
            StockMove(
                document=document,
                line=line,
                item_id=item_id,
                warehouse_id=warehouse_id,
                batch_id=batch_id,
                qty=entry.qty,
                unit_cost=(entry.value / entry.qty).quantize(COST_PLACES),
                posted_at=posted_at,
                actor=ACTOR,
            )
        )
    await uow.session.flush()
    return document.number


async def _opening_document(uow: UnitOfWork, before: date, warehouse_id: int) -> Document:
    number = opening_number(before)
    document = await uow.session.scalar(
        select(Document).where(Document.number == number).options(selectinload(Document.lines))
    )
    if document is not None:
        return document
    at = cutoff(before, uow.tz) - timedelta(microseconds=1)
    document = Document(
        number=number,
        type=DocType.ADJUSTMENT.value,
        status=DocStatus.POSTED.value,
        warehouse_id=warehouse_id,
        created_by=ACTOR,
        created_at=at,
        posted_at=at,
        note=f"期初结转 before {before.isoformat()}",
        lines=[],
    )
    uow.session.add(document)
    return document
