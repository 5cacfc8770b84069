"""Received messages: stored once by the callback, handled once by the inbox worker.

A row is ``pending`` until the transaction that handled it commits it as ``done`` together with
the replies it caused (outbox rows), or until a failure settles it as ``failed``. A crash in
between rolls everything back, so the row is simply handled again after restart.

Concurrency:
- duplicates (WeCom retries, or the same message reaching two bot instances) meet the unique
  ``dedupe_key``; the insert is ``ON CONFLICT DO NOTHING``, so the race between two concurrent
  inserts is settled by the database (on PostgreSQL the second waits for the first to commit)
  and nobody has to catch an ``IntegrityError``;
- one user's messages are handled in order, by one transaction at a time: on PostgreSQL each
  handling transaction holds a per-user advisory lock (several bot instances may share the
  database); SQLite has a single writer, so every transaction is already alone.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.common import ReceivedMessage
from core.storage import InboxMessage

PENDING = "pending"
DONE = "done"
FAILED = "failed"


def _insert_once(dialect: Any) -> Any:
    return (
        dialect.insert(InboxMessage)
        .values(
            dedupe_key=bindparam("dedupe_key"),
            from_user=bindparam("from_user"),
            kind=bindparam("kind"),
            payload=bindparam("payload", type_=InboxMessage.payload.type),
            received_at=bindparam("received_at", type_=InboxMessage.received_at.type),
            status=PENDING,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[InboxMessage.dedupe_key])
        .returning(InboxMessage.id)
    )


# Built once: every callback and every handled message runs one of them.
_RECEIVE = {"postgresql": _insert_once(postgresql), "sqlite": _insert_once(sqlite)}
_OLDEST_PENDING = (
    select(InboxMessage)
    .where(InboxMessage.from_user == bindparam("from_user"), InboxMessage.status == PENDING)
    .order_by(InboxMessage.id)
    .limit(1)
)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def receive(
    session: AsyncSession,
    *,
    dedupe_key: str,
    from_user: str,
    kind: str,
    payload: dict[str, Any],
    received_at: datetime,
) -> bool:
    """Store a received message; False when its dedupe key is already stored."""
    statement = _RECEIVE["postgresql" if _is_postgres(session) else "sqlite"]
    values = {
        "dedupe_key": dedupe_key,
        "from_user": from_user,
        "kind": kind,
        "payload": payload,
        "received_at": received_at,
    }
    inserted = await session.scalar(statement, values)
    return inserted is not None


async def users_with_pending(session: AsyncSession) -> list[str]:
    """Users with pending messages, the longest-waiting first."""
    rows = await session.scalars(
        select(InboxMessage.from_user)
        .where(InboxMessage.status == PENDING)
        .group_by(InboxMessage.from_user)
        .order_by(func.min(InboxMessage.id))
    )
    return list(rows)


def _user_lock_key(from_user: str) -> int:
    digest = hashlib.blake2b(b"jxc-inbox:" + from_user.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def claim_next(session: AsyncSession, from_user: str) -> ReceivedMessage | None:
    """The user's oldest pending message, for handling in this transaction.

    None when there is none, or (PostgreSQL) when another transaction is handling this user's
    messages right now; that one carries on with the rest of them.
    """
    if _is_postgres(session):
        locked = await session.scalar(
            select(func.pg_try_advisory_xact_lock(_user_lock_key(from_user)))
        )
        if not locked:
            return None
    row = await session.scalar(_OLDEST_PENDING, {"from_user": from_user})
    if row is None:
        return None
    return ReceivedMessage(row.id, row.from_user, row.kind, row.payload, row.dedupe_key)


async def mark_done(session: AsyncSession, message: ReceivedMessage, now: datetime) -> None:
    """Record that ``message`` was handled; it takes effect with the handling transaction."""
    # The claimed row is in the session already: no query, and the flush at commit writes it.
    row = await session.get_one(InboxMessage, message.id)
    row.status = DONE
    row.processed_at = now
    row.attempts += 1


async def settle(
    session: AsyncSession, row_id: int, status: str, now: datetime, error: str
) -> bool:
    """Close a message whose handling failed; False when it is no longer pending."""
    settled = await session.scalar(
        update(InboxMessage)
        .where(InboxMessage.id == row_id, InboxMessage.status == PENDING)
        .values(status=status, processed_at=now, attempts=InboxMessage.attempts + 1, error=error)
        .returning(InboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return settled is not None


async def oldest_pending_since(session: AsyncSession) -> datetime | None:
    """When the longest-waiting pending message was received."""
    return await session.scalar(
        select(func.min(InboxMessage.received_at)).where(InboxMessage.status == PENDING)
    )


async def status_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(InboxMessage.status, func.count()).group_by(InboxMessage.status)
    )
    return {status: count for status, count in rows}
