"""expiry alerts remember one row per warehouse instead of one per batch

Revision ID: 0009
Revises: 0008

The expiry rule used to keep ``alert_state`` rows ``<warehouse>:<sku>:<batch id>`` with the
bucket told (``d30``); it now keeps one row per warehouse, ``<day>#<newest balance told>#<batches
told>`` (``notifications.rules.expiry``). Without this step the first run after upgrading would
announce every batch in a bucket a second time. The day is the UTC date of the warehouse's last
alert, never later than its shop-time date: an uncertain batch is told again, never skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import core.storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RULE = "expiry"
ALERT_STATE = sa.table(
    "alert_state",
    sa.column("id", sa.Integer()),
    sa.column("rule", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("state", sa.String()),
    sa.column("last_sent_at", core.storage.types.UtcDateTime()),
)
NEWEST_BALANCE = sa.text(
    "SELECT max(b.id) FROM stock_balances b JOIN warehouses w ON w.id = b.warehouse_id"
    " WHERE w.code = :code AND b.batch_id = :batch"
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(ALERT_STATE.c.id, ALERT_STATE.c.subject, ALERT_STATE.c.last_sent_at).where(
            ALERT_STATE.c.rule == RULE
        )
    ).all()
    told: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    old_ids = []
    for row_id, subject, sent_at in rows:
        code, sku, batch = ([*subject.split(":"), "", ""])[:3]
        if not (sku and batch.isdigit()):
            continue  # a warehouse row already
        old_ids.append(row_id)
        balance = connection.execute(NEWEST_BALANCE, {"code": code, "batch": int(batch)}).scalar()
        told[code].append((sent_at, int(balance or 0)))
    for code, alerts in told.items():
        last = max(sent for sent, _ in alerts)
        newest = max(balance for _, balance in alerts)
        state = f"{last.date().isoformat()}#{newest}#{len(alerts)}"
        connection.execute(
            ALERT_STATE.insert().values(rule=RULE, subject=code, state=state, last_sent_at=last)
        )
    if old_ids:
        connection.execute(ALERT_STATE.delete().where(ALERT_STATE.c.id.in_(old_ids)))


def downgrade() -> None:
    # The per-batch rows cannot be rebuilt: the older code announces what is in a bucket once more.
    op.get_bind().execute(
        ALERT_STATE.delete().where(
            ALERT_STATE.c.rule == RULE, ALERT_STATE.c.subject.not_like("%:%")
        )
    )
