"""Multi-row statements whose rows go to the SQLite driver as they are, for the hot path.

SQLAlchemy builds and processes each row of a multi-row statement in Python (a parameter
dict per row, then every value through its type): ~10 µs a row, more than SQLite spends
writing it, and a batch of postings writes ~650 rows. ``RowStatement`` compiles its
statement once per dialect and, on SQLite, hands rows of values in a fixed order to the
driver's ``executemany``, each value converted by the same bind processor SQLAlchemy would
use, so what is stored is exactly what the statement run through SQLAlchemy stores. Other
databases (asyncpg prepares and binds rows in C) take SQLAlchemy's path with the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert, UpdateBase

Processor = Callable[[Any], Any] | None
# SQLite allows 32,766 variables per statement; a multi-row RETURNING insert stays under it.
MAX_VARIABLES = 32_000


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[int, ...]  # for each ``?``, the index of its value in a row and constants
    processors: tuple[Processor, ...]
    constants: tuple[Any, ...]  # the statement's own literals (``version + 1``)


class RowStatement:
    """``statement`` run with rows of values for ``keys`` (its parameter names), in order.

    With ``returning`` (an insert only), the rows come back as the driver gives them, so
    return integers and strings, not values that need a type's result processing.
    """

    def __init__(
        self, statement: UpdateBase, keys: Sequence[str], returning: Sequence[str] = ()
    ) -> None:
        if returning and not isinstance(statement, Insert):
            raise TypeError("only an insert returns rows here")
        self.statement = statement
        self.keys = tuple(keys)
        self.returning = tuple(returning)
        self._compiled: dict[type[Dialect], _Compiled] = {}

    async def run(self, connection: AsyncConnection, rows: Sequence[Sequence[Any]]) -> Any:
        """The result of the statement (rowcount summed over rows); with ``returning``, the
        returned rows as a list of tuples."""
        if not rows:
            return []
        dialect = connection.dialect
        if dialect.name != "sqlite":
            return await self._through_sqlalchemy(connection, rows)
        compiled = self._compiled.get(type(dialect)) or self._compile(dialect)
        # Column by column: the loops run in C, only the conversions in Python.
        columns = list(zip(*rows, strict=True))
        columns += [(value,) * len(rows) for value in compiled.constants]
        converted = [
            columns[i] if process is None else list(map(process, columns[i]))
            for i, process in zip(compiled.order, compiled.processors, strict=True)
        ]
        values = list(zip(*converted, strict=True))
        if not self.returning:
            return await connection.exec_driver_sql(compiled.sql, values)
        return await self._returning(connection, compiled.sql, values)

    async def _through_sqlalchemy(
        self, connection: AsyncConnection, rows: Sequence[Sequence[Any]]
    ) -> Any:
        statement = self.statement
        if self.returning:
            assert isinstance(statement, Insert)
            table = statement.table
            statement = statement.returning(*(table.c[name] for name in self.returning))
        result = await connection.execute(
            statement, [dict(zip(self.keys, row, strict=True)) for row in rows]
        )
        return [tuple(row) for row in result] if self.returning else result

    async def _returning(
        self, connection: AsyncConnection, sql: str, values: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        head, group = sql.split(" VALUES ", 1)
        quote = connection.dialect.identifier_preparer.quote
        tail = " RETURNING " + ", ".join(quote(name) for name in self.returning)
        per_statement = max(1, MAX_VARIABLES // max(1, len(values[0])))
        returned: list[tuple[Any, ...]] = []
        for first in range(0, len(values), per_statement):
            chunk = values[first : first + per_statement]
            text = f"{head} VALUES {', '.join([group] * len(chunk))}{tail}"
            flat = tuple(value for row in chunk for value in row)
            result = await connection.exec_driver_sql(text, flat)
            returned += [tuple(row) for row in result]
        return returned

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=list(self.keys))
        names = compiled.positiontup or []
        if compiled.insert_prefetch or compiled.update_prefetch:
            # Column defaults SQLAlchemy computes in Python per row: give them as keys.
            raise ValueError(f"statement needs values for {self.keys} and its defaults")
        literals = [name for name in names if name not in self.keys]
        unvalued = [name for name in literals if compiled.binds[name].value is None]
        if unvalued:
            raise ValueError(f"statement needs values not among its keys: {unvalued}")
        slots = (*self.keys, *literals)
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        found = _Compiled(
            compiled.string,
            tuple(slots.index(name) for name in names),
            processors,
            tuple(compiled.binds[name].value for name in literals),
        )
        self._compiled[type(dialect)] = found
        return found
