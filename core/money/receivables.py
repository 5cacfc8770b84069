"""Receivables and payables: open items, payments, and allocating one against the other.

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

from core.catalog import find_user, warehouse_by_code
from core.doctypes import DocType
from core.errors import InvalidInput, PermissionDenied
from core.fmt import money
from core.ledger.numbering import next_number
from core.money import partners
from core.money.amounts import (
    ADVANCE_NAMES,
    PARTNER_KIND_OF_SIDE,
    PAYMENT_PREFIX,
    SIDE_OF,
    document_amount,
)
from core.money.tables import Allocation, PartnerItem, Payment
from core.storage import Partner, UnitOfWork

MAX_METHOD = 16


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
    others = await _open_items(uow, item.partner_id, item.side, debts=not debit)
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


async def _open_items(
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


@dataclass(frozen=True)
class RecordPayment:
    side: str
    partner: str
    amount: Decimal
    method: str
    actor: str
    warehouse: str
    document: str | None = None
    keep_advance: bool = False
    note: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class PaymentView:
    number: str
    side: str
    partner: str
    amount: Decimal
    method: str
    allocations: tuple[Settled, ...]
    advance: Decimal
    balance: Decimal
    replayed: bool = False


class AdvanceOffer(InvalidInput):
    """A payment larger than what is open: the user may keep the rest as an advance."""


async def record_payment(uow: UnitOfWork, cmd: RecordPayment) -> PaymentView:
    if cmd.idempotency_key and (
        earlier := await uow.session.scalar(
            select(Payment).where(Payment.idempotency_key == cmd.idempotency_key)
        )
    ):
        return await _payment_view(uow, earlier, replayed=True)
    warehouse = await warehouse_by_code(uow, cmd.warehouse)
    user = await find_user(uow, cmd.actor)
    if user is None or not user.active or not user.can_act_in(warehouse.code):
        raise PermissionDenied(f"你没有仓库 {warehouse.code} 的收付款权限，请联系管理员")
    word = "收款" if cmd.side == "ar" else "付款"
    if not cmd.amount.is_finite() or cmd.amount <= 0:
        raise InvalidInput(f"{word}金额必须大于 0，例如：{word} 张三 500 微信")
    if cmd.amount != cmd.amount.quantize(Decimal("0.01")):
        raise InvalidInput(f"{word}金额最多两位小数，例如：{word} 张三 500.50 微信")
    if not cmd.method or len(cmd.method) > MAX_METHOD:
        raise InvalidInput(f"请写明方式（现金、微信、支付宝、转账），例如：{word} 张三 500 微信")
    partner = await partners.find(uow, cmd.partner, PARTNER_KIND_OF_SIDE[cmd.side])
    debts = await _open_items(uow, partner.id, cmd.side, debts=True)
    if cmd.document is not None:
        named = cmd.document.strip().upper()
        if not any(d.number == named for d in debts):
            raise InvalidInput(f"单号 {named} 不是{partner.name}未结清的单据")
    open_total = sum((d.open_amount for d in debts), Decimal(0))
    if cmd.amount > open_total and not cmd.keep_advance:
        rest = cmd.amount - open_total
        raise AdvanceOffer(
            f"{partner.name} 未结金额只有 {money(open_total)}，{word} {money(cmd.amount)} "
            f"多出 {money(rest)}。未做任何更改。\n如要把多出的部分记为{ADVANCE_NAMES[cmd.side]}，"
            f"请发送：{word} {partner.name} {cmd.amount} {cmd.method} {ADVANCE_NAMES[cmd.side]}"
        )
    now = uow.now()
    payment = Payment(
        number=await next_number(uow, PAYMENT_PREFIX[cmd.side]),
        side=cmd.side,
        partner_id=partner.id,
        warehouse_id=warehouse.id,
        amount=cmd.amount,
        method=cmd.method,
        note=cmd.note,
        created_by=cmd.actor,
        posted_at=now,
        idempotency_key=cmd.idempotency_key,
    )
    uow.session.add(payment)
    await uow.session.flush()
    item = PartnerItem(
        partner_id=partner.id,
        side=cmd.side,
        warehouse_id=warehouse.id,
        payment_id=payment.id,
        number=payment.number,
        amount=-cmd.amount,
        open_amount=-cmd.amount,
        posted_at=now,
        due_on=now.astimezone(uow.tz).date(),
    )
    uow.session.add(item)
    await uow.session.flush()
    settled = await settle(uow, item, first=cmd.document and cmd.document.upper(), actor=cmd.actor)
    uow.record(
        cmd.actor,
        "payment.record",
        f"payment:{payment.number}",
        {
            "side": cmd.side,
            "partner": partner.code,
            "amount": str(cmd.amount),
            "method": cmd.method,
            "allocations": [[s.number, str(s.amount)] for s in settled],
            "advance": str(-item.open_amount),
        },
    )
    return await _payment_view(uow, payment)


async def _payment_view(
    uow: UnitOfWork, payment: Payment, *, replayed: bool = False
) -> PaymentView:
    item = await uow.session.scalar(select(PartnerItem).where(PartnerItem.payment_id == payment.id))
    assert item is not None
    rows = await uow.session.execute(
        select(PartnerItem.number, Allocation.amount)
        .join(Allocation, Allocation.debit_item_id == PartnerItem.id)
        .where(Allocation.credit_item_id == item.id)
        .order_by(Allocation.id)
    )
    partner = await uow.session.get_one(Partner, payment.partner_id)
    return PaymentView(
        number=payment.number,
        side=payment.side,
        partner=partner.name,
        amount=payment.amount,
        method=payment.method,
        allocations=tuple(Settled(number, amount) for number, amount in rows.all()),
        advance=-item.open_amount,
        balance=await balance_of(uow, partner.id, payment.side),
        replayed=replayed,
    )


async def balance_after(uow: UnitOfWork, document_id: int) -> tuple[str, Decimal] | None:
    """The side and the partner's balance on it, once ``document_id`` is booked (None: cash)."""
    item = await uow.session.scalar(
        select(PartnerItem).where(PartnerItem.document_id == document_id)
    )
    if item is None:
        return None
    return item.side, await balance_of(uow, item.partner_id, item.side)
