"""A unit of work's savepoint undoes what was written inside it, however it was written.

SQLAlchemy sends a nested transaction's SAVEPOINT only when the session next asks for its
connection, so a Core statement on a connection taken earlier would run before it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from core.storage import Partner, UnitOfWork
from tests.support.committer import recorded_statements


async def _partners(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(select(func.count()).select_from(Partner)) or 0)


async def test_a_core_write_on_the_transactions_connection_is_undone_with_its_savepoint(
    uow: UnitOfWork,
) -> None:
    async with uow:
        connection = await uow.connection()  # taken before the savepoint, as a batch does
        before = await _partners(uow)
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                written = await uow.connection()
                await written.execute(insert(Partner).values(kind="customer", name="张三"))
                raise RuntimeError("the handling failed")
        assert written is connection
        assert await _partners(uow) == before


async def test_reads_inside_a_savepoint_send_no_savepoint(uow: UnitOfWork) -> None:
    async with uow:
        await uow.connection()
        with recorded_statements() as seen:
            async with uow.savepoint():
                reads = await uow.read_connection()
                await reads.execute(select(func.count()).select_from(Partner))
        assert seen == ["SELECT count(*) AS count_1 FROM partners"]


async def test_a_write_after_reads_in_a_savepoint_is_still_undone(uow: UnitOfWork) -> None:
    async with uow:
        await uow.connection()
        before = await _partners(uow)
        with pytest.raises(RuntimeError):
            async with uow.savepoint():
                reads = await uow.read_connection()
                await reads.execute(select(func.count()).select_from(Partner))
                written = await uow.connection()
                await written.execute(insert(Partner).values(kind="customer", name="李四"))
                raise RuntimeError("the handling failed")
        assert await _partners(uow) == before
