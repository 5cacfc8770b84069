"""A callback's message into the inbox: the one durable step before WeCom hears back."""

from __future__ import annotations

from bot.wecom_messages import CallbackMessage
from core.messaging import inbox
from core.storage import UnitOfWork


async def store(uow: UnitOfWork, message: CallbackMessage, *, answered: bool = False) -> bool:
    """False when the message is stored already (WeCom's retry); ``answered``: stored done,
    its reply having gone back in the callback's own response."""
    return await inbox.receive(
        uow,
        dedupe_key=message.dedupe_key,
        from_user=message.from_user,
        kind=message.kind,
        payload=message.to_payload(),
        received_at=uow.now(),
        answered=answered,
    )
