"""``sqlite3`` behind SQLAlchemy's asyncio interface, run inline instead of in a thread.

aiosqlite runs every call — open a cursor, execute, fetch, close — in its own thread and
hands the result back to the event loop: four thread hops per statement, about 0.6 ms on
the 2-core machines shops use, which is more than the statement itself. This connection
runs the same calls directly, so it is only for an event loop that may block on the
database: the database thread (``core.db_thread``), where a whole transaction costs the
caller one hop. SQLAlchemy's aiosqlite dialect drives it through ``async_creator``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Self


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Self:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Self:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The part of ``aiosqlite.Connection`` that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection

    @classmethod
    async def open(cls, path: Path | str) -> InlineConnection:
        # Autocommit mode: SQLAlchemy's ``begin`` hook issues ``BEGIN IMMEDIATE`` itself.
        return cls(sqlite3.connect(path, isolation_level=None, check_same_thread=False))

    @property
    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    @property
    def isolation_level(self) -> str | None:
        return self._live.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._live.cursor())

    def execute_fetchall(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """Run one statement in the transaction begun and return its rows (``ReadStatement``)."""
        return self._live.execute(sql, parameters).fetchall()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._live.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._live.commit()

    async def rollback(self) -> None:
        self._live.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
