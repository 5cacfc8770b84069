"""Outgoing messages, written in the same transaction as the change that caused them.

``channel`` says how a row is delivered and ``target`` to whom:
``user`` (userids joined by "|"), ``appchat`` (chat id), ``webhook`` (group-robot key) and
``card_update`` (a template card to update). ``payload`` is the message body without the
addressing fields; the delivery worker adds those.

Delivery (``notifications.delivery``) claims due rows in a short transaction of its own: the
claim sets ``claimed_until`` (a lease), and the row is sent after that commit, outside any
transaction, so no database lock is held during a slow API call. A claimed row is invisible to
other claims until its lease runs out; on PostgreSQL the claim also skips rows that a concurrent
claim has locked (``FOR UPDATE SKIP LOCKED``), so several bot instances never send a row twice.
Every outcome is recorded only while the row is still ``pending``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage import OutboxMessage, UnitOfWork

CHANNELS = ("user", "appchat", "webhook", "card_update")
# Built once: every chat message checks its reply key.
_ID_BY_KEY = select(OutboxMessage.id).where(OutboxMessage.dedupe_key == bindparam("key"))
PENDING = "pending"
SENT = "sent"
DEAD = "dead"


async def enqueue(
    uow: UnitOfWork,
    channel: str,
    target: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Add a message, due now by the unit of work's clock.

    With ``dedupe_key``, a key seen before adds nothing and returns None.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    session = uow.session
    if dedupe_key is not None and await exists(session, dedupe_key):
        return None
    now = uow.now()
    row = OutboxMessage(
        channel=channel,
        target=target,
        payload=payload,
        dedupe_key=dedupe_key,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def exists(session: AsyncSession, dedupe_key: str) -> bool:
    found = await session.scalar(_ID_BY_KEY, {"key": dedupe_key})
    return found is not None


def text_payload(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def markdown_payload(content: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    return or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now)


async def claim_due(
    session: AsyncSession, now: datetime, *, limit: int, lease: timedelta
) -> list[OutboxMessage]:
    """Lease up to ``limit`` due rows, oldest first, until ``now + lease``."""
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == PENDING,
                OutboxMessage.next_attempt_at <= now,
                _unclaimed(now),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.claimed_until = now + lease
    await session.flush()
    return rows


async def _close(session: AsyncSession, row_id: int, **values: Any) -> bool:
    closed = await session.scalar(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == PENDING)
        .values(claimed_until=None, **values)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return closed is not None


async def mark_sent(
    session: AsyncSession, row_id: int, now: datetime, response: dict[str, Any]
) -> bool:
    """Record a delivery and the API's answer (cards need its ``response_code`` later)."""
    return await _close(
        session,
        row_id,
        status=SENT,
        sent_at=now,
        response=response,
        attempts=OutboxMessage.attempts + 1,
    )


async def mark_retry(session: AsyncSession, row_id: int, retry_at: datetime, error: str) -> bool:
    """Count a failed attempt and make the row due again at ``retry_at``."""
    return await _close(
        session,
        row_id,
        next_attempt_at=retry_at,
        last_error=error,
        attempts=OutboxMessage.attempts + 1,
    )


async def mark_dead(session: AsyncSession, row_id: int, error: str) -> bool:
    """Give up on a row (a dead letter); it stays for ``/healthz`` and the operator."""
    return await _close(
        session, row_id, status=DEAD, last_error=error, attempts=OutboxMessage.attempts + 1
    )


async def defer(session: AsyncSession, row_id: int, until: datetime) -> bool:
    """Hold a row back until ``until`` without counting an attempt (rate limits)."""
    return await _close(session, row_id, next_attempt_at=until)


async def next_due_at(session: AsyncSession, now: datetime) -> datetime | None:
    """When the earliest unclaimed pending row falls due."""
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == PENDING, _unclaimed(now)
        )
    )


async def status_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows}
