"""Submitting a document command for a chat message and saying what came of it."""

from __future__ import annotations

from typing import Any

from core import ledger
from core.approvals import SUBJECT_NAMES
from core.ledger import DocumentCommand
from core.money import SIDE_NAMES, balance_after
from core.views import ApprovalView, Posted
from handlers import approval_cards
from handlers.grammar import Request
from handlers.router import Context, Reply


def header(ctx: Context, request: Request, warehouse_option: str = "仓库") -> dict[str, Any]:
    """The fields every document command of a message shares."""
    return {
        "warehouse": request.options.get(warehouse_option, ctx.warehouse),
        "actor": ctx.user.userid,
        "note": request.note,
        "idempotency_key": ctx.key(),
    }


async def submit(ctx: Context, command: DocumentCommand) -> Reply:
    result = await ledger.submit(ctx.uow, command)
    if isinstance(result, Posted):
        owed = await balance_after(ctx.uow, result.document.id)
        return ctx.render(
            "documents/posted.j2",
            document=result.document,
            balances=result.balances,
            substitutions=result.substitutions,
            owed=owed and (SIDE_NAMES[owed[0]], owed[1]),
        )
    return await approval_requested(ctx, result.approval)


async def approval_requested(ctx: Context, approval: ApprovalView) -> Reply:
    """Tell the requester it awaits approval, and send the card to the approvers (once)."""
    approvers = await approval_cards.send_request_card(ctx, approval)
    return ctx.render(
        "approvals/requested.j2",
        approval=approval,
        subject=SUBJECT_NAMES[approval.subject],
        approvers=approvers,
    )
