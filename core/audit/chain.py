"""Hash-chained operation log: each row's hash covers the previous hash and its own content."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.storage.models import AuditHead, AuditLog

LOG = cast(Table, AuditLog.__table__)
HEADS = cast(Table, AuditHead.__table__)
GENESIS = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]


def _jsonable(value: Any) -> Any:
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
    prev = await connection.scalar(
        select(HEADS.c.last_hash).where(HEADS.c.id == HEAD_ID).with_for_update()
    )
    if prev is None:
        raise RuntimeError("audit_head row missing: run `jxc db upgrade`")
    rows = []
    for entry in entries:
        # Hash the instant as it will be read back: UTC, to the microsecond.
        at = entry.at.astimezone(UTC)
        payload = _jsonable(entry.payload)
        content = _canonical(at, entry.actor, entry.action, entry.subject, payload)
        digest = chain_hash(prev, content)
        rows.append(
            {
                "at": at,
                "actor": entry.actor,
                "action": entry.action,
                "subject": entry.subject,
                "payload": payload,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    await connection.execute(insert(LOG), rows)
    await connection.execute(update(HEADS).where(HEADS.c.id == HEAD_ID).values(last_hash=prev))
