"""money: partner records, open items, payments, allocations, price lists, contracts, deals

Existing partners become records with a code (``C0001`` customers, ``S0001`` suppliers) and
every posted document they are on opens its receivable or payable item, so balances start
from the history that is already in the ledger.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import core.storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = core.storage.types.Fixed()
SIGN = {"sale": ("ar", 1), "sales_return": ("ar", -1), "receipt": ("ap", 1),
        "purchase_return": ("ap", -1)}  # fmt: skip
CENT = Decimal("0.01")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def upgrade() -> None:
    # Plain ADD COLUMN, no table rebuild: on SQLite a rebuild of a table that documents
    # reference fails its foreign keys once there is history.
    op.add_column("partners", sa.Column("code", sa.String(length=32), nullable=True))
    op.add_column(
        "partners", sa.Column("phone", sa.String(length=32), server_default="", nullable=False)
    )
    op.add_column(
        "partners", sa.Column("contact", sa.String(length=64), server_default="", nullable=False)
    )
    op.add_column("partners", sa.Column("credit_limit", MONEY, nullable=True))
    op.add_column(
        "partners",
        sa.Column("payment_terms_days", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column("partners", sa.Column("price_list", sa.String(length=32), nullable=True))
    op.create_index("ix_partners_code", "partners", ["code"], unique=True)
    op.add_column(
        "warehouses",
        sa.Column("mode", sa.String(length=16), server_default="stock", nullable=False),
    )
    op.add_column("warehouses", sa.Column("price_tolerance", MONEY, nullable=True))
    op.add_column("batches", sa.Column("cost", MONEY, nullable=True))
    op.add_column("batches", sa.Column("received_qty", MONEY, server_default="0", nullable=False))

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("side", sa.String(length=2), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("posted_at", core.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_payments_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_payments_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("number", name=op.f("uq_payments_number")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
    )
    op.create_index(op.f("ix_payments_partner_id"), "payments", ["partner_id"])
    op.create_table(
        "partner_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=2), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("open_amount", MONEY, nullable=False),
        sa.Column("posted_at", core.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_partner_items_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_items_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_partner_items_payment_id_payments")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_partner_items_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_items")),
        sa.UniqueConstraint("document_id", name=op.f("uq_partner_items_document_id")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_partner_items_payment_id")),
    )
    op.create_index(
        "ix_partner_items_partner_side", "partner_items", ["partner_id", "side", "posted_at"]
    )
    op.create_index("ix_partner_items_open", "partner_items", ["partner_id", "side", "open_amount"])
    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("debit_item_id", sa.Integer(), nullable=False),
        sa.Column("credit_item_id", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("at", core.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_item_id"],
            ["partner_items.id"],
            name=op.f("fk_allocations_credit_item_id_partner_items"),
        ),
        sa.ForeignKeyConstraint(
            ["debit_item_id"],
            ["partner_items.id"],
            name=op.f("fk_allocations_debit_item_id_partner_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    op.create_index(op.f("ix_allocations_debit_item_id"), "allocations", ["debit_item_id"])
    op.create_index(op.f("ix_allocations_credit_item_id"), "allocations", ["credit_item_id"])
    op.create_table(
        "list_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("price_list", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("min_qty", MONEY, nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_list_prices_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_prices")),
        sa.UniqueConstraint(
            "price_list", "item_id", "min_qty", name=op.f("uq_list_prices_price_list")
        ),
    )
    op.create_table(
        "line_costs",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("unit_cost", MONEY, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_line_costs_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["document_lines.id"], name=op.f("fk_line_costs_line_id_document_lines")
        ),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_line_costs")),
    )
    op.create_index(op.f("ix_line_costs_document_id"), "line_costs", ["document_id"])
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_no", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_contracts_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
        sa.UniqueConstraint("contract_no", name=op.f("uq_contracts_contract_no")),
    )
    op.create_table(
        "document_contracts",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_document_contracts_contract_id_contracts"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_contracts_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_contracts")),
    )
    op.create_index(
        op.f("ix_document_contracts_contract_id"), "document_contracts", ["contract_id"]
    )
    op.create_table(
        "deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("sale_number", sa.String(length=40), nullable=False),
        sa.Column("purchase_number", sa.String(length=40), nullable=False),
        sa.Column("margin", MONEY, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("number", name=op.f("uq_deals_number")),
    )
    _backfill()


def _backfill() -> None:
    """Codes for the partners already there, and their open items from posted documents."""
    bind = op.get_bind()
    partners = sa.table("partners", sa.column("id"), sa.column("kind"), sa.column("code"))
    known = bind.execute(sa.select(partners.c.id, partners.c.kind).order_by(partners.c.id)).all()
    counters = {"C": 0, "S": 0}
    for partner_id, kind in known:
        if kind not in ("customer", "supplier", "both"):
            continue  # departments (领用) are not trading partners and keep no code
        prefix = "S" if kind == "supplier" else "C"
        counters[prefix] += 1
        bind.execute(
            partners.update()
            .where(partners.c.id == partner_id)
            .values(code=f"{prefix}{counters[prefix]:04d}")
        )
    documents = sa.table(
        "documents",
        sa.column("id"),
        sa.column("number"),
        sa.column("type"),
        sa.column("status"),
        sa.column("warehouse_id"),
        sa.column("partner_id"),
        sa.column("posted_at", core.storage.types.UtcDateTime(timezone=True)),
    )
    lines = sa.table(
        "document_lines",
        sa.column("document_id"),
        sa.column("qty", MONEY),
        sa.column("price", MONEY),
    )
    items = sa.table(
        "partner_items",
        sa.column("partner_id"),
        sa.column("side"),
        sa.column("warehouse_id"),
        sa.column("document_id"),
        sa.column("number"),
        sa.column("amount", MONEY),
        sa.column("open_amount", MONEY),
        sa.column("posted_at", core.storage.types.UtcDateTime(timezone=True)),
        sa.column("due_on", sa.Date()),
    )
    # One pass over the lines of every posted partner document, in document order.
    rows = bind.execute(
        sa.select(*documents.c, lines.c.qty, lines.c.price)
        .join(lines, lines.c.document_id == documents.c.id)
        .where(
            documents.c.status == "posted",
            documents.c.partner_id.is_not(None),
            documents.c.type.in_(list(SIGN)),
        )
        .order_by(documents.c.id)
    )
    batch: list[dict[str, object]] = []
    current = None
    total = Decimal(0)
    for row in rows:
        if current is not None and row.id != current.id:
            batch.append(_item(current, total))
            total = Decimal(0)
        current = row
        if row.price is not None:
            total += (row.qty * row.price).quantize(CENT, ROUND_HALF_UP)
        if len(batch) >= 1000:
            bind.execute(items.insert(), batch)
            batch = []
    if current is not None:
        batch.append(_item(current, total))
    if batch:
        bind.execute(items.insert(), batch)


def _item(doc: Any, total: Decimal) -> dict[str, object]:
    side, sign = SIGN[doc.type]
    return {
        "partner_id": doc.partner_id,
        "side": side,
        "warehouse_id": doc.warehouse_id,
        "document_id": doc.id,
        "number": doc.number,
        "amount": sign * total,
        "open_amount": sign * total,
        "posted_at": doc.posted_at,
        "due_on": doc.posted_at.astimezone(SHANGHAI).date(),
    }


def downgrade() -> None:
    for table in (
        "deals",
        "document_contracts",
        "contracts",
        "line_costs",
        "list_prices",
        "allocations",
        "partner_items",
        "payments",
    ):
        op.drop_table(table)
    with op.batch_alter_table("batches") as batch_op:
        batch_op.drop_column("received_qty")
        batch_op.drop_column("cost")
    with op.batch_alter_table("warehouses") as batch_op:
        batch_op.drop_column("price_tolerance")
        batch_op.drop_column("mode")
    op.drop_index("ix_partners_code", table_name="partners")
    with op.batch_alter_table("partners") as batch_op:
        for column in ("price_list", "payment_terms_days", "credit_limit", "contact", "phone"):
            batch_op.drop_column(column)
        batch_op.drop_column("code")
