"""Hot statements compiled once and run straight on the SQLite driver.

Even a statement built once costs SQLAlchemy 20-60 us an execution on this machine (the compiled-cache
lookup, an execution context, result metadata, events): several times SQLite's own time for an indexed
read or a one-row write. A `Prepared` statement keeps SQLAlchemy Core as the one place where the
statement is written. On a `LoopConnection` it hands the SQL, compiled once for SQLite, to sqlite3
itself: parameters pass through their column types' bind processors and columns through their result
processors, so the values are the same as through SQLAlchemy (timezone-aware datetimes included), and
driver errors are raised as SQLAlchemy's (an `IntegrityError` is still one). Elsewhere (PostgreSQL,
aiosqlite) it is an ordinary execute of the same statement.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

from loyalty_server.storage.sqlite_loop import LoopConnection, driver_execute, driver_executemany

Row = Mapping[str, Any]
ROWS_MAX = 10_000  # prepared statements are point reads and writes: more rows is a bug in the query
Converter = Callable[[Any], Any]
_REQUIRED = object()  # a placeholder whose value the caller must give


@dataclass(frozen=True, slots=True)
class _CompiledForSqlite:
    sql: str
    # Per "?" placeholder: its name, its value when the statement holds one (a literal), its processor.
    parameters: tuple[tuple[str, Any, Converter | None], ...]
    keys: tuple[str, ...]  # the row's keys, as `.mappings()` would name them (none for plain DML)
    processors: tuple[tuple[int, Converter], ...]  # (column index, result processor)

    def values_of(self, parameters: dict[str, Any]) -> tuple[Any, ...]:
        """The driver's values for the placeholders, in order: the caller's (required ones must be
        given), else the value written into the statement, each through its column type's bind
        processor. Inlined (no call per value): every prepared execution runs it for every value."""
        values = []
        for name, fixed, process in self.parameters:
            value = parameters.get(name, fixed)
            if value is _REQUIRED:
                raise KeyError(f"a prepared statement needs a value for {name!r}")
            values.append(value if process is None else process(value))
        return tuple(values)


class Prepared:
    """One statement with bind parameters (a SELECT, or an INSERT, UPDATE or DELETE with or without
    RETURNING), built once at import and run many times."""

    def __init__(self, statement: Select[Any] | UpdateBase, *, insert_columns: Sequence[str] = ()) -> None:
        """`insert_columns`: for a bare `insert(table)`, the columns every row gives, named as the
        parameters (SQLAlchemy reserves column names for itself in `.values()`)."""
        self.statement = statement
        self.insert_columns = list(insert_columns)
        # A SELECT's columns, or what an INSERT/UPDATE/DELETE RETURNs (nothing without RETURNING).
        self.columns = list(statement.exported_columns)
        self.returns_rows = isinstance(statement, Select) or bool(self.columns)
        self._sqlite: _CompiledForSqlite | None = None

    async def rows(self, connection: AsyncConnection, **parameters: Any) -> list[Row]:
        """The rows of a SELECT, or of an INSERT/UPDATE/DELETE ... RETURNING."""
        assert self.returns_rows, "this statement returns no rows: run() it"
        if isinstance(connection, LoopConnection):
            await connection.share_the_loop()
            return self._rows_from_driver(connection, parameters)
        return list((await connection.execute(self.statement, parameters)).mappings())

    async def run_many(self, connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
        """Run an INSERT (or UPDATE, DELETE) once per parameter set, in one call."""
        assert not self.returns_rows, "executemany returns no rows"
        assert rows, "nothing to run"
        if not isinstance(connection, LoopConnection):
            await connection.execute(self.statement, list(rows))
            return
        await connection.share_the_loop()
        compiled, driver = self._compiled_and_driver(connection)
        driver_executemany(driver, compiled.sql, [compiled.values_of(row) for row in rows])

    async def first(self, connection: AsyncConnection, **parameters: Any) -> Row | None:
        rows = await self.rows(connection, **parameters)
        return rows[0] if rows else None

    async def run(self, connection: AsyncConnection, **parameters: Any) -> int:
        """Run an INSERT, UPDATE or DELETE; returns how many rows it changed."""
        assert not self.returns_rows, "this statement returns rows: read them with rows()"
        if isinstance(connection, LoopConnection):
            await connection.share_the_loop()
            return self._execute(connection, parameters).rowcount
        return (await connection.execute(self.statement, parameters)).rowcount

    def _rows_from_driver(self, connection: LoopConnection, parameters: dict[str, Any]) -> list[Row]:
        compiled = self._sqlite or self._compile(connection.dialect)
        fetched = self._execute(connection, parameters).fetchmany(ROWS_MAX + 1)
        assert len(fetched) <= ROWS_MAX, f"a prepared statement returned more than {ROWS_MAX} rows"
        rows: list[Row] = []
        for fetched_row in fetched:
            row = list(fetched_row)
            for index, process in compiled.processors:
                row[index] = process(row[index])
            rows.append(dict(zip(compiled.keys, row, strict=True)))
        return rows

    def _execute(self, connection: LoopConnection, parameters: dict[str, Any]) -> sqlite3.Cursor:
        compiled, driver = self._compiled_and_driver(connection)
        return driver_execute(driver, compiled.sql, compiled.values_of(parameters))

    def _compiled_and_driver(
        self, connection: LoopConnection
    ) -> tuple[_CompiledForSqlite, sqlite3.Connection]:
        compiled = self._sqlite or self._compile(connection.dialect)
        driver = connection.driver()
        # Writes only inside the write transaction: the driver is in autocommit mode otherwise, and a
        # read connection's transaction is rolled back when it is given back.
        is_read = isinstance(self.statement, Select)
        in_write = driver.in_transaction and not connection.for_reads
        assert is_read or in_write, "a prepared write outside a write transaction"
        return compiled, driver

    def _compile(self, dialect: Dialect) -> _CompiledForSqlite:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.insert_columns or None)
        assert compiled.positiontup is not None, "SQLite's placeholders are positional"
        parameters = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            fixed = _REQUIRED if bind.required else bind.effective_value
            parameters.append((name, fixed, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        keys = tuple(column.name for column in self.columns)
        # SQLAlchemy would rename a repeated column name ("id", "id_1"): a row key nobody expects.
        assert len(set(keys)) == len(keys), f"label the columns whose names repeat: {keys}"
        processors = []
        for index, column in enumerate(self.columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                processors.append((index, process))
        self._sqlite = _CompiledForSqlite(compiled.string, parameters, keys, tuple(processors))
        return self._sqlite
