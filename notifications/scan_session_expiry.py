"""Scan sessions left idle: end them and tell each user, so nobody scans into a closed one."""

from __future__ import annotations

from core import orders
from core.messaging import outbox
from core.storage import UnitOfWork
from notifications.render import render


async def end_idle_sessions(uow: UnitOfWork) -> list[str]:
    """End idle sessions; one message to each user. Returns whose sessions ended."""
    ended = await orders.expire_idle(uow)
    minutes = uow.settings.scan_session_idle_minutes
    for session in ended:
        text = render("scan_session_expired.j2", tz=uow.tz, session=session, minutes=minutes)
        await outbox.enqueue(uow, "user", session.userid, outbox.text_payload(text))
    return [f"{s.userid}:{s.subject}" for s in ended]
