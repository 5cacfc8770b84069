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


class Store:
    """Storing one callback's message, as the group committer runs it: the stores of a batch
    are one statement (``together``); True when stored, False for a copy of one stored."""

    def __init__(self, message: CallbackMessage) -> None:
        self.message = message

    async def __call__(self, uow: UnitOfWork) -> bool:
        return await store(uow, self.message)

    @staticmethod
    async def together(uow: UnitOfWork, works: list[Store]) -> list[Settled]:
        stored = await inbox.receive_many(uow, [arrival(w.message) for w in works])
        return [Settled(key in stored) for key in first_copies([w.message for w in works])]


def first_copies(messages: list[CallbackMessage]) -> list[str]:
    """Each message's dedupe key, or "" for a later copy of one earlier in the list."""
    seen: set[str] = set()
    keys = []
    for message in messages:
        key = message.dedupe_key
        keys.append("" if key in seen else key)
        seen.add(key)
    return keys
