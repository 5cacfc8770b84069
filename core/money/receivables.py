"""Receivables and payables: open items, and allocating one against another.

A posted partner document opens one item (sales and receipts a debt, returns a credit); a
payment opens a credit item. New items are settled at once against the partner's open items
of the other sign, oldest first (a return against its original sale first, a payment against
the document it names first). What a payment leaves open is the partner's advance.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, func, or_, select

from core.common import DocType
from core.money.amounts import SIDE_OF, document_amount
from core.money.tables import Allocation, PartnerItem
from core.storage import Partner, UnitOfWork

PAGE = 100


@dataclass(frozen=True)
class Settled:
    number: str  # the other item's document or payment number
    amount: Decimal


async def open_for_document(
    uow: UnitOfWork,
    *,
    document_id: int,
    number: str,
    doc_type: str,
    partner: Partner | None,
    warehouse_id: int,
    lines: Sequence[tuple[Decimal, Decimal | None]],
    posted_at: datetime,
    actor: str,
    original_number: str | None = None,
) -> None:
    """Book a just-posted document to its partner's receivable or payable (cash sales: none)."""
    if partner is None or DocType(doc_type) not in SIDE_OF:
        return
    side, _ = SIDE_OF[DocType(doc_type)]
    amount = document_amount(doc_type, lines)
    item = PartnerItem(
        partner_id=partner.id,
        side=side,
        warehouse_id=warehouse_id,
        document_id=document_id,
        number=number,
        amount=amount,
        open_amount=amount,
        posted_at=posted_at,
        due_on=posted_at.astimezone(uow.tz).date()
        + timedelta(days=partner.payment_terms_days if amount > 0 else 0),
    )
    uow.session.add(item)
    await uow.session.flush()
    settled = await settle(uow, item, first=original_number, actor=actor) if amount else []
    uow.record(
        actor,
        "partner_item.open",
        f"partner:{partner.code}",
        {
            "side": side,
            "document": number,
            "amount": str(amount),
            "allocations": [[s.number, str(s.amount)] for s in settled],
        },
    )


async def settle(
    uow: UnitOfWork, item: PartnerItem, *, first: str | None, actor: str
) -> list[Settled]:
    """Allocate ``item`` against open items of the other sign: ``first`` first, then oldest.

    The partner's row is locked first, so two settlements of one partner never allocate the
    same open amount twice; the open items are read a page at a time, oldest first.
    """
    await lock_partner(uow, item.partner_id)
    debit = item.open_amount > 0
    settled = []
    async for other in _candidates(uow, item, first, debts=not debit):
        amount = min(abs(item.open_amount), abs(other.open_amount))
        debit_item, credit_item = (item, other) if debit else (other, item)
        debit_item.open_amount -= amount
        credit_item.open_amount += amount
        uow.session.add(
            Allocation(
                debit_item_id=debit_item.id,
                credit_item_id=credit_item.id,
                amount=amount,
                at=uow.now(),
                actor=actor,
            )
        )
        settled.append(Settled(other.number, amount))
        if item.open_amount == 0:
            break
    await uow.session.flush()
    return settled


async def lock_partner(uow: UnitOfWork, partner_id: int) -> None:
    await uow.session.execute(select(Partner.id).where(Partner.id == partner_id).with_for_update())


def _still_open(partner_id: int, side: str, *, debts: bool) -> tuple[ColumnElement[bool], ...]:
    sign = PartnerItem.open_amount > 0 if debts else PartnerItem.open_amount < 0
    return (PartnerItem.partner_id == partner_id, PartnerItem.side == side, sign)


async def _candidates(
    uow: UnitOfWork, item: PartnerItem, first: str | None, *, debts: bool
) -> AsyncIterator[PartnerItem]:
    still_open = _still_open(item.partner_id, item.side, debts=debts)
    if first is not None:
        named = await uow.session.scalars(
            select(PartnerItem).where(*still_open, PartnerItem.number == first)
        )
        for other in named.all():
            yield other
    after: tuple[datetime, int] | None = None
    while True:
        page = select(PartnerItem).where(*still_open, PartnerItem.id != item.id)
        if first is not None:
            page = page.where(PartnerItem.number != first)
        if after is not None:
            page = page.where(
                or_(
                    PartnerItem.posted_at > after[0],
                    and_(PartnerItem.posted_at == after[0], PartnerItem.id > after[1]),
                )
            )
        rows = (
            await uow.session.scalars(
                page.order_by(PartnerItem.posted_at, PartnerItem.id).limit(PAGE)
            )
        ).all()
        for other in rows:
            yield other
        if len(rows) < PAGE:
            return
        after = (rows[-1].posted_at, rows[-1].id)


async def open_debts(uow: UnitOfWork, partner_id: int, side: str) -> Decimal:
    total = await uow.session.scalar(
        select(func.sum(PartnerItem.open_amount)).where(*_still_open(partner_id, side, debts=True))
    )
    return total or Decimal(0)


async def is_open_debt(uow: UnitOfWork, partner_id: int, side: str, number: str) -> bool:
    found = await uow.session.scalar(
        select(PartnerItem.id).where(
            *_still_open(partner_id, side, debts=True), PartnerItem.number == number
        )
    )
    return found is not None


async def balance_of(uow: UnitOfWork, partner_id: int, side: str) -> Decimal:
    total = await uow.session.scalar(
        select(func.sum(PartnerItem.open_amount)).where(
            PartnerItem.partner_id == partner_id,
            PartnerItem.side == side,
            PartnerItem.open_amount != 0,
        )
    )
    return total or Decimal(0)


async def balance_after(uow: UnitOfWork, document_id: int) -> tuple[str, Decimal] | None:
    """The side and the partner's balance on it, once ``document_id`` is booked (None: cash)."""
    item = await uow.session.scalar(
        select(PartnerItem).where(PartnerItem.document_id == document_id)
    )
    if item is None:
        return None
    return item.side, await balance_of(uow, item.partner_id, item.side)
