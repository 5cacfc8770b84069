"""Group commit: one writer task runs concurrent requests in shared transactions.

Fifty clerks posting at once would otherwise take fifty transactions, each paying for
``BEGIN``, the write lock (SQLite has one writer; the others sleep in ``busy_timeout``),
the audit head lock and a commit. The writer instead takes every request that is waiting,
runs each in its own savepoint of one transaction and commits once. A request that fails
rolls back only its savepoint — its audit entries and memoised lookups with it — and its
caller gets the exception; the others still commit. Nobody hears of success before the
commit that made it durable.

Works of one kind that know how (``Together``: postings) run in one call instead, so that
their statements go out as one multi-row statement per table for the whole batch.

If the shared commit itself fails (a lost race with another process, a dropped connection),
each request of the batch runs again alone through ``in_transaction`` and its retries, so a
batch never fails more than its requests would have one by one.

On SQLite the transactions run on the database thread (``core.db_thread``): one thread hop
per batch instead of four per statement.

A batch of postings makes thousands of short-lived objects (rows, ORM instances, views), and
each few hundred of them start a garbage collection; every so often one walks the whole
heap — the modules, the app and its caches, ~140,000 objects, a quarter of a batch's time.
What is alive when a committer starts lives as long as the process, so it is frozen out of
the collector (``gc.freeze``) while any committer runs; what a batch leaves is still collected.

Supervision: the writer catches every failure of a request, so if it dies anyway, something
underneath is broken (the database thread is gone, a ``BaseException`` escaped a work) and
running it again in this process would meet the same broken state. So the committer does not
restart it: it fails the batch in hand and every queued request with ``CommitterDied``,
refuses new ones at once (nobody waits forever), reports ``dead`` and calls ``on_death``; the
app stops the process loudly so its supervisor starts a fresh one. Nothing is lost: what was
not committed is still a pending inbox row, or a callback WeCom delivers again.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from core.storage.db_thread import DatabaseThread
from core.storage.error_reason import short_reason
from core.storage.uow import UnitOfWork, in_transaction, is_retryable

T = TypeVar("T")
Work = Callable[[UnitOfWork], Awaitable[T]]

log = logging.getLogger(__name__)

# Big enough to share a commit among every clerk of a busy chain, small enough that the
# write lock is never held for long (a batch of 64 postings takes a few hundred ms at most).
MAX_BATCH = 64


@dataclass
class _Request:
    work: Work[Any]
    done: asyncio.Future[Any]
    savepoint: bool = True


@dataclass(frozen=True)
class Settled:
    """What one work of a batch run together came to: a result, or the error it raised."""

    result: Any = None
    error: BaseException | None = None


class Together(Protocol):
    """Runs works of one kind in one call: their results, in order, for a shared commit.

    A work with a ``together`` attribute is run through it with the others of its kind in
    the batch (alone, or when the batch is run again request by request, it is just called).
    Refusals are results (``Settled.error``); an exception out of ``together`` itself fails
    the whole shared transaction, which then runs request by request.
    """

    def __call__(self, uow: UnitOfWork, works: list[Any], /) -> Awaitable[list[Settled]]: ...


@dataclass
class _Outcome:
    request: _Request
    result: Any = None
    error: BaseException | None = None


class CommitterDied(RuntimeError):
    """The writer task died: this request was not (or not known to be) committed."""


def _ignore_death(_error: BaseException) -> None:
    return None


class GroupCommitter:
    """``run(work)`` from any task; ``work(uow)`` must only use the database through ``uow``."""

    def __init__(
        self,
        uow: UnitOfWork,
        thread: DatabaseThread | None = None,
        max_batch: int = MAX_BATCH,
        on_death: Callable[[BaseException], None] = _ignore_death,
    ) -> None:
        self._uow = uow if thread is None else uow.using(thread.sessions)
        self._thread = thread
        self._max_batch = max_batch
        self._on_death = on_death
        self._queue: asyncio.Queue[_Request] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._in_hand: list[_Request] = []
        self._death: str | None = None

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def start(self) -> None:
        _freeze_heap()
        self._task = asyncio.create_task(self._write(), name="jxc-group-commit")
        self._task.add_done_callback(self._writer_done)

    def state(self) -> str:
        """``running``, ``stopped`` or ``dead`` (the writer died; see the module docstring)."""
        if self._death is not None:
            return "dead"
        return "running" if self._task is not None and not self._task.done() else "stopped"

    async def close(self) -> None:
        """Stop: the batch in hand rolls back; its callers and those still queued are cancelled."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
            _thaw_heap()
        for request in _drain(self._queue):
            request.done.cancel()

    async def run(self, work: Work[T], *, savepoint: bool = True) -> T:
        """``work`` in a savepoint of the next shared transaction; its result once committed.

        ``savepoint=False`` is for a work of one statement (storing a callback, recording a
        delivery): it saves the SAVEPOINT and RELEASE round trips, and should it fail after
        all, the whole batch runs again request by request (on PostgreSQL a failed statement
        spoils the transaction it is in).
        """
        if self._death is not None:
            raise CommitterDied(self._death)
        if self._task is None:
            raise RuntimeError("group committer is not running")
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Request(work, done, savepoint))
        return await done

    async def _write(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            live = [r for r in batch if not r.done.cancelled()]
            self._in_hand = batch
            try:
                if self._thread is None:
                    outcomes = await self._transact(live)
                else:
                    outcomes = await self._thread.run(self._transact(live))
            except asyncio.CancelledError:
                for request in batch:
                    request.done.cancel()
                raise
            for outcome in outcomes:
                _settle(outcome)
            self._in_hand = []

    def _writer_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        self._death = f"group commit writer died: {short_reason(error)}"
        log.critical("group_commit_writer_died", exc_info=error)
        waiting = [*self._in_hand, *_drain(self._queue)]
        self._in_hand = []
        for request in waiting:
            if not request.done.done():
                request.done.set_exception(CommitterDied(self._death))
        self._on_death(error)

    async def _transact(self, batch: list[_Request]) -> list[_Outcome]:
        """The batch in one transaction; what lost a race there, again on its own."""
        try:
            outcomes = await self._together(batch)
        except Exception as error:
            log.warning("group_commit_failed", extra={"size": len(batch), "error": repr(error)})
            return [await self._alone(r) for r in batch]
        return [
            await self._alone(o.request) if o.error and is_retryable(o.error) else o
            for o in outcomes
        ]

    async def _together(self, batch: list[_Request]) -> list[_Outcome]:
        outcomes = []
        kinds: dict[Together, list[_Request]] = {}
        async with self._uow.fresh() as uow:
            for request in batch:
                together = getattr(request.work, "together", None)
                if together is None:
                    outcomes.append(await _attempt(uow, request))
                else:
                    kinds.setdefault(together, []).append(request)
            for together, requests in kinds.items():
                if len(requests) == 1:
                    outcomes.append(await _attempt(uow, requests[0]))
                    continue
                settled = await together(uow, [r.work for r in requests])
                outcomes += [
                    _Outcome(r, s.result, s.error) for r, s in zip(requests, settled, strict=True)
                ]
            await uow.commit()
        return outcomes

    async def _alone(self, request: _Request) -> _Outcome:
        try:
            return _Outcome(request, await in_transaction(self._uow, request.work))
        except Exception as error:
            return _Outcome(request, error=error)


_running = 0  # committers started and not closed: the heap thaws when the last one closes


def _freeze_heap() -> None:
    global _running
    _running += 1
    gc.freeze()


def _thaw_heap() -> None:
    global _running
    _running -= 1
    if _running == 0:
        gc.unfreeze()


async def _attempt(uow: UnitOfWork, request: _Request) -> _Outcome:
    if not request.savepoint:
        # An error escapes and fails the shared transaction: see ``run``.
        return _Outcome(request, await request.work(uow))
    try:
        async with uow.savepoint():
            return _Outcome(request, await request.work(uow))
    except Exception as error:
        return _Outcome(request, error=error)


def _drain(queue: asyncio.Queue[_Request]) -> list[_Request]:
    drained = []
    while not queue.empty():
        drained.append(queue.get_nowait())
    return drained


def _settle(outcome: _Outcome) -> None:
    done = outcome.request.done
    if done.done():
        return
    if outcome.error is None:
        done.set_result(outcome.result)
    else:
        done.set_exception(outcome.error)
