"""Submitting stock documents: validate, plan, then post at once or open an approval.

``submit`` never leaves a half-posted document: it is either posted with all its moves, or
stored as ``pending`` with no moves and an approval request, or refused with nothing written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, insert, select
from sqlalchemy.orm.exc import StaleDataError

from core import approvals, catalog, money
from core.common import (
    DOC_PREFIX,
    BalanceView,
    ConcurrencyConflict,
    DocStatus,
    DocType,
    DocumentView,
    InvalidInput,
    NeedsApproval,
    NotFound,
    PermissionDenied,
    Posted,
    Role,
    SubstitutionView,
    qty_text,
)
from core.ledger import batches, levels
from core.ledger import posting as ledger
from core.ledger.commands import DocumentCommand, Produce, ReturnSale, Transfer
from core.ledger.documents_view import document_view, line_view, load_document
from core.ledger.numbering import next_number
from core.ledger.planning import Allowances, Plan, PlanLine, Planner, Substitution, plan_lines
from core.ledger.policy import Reason, WarehousePolicy, approval_reasons
from core.ledger.validation import resolve_lines
from core.storage import (
    Document,
    DocumentLine,
    Item,
    Partner,
    StockBalance,
    UnitOfWork,
    Warehouse,
)

DOCUMENTS = cast(Table, Document.__table__)
LINES = cast(Table, DocumentLine.__table__)
# Built once (constructing a statement costs about as much as running it). Returning the
# line number with the id lets the driver insert all lines in one statement.
_INSERT_DOCUMENT = insert(DOCUMENTS).returning(DOCUMENTS.c.id)
_INSERT_LINES = insert(LINES).returning(LINES.c.line_no, LINES.c.id)
_NUMBER_BY_KEY = select(Document.number).where(Document.idempotency_key == bindparam("key"))

PARTNER_KIND = {
    DocType.RECEIPT: "supplier",
    DocType.PURCHASE_RETURN: "supplier",
    DocType.SALE: "customer",
    DocType.SALES_RETURN: "customer",
    DocType.ISSUE: "department",
}


async def submit(
    uow: UnitOfWork,
    cmd: DocumentCommand,
    *,
    enforce_policy: bool = True,
    extra_reasons: Sequence[Reason] = (),
) -> Posted | NeedsApproval:
    """Post ``cmd`` or open an approval for it. ``enforce_policy=False`` is for history imports.

    ``extra_reasons`` are what the caller's own rules add (an over-receipt against its order).
    """
    if cmd.idempotency_key and (replay := await replay_of(uow, cmd.idempotency_key)):
        return replay
    warehouse = await catalog.warehouse_by_code(uow, cmd.warehouse)
    role = await _actor_role(uow, cmd, warehouse) if enforce_policy else Role.ADMIN
    to_warehouse = await _destination(uow, cmd, warehouse)
    money.refuse_stock_work(cmd.doc_type, warehouse, to_warehouse)
    lines = await resolve_lines(uow, cmd)
    lines = await _attach_parts(uow, cmd.doc_type, lines, cmd.posted_at or uow.now(), warehouse)
    original = await _original_sale(uow, cmd, warehouse)
    if original is not None:
        await _refuse_returning_more_than_sold(uow, original, lines)
    kind = PARTNER_KIND.get(cmd.doc_type)
    partner = await catalog.partner_named(uow, kind, cmd.partner) if kind else None
    if partner is None and original is not None:
        partner = original.partner  # a return of a credit sale credits that customer
    lines, money_reasons = await money.before_plan(
        uow, cmd, partner, warehouse, lines, original, enforce_policy=enforce_policy
    )
    stocked = money.keeps_stock(warehouse)
    pairs = (
        _pairs(lines, warehouse.id, None if to_warehouse is None else to_warehouse.id)
        if stocked
        else set()
    )
    balances = await batches.locked_balances(uow, pairs) if pairs else {}
    policy = WarehousePolicy.of(warehouse, uow.settings)
    allow = Allowances(
        negative=not enforce_policy or policy.negative_stock == "allow",
        expired=not enforce_policy,
    )
    plan = Plan()
    if stocked:
        return_batches = await batches.return_batches(uow, original, [ln.item for ln in lines])
        plan = await plan_lines(
            Planner(uow, cmd.doc_type, balances, allow),
            lines,
            warehouse,
            to_warehouse,
            return_batches,
        )
    reasons = (
        approval_reasons(cmd.doc_type, role, any(ln.qty < 0 for ln in lines), plan, policy)
        + list(extra_reasons)
        if enforce_policy
        else []
    )
    if enforce_policy and isinstance(cmd, Produce) and cmd.approval_note:
        reasons.append(Reason("substitution", cmd.approval_note))
    reasons += [Reason(r.subject, r.text) for r in money_reasons]
    header = _Header(cmd, warehouse, to_warehouse, partner, original)
    if not reasons:
        return await _post_new(uow, header, lines, plan, balances)
    created = await _insert_document(uow, header, lines, DocStatus.PENDING, None)
    await levels.hold(uow, cmd.doc_type, warehouse.id, [(ln.item, ln.qty) for ln in lines], +1)
    document = await uow.session.get_one(Document, created.document_id)
    approval = await approvals.open_request(
        uow,
        subject=reasons[0].subject,
        warehouse=warehouse,
        requested_by=cmd.actor,
        reason="；".join(r.text for r in reasons),
        changes=approvals.stock_changes(plan, balances)
        + [r.change for r in money_reasons if r.change is not None],
        seen_versions=approvals.seen_versions(document, balances),
        document=document,
        payload={"subjects": sorted({r.subject for r in reasons})},
        idempotency_key=cmd.idempotency_key,
    )
    return NeedsApproval(approval)


async def post_pending(uow: UnitOfWork, number: str, decided_by: str) -> Posted:
    """Post a pending document after approval: shortfalls and expired batches now allowed."""
    document = await load_document(uow, number, lock=True)
    planned = await plan_pending(uow, document, Allowances(negative=True, expired=True))
    lines, balances, plan = planned.lines, planned.balances, planned.plan
    posted_at = document.posted_at or uow.now()
    result = ledger.balances_after(plan, balances)
    posting = ledger.Posting(
        document.id,
        {line.line_no: line.id for line in document.lines},
        _purchase_costs(document.type, lines),
    )
    await ledger.post_plan(uow, posting, plan, balances, posted_at, decided_by)
    await release_reservation(uow, document)
    await money.after_post(
        uow,
        document_id=document.id,
        number=document.number,
        doc_type=document.type,
        partner=document.partner,
        warehouse=document.warehouse,
        line_ids=posting.line_ids,
        lines=lines,
        posted_at=posted_at,
        actor=decided_by,
        original_number=document.original_number,
    )
    document.status = DocStatus.POSTED
    document.posted_at = posted_at
    document.result = _stored_result(result)
    try:
        await uow.session.flush()
    except StaleDataError as error:
        raise ConcurrencyConflict(str(error)) from error
    _record_post(
        uow, decided_by, document.number, document.type, document.warehouse.code, lines, plan
    )
    return Posted(
        document_view(document), result, substitutions=substitution_views(plan.substitutions)
    )


async def release_reservation(uow: UnitOfWork, document: Document) -> None:
    """A pending document is leaving ``pending``: what it held back is free again."""
    if document.status == DocStatus.PENDING and document.type in levels.RESERVING:
        rows = await uow.session.execute(
            select(Item, DocumentLine.qty)
            .join(DocumentLine, DocumentLine.item_id == Item.id)
            .where(DocumentLine.document_id == document.id)
        )
        lines = [(item, qty) for item, qty in rows.all()]
        await levels.hold(uow, document.type, document.warehouse_id, lines, -1)


@dataclass(frozen=True)
class Planned:
    lines: list[PlanLine]
    balances: dict[tuple[int, int], list[StockBalance]]
    plan: Plan


async def _attach_parts(
    uow: UnitOfWork, doc_type: DocType, lines: list[PlanLine], at: datetime, warehouse: Warehouse
) -> list[PlanLine]:
    # Recipes post documents (production, issues), so the ledger reaches them at call time.
    from core import recipes

    return await recipes.attach_parts(uow, doc_type, lines, at, warehouse)


async def plan_pending(uow: UnitOfWork, document: Document, allow: Allowances) -> Planned:
    """Plan a pending document's lines against the stock as it is now (balances row-locked)."""
    lines = [
        PlanLine(line.line_no, line.item, line.qty, line.price, line.lot, line.expiry)
        for line in document.lines
    ]
    # The recipe version is the one in force when the document was made, as at the request.
    lines = await _attach_parts(
        uow, DocType(document.type), lines, document.created_at, document.warehouse
    )
    if not money.keeps_stock(document.warehouse):
        return Planned(lines, {}, Plan())  # a warehouse without stock plans no moves
    pairs = _pairs(lines, document.warehouse_id, document.to_warehouse_id)
    balances = await batches.locked_balances(uow, pairs)
    original = None
    if document.original_number:
        original = await load_document(uow, document.original_number)
    plan = await plan_lines(
        Planner(uow, DocType(document.type), balances, allow),
        lines,
        document.warehouse,
        document.to_warehouse,
        await batches.return_batches(uow, original, [line.item for line in lines]),
    )
    return Planned(lines, balances, plan)


async def replay_of(uow: UnitOfWork, key: str) -> Posted | NeedsApproval | None:
    """The first result of an idempotency key, if that request was already taken."""
    number = await uow.session.scalar(_NUMBER_BY_KEY, {"key": key})
    if number is None:
        approval = await approvals.by_idempotency_key(uow, key)
        return None if approval is None else NeedsApproval(approval, replayed=True)
    document = await load_document(uow, number)
    if document.status == DocStatus.POSTED and document.result is not None:
        stored = tuple(
            BalanceView(row[0], row[1], row[2], row[3], Decimal(row[4]))
            for row in document.result["balances"]
        )
        return Posted(document_view(document), stored, replayed=True)
    approval = await approvals.by_idempotency_key(uow, key)
    if approval is None:
        raise NotFound(f"单据 {number} 没有对应的审批")
    return NeedsApproval(approval, replayed=True)


async def _post_new(
    uow: UnitOfWork,
    header: _Header,
    lines: list[PlanLine],
    plan: Plan,
    balances: dict[tuple[int, int], list[StockBalance]],
) -> Posted:
    """The hot path: a document posted at once, written with Core statements."""
    posted_at = header.cmd.posted_at or uow.now()
    result = ledger.balances_after(plan, balances)
    created = await _insert_document(uow, header, lines, DocStatus.POSTED, posted_at, result)
    posting = ledger.Posting(
        created.document_id, created.line_ids, _purchase_costs(header.cmd.doc_type, lines)
    )
    await ledger.post_plan(uow, posting, plan, balances, posted_at, header.cmd.actor)
    cmd = header.cmd
    await money.after_post(
        uow,
        document_id=created.document_id,
        number=created.number,
        doc_type=cmd.doc_type,
        partner=header.partner,
        warehouse=header.warehouse,
        line_ids=created.line_ids,
        lines=lines,
        posted_at=posted_at,
        actor=cmd.actor,
        original_number=None if header.original is None else header.original.number,
    )
    _record_post(uow, cmd.actor, created.number, cmd.doc_type, header.warehouse.code, lines, plan)
    return Posted(
        header.view(created, lines, posted_at),
        result,
        substitutions=substitution_views(plan.substitutions),
    )


def _pairs(
    lines: list[PlanLine], warehouse_id: int, to_warehouse_id: int | None
) -> set[tuple[int, int]]:
    """The (item, warehouse) balances a document may touch, kits' components included."""
    items = {item.id for line in lines for item in line.stock_items()}
    warehouses = [warehouse_id] if to_warehouse_id is None else [warehouse_id, to_warehouse_id]
    return {(item, wh) for item in items for wh in warehouses}


def substitution_views(subs: list[Substitution]) -> tuple[SubstitutionView, ...]:
    return tuple(
        SubstitutionView(
            s.component.name,
            s.component.unit,
            s.covered,
            s.substitute.name,
            s.substitute.unit,
            s.used,
        )
        for s in subs
    )


def _record_post(
    uow: UnitOfWork,
    actor: str,
    number: str,
    doc_type: str,
    warehouse: str,
    lines: list[PlanLine],
    plan: Plan,
) -> None:
    uow.record(
        actor,
        "document.post",
        f"document:{number}",
        {
            "type": doc_type,
            "warehouse": warehouse,
            "lines": [[ln.item.sku, str(ln.qty)] for ln in lines],
            "moves": len(plan.moves),
        },
    )


def _stored_result(balances: tuple[BalanceView, ...]) -> dict[str, Any]:
    """What a replay of the same idempotency key answers with."""
    return {"balances": [[b.sku, b.name, b.unit, b.warehouse, str(b.qty)] for b in balances]}


def _purchase_costs(doc_type: str, lines: list[PlanLine]) -> dict[int, Decimal]:
    """Unit costs of goods coming in at a known cost: bought, or made (the product's line)."""
    if doc_type == DocType.PRODUCTION:
        return {ln.line_no: ln.price for ln in lines if ln.price is not None and ln.qty > 0}
    if doc_type != DocType.RECEIPT:
        return {}
    return {ln.line_no: ln.price for ln in lines if ln.price is not None}


async def _actor_role(uow: UnitOfWork, cmd: DocumentCommand, warehouse: Warehouse) -> Role:
    user = await catalog.find_user(uow, cmd.actor)
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


async def _refuse_returning_more_than_sold(
    uow: UnitOfWork, original: Document, lines: Sequence[PlanLine]
) -> None:
    """A return citing a sale takes back at most what that sale sold, less what the returns
    citing it took back already (posted or waiting for approval)."""
    wanted: dict[int, Decimal] = {}
    for line in lines:
        wanted[line.item.id] = wanted.get(line.item.id, Decimal(0)) + line.qty
    sold = await _qty_by_item(
        uow,
        select(DocumentLine.item_id, DocumentLine.qty).where(
            DocumentLine.document_id == original.id, DocumentLine.item_id.in_(wanted)
        ),
    )
    returned = await _qty_by_item(
        uow,
        select(DocumentLine.item_id, DocumentLine.qty)
        .join(Document, Document.id == DocumentLine.document_id)
        .where(
            Document.type == DocType.SALES_RETURN,
            Document.created_at >= original.created_at,  # by the (type, created_at) index
            Document.original_number == original.number,
            Document.status.in_((DocStatus.POSTED, DocStatus.PENDING)),
            DocumentLine.item_id.in_(wanted),
        ),
    )
    for line in lines:
        item_id = line.item.id
        if item_id not in sold:
            continue  # not in the sale at all: return_batches says so
        left = sold[item_id] - returned.get(item_id, Decimal(0))
        if wanted[item_id] > left:
            unit = line.item.unit
            raise InvalidInput(
                f"原单 {original.number} 卖出 {line.item.name} {qty_text(sold[item_id], unit)}，"
                f"已退 {qty_text(returned.get(item_id, Decimal(0)), unit)}，"
                f"最多还能退 {qty_text(max(left, Decimal(0)), unit)}"
            )


async def _qty_by_item(uow: UnitOfWork, statement: Select[int, Decimal]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for item_id, qty in await uow.session.execute(statement):
        totals[item_id] = totals.get(item_id, Decimal(0)) + qty
    return totals


@dataclass(frozen=True)
class _Header:
    cmd: DocumentCommand
    warehouse: Warehouse
    to_warehouse: Warehouse | None
    partner: Partner | None
    original: Document | None

    def view(self, created: _Created, lines: list[PlanLine], posted_at: datetime) -> DocumentView:
        cmd = self.cmd
        return DocumentView(
            id=created.document_id,
            number=created.number,
            type=cmd.doc_type.value,
            status=DocStatus.POSTED,
            warehouse=self.warehouse.code,
            to_warehouse=None if self.to_warehouse is None else self.to_warehouse.code,
            partner=None if self.partner is None else self.partner.name,
            created_by=cmd.actor,
            created_at=created.created_at,
            posted_at=posted_at,
            original_number=None if self.original is None else self.original.number,
            note=cmd.note,
            lines=tuple(line_view(ln) for ln in lines),
        )


@dataclass(frozen=True)
class _Created:
    document_id: int
    number: str
    created_at: datetime
    line_ids: dict[int, int]


async def _insert_document(
    uow: UnitOfWork,
    header: _Header,
    lines: list[PlanLine],
    status: DocStatus,
    posted_at: datetime | None,
    result: tuple[BalanceView, ...] | None = None,
) -> _Created:
    cmd = header.cmd
    number = cmd.number or await next_number(uow, DOC_PREFIX[cmd.doc_type])
    created_at = cmd.posted_at or uow.now()
    connection = await uow.connection()
    document_id = await connection.scalar(
        _INSERT_DOCUMENT,
        {
            "number": number,
            "type": cmd.doc_type.value,
            "status": status.value,
            "warehouse_id": header.warehouse.id,
            "to_warehouse_id": None if header.to_warehouse is None else header.to_warehouse.id,
            "partner_id": None if header.partner is None else header.partner.id,
            "created_by": cmd.actor,
            "created_at": created_at,
            "posted_at": posted_at,
            "idempotency_key": cmd.idempotency_key,
            "original_number": None if header.original is None else header.original.number,
            "note": cmd.note,
            "result": None if result is None else _stored_result(result),
            "version": 1,
        },
    )
    assert document_id is not None
    line_ids = await connection.execute(
        _INSERT_LINES,
        [
            {
                "document_id": document_id,
                "line_no": ln.line_no,
                "item_id": ln.item.id,
                "qty": ln.qty,
                "price": ln.price,
                "lot": ln.lot,
                "expiry": ln.expiry,
            }
            for ln in lines
        ],
    )
    created = _Created(document_id, number, created_at, {row.line_no: row.id for row in line_ids})
    await money.after_insert(uow, cmd, document_id)
    return created
