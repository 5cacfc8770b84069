"""Received messages: stored once by the callback, handled once by the inbox worker.

A row is ``pending`` until the transaction that handled it commits it as ``done`` together with
the replies it caused (outbox rows), or until a failure settles it as ``failed``; the handling
takes the row and marks it in one statement (``take_next``), or, for a group commit's batch
of users, one statement takes their oldest rows and one marks done those handled
(``take_oldest``, ``mark_done``). A crash in between rolls everything back, so the row is
simply handled again after restart.

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
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.common import ConcurrencyConflict, ReceivedMessage
from core.storage import InboxMessage, UnitOfWork

PENDING = "pending"
DONE = "done"
FAILED = "failed"


def _insert_once(dialect: Any, *, answered: bool = False) -> Any:
    done = {"status": DONE, "attempts": 1, "processed_at": bindparam("received_at")}
    return (
        dialect.insert(InboxMessage)
        .values(
            dedupe_key=bindparam("dedupe_key"),
            from_user=bindparam("from_user"),
            kind=bindparam("kind"),
            payload=bindparam("payload", type_=InboxMessage.payload.type),
            received_at=bindparam("received_at", type_=InboxMessage.received_at.type),
            **(done if answered else {"status": PENDING, "attempts": 0}),
        )
        .on_conflict_do_nothing(index_elements=[InboxMessage.dedupe_key])
        .returning(InboxMessage.dedupe_key)
    )


# Built once: every callback and every handled message runs one of them.
_RECEIVE = {"postgresql": _insert_once(postgresql), "sqlite": _insert_once(sqlite)}
_RECEIVE_ANSWERED = {
    "postgresql": _insert_once(postgresql, answered=True),
    "sqlite": _insert_once(sqlite, answered=True),
}
# Claims the user's oldest pending message and closes it as done in one statement: the
# handling's rollback (its savepoint, or its transaction) puts it back to pending.
_TAKE_OLDEST = (
    update(InboxMessage)
    .where(
        InboxMessage.id
        == select(func.min(InboxMessage.id))
        .where(InboxMessage.from_user == bindparam("user"), InboxMessage.status == PENDING)
        .scalar_subquery(),
        InboxMessage.status == PENDING,
    )
    .values(
        status=DONE,
        processed_at=bindparam("now", type_=InboxMessage.processed_at.type),
        attempts=InboxMessage.attempts + 1,
    )
    .returning(
        InboxMessage.id,
        InboxMessage.from_user,
        InboxMessage.kind,
        InboxMessage.payload,
        InboxMessage.dedupe_key,
    )
    .execution_options(synchronize_session=False)
)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(frozen=True)
class Arrival:
    """A message as the callback stores it."""

    dedupe_key: str
    from_user: str
    kind: str
    payload: dict[str, Any]


async def receive(uow: UnitOfWork, arrival: Arrival, *, answered: bool = False) -> bool:
    """Store a received message; False when its dedupe key is already stored.

    ``answered``: stored ``done`` at once, handled when received (its reply went back in the
    callback's own HTTP answer).
    """
    return arrival.dedupe_key in await receive_many(uow, [arrival], answered=answered)


async def receive_many(
    uow: UnitOfWork, arrivals: Sequence[Arrival], *, answered: bool = False
) -> set[str]:
    """``receive`` of a batch's messages in one statement: the dedupe keys stored by it (a
    copy of a message in the same batch is stored once)."""
    statements = _RECEIVE_ANSWERED if answered else _RECEIVE
    statement = statements["postgresql" if uow.is_postgres else "sqlite"]
    now = uow.now()
    rows: dict[str, dict[str, Any]] = {}
    for a in arrivals:  # in order: the ids keep the order they came in
        rows.setdefault(
            a.dedupe_key,
            {
                "dedupe_key": a.dedupe_key,
                "from_user": a.from_user,
                "kind": a.kind,
                "payload": a.payload,
                "received_at": now,
            },
        )
    # On the connection: every callback stores one, and the ORM's execution layer costs more.
    result = await (await uow.connection()).execute(statement, list(rows.values()))
    return set(result.scalars())


# Built once: the inbox worker scans with it whenever a message comes in.
_PENDING_BY_USER = (
    select(InboxMessage.from_user, func.count())
    .where(InboxMessage.status == PENDING)
    .group_by(InboxMessage.from_user)
    .order_by(func.min(InboxMessage.id))
)


async def pending_by_user(uow: UnitOfWork) -> dict[str, int]:
    """How many messages each user has pending, the longest-waiting user first."""
    rows = await (await uow.read_connection()).execute(_PENDING_BY_USER)
    return {user: count for user, count in rows}


def _user_lock_key(from_user: str) -> int:
    digest = hashlib.blake2b(b"jxc-inbox:" + from_user.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def take_next(session: AsyncSession, from_user: str, now: datetime) -> ReceivedMessage | None:
    """The user's oldest pending message, for handling in this transaction.

    It is marked ``done`` (handled at ``now``) at once: that takes effect with the handling
    transaction, and a rollback of it leaves the message pending. None when there is none,
    or (PostgreSQL) when another transaction is handling this user's messages right now;
    that one carries on with the rest of them.
    """
    if _is_postgres(session):
        locked = await session.scalar(
            select(func.pg_try_advisory_xact_lock(_user_lock_key(from_user)))
        )
        if not locked:
            return None
    taken = (await session.execute(_TAKE_OLDEST, {"user": from_user, "now": now})).first()
    if taken is None:
        return None
    row_id, user, kind, payload, dedupe_key = taken
    return ReceivedMessage(row_id, user, kind, payload, dedupe_key)


# The oldest pending message of each of a batch's users, for ``take_oldest``.
_OLDEST_OF_USERS = select(
    InboxMessage.id,
    InboxMessage.from_user,
    InboxMessage.kind,
    InboxMessage.payload,
    InboxMessage.dedupe_key,
).where(
    InboxMessage.id.in_(
        select(func.min(InboxMessage.id))
        .where(
            InboxMessage.status == PENDING,
            InboxMessage.from_user.in_(bindparam("users", expanding=True)),
        )
        .group_by(InboxMessage.from_user)
    )
)
_TRY_USER_LOCKS = text(
    "SELECT key, pg_try_advisory_xact_lock(key) FROM unnest(CAST(:keys AS bigint[])) AS key"
)
_MARK_DONE = (
    update(InboxMessage)
    .where(InboxMessage.id.in_(bindparam("ids", expanding=True)), InboxMessage.status == PENDING)
    .values(
        status=DONE,
        processed_at=bindparam("now", type_=InboxMessage.processed_at.type),
        attempts=InboxMessage.attempts + 1,
    )
    .execution_options(synchronize_session=False)
)


async def take_oldest(uow: UnitOfWork, users: Collection[str]) -> dict[str, ReceivedMessage]:
    """``take_next`` for a batch of users at once, by user: their oldest pending messages.

    The rows stay pending until ``mark_done`` closes those whose handling succeeded, in the
    same transaction: one that failed is simply not marked, and is taken again. A user without
    a pending message, or (PostgreSQL) whose messages another transaction is handling right
    now, is missing from the result.
    """
    connection = await uow.connection()
    wanted = sorted(set(users))
    if connection.dialect.name == "postgresql" and wanted:
        keys = {_user_lock_key(user): user for user in wanted}
        locks = await connection.execute(_TRY_USER_LOCKS, {"keys": sorted(keys)})
        wanted = sorted(keys[key] for key, locked in locks if locked)
    if not wanted:
        return {}
    rows = await connection.execute(_OLDEST_OF_USERS, {"users": wanted})
    return {
        user: ReceivedMessage(row_id, user, kind, payload, dedupe_key)
        for row_id, user, kind, payload, dedupe_key in rows
    }


async def mark_done(uow: UnitOfWork, row_ids: Collection[int], now: datetime) -> None:
    """Close messages taken by ``take_oldest`` as handled at ``now``, in one statement.

    Raises ``ConcurrencyConflict`` when one of them is no longer pending (the shared
    transaction then runs again, message by message).
    """
    if not row_ids:
        return
    connection = await uow.connection()
    result = await connection.execute(_MARK_DONE, {"ids": sorted(row_ids), "now": now})
    if result.rowcount != len(row_ids):
        raise ConcurrencyConflict("an inbox message was handled by another transaction")


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
