"""Approval requests as records: opening one, loading one, and showing it as a plain view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload

from core.common import APPROVAL_PREFIX, ApprovalView, Change, NotFound
from core.ledger.documents_view import DOCUMENT_LOAD, document_view
from core.ledger.numbering import next_number
from core.storage import Approval, Document, Item, UnitOfWork, Warehouse

PENDING = "pending"
_NUMBER_BY_KEY = select(Approval.number).where(Approval.idempotency_key == bindparam("key"))
APPROVAL_LOAD = (
    selectinload(Approval.warehouse),
    selectinload(Approval.item),
    selectinload(Approval.document).options(*DOCUMENT_LOAD),
)

SUBJECT_NAMES = {
    "price_change": "调价",
    "negative_stock": "负库存销售",
    "expired_batch": "出售过期批次",
    "clerk_return": "退货/负数销售",
    "writeoff": "报损",
    "adjustment": "库存调整",
    "count_variance": "盘点差异",
    "price_below_list": "低于价目价销售",
    "price_below_cost": "低于成本销售",
    "credit_limit": "超信用额度",
    "issue": "领用",
    "substitution": "原料替代",
    "over_receipt": "超量收货",
}


async def open_request(
    uow: UnitOfWork,
    *,
    subject: str,
    warehouse: Warehouse,
    requested_by: str,
    reason: str,
    changes: Sequence[Change],
    seen_versions: dict[str, Any],
    document: Document | None = None,
    item: Item | None = None,
    payload: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> ApprovalView:
    now = uow.now()
    approval = Approval(
        number=await next_number(uow, APPROVAL_PREFIX),
        subject=subject,
        status=PENDING,
        warehouse_id=warehouse.id,
        document_id=None if document is None else document.id,
        item_id=None if item is None else item.id,
        payload={
            **(payload or {}),
            "changes": [[c.label, c.before, c.after] for c in changes],
        },
        seen_versions=seen_versions,
        reason=reason,
        requested_by=requested_by,
        requested_at=now,
        expires_at=now + timedelta(hours=uow.settings.approval_ttl_hours),
        idempotency_key=idempotency_key,
    )
    uow.session.add(approval)
    await uow.session.flush()
    uow.record(
        requested_by,
        "approval.request",
        f"approval:{approval.number}",
        {"subject": subject, "reason": reason, "document": document and document.number},
    )
    return await load_view(uow, approval.number)


async def load(uow: UnitOfWork, number: str, *, lock: bool = False) -> Approval:
    statement = select(Approval).where(Approval.number == number.strip().upper())
    if lock:
        statement = statement.with_for_update(of=Approval)
    approval = await uow.session.scalar(
        statement.options(*APPROVAL_LOAD).execution_options(populate_existing=True)
    )
    if approval is None:
        raise NotFound(f"没有编号为 {number} 的审批申请")
    return approval


async def load_view(uow: UnitOfWork, number: str) -> ApprovalView:
    return approval_view(await load(uow, number))


def approval_view(approval: Approval) -> ApprovalView:
    changes = tuple(Change(*row) for row in approval.payload.get("changes", []))
    return ApprovalView(
        id=approval.id,
        number=approval.number,
        subject=approval.subject,
        status=approval.status,
        warehouse=approval.warehouse.code,
        requested_by=approval.requested_by,
        requested_at=approval.requested_at,
        expires_at=approval.expires_at,
        reason=approval.reason,
        changes=changes,
        document=None if approval.document is None else document_view(approval.document),
        decided_by=approval.decided_by,
        decided_at=approval.decided_at,
        decision_note=approval.decision_note,
        seen_versions=approval.seen_versions,
        revision=int(approval.payload.get("revision", 0)),
    )


async def by_idempotency_key(uow: UnitOfWork, key: str) -> ApprovalView | None:
    number = await uow.session.scalar(_NUMBER_BY_KEY, {"key": key})
    return None if number is None else await load_view(uow, number)


async def open_requests(uow: UnitOfWork, warehouses: Sequence[str] | None) -> list[ApprovalView]:
    """Pending requests, oldest first; ``None`` means every warehouse."""
    statement = select(Approval).where(Approval.status == PENDING).order_by(Approval.id)
    if warehouses is not None:
        statement = statement.join(Warehouse).where(Warehouse.code.in_(warehouses))
    rows = await uow.session.scalars(statement.options(*APPROVAL_LOAD))
    return [approval_view(a) for a in rows]
