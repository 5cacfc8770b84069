"""stock levels: one row per item and warehouse, and in-stock batches by expiry

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIXED = core.storage.types.Fixed
IN_STOCK_WITH_EXPIRY = sa.text("qty > 0 AND expiry IS NOT NULL")
NEGATIVE = sa.text("qty < 0")
REORDERED = sa.text("reorder_point > 0")

# What the ledger keeps in step from now on, computed once from what is already there.
BACKFILL_EXPIRY = """
UPDATE stock_balances
SET expiry = (SELECT batches.expiry FROM batches WHERE batches.id = stock_balances.batch_id)
"""
BACKFILL_ON_HAND = """
INSERT INTO stock_levels (item_id, warehouse_id, on_hand, reserved, reorder_point)
SELECT b.item_id, b.warehouse_id, SUM(b.qty), 0, i.reorder_point
FROM stock_balances b JOIN items i ON i.id = b.item_id
GROUP BY b.item_id, b.warehouse_id, i.reorder_point
"""
BACKFILL_RESERVED = """
INSERT INTO stock_levels (item_id, warehouse_id, on_hand, reserved, reorder_point)
SELECT l.item_id, d.warehouse_id, 0, SUM(l.qty), i.reorder_point
FROM document_lines l
JOIN documents d ON d.id = l.document_id
JOIN items i ON i.id = l.item_id
WHERE l.qty > 0 AND d.status = 'pending'
  AND d.type IN ('sale', 'purchase_return', 'transfer', 'writeoff', 'issue')
GROUP BY l.item_id, d.warehouse_id, i.reorder_point
ON CONFLICT (item_id, warehouse_id) DO UPDATE SET reserved = excluded.reserved
"""

# However an item's reorder point changes (import, chat, a manager's SQL), its level rows
# follow in the same statement: the low-stock range never reads a stale point.
SQLITE_FOLLOW = """
CREATE TRIGGER stock_levels_follow_reorder_point
AFTER UPDATE OF reorder_point ON items
FOR EACH ROW WHEN OLD.reorder_point IS NOT NEW.reorder_point
BEGIN
    UPDATE stock_levels SET reorder_point = NEW.reorder_point WHERE item_id = NEW.id;
END
"""
PG_FOLLOW_FUNCTION = """
CREATE FUNCTION stock_levels_follow_reorder_point() RETURNS trigger AS $$
BEGIN
    UPDATE stock_levels SET reorder_point = NEW.reorder_point WHERE item_id = NEW.id;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
PG_FOLLOW = """
CREATE TRIGGER stock_levels_follow_reorder_point
AFTER UPDATE OF reorder_point ON items
FOR EACH ROW WHEN (OLD.reorder_point IS DISTINCT FROM NEW.reorder_point)
EXECUTE FUNCTION stock_levels_follow_reorder_point()
"""


def upgrade() -> None:
    op.add_column("stock_balances", sa.Column("expiry", sa.Date(), nullable=True))
    op.execute(BACKFILL_EXPIRY)
    op.create_index(
        "ix_stock_balances_in_stock_expiry",
        "stock_balances",
        # Covering: the scan reads the balances without visiting their rows.
        ["expiry", "item_id", "warehouse_id", "batch_id", "qty"],
        sqlite_where=IN_STOCK_WITH_EXPIRY,
        postgresql_where=IN_STOCK_WITH_EXPIRY,
    )
    op.create_index(
        "ix_stock_balances_negative",
        "stock_balances",
        ["item_id"],
        sqlite_where=NEGATIVE,
        postgresql_where=NEGATIVE,
    )
    op.create_table(
        "stock_levels",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", FIXED(), nullable=False),
        sa.Column("reserved", FIXED(), nullable=False),
        sa.Column("reorder_point", FIXED(), nullable=False),
        sa.Column(
            "headroom",
            FIXED(),
            sa.Computed("on_hand - reserved - reorder_point", persisted=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_stock_levels_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_levels_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("item_id", "warehouse_id", name=op.f("pk_stock_levels")),
    )
    op.execute(BACKFILL_ON_HAND)
    op.execute(BACKFILL_RESERVED)
    op.create_index(
        "ix_stock_levels_low",
        "stock_levels",
        ["headroom"],
        sqlite_where=REORDERED,
        postgresql_where=REORDERED,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FOLLOW_FUNCTION)
        op.execute(PG_FOLLOW)
    else:
        op.execute(SQLITE_FOLLOW)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER stock_levels_follow_reorder_point ON items")
        op.execute("DROP FUNCTION stock_levels_follow_reorder_point()")
    else:
        op.execute("DROP TRIGGER stock_levels_follow_reorder_point")
    op.drop_index("ix_stock_levels_low", table_name="stock_levels")
    op.drop_table("stock_levels")
    op.drop_index("ix_stock_balances_negative", table_name="stock_balances")
    op.drop_index("ix_stock_balances_in_stock_expiry", table_name="stock_balances")
    with op.batch_alter_table("stock_balances") as batch:
        batch.drop_column("expiry")
