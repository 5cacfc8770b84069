"""Outbox rows that keep approval cards in step with their request.

One card per request goes to every approver of its warehouse; its outbox row is found by
``card_key``. When the request is decided, expires or is withdrawn, the card's buttons are
replaced by the outcome (``update_template_card``). WeCom accepts each response code once:
a click brings a fresh one; otherwise the code the card's send returned is used. A request
made from an alert card's 报损 or 调拨 button takes that card along (``alert_cards``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.common import APPROVAL_STATUS_NAMES, ApprovalView
from core.messaging import alert_cards, outbox
from core.storage import OutboxMessage, UnitOfWork


def card_key(number: str) -> str:
    return f"approval-card:{number}"


async def update_cards(
    uow: UnitOfWork, approval: ApprovalView, decider_name: str, response_code: str = ""
) -> bool:
    """Queue the card update showing the outcome; False when the card was never delivered."""
    await alert_cards.follow_request(uow, approval, decider_name)
    card, code = await _card_and_code(uow, approval.number, response_code)
    if card is None:
        return False
    label = APPROVAL_STATUS_NAMES[approval.status]
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


async def refresh_cards(
    uow: UnitOfWork, number: str, fresh: dict[str, Any], response_code: str, key: str
) -> bool:
    """Queue replacing the request's card by ``fresh`` (today's numbers, buttons kept).

    ``key`` tells refreshes of one request apart (the message that caused each).
    """
    card, code = await _card_and_code(uow, number, response_code)
    if card is None:
        return False
    await outbox.enqueue(
        uow,
        "card_update",
        card.target,
        {"userids": card.target.split("|"), "response_code": code, "card": fresh},
        dedupe_key=key,
    )
    return True


async def _card_and_code(
    uow: UnitOfWork, number: str, response_code: str
) -> tuple[OutboxMessage | None, str]:
    """The request's card row and a response code to update it with (None: cannot)."""
    card = await uow.session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == card_key(number))
    )
    if card is None:
        return None, ""
    code = response_code or (card.response or {}).get("response_code", "")
    return (card, code) if code else (None, "")
