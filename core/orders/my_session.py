"""A user's scan session as plain views, for the handlers: what it is, a scan into it,
ending it, finishing its count. The rows stay inside ``core.orders``."""

from __future__ import annotations

from dataclasses import dataclass

from core.common import InvalidInput
from core.orders import counting, scanning, sessions
from core.orders.counting import CountDone
from core.orders.scanning import Applied
from core.orders.views import COUNT, SessionView
from core.storage import UnitOfWork


@dataclass(frozen=True)
class Ended:
    """The session that just timed out, to tell its user."""

    session: SessionView
    minutes: int


async def session_of(uow: UnitOfWork, userid: str) -> SessionView | Ended | None:
    """The user's open session, ``Ended`` when it has just timed out, or None."""
    state = await sessions.current(uow, userid)
    if state is None:
        return None
    if isinstance(state, sessions.Expired):
        return Ended(sessions.session_view(state.session), state.minutes)
    return sessions.session_view(state)


async def scan(uow: UnitOfWork, userid: str, raw: str, key: str) -> Applied:
    """Apply a scan to the user's open session (``session_of`` said there is one)."""
    state = await sessions.current(uow, userid)
    if state is None or isinstance(state, sessions.Expired):
        raise InvalidInput("现在没有进行中的扫码，这次扫码未计入")
    return await scanning.apply_scan(uow, state, raw, key)


async def end_session(uow: UnitOfWork, userid: str) -> SessionView:
    state = await sessions.current(uow, userid)
    if state is None or isinstance(state, sessions.Expired):
        raise InvalidInput("现在没有进行中的扫码")
    view = sessions.session_view(state)
    await sessions.close(uow, state)
    return view


async def finish_count(uow: UnitOfWork, userid: str, key: str) -> CountDone:
    state = await sessions.current(uow, userid)
    if state is None or isinstance(state, sessions.Expired) or state.mode != COUNT:
        raise InvalidInput("现在没有进行中的扫码盘点。先发送 盘点 <分类>，例如：盘点 饮料")
    return await counting.finish_count(uow, state, key)
