"""Opening pick and receive sessions on an order, with FEFO batch suggestions for picking."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from core import catalog, money
from core.common import InvalidInput, PermissionDenied
from core.ledger import fefo_key, is_expired
from core.orders import sessions
from core.orders.orders import load_order, view_of
from core.orders.tables import Order
from core.orders.views import CANCELLED, COMPLETE, PICK, PURCHASE, SALES, OrderView
from core.storage import StockBalance, UnitOfWork


@dataclass(frozen=True)
class Suggestion:
    name: str
    lot: str
    expiry: str


@dataclass(frozen=True)
class Started:
    order: OrderView
    suggestions: tuple[Suggestion, ...]
    others: tuple[str, ...]  # other users picking the same order now


async def start(uow: UnitOfWork, userid: str, number: str, mode: str) -> Started:
    kind = SALES if mode == PICK else PURCHASE
    order = await load_order(uow, number, kind=kind)
    if order.status == CANCELLED:
        raise InvalidInput(f"订单 {order.number} 已取消，不能{'拣货' if mode == PICK else '收货'}")
    if order.status == COMPLETE:
        raise InvalidInput(f"订单 {order.number} 已全部{'发货' if mode == PICK else '收货'}")
    user = await catalog.find_user(uow, userid)
    if user is None or not user.can_act_in(order.warehouse.code):
        raise PermissionDenied(f"订单 {order.number} 属于仓库 {order.warehouse.code}，你没有权限")
    money.refuse_without_stock(
        order.warehouse,
        f"扫码拣货；直接发送 发货 {order.number}"
        if mode == PICK
        else f"扫码收货；直接发送 入库 {order.number}",
    )
    others = await sessions.others_on_order(uow, order.id, userid)
    await sessions.open_session(uow, userid, mode, order=order)
    suggestions = await fefo_suggestions(uow, order) if mode == PICK else ()
    return Started(view_of(order), suggestions, tuple(others))


async def fefo_suggestions(uow: UnitOfWork, order: Order) -> tuple[Suggestion, ...]:
    """For each line with batches, the batch to take first: earliest expiry, not expired."""
    today = uow.today()
    found = []
    for line in order.lines:
        if line.done + line.picked >= line.qty:
            continue
        balances = list(
            await uow.session.scalars(
                select(StockBalance)
                .join(StockBalance.batch)
                .where(
                    StockBalance.item_id == line.item_id,
                    StockBalance.warehouse_id == order.warehouse_id,
                    StockBalance.qty > 0,
                )
                .options(contains_eager(StockBalance.batch))
            )
        )
        fresh = sorted((b for b in balances if not is_expired(b.batch, today)), key=fefo_key)
        if fresh and (fresh[0].batch.lot or fresh[0].batch.expiry):
            batch = fresh[0].batch
            expiry = "" if batch.expiry is None else f"{batch.expiry}"
            found.append(Suggestion(line.item.name, batch.lot, expiry))
    return tuple(found)
