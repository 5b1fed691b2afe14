"""Prepared statements run straight on asyncpg, inside the transaction SQLAlchemy manages.

On PostgreSQL an execution through SQLAlchemy's async engine costs ~150 us of CPU on this machine
(the greenlet hop, the compiled-cache lookup, an execution context, result metadata), against ~55 us
for the same prepared statement on asyncpg itself: most of the engine's CPU on PostgreSQL. `Prepared`
(storage/prepared.py) hands its statement, compiled once for the asyncpg dialect, to the connection
SQLAlchemy's adapter wraps, the way it hands SQLite's to sqlite3.

What SQLAlchemy does around a statement is kept: the adapter's lock against concurrent use of one
connection, its lazy BEGIN (a transaction SQLAlchemy began has not reached the server before its
first statement; the statement must not run outside it), its cache of prepared statements (shared
with SQLAlchemy's own executions) and of types, the column types' bind and result processors, and
the errors: asyncpg's are raised as SQLAlchemy's (`IntegrityError`, `DBAPIError` with the SQLSTATE on
`orig`); a connection found closed is invalidated with every connection of the pool older than it,
and one whose statement was cancelled is discarded. Commit and rollback stay SQLAlchemy's: they end
the adapter's transaction, which is the one these statements ran in.

The adapter's members used here are private to SQLAlchemy (pyproject.toml pins the minor version);
when one is missing, `adapter_of` says so and `Prepared` takes SQLAlchemy's own path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection, PGDialect_asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.pool import Pool

from loyalty_server.logs import log_event
from loyalty_server.storage.placeholders import Converter, Placeholder, driver_values

logger = logging.getLogger("loyalty.storage")
CANCEL_REQUEST_WAIT_S = 1.0  # how long a cancelled statement's cancel request may take to go out
_ROW_COUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+|MERGE) (\d+)")
_ADAPTER_MEMBERS = (
    "_execute_mutex",
    "_transaction",
    "_connection",
    "_start_transaction",
    "_prepare",
    "_check_type_cache_invalidation",
    "_handle_exception",
    "autocommit",
)
SUPPORTED = all(hasattr(AsyncAdapt_asyncpg_connection, name) for name in _ADAPTER_MEMBERS) and all(
    hasattr(owner, name)
    for owner, name in ((Pool, "_invalidate"), (PGDialect_asyncpg, "_invalidate_schema_cache_asof"))
)
T = TypeVar("T")


class Adapter(Protocol):
    """What is used of SQLAlchemy's `AsyncAdapt_asyncpg_connection`."""

    _execute_mutex: Any  # an asyncio.Lock
    _transaction: Any  # asyncpg's Transaction, or None before the lazy BEGIN
    _connection: Any  # the asyncpg connection
    autocommit: bool

    async def _start_transaction(self) -> None: ...
    async def _prepare(self, operation: str, invalidate_timestamp: float) -> tuple[Any, Any]: ...
    async def _check_type_cache_invalidation(self, invalidate_timestamp: float) -> None: ...
    def _handle_exception(self, error: Exception) -> Any: ...


@dataclass(slots=True)
class CompiledForAsyncpg:
    sql: str  # with asyncpg's $1, $2, … placeholders
    parameters: tuple[Placeholder, ...]
    keys: tuple[str, ...]  # the row's keys, as `.mappings()` would name them
    result_types: tuple[Any, ...]  # per column: its SQLAlchemy type (processors need the server's oid)
    # Per column index: its result processor, from the first execution's column oids (the same for
    # every connection: the schema has only built-in types).
    processors: tuple[tuple[int, Converter], ...] | None = None


def adapter_of(connection: AsyncConnection) -> Adapter | None:
    """SQLAlchemy's asyncpg adapter under `connection`, or None when SQLAlchemy's own path must run
    the statement: the connection not yet connected or invalidated (that path reconnects or raises
    as it should), or an adapter without the members used here."""
    sync = connection.sync_connection
    if not SUPPORTED or sync is None or sync.closed or sync.invalidated:
        return None
    adapter: Adapter = sync.connection.dbapi_connection
    return adapter


async def fetch(
    connection: AsyncConnection, adapter: Adapter, compiled: CompiledForAsyncpg, parameters: dict[str, Any]
) -> tuple[list[Any], str]:
    """The statement's records and its status ("UPDATE 1"), run in the connection's transaction."""
    values = driver_values(compiled.parameters, parameters)
    dialect = connection.dialect

    async def run() -> tuple[list[Any], str, Any]:
        statement, attributes = await adapter._prepare(compiled.sql, dialect._invalidate_schema_cache_asof)
        records = await statement.fetch(*values)
        return records, statement.get_statusmsg() or "", attributes

    records, status, attributes = await _guarded(connection, adapter, compiled.sql, values, run)
    if compiled.processors is None:
        compiled.processors = _result_processors(dialect, compiled.result_types, attributes)
    return records, status


async def execute_many(
    connection: AsyncConnection,
    adapter: Adapter,
    compiled: CompiledForAsyncpg,
    rows: Sequence[dict[str, Any]],
) -> None:
    values = [driver_values(compiled.parameters, row) for row in rows]

    async def run() -> None:
        await adapter._check_type_cache_invalidation(connection.dialect._invalidate_schema_cache_asof)
        await adapter._connection.executemany(compiled.sql, values)

    await _guarded(connection, adapter, compiled.sql, values, run)


def row_count(status: str) -> int:
    match = _ROW_COUNT.match(status)
    return int(match.group(1)) if match else -1


async def _guarded(
    connection: AsyncConnection,
    adapter: Adapter,
    sql: str,
    values: Any,
    run: Callable[[], Awaitable[T]],
) -> T:
    """`run` under the adapter's lock, in the connection's transaction, its errors SQLAlchemy's."""
    try:
        async with adapter._execute_mutex:
            await _begun(adapter)
            return await run()
    except Exception as error:  # asyncpg's or the adapter's
        raise await _as_sqlalchemy_error(connection, adapter, sql, values, error) from error
    except BaseException as exit_error:
        # Cancelled (a client's cancel, a deadline) mid-statement: where asyncpg and the adapter
        # stand is unknown (a BEGIN cut short leaves asyncpg's transaction and the adapter's apart,
        # and a later BEGIN would become a SAVEPOINT in it). The connection is discarded, as
        # SQLAlchemy discards it.
        await _discard(connection, adapter, exit_error)
        raise


async def _discard(connection: AsyncConnection, adapter: Adapter, exit_error: BaseException) -> None:
    """Close the connection of a cancelled statement, once asyncpg's request to cancel it on the
    server went out (closing cancels that request, and the server would run the statement to its end,
    holding its locks, a lock wait included). Never raises: the caller re-raises `exit_error`."""
    pending = set(getattr(adapter._connection, "_cancellations", ()))
    if pending:
        with contextlib.suppress(BaseException):  # cancelled again: close all the same
            await asyncio.wait(pending, timeout=CANCEL_REQUEST_WAIT_S)
    sync = connection.sync_connection
    try:
        if sync is not None:
            sync.invalidate(exit_error)  # outside SQLAlchemy's greenlet: closes the socket at once
    except Exception as error:
        log_event(logger, "connection not discarded", logging.WARNING, error=repr(error))


async def _begun(adapter: Adapter) -> None:
    """The BEGIN SQLAlchemy's adapter sends before its first statement of a transaction: a statement
    sent before it would run (and commit) on its own."""
    if adapter._transaction is None:
        await adapter._start_transaction()
    assert adapter._transaction is not None or adapter.autocommit, "no transaction to run in"


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
    connection: AsyncConnection, adapter: Adapter, sql: str, values: Any, error: Exception
) -> DBAPIError:
    """`error` as SQLAlchemy would raise it from an execute: first as the adapter's DBAPI error
    (it carries the SQLSTATE), then wrapped. A connection found closed is invalidated, and with it
    every pooled connection made before it (SQLAlchemy's `_handle_dbapi_exception` does the same:
    a server that went away took them all)."""
    dialect = connection.dialect
    dbapi = dialect.loaded_dbapi
    try:
        adapter._handle_exception(error)  # raises the DBAPI error for `error`, or `error` itself
    except dbapi.Error as translated:
        dbapi_error: Exception = translated
    disconnected = dialect.is_disconnect(dbapi_error, adapter, None)
    sync = connection.sync_connection
    if disconnected and sync is not None and not sync.invalidated:
        connection.sync_engine.pool._invalidate(sync.connection, dbapi_error, _checkin=False)
        await connection.invalidate(dbapi_error)
    wrapped = DBAPIError.instance(
        sql, values, dbapi_error, dbapi.Error, connection_invalidated=disconnected, dialect=dialect
    )
    assert isinstance(wrapped, DBAPIError)
    return wrapped
