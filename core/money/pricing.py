"""Customer prices: which price a sale line takes, and when a typed price needs approval.

A line to a customer takes the customer's price list (the row with the largest ``min_qty``
the quantity reaches), then the item's price. A typed price more than the warehouse's
tolerance (a percentage, default 0) below that, or below the item's cost, waits for a
manager; so does a sale that takes the customer past their credit limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from core import catalog
from core.common import Change, DocStatus, DocType, money
from core.money.amounts import document_amount
from core.money.receivables import balance_of
from core.money.tables import RECEIVABLE, ListPrice
from core.storage import Document, DocumentLine, Item, Partner, UnitOfWork, Warehouse

if TYPE_CHECKING:  # the ledger's posting path calls this module: no import at run time
    from core.ledger import DocumentCommand, PlanLine

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class MoneyReason:
    subject: str
    text: str
    change: Change | None = None


async def list_prices(
    uow: UnitOfWork, price_list: str, item_ids: set[int]
) -> dict[int, list[ListPrice]]:
    rows = await uow.session.scalars(
        select(ListPrice)
        .where(ListPrice.price_list == price_list, ListPrice.item_id.in_(item_ids))
        .order_by(ListPrice.min_qty.desc())
    )
    found: dict[int, list[ListPrice]] = {}
    for row in rows.all():
        found.setdefault(row.item_id, []).append(row)
    return found


def applicable(rows: list[ListPrice], qty: Decimal) -> Decimal | None:
    for row in rows:  # largest min_qty first
        if abs(qty) >= row.min_qty:
            return row.price
    return None


async def customer_prices(
    uow: UnitOfWork,
    cmd: DocumentCommand,
    partner: Partner | None,
    warehouse: Warehouse,
    lines: list[PlanLine],
    original: Document | None = None,
) -> tuple[list[PlanLine], list[MoneyReason]]:
    """Lines priced for the customer, and the reasons a typed price must be approved.

    A return of a given sale is credited at the price that sale charged.
    """
    if cmd.doc_type is DocType.SALES_RETURN and original is not None:
        sold = {ln.item_id: ln.price for ln in original.lines if ln.price is not None}
        return [
            ln
            if typed.price is not None or ln.item.id not in sold
            else replace(ln, price=sold[ln.item.id])
            for typed, ln in zip(cmd.lines, lines, strict=True)
        ], []
    if cmd.doc_type is not DocType.SALE or partner is None:
        return lines, []
    listed = await _lists_of(uow, partner, {ln.item.id for ln in lines})
    priced, reasons = [], []
    for typed, line in zip(cmd.lines, lines, strict=True):
        price, source = _applicable(partner, listed, line.item, line.qty)
        if typed.price is None:
            priced.append(replace(line, price=price))
            continue
        priced.append(line)
        reasons += _typed_reasons(line.item, line.qty, typed.price, price, source, warehouse)
    return priced, reasons


async def selling_prices(
    uow: UnitOfWork, partner: Partner | None, lines: Sequence[tuple[Item, Decimal]]
) -> list[Decimal]:
    """What each (item, quantity) sells at to ``partner``: the price a sale to them would take
    (their price list, then the item's price); the item's price without a customer."""
    if partner is None:
        return [item.price for item, _ in lines]
    listed = await _lists_of(uow, partner, {item.id for item, _ in lines})
    return [_applicable(partner, listed, item, qty)[0] for item, qty in lines]


async def _lists_of(
    uow: UnitOfWork, partner: Partner, item_ids: set[int]
) -> dict[int, list[ListPrice]]:
    if not partner.price_list:
        return {}
    return await list_prices(uow, partner.price_list, item_ids)


def _applicable(
    partner: Partner, listed: dict[int, list[ListPrice]], item: Item, qty: Decimal
) -> tuple[Decimal, str]:
    price = applicable(listed.get(item.id, []), qty)
    if price is None:
        return item.price, "售价"
    return price, f"价目 {partner.price_list}"


def _typed_reasons(
    item: Item, qty: Decimal, typed: Decimal, price: Decimal, source: str, warehouse: Warehouse
) -> list[MoneyReason]:
    if qty <= 0:
        return []
    tolerance = warehouse.price_tolerance or Decimal(0)
    floor = price * (HUNDRED - tolerance) / HUNDRED
    cost = item.cost
    change = Change(
        f"{item.name} 单价（{source} {money(price)}，成本 {money(cost)}）",
        money(price),
        money(typed),
    )
    reasons = []
    if typed < floor:
        reasons.append(
            MoneyReason(
                "price_below_list",
                f"{item.name} 单价 {money(typed)} 低于{source} {money(price)}"
                + (f"（允许低 {tolerance.normalize():f}%）" if tolerance else ""),
                change,
            )
        )
    if typed < cost:
        reasons.append(
            MoneyReason(
                "price_below_cost",
                f"{item.name} 单价 {money(typed)} 低于成本 {money(cost)}",
                None if typed < floor else change,
            )
        )
    return reasons


async def pending_reasons(uow: UnitOfWork, document: Document) -> list[MoneyReason]:
    """What of price and credit a pending sale would still ask for, judged on today's lists.

    A stored line price is taken as typed: one the list gave is the list price, so passes.
    """
    partner = document.partner
    if document.type != DocType.SALE or partner is None:
        return []
    listed = await _lists_of(uow, partner, {ln.item_id for ln in document.lines})
    reasons = []
    for line in document.lines:
        if line.price is None:
            continue
        price, source = _applicable(partner, listed, line.item, line.qty)
        reasons += _typed_reasons(
            line.item, line.qty, line.price, price, source, document.warehouse
        )
    if partner.credit_limit is not None:
        amount = document_amount(document.type, [(ln.qty, ln.price) for ln in document.lines])
        reasons += _credit_reason(partner, await balance_of(uow, partner.id, RECEIVABLE), amount)
    return reasons


async def credit_reasons(
    uow: UnitOfWork, doc_type: DocType, partner: Partner | None, lines: list[PlanLine]
) -> list[MoneyReason]:
    if doc_type is not DocType.SALE or partner is None or partner.credit_limit is None:
        return []
    amount = document_amount(doc_type, [(ln.qty, ln.price) for ln in lines])
    return _credit_reason(partner, await balance_of(uow, partner.id, RECEIVABLE), amount)


def _credit_reason(partner: Partner, owed: Decimal, amount: Decimal) -> list[MoneyReason]:
    if partner.credit_limit is None or amount <= 0 or owed + amount <= partner.credit_limit:
        return []
    return [
        MoneyReason(
            "credit_limit",
            f"{partner.name} 欠款 {money(owed)} 加本单 {money(amount)} 超过信用额度 "
            f"{money(partner.credit_limit)}",
            Change(f"{partner.name} 应收", money(owed), money(owed + amount)),
        )
    ]


@dataclass(frozen=True)
class ListedPrice:
    price_list: str
    min_qty: Decimal
    price: Decimal


@dataclass(frozen=True)
class OpenDocument:
    number: str
    type: str
    qty: Decimal


@dataclass(frozen=True)
class PriceView:
    """What 查 answers in a warehouse that keeps no stock: prices and open documents."""

    sku: str
    name: str
    unit: str
    price: Decimal
    cost: Decimal
    warehouse: str
    list_prices: tuple[ListedPrice, ...]
    open_documents: tuple[OpenDocument, ...]


async def price_view(uow: UnitOfWork, item: Item, warehouse: Warehouse) -> PriceView:
    listed = await uow.session.scalars(
        select(ListPrice)
        .where(ListPrice.item_id == item.id)
        .order_by(ListPrice.price_list, ListPrice.min_qty)
    )
    pending = await uow.session.execute(
        select(Document.number, Document.type, DocumentLine.qty)
        .join(DocumentLine, DocumentLine.document_id == Document.id)
        .where(
            Document.warehouse_id == warehouse.id,
            Document.status == DocStatus.PENDING,
            DocumentLine.item_id == item.id,
        )
        .order_by(Document.id)
    )
    return PriceView(
        item.sku,
        item.name,
        item.unit,
        item.price,
        item.cost,
        warehouse.code,
        tuple(ListedPrice(p.price_list, p.min_qty, p.price) for p in listed.all()),
        tuple(OpenDocument(n, t, q) for n, t, q in pending.all()),
    )


async def add_list_price(uow: UnitOfWork, price_list: str, sku: str, price: Decimal) -> None:
    """The price of ``sku`` on ``price_list`` for any quantity."""
    item = await catalog.item_by_sku(uow, sku)
    uow.session.add(ListPrice(price_list=price_list, item_id=item.id, price=price))
    await uow.session.flush()
