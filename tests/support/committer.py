"""The group committer as the app runs it, and a record of the statements it sends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from core.storage import DatabaseThread, GroupCommitter, UnitOfWork


@asynccontextmanager
async def app_committer(uow: UnitOfWork, database_url: str) -> AsyncIterator[GroupCommitter]:
    """On SQLite over a database thread, as ``bot.app`` runs it; on PostgreSQL without."""
    if database_url.startswith("sqlite"):
        async with DatabaseThread(database_url) as thread, GroupCommitter(uow, thread) as c:
            yield c
    else:
        async with GroupCommitter(uow) as c:
            yield c


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """Every statement sent to a database in this process (the database thread's included),
    its whitespace collapsed."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        seen.append(" ".join(sql.split()))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)
