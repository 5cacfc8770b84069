"""outbox delivery: unbounded recipients, per-target order, instance claims, repeat markers

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _target_key(channel: str, target: str) -> str:
    return hashlib.sha1(f"{channel}:{target}".encode()).hexdigest()


def upgrade() -> None:
    op.create_table(
        "delivery_instances",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", core.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", core.storage.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_instances")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column(
            "target", existing_type=sa.String(length=200), type_=sa.Text(), nullable=False
        )
        batch_op.add_column(sa.Column("target_key", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("content_key", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("repeat", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))
        batch_op.drop_column("claimed_until")

    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer()),
        sa.column("channel", sa.String()),
        sa.column("target", sa.Text()),
        sa.column("target_key", sa.String()),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(outbox.c.id, outbox.c.channel, outbox.c.target)).all()
    for row_id, channel, target in rows:
        connection.execute(
            outbox.update()
            .where(outbox.c.id == row_id)
            .values(target_key=_target_key(channel, target))
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("target_key", existing_type=sa.String(length=40), nullable=False)
        batch_op.create_index(
            "ix_outbox_target_key_status_id", ["target_key", "status", "id"], unique=False
        )
        batch_op.create_index("ix_outbox_content_key", ["content_key"], unique=False)
        batch_op.create_index("ix_outbox_claimed_by", ["claimed_by"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_claimed_by")
        batch_op.drop_index("ix_outbox_content_key")
        batch_op.drop_index("ix_outbox_target_key_status_id")
        batch_op.add_column(
            sa.Column("claimed_until", core.storage.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("repeat")
        batch_op.drop_column("content_key")
        batch_op.drop_column("target_key")
        batch_op.alter_column(
            "target", existing_type=sa.Text(), type_=sa.String(length=200), nullable=False
        )
    op.drop_table("delivery_instances")
