"""orders, picking and receiving by scan: barcodes, orders, scan sessions, count tasks

Revision ID: 0006
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.storage.types

revision: str = "0006"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIXED = core.storage.types.Fixed
UTC = core.storage.types.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "item_barcodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("pack_qty", FIXED(), nullable=False),
        sa.Column("embeds", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_barcodes_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_barcodes")),
        sa.UniqueConstraint("kind", "code", name=op.f("uq_item_barcodes_kind")),
    )
    op.create_index(op.f("ix_item_barcodes_item_id"), "item_barcodes", ["item_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_orders_warehouse_id_warehouses")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_orders_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_orders_idempotency_key")),
    )
    op.create_index(op.f("ix_orders_status"), "orders", ["status"])
    op.create_index("ix_orders_created_at_id", "orders", ["created_at", "id"])
    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("qty", FIXED(), nullable=False),
        sa.Column("price", FIXED(), nullable=True),
        sa.Column("picked", FIXED(), nullable=False),
        sa.Column("done", FIXED(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_lines_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_order_lines_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    op.create_index(op.f("ix_order_lines_order_id"), "order_lines", ["order_id"])
    op.create_index(op.f("ix_order_lines_item_id"), "order_lines", ["item_id"])
    op.create_table(
        "order_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("document_number", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_documents_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_documents")),
    )
    op.create_index(op.f("ix_order_documents_order_id"), "order_documents", ["order_id"])
    op.create_index(
        op.f("ix_order_documents_document_number"), "order_documents", ["document_number"]
    )
    op.create_table(
        "count_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document_number", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("done_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_count_tasks_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_tasks")),
        sa.UniqueConstraint(
            "warehouse_id", "category", "period", name=op.f("uq_count_tasks_warehouse_id")
        ),
    )
    op.create_table(
        "scan_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("userid", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", UTC(timezone=True), nullable=False),
        sa.Column("touched_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_scan_sessions_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["count_tasks.id"], name=op.f("fk_scan_sessions_task_id_count_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_sessions")),
    )
    op.create_index("ix_scan_sessions_userid_status", "scan_sessions", ["userid", "status"])
    op.create_index(op.f("ix_scan_sessions_order_id"), "scan_sessions", ["order_id"])
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("qty", FIXED(), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=True),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("posted_in", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"], ["scan_sessions.id"], name=op.f("fk_scans_session_id_scan_sessions")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_lines.id"], name=op.f("fk_scans_order_line_id_order_lines")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["count_tasks.id"], name=op.f("fk_scans_task_id_count_tasks")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_scans_item_id_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
        sa.UniqueConstraint("key", name=op.f("uq_scans_key")),
    )
    op.create_index(op.f("ix_scans_session_id"), "scans", ["session_id"])
    op.create_index(op.f("ix_scans_order_line_id"), "scans", ["order_line_id"])
    op.create_index(op.f("ix_scans_task_id"), "scans", ["task_id"])
    op.create_table(
        "order_policies",
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("scan_required", sa.Boolean(), nullable=True),
        sa.Column("over_receipt_tolerance", FIXED(), nullable=True),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_order_policies_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("warehouse_id", name=op.f("pk_order_policies")),
    )


def downgrade() -> None:
    for table in (
        "order_policies",
        "scans",
        "scan_sessions",
        "count_tasks",
        "order_documents",
        "order_lines",
        "orders",
        "item_barcodes",
    ):
        op.drop_table(table)
