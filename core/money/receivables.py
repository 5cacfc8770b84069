"""Receivables and payables: open items, and allocating one against another.

A posted partner document opens one item (sales and receipts a debt, returns a credit); a
payment opens a credit item. New items are settled at once against the partner's open items
of the other sign, oldest first (a return against its original sale first, a payment against
the document it names first). What a payment leaves open is the partner's advance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.doctypes import DocType
from core.money.amounts import SIDE_OF, document_amount
from core.money.tables import Allocation, PartnerItem
from core.storage import Partner, UnitOfWork


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
    """Allocate ``item`` against open items of the other sign: ``first`` first, then oldest."""
    debit = item.open_amount > 0
    others = await open_items(uow, item.partner_id, item.side, debts=not debit)
    others = [o for o in others if o.id != item.id]
    others.sort(key=lambda o: (o.number != first, o.posted_at, o.id))
    settled = []
    for other in others:
        if item.open_amount == 0:
            break
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
    await uow.session.flush()
    return settled


async def open_items(
    uow: UnitOfWork, partner_id: int, side: str, *, debts: bool
) -> list[PartnerItem]:
    still_open = PartnerItem.open_amount > 0 if debts else PartnerItem.open_amount < 0
    rows = await uow.session.scalars(
        select(PartnerItem)
        .where(PartnerItem.partner_id == partner_id, PartnerItem.side == side, still_open)
        .order_by(PartnerItem.posted_at, PartnerItem.id)
        .with_for_update()
    )
    return list(rows.all())


async def balance_of(uow: UnitOfWork, partner_id: int, side: str) -> Decimal:
    items = await uow.session.scalars(
        select(PartnerItem.open_amount).where(
            PartnerItem.partner_id == partner_id,
            PartnerItem.side == side,
            PartnerItem.open_amount != 0,
        )
    )
    return sum(items.all(), Decimal(0))


async def balance_after(uow: UnitOfWork, document_id: int) -> tuple[str, Decimal] | None:
    """The side and the partner's balance on it, once ``document_id`` is booked (None: cash)."""
    item = await uow.session.scalar(
        select(PartnerItem).where(PartnerItem.document_id == document_id)
    )
    if item is None:
        return None
    return item.side, await balance_of(uow, item.partner_id, item.side)
