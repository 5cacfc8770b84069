"""The two-step state machine (DESIGN §5): pending → approved | rejected | expired |
conflicted | cancelled. A decision is taken once, by someone other than the requester.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core import catalog, ledger
from core.approvals import pending, prices, records
from core.approvals.records import PENDING, approval_view
from core.doctypes import DocStatus
from core.errors import ApprovalError, PermissionDenied
from core.ledger.documents_view import load_document
from core.storage import Approval, UnitOfWork
from core.views import ApprovalView, Posted, PriceChanged

APPROVED, REJECTED, EXPIRED = "approved", "rejected", "expired"
CONFLICTED, CANCELLED = "conflicted", "cancelled"
STATUS_NAMES = {
    PENDING: "待审批",
    APPROVED: "已批准",
    REJECTED: "已驳回",
    EXPIRED: "已过期",
    CONFLICTED: "已冲突",
    CANCELLED: "已撤回",
}
DOCUMENT_STATUS = {
    REJECTED: DocStatus.REJECTED,
    EXPIRED: DocStatus.EXPIRED,
    CONFLICTED: DocStatus.CONFLICTED,
    CANCELLED: DocStatus.CANCELLED,
}


@dataclass(frozen=True)
class Decision:
    """What a click or text decision did. ``refusal`` says why nothing was applied."""

    approval: ApprovalView
    outcome: Posted | PriceChanged | None = None
    refusal: str | None = None
    # True when this call moved the request out of pending (cards and requester to tell).
    changed: bool = True


async def decide(
    uow: UnitOfWork, number: str, decider: str, *, approve: bool, note: str = ""
) -> Decision:
    approval = await records.load(uow, number, lock=True)
    if approval.status != PENDING:
        return Decision(approval_view(approval), refusal=_already_decided(approval), changed=False)
    await _check_decider(uow, approval, decider)
    if uow.now() >= approval.expires_at:
        await _close(uow, approval, EXPIRED, "system", "")
        return Decision(approval_view(approval), refusal="该申请已过期，未做任何更改")
    if not approve:
        await _close(uow, approval, REJECTED, decider, note)
        return Decision(approval_view(approval))
    if await _changed_since_request(uow, approval):
        await _close(uow, approval, CONFLICTED, decider, "申请后数据已被修改")
        return Decision(
            approval_view(approval),
            refusal="申请提交后相关库存或价格已被修改，申请已作废，请重新提交",
        )
    outcome = await _apply(uow, approval, decider)
    await _close(uow, approval, APPROVED, decider, note)
    return Decision(approval_view(approval), outcome=outcome)


async def explain_rejection(uow: UnitOfWork, number: str, decider: str, note: str) -> ApprovalView:
    """The manager who rejected a request (say, by card) adds the reason afterwards."""
    approval = await records.load(uow, number, lock=True)
    if approval.status != REJECTED or approval.decided_by != decider:
        raise ApprovalError(_already_decided(approval))
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
        raise ApprovalError(_already_decided(approval))
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
            await _close(uow, approval, EXPIRED, "system", "")
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


async def _changed_since_request(uow: UnitOfWork, approval: Approval) -> bool:
    if approval.item is not None:
        return prices.item_changed_since(approval.item, approval)
    assert approval.document is not None
    document = await load_document(uow, approval.document.number, lock=True)
    if document.version != approval.seen_versions.get("document"):
        return True
    return await pending.balances_changed_since(uow, approval.seen_versions)


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
        approval.document.status = DOCUMENT_STATUS[status]
    await uow.session.flush()
    uow.record(
        actor,
        f"approval.{status}",
        f"approval:{approval.number}",
        {"subject": approval.subject, "note": note},
    )


def _already_decided(approval: Approval) -> str:
    who = f"（{approval.decided_by}）" if approval.decided_by else ""
    return f"申请 {approval.number} {STATUS_NAMES[approval.status]}{who}，本次操作未做任何更改"
