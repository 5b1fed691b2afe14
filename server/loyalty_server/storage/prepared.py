"""Hot statements compiled once and run straight on the SQLite driver.

Even a statement built once costs SQLAlchemy 20-60 us an execution on this machine (the compiled-cache
lookup, an execution context, result metadata, events): several times SQLite's own time for an indexed
read or a one-row write. A `Prepared` statement keeps SQLAlchemy Core as the one place where the
statement is written. On a `LoopConnection` it hands the SQL, compiled once for SQLite, to sqlite3
itself: parameters pass through their column types' bind processors and columns through their result
processors, so the values are the same as through SQLAlchemy (timezone-aware datetimes included), and
driver errors are raised as SQLAlchemy's (an `IntegrityError` is still one). On PostgreSQL it runs the
statement, compiled once for asyncpg, on the connection SQLAlchemy's adapter wraps, in the same
transaction (storage/prepared_asyncpg.py). Elsewhere (aiosqlite) it is an ordinary execute.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.selectable import Select

from loyalty_server.storage import prepared_asyncpg
from loyalty_server.storage.placeholders import REQUIRED, Converter, Placeholder, driver_rows, driver_values
from loyalty_server.storage.prepared_asyncpg import Adapter, CompiledForAsyncpg
from loyalty_server.storage.sqlite_loop import (
    LoopConnection,
    driver_execute,
    driver_executemany,
    holds_sqlite_write_lock,
)

Row = Mapping[str, Any]
ROWS_MAX = 10_000  # prepared statements are point reads and writes: more rows is a bug in the query


@dataclass(frozen=True, slots=True)
class _CompiledForSqlite:
    sql: str
    parameters: tuple[Placeholder, ...]  # per "?", in order
    keys: tuple[str, ...]  # the row's keys, as `.mappings()` would name them (none for plain DML)
    processors: tuple[tuple[int, Converter], ...]  # (column index, result processor)


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
        # Neither writes nor locks rows: what may run on a read connection.
        self._plain_read = isinstance(statement, Select) and statement._for_update_arg is None
        self._sqlite: _CompiledForSqlite | None = None
        self._asyncpg: CompiledForAsyncpg | None = None

    async def rows(self, connection: AsyncConnection, **parameters: Any) -> list[Row]:
        """The rows of a SELECT, or of an INSERT/UPDATE/DELETE ... RETURNING."""
        assert self.returns_rows, "this statement returns no rows: run() it"
        if isinstance(connection, LoopConnection):
            await connection.share_the_loop()
            return self._rows_from_driver(connection, parameters)
        if (on_asyncpg := self._on_asyncpg(connection)) is not None:
            adapter, compiled = on_asyncpg
            records, _status = await prepared_asyncpg.fetch(connection, adapter, compiled, parameters)
            assert len(records) <= ROWS_MAX, f"a prepared statement returned more than {ROWS_MAX} rows"
            return driver_rows(compiled.keys, compiled.processors or (), records)
        return list((await connection.execute(self.statement, parameters)).mappings())

    async def run_many(self, connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
        """Run an INSERT (or UPDATE, DELETE) once per parameter set, in one call."""
        assert not self.returns_rows, "executemany returns no rows"
        assert rows, "nothing to run"
        if not isinstance(connection, LoopConnection):
            if (on_asyncpg := self._on_asyncpg(connection)) is not None:
                adapter, compiled = on_asyncpg
                await prepared_asyncpg.execute_many(connection, adapter, compiled, rows)
                return
            await connection.execute(self.statement, list(rows))
            return
        await connection.share_the_loop()
        compiled, driver = self._compiled_and_driver(connection)
        driver_executemany(driver, compiled.sql, [driver_values(compiled.parameters, row) for row in rows])

    async def first(self, connection: AsyncConnection, **parameters: Any) -> Row | None:
        rows = await self.rows(connection, **parameters)
        return rows[0] if rows else None

    async def run(self, connection: AsyncConnection, **parameters: Any) -> int:
        """Run an INSERT, UPDATE or DELETE; returns how many rows it changed."""
        assert not self.returns_rows, "this statement returns rows: read them with rows()"
        if isinstance(connection, LoopConnection):
            await connection.share_the_loop()
            return self._execute(connection, parameters).rowcount
        if (on_asyncpg := self._on_asyncpg(connection)) is not None:
            adapter, compiled = on_asyncpg
            _records, status = await prepared_asyncpg.fetch(connection, adapter, compiled, parameters)
            return prepared_asyncpg.row_count(status)
        return (await connection.execute(self.statement, parameters)).rowcount

    def _rows_from_driver(self, connection: LoopConnection, parameters: dict[str, Any]) -> list[Row]:
        compiled = self._sqlite or self._compile(connection.dialect)
        fetched = self._execute(connection, parameters).fetchmany(ROWS_MAX + 1)
        assert len(fetched) <= ROWS_MAX, f"a prepared statement returned more than {ROWS_MAX} rows"
        return driver_rows(compiled.keys, compiled.processors, fetched)

    def _execute(self, connection: LoopConnection, parameters: dict[str, Any]) -> sqlite3.Cursor:
        compiled, driver = self._compiled_and_driver(connection)
        return driver_execute(driver, compiled.sql, driver_values(compiled.parameters, parameters))

    def _compiled_and_driver(
        self, connection: LoopConnection
    ) -> tuple[_CompiledForSqlite, sqlite3.Connection]:
        compiled = self._sqlite or self._compile(connection.dialect)
        driver = connection.driver()
        # Writes only inside the write transaction: the driver is in autocommit mode otherwise, and a
        # read connection's transaction is rolled back when it is given back. Not an assert: it must
        # hold under -O too.
        if not (isinstance(self.statement, Select) or holds_sqlite_write_lock(connection)):
            raise RuntimeError("a prepared write outside a write transaction")
        return compiled, driver

    def _compile(self, dialect: Dialect) -> _CompiledForSqlite:
        sql, parameters, keys = self._positional(dialect)
        processors = []
        for index, column in enumerate(self.columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                processors.append((index, process))
        self._sqlite = _CompiledForSqlite(sql, parameters, keys, tuple(processors))
        return self._sqlite

    def _on_asyncpg(self, connection: AsyncConnection) -> tuple[Adapter, CompiledForAsyncpg] | None:
        """SQLAlchemy's asyncpg adapter under `connection` and the statement compiled for it; None
        off PostgreSQL, or when SQLAlchemy's own path must run it (prepared_asyncpg.adapter_of)."""
        if connection.dialect.driver != "asyncpg":
            return None
        adapter = prepared_asyncpg.adapter_of(connection)
        if adapter is None:
            return None
        # A read connection runs in autocommit (read_connection): a write there would stand on its
        # own, a row lock would end with its statement. Not an assert: it must hold under -O too.
        if adapter.autocommit and not self._plain_read:
            raise RuntimeError("a prepared write or row lock outside a write transaction")
        return adapter, self._asyncpg or self._compile_for_asyncpg(connection.dialect)

    def _compile_for_asyncpg(self, dialect: Dialect) -> CompiledForAsyncpg:
        sql, parameters, keys = self._positional(dialect)
        result_types = tuple(column.type for column in self.columns)
        self._asyncpg = CompiledForAsyncpg(sql, parameters, keys, result_types)
        return self._asyncpg

    def _positional(self, dialect: Dialect) -> tuple[str, tuple[Placeholder, ...], tuple[str, ...]]:
        """The SQL for `dialect`, what each of its placeholders takes (in order: its name, the value
        written into the statement or REQUIRED, its bind processor), and the row's keys."""
        compiled = self.statement.compile(dialect=dialect, column_keys=self.insert_columns or None)
        assert compiled.positiontup is not None, "the driver's placeholders are positional"
        parameters = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            fixed = REQUIRED if bind.required else bind.effective_value
            parameters.append((name, fixed, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        keys = tuple(column.name for column in self.columns)
        # SQLAlchemy would rename a repeated column name ("id", "id_1"): a row key nobody expects.
        assert len(set(keys)) == len(keys), f"label the columns whose names repeat: {keys}"
        return compiled.string, tuple(parameters), keys
