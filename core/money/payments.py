"""Payments in (``SK``) and out (``FK``): checked, numbered, and settled against open items.

Kept apart from ``receivables`` because numbering lives in the ledger package, which itself
books receivables when it posts: the posting path must not import this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core import catalog, ledger
from core.common import InvalidInput, PermissionDenied, money
from core.money import partners
from core.money.amounts import ADVANCE_NAMES, PARTNER_KIND_OF_SIDE, PAYMENT_PREFIX
from core.money.receivables import (
    Settled,
    balance_of,
    is_open_debt,
    lock_partner,
    open_debts,
    settle,
)
from core.money.tables import Allocation, PartnerItem, Payment
from core.storage import Partner, UnitOfWork

MAX_METHOD = 16


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
    warehouse = await catalog.warehouse_by_code(uow, cmd.warehouse)
    user = await catalog.find_user(uow, cmd.actor)
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
    await lock_partner(uow, partner.id)
    if cmd.document is not None:
        named = cmd.document.strip().upper()
        if not await is_open_debt(uow, partner.id, cmd.side, named):
            raise InvalidInput(f"单号 {named} 不是{partner.name}未结清的单据")
    open_total = await open_debts(uow, partner.id, cmd.side)
    if cmd.amount > open_total and not cmd.keep_advance:
        rest = cmd.amount - open_total
        raise AdvanceOffer(
            f"{partner.name} 未结金额只有 {money(open_total)}，{word} {money(cmd.amount)} "
            f"多出 {money(rest)}。未做任何更改。\n如要把多出的部分记为{ADVANCE_NAMES[cmd.side]}，"
            f"请发送：{word} {partner.name} {cmd.amount} {cmd.method} {ADVANCE_NAMES[cmd.side]}"
        )
    now = uow.now()
    payment = Payment(
        number=await ledger.next_number(uow, PAYMENT_PREFIX[cmd.side]),
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
