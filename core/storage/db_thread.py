"""The database thread: SQLite transactions run inline in a thread of their own.

The app's event loop talks to SQLite through aiosqlite, which pays four thread hops per
statement. A transaction sent here costs its caller one hop however many statements it
runs (``core.sqlite_inline`` runs them directly), and when the file is locked by another
process it is this thread that waits, never the event loop serving WeCom's callbacks.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.storage.db import create_engine, create_sessionmaker

T = TypeVar("T")


class DatabaseThread:
    def __init__(self, url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="jxc-db", daemon=True)
        # The engine's pool binds to the loop that first uses it: this thread's.
        self._engine = create_engine(url, inline=True)
        self.sessions: async_sessionmaker[AsyncSession] = create_sessionmaker(self._engine)

    async def __aenter__(self) -> Self:
        self._thread.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the database thread; cancelling the caller cancels it there too."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self._loop))

    async def close(self) -> None:
        if not self._thread.is_alive():
            return
        await self.run(self._engine.dispose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()
