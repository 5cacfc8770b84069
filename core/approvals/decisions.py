"""The two-step state machine (DESIGN §5): pending → approved | rejected | expired |
conflicted | cancelled. A decision is taken once, by someone other than the requester.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core import catalog, ledger
from core.approvals import prices, records
from core.approvals.recheck import recheck
from core.approvals.records import PENDING, approval_view
from core.common import (
    APPROVAL_STATUS_NAMES,
    ApprovalError,
    ApprovalView,
    DocStatus,
    PermissionDenied,
    Posted,
    PriceChanged,
)
from core.storage import Approval, UnitOfWork

APPROVED, REJECTED, EXPIRED = "approved", "rejected", "expired"
CONFLICTED, CANCELLED = "conflicted", "cancelled"
DOCUMENT_STATUS = {
    REJECTED: DocStatus.REJECTED,
    EXPIRED: DocStatus.EXPIRED,
    CONFLICTED: DocStatus.CONFLICTED,
    CANCELLED: DocStatus.CANCELLED,
}

# Who closes a request that expired.
SYSTEM = "system"


@dataclass(frozen=True)
class Decision:
    """What a click or text decision did. ``refusal`` says why nothing was applied."""

    approval: ApprovalView
    outcome: Posted | PriceChanged | None = None
    refusal: str | None = None
    # True when this call moved the request out of pending (cards and requester to tell).
    changed: bool = True
    # True when the request was rewritten with today's numbers and awaits a new decision.
    refreshed: bool = False
    # What changed since the request was made ("" when nothing it shows did).
    what_changed: str = ""


async def decide(
    uow: UnitOfWork,
    number: str,
    decider: str,
    *,
    approve: bool,
    note: str = "",
    revision: int | None = None,
) -> Decision:
    """Approve or reject a request. ``revision`` is that of the card clicked (None for a
    typed decision): an approval from a card showing numbers since refreshed is not taken.
    """
    approval = await records.load(uow, number, lock=True)
    if approval.status != PENDING:
        return Decision(
            approval_view(approval), refusal=await _already_decided(uow, approval), changed=False
        )
    await _check_decider(uow, approval, decider)
    if uow.now() >= approval.expires_at:
        await _close(uow, approval, EXPIRED, SYSTEM, "")
        return Decision(approval_view(approval), refusal="该申请已过期，未做任何更改")
    if not approve:
        await _close(uow, approval, REJECTED, decider, note)
        return Decision(approval_view(approval))
    current = approval_view(approval)
    if revision is not None and revision != current.revision:
        return Decision(current, refusal=_stale_card(current), changed=False)
    check = await recheck(uow, approval)
    if check.verdict == "void":
        await _close(uow, approval, CONFLICTED, decider, f"申请后{check.changed}，{check.why}")
        return Decision(
            approval_view(approval),
            refusal=f"申请提交后{check.changed}，{check.why}。申请已作废，请重新提交",
            what_changed=check.changed,
        )
    if check.verdict == "refresh":
        approval.payload = {**approval.payload, "revision": current.revision + 1}
        await uow.session.flush()
        uow.record(
            decider,
            "approval.refresh",
            f"approval:{approval.number}",
            {"changed": check.changed, "changes": approval.payload["changes"]},
        )
        view = approval_view(approval)
        return Decision(
            view,
            refusal=_refreshed(view, check.changed),
            changed=False,
            refreshed=True,
            what_changed=check.changed,
        )
    outcome = await _apply(uow, approval, decider)
    await _close(uow, approval, APPROVED, decider, note)
    return Decision(approval_view(approval), outcome=outcome, what_changed=check.changed)


def _stale_card(approval: ApprovalView) -> str:
    now = "；".join(f"{c.label}：{c.before} → {c.after}" for c in approval.changes)
    return (
        f"申请 {approval.number} 的数据已更新（{now}），你点的是更新前的卡片，未做任何更改；"
        "请在更新后的卡片上重新决定"
    )


def _refreshed(approval: ApprovalView, changed: str) -> str:
    now = "；".join(f"{c.label}：{c.before} → {c.after}" for c in approval.changes)
    return (
        f"申请提交后{changed}。申请 {approval.number} 已按最新数据更新（{now}），"
        "未做任何更改；请按新数据重新决定"
    )


async def explain_rejection(uow: UnitOfWork, number: str, decider: str, note: str) -> ApprovalView:
    """The manager who rejected a request (say, by card) adds the reason afterwards."""
    approval = await records.load(uow, number, lock=True)
    if approval.status != REJECTED or approval.decided_by != decider:
        raise ApprovalError(await _already_decided(uow, approval))
    if approval.decision_note:
        raise ApprovalError(f"申请 {approval.number} 已写明驳回原因：{approval.decision_note}")
    approval.decision_note = note
    await uow.session.flush()
    uow.record(decider, "approval.reason", f"approval:{approval.number}", {"note": note})
    return approval_view(approval)


async def cancel(uow: UnitOfWork, number: str, actor: str) -> ApprovalView:
    approval = await records.load(uow, number, lock=True)
    if approval.requested_by != actor:
        raise PermissionDenied("只有申请人本人可以撤回申请")
    if approval.status != PENDING:
        raise ApprovalError(await _already_decided(uow, approval))
    await _close(uow, approval, CANCELLED, actor, "")
    return approval_view(approval)


async def expire_due(uow: UnitOfWork) -> list[ApprovalView]:
    """Mark every pending request past its expiry as expired (run by the scheduler)."""
    numbers = await uow.session.scalars(
        select(Approval.number).where(Approval.status == PENDING, Approval.expires_at <= uow.now())
    )
    expired = []
    for number in list(numbers):
        approval = await records.load(uow, number, lock=True)
        if approval.status == PENDING:
            await _close(uow, approval, EXPIRED, SYSTEM, "")
            expired.append(approval_view(approval))
    return expired


async def _check_decider(uow: UnitOfWork, approval: Approval, decider: str) -> None:
    if decider == approval.requested_by:
        raise PermissionDenied("不能审批自己提交的申请，请由其他店长或管理员审批")
    user = await catalog.find_user(uow, decider)
    if user is None or not user.active or not user.is_approver:
        raise PermissionDenied("只有店长或管理员可以审批")
    if not user.can_act_in(approval.warehouse.code):
        raise PermissionDenied(f"你不是仓库 {approval.warehouse.code} 的店长，不能审批此申请")


async def _apply(uow: UnitOfWork, approval: Approval, decider: str) -> Posted | PriceChanged:
    if approval.item is not None:
        return await prices.apply_price_change(uow, approval, decider)
    assert approval.document is not None
    return await ledger.post_pending(uow, approval.document.number, decider)


async def _close(uow: UnitOfWork, approval: Approval, status: str, actor: str, note: str) -> None:
    approval.status = status
    approval.decided_by = actor
    approval.decided_at = uow.now()
    approval.decision_note = note
    if approval.document is not None and status in DOCUMENT_STATUS:
        await ledger.release_reservation(uow, approval.document)
        approval.document.status = DOCUMENT_STATUS[status]
        # An order that counted the document as shipped or received takes it back. Imported
        # here: orders stand on the ledger, which opens approvals when it loads.
        from core import orders

        await orders.release(uow, approval.document)
    await uow.session.flush()
    uow.record(
        actor,
        f"approval.{status}",
        f"approval:{approval.number}",
        {"subject": approval.subject, "note": note},
    )


async def _already_decided(uow: UnitOfWork, approval: Approval) -> str:
    """Who decided is named as staff know them (李姐), not by WeCom userid; an expiry has no one."""
    decided_by = approval.decided_by
    decider = await catalog.find_user(uow, decided_by) if decided_by else None
    name = decider.name if decider is not None else decided_by
    who = f"（{name}）" if name and name != SYSTEM else ""
    status = APPROVAL_STATUS_NAMES[approval.status]
    return f"申请 {approval.number} {status}{who}，本次操作未做任何更改"
