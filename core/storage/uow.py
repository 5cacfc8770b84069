"""Unit of work: one database transaction, rolled back unless ``commit()`` is called.

Audit entries are buffered and chained at commit time, so the audit head lock is always the
last lock a transaction takes (balances first, then the chain): no lock-order deadlocks.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from config import Settings
from core import audit
from core.common import Clock, ConcurrencyConflict, utcnow

if TYPE_CHECKING:  # the archive's database is built on storage's engines
    from core.archive import ArchiveDatabase

T = TypeVar("T")
SHANGHAI = ZoneInfo("Asia/Shanghai")

# PostgreSQL SQLSTATEs that mean "try the transaction again": serialization failure, deadlock.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}


class UnitOfWork:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = utcnow,
        tz: ZoneInfo = SHANGHAI,
        *,
        settings: Settings,
        archive: ArchiveDatabase | None = None,
    ) -> None:
        self._sessions = sessions
        self.clock = clock
        self.tz = tz
        self.settings = settings
        # Where ``jxc archive`` moved old documents, for reading them back (None: nowhere).
        self.archive = archive
        self._session: AsyncSession | None = None
        self._connection: AsyncConnection | None = None
        # A savepoint begun since the session last gave out its connection: SQLAlchemy sends
        # the SAVEPOINT only then, so ``connection`` asks the session before a write goes out.
        self._savepoint_unsent = False
        self._audit: list[audit.Entry] = []

    def fresh(self) -> UnitOfWork:
        """Another unit of work on the same database, for a concurrent transaction."""
        return self.with_clock(self.clock)

    def with_clock(self, clock: Clock) -> UnitOfWork:
        """The same database seen at another time (history being recorded as it happened)."""
        return UnitOfWork(
            self._sessions, clock, self.tz, settings=self.settings, archive=self.archive
        )

    def using(self, sessions: async_sessionmaker[AsyncSession]) -> UnitOfWork:
        """The same database through other sessions (the database thread's, say)."""
        return UnitOfWork(
            sessions, self.clock, self.tz, settings=self.settings, archive=self.archive
        )

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    @property
    def is_postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The shop's calendar day (documents are numbered and expiry is judged by it)."""
        return self.clock().astimezone(self.tz).date()

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self._connection = None
        self._savepoint_unsent = False
        self._audit = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back what was not committed: a rollback first would only cost more.
        try:
            await self.session.close()
        finally:
            self._session = None
            self._connection = None

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: on an exception everything since is undone, audit included."""
        mark = len(self._audit)
        try:
            async with self.session.begin_nested():
                self._savepoint_unsent = True
                yield
        except BaseException:
            del self._audit[mark:]
            # Lookups memoised in the session may name rows the rollback just removed.
            self.session.info.clear()
            raise

    async def connection(self) -> AsyncConnection:
        """The transaction's connection, for Core statements on the hot path.

        Statements run on it skip the ORM's execution layer (several times the cost of a
        small statement); pending ORM changes are flushed first so they see them, and the
        savepoints begun since are sent first so that they undo what it writes.
        """
        connection = await self.read_connection()
        if self._savepoint_unsent:
            await self.session.connection()
            self._savepoint_unsent = False
        return connection

    async def read_connection(self) -> AsyncConnection:
        """``connection`` for statements that only read: a savepoint begun since is not sent
        for them (a read has nothing to undo), so a handling that only reads costs none."""
        session = self.session
        if session.new or session.dirty or session.deleted:
            await session.flush()
        if self._connection is None:
            self._connection = await session.connection()
        return self._connection

    @property
    def has_unwritten_changes(self) -> bool:
        """Whether ``commit`` would write something not yet sent to the database (ORM changes
        not flushed, audit entries queued): a read-only transaction must have none."""
        session = self.session
        return bool(self._audit or session.new or session.dirty or session.deleted)

    def record(self, actor: str, action: str, subject: str, payload: dict[str, Any]) -> None:
        """Queue an audit entry; it is chained and written by ``commit``."""
        self._audit.append(audit.Entry(self.now(), actor, action, subject, payload))

    async def commit(self) -> None:
        if self._audit:
            await audit.append(self.session, self._audit)
            self._audit = []
        await self.session.commit()
        self._connection = None


class Transact(Protocol):
    """The app's one way to run ``work`` in a committed transaction and get its result.

    ``bot/app.py`` builds it (the group committer's ``run``); without an app, each call is
    its own transaction (``own_transactions``).
    """

    def __call__(self, work: Callable[[UnitOfWork], Awaitable[T]], /) -> Awaitable[T]: ...


def own_transactions(new_uow: Callable[[], UnitOfWork]) -> Transact:
    """A ``Transact`` running each work in its own transaction on a fresh unit of work."""

    async def transact(work: Callable[[UnitOfWork], Awaitable[T]], /) -> T:
        return await in_transaction(new_uow(), work)

    return transact


async def in_transaction(
    uow: UnitOfWork, work: Callable[[UnitOfWork], Awaitable[T]], *, attempts: int = 8
) -> T:
    """Run ``work`` in its own transaction and commit, retrying when it lost a race.

    Each attempt gets a fresh unit of work, so concurrent callers may share ``uow``.
    """
    for attempt in range(1, attempts + 1):
        try:
            async with uow.fresh() as current:
                result = await work(current)
                await current.commit()
                return result
        except (ConcurrencyConflict, IntegrityError, DBAPIError) as error:
            if attempt == attempts or not is_retryable(error):
                raise
            await asyncio.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable")


@contextmanager
def lost_race_on_insert(what: str) -> Iterator[None]:
    """An insert a concurrent transaction may have made first: its unique key failing means
    this transaction lost a race, so it becomes a ``ConcurrencyConflict`` (retried)."""
    try:
        yield
    except IntegrityError as error:
        raise ConcurrencyConflict(f"{what} was inserted concurrently") from error


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, ConcurrencyConflict):
        return True
    if isinstance(error, DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        return sqlstate in _RETRYABLE_SQLSTATES
    return False
