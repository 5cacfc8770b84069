"""Outgoing messages, written in the same transaction as the change that caused them.

``channel`` says how a row is delivered and ``target`` to whom:
``user`` (userids joined by "|", as many as there are: the column has no length limit),
``appchat`` (chat id), ``webhook`` (group-robot key) and ``card_update`` (a template card to
update). ``target_key`` (a hash of channel and target) finds the rows of one target.
``payload`` is the message body without the addressing fields; the delivery worker adds those.

Delivery (``notifications.outbox_worker``) claims due rows in a short transaction of its own:
the claim writes the claiming instance's id into ``claimed_by``, and the row is sent after that
commit, outside any transaction, so no database lock is held during a slow API call.

- Only the oldest pending row of a target can be claimed, so a target's rows go out in id order
  and row n+1 is never sent before row n is sent or dead, also across crashes and instances.
- A claim belongs to a live instance: every instance keeps a heartbeat row in
  ``delivery_instances``; the claims of an instance whose heartbeat is stale (or whose process
  is gone) are released, so another or a restarted instance sends them within seconds.
- On PostgreSQL the claim also skips rows that a concurrent claim has locked
  (``FOR UPDATE SKIP LOCKED``), so two instances never claim the same row.
- Every outcome is recorded only while the row is still ``pending``.

A crash between a send and the record of its outcome, or an answer lost after WeCom delivered,
makes the row go out again: ``message/send`` is sent with WeCom's duplicate check (see
``bot.wecom_api``), which drops a request identical to one sent within the interval. Two
honest replies with the same text to the same users would be identical requests, so ``enqueue``
makes such a row distinct: ``repeat`` counts the identical rows still within the check's reach
and the content gets that many zero-width spaces (invisible in WeCom) appended.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy import (
    exists as sql_exists,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from core.common import OutgoingMessage, QueuedMessage
from core.storage import DeliveryInstance, OutboxMessage, RowStatement, UnitOfWork

CHANNELS = ("user", "appchat", "webhook", "card_update")
# Built once: every chat message checks its reply key.
_ID_BY_KEY = select(OutboxMessage.id).where(OutboxMessage.dedupe_key == bindparam("key"))


def _insert_once(dialect: Any) -> Any:
    table = OutboxMessage.__table__
    return (
        dialect.insert(table)
        .values(status=PENDING, attempts=0)
        .on_conflict_do_nothing(index_elements=[table.c.dedupe_key])
        .returning(table.c.id)
    )


PENDING = "pending"
SENT = "sent"
DEAD = "dead"
# Built once: every reply is one of them.
_ENQUEUE = {"postgresql": _insert_once(postgresql), "sqlite": _insert_once(sqlite)}
_ROW_KEYS = (
    "channel",
    "target",
    "target_key",
    "payload",
    "dedupe_key",
    "content_key",
    "repeat",
    "created_at",
    "next_attempt_at",
)


def _insert_rows_once(dialect: Any) -> RowStatement:
    table = OutboxMessage.__table__
    statement = (
        dialect.insert(table)
        .values(status=PENDING, attempts=0)
        .on_conflict_do_nothing(index_elements=[table.c.dedupe_key])
    )
    return RowStatement(statement, _ROW_KEYS)


# A batch of handled messages writes all its replies with one of these.
_ENQUEUE_ROWS = {"postgresql": _insert_rows_once(postgresql), "sqlite": _insert_rows_once(sqlite)}
# How long WeCom's duplicate check remembers a ``message/send`` (bot.wecom_api sends it).
DUPLICATE_CHECK_INTERVAL = timedelta(minutes=30)
# Text-like bodies that can repeat word for word; cards carry a unique task_id already.
_MARKABLE = ("text", "markdown")
_INVISIBLE = "\u200b"


def target_key(channel: str, target: str) -> str:
    return hashlib.sha1(f"{channel}:{target}".encode()).hexdigest()


def _content_key(channel: str, target: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(f"{channel}:{target}:{canonical}".encode()).hexdigest()


async def enqueue(
    uow: UnitOfWork,
    channel: str,
    target: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
) -> int | None:
    """Add a message, due now by the unit of work's clock; returns its id.

    With ``dedupe_key``, a key seen before adds nothing and returns None.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    session = uow.session
    now = uow.now()
    content_key = repeat = None
    if channel == "user" and payload.get("msgtype") in _MARKABLE:
        content_key = _content_key(channel, target, payload)
        repeat = await _next_repeat(session, content_key, now)
        payload = _marked(payload, repeat)
    values = {
        "channel": channel,
        "target": target,
        "target_key": target_key(channel, target),
        "payload": payload,
        "dedupe_key": dedupe_key,
        "content_key": content_key,
        "repeat": repeat or 0,
        "created_at": now,
        "next_attempt_at": now,
    }
    # A key seen before is settled by the unique index, in the same statement.
    insert = _ENQUEUE["postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"]
    added: int | None = await session.scalar(insert, values)
    return added


# What ``response`` holds for a reply that went back in the callback's own HTTP answer.
PASSIVE_RESPONSE = {"passive": True}


# Built once: the read lane records every reply it gives with it.
_RECORD_PASSIVE = insert(OutboxMessage)


async def record_passive(
    uow: UnitOfWork, replies: Sequence[tuple[str, dict[str, Any], str]]
) -> None:
    """Record replies (each to one user: its target, payload and dedupe key) that went back in
    the callbacks' HTTP answers, in one statement.

    Each is ``sent`` from the start, so the delivery worker never sends it; a retry of the
    callback finds it by its dedupe key (``core.messaging.queued``) and is answered the same.
    """
    now = uow.now()
    rows = [
        {
            "channel": "user",
            "target": target,
            "target_key": target_key("user", target),
            "payload": payload,
            "dedupe_key": dedupe_key,
            "repeat": 0,
            "created_at": now,
            "next_attempt_at": now,
            "status": SENT,
            "sent_at": now,
            "attempts": 1,
            "response": PASSIVE_RESPONSE,
        }
        for target, payload, dedupe_key in replies
    ]
    if rows:
        await (await uow.connection()).execute(_RECORD_PASSIVE, rows)


@dataclass(frozen=True)
class Outgoing:
    """A message to add to the outbox, as ``enqueue`` takes it: written by ``enqueue_many``."""

    channel: str
    target: str
    payload: dict[str, Any]
    dedupe_key: str | None = None


async def enqueue_many(uow: UnitOfWork, messages: Sequence[Outgoing]) -> None:
    """``enqueue`` of each message in order, in two statements for all of them.

    One query finds the repeats of every text-like body, one multi-row insert adds the rows;
    a dedupe key seen before adds nothing, as with ``enqueue``.
    """
    if not messages:
        return
    for message in messages:
        if message.channel not in CHANNELS:
            raise ValueError(f"unknown outbox channel {message.channel!r}")
    now = uow.now()
    content_keys = [
        _content_key(m.channel, m.target, m.payload)
        if m.channel == "user" and m.payload.get("msgtype") in _MARKABLE
        else None
        for m in messages
    ]
    marked = {key for key in content_keys if key is not None}
    latest = await _latest_repeats(await uow.read_connection(), marked, now) if marked else {}
    rows = []
    for message, content_key in zip(messages, content_keys, strict=True):
        payload, repeat = message.payload, 0
        if content_key is not None:
            # An identical body earlier in this call counts as one WeCom may compare with
            # (also when its dedupe key drops it: a repeat skipped is still distinct).
            repeat = latest.get(content_key, -1) + 1
            latest[content_key] = repeat
            payload = _marked(payload, repeat)
        rows.append(
            (
                message.channel,
                message.target,
                target_key(message.channel, message.target),
                payload,
                message.dedupe_key,
                content_key,
                repeat,
                now,
                now,
            )
        )
    connection = await uow.connection()
    await _ENQUEUE_ROWS[connection.dialect.name].run(connection, rows)


def _in_reach(since: Any) -> ColumnElement[bool]:
    """Identical rows WeCom may still compare a new one with: the pending ones and those sent
    (or last tried) since ``since``, twice the check's interval ago."""
    return or_(
        OutboxMessage.status == PENDING,
        func.coalesce(OutboxMessage.sent_at, OutboxMessage.next_attempt_at) >= since,
    )


_LATEST_REPEATS = (
    select(OutboxMessage.content_key, func.max(OutboxMessage.repeat))
    .where(
        OutboxMessage.content_key.in_(bindparam("keys", expanding=True)),
        _in_reach(bindparam("since", type_=OutboxMessage.sent_at.type)),
    )
    .group_by(OutboxMessage.content_key)
)


async def _latest_repeats(
    connection: AsyncConnection, content_keys: Collection[str], now: datetime
) -> dict[str, int]:
    since = now - 2 * DUPLICATE_CHECK_INTERVAL
    rows = await connection.execute(_LATEST_REPEATS, {"keys": sorted(content_keys), "since": since})
    return {str(key): int(latest) for key, latest in rows}


async def _next_repeat(session: AsyncSession, content_key: str, now: datetime) -> int:
    """0, or one more than the identical rows WeCom may still compare this one with."""
    since = now - 2 * DUPLICATE_CHECK_INTERVAL
    latest = await session.scalar(
        select(func.max(OutboxMessage.repeat)).where(
            OutboxMessage.content_key == content_key, _in_reach(since)
        )
    )
    return 0 if latest is None else latest + 1


def _marked(payload: dict[str, Any], repeat: int) -> dict[str, Any]:
    if not repeat:
        return payload
    msgtype = payload["msgtype"]
    body = dict(payload[msgtype])
    body["content"] = str(body["content"]) + _INVISIBLE * repeat
    return {**payload, msgtype: body}


async def exists(session: AsyncSession, dedupe_key: str) -> bool:
    found = await session.scalar(_ID_BY_KEY, {"key": dedupe_key})
    return found is not None


_KEYS_STORED = select(OutboxMessage.dedupe_key).where(
    OutboxMessage.dedupe_key.in_(bindparam("keys", expanding=True))
)


async def existing(uow: UnitOfWork, dedupe_keys: Collection[str]) -> set[str]:
    """Which of ``dedupe_keys`` a row already has: ``exists`` for a batch, in one query."""
    if not dedupe_keys:
        return set()
    connection = await uow.read_connection()
    rows = await connection.execute(_KEYS_STORED, {"keys": sorted(dedupe_keys)})
    return {str(key) for (key,) in rows}


def text_payload(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def markdown_payload(content: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": content}}


MEDIA_KINDS = ("image", "file")


def media_payload(kind: str, path: str, name: str) -> dict[str, Any]:
    """A picture or file message. The file stays on disk under the data dir (``path`` is
    relative to it) and is uploaded by ``media/upload`` when the row is delivered: a media id
    lives three days, a row may wait longer, and the outbox stays small.
    """
    if kind not in MEDIA_KINDS:
        raise ValueError(f"unknown media kind {kind!r}")
    return {"msgtype": kind, kind: {"path": path, "name": name}}


def _heads_its_target() -> ColumnElement[bool]:
    earlier = aliased(OutboxMessage)
    return ~sql_exists().where(
        earlier.target_key == OutboxMessage.target_key,
        earlier.status == PENDING,
        earlier.id < OutboxMessage.id,
    )


_CLAIMABLE = (OutboxMessage.claimed_by.is_(None), _heads_its_target())


async def claim_due(
    session: AsyncSession, now: datetime, *, limit: int, instance: str
) -> list[OutgoingMessage]:
    """Claim for ``instance`` up to ``limit`` due, unclaimed rows that head their target."""
    rows = list(
        await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == PENDING,
                OutboxMessage.next_attempt_at <= now,
                *_CLAIMABLE,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(of=OutboxMessage, skip_locked=True)
        )
    )
    for row in rows:
        row.claimed_by = instance
    await session.flush()
    return [_outgoing(r) for r in rows]


def _outgoing(row: OutboxMessage) -> OutgoingMessage:
    return OutgoingMessage(
        row.id, row.channel, row.target, row.target_key, row.payload, row.attempts
    )


async def _close(session: AsyncSession, row_id: int, **values: Any) -> bool:
    closed = await session.scalar(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == PENDING)
        .values(claimed_by=None, **values)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return closed is not None


@dataclass(frozen=True)
class Sent:
    """A delivery to record: the row, when it went out and the API's answer."""

    row_id: int
    at: datetime
    response: dict[str, Any]


async def mark_sent(session: AsyncSession, sent: Sequence[Sent]) -> set[int]:
    """Record deliveries, each with the API's answer (cards need its ``response_code`` later),
    in one statement; the ids it recorded (a row no longer pending is left alone)."""
    if not sent:
        return set()
    by_id = OutboxMessage.id
    at_type, response_type = OutboxMessage.sent_at.type, OutboxMessage.response.type
    closed = await session.scalars(
        update(OutboxMessage)
        .where(by_id.in_([s.row_id for s in sent]), OutboxMessage.status == PENDING)
        .values(
            claimed_by=None,
            status=SENT,
            sent_at=case({s.row_id: literal(s.at, at_type) for s in sent}, value=by_id),
            response=case(
                {s.row_id: literal(s.response, response_type) for s in sent}, value=by_id
            ),
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(by_id)
        .execution_options(synchronize_session=False)
    )
    return set(closed)


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


async def next_due_at(session: AsyncSession) -> datetime | None:
    """When the earliest claimable row (unclaimed, heading its target) falls due."""
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == PENDING, *_CLAIMABLE
        )
    )


async def oldest_pending_since(session: AsyncSession) -> datetime | None:
    """When the longest-waiting pending row was added (every row is due from then on)."""
    return await session.scalar(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == PENDING)
    )


async def rows_with_status(session: AsyncSession, status: str) -> list[QueuedMessage]:
    """Every row in ``status``, oldest first (``jxc outbox``)."""
    rows = await session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == status).order_by(OutboxMessage.id)
    )
    return [
        QueuedMessage(r.id, r.channel, r.target, r.payload, r.attempts, r.created_at, r.last_error)
        for r in rows
    ]


async def status_of(session: AsyncSession, row_id: int) -> str | None:
    """The row's status; None when there is no such row."""
    return await session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == row_id))


async def resend_dead(session: AsyncSession, now: datetime, row_id: int | None = None) -> list[int]:
    """Make dead letters (all, or the one ``row_id``) pending and due at ``now``; their ids.

    Their attempts start again from zero, so each gets the whole backoff schedule once more;
    ``last_error`` stays until the next outcome replaces it.
    """
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.status == DEAD)
        .values(status=PENDING, next_attempt_at=now, claimed_by=None, attempts=0)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    if row_id is not None:
        statement = statement.where(OutboxMessage.id == row_id)
    return sorted(await session.scalars(statement))


async def status_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: count for status, count in rows}


# -- delivery instances -------------------------------------------------------------------


async def register_instance(
    session: AsyncSession, instance: str, host: str, pid: int, now: datetime
) -> None:
    """Add ``instance``'s heartbeat row (again, if it was given up for dead)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(DeliveryInstance)
        .values(id=instance, host=host, pid=pid, started_at=now, heartbeat_at=now)
        .on_conflict_do_update(index_elements=["id"], set_={"heartbeat_at": now})
    )


async def heartbeat(session: AsyncSession, instance: str, now: datetime) -> bool:
    """Renew ``instance``'s heartbeat; False when it was given up for dead meanwhile."""
    beat = await session.execute(
        update(DeliveryInstance)
        .where(DeliveryInstance.id == instance)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(beat.rowcount == 1)  # type: ignore[attr-defined]


async def instances_on(session: AsyncSession, host: str) -> dict[str, int]:
    """The delivery instances registered on ``host``: their ids and process ids."""
    rows = await session.execute(
        select(DeliveryInstance.id, DeliveryInstance.pid).where(DeliveryInstance.host == host)
    )
    return {instance: pid for instance, pid in rows}


async def reap(
    session: AsyncSession, me: str, stale_before: datetime, dead: Collection[str] = ()
) -> int:
    """Forget instances that are ``dead`` or silent since ``stale_before`` (never ``me``) and
    release every claim no live instance holds; returns how many rows were released."""
    await session.execute(
        delete(DeliveryInstance)
        .where(
            DeliveryInstance.id != me,
            or_(DeliveryInstance.heartbeat_at < stale_before, DeliveryInstance.id.in_(dead)),
        )
        .execution_options(synchronize_session=False)
    )
    released = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.claimed_by.is_not(None),
            OutboxMessage.claimed_by != me,
            OutboxMessage.claimed_by.not_in(select(DeliveryInstance.id)),
        )
        .values(claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return int(released.rowcount)  # type: ignore[attr-defined]


async def retire(session: AsyncSession, instance: str) -> None:
    """A clean stop: release ``instance``'s claims and drop its heartbeat row."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.claimed_by == instance)
        .values(claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(DeliveryInstance)
        .where(DeliveryInstance.id == instance)
        .execution_options(synchronize_session=False)
    )
