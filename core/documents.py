"""Submitting stock documents: validate, plan, then post at once or open an approval.

``submit`` never leaves a half-posted document: it is either posted with all its moves, or
stored as ``pending`` with no moves and an approval request, or refused with nothing written.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from core import approval_store, batches, catalog, ledger, pending, staff
from core.commands import DocumentCommand, ReturnSale, Transfer
from core.doctypes import DOC_PREFIX, DocStatus, DocType, Role
from core.documents_view import document_view, load_document
from core.errors import ConcurrencyConflict, InvalidInput, NotFound, PermissionDenied
from core.models import Batch, Document, DocumentLine, StockBalance, Warehouse
from core.numbering import next_number
from core.planning import Allowances, Plan, PlanLine, Planner, plan_lines
from core.policy import Reason, WarehousePolicy, approval_reasons
from core.uow import UnitOfWork
from core.validation import resolve_lines
from core.views import BalanceView, NeedsApproval, Posted

PARTNER_KIND = {
    DocType.RECEIPT: "supplier",
    DocType.PURCHASE_RETURN: "supplier",
    DocType.SALE: "customer",
    DocType.SALES_RETURN: "customer",
}


async def submit(
    uow: UnitOfWork, cmd: DocumentCommand, *, enforce_policy: bool = True
) -> Posted | NeedsApproval:
    """Post ``cmd`` or open an approval for it. ``enforce_policy=False`` is for history imports."""
    if cmd.idempotency_key and (replay := await replay_of(uow, cmd.idempotency_key)):
        return replay
    warehouse = await catalog.warehouse_by_code(uow, cmd.warehouse)
    role = await _actor_role(uow, cmd, warehouse) if enforce_policy else Role.ADMIN
    to_warehouse = await _destination(uow, cmd, warehouse)
    lines = await resolve_lines(uow, cmd)
    original = await _original_sale(uow, cmd, warehouse)
    pairs = {(line.item.id, warehouse.id) for line in lines}
    if to_warehouse is not None:
        pairs |= {(line.item.id, to_warehouse.id) for line in lines}
    balances = await batches.locked_balances(uow, pairs)
    policy = WarehousePolicy.of(warehouse, uow.settings)
    allow = Allowances(
        negative=not enforce_policy or policy.negative_stock == "allow",
        expired=not enforce_policy,
    )
    return_batches = await _return_batches(uow, original, lines)
    plan = await plan_lines(
        Planner(uow, cmd.doc_type, balances, allow), lines, warehouse, to_warehouse, return_batches
    )
    reasons = (
        approval_reasons(cmd.doc_type, role, any(ln.qty < 0 for ln in lines), plan, policy)
        if enforce_policy
        else []
    )
    document = await _create_document(uow, cmd, warehouse, to_warehouse, original, lines, reasons)
    if reasons:
        await uow.session.flush()
        approval = await approval_store.open_request(
            uow,
            subject=reasons[0].subject,
            warehouse=warehouse,
            requested_by=cmd.actor,
            reason="；".join(r.text for r in reasons),
            changes=pending.stock_changes(plan, balances),
            seen_versions=pending.seen_versions(document, balances),
            document=document,
            idempotency_key=cmd.idempotency_key,
        )
        return NeedsApproval(approval)
    return await _post(uow, document, plan, balances, cmd.actor)


async def post_pending(uow: UnitOfWork, number: str, decided_by: str) -> Posted:
    """Post a pending document after approval: shortfalls and expired batches now allowed."""
    document = await load_document(uow, number, lock=True)
    lines = [
        PlanLine(line.line_no, line.item, line.qty, line.price, line.lot, line.expiry)
        for line in document.lines
    ]
    pairs = {(line.item.id, document.warehouse_id) for line in lines}
    if document.to_warehouse_id is not None:
        pairs |= {(line.item.id, document.to_warehouse_id) for line in lines}
    balances = await batches.locked_balances(uow, pairs)
    original = None
    if document.original_number:
        original = await load_document(uow, document.original_number)
    plan = await plan_lines(
        Planner(uow, DocType(document.type), balances, Allowances(negative=True, expired=True)),
        lines,
        document.warehouse,
        document.to_warehouse,
        await _return_batches(uow, original, lines),
    )
    return await _post(uow, document, plan, balances, decided_by)


async def replay_of(uow: UnitOfWork, key: str) -> Posted | NeedsApproval | None:
    """The first result of an idempotency key, if that request was already taken."""
    number = await uow.session.scalar(
        select(Document.number).where(Document.idempotency_key == key)
    )
    if number is None:
        approval = await approval_store.by_idempotency_key(uow, key)
        return None if approval is None else NeedsApproval(approval, replayed=True)
    document = await load_document(uow, number)
    if document.status == DocStatus.POSTED and document.result is not None:
        stored = tuple(
            BalanceView(row[0], row[1], row[2], row[3], Decimal(row[4]))
            for row in document.result["balances"]
        )
        return Posted(document_view(document), stored, replayed=True)
    approval = await approval_store.by_idempotency_key(uow, key)
    if approval is None:
        raise NotFound(f"单据 {number} 没有对应的审批")
    return NeedsApproval(approval, replayed=True)


async def _post(
    uow: UnitOfWork,
    document: Document,
    plan: Plan,
    balances: dict[tuple[int, int], list[StockBalance]],
    actor: str,
) -> Posted:
    posted_at = document.posted_at or uow.now()
    line_rows = {line.line_no: line for line in document.lines}
    result = ledger.apply_plan(uow, document, line_rows, plan, balances, posted_at, actor)
    document.status = DocStatus.POSTED
    document.posted_at = posted_at
    document.result = {
        "balances": [[b.sku, b.name, b.unit, b.warehouse, str(b.qty)] for b in result]
    }
    try:
        await uow.session.flush()
    except StaleDataError as error:
        raise ConcurrencyConflict(str(error)) from error
    uow.record(
        actor,
        "document.post",
        f"document:{document.number}",
        {
            "type": document.type,
            "warehouse": document.warehouse.code,
            "lines": [[ln.item.sku, str(ln.qty)] for ln in document.lines],
            "moves": len(plan.moves),
        },
    )
    return Posted(document_view(document), result)


async def _actor_role(uow: UnitOfWork, cmd: DocumentCommand, warehouse: Warehouse) -> Role:
    user = await staff.find_user(uow, cmd.actor)
    if user is None or not user.active:
        raise PermissionDenied("你还没有开通 JXC Bot 权限，请联系管理员开通")
    if user.role is Role.AUDITOR:
        raise PermissionDenied("审计角色只能查看，不能登记单据")
    if not user.can_act_in(warehouse.code):
        raise PermissionDenied(f"你没有仓库 {warehouse.code} 的权限，请联系管理员")
    return user.role


async def _destination(
    uow: UnitOfWork, cmd: DocumentCommand, warehouse: Warehouse
) -> Warehouse | None:
    if not isinstance(cmd, Transfer):
        return None
    destination = await catalog.warehouse_by_code(uow, cmd.to_warehouse)
    if destination.id == warehouse.id:
        raise InvalidInput("调出和调入不能是同一个仓库，例如：调拨 可乐 5 从 MAIN 到 B1")
    return destination


async def _original_sale(
    uow: UnitOfWork, cmd: DocumentCommand, warehouse: Warehouse
) -> Document | None:
    if not isinstance(cmd, ReturnSale) or not cmd.original_number:
        return None
    original = await load_document(uow, cmd.original_number)
    if original.type != DocType.SALE or original.status != DocStatus.POSTED:
        raise InvalidInput(f"原单 {original.number} 不是已过账的销售单")
    if original.warehouse_id != warehouse.id:
        raise InvalidInput(f"原单 {original.number} 属于仓库 {original.warehouse.code}")
    return original


async def _return_batches(
    uow: UnitOfWork, original: Document | None, lines: list[PlanLine]
) -> dict[int, Batch]:
    if original is None:
        return {}
    found: dict[int, Batch] = {}
    for line in lines:
        batch = await batches.batch_sold_in(uow, original.id, line.item.id)
        if batch is None:
            raise InvalidInput(f"原单 {original.number} 中没有 {line.item.name}")
        found[line.item.id] = batch
    return found


async def _create_document(
    uow: UnitOfWork,
    cmd: DocumentCommand,
    warehouse: Warehouse,
    to_warehouse: Warehouse | None,
    original: Document | None,
    lines: list[PlanLine],
    reasons: list[Reason],
) -> Document:
    kind = PARTNER_KIND.get(cmd.doc_type)
    partner = await catalog.partner_named(uow, kind, cmd.partner) if kind else None
    document = Document(
        number=cmd.number or await next_number(uow, DOC_PREFIX[cmd.doc_type]),
        type=cmd.doc_type.value,
        status=DocStatus.PENDING if reasons else DocStatus.POSTED,
        warehouse=warehouse,
        to_warehouse=to_warehouse,
        partner=partner,
        created_by=cmd.actor,
        created_at=cmd.posted_at or uow.now(),
        posted_at=cmd.posted_at,
        idempotency_key=cmd.idempotency_key,
        original_number=None if original is None else original.number,
        note=cmd.note,
        lines=[
            DocumentLine(
                line_no=ln.line_no,
                item=ln.item,
                qty=ln.qty,
                price=ln.price,
                lot=ln.lot,
                expiry=ln.expiry,
            )
            for ln in lines
        ],
    )
    uow.session.add(document)
    return document
