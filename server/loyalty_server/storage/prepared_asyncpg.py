"""Prepared statements run straight on asyncpg, inside the transaction SQLAlchemy manages.

On PostgreSQL an execution through SQLAlchemy's async engine costs ~150 us of CPU on this machine
(the greenlet hop, the compiled-cache lookup, an execution context, result metadata), against ~55 us
for the same prepared statement on asyncpg itself: most of the engine's CPU on PostgreSQL. `Prepared`
(storage/prepared.py) hands its statement, compiled once for the asyncpg dialect, to the connection
SQLAlchemy's adapter wraps, the way it hands SQLite's to sqlite3.

What SQLAlchemy's adapter would do around a statement is kept: its lock against concurrent use of
one connection, its lazy BEGIN (a transaction SQLAlchemy began has not reached the server before its
first statement; the statement must not run outside it), its cache of prepared statements (shared
with SQLAlchemy's own executions), the column types' bind and result processors, and its errors:
asyncpg's are raised as SQLAlchemy's (`IntegrityError`, `DBAPIError` with the SQLSTATE on `orig`),
and a connection found closed is invalidated, as SQLAlchemy invalidates one, so that the pool
replaces it. Commit and rollback stay SQLAlchemy's: they end the adapter's transaction, which is the
one these statements ran in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.storage.placeholders import Converter, Placeholder, driver_values

_ROW_COUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+|MERGE) (\d+)")


@dataclass(slots=True)
class CompiledForAsyncpg:
    sql: str  # with asyncpg's $1, $2, … placeholders
    parameters: tuple[Placeholder, ...]
    keys: tuple[str, ...]  # the row's keys, as `.mappings()` would name them
    result_types: tuple[Any, ...]  # per column: its SQLAlchemy type (processors need the server's oid)
    # Per column index: its result processor, once known (from the first execution's column oids).
    processors: tuple[tuple[int, Converter], ...] | None = field(default=None)


def adapter_of(connection: AsyncConnection) -> Any | None:
    """SQLAlchemy's asyncpg adapter under `connection`, or None when the connection is not in a
    state to run on it directly (not yet connected, or invalidated: SQLAlchemy's own path then
    reconnects or raises as it should)."""
    sync = connection.sync_connection
    if sync is None or sync.closed or sync.invalidated:
        return None
    fairy = sync.connection
    return fairy.dbapi_connection


async def fetch(
    connection: AsyncConnection, adapter: Any, compiled: CompiledForAsyncpg, parameters: dict[str, Any]
) -> tuple[list[Any], str]:
    """The statement's records and its status ("UPDATE 1"), run in the connection's transaction."""
    values = driver_values(compiled.parameters, parameters)
    dialect = connection.dialect
    try:
        async with adapter._execute_mutex:
            await _begun(adapter)
            statement, attributes = await adapter._prepare(
                compiled.sql, dialect._invalidate_schema_cache_asof
            )
            records = await statement.fetch(*values)
            status = statement.get_statusmsg() or ""
    except Exception as error:  # asyncpg's or the adapter's: raised as SQLAlchemy's
        raise await _as_sqlalchemy_error(connection, adapter, compiled.sql, values, error) from error
    if compiled.processors is None:
        compiled.processors = _result_processors(dialect, compiled.result_types, attributes)
    return records, status


async def execute_many(
    connection: AsyncConnection, adapter: Any, compiled: CompiledForAsyncpg, rows: Sequence[dict[str, Any]]
) -> None:
    values = [driver_values(compiled.parameters, row) for row in rows]
    try:
        async with adapter._execute_mutex:
            await _begun(adapter)
            await adapter._connection.executemany(compiled.sql, values)
    except Exception as error:
        raise await _as_sqlalchemy_error(connection, adapter, compiled.sql, values, error) from error


async def _begun(adapter: Any) -> None:
    """The BEGIN SQLAlchemy's adapter sends before its first statement of a transaction: a statement
    sent before it would run (and commit) on its own."""
    if adapter._transaction is None:
        await adapter._start_transaction()
    assert adapter._transaction is not None or adapter.autocommit, "no transaction to run in"


def rows_of(compiled: CompiledForAsyncpg, records: list[Any]) -> list[dict[str, Any]]:
    processors = compiled.processors or ()
    rows = []
    for record in records:
        row = list(record)
        for index, process in processors:
            row[index] = process(row[index])
        rows.append(dict(zip(compiled.keys, row, strict=True)))
    return rows


def row_count(status: str) -> int:
    match = _ROW_COUNT.match(status)
    return int(match.group(1)) if match else -1


def _result_processors(
    dialect: Any, result_types: tuple[Any, ...], attributes: Sequence[Any]
) -> tuple[tuple[int, Converter], ...]:
    if not result_types:  # no rows wanted (a bare INSERT, which SQLAlchemy compiles RETURNING its id)
        return ()
    assert len(attributes) == len(result_types), "the server's columns are not the statement's"
    processors = []
    for index, (type_, attribute) in enumerate(zip(result_types, attributes, strict=True)):
        process = type_.dialect_impl(dialect).result_processor(dialect, attribute.type.oid)
        if process is not None:
            processors.append((index, process))
    return tuple(processors)


async def _as_sqlalchemy_error(
    connection: AsyncConnection, adapter: Any, sql: str, values: Any, error: Exception
) -> DBAPIError:
    """`error` as SQLAlchemy would raise it from an execute: first as the adapter's DBAPI error
    (it carries the SQLSTATE), then wrapped; a connection found closed is invalidated."""
    dialect = connection.dialect
    dbapi = dialect.loaded_dbapi
    try:
        adapter._handle_exception(error)  # raises the DBAPI error for `error`, or `error` itself
    except dbapi.Error as translated:
        dbapi_error: Exception = translated
    disconnected = dialect.is_disconnect(dbapi_error, adapter, None)
    if disconnected:
        await connection.invalidate(dbapi_error)
    wrapped = DBAPIError.instance(
        sql, values, dbapi_error, dbapi.Error, connection_invalidated=disconnected, dialect=dialect
    )
    assert isinstance(wrapped, DBAPIError)
    return wrapped
