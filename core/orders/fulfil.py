"""Posting what was scanned: the shipment of a sales order, the receipt of a purchase order.

Both go through ``documents.submit`` (validation → plan → policy → posting, one savepoint,
the audit chain, the message key as idempotency key). A shipment is a sale whose lines are the
picked quantities, a line per batch-label lot (else FEFO); a receipt is a receipt with the
scanned quantities, lots and expiry dates. The order then counts those quantities as done.

If the document has to wait for approval (a sale into negative stock, an unscanned shipment
past the scan rule, an over-receipt) the order counts it as done while it waits, so the
guarded picking statement (``picked + done + :qty <= qty``) and the locked order still let
two people ship one order only once: a second ``发货`` finds nothing left to ship. When the
approval ends without posting (rejected, expired, conflicted, withdrawn), the approvals
package calls ``release``: the order gives those quantities back to open and settles its
status again, so the line can be picked and shipped (or received) anew. The scans stay with
the ended document (``posted_in``): they described goods that did not move, and handing
them back would only post the rejected quantities again; the picker scans afresh. An approved
document is posted as it was counted, so nothing changes on approval.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import literal, select, update

from core import catalog, ledger, money
from core.common import InvalidInput, NeedsApproval, PermissionDenied, Posted, qty_text
from core.ledger import Line, Reason, Receive, Sell
from core.orders import sessions
from core.orders.orders import load_order, order_view, settle_status
from core.orders.tables import Order, OrderDocument, OrderLine, OrderPolicy, Scan
from core.orders.views import CANCELLED, COMPLETE, PURCHASE, SALES, OrderView
from core.storage import QTY, Document, UnitOfWork


@dataclass(frozen=True)
class Fulfilled:
    order: OrderView
    result: Posted | NeedsApproval

    @property
    def document_number(self) -> str:
        return document_number(self.result)


def document_number(result: Posted | NeedsApproval) -> str:
    if isinstance(result, Posted):
        return result.document.number
    document = result.approval.document
    assert document is not None
    return document.number


@dataclass(frozen=True)
class OrderRules:
    scan_required: bool
    over_receipt_tolerance: Decimal


async def rules_for(uow: UnitOfWork, warehouse_id: int) -> OrderRules:
    own = await uow.session.get(OrderPolicy, warehouse_id)
    settings = uow.settings
    return OrderRules(
        scan_required=settings.scan_required
        if own is None or own.scan_required is None
        else own.scan_required,
        over_receipt_tolerance=settings.over_receipt_tolerance
        if own is None or own.over_receipt_tolerance is None
        else own.over_receipt_tolerance,
    )


async def set_rules(
    uow: UnitOfWork,
    actor: str,
    warehouse: str,
    *,
    scan_required: bool | None = None,
    over_receipt_tolerance: Decimal | None = None,
) -> None:
    found = await catalog.warehouse_by_code(uow, warehouse)
    own = await uow.session.get(OrderPolicy, found.id)
    if own is None:
        own = OrderPolicy(warehouse_id=found.id)
        uow.session.add(own)
    if scan_required is not None:
        own.scan_required = scan_required
    if over_receipt_tolerance is not None:
        if over_receipt_tolerance < 0:
            raise InvalidInput("超收容差不能为负数")
        own.over_receipt_tolerance = over_receipt_tolerance
    await uow.session.flush()
    uow.record(
        actor,
        "order_policy.set",
        f"warehouse:{found.code}",
        {"scan_required": scan_required, "over_receipt_tolerance": str(over_receipt_tolerance)},
    )


async def ship(
    uow: UnitOfWork,
    actor: str,
    number: str,
    key: str,
    *,
    unscanned: bool = False,
    may_skip_scan: bool = False,
) -> Fulfilled:
    """Post the shipment of what was picked (and, with ``unscanned``, of the rest too)."""
    order = await _open_order(uow, number, SALES)
    if not money.keeps_stock(order.warehouse):
        unscanned = may_skip_scan = True  # nothing to pick: the whole open order ships
    others = await sessions.others_on_order(uow, order.id, actor)
    if others:
        names = [await _name_of(uow, userid) for userid in others]
        raise InvalidInput(
            f"订单 {order.number} 正在由 {'、'.join(names)} 拣货，不能发货；"
            "等对方发送 拣货 结束，或 30 分钟无操作后再试"
        )
    scans = await _unposted(uow, order)
    extra: dict[int, Decimal] = {}
    if unscanned:
        extra = {ln.id: ln.qty - ln.done - ln.picked for ln in order.lines}
        extra = {line_id: qty for line_id, qty in extra.items() if qty > 0}
        rules = await rules_for(uow, order.warehouse_id)
        if extra and rules.scan_required and not may_skip_scan:
            raise PermissionDenied(
                f"订单 {order.number} 有未扫码的商品，按规定须扫码拣货；店长或管理员可以发 "
                f"发货 {order.number} 全部"
            )
    if not scans and not extra:
        raise InvalidInput(
            f"订单 {order.number} 还没有扫码拣货的商品。先发送 拣货 {order.number} 再扫码；"
            f"店长可发 发货 {order.number} 全部"
        )
    lines = _lines(order, scans, extra)
    command = Sell(
        warehouse=order.warehouse.code,
        actor=actor,
        lines=lines,
        partner=None if order.partner is None else order.partner.name,
        note=f"订单 {order.number}",
        idempotency_key=key,
    )
    result = await ledger.submit(uow, command)
    return await _settle(uow, actor, order, scans, extra, result)


async def receive(uow: UnitOfWork, actor: str, number: str, key: str) -> Fulfilled:
    """Post the receipt of what was scanned; beyond the tolerance it waits for approval."""
    order = await _open_order(uow, number, PURCHASE)
    scans = await _unposted(uow, order)
    extra: dict[int, Decimal] = {}
    if not money.keeps_stock(order.warehouse):  # nothing to scan: the whole open order
        extra = {ln.id: ln.qty - ln.done - ln.picked for ln in order.lines}
        extra = {line_id: qty for line_id, qty in extra.items() if qty > 0}
    if not scans and not extra:
        raise InvalidInput(
            f"采购订单 {order.number} 还没有扫码收货的商品。先发送 收货 {order.number} 再扫码"
        )
    rules = await rules_for(uow, order.warehouse_id)
    over = [
        f"{ln.item.name} 订 {qty_text(ln.qty, ln.item.unit)}，收 "
        f"{qty_text(ln.done + ln.picked, ln.item.unit)}"
        for ln in order.lines
        if ln.done + ln.picked > ln.qty * (1 + rules.over_receipt_tolerance)
    ]
    reasons = [Reason("over_receipt", "超量收货：" + "；".join(over))] if over else []
    command = Receive(
        warehouse=order.warehouse.code,
        actor=actor,
        lines=_lines(order, scans, extra),
        partner=None if order.partner is None else order.partner.name,
        note=f"采购订单 {order.number}",
        idempotency_key=key,
    )
    result = await ledger.submit(uow, command, extra_reasons=reasons)
    return await _settle(uow, actor, order, scans, extra, result)


async def _open_order(uow: UnitOfWork, number: str, kind: str) -> Order:
    order = await load_order(uow, number, kind=kind, lock=True)
    if order.status == CANCELLED:
        raise InvalidInput(f"订单 {order.number} 已取消")
    if order.status == COMPLETE:
        raise InvalidInput(f"订单 {order.number} 已全部{'发货' if kind == SALES else '收货'}")
    return order


async def _unposted(uow: UnitOfWork, order: Order) -> list[Scan]:
    line_ids = [ln.id for ln in order.lines]
    rows = await uow.session.scalars(
        select(Scan)
        .where(Scan.order_line_id.in_(line_ids), Scan.posted_in.is_(None))
        .order_by(Scan.id)
    )
    return list(rows)


def _lines(order: Order, scans: list[Scan], extra: dict[int, Decimal]) -> tuple[Line, ...]:
    by_id = {ln.id: ln for ln in order.lines}
    grouped: dict[tuple[int, str | None, date | None], Decimal] = defaultdict(Decimal)
    for scan in scans:
        assert scan.order_line_id is not None
        grouped[(scan.order_line_id, scan.lot, scan.expiry)] += scan.qty
    for line_id, qty in extra.items():
        grouped[(line_id, None, None)] += qty
    lines = []
    for (line_id, lot, expiry), qty in sorted(
        grouped.items(), key=lambda kv: (by_id[kv[0][0]].line_no, kv[0][1] or "")
    ):
        line = by_id[line_id]
        lines.append(Line(line.item.sku, qty, line.price, lot, expiry))
    return tuple(lines)


async def _settle(
    uow: UnitOfWork,
    actor: str,
    order: Order,
    scans: list[Scan],
    extra: dict[int, Decimal],
    result: Posted | NeedsApproval,
) -> Fulfilled:
    number = document_number(result)
    moved: dict[int, Decimal] = defaultdict(Decimal)
    for scan in scans:
        scan.posted_in = number
        assert scan.order_line_id is not None
        moved[scan.order_line_id] += scan.qty
    for line in order.lines:
        taken = moved.get(line.id, Decimal(0))
        done = taken + extra.get(line.id, Decimal(0))
        if done:
            # Relative: the picker may scan this line again while it ships.
            await uow.session.execute(
                update(OrderLine)
                .where(OrderLine.id == line.id)
                .values(
                    done=OrderLine.done + literal(done, QTY),
                    picked=OrderLine.picked - literal(taken, QTY),
                )
                .execution_options(synchronize_session=False)
            )
            await uow.session.refresh(line)
    settle_status(order)
    uow.session.add(OrderDocument(order_id=order.id, document_number=number, created_at=uow.now()))
    await sessions.close_on_order(uow, order.id)
    await uow.session.flush()
    uow.record(actor, "order.fulfil", f"order:{order.number}", {"document": number})
    return Fulfilled(await order_view(uow, order.number), result)


async def release(uow: UnitOfWork, document: Document) -> None:
    """Give back to its order what ``document``, ended without posting, counted as done.

    A no-op for a document no order counted (most documents).
    """
    order_id = await uow.session.scalar(
        select(OrderDocument.order_id).where(OrderDocument.document_number == document.number)
    )
    if order_id is None:
        return
    number = await uow.session.scalar(select(Order.number).where(Order.id == order_id))
    assert number is not None
    order = await load_order(uow, number, lock=True)
    counted: dict[int, Decimal] = defaultdict(Decimal)
    for doc_line in document.lines:
        counted[doc_line.item_id] += doc_line.qty
    for line in order.lines:
        qty = counted.get(line.item_id, Decimal(0))
        if qty:
            # Relative, like the shipment: others may be picking this line meanwhile.
            await uow.session.execute(
                update(OrderLine)
                .where(OrderLine.id == line.id)
                .values(done=OrderLine.done - literal(qty, QTY))
                .execution_options(synchronize_session=False)
            )
            await uow.session.refresh(line)
    settle_status(order)
    await uow.session.flush()
    uow.record(
        "system",
        "order.release",
        f"order:{order.number}",
        {"document": document.number, "status": str(document.status)},
    )


async def _name_of(uow: UnitOfWork, userid: str) -> str:
    user = await catalog.find_user(uow, userid)
    return user.name if user is not None else userid
