"""A callback's message into the inbox: the one durable step before WeCom hears back."""

from __future__ import annotations

from bot.wecom_messages import CallbackMessage
from core.messaging import inbox
from core.storage import Settled, UnitOfWork


def arrival(message: CallbackMessage) -> inbox.Arrival:
    return inbox.Arrival(message.dedupe_key, message.from_user, message.kind, message.to_payload())


async def store(uow: UnitOfWork, message: CallbackMessage, *, answered: bool = False) -> bool:
    """False when the message is stored already (WeCom's retry); ``answered``: stored done,
    its reply having gone back in the callback's own response."""
    return await inbox.receive(uow, arrival(message), answered=answered)


async def store_many(
    uow: UnitOfWork, messages: list[CallbackMessage], *, answered: bool = False
) -> list[bool]:
    """``store`` of a batch's messages in one statement: each True when stored now, False for
    a message stored before or a copy of one earlier in the list."""
    stored = await inbox.receive_many(uow, [arrival(m) for m in messages], answered=answered)
    seen: set[str] = set()
    fresh = []
    for message in messages:
        key = message.dedupe_key
        fresh.append(key in stored and key not in seen)
        seen.add(key)
    return fresh


class Store:
    """Storing one callback's message, as the group committer runs it: the stores of a batch
    are one statement (``together``); True when stored, False for a copy of one stored."""

    def __init__(self, message: CallbackMessage) -> None:
        self.message = message

    async def __call__(self, uow: UnitOfWork) -> bool:
        return await store(uow, self.message)

    @staticmethod
    async def together(uow: UnitOfWork, works: list[Store]) -> list[Settled]:
        return [Settled(fresh) for fresh in await store_many(uow, [w.message for w in works])]
