"""What a user's next message continues (a numbered pick, a document list): one row per user.

A new conversation replaces the old one; rows older than ``TTL`` are treated as absent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from core.storage import ConversationState, UnitOfWork

TTL_MINUTES = 10
TTL = timedelta(minutes=TTL_MINUTES)


async def load(uow: UnitOfWork, userid: str, kind: str) -> dict[str, Any] | None:
    """The live state of ``kind`` for ``userid``, or None when absent, replaced or expired."""
    row = (
        await uow.session.execute(
            select(
                ConversationState.kind, ConversationState.payload, ConversationState.expires_at
            ).where(ConversationState.userid == userid)
        )
    ).first()
    if row is None or row.kind != kind or row.expires_at <= uow.now():
        return None
    payload: dict[str, Any] = row.payload
    return payload


async def save(uow: UnitOfWork, userid: str, kind: str, payload: dict[str, Any]) -> None:
    values = {"kind": kind, "payload": payload, "expires_at": uow.now() + TTL}
    dialect = postgresql if uow.is_postgres else sqlite
    # An upsert: two messages of one user racing must not fail on the primary key.
    statement = (
        dialect.insert(ConversationState)
        .values(userid=userid, **values)
        .on_conflict_do_update(index_elements=["userid"], set_=values)
    )
    await uow.session.execute(statement)


async def clear(uow: UnitOfWork, userid: str) -> None:
    await uow.session.execute(delete(ConversationState).where(ConversationState.userid == userid))
