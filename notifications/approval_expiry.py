"""When requests expire unanswered: grey out their cards and tell each requester."""

from __future__ import annotations

from core import approvals
from core.approvals import SUBJECT_NAMES
from core.common import ApprovalView
from core.messaging import outbox
from core.storage import UnitOfWork
from notifications.render import render


async def announce_expired(uow: UnitOfWork, expired: list[ApprovalView]) -> None:
    for approval in expired:
        await approvals.update_cards(uow, approval, "")
        text = render(
            "approval_expired.j2",
            tz=uow.tz,
            approval=approval,
            subject=SUBJECT_NAMES[approval.subject],
        )
        await outbox.enqueue(
            uow,
            "user",
            approval.requested_by,
            outbox.text_payload(text),
            dedupe_key=f"approval-outcome:{approval.number}",
        )
