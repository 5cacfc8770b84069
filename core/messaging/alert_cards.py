"""The cards an expiry or low-stock alert sends, kept so their buttons act on what they showed.

A card lists lines (batches about to expire, items to reorder) for one rule and warehouse.
Its buttons carry the card's id and revision. A newer card for the same rule and warehouse
supersedes the older one, and acting on a card (报损, 调拨, 生成采购单, 已处理) closes it and
bumps its revision, so a click on a card drawn before either is refused. Closing is one
guarded UPDATE: of two people clicking at once, one acts and the other is told.

A 报损 or 调拨 above the approval threshold closes the card with the request's number as its
result, and follows the request's end (``follow_request``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.common import APPROVAL_STATUS_NAMES, ApprovalView, InvalidInput
from core.messaging import outbox
from core.storage import Base, OutboxMessage, UnitOfWork

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


def card_key(card: AlertCardView) -> str:
    """The dedupe key of the outbox row that sends ``card``."""
    return f"card:{card.rule}:{card.id}"


async def follow_request(
    uow: UnitOfWork, approval: ApprovalView, decider_name: str
) -> AlertCardView | None:
    """The card whose click made ``approval`` follows the request's end (None: no card
    made it).

    Approved, the card stays closed and names the document posted, and its copies are
    relabelled so. Otherwise (rejected, expired, withdrawn, void) nothing was written off or
    moved, so the latest card of its warehouse opens again at a new revision and is redrawn
    with its buttons and a note saying why; an older one is superseded, the newer card showing
    the same batches. WeCom takes one update per response code: each click's went on
    relabelling the card, so these updates spend the code the card's send returned. That one
    works once, so a card reopened a second time cannot be redrawn: its holders get the note
    as a text instead.
    """
    number, status = approval.number, approval.status
    row = await uow.session.scalar(
        select(AlertCard).where(AlertCard.status == CLOSED, AlertCard.result == number)
    )
    if row is None:
        return None
    action = "报损" if row.outcome == "writeoff" else "调拨"
    if status == "approved":
        row.result = approval.document.number if approval.document is not None else number
        await uow.session.flush()
        card = _view(row)
        sent, code = await _unspent_send(uow, card)
        if sent is not None:
            label = f"已{action}·{decider_name}批准 {card.result}"
            await _update(uow, card, sent, {"response_code": code, "replace_name": label})
        return card
    newer = await uow.session.scalar(
        select(AlertCard.id).where(
            AlertCard.rule == row.rule, AlertCard.warehouse == row.warehouse, AlertCard.id > row.id
        )
    )
    decided = APPROVAL_STATUS_NAMES[status] + (f"（{decider_name}）" if decider_name else "")
    row.revision += 1
    row.closed_by = row.closed_at = row.outcome = row.result = None
    row.status = SUPERSEDED if newer is not None else OPEN
    await uow.session.flush()
    card = _view(row)
    uow.record(
        approval.decided_by or "system",
        "alert.reopen",
        f"alert-card:{card.id}",
        {"request": number, "status": status},
    )
    told = f"{action}申请 {number} {decided}，未做任何更改"
    sent, code = await _unspent_send(uow, card) if newer is None else (None, "")
    if sent is None:
        then = (
            "请在最新的提醒卡片上处理"
            if newer is not None
            else "这张卡片已不能再点，请等下一次提醒或直接发送命令"
        )
        for userid in card.recipients:
            await outbox.enqueue(
                uow, "user", userid,
                outbox.text_payload(f"{card.warehouse} 提醒卡片：{told}；{then}"),
                dedupe_key=f"alert-card-reopened:{card.id}:{number}:{userid}",
            )  # fmt: skip
        return card
    drawn = dict(sent.payload["card"])
    at = re.compile(rf":{card.id}@\d+")
    drawn["buttons"] = [
        {**b, "key": at.sub(f":{card.id}@{card.revision}", b["key"], count=1)}
        for b in drawn["buttons"]
    ]
    drawn["note"] = f"{told}；卡片已恢复，可重新处理"
    await _update(uow, card, sent, {"response_code": code, "card": drawn})
    return card


async def _unspent_send(uow: UnitOfWork, card: AlertCardView) -> tuple[OutboxMessage | None, str]:
    """The card's send row and the response code it returned, while no update spent it."""
    sent = await uow.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == card_key(card))
    )
    code = str((sent.response or {}).get("response_code", "")) if sent is not None else ""
    if sent is None or not code or await outbox.exists(uow.session, _spent_key(card)):
        return None, ""
    return sent, code


async def _update(
    uow: UnitOfWork, card: AlertCardView, sent: OutboxMessage, change: dict[str, Any]
) -> None:
    userids = sent.target.split("|")
    await outbox.enqueue(
        uow, "card_update", sent.target, {"userids": userids, **change}, dedupe_key=_spent_key(card)
    )


def _spent_key(card: AlertCardView) -> str:
    return f"alert-card-send-code:{card.id}"
