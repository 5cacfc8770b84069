"""SQLAlchemy 2 declarative tables of the ledger (DESIGN §4).

Money and quantities are ``Numeric`` mapped to ``Decimal``; timestamps are timezone-aware UTC.
``stock_moves`` is append-only; ``stock_balances`` is only changed by ``core.ledger``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.common import utcnow
from core.storage.types import Fixed, UtcDateTime

QTY = Fixed()
MONEY = Fixed()

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON}  # noqa: RUF012


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    barcode: Mapped[str | None] = mapped_column(String(64), index=True)
    unit: Mapped[str] = mapped_column(String(16), default="个")
    unit_precision: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str] = mapped_column(String(64), default="")
    price: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    reorder_point: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    reorder_qty: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    batch_tracked: Mapped[bool] = mapped_column(Boolean, default=False)
    # stock | kit (never stocked: selling it consumes its recipe) | made (produced from a BOM)
    kind: Mapped[str] = mapped_column(String(8), default="stock", server_default="stock")
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    group_chat_id: Mapped[str | None] = mapped_column(String(64))
    purchasing_chat_id: Mapped[str | None] = mapped_column(String(64))
    webhook_key: Mapped[str | None] = mapped_column(String(128))
    negative_stock_policy: Mapped[str | None] = mapped_column(String(16))
    approval_value_threshold: Mapped[Decimal | None] = mapped_column(MONEY)
    # ``stock`` keeps moves and balances; ``no_inventory`` records only the money side.
    mode: Mapped[str] = mapped_column(String(16), default="stock", server_default="stock")
    # Percent a typed sale price may sit below the customer's list price without approval.
    price_tolerance: Mapped[Decimal | None] = mapped_column(MONEY)
    # How kit sales use their ingredients (core.recipes): None or ``backflush`` takes them
    # from stock at the sale; ``issue`` leaves that to 领用 (the kitchen draws by issue).
    kit_consumption: Mapped[str | None] = mapped_column(String(16))


class Partner(Base):
    __tablename__ = "partners"
    __table_args__ = (
        UniqueConstraint("kind", "name"),
        Index("ix_partners_code", "code", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # ``customer``, ``supplier`` or ``both``.
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(32), default="", server_default="")
    contact: Mapped[str] = mapped_column(String(64), default="", server_default="")
    credit_limit: Mapped[Decimal | None] = mapped_column(MONEY)
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    price_list: Mapped[str | None] = mapped_column(String(32))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    userid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    warehouses: Mapped[list[Warehouse]] = relationship(secondary="user_warehouses")


class UserWarehouse(Base):
    __tablename__ = "user_warehouses"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_created_at_id", "created_at", "id"),
        Index("ix_documents_type_created_at", "type", "created_at"),
        Index("ix_documents_created_by_created_at", "created_by", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    to_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column()
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    original_number: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    lines: Mapped[list[DocumentLine]] = relationship(
        back_populates="document", order_by="DocumentLine.line_no"
    )
    warehouse: Mapped[Warehouse] = relationship(foreign_keys=[warehouse_id])
    to_warehouse: Mapped[Warehouse | None] = relationship(foreign_keys=[to_warehouse_id])
    partner: Mapped[Partner | None] = relationship()


class DocumentLine(Base):
    __tablename__ = "document_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(QTY)
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    lot: Mapped[str | None] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)

    document: Mapped[Document] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship()


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("item_id", "lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    lot: Mapped[str] = mapped_column(String(64))
    expiry: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Average price of what priced receipts put into this batch: what a sale from it costs.
    cost: Mapped[Decimal | None] = mapped_column(MONEY)
    received_qty: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0), server_default="0")


class StockMove(Base):
    __tablename__ = "stock_moves"
    __table_args__ = (Index("ix_stock_moves_balance_key", "item_id", "warehouse_id", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("document_lines.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    qty: Mapped[Decimal] = mapped_column(QTY)
    unit_cost: Mapped[Decimal] = mapped_column(MONEY)
    posted_at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))

    document: Mapped[Document] = relationship()
    line: Mapped[DocumentLine] = relationship()


IN_STOCK_WITH_EXPIRY = text("qty > 0 AND expiry IS NOT NULL")
NEGATIVE = text("qty < 0")
REORDERED = text("reorder_point > 0")


class StockBalance(Base):
    __tablename__ = "stock_balances"
    __table_args__ = (
        UniqueConstraint("item_id", "warehouse_id", "batch_id"),
        # The expiry alerts read in-stock batches by expiry: a range over this index.
        Index(
            "ix_stock_balances_in_stock_expiry",
            "expiry",
            "item_id",
            "warehouse_id",
            "batch_id",
            "qty",
            sqlite_where=IN_STOCK_WITH_EXPIRY,
            postgresql_where=IN_STOCK_WITH_EXPIRY,
        ),
        # Negative stock (sold before booked in) is rare: the expiry alerts net it out.
        Index(
            "ix_stock_balances_negative",
            "item_id",
            sqlite_where=NEGATIVE,
            postgresql_where=NEGATIVE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    qty: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    # The batch's expiry, copied when the balance is created (a batch's expiry never
    # changes); ``jxc audit verify`` checks the copy.
    expiry: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    batch: Mapped[Batch] = relationship()


class StockLevelRow(Base):
    """One row per item and warehouse (ERPNext's Bin): a cache the ledger keeps in step.

    ``on_hand`` is the sum of the pair's balances, ``reserved`` what pending outgoing
    documents would take, ``reorder_point`` the item's; ``headroom`` is how far the pair is
    above its reorder point, so the low-stock alert is a range over ``ix_stock_levels_low``.
    Posting changes it in the same statement batch as the balances; ``jxc audit verify``
    checks every column against its source.
    """

    __tablename__ = "stock_levels"
    __table_args__ = (
        Index(
            "ix_stock_levels_low",
            "headroom",
            sqlite_where=REORDERED,
            postgresql_where=REORDERED,
        ),
    )

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), primary_key=True)
    on_hand: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    reserved: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    reorder_point: Mapped[Decimal] = mapped_column(QTY, default=Decimal(0))
    headroom: Mapped[Decimal] = mapped_column(
        QTY, Computed("on_hand - reserved - reorder_point", persisted=True)
    )


class Approval(Base):
    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    subject: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    payload: Mapped[dict[str, Any]] = mapped_column()
    seen_versions: Mapped[dict[str, Any]] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    warehouse: Mapped[Warehouse] = relationship()
    document: Mapped[Document | None] = relationship()
    item: Mapped[Item | None] = relationship()


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row holding the chain's tip; locking it serialises appends across processes."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))


class NumberSequence(Base):
    __tablename__ = "number_sequences"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class InboxMessage(Base):
    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    from_user: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_target_key_status_id", "target_key", "status", "id"),
        Index("ix_outbox_content_key", "content_key"),
        Index("ix_outbox_claimed_by", "claimed_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Recipients joined by "|": unbounded, so rows are found by ``target_key`` instead.
    target: Mapped[str] = mapped_column(Text)
    target_key: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    content_key: Mapped[str | None] = mapped_column(String(40))
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    response: Mapped[dict[str, Any] | None] = mapped_column()


class DeliveryInstance(Base):
    """A running delivery worker, known by its heartbeat; its claims die with it."""

    __tablename__ = "delivery_instances"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column()
    heartbeat_at: Mapped[datetime] = mapped_column()


class AlertState(Base):
    __tablename__ = "alert_state"
    __table_args__ = (UniqueConstraint("rule", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(64))
    last_sent_at: Mapped[datetime] = mapped_column()


class ConversationState(Base):
    __tablename__ = "conversation_state"

    userid: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


class Lease(Base):
    """Who runs the scheduler: one row per lease name, taken while ``until`` is in the past."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[datetime] = mapped_column()
