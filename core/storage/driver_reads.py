"""SELECTs whose rows come straight from the inline SQLite driver, for the chat's reads.

SQLAlchemy spends ~45 µs running a cached SELECT (an execution context, the parameters
processed through a dict, a result object with its metadata) where SQLite itself spends
one or two, and a ``查`` answered in the callback runs nine. ``ReadStatement`` compiles its
statement once per dialect and, on a connection of the inline driver
(``core.storage.sqlite_inline``, the read lane's and the database thread's), binds the
values through the same bind processors SQLAlchemy would use, runs the SQL on the
``sqlite3`` connection of the transaction already begun, and passes each column through its
type's result processor: the rows are the values ``connection.execute`` returns. On any
other connection (aiosqlite, PostgreSQL) it is ``connection.execute``.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import ExpandedState, SQLCompiler

from core.storage.sqlite_inline import InlineConnection

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    compiled: SQLCompiler
    # Without expanding (``IN``) parameters: the SQL, and for each ``?`` the name of its
    # value, whether the caller must give it (a literal of the statement's own need not: its
    # value is the default) and its bind processor.
    sql: str | None
    slots: tuple[tuple[str, bool, Any, Processor], ...]
    results: tuple[Processor, ...]
    row: Callable[..., Any]


class ReadStatement:
    """``statement`` run with named values; its rows as named tuples."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._compiled: dict[type[Dialect], _Compiled] = {}

    async def rows(
        self, connection: AsyncConnection, values: Mapping[str, Any] | None = None
    ) -> list[Any]:
        values = values or {}
        driver = None
        if connection.dialect.name == "sqlite" and connection.sync_connection is not None:
            driver = connection.sync_connection.connection.driver_connection
        if not isinstance(driver, InlineConnection):
            return list(await connection.execute(self.statement, values))
        dialect = connection.dialect
        found = self._compiled.get(type(dialect)) or self._compile(dialect)
        if found.sql is not None:
            sql = found.sql
            parameters: Sequence[Any] = [
                _bound(values[name] if required else values.get(name, default), process)
                for name, required, default, process in found.slots
            ]
        else:
            expanded = found.compiled.construct_expanded_state(dict(values))
            sql = expanded.statement
            parameters = [
                _bound(value, _processor(found.compiled, expanded, name))
                for name, value in zip(
                    expanded.positiontup or (), expanded.positional_parameters, strict=True
                )
            ]
        raw = driver.execute_fetchall(sql, parameters)
        results = found.results
        make = found.row
        return [
            make(*[v if p is None else p(v) for v, p in zip(row, results, strict=True)])
            for row in raw
        ]

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        )
        row = namedtuple("Row", self.statement.selected_columns.keys(), rename=True)  # type: ignore[misc]
        sql: str | None = None
        slots: tuple[tuple[str, bool, Any, Processor], ...] = ()
        given = {bind.key for bind in compiled.binds.values() if bind.required}
        if not compiled.escaped_bind_names and not any(
            bind.required for bind in compiled.post_compile_params
        ):
            # Expanding parameters of the statement's own (``IN`` a list of constants) expand
            # the same way every time: expanded once, with stand-ins for the caller's values.
            state = compiled.construct_expanded_state(dict.fromkeys(given))
            sql = state.statement
            slots = tuple(
                (name, name in given, state.parameters[name], _processor(compiled, state, name))
                for name in state.positiontup or ()
            )
        found = _Compiled(compiled, sql, slots, results, row)
        self._compiled[type(dialect)] = found
        return found


def _bound(value: Any, process: Processor) -> Any:
    return value if process is None else process(value)


def _processor(compiled: SQLCompiler, state: ExpandedState, name: str) -> Processor:
    """The bind processor of a ``?``: its parameter's, or an expanded element's."""
    if (bind := compiled.binds.get(name)) is not None:
        return bind.type.dialect_impl(compiled.dialect).bind_processor(compiled.dialect)
    return state.processors.get(name)
