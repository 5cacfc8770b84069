"""Rows sent to the driver as they are store exactly what SQLAlchemy's own path stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from core.storage import DatabaseThread, Fixed, RowStatement, UtcDateTime, create_engine

METADATA = MetaData()
SAMPLES = Table(
    "samples",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False),
    Column("qty", Fixed, nullable=False),
    Column("price", Fixed),
    Column("at", UtcDateTime, nullable=False),
    Column("expiry", Date),
    Column("payload", JSON),
    Column("version", Integer, nullable=False),
)
KEYS = ("name", "qty", "price", "at", "expiry", "payload", "version")
AT = datetime(2026, 12, 1, 6, 30, 15, 123456, tzinfo=UTC)


def _rows(count: int, prefix: str) -> list[tuple[object, ...]]:
    return [
        (
            f"{prefix}{n}",
            Decimal("1.2345") * n,
            None if n % 2 else Decimal("-0.5"),
            AT + timedelta(seconds=n),
            None if n % 3 else date(2027, 1, 1 + n % 28),
            {"n": n, "名": "可乐", "q": str(Decimal("0.1") * n)},
            1,
        )
        for n in range(count)
    ]


@pytest.fixture(params=["plain", "inline"])
async def connection(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncConnection]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rows.db'}"
    engine = create_engine(url, inline=request.param == "inline")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
            yield conn
    finally:
        await engine.dispose()


async def _stored(conn: AsyncConnection, prefix: str) -> list[tuple[object, ...]]:
    result = await conn.exec_driver_sql(
        "SELECT name, qty, price, at, expiry, payload, version FROM samples "
        "WHERE name LIKE ? ORDER BY id",
        (f"{prefix}%",),
    )
    return [tuple(row)[1:] for row in result]


async def test_rows_are_stored_as_sqlalchemy_stores_them(connection: AsyncConnection) -> None:
    await connection.execute(
        insert(SAMPLES), [dict(zip(KEYS, row, strict=True)) for row in _rows(7, "a")]
    )
    await RowStatement(insert(SAMPLES), KEYS).run(connection, _rows(7, "b"))

    assert await _stored(connection, "b") == await _stored(connection, "a")
    assert len(await _stored(connection, "b")) == 7


async def test_returning_matches_each_row_across_statements(connection: AsyncConnection) -> None:
    # 7 values a row: 5,000 rows need two statements under SQLite's variable limit.
    statement = RowStatement(insert(SAMPLES), KEYS, returning=("name", "id"))

    returned = await statement.run(connection, _rows(5000, "r"))

    ids = dict((await connection.exec_driver_sql("SELECT name, id FROM samples")).all())
    assert len(returned) == 5000
    assert dict(returned) == ids


async def test_update_keeps_its_literals_and_counts_every_row(connection: AsyncConnection) -> None:
    ids = [
        i
        for _, i in await RowStatement(insert(SAMPLES), KEYS, ("name", "id")).run(
            connection, _rows(4, "u")
        )
    ]
    bump = RowStatement(
        update(SAMPLES)
        .where(SAMPLES.c.id == bindparam("s_id"), SAMPLES.c.version == bindparam("s_seen"))
        .values(qty=SAMPLES.c.qty + bindparam("s_delta"), version=SAMPLES.c.version + 1),
        ("s_id", "s_seen", "s_delta"),
    )

    # The last row names a version that is not there: it changes nothing and is not counted.
    result = await bump.run(
        connection,
        [(ids[0], 1, Decimal("0.0001")), (ids[1], 1, Decimal(2)), (ids[2], 9, Decimal(5))],
    )

    assert result.rowcount == 2
    stored = await connection.exec_driver_sql("SELECT qty, version FROM samples ORDER BY id")
    assert stored.all() == [(1, 2), (12345 + 20000, 2), (24690, 1), (37035, 1)]


async def test_a_value_with_more_places_than_the_column_is_refused(
    connection: AsyncConnection,
) -> None:
    row = ("x", Decimal("0.00001"), None, AT, None, None, 1)

    with pytest.raises(ValueError, match="decimal places"):
        await RowStatement(insert(SAMPLES), KEYS).run(connection, [row])


async def test_a_statement_missing_a_value_is_refused_before_it_runs(
    connection: AsyncConnection,
) -> None:
    without_version = RowStatement(insert(SAMPLES), KEYS[:-1])
    nameless = RowStatement(update(SAMPLES).values(name=bindparam("n")), ())

    with pytest.raises(ValueError, match="not among its keys"):
        await nameless.run(connection, [()])
    # A NOT NULL column left out is the database's to refuse, as with SQLAlchemy.
    with pytest.raises(Exception, match="NOT NULL"):
        await without_version.run(connection, [row[:-1] for row in _rows(1, "m")])


async def test_rows_on_the_database_thread_are_stored_alike(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'thread.db'}"
    async with DatabaseThread(url) as thread:

        async def work() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
            async with thread.sessions() as session:
                conn = await session.connection()
                await conn.run_sync(METADATA.create_all)
                await conn.execute(
                    insert(SAMPLES), [dict(zip(KEYS, r, strict=True)) for r in _rows(3, "a")]
                )
                await RowStatement(insert(SAMPLES), KEYS).run(conn, _rows(3, "b"))
                return await _stored(conn, "a"), await _stored(conn, "b")

        through_sqlalchemy, through_driver = await thread.run(work())
    assert through_driver == through_sqlalchemy
