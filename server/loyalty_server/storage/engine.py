"""The async engine: SQLite through aiosqlite (the embedded default) or PostgreSQL through asyncpg.

Same code, same migrations for both. SQLite gets WAL, foreign keys and a busy timeout on every
connection, and transactions whose BEGIN we emit ourselves, so a writer can take the write lock up
front (`BEGIN IMMEDIATE`) instead of failing when it upgrades a read lock mid-transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from loyalty_server.errors import ConfigError
from loyalty_server.storage.group_commit import (
    Batch,
    BatchBrokenError,
    NestedWriteError,
    run_after_commit_hook,
    sqlite_writer,
)
from loyalty_server.storage.sqlite_loop import attach_loop_engine
from loyalty_server.storage.transaction_scope import forget_all

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def parse_database_url(url: str) -> URL:
    """Accept plain `sqlite:///path` / `postgresql://…` URLs and pick the async driver ourselves."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database_url: not a database URL: {_hide_password(url)!r}") from None
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise ConfigError(f"database_url: unsupported database {backend!r} (use sqlite or postgresql)")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ConfigError("database_url: SQLite needs a file path (sqlite:///path/to/loyalty.db)")
    return parsed.set(drivername=_DRIVERS[backend])


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, *, pool_size: int = 10, sqlite_busy_timeout_ms: int = 5000) -> AsyncEngine:
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, connect_args={"timeout": sqlite_busy_timeout_ms / 1000})

        def configure(sync_engine: Engine) -> None:
            _configure_sqlite(sync_engine, sqlite_busy_timeout_ms)

        configure(engine.sync_engine)
        attach_loop_engine(engine, parsed, configure, sqlite_busy_timeout_ms / 1000)
        return engine
    # READ COMMITTED for every transaction, whatever the server's default: the writes lock the rows
    # they change and read them fresh (at REPEATABLE READ a row changed meanwhile would fail the write).
    # Reads run in autocommit (read_connection): one statement, one snapshot, at any level.
    engine = create_async_engine(
        parsed, pool_size=pool_size, max_overflow=pool_size, isolation_level="READ COMMITTED"
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection whose server went away (a restart, a failover, a killed
    backend) is replaced before use. asyncpg sees the server close the socket even while the
    connection idles in the pool, so this needs no round trip: SQLAlchemy's `pool_pre_ping` sends
    three (BEGIN, a ping, ROLLBACK) at every checkout, more than a GetBalance's own statements. A
    connection cut without a word (a network partition) is not seen here: its first statement fails
    as the ping would have, invalidating it (`database_outage` answers UNAVAILABLE; clients retry)."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")  # the pool reconnects


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """Every connection, through aiosqlite or on the loop (sqlite_loop.py), is set up alike."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below (pysqlite's own is too lazy).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # FULL: a commit that returned survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        assert mode in ("DEFERRED", "IMMEDIATE")
        dbapi_connection = connection.connection.dbapi_connection
        if getattr(dbapi_connection, "in_transaction", False):  # sqlite3's (aiosqlite's has none)
            # A kept read connection opens its snapshot on the driver (sqlite_loop._ReadConnections),
            # and so does the writer its write transaction when the lock is free
            # (LoopConnection.begin_immediate): SQLAlchemy's transaction carries on in what is open.
            # Never a BEGIN IMMEDIATE over an open transaction.
            if mode != "DEFERRED":  # not an assert: it must hold under -O too
                raise RuntimeError("BEGIN IMMEDIATE on a connection already in a transaction")
            return
        # Straight to the driver: every connection begins so, and exec_driver_sql's events and result
        # handling cost more than the statement itself (a third of a one-row read's time).
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"BEGIN {mode}")
        finally:
            cursor.close()


# Work a transaction asks to run at its very end (`before_commit`) or once it has committed
# (`after_commit`); write_transaction runs them. The outbox uses both: events are written last, under
# the commit-order lock, and subscribers in this process are woken once they are visible.
CommitHook = Callable[[AsyncConnection], Awaitable[None]]
AfterCommitHook = Callable[[], None]
_BEFORE_COMMIT = "loyalty.before_commit"
_AFTER_COMMIT = "loyalty.after_commit"
_STATE = "loyalty.transaction_state"
_OWN_SAVEPOINT = "loyalty.own_savepoint"  # SQLite: the writer's savepoint in its group-commit batch


def transaction_state(connection: AsyncConnection) -> dict[str, Any]:
    """Scratch space that lives exactly as long as the current write transaction, whatever savepoints
    open and roll back inside it (copies of rows that a savepoint may undo: transaction_scope.py)."""
    state: dict[str, Any] | None = connection.info.get(_STATE)
    assert state is not None, "transaction_state needs a write_transaction"
    return state


def before_commit(connection: AsyncConnection, key: str, hook: CommitHook) -> None:
    """Run `hook` once, last in this write transaction (registering the same key again is a no-op)."""
    hooks: dict[str, CommitHook] | None = connection.info.get(_BEFORE_COMMIT)
    assert hooks is not None, "before_commit needs a write_transaction"
    hooks.setdefault(key, hook)


def after_commit(connection: AsyncConnection, key: str, hook: AfterCommitHook) -> None:
    """Run `hook` once after this write transaction has committed (never after a rollback)."""
    hooks: dict[str, AfterCommitHook] | None = connection.info.get(_AFTER_COMMIT)
    assert hooks is not None, "after_commit needs a write_transaction"
    hooks.setdefault(key, hook)


@contextlib.asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction that will write. It returns once its work is committed (or raises).

    On SQLite it is a savepoint in the process's one write transaction, committed together with the
    concurrent writers' (group commit, `storage/group_commit.py`); on PostgreSQL a transaction of
    its own on a pooled connection."""
    if is_sqlite(engine):
        writer = sqlite_writer(engine)
        joined = writer.joined_batch()
        if joined is not None:
            async with _savepoint(joined) as connection:
                yield connection
            return
        async with writer.turn() as batch, _savepoint(batch) as connection:
            yield connection
        return
    async with engine.connect() as connection:
        async with _hooks(connection) as (before, after), connection.begin():
            yield connection
            for hook in before.values():
                await hook(connection)
        for done in after.values():
            run_after_commit_hook(done)  # committed: a failing hook must not say otherwise


# Inside a writer's savepoint (SQLite): a write transaction opened there would join the batch's
# savepoint stack and break the outer one's hooks, so it is refused like any nested write.
_in_savepoint: contextvars.ContextVar[bool] = contextvars.ContextVar("loyalty_in_savepoint", default=False)


@contextlib.asynccontextmanager
async def _savepoint(batch: Batch) -> AsyncIterator[AsyncConnection]:
    """One writer's share of a SQLite batch: its own savepoint and hooks."""
    # The domain code awaits only what LoopConnection offers: let it pass for an AsyncConnection.
    connection = cast(AsyncConnection, batch.connection)
    if _in_savepoint.get():
        raise NestedWriteError("a write transaction inside another one (SQLite has one writer)")
    if batch.broken is not None:
        raise BatchBrokenError(
            "an earlier write of this batch failed the whole transaction"
        ) from batch.broken
    token = _in_savepoint.set(True)
    try:
        async with _hooks(connection) as (before, after), connection.begin_nested() as savepoint:
            connection.info[_OWN_SAVEPOINT] = savepoint
            yield connection
            for hook in before.values():
                await hook(connection)
    except BaseException as exc:
        if not batch.connection.transaction_open():
            batch.broken = exc  # SQLite rolled back the writers before this one too
        raise
    finally:
        _in_savepoint.reset(token)
    batch.writes += 1
    batch.after_commit.extend(after.values())


@contextlib.asynccontextmanager
async def _hooks(
    connection: AsyncConnection,
) -> AsyncIterator[tuple[dict[str, CommitHook], dict[str, AfterCommitHook]]]:
    # connection.info outlives this transaction (it belongs to the pooled DBAPI connection): reset it.
    # Through the dict itself: once a lost connection is invalidated, `connection.info` would
    # reconnect (outside SQLAlchemy's greenlet: MissingGreenlet in place of the error that lost it).
    info = connection.info
    before: dict[str, CommitHook] = {}
    after: dict[str, AfterCommitHook] = {}
    info[_BEFORE_COMMIT] = before
    info[_AFTER_COMMIT] = after
    info[_STATE] = {}
    try:
        yield before, after
    finally:
        for key in (_BEFORE_COMMIT, _AFTER_COMMIT, _STATE, _OWN_SAVEPOINT):
            info.pop(key, None)
        forget_all(info)


def in_inner_savepoint(connection: AsyncConnection) -> bool:
    """Whether the write transaction is inside a savepoint of its own making (which could roll back
    part of its work), as opposed to the savepoint group commit gives each writer on SQLite."""
    return connection.get_nested_transaction() is not connection.info.get(_OWN_SAVEPOINT)


def _hide_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable>"


def display_url(url: str) -> str:
    """A URL fit for logs and error messages: the password masked."""
    return _hide_password(url)
