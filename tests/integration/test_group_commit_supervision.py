"""A dead writer or database thread fails its callers at once instead of leaving them waiting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import text

from core.storage import (
    CommitterDied,
    DatabaseThread,
    DatabaseThreadDied,
    GroupCommitter,
    UnitOfWork,
)

# Long enough for any honest request, far below "forever".
PROMPTLY = 5.0


class Escaped(BaseException):
    """What no ``except Exception`` catches: the writer has nothing to settle it with."""


async def select_one(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(text("SELECT 1")) or 0)


@pytest.fixture
async def deaths(uow: UnitOfWork, database_url: str) -> AsyncIterator[tuple[GroupCommitter, list]]:
    died: list[BaseException] = []
    async with AsyncExitStack() as stack:
        thread = None
        if database_url.startswith("sqlite"):
            thread = await stack.enter_async_context(DatabaseThread(database_url))
        committer = GroupCommitter(uow, thread, on_death=died.append)
        yield await stack.enter_async_context(committer), died


async def test_requests_on_a_writer_that_died_fail_at_once_and_the_committer_says_dead(
    deaths: tuple[GroupCommitter, list[BaseException]],
) -> None:
    committer, died = deaths
    assert await committer.run(select_one) == 1

    async def escape(_uow: UnitOfWork) -> None:
        raise Escaped

    async with asyncio.timeout(PROMPTLY):
        in_hand = asyncio.gather(committer.run(escape), committer.run(select_one))
        with pytest.raises(CommitterDied):
            await in_hand
        with pytest.raises(CommitterDied, match="Escaped"):
            await committer.run(select_one)

    assert committer.state() == "dead"
    assert [type(error) for error in died] == [Escaped]


async def test_a_database_thread_that_died_fails_its_transactions_instead_of_hanging(
    sqlite_url: str,
) -> None:
    async def stop_the_thread() -> None:
        # What an interrupt escaping a work does too; raising one here would upset pytest.
        asyncio.get_running_loop().stop()
        await asyncio.sleep(PROMPTLY * 2)

    async with DatabaseThread(sqlite_url) as thread, asyncio.timeout(PROMPTLY):
        assert thread.state() == "running"
        with pytest.raises(DatabaseThreadDied):
            await thread.run(stop_the_thread())
        assert thread.state() == "dead"
        with pytest.raises(DatabaseThreadDied):
            await thread.run(asyncio.sleep(0))
