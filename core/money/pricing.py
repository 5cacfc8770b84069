"""Customer prices: which price a sale line takes, and when a typed price needs approval.

A line to a customer takes the customer's price list (the row with the largest ``min_qty``
the quantity reaches), then the item's price. A typed price more than the warehouse's
tolerance (a percentage, default 0) below that, or below the item's cost, waits for a
manager; so does a sale that takes the customer past their credit limit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from core.doctypes import DocStatus, DocType
from core.fmt import money
from core.money.amounts import document_amount
from core.money.receivables import balance_of
from core.money.tables import RECEIVABLE, ListPrice
from core.storage import Document, DocumentLine, Item, Partner, UnitOfWork, Warehouse
from core.views import Change

if TYPE_CHECKING:  # the ledger's posting path calls this module: no import at run time
    from core.ledger.commands import DocumentCommand
    from core.ledger.planning import PlanLine

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
    listed: dict[int, list[ListPrice]] = {}
    if partner.price_list:
        listed = await list_prices(uow, partner.price_list, {ln.item.id for ln in lines})
    tolerance = warehouse.price_tolerance or Decimal(0)
    priced, reasons = [], []
    for typed, line in zip(cmd.lines, lines, strict=True):
        price = applicable(listed.get(line.item.id, []), line.qty)
        source = f"价目 {partner.price_list}" if price is not None else "售价"
        if price is None:
            price = line.item.price
        if typed.price is None:
            priced.append(replace(line, price=price))
            continue
        priced.append(line)
        if line.qty <= 0:
            continue
        floor = price * (HUNDRED - tolerance) / HUNDRED
        cost = line.item.cost
        change = Change(
            f"{line.item.name} 单价（{source} {money(price)}，成本 {money(cost)}）",
            money(price),
            money(typed.price),
        )
        if typed.price < floor:
            reasons.append(
                MoneyReason(
                    "price_below_list",
                    f"{line.item.name} 单价 {money(typed.price)} 低于{source} {money(price)}"
                    + (f"（允许低 {tolerance.normalize():f}%）" if tolerance else ""),
                    change,
                )
            )
        if typed.price < cost:
            reasons.append(
                MoneyReason(
                    "price_below_cost",
                    f"{line.item.name} 单价 {money(typed.price)} 低于成本 {money(cost)}",
                    None if typed.price < floor else change,
                )
            )
    return priced, reasons


async def credit_reasons(
    uow: UnitOfWork, doc_type: DocType, partner: Partner | None, lines: list[PlanLine]
) -> list[MoneyReason]:
    if doc_type is not DocType.SALE or partner is None or partner.credit_limit is None:
        return []
    amount = document_amount(doc_type, [(ln.qty, ln.price) for ln in lines])
    if amount <= 0:
        return []
    owed = await balance_of(uow, partner.id, RECEIVABLE)
    if owed + amount <= partner.credit_limit:
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
