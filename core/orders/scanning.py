"""Applying one scan to the user's session: pick a unit, receive a unit, count a unit.

A scan is applied once: its row carries the message's inbox key (unique), and a refused scan
(not on the order, beyond what was ordered, a closed order) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, literal, select, update

from core.common import InvalidInput, qty_text
from core.orders import sessions
from core.orders.orders import view_of
from core.orders.scanned import Scanned, resolve_scan
from core.orders.tables import Order, OrderLine, Scan, ScanSession
from core.orders.views import (
    COUNT,
    OPEN,
    PARTIAL,
    PICK,
    SessionView,
    progress_text,
)
from core.storage import QTY, UnitOfWork


@dataclass(frozen=True)
class Applied:
    scanned: Scanned
    session: SessionView
    # Count sessions: how much of the item this task has counted so far.
    counted: Decimal | None = None


async def apply_scan(uow: UnitOfWork, session: ScanSession, raw: str, key: str) -> Applied:
    scanned = await resolve_scan(uow, raw)
    if session.mode == COUNT:
        assert session.task_id is not None
        if scanned.item.category != (session.task.category if session.task else None):
            raise InvalidInput(
                f"扫到 {scanned.item.name}（{scanned.item.category or '无分类'}），"
                f"不属于正在盘点的 {session.task.category if session.task else ''}，未计入"
            )
        _add_scan(uow, session, scanned, key, task_id=session.task_id)
        await uow.session.flush()
        counted = await uow.session.scalar(
            select(func.sum(Scan.qty)).where(
                Scan.task_id == session.task_id,
                Scan.item_id == scanned.item.id,
                Scan.posted_in.is_(None),
            )
        )
        sessions.touch(uow, session)
        return Applied(scanned, sessions.session_view(session), counted or Decimal(0))
    order = session.order
    assert order is not None
    _check_open(order)
    line = next((ln for ln in order.lines if ln.item_id == scanned.item.id), None)
    what = f"扫到 {scanned.item.name} {qty_text(scanned.qty, scanned.item.unit)}"
    if line is None:
        raise InvalidInput(
            f"{what}，不在订单 {order.number} 上，未计入。订单需要：{progress_text(view_of(order))}"
        )
    if session.mode == PICK:
        await _pick(uow, order, line, scanned, what)
    else:
        await _receive(uow, line, scanned)
    _add_scan(uow, session, scanned, key, order_line_id=line.id)
    sessions.touch(uow, session)
    await uow.session.flush()
    await uow.session.refresh(line)
    return Applied(scanned, sessions.session_view(session))


def _check_open(order: Order) -> None:
    if order.status not in (OPEN, PARTIAL):
        state = "已取消" if order.status == "cancelled" else "已完成"
        raise InvalidInput(f"订单 {order.number} {state}，扫码未计入")


async def _pick(
    uow: UnitOfWork, order: Order, line: OrderLine, scanned: Scanned, what: str
) -> None:
    # One guarded statement: two pickers cannot take the line past what was ordered.
    # The sum of two Fixed columns is a plain integer expression: type the quantity explicitly.
    qty = literal(scanned.qty, QTY)
    taken = await uow.session.scalar(
        update(OrderLine)
        .where(OrderLine.id == line.id, OrderLine.picked + OrderLine.done + qty <= OrderLine.qty)
        .values(picked=OrderLine.picked + qty)
        .returning(OrderLine.id)
        .execution_options(synchronize_session=False)
    )
    if taken is None:
        await uow.session.refresh(line)
        have = qty_text(line.picked + line.done, line.item.unit)
        raise InvalidInput(
            f"{what}，超过订单数量（{line.item.name} 已拣 {have}，订单要 "
            f"{qty_text(line.qty, line.item.unit)}），未计入。"
            f"订单需要：{progress_text(view_of(order))}"
        )


async def _receive(uow: UnitOfWork, line: OrderLine, scanned: Scanned) -> None:
    await uow.session.execute(
        update(OrderLine)
        .where(OrderLine.id == line.id)
        .values(picked=OrderLine.picked + literal(scanned.qty, QTY))
        .execution_options(synchronize_session=False)
    )


def _add_scan(
    uow: UnitOfWork,
    session: ScanSession,
    scanned: Scanned,
    key: str,
    *,
    order_line_id: int | None = None,
    task_id: int | None = None,
) -> None:
    uow.session.add(
        Scan(
            key=key,
            session_id=session.id,
            order_line_id=order_line_id,
            task_id=task_id,
            item_id=scanned.item.id,
            qty=scanned.qty,
            lot=scanned.lot,
            expiry=scanned.expiry,
            code=scanned.code,
            at=uow.now(),
        )
    )
