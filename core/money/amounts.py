"""What a partner document is worth to its receivable or payable, to the cent."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from core.common import DocType
from core.money.tables import PAYABLE, RECEIVABLE

CENT = Decimal("0.01")
# Which side a document type books to, and whether it raises (+1) or offsets (-1) the debt.
SIDE_OF = {
    DocType.SALE: (RECEIVABLE, 1),
    DocType.SALES_RETURN: (RECEIVABLE, -1),
    DocType.RECEIPT: (PAYABLE, 1),
    DocType.PURCHASE_RETURN: (PAYABLE, -1),
}
SIDE_NAMES = {RECEIVABLE: "应收", PAYABLE: "应付"}
ADVANCE_NAMES = {RECEIVABLE: "预收", PAYABLE: "预付"}
PAYMENT_NAMES = {RECEIVABLE: "收款", PAYABLE: "付款"}


def balance_words(side: str, balance: Decimal) -> tuple[str, Decimal]:
    """How a partner's balance on ``side`` reads: what they owe (应收) or are owed (应付), or,
    below zero, what they paid ahead (预收, 预付) — "应收 ¥-20.00" read as a typo."""
    if balance < 0:
        return ADVANCE_NAMES[side], -balance
    return SIDE_NAMES[side], balance


PAYMENT_PREFIX = {RECEIVABLE: "SK", PAYABLE: "FK"}
PARTNER_KIND_OF_SIDE = {RECEIVABLE: "customer", PAYABLE: "supplier"}


def line_amount(qty: Decimal, price: Decimal | None) -> Decimal:
    """A line's value rounded to the cent, half up, as an invoice shows it."""
    if price is None:
        return Decimal(0)
    return (qty * price).quantize(CENT, ROUND_HALF_UP)


def document_amount(doc_type: str, lines: Iterable[tuple[Decimal, Decimal | None]]) -> Decimal:
    """The signed amount a posted document adds to its partner's balance."""
    _, sign = SIDE_OF[DocType(doc_type)]
    return sign * sum((line_amount(qty, price) for qty, price in lines), Decimal(0))
