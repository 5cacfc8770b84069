"""Group commit: concurrent requests share transactions without losing any guarantee.

On SQLite the committer runs its transactions on the database thread (inline driver), as the
app does; on PostgreSQL on the event loop.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError

from config import Settings
from core import audit, catalog, ledger
from core.common import ConcurrencyConflict, InsufficientStock, NeedsApproval, NotFound, Posted
from core.ledger import Line, Receive, Sell
from core.storage import (
    AuditLog,
    DatabaseThread,
    Document,
    GroupCommitter,
    UnitOfWork,
    Warehouse,
    create_engine,
    create_sessionmaker,
)
from tests.support.committer import app_committer
from tests.support.ledger import run, seed_shop


@pytest.fixture
async def committer(uow: UnitOfWork, database_url: str) -> AsyncIterator[GroupCommitter]:
    await seed_shop(uow)
    receipt = Receive(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(10)),))
    await run(uow, lambda u: ledger.submit(u, receipt))
    async with app_committer(uow, database_url) as c:
        yield c


@pytest.fixture
def commits() -> Iterator[list[int]]:
    """Every database commit in this process (the database thread's included)."""
    seen: list[int] = []

    def count(_connection: Connection) -> None:
        seen.append(1)

    event.listen(Engine, "commit", count)
    yield seen
    event.remove(Engine, "commit", count)


def sale(actor: str, sku: str, qty: int, key: str | None = None) -> Sell:
    return Sell(
        warehouse="MAIN", actor=actor, lines=(Line(sku, Decimal(qty)),), idempotency_key=key
    )


async def submit(committer: GroupCommitter, cmd: Sell) -> object:
    try:
        return await committer.run(lambda u: ledger.submit(u, cmd))
    except (InsufficientStock, NotFound) as refused:
        return refused


@pytest.mark.parametrize("policy", ["approve", "forbid"])
async def test_fifty_concurrent_sales_of_the_last_ten_units_sell_ten_in_shared_commits(
    uow: UnitOfWork, committer: GroupCommitter, commits: list[int], policy: str
) -> None:
    await run(
        uow, lambda u: catalog.configure_warehouse(u, "boss", "MAIN", negative_stock_policy=policy)
    )
    commits.clear()
    outcomes = await asyncio.gather(
        *(submit(committer, sale(f"clerk{n % 2 + 1}", "COKE", 1, f"s{n}")) for n in range(50))
    )
    assert len(commits) < 50
    posted = [o for o in outcomes if isinstance(o, Posted)]
    expected = NeedsApproval if policy == "approve" else InsufficientStock
    assert len(posted) == 10
    assert all(isinstance(o, expected) for o in outcomes if not isinstance(o, Posted))
    assert len({p.document.number for p in posted}) == 10
    stock = await run(uow, lambda u: ledger.stock_of(u, "COKE"))
    assert stock.on_hand == Decimal(0)
    assert await run(uow, audit.first_problem) is None


async def test_a_refused_request_rolls_back_only_itself_audit_included(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    outcomes = await asyncio.gather(
        submit(committer, sale("clerk1", "COKE", 1)),
        submit(committer, sale("clerk2", "NO-SUCH-ITEM", 1)),
        submit(committer, sale("clerk2", "COKE", 2)),
    )
    assert [type(o) for o in outcomes] == [Posted, NotFound, Posted]

    async def posts(u: UnitOfWork) -> int:
        statement = select(func.count()).where(AuditLog.action == "document.post")
        return int(await u.session.scalar(statement) or 0)

    assert await run(uow, posts) == 3  # the receipt and the two sales
    assert (await run(uow, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(7)
    assert await run(uow, audit.first_problem) is None


async def test_a_request_that_lost_a_race_runs_again_on_its_own(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    attempts: list[int] = []

    async def loses_once(u: UnitOfWork) -> Posted | NeedsApproval:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConcurrencyConflict("a balance changed meanwhile")
        return await ledger.submit(u, sale("clerk1", "COKE", 1))

    retried, other = await asyncio.gather(
        committer.run(loses_once), submit(committer, sale("clerk2", "COKE", 1))
    )
    assert isinstance(retried, Posted) and isinstance(other, Posted)
    assert len(attempts) == 2
    assert (await run(uow, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(8)


async def test_one_idempotency_key_twice_in_one_batch_posts_one_document(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    first, again = await asyncio.gather(
        submit(committer, sale("clerk1", "COKE", 3, "wecom:msg-1")),
        submit(committer, sale("clerk1", "COKE", 3, "wecom:msg-1")),
    )
    assert isinstance(first, Posted) and isinstance(again, Posted)
    assert again.replayed and again.document.number == first.document.number

    async def sales(u: UnitOfWork) -> int:
        statement = select(func.count()).where(Document.type == "sale")
        return int(await u.session.scalar(statement) or 0)

    assert await run(uow, sales) == 1
    assert (await run(uow, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(7)


async def test_a_database_error_in_one_request_leaves_the_others_committed(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    async def duplicate_warehouse(u: UnitOfWork) -> None:
        u.session.add(Warehouse(code="MAIN", name="重复"))
        await u.session.flush()

    failed, posted = await asyncio.gather(
        committer.run(duplicate_warehouse),
        submit(committer, sale("clerk1", "COKE", 1)),
        return_exceptions=True,
    )
    assert isinstance(failed, IntegrityError)
    assert isinstance(posted, Posted)
    assert (await run(uow, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(9)


async def test_a_lock_wait_on_the_database_thread_does_not_stall_the_event_loop(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)
    uow = UnitOfWork(create_sessionmaker(engine), settings=Settings(database_url=sqlite_url))
    await seed_shop(uow)
    path = make_url(sqlite_url).database
    assert path is not None
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
    ticks = 0
    async with DatabaseThread(sqlite_url) as thread, GroupCommitter(uow, thread) as committer:
        receipt = Receive(warehouse="MAIN", actor="clerk1", lines=(Line("COKE", Decimal(5)),))
        waiting = asyncio.create_task(committer.run(lambda u: ledger.submit(u, receipt)))
        while ticks < 20:  # the loop keeps running while the database thread waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not waiting.done()
        other_process.execute("COMMIT")
        assert isinstance(await waiting, Posted)
    other_process.close()
    await engine.dispose()


async def test_a_failing_request_without_savepoint_sends_the_batch_round_alone(
    uow: UnitOfWork, committer: GroupCommitter
) -> None:
    async def duplicate_warehouse(u: UnitOfWork) -> None:
        await u.session.execute(insert(Warehouse).values(code="MAIN", name="重复"))

    posted, failed, again = await asyncio.gather(
        submit(committer, sale("clerk1", "COKE", 1)),
        committer.run(duplicate_warehouse, savepoint=False),
        submit(committer, sale("clerk2", "COKE", 2)),
        return_exceptions=True,
    )
    assert isinstance(failed, IntegrityError)
    assert isinstance(posted, Posted) and isinstance(again, Posted)
    assert (await run(uow, lambda u: ledger.stock_of(u, "COKE"))).on_hand == Decimal(7)
    assert await run(uow, audit.first_problem) is None


async def test_the_heap_alive_at_start_stays_out_of_collections_while_a_committer_runs(
    uow: UnitOfWork,
) -> None:
    first, second = GroupCommitter(uow), GroupCommitter(uow)
    first.start()
    second.start()
    assert gc.get_freeze_count() > 0

    await first.close()
    assert gc.get_freeze_count() > 0  # the other one still runs
    await second.close()
    assert gc.get_freeze_count() == 0
