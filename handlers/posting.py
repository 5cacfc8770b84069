"""Submitting a document command for a chat message and saying what came of it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core import ledger
from core.approvals import SUBJECT_NAMES
from core.common import ApprovalView, DocumentView, NeedsApproval, Posted
from core.ledger import DocumentCommand
from core.money import balance_after, balance_words
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
    reply, _ = await submitted(ctx, command)
    return reply


async def submitted(ctx: Context, command: DocumentCommand) -> tuple[Reply, str]:
    """Submit and say what came of it; also the number of what was made (the document, or
    the approval request it waits on)."""
    return await submission_reply(ctx, await ledger.submit(ctx.uow, command))


async def submission_reply(ctx: Context, result: Posted | NeedsApproval) -> tuple[Reply, str]:
    """What the submitter is told of what came of it, and the number of what was made."""
    if isinstance(result, Posted):
        reply = ctx.render(
            "documents/posted.j2",
            document=result.document,
            balances=result.balances,
            substitutions=result.substitutions,
            owed=await owed_after(ctx, result.document),
        )
        return reply, result.document.number
    return await approval_requested(ctx, result.approval), result.approval.number


async def owed_after(ctx: Context, document: DocumentView) -> tuple[str, Decimal] | None:
    """What the document's partner owes (应收) or is owed (应付) once it is booked; None: cash."""
    if document.partner is None:
        return None  # only a partner's document is booked to a receivable or payable
    owed = await balance_after(ctx.uow, document.id)
    return owed and balance_words(*owed)


async def approval_requested(ctx: Context, approval: ApprovalView) -> Reply:
    """Tell the requester it awaits approval, and send the card to the approvers (once)."""
    approvers = await approval_cards.send_request_card(ctx, approval)
    return ctx.render(
        "approvals/requested.j2",
        approval=approval,
        subject=SUBJECT_NAMES[approval.subject],
        approvers=approvers,
    )
