"""Engines and sessions for SQLite (embedded default) and PostgreSQL (chains)."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from core.storage.sqlite_inline import InlineConnection

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine(
    url: str, *, inline: bool = False, read_only: bool = False, **kwargs: Any
) -> AsyncEngine:
    """An async engine; on SQLite every transaction takes the write lock up front.

    Statement parameters (chat text, webhook keys) are never rendered into error messages or
    logs (``hide_parameters``).

    SQLite allows one writer. A deferred transaction that reads and then writes fails with
    "database is locked" when another writer got in between; ``BEGIN IMMEDIATE`` makes the
    second writer wait (``busy_timeout``) instead, so posting never sees a stale balance.

    ``read_only``: transactions that read one snapshot, never wait for the writer, and whose
    writes the database refuses (SQLite: a deferred ``BEGIN`` on a ``query_only`` connection
    without ``busy_timeout``, which WAL lets read beside the writer's open transaction;
    PostgreSQL: read-only repeatable read).
    """
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if read_only:
            kwargs.setdefault("connect_args", {})["server_settings"] = READ_ONLY_PG
        return create_async_engine(url, **kwargs)
    if inline:
        kwargs["async_creator"] = partial(InlineConnection.open, parsed.database or ":memory:")
    engine = create_async_engine(url, **kwargs)
    _configure_sqlite(engine, read_only=read_only)
    return engine


READ_ONLY_PG = {
    "default_transaction_read_only": "on",
    "default_transaction_isolation": "repeatable read",
}


def _configure_sqlite(engine: AsyncEngine, *, read_only: bool = False) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection.isolation_level is not None:
            dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        if read_only:
            # Never wait (in WAL a reader is blocked only in rare cases, such as recovery):
            # SQLITE_BUSY at once, and the read lane hands the message to the inbox.
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        driver = connection.connection.driver_connection
        if isinstance(driver, InlineConnection):
            # Straight to ``sqlite3``: SQLAlchemy's execution of a statement without rows
            # cost a quarter of a read-lane transaction's checkout, begin and close.
            driver.execute_fetchall(begin, ())
        else:
            connection.exec_driver_sql(begin)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
