"""Tables of orders and scanning: barcodes, sales/purchase orders, scan sessions, count tasks.

An order line keeps what was ordered (``qty``), what has been scanned but not yet shipped or
received (``picked``) and what has been (``done``). Picking adds to ``picked`` with one guarded
statement (``picked + done + :qty <= qty``), so concurrent pickers never pick more than was
ordered between them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.common import utcnow
from core.storage import MONEY, QTY, Base, Item, Partner, Warehouse


class ItemBarcode(Base):
    """One more code for an item: a pack's barcode (``pack_qty`` units), an in-house code, or
    (``kind = "scale"``) the item code a weighing scale prints inside a 2x EAN-13."""

    __tablename__ = "item_barcodes"
    __table_args__ = (UniqueConstraint("kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    pack_qty: Mapped[Decimal] = mapped_column(QTY, default=Decimal(1))
    # Scale codes only: whether the five digits after the item code are grams or fen.
    embeds: Mapped[str | None] = mapped_column(String(8))

    item: Mapped[Item] = relationship()


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_created_at_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.line_no"
    )
    warehouse: Mapped[Warehouse] = relationship()
    partner: Mapped[Partner | None] = relationship()


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(QTY)
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    picked: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    done: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))

    order: Mapped[Order] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()


class OrderDocument(Base):
    """A shipment (sale) or receipt posted for an order."""

    __tablename__ = "order_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    document_number: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CountTask(Base):
    __tablename__ = "count_tasks"
    __table_args__ = (UniqueConstraint("warehouse_id", "category", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    category: Mapped[str] = mapped_column(String(64))
    # ``2026-W49`` (the weekly plan), ``2026-12`` (the monthly full count) or a day (ad hoc).
    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    document_number: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()

    warehouse: Mapped[Warehouse] = relationship()


class ScanSession(Base):
    """What a user's scans mean now: picking or receiving an order, or counting a task."""

    __tablename__ = "scan_sessions"
    __table_args__ = (Index("ix_scan_sessions_userid_status", "userid", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    userid: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("count_tasks.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    touched_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order | None] = relationship()
    task: Mapped[CountTask | None] = relationship()


class Scan(Base):
    """One applied scan; ``key`` is the message's inbox key, so a redelivery is not applied."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("scan_sessions.id"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("count_tasks.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    qty: Mapped[Decimal] = mapped_column(QTY)
    lot: Mapped[str | None] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)
    code: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # The shipment, receipt or count document that used this scan.
    posted_in: Mapped[str | None] = mapped_column(String(40))

    item: Mapped[Item] = relationship()


class OrderPolicy(Base):
    """Per-warehouse overrides of the order settings (``scan_required``, tolerance)."""

    __tablename__ = "order_policies"

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    scan_required: Mapped[bool | None] = mapped_column(Boolean)
    over_receipt_tolerance: Mapped[Decimal | None] = mapped_column(QTY)
