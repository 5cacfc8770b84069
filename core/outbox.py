"""Outgoing messages, written in the same transaction as the change that caused them.

``channel`` says how a row is delivered and ``target`` to whom:
``user`` (userids joined by "|"), ``appchat`` (chat id), ``webhook`` (group-robot key) and
``card_update`` (a template card to update). ``payload`` is the message body without the
addressing fields; the delivery worker adds those.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import OutboxMessage

CHANNELS = ("user", "appchat", "webhook", "card_update")


async def enqueue(
    session: AsyncSession,
    channel: str,
    target: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Add a message; with ``dedupe_key``, a key seen before adds nothing and returns None."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    if dedupe_key is not None:
        existing = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return None
    row = OutboxMessage(channel=channel, target=target, payload=payload, dedupe_key=dedupe_key)
    session.add(row)
    await session.flush()
    return row


def text_payload(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def markdown_payload(content: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": content}}
