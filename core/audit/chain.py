"""Hash-chained operation log: each row's hash covers the previous hash and its own content."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.driver_rows import RowStatement
from core.storage.models import AuditHead, AuditLog

LOG = cast(Table, AuditLog.__table__)
HEADS = cast(Table, AuditHead.__table__)
GENESIS = "0" * 64
HEAD_ID = 1
# Built once: a commit of a batch of postings appends fifty entries through them.
_HEAD = select(HEADS.c.last_hash).where(HEADS.c.id == HEAD_ID).with_for_update()
_MOVE_HEAD = update(HEADS).where(HEADS.c.id == HEAD_ID).values(last_hash=bindparam("head"))
_INSERT = RowStatement(
    insert(LOG), ("at", "actor", "action", "subject", "payload", "prev_hash", "hash")
)


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]


# A posting's payload is mostly these: returned as they are before any other test.
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def canonical(at: datetime, actor: str, action: str, subject: str, payload: Any) -> str:
    return _canonical(at, actor, action, subject, _jsonable(payload))


def _canonical(at: datetime, actor: str, action: str, subject: str, jsonable: Any) -> str:
    body = {
        "at": at.isoformat(),
        "actor": actor,
        "action": action,
        "subject": subject,
        "payload": jsonable,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


async def append(session: AsyncSession, entries: list[Entry]) -> None:
    """Append entries after the current head, holding the head row lock until commit."""
    await session.flush()
    connection = await session.connection()
    prev = await connection.scalar(_HEAD)
    if prev is None:
        raise RuntimeError("audit_head row missing: run `jxc db upgrade`")
    rows = []
    for entry in entries:
        # Hash the instant as it will be read back: UTC, to the microsecond.
        at = entry.at.astimezone(UTC)
        payload = _jsonable(entry.payload)
        content = _canonical(at, entry.actor, entry.action, entry.subject, payload)
        digest = chain_hash(prev, content)
        rows.append((at, entry.actor, entry.action, entry.subject, payload, prev, digest))
        prev = digest
    await _INSERT.run(connection, rows)
    await connection.execute(_MOVE_HEAD, {"head": prev})
