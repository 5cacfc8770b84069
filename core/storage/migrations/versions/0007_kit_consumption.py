"""kit consumption: a warehouse's kitchen works by backflush (kit sales take their recipe from
stock) or by issue (领用 takes the ingredients; kit sales move no stock)

Revision ID: 0007
Revises: 0017
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("warehouses") as batch:
        batch.add_column(sa.Column("kit_consumption", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("warehouses") as batch:
        batch.drop_column("kit_consumption")
