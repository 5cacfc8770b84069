"""SELECTs whose rows come straight from the inline SQLite driver, for the chat's reads.

SQLAlchemy spends ~45 µs running a cached SELECT (an execution context, the parameters
processed through a dict, a result object with its metadata) where SQLite itself spends
one or two, and a ``查`` answered in the callback runs six. ``ReadStatement`` compiles its
statement once per dialect (with a caller's ``IN`` list, once per length of the list) and,
on a connection of the inline driver
(``core.storage.sqlite_inline``, the read lane's and the database thread's), binds the
values through the same bind processors SQLAlchemy would use, runs the SQL on the
``sqlite3`` connection of the transaction already begun, and passes each column through its
type's result processor: the rows are the values ``connection.execute`` returns. On any
other connection (aiosqlite, PostgreSQL) it is ``connection.execute``.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Dialect,
    Select,
    String,
    cast,
    literal_column,
    null,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import ExpandedState, SQLCompiler
from sqlalchemy.sql.sqltypes import TupleType
from sqlalchemy.types import TypeEngine

from core.storage.sqlite_inline import InlineConnection

Processor = Callable[[Any], Any] | None
# SQL is kept for IN lists of up to this many elements in all (one SQL per length): longer
# ones are rare on the chat's path, and each would keep a statement of its own.
MAX_KEPT_ELEMENTS = 64
Selecting = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]


# Where a ``?``'s value comes from: the caller's value of that name (an element of it, for an
# expanding list), or the statement's own literal (``required`` false: the default is it);
# and the bind processor it goes through.
@dataclass(frozen=True)
class _Slot:
    name: str
    element: int | None
    required: bool
    default: Any
    process: Processor

    def value(self, values: Mapping[str, Any]) -> Any:
        if self.element is not None:
            value = values[self.name][self.element]
        else:
            value = values[self.name] if self.required else values.get(self.name, self.default)
        return value if self.process is None else self.process(value)


@dataclass(frozen=True)
class _Shape:
    """The SQL for values of one shape (the lengths of the caller's lists), and its slots."""

    sql: str
    slots: tuple[_Slot, ...]


@dataclass(frozen=True)
class _Compiled:
    compiled: SQLCompiler
    # The caller's expanding parameters (``IN`` a list given), whose lengths pick the shape;
    # None when the SQL cannot be kept per shape (a value rendered into it, escaped names).
    lists: tuple[str, ...] | None
    shapes: dict[tuple[int, ...], _Shape]
    results: tuple[Processor, ...]
    row: Callable[..., Any]

    def shape(self, values: Mapping[str, Any]) -> _Shape:
        lengths = () if self.lists is None else tuple(len(values[name]) for name in self.lists)
        if self.lists is None or sum(lengths) > MAX_KEPT_ELEMENTS:
            return _expanded(self.compiled, values, keep=False)
        found = self.shapes.get(lengths)
        if found is None:
            found = self.shapes[lengths] = _expanded(self.compiled, values, keep=True)
        return found


class ReadStatement:
    """``statement`` run with named values; its rows as named tuples."""

    def __init__(self, statement: Selecting) -> None:
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
        shape = found.shape(values)
        raw = driver.execute_fetchall(shape.sql, [slot.value(values) for slot in shape.slots])
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
        lists: tuple[str, ...] | None = None
        if not compiled.escaped_bind_names and all(
            bind.expanding and not bind.literal_execute and not isinstance(bind.type, TupleType)
            for bind in compiled.post_compile_params
        ):
            # An IN list expands to one ``?`` per element: the SQL is the same for every list
            # of the same length (lists of the statement's own expand the same every time).
            lists = tuple(bind.key for bind in compiled.post_compile_params if bind.required)
        found = _Compiled(compiled, lists, {}, results, row)
        self._compiled[type(dialect)] = found
        return found


def _expanded(compiled: SQLCompiler, values: Mapping[str, Any], *, keep: bool) -> _Shape:
    """The SQL and slots of ``values``' shape; ``keep``: to be used for others of its shape,
    so a list element's slot names its place in the list rather than its value."""
    given = {bind.key for bind in compiled.binds.values() if bind.required}
    state = compiled.construct_expanded_state(dict(values))
    elements = {
        expanded: (name, index)
        for name, names in state.parameter_expansion.items()
        for index, expanded in enumerate(names)
    }
    slots = []
    for name in state.positiontup or ():
        process = _processor(compiled, state, name)
        source, index = elements.get(name, (name, None))
        if keep and source in given and (index is not None or source == name):
            slots.append(_Slot(source, index, True, None, process))
        else:
            slots.append(_Slot(name, None, False, state.parameters[name], process))
    return _Shape(state.statement, tuple(slots))


def _bound(value: Any, process: Processor) -> Any:
    return value if process is None else process(value)


def _processor(compiled: SQLCompiler, state: ExpandedState, name: str) -> Processor:
    """The bind processor of a ``?``: its parameter's, or an expanded element's."""
    if (bind := compiled.binds.get(name)) is not None:
        return bind.type.dialect_impl(compiled.dialect).bind_processor(compiled.dialect)
    return state.processors.get(name)


def tag(name: str) -> ColumnElement[str]:
    """A union's ``kind`` column: which of its selects a row came from."""
    return literal_column(f"'{name}'", String).label("kind")


def typed_null(type_: TypeEngine[Any]) -> ColumnElement[Any]:
    """A NULL of ``type_`` for a union's column that a select has no value for: PostgreSQL
    matches a union's columns by type, and two bare NULLs make a text column."""
    return cast(null(), type_)
