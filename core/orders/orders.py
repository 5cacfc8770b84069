"""Sales orders (``DD``) and purchase orders (``CG``): created, listed, shown, cancelled.

An order moves no stock. An open sales order reserves what is still to ship (``qty - done``),
which ``查`` shows as less available; only the shipment (a sale) moves stock, and only the
receipt moves stock in for a purchase order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import catalog, money
from core.common import DocType, InvalidInput, NotFound, PermissionDenied, Role
from core.ledger import Line, check_price, check_qty, next_number
from core.orders.tables import Order, OrderDocument, OrderLine
from core.orders.views import (
    CANCELLED,
    COMPLETE,
    OPEN,
    ORDER_PREFIX,
    PARTIAL,
    PURCHASE,
    SALES,
    OpenOrderLine,
    OrderLineView,
    OrderView,
)
from core.storage import Item, Partner, UnitOfWork, Warehouse

PARTNER_KIND = {SALES: "customer", PURCHASE: "supplier"}
DOC_TYPE = {SALES: DocType.SALE, PURCHASE: DocType.RECEIPT}
ORDER_LOAD = (
    selectinload(Order.lines).selectinload(OrderLine.item),
    selectinload(Order.warehouse),
    selectinload(Order.partner),
)


@dataclass(frozen=True)
class NewOrder:
    kind: str
    warehouse: str
    actor: str
    partner: str | None
    lines: tuple[Line, ...]
    note: str = ""
    idempotency_key: str | None = None


async def create_order(uow: UnitOfWork, cmd: NewOrder) -> OrderView:
    if cmd.idempotency_key and (
        number := await uow.session.scalar(
            select(Order.number).where(Order.idempotency_key == cmd.idempotency_key)
        )
    ):
        return await order_view(uow, number)
    warehouse = await catalog.warehouse_by_code(uow, cmd.warehouse)
    await _check_actor(uow, cmd.actor, warehouse.code)
    if not cmd.lines:
        raise InvalidInput("订单至少要有一行商品，例如：订单 客户张三: 可乐 2")
    items = await catalog.items_by_sku(uow, {line.item for line in cmd.lines})
    if len({line.item for line in cmd.lines}) != len(cmd.lines):
        raise InvalidInput("同一张订单里每个商品只写一次（数量写在一起）")
    partner = await catalog.partner_named(uow, PARTNER_KIND[cmd.kind], cmd.partner)
    # A sales order takes the prices its shipment (a sale to that customer) would take.
    listed = (
        await money.selling_prices(uow, partner, [(items[ln.item], ln.qty) for ln in cmd.lines])
        if cmd.kind == SALES
        else [items[ln.item].cost for ln in cmd.lines]
    )
    order = Order(
        number=await next_number(uow, ORDER_PREFIX[cmd.kind]),
        kind=cmd.kind,
        status=OPEN,
        warehouse_id=warehouse.id,
        partner=partner,
        created_by=cmd.actor,
        created_at=uow.now(),
        idempotency_key=cmd.idempotency_key,
        note=cmd.note,
    )
    for line_no, (line, default) in enumerate(zip(cmd.lines, listed, strict=True), start=1):
        item = items[line.item]
        check_qty(DOC_TYPE[cmd.kind], item, line.qty)
        if line.qty <= 0:
            raise InvalidInput(f"订单数量必须大于 0，例如：订单 客户张三: {item.name} 2")
        price = default if line.price is None else line.price
        check_price(price)
        order.lines.append(
            OrderLine(line_no=line_no, item=item, qty=line.qty, price=price, picked=0, done=0)
        )
    uow.session.add(order)
    await uow.session.flush()
    uow.record(
        cmd.actor,
        "order.create",
        f"order:{order.number}",
        {"kind": cmd.kind, "lines": [[ln.item.sku, str(ln.qty)] for ln in order.lines]},
    )
    return await order_view(uow, order.number)


async def _check_actor(uow: UnitOfWork, actor: str, warehouse: str) -> None:
    user = await catalog.find_user(uow, actor)
    if user is None or not user.active or user.role is Role.AUDITOR:
        raise PermissionDenied("你没有登记订单的权限")
    if not user.can_act_in(warehouse):
        raise PermissionDenied(f"你没有仓库 {warehouse} 的权限，请联系管理员")


async def load_order(
    uow: UnitOfWork, number: str, *, kind: str | None = None, lock: bool = False
) -> Order:
    """The order and its lines; ``lock`` row-locks the order (PostgreSQL) and reads it afresh,
    so two people shipping or cancelling one order take turns."""
    statement = select(Order).where(Order.number == number.strip().upper()).options(*ORDER_LOAD)
    if lock:
        statement = statement.with_for_update(of=Order).execution_options(populate_existing=True)
    order = await uow.session.scalar(statement)
    if order is None or (kind is not None and order.kind != kind):
        what = "销售订单" if kind == SALES else "采购订单" if kind == PURCHASE else "订单"
        raise NotFound(f"没有{what} {number}，请检查单号，或发送 订单 今天 查看")
    return order


async def order_view(uow: UnitOfWork, number: str) -> OrderView:
    order = await load_order(uow, number)
    await uow.session.refresh(order, ["lines"])
    documents = await uow.session.scalars(
        select(OrderDocument.document_number)
        .where(OrderDocument.order_id == order.id)
        .order_by(OrderDocument.id)
    )
    return view_of(order, tuple(documents))


def view_of(order: Order, documents: tuple[str, ...] = ()) -> OrderView:
    return OrderView(
        number=order.number,
        kind=order.kind,
        status=order.status,
        warehouse=order.warehouse.code,
        partner=None if order.partner is None else order.partner.name,
        created_by=order.created_by,
        created_at=order.created_at,
        lines=tuple(
            OrderLineView(
                ln.line_no,
                ln.item.sku,
                ln.item.name,
                ln.item.unit,
                ln.qty,
                ln.price,
                ln.picked,
                ln.done,
            )
            for ln in order.lines
        ),
        documents=documents,
        keeps_stock=money.keeps_stock(order.warehouse),
    )


async def list_orders(
    uow: UnitOfWork,
    warehouses: tuple[str, ...] | None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    open_only: bool = False,
    partner: str | None = None,
    limit: int = 20,
) -> list[OrderView]:
    statement = select(Order).options(*ORDER_LOAD)
    if partner is not None:
        statement = statement.join(Partner, Partner.id == Order.partner_id).where(
            Partner.name == partner
        )
    if since is not None:
        statement = statement.where(Order.created_at >= since)
    if until is not None:
        statement = statement.where(Order.created_at < until)
    if open_only:
        statement = statement.where(Order.status.in_((OPEN, PARTIAL)))
    if warehouses is not None:
        ids = [(await catalog.warehouse_by_code(uow, code)).id for code in warehouses]
        statement = statement.where(Order.warehouse_id.in_(ids))
    rows = await uow.session.scalars(
        statement.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    )
    return [view_of(order) for order in rows]


async def cancel_order(uow: UnitOfWork, number: str, actor: str) -> OrderView:
    order = await load_order(uow, number, lock=True)
    if order.status == CANCELLED:
        raise InvalidInput(f"订单 {order.number} 已取消，无需再取消")
    if order.status == COMPLETE:
        raise InvalidInput(f"订单 {order.number} 已全部完成，不能取消")
    if any(line.picked for line in order.lines):
        raise InvalidInput(
            f"订单 {order.number} 还有已扫码未{'发货' if order.kind == SALES else '入库'}的商品，"
            f"请先{'发货' if order.kind == SALES else '入库'}，或把货放回后由店长处理"
        )
    order.status = CANCELLED
    await uow.session.flush()
    uow.record(actor, "order.cancel", f"order:{order.number}", {})
    return await order_view(uow, order.number)


def settle_status(order: Order) -> None:
    """Open, partly done or complete, from what the lines say."""
    if order.status == CANCELLED:
        return
    if all(line.done >= line.qty for line in order.lines):
        order.status = COMPLETE
    elif any(line.done > 0 for line in order.lines):
        order.status = PARTIAL
    else:
        order.status = OPEN


async def open_lines_of(uow: UnitOfWork, sku: str, warehouse: str) -> tuple[OpenOrderLine, ...]:
    """The open sales and purchase orders of an item in a warehouse, oldest first."""
    rows = await uow.session.execute(
        select(Order.number, Order.kind, Partner.name, OrderLine.qty, OrderLine.done)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Warehouse, Warehouse.id == Order.warehouse_id)
        .join(Item, Item.id == OrderLine.item_id)
        .outerjoin(Partner, Partner.id == Order.partner_id)
        .where(Item.sku == sku, Warehouse.code == warehouse, Order.status.in_((OPEN, PARTIAL)))
        .order_by(Order.created_at, Order.id)
    )
    return tuple(
        OpenOrderLine(number, kind, partner, qty - done)
        for number, kind, partner, qty, done in rows.all()
        if qty > done
    )


async def held_by_orders(uow: UnitOfWork) -> dict[tuple[str, str], Decimal]:
    """What open sales orders still hold, per (sku, warehouse code): for the stock alerts."""
    rows = await uow.session.execute(
        select(Item.sku, Warehouse.code, OrderLine.qty, OrderLine.done)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Item, Item.id == OrderLine.item_id)
        .join(Warehouse, Warehouse.id == Order.warehouse_id)
        .where(Order.kind == SALES, Order.status.in_((OPEN, PARTIAL)))
    )
    held: dict[tuple[str, str], Decimal] = {}
    for sku, code, qty, done in rows.all():
        if qty > done:
            held[(sku, code)] = held.get((sku, code), Decimal(0)) + qty - done
    return held
