"""recipes: item kinds, BOM versions, substitutes, production uses, departments, presets

Revision ID: 0004
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.storage.types

revision: str = "0004"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEPARTMENTS = ("厨房", "生产")


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="stock")
        )
    op.create_table(
        "boms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", core.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", core.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["items.id"], name=op.f("fk_boms_product_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boms")),
        sa.UniqueConstraint("product_id", "version", name=op.f("uq_boms_product_id")),
    )
    op.create_index(op.f("ix_boms_product_id"), "boms", ["product_id"])
    op.create_table(
        "bom_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bom_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("qty", core.storage.types.Fixed(), nullable=False),
        sa.Column("scrap_pct", core.storage.types.Fixed(), nullable=False),
        sa.ForeignKeyConstraint(["bom_id"], ["boms.id"], name=op.f("fk_bom_lines_bom_id_boms")),
        sa.ForeignKeyConstraint(
            ["component_id"], ["items.id"], name=op.f("fk_bom_lines_component_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bom_lines")),
    )
    op.create_index(op.f("ix_bom_lines_bom_id"), "bom_lines", ["bom_id"])
    op.create_table(
        "substitute_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("substitute_id", sa.Integer(), nullable=False),
        sa.Column("ratio", core.storage.types.Fixed(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"], ["items.id"], name=op.f("fk_substitute_rules_component_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["substitute_id"], ["items.id"], name=op.f("fk_substitute_rules_substitute_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitute_rules")),
        sa.UniqueConstraint(
            "component_id", "substitute_id", name=op.f("uq_substitute_rules_component_id")
        ),
    )
    op.create_index(op.f("ix_substitute_rules_component_id"), "substitute_rules", ["component_id"])
    op.create_table(
        "production_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("bom_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("theoretical_qty", core.storage.types.Fixed(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_production_uses_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["bom_id"], ["boms.id"], name=op.f("fk_production_uses_bom_id_boms")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_production_uses_item_id_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_production_uses")),
    )
    op.create_index(op.f("ix_production_uses_document_id"), "production_uses", ["document_id"])
    op.create_table(
        "shop_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("preset", sa.String(length=32), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("applied_at", core.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_profile")),
    )
    partners = sa.table("partners", sa.column("kind", sa.String), sa.column("name", sa.String))
    op.bulk_insert(partners, [{"kind": "department", "name": name} for name in DEPARTMENTS])


def downgrade() -> None:
    op.execute("DELETE FROM partners WHERE kind = 'department'")
    op.drop_table("shop_profile")
    op.drop_table("production_uses")
    op.drop_table("substitute_rules")
    op.drop_table("bom_lines")
    op.drop_table("boms")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("kind")
