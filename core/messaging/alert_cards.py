"""The cards an expiry or low-stock alert sends, kept so their buttons act on what they showed.

A card lists lines (batches about to expire, items to reorder) for one rule and warehouse.
Its buttons carry the card's id and revision. A newer card for the same rule and warehouse
supersedes the older one, and acting on a card (报损, 调拨, 生成采购单, 已处理) closes it and
bumps its revision, so a click on a card drawn before either is refused. Closing is one
guarded UPDATE: of two people clicking at once, one acts and the other is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.common import InvalidInput
from core.storage import Base, UnitOfWork

OPEN, CLOSED, SUPERSEDED = "open", "closed", "superseded"


class AlertCard(Base):
    __tablename__ = "alert_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(128), unique=True)
    rule: Mapped[str] = mapped_column(String(32))
    warehouse: Mapped[str] = mapped_column(String(32), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    # What the card showed, per line: the batch or item and its quantities, as strings.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The userids the card went to ("|"-joined), whose copies a closing click relabels.
    recipients: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(16))
    # The document, request or order number an action made.
    result: Mapped[str | None] = mapped_column(String(64))


@dataclass(frozen=True)
class AlertCardView:
    id: int
    task_id: str
    rule: str
    warehouse: str
    revision: int
    status: str
    lines: tuple[dict[str, Any], ...]
    recipients: tuple[str, ...]
    closed_by: str | None
    outcome: str | None
    result: str | None


def _view(row: AlertCard) -> AlertCardView:
    return AlertCardView(
        row.id,
        row.task_id,
        row.rule,
        row.warehouse,
        row.revision,
        row.status,
        tuple(row.lines),
        tuple(r for r in row.recipients.split("|") if r),
        row.closed_by,
        row.outcome,
        row.result,
    )


async def open_card(
    uow: UnitOfWork,
    rule: str,
    warehouse: str,
    task_id: str,
    lines: Sequence[dict[str, Any]],
    recipients: Sequence[str],
) -> AlertCardView:
    """A new open card; the rule's open cards for ``warehouse`` are superseded by it. The
    same run again (same ``task_id``) gets the card it opened the first time."""
    existing = await uow.session.scalar(select(AlertCard).where(AlertCard.task_id == task_id))
    if existing is not None:
        return _view(existing)
    await uow.session.execute(
        update(AlertCard)
        .where(AlertCard.rule == rule, AlertCard.warehouse == warehouse, AlertCard.status == OPEN)
        .values(status=SUPERSEDED, revision=AlertCard.revision + 1)
    )
    row = AlertCard(
        task_id=task_id,
        rule=rule,
        warehouse=warehouse,
        revision=1,
        status=OPEN,
        lines=list(lines),
        recipients="|".join(recipients),
        created_at=uow.now(),
    )
    uow.session.add(row)
    await uow.session.flush()
    return _view(row)


async def card_by_id(uow: UnitOfWork, card_id: int) -> AlertCardView | None:
    row = await uow.session.get(AlertCard, card_id, populate_existing=True)
    return _view(row) if row is not None else None


async def close_card(
    uow: UnitOfWork, card: AlertCardView, actor: str, outcome: str, result: str | None = None
) -> None:
    """Close ``card`` as it was read (same revision, still open), audited; refused otherwise."""
    done = await uow.session.execute(
        update(AlertCard)
        .where(
            AlertCard.id == card.id,
            AlertCard.revision == card.revision,
            AlertCard.status == OPEN,
        )
        .values(
            status=CLOSED,
            revision=card.revision + 1,
            closed_by=actor,
            closed_at=uow.now(),
            outcome=outcome,
            result=result,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput("这张卡片刚刚已被处理，请看卡片上的最新状态")
    uow.record(
        actor,
        f"alert.{outcome}",
        f"alert-card:{card.id}",
        {"rule": card.rule, "warehouse": card.warehouse, "task": card.task_id, "result": result},
    )


async def cards_of(uow: UnitOfWork, rule: str, warehouse: str) -> list[AlertCardView]:
    """The rule's cards for ``warehouse``, oldest first."""
    rows = await uow.session.scalars(
        select(AlertCard)
        .where(AlertCard.rule == rule, AlertCard.warehouse == warehouse)
        .order_by(AlertCard.id)
    )
    return [_view(row) for row in rows]
