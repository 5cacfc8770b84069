"""Rows read straight from the inline driver equal what SQLAlchemy's own path reads."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Enum,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    event,
    exists,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from core.storage import Fixed, ReadStatement, UtcDateTime, create_engine


class Colour(enum.StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


METADATA = MetaData()
SAMPLES = Table(
    "read_samples",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False),
    Column("qty", Fixed, nullable=False),
    Column("price", Fixed),
    Column("at", UtcDateTime, nullable=False),
    Column("expiry", Date),
    Column("colour", Enum(Colour, native_enum=False, length=10), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("payload", JSON),
)
AT = datetime(2026, 12, 2, 6, 30, 15, 123456, tzinfo=UTC)
C = SAMPLES.c

STATEMENTS: dict[str, tuple[Select[Any], dict[str, Any]]] = {
    "every column by a value given": (
        select(SAMPLES).where(C.qty >= bindparam("least")).order_by(C.id),
        {"least": Decimal("2.5")},
    ),
    "literals of its own, IN constants, a limit": (
        select(C.name, C.colour, C.active)
        .where(C.colour.in_((Colour.RED, Colour.BLUE)), C.active.is_(True))
        .order_by(C.name)
        .limit(3),
        {},
    ),
    "an IN list the caller gives": (
        select(C.id, C.at).where(C.id.not_in(bindparam("ids", expanding=True))).order_by(C.id),
        {"ids": [2, 3, 5]},
    ),
    "an IN list the caller gives beside a typed value": (
        select(C.id, C.qty)
        .where(C.id.in_(bindparam("ids", expanding=True)), C.qty < bindparam("most"))
        .order_by(C.id),
        {"ids": [2, 3, 5], "most": Decimal("4.5")},
    ),
    "an empty IN list the caller gives": (
        select(C.id, C.expiry).where(C.id.not_in(bindparam("ids", expanding=True))),
        {"ids": []},
    ),
    "subqueries, exists and one value twice": (
        select(
            select(C.price).where(C.name == bindparam("name")).scalar_subquery(),
            select(C.payload).where(C.name == bindparam("name")).scalar_subquery(),
            exists().where(C.colour == Colour.GREEN, C.qty > bindparam("least")),
            select(func.sum(C.qty)).scalar_subquery(),
        ),
        {"name": "可乐3", "least": Decimal(4)},
    ),
    "an OR of a value given and a pattern": (
        select(C.id, C.name)
        .where(or_(C.name == bindparam("query"), C.name.like(bindparam("pattern"))))
        .order_by(C.id),
        {"query": "可乐1", "pattern": "%乐4%"},
    ),
}


@pytest.fixture(params=["inline", "aiosqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def driver(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, bool]:
    """The database URL, and whether the inline driver reads it."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url")), False
    return f"sqlite+aiosqlite:///{tmp_path / 'reads.db'}", request.param == "inline"


@pytest.fixture
async def connection(driver: tuple[str, bool]) -> AsyncIterator[AsyncConnection]:
    url, inline = driver
    engine = create_engine(url, inline=inline)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
            await conn.execute(insert(SAMPLES), _samples())
            yield conn
            await conn.run_sync(METADATA.drop_all)
    finally:
        await engine.dispose()


def _samples() -> list[dict[str, Any]]:
    colours = list(Colour)
    return [
        {
            "name": f"可乐{n}",
            "qty": Decimal("1.2345") * n,
            "price": None if n % 2 else Decimal("-0.5"),
            "at": AT + timedelta(seconds=n),
            "expiry": None if n % 3 else date(2027, 1, 1 + n),
            "colour": colours[n % 3],
            "active": n % 4 != 0,
            "payload": {"n": n, "名": "可乐"},
        }
        for n in range(8)
    ]


@pytest.mark.parametrize("case", STATEMENTS)
async def test_read_rows_equal_sqlalchemys_typed_values(
    connection: AsyncConnection, case: str
) -> None:
    statement, values = STATEMENTS[case]
    expected = [tuple(row) for row in await connection.execute(statement, values)]
    read = ReadStatement(statement)
    for _ in range(2):  # compiled on the first run, reused on the second
        rows = await read.rows(connection, values)
        assert [tuple(row) for row in rows] == expected
        assert [type(v) for row in rows for v in row] == [type(v) for row in expected for v in row]
    assert expected, "each case reads something"


async def test_one_statement_reads_lists_of_every_length(connection: AsyncConnection) -> None:
    """The SQL is kept per length of the caller's list (up to a bound, past which the list
    expands each time): each length reads its own rows."""
    statement = (
        select(C.id, C.qty)
        .where(C.id.not_in(bindparam("ids", expanding=True)), C.qty < bindparam("most"))
        .order_by(C.id)
    )
    read = ReadStatement(statement)
    for ids in ([2, 3, 5], [], [4], [1, 6, 7], [], [0, 2], [*range(2, 100)], [*range(3, 101)]):
        values = {"ids": ids, "most": Decimal(7)}
        expected = [tuple(row) for row in await connection.execute(statement, values)]
        assert [tuple(row) for row in await read.rows(connection, values)] == expected


async def test_read_rows_are_named_by_their_columns(connection: AsyncConnection) -> None:
    read = ReadStatement(select(C.name, C.qty).where(C.name == bindparam("name")))
    (row,) = await read.rows(connection, {"name": "可乐2"})
    assert (row.name, row.qty) == ("可乐2", Decimal("2.4690"))


async def test_a_value_the_statement_needs_is_required(connection: AsyncConnection) -> None:
    read = ReadStatement(select(C.id).where(C.name == bindparam("name")))
    with pytest.raises(Exception, match="name"):
        await read.rows(connection, {})


async def test_on_the_inline_driver_reads_skip_sqlalchemys_execution(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}", inline=True)
    executed: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: executed.append(a[2]))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
            await conn.execute(insert(SAMPLES), _samples())
            executed.clear()
            statement, values = STATEMENTS["every column by a value given"]
            rows = await ReadStatement(statement).rows(conn, values)
            assert [row.name for row in rows] == [f"可乐{n}" for n in range(3, 8)]
            assert executed == []  # SQLAlchemy ran nothing: the driver read the rows
    finally:
        await engine.dispose()
