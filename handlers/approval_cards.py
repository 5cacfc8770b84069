"""The 批准/驳回 card a request sends to its approvers, and what a decision tells people."""

from __future__ import annotations

from dataclasses import replace

from core import approvals, catalog
from core.approvals import SUBJECT_NAMES, Decision
from core.common import APPROVER_ROLES, ApprovalView, money
from core.messaging import outbox
from handlers.cards import Card, CardButton
from handlers.router import Context, bounded_key
from rendering import local_time

MAX_ROWS = 6
MAX_NOTE = 120
# The outbox dedupe key column is 200 characters.
MAX_KEY = 200
APPROVE, REJECT = "approve", "reject"


async def send_request_card(ctx: Context, approval: ApprovalView) -> list[str]:
    """Send the card to every approver but the requester; returns their names."""
    approvers = [
        user
        for user in await catalog.users_with_roles(ctx.uow, approval.warehouse, APPROVER_ROLES)
        if user.userid != approval.requested_by
    ]
    if approvers:
        card = request_card(approval, await ctx.name_of(approval.requested_by), ctx)
        await outbox.enqueue(
            ctx.uow,
            "user",
            "|".join(user.userid for user in approvers),
            card.to_payload(),
            dedupe_key=approvals.card_key(approval.number),
        )
    return [user.name for user in approvers]


async def refresh_request_card(ctx: Context, approval: ApprovalView, changed: str) -> None:
    """Show every approver the request with today's numbers, still to be decided."""
    card = request_card(approval, await ctx.name_of(approval.requested_by), ctx)
    fresh = replace(card, note=f"已按最新数据更新：{changed}"[:MAX_NOTE])
    response_code = ctx.inbound.response_code if ctx.inbound.kind == "card_click" else ""
    key = bounded_key(f"approval-card-refresh:{approval.number}:{ctx.inbound.key}", MAX_KEY)
    await approvals.refresh_cards(
        ctx.uow, approval.number, fresh.to_payload()["card"], response_code, key
    )


def request_card(approval: ApprovalView, requester: str, ctx: Context) -> Card:
    rows = [("申请人", requester), ("仓库", approval.warehouse), *_change_rows(approval)]
    rows.append(("有效至", local_time(approval.expires_at, ctx.uow.tz)))
    # The request time makes the task id unique even if a fresh database reuses numbers.
    stamp = int(approval.requested_at.timestamp())
    return Card(
        task_id=f"{approval.number}-{stamp}",
        title=f"{SUBJECT_NAMES[approval.subject]}审批 {approval.number}",
        description=approval.reason,
        rows=tuple(rows),
        buttons=(
            CardButton("批准", button_key(APPROVE, approval), 1),
            CardButton("驳回", button_key(REJECT, approval), 2),
        ),
    )


def _change_rows(approval: ApprovalView) -> list[tuple[str, str]]:
    """The changes and the document, in the rows a card has left (WeCom shows six); what does
    not fit is counted, with where to read it all, so nobody approves lines they never saw."""
    room = MAX_ROWS - 3
    rows = [(change.label, f"{change.before} → {change.after}") for change in approval.changes]
    document = approval.document
    if document is None:
        return rows[:room]
    if len(rows) >= room:
        left = len(rows) - room + 1
        return [*rows[: room - 1], (f"另有 {left} 项", f"看全部请发：单据 {document.number}")]
    amount = f" {money(document.total)}" if document.priced else ""
    return [*rows, ("单据", f"{document.number}{amount}")]


def button_key(action: str, approval: ApprovalView) -> str:
    """``approve:SP-…``; a refreshed request's cards add ``@revision``, so a click on a card
    drawn before the refresh is known for what it is."""
    key = f"{action}:{approval.number}"
    return f"{key}@{approval.revision}" if approval.revision else key


async def announce(ctx: Context, decision: Decision, text: str) -> None:
    """Update the request's card and tell the requester, once per decision."""
    approval = decision.approval
    response_code = ctx.inbound.response_code if ctx.inbound.kind == "card_click" else ""
    await approvals.update_cards(ctx.uow, approval, ctx.user.name, response_code)
    await tell_requester(ctx, approval, text, "outcome")


async def tell_requester(ctx: Context, approval: ApprovalView, text: str, topic: str) -> None:
    """One message per request and topic (the outcome; a rejection reason added later)."""
    await outbox.enqueue(
        ctx.uow,
        "user",
        approval.requested_by,
        outbox.text_payload(text),
        dedupe_key=f"approval-{topic}:{approval.number}",
    )
