"""Hot reads compiled once and run straight on the SQLite driver.

Even a statement built once costs SQLAlchemy 20-40 us an execution on this machine (the compiled-cache
lookup, an execution context, result metadata, events): several times SQLite's own time for an indexed
read from its page cache. A `PreparedRead` keeps SQLAlchemy Core as the one place where the query is
written. On a `LoopConnection` it hands the SQL, compiled once for SQLite, to sqlite3 itself, and
converts each column with its column type's own result processor, so the rows hold the same values as
through SQLAlchemy (timezone-aware datetimes included). Elsewhere (PostgreSQL, aiosqlite) it is an
ordinary execute of the same statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.storage.sqlite_loop import LoopConnection

Row = Mapping[str, Any]
ROWS_MAX = 10_000  # a prepared read is a point read: more rows than this is a bug in the query


@dataclass(frozen=True, slots=True)
class _CompiledForSqlite:
    sql: str
    parameter_names: tuple[str, ...]  # in the order of the SQL's "?" placeholders
    keys: tuple[str, ...]  # the row's keys, as `.mappings()` would name them
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, converter)


class PreparedRead:
    """One SELECT with bind parameters, built once at import and run many times."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._sqlite: _CompiledForSqlite | None = None

    async def rows(self, connection: AsyncConnection, **parameters: Any) -> list[Row]:
        if isinstance(connection, LoopConnection):
            await connection.share_the_loop()
            return self._rows_from_driver(connection, parameters)
        return list((await connection.execute(self.statement, parameters)).mappings())

    async def first(self, connection: AsyncConnection, **parameters: Any) -> Row | None:
        rows = await self.rows(connection, **parameters)
        return rows[0] if rows else None

    def _rows_from_driver(self, connection: LoopConnection, parameters: dict[str, Any]) -> list[Row]:
        compiled = self._sqlite or self._compile(connection.dialect)
        driver = connection.sync_connection.connection.dbapi_connection
        assert driver is not None, "a checked-out connection has its driver connection"
        values = tuple(parameters[name] for name in compiled.parameter_names)
        fetched = driver.execute(compiled.sql, values).fetchmany(ROWS_MAX + 1)
        assert len(fetched) <= ROWS_MAX, f"a prepared read returned more than {ROWS_MAX} rows"
        rows: list[Row] = []
        for fetched_row in fetched:
            row = list(fetched_row)
            for index, process in compiled.processors:
                row[index] = process(row[index])
            rows.append(dict(zip(compiled.keys, row, strict=True)))
        return rows

    def _compile(self, dialect: Dialect) -> _CompiledForSqlite:
        compiled = self.statement.compile(dialect=dialect)
        assert compiled.positiontup is not None, "SQLite's placeholders are positional"
        for bind in compiled.binds.values():
            # Parameters go to the driver as given: only types that need no conversion on the way in.
            assert bind.type.dialect_impl(dialect).bind_processor(dialect) is None, bind.key
        columns = list(self.statement.selected_columns)
        keys = tuple(self.statement.selected_columns.keys())
        # SQLAlchemy renames a repeated column name ("id", "id_1"): a row key nobody would expect.
        renamed = [key for key, column in zip(keys, columns, strict=True) if key != column.name]
        assert not renamed, f"label the columns whose names repeat: {renamed}"
        processors = []
        for index, column in enumerate(columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                processors.append((index, process))
        self._sqlite = _CompiledForSqlite(
            compiled.string, tuple(compiled.positiontup), keys, tuple(processors)
        )
        return self._sqlite
