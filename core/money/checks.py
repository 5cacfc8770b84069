"""``jxc audit verify`` for the money side: each partner's balance is documents − payments.

Recomputed from the source rows, not trusted from the open items: every posted partner
document's amount from its lines, every payment's amount from the payment, every open amount
from its item's amount and its allocations. An edited payment, line price or allocation
shows up as the first partner whose books no longer add up.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select

from core.audit import Problem
from core.common import DocStatus
from core.money.amounts import SIDE_OF, document_amount
from core.money.tables import Allocation, PartnerItem, Payment
from core.storage import Document, DocumentLine, Partner, UnitOfWork

TRADE = [t.value for t in SIDE_OF]


async def partner_problem(uow: UnitOfWork) -> Problem | None:
    items = (await uow.session.scalars(select(PartnerItem).order_by(PartnerItem.id))).all()
    settled: dict[int, Decimal] = defaultdict(Decimal)
    for debit_id, credit_id, amount in (
        await uow.session.execute(
            select(Allocation.debit_item_id, Allocation.credit_item_id, Allocation.amount)
        )
    ).all():
        if amount <= 0:
            return Problem("allocations", 0, f"non-positive allocation {amount}")
        settled[debit_id] -= amount
        settled[credit_id] += amount
    for item in items:
        expected = item.amount + settled.get(item.id, Decimal(0))
        if item.open_amount != expected:
            return Problem(
                "partner_items",
                item.id,
                f"{item.number}: open {item.open_amount} != amount {item.amount} "
                f"after allocations ({expected})",
            )
    documents = await _document_amounts(uow)
    payments = {
        p.id: p for p in (await uow.session.scalars(select(Payment).order_by(Payment.id))).all()
    }
    booked: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    source: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for item in items:
        key = (item.partner_id, item.side)
        booked[key] += item.open_amount
        if item.document_id is not None:
            source[key] += documents.pop(item.document_id, Decimal(0))
        elif item.payment_id is not None:
            payment = payments.pop(item.payment_id, None)
            source[key] -= Decimal(0) if payment is None else payment.amount
        else:  # archived document: its amount is carried by the item
            source[key] += item.amount
    for doc_id, amount in documents.items():
        return Problem("documents", doc_id, f"posted partner document ({amount}) has no open item")
    for payment in payments.values():
        return Problem("payments", payment.id, f"{payment.number} has no open item")
    for key, total in booked.items():
        if total != source[key]:
            partner = await uow.session.get_one(Partner, key[0])
            return Problem(
                "partners",
                key[0],
                f"{partner.name} {key[1]} balance {total} != documents − payments {source[key]}",
            )
    return None


async def _document_amounts(uow: UnitOfWork) -> dict[int, Decimal]:
    rows = await uow.session.execute(
        select(Document.id, Document.type, DocumentLine.qty, DocumentLine.price)
        .join(DocumentLine, DocumentLine.document_id == Document.id)
        .where(
            Document.status == DocStatus.POSTED,
            Document.partner_id.is_not(None),
            Document.type.in_(TRADE),
        )
    )
    lines: dict[int, tuple[str, list[tuple[Decimal, Decimal | None]]]] = {}
    for doc_id, doc_type, qty, price in rows.all():
        lines.setdefault(doc_id, (doc_type, []))[1].append((qty, price))
    return {doc_id: document_amount(t, ls) for doc_id, (t, ls) in lines.items()}
