"""Scan sessions: per user, in the database (they survive a restart), ended after idle time.

A user has at most one open session; opening another closes the previous one. A session idle
for longer than ``scan_session_idle_minutes`` is expired by the next message that finds it,
and that message is told so instead of being applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.orders.orders import ORDER_LOAD, view_of
from core.orders.tables import Order, ScanSession
from core.orders.views import SessionView
from core.storage import UnitOfWork

OPEN, CLOSED, EXPIRED = "open", "closed", "expired"


@dataclass(frozen=True)
class Expired:
    """The session that just timed out, to tell its user."""

    session: ScanSession
    minutes: int


def idle_limit(uow: UnitOfWork) -> timedelta:
    return timedelta(minutes=uow.settings.scan_session_idle_minutes)


async def open_session(
    uow: UnitOfWork,
    userid: str,
    mode: str,
    *,
    order: Order | None = None,
    task_id: int | None = None,
) -> ScanSession:
    await uow.session.execute(
        update(ScanSession)
        .where(ScanSession.userid == userid, ScanSession.status == OPEN)
        .values(status=CLOSED)
        .execution_options(synchronize_session=False)
    )
    now = uow.now()
    session = ScanSession(
        userid=userid,
        mode=mode,
        status=OPEN,
        order_id=None if order is None else order.id,
        task_id=task_id,
        opened_at=now,
        touched_at=now,
    )
    uow.session.add(session)
    await uow.session.flush()
    return session


async def current(uow: UnitOfWork, userid: str) -> ScanSession | Expired | None:
    """The user's open session, or ``Expired`` when it just timed out, or None."""
    session = await uow.session.scalar(
        select(ScanSession)
        .where(ScanSession.userid == userid, ScanSession.status == OPEN)
        .order_by(ScanSession.id.desc())
        .limit(1)
        .options(selectinload(ScanSession.task))
        .execution_options(populate_existing=True)
    )
    if session is None:
        return None
    if session.order_id is not None:
        # Loaded with every line fresh: others may have picked meanwhile.
        order = await uow.session.scalar(
            select(Order)
            .where(Order.id == session.order_id)
            .options(*ORDER_LOAD)
            .execution_options(populate_existing=True)
        )
        set_committed_value(session, "order", order)
    if session.touched_at + idle_limit(uow) <= uow.now():
        session.status = EXPIRED
        await uow.session.flush()
        return Expired(session, uow.settings.scan_session_idle_minutes)
    return session


async def expire_idle(uow: UnitOfWork) -> list[SessionView]:
    """End every open session idle past the limit (the scheduler's sweep); what ended."""
    sessions = await uow.session.scalars(
        select(ScanSession)
        .where(ScanSession.status == OPEN, ScanSession.touched_at <= uow.now() - idle_limit(uow))
        .options(selectinload(ScanSession.task))
        .with_for_update(skip_locked=True)
    )
    ended = []
    for session in list(sessions):
        if session.order_id is not None:
            order = await uow.session.scalar(
                select(Order).where(Order.id == session.order_id).options(*ORDER_LOAD)
            )
            set_committed_value(session, "order", order)
        session.status = EXPIRED
        ended.append(session_view(session))
    await uow.session.flush()
    return ended


def touch(uow: UnitOfWork, session: ScanSession) -> None:
    session.touched_at = uow.now()


async def close(uow: UnitOfWork, session: ScanSession) -> None:
    session.status = CLOSED
    await uow.session.flush()


async def others_on_order(uow: UnitOfWork, order_id: int, userid: str) -> list[str]:
    """Who else has a live (not idle-expired) session on this order."""
    fresh_since = uow.now() - idle_limit(uow)
    rows = await uow.session.scalars(
        select(ScanSession.userid).where(
            ScanSession.order_id == order_id,
            ScanSession.status == OPEN,
            ScanSession.userid != userid,
            ScanSession.touched_at > fresh_since,
        )
    )
    return sorted(set(rows))


async def close_on_order(uow: UnitOfWork, order_id: int) -> None:
    await uow.session.execute(
        update(ScanSession)
        .where(ScanSession.order_id == order_id, ScanSession.status == OPEN)
        .values(status=CLOSED)
        .execution_options(synchronize_session=False)
    )


def session_view(session: ScanSession) -> SessionView:
    return SessionView(
        mode=session.mode,
        userid=session.userid,
        order=None if session.order is None else view_of(session.order),
        category=None if session.task is None else session.task.category,
    )
