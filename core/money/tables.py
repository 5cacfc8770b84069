"""The money side's tables: open items, payments, allocations, price lists, contracts, deals.

Receivables and payables follow the open-item model (Odoo's reconciled move lines, ERPNext's
outstanding amounts): every posted partner document and every payment is one ``PartnerItem``
with a signed amount (a debt is positive, a credit negative) and what is still open of it;
an ``Allocation`` settles part of a debt with part of a credit. A partner's balance is the
sum of its open amounts, which ``jxc audit verify`` recomputes from documents and payments.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.storage import MONEY, QTY, Base, Item, Partner

RECEIVABLE, PAYABLE = "ar", "ap"


class PartnerItem(Base):
    __tablename__ = "partner_items"
    __table_args__ = (
        Index("ix_partner_items_partner_side", "partner_id", "side", "posted_at"),
        # What is still open of a partner, debts (> 0) and credits (< 0) each one range.
        Index("ix_partner_items_open", "partner_id", "side", "open_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    side: Mapped[str] = mapped_column(String(2))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    # Cleared when ``jxc archive`` moves the document out; the item and its number stay.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), unique=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), unique=True)
    number: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    open_amount: Mapped[Decimal] = mapped_column(MONEY)
    posted_at: Mapped[datetime] = mapped_column()
    due_on: Mapped[date] = mapped_column(Date)

    partner: Mapped[Partner] = relationship()


class Payment(Base):
    """A payment in (``SK``, from a customer) or out (``FK``, to a supplier)."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    side: Mapped[str] = mapped_column(String(2))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    method: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[datetime] = mapped_column()
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)

    partner: Mapped[Partner] = relationship()


class Allocation(Base):
    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    debit_item_id: Mapped[int] = mapped_column(ForeignKey("partner_items.id"), index=True)
    credit_item_id: Mapped[int] = mapped_column(ForeignKey("partner_items.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))


class ListPrice(Base):
    __tablename__ = "list_prices"
    __table_args__ = (UniqueConstraint("price_list", "item_id", "min_qty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    min_qty: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    price: Mapped[Decimal] = mapped_column(MONEY)

    item: Mapped[Item] = relationship()


class LineCost(Base):
    """The unit cost of a sale line posted without moves (no-inventory warehouses, deals)."""

    __tablename__ = "line_costs"

    line_id: Mapped[int] = mapped_column(ForeignKey("document_lines.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    unit_cost: Mapped[Decimal] = mapped_column(MONEY)


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_no: Mapped[str] = mapped_column(String(40), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    terms: Mapped[str] = mapped_column(Text, default="")

    partner: Mapped[Partner] = relationship()


class DocumentContract(Base):
    __tablename__ = "document_contracts"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)


class Deal(Base):
    """A brokered deal (``CH``): a sale and a purchase of the same goods, never in stock."""

    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    # Numbers, not keys: ``jxc archive`` may move the two documents out of the live ledger.
    sale_number: Mapped[str] = mapped_column(String(40))
    purchase_number: Mapped[str] = mapped_column(String(40))
    margin: Mapped[Decimal] = mapped_column(MONEY)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
