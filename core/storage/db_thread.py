"""The database thread: SQLite transactions run inline in a thread of their own.

The app's event loop talks to SQLite through aiosqlite, which pays four thread hops per
statement. A transaction sent here costs its caller one hop however many statements it
runs (``core.sqlite_inline`` runs them directly), and when the file is locked by another
process it is this thread that waits, never the event loop serving WeCom's callbacks.

Should the thread die (a ``SystemExit`` or ``KeyboardInterrupt`` escaping a work stops its
loop, as does anything else that stops it before ``close``), every transaction sent to it
fails with ``DatabaseThreadDied`` instead of waiting for a loop that will never run it again,
and ``state()`` says ``dead``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.storage.db import create_engine, create_sessionmaker

T = TypeVar("T")

log = logging.getLogger(__name__)


class DatabaseThreadDied(RuntimeError):
    """The database thread is gone: this transaction did not run, or its end is unknown."""


class DatabaseThread:
    def __init__(self, url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="jxc-db", daemon=True)
        self._in_flight: set[concurrent.futures.Future[Any]] = set()
        self._lock = threading.Lock()
        self._died = False
        self._closing = False
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

    def _serve(self) -> None:
        try:
            self._loop.run_forever()
        except BaseException:
            log.critical("database_thread_died", exc_info=True)
            for task in asyncio.all_tasks(self._loop):
                if task.done() and not task.cancelled():
                    task.exception()  # logged just now: not again when it is collected
        finally:
            with self._lock:
                self._died = not self._closing
                in_flight, self._in_flight = self._in_flight, set()
            for future in list(in_flight):
                if not future.done():
                    future.set_exception(DatabaseThreadDied("the database thread stopped"))

    def state(self) -> str:
        """``running``, ``stopped`` (not started, or closed) or ``dead``."""
        if self._died:
            return "dead"
        return "running" if self._thread.is_alive() else "stopped"

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the database thread; cancelling the caller cancels it there too."""
        with self._lock:
            if self._died or not self._thread.is_alive():
                work.close()
                raise DatabaseThreadDied(f"the database thread is {self.state()}")
            future = asyncio.run_coroutine_threadsafe(work, self._loop)
            self._in_flight.add(future)
        future.add_done_callback(self._in_flight.discard)
        return await asyncio.wrap_future(future)

    async def close(self) -> None:
        if self._died or not self._thread.is_alive():
            return
        self._closing = True
        try:
            await self.run(self._engine.dispose())
        except DatabaseThreadDied:
            return  # its connections went with it
        self._loop.call_soon_threadsafe(self._loop.stop)
        await asyncio.to_thread(self._thread.join)
        self._loop.close()
