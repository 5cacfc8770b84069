"""Approval requests by chat: 待审批, the text fallbacks 批准/驳回/撤回, and card clicks.

Card clicks carry ``approve:<SP-number>`` or ``reject:<SP-number>``. A decision that moves a
request out of pending updates its card and tells the requester (``approval_cards``).
"""

from __future__ import annotations

from core import approvals
from core.approvals import REJECTED, SUBJECT_NAMES, Decision
from core.common import APPROVAL_STATUS_NAMES, ApprovalView, InvalidInput, Posted, PriceChanged
from handlers import approval_cards
from handlers.grammar import normalize
from handlers.render import render
from handlers.router import APPROVERS, STAFF, Context, Reply, Router

router = Router()

# Ten requests with shortened reasons stay well inside WeCom's 2048-byte text message.
SHOWN = 10


@router.command("待审批", "pending", roles=APPROVERS)
async def pending(ctx: Context, args: str) -> Reply:
    """你所管仓库里等待审批的申请。例：待审批"""
    requests = await approvals.open_requests(ctx.uow, ctx.visible_warehouses)
    shown = requests[:SHOWN]
    names = {a.requested_by: await ctx.name_of(a.requested_by) for a in shown}
    return ctx.render(
        "approvals/pending.j2",
        requests=shown,
        total=len(requests),
        names=names,
        subjects=SUBJECT_NAMES,
    )


@router.command("批准", "approve", roles=APPROVERS)
async def approve(ctx: Context, args: str) -> Reply:
    """批准申请，可附备注。例：批准 SP-20261126-0001"""
    number, note = _number_and_note(args, "批准 SP-20261126-0001")
    return await decide(ctx, number, approve=True, note=note)


@router.command("驳回", "reject", roles=APPROVERS)
async def reject(ctx: Context, args: str) -> Reply:
    """驳回申请并写明原因。例：驳回 SP-20261126-0001 数量不对"""
    number, note = _number_and_note(args, "驳回 SP-20261126-0001 数量不对")
    current = await approvals.load_view(ctx.uow, number)
    if note and current.status == REJECTED and current.decided_by == ctx.user.userid:
        approval = await approvals.explain_rejection(ctx.uow, number, ctx.user.userid, note)
        text = _outcome(approval, None, ctx.user.name)
        await approval_cards.tell_requester(ctx, approval, text, "reason")
        return ctx.render("approvals/reason_added.j2", approval=approval)
    return await decide(ctx, number, approve=False, note=note)


@router.command("撤回", "cancel", roles=STAFF)
async def withdraw(ctx: Context, args: str) -> Reply:
    """撤回自己提交、还没审批的申请。例：撤回 SP-20261126-0001"""
    number, _ = _number_and_note(args, "撤回 SP-20261126-0001")
    approval = await approvals.cancel(ctx.uow, number, ctx.user.userid)
    await approvals.update_cards(ctx.uow, approval, ctx.user.name)
    return ctx.render(
        "approvals/cancelled.j2", approval=approval, subject=SUBJECT_NAMES[approval.subject]
    )


@router.card(approval_cards.APPROVE)
async def approve_clicked(ctx: Context, target: str) -> Reply:
    return await _clicked(ctx, target, approve=True)


@router.card(approval_cards.REJECT)
async def reject_clicked(ctx: Context, target: str) -> Reply:
    return await _clicked(ctx, target, approve=False)


async def _clicked(ctx: Context, target: str, *, approve: bool) -> Reply:
    """A button's subject is ``<number>@<revision>`` (the card's revision of the request)."""
    number, _, revision = target.partition("@")
    if not number or not (revision or "0").isdigit():
        return ctx.render("errors/unknown_click.j2")
    return await decide(ctx, number, approve=approve, note="", revision=int(revision or 0))


async def decide(
    ctx: Context, number: str, *, approve: bool, note: str, revision: int | None = None
) -> Reply:
    decision = await approvals.decide(
        ctx.uow, number, ctx.user.userid, approve=approve, note=note, revision=revision
    )
    if decision.refreshed:
        await approval_cards.refresh_request_card(ctx, decision.approval, decision.what_changed)
    elif decision.changed:
        text = _outcome(decision.approval, decision.outcome, ctx.user.name, decision.what_changed)
        await approval_cards.announce(ctx, decision, text)
    requester = await ctx.name_of(decision.approval.requested_by)
    return ctx.render("approvals/decided.j2", requester=requester, **_decision_values(decision))


def _outcome(
    approval: ApprovalView,
    outcome: Posted | PriceChanged | None,
    decider: str,
    what_changed: str = "",
) -> str:
    """What the requester is told: the outcome, who decided, the resulting numbers, and what
    changed since the request."""
    return render(
        "approvals/outcome.j2",
        approval=approval,
        subject=SUBJECT_NAMES[approval.subject],
        status=APPROVAL_STATUS_NAMES[approval.status],
        decider=decider,
        posted=outcome if isinstance(outcome, Posted) else None,
        price=outcome if isinstance(outcome, PriceChanged) else None,
        what_changed=what_changed,
    )


def _decision_values(decision: Decision) -> dict[str, object]:
    outcome = decision.outcome
    return {
        "approval": decision.approval,
        "subject": SUBJECT_NAMES[decision.approval.subject],
        "refusal": decision.refusal,
        "what_changed": decision.what_changed,
        "posted": outcome if isinstance(outcome, Posted) else None,
        "price": outcome if isinstance(outcome, PriceChanged) else None,
    }


def _number_and_note(args: str, example: str) -> tuple[str, str]:
    words = normalize(args).split()
    if not words:
        raise InvalidInput(f"缺少审批编号，例如：{example}")
    return words[0].upper(), " ".join(words[1:])
