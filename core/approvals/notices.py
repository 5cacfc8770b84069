"""Outbox rows that keep approval cards in step with their request.

One card per request goes to every approver of its warehouse; its outbox row is found by
``card_key``. When the request is decided, expires or is withdrawn, the card's buttons are
replaced by the outcome (``update_template_card``). WeCom accepts each response code once:
a click brings a fresh one; otherwise the code the card's send returned is used.
"""

from __future__ import annotations

from sqlalchemy import select

from core.messaging import outbox
from core.storage import OutboxMessage, UnitOfWork
from core.views import ApprovalView

OUTCOME_LABELS = {
    "approved": "已批准",
    "rejected": "已驳回",
    "expired": "已过期",
    "conflicted": "已冲突",
    "cancelled": "已撤回",
}


def card_key(number: str) -> str:
    return f"approval-card:{number}"


async def update_cards(
    uow: UnitOfWork, approval: ApprovalView, decider_name: str, response_code: str = ""
) -> bool:
    """Queue the card update showing the outcome; False when the card was never delivered."""
    card = await uow.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == card_key(approval.number))
    )
    if card is None:
        return False
    code = response_code or (card.response or {}).get("response_code", "")
    if not code:
        return False
    label = OUTCOME_LABELS[approval.status]
    if decider_name and approval.status in ("approved", "rejected"):
        label = f"{label}·{decider_name}"
    await outbox.enqueue(
        uow,
        "card_update",
        card.target,
        {"userids": card.target.split("|"), "response_code": code, "replace_name": label},
        dedupe_key=f"approval-card-update:{approval.number}",
    )
    return True
