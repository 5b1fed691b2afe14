"""SQLite statements on the event loop's own thread, for the hot paths.

aiosqlite runs each statement on a thread of its own and wakes the event loop when it is done: about
half a millisecond a statement on this machine (measured: a pooled connect and a one-row read, 650 us
through aiosqlite, 50 us as a plain sqlite3 call), where SQLite answers from its page cache in a few
microseconds. So the engine's writes (`write_transaction`, through group commit) and its hottest reads
(`read_connection`) run as plain sqlite3 calls on the loop thread, through a second, synchronous
SQLAlchemy engine on the same file with the same settings. Only the two steps that can wait run in a
worker thread: taking the write lock when another process holds it (BEGIN IMMEDIATE waits up to the busy
timeout; a lock that is free is taken on the loop) and COMMIT (an fsync). Inside a write transaction the
lock is already held, and in WAL mode a reader never waits for a writer, so no statement on the loop
waits for a lock.

`LoopConnection` offers the part of `AsyncConnection` the engine's code uses (`await execute`,
`begin_nested`, `info`, `dialect`...), so domain code does not know which one it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, Connection, Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty_server.storage.wal_checkpoint import CheckpointResult, passive_checkpoint

LOOP_SLICE_S = 0.0005  # statements of one transaction run at most this long before others get a turn
READ_CONNECTIONS_KEPT = 32  # open read connections kept for reuse per engine (more are opened under load)
_loop_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def attach_loop_engine(
    engine: AsyncEngine, url: URL, configure: Callable[[Engine], None], timeout_s: float
) -> None:
    """Give a SQLite AsyncEngine its synchronous twin (disposed with it)."""
    loop_engine = create_sync_engine(
        url.set(drivername="sqlite"),
        connect_args={"timeout": timeout_s, "check_same_thread": False},
        # Checked out on the loop thread: waiting for a free connection would stop the very loop that
        # gives them back, so the pool grows instead. Reads keep theirs open (`_ReadConnections`);
        # the pool serves the writer and the checkpoints.
        pool_size=10,
        max_overflow=-1,
    )
    configure(loop_engine)

    @event.listens_for(loop_engine, "connect")
    def _no_checkpoints_in_commits(dbapi_connection: Any, _record: Any) -> None:
        # The writer checkpoints off the commit path instead (wal_checkpoint.py).
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    _loop_engines[engine.sync_engine] = loop_engine

    readers = _readers[engine.sync_engine] = _ReadConnections(loop_engine, engine.sync_engine)

    @event.listens_for(engine.sync_engine, "engine_disposed")
    def _dispose_twin(_engine: Any) -> None:
        readers.close_all()
        loop_engine.dispose()


def loop_engine_of(engine: AsyncEngine) -> Engine | None:
    return _loop_engines.get(engine.sync_engine)


async def wait_out(future: asyncio.Future[object]) -> bool:
    """Wait until `future` is done, even through this task's cancellation (work in a thread cannot be
    stopped, and what it uses must not be touched before it ends). Its outcome stays in `future`;
    returns whether this task was cancelled meanwhile, for the caller to re-raise once it is safe."""
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            cancelled = True
        except Exception:  # noqa: S110 - the outcome is read from `future` by the caller
            pass
    return cancelled


async def in_thread_to_the_end(work: Callable[[], object]) -> None:
    """Run `work` in a worker thread and wait for it to end even if this task is cancelled meanwhile."""
    running = asyncio.ensure_future(asyncio.to_thread(work))
    if await wait_out(running):
        raise asyncio.CancelledError
    running.result()


_savepoint_numbers = itertools.count(1)


@dataclass(eq=False, slots=True)
class Savepoint:
    name: str


def driver_execute(driver: sqlite3.Connection, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
    """A statement straight on sqlite3, its errors raised as SQLAlchemy's (callers catch those)."""
    try:
        return driver.execute(sql, parameters)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, parameters, error, sqlite3.Error) from error


def driver_executemany(driver: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    try:
        driver.executemany(sql, rows)
    except sqlite3.Error as error:
        raise DBAPIError.instance(sql, rows, error, sqlite3.Error) from error


class LoopConnection:
    """A synchronous connection behind the awaitable interface of `AsyncConnection`."""

    def __init__(self, connection: Connection, owner: Engine, *, for_reads: bool = False) -> None:
        self.sync_connection = connection
        # Weak: kept read connections live in a registry keyed by their engine, which they must not
        # keep alive (an engine never disposed would keep them open for ever).
        self._owner = weakref.ref(owner)
        self.for_reads = for_reads  # a `read_connection`: a prepared write on it is a bug
        self._slice_started_s = time.perf_counter()
        self._savepoints: list[Savepoint] = []

    @property
    def info(self) -> dict[Any, Any]:
        return self.sync_connection.info

    @property
    def dialect(self) -> Any:
        return self.sync_connection.dialect

    @property
    def sync_engine(self) -> Engine:
        """The AsyncEngine's own sync engine, not the twin's: what is registered per engine (the
        outbox's commit listeners, caches) is found the same way from either kind of connection."""
        owner = self._owner()
        assert owner is not None, "a connection used after its engine was collected"
        return owner

    async def execute(self, statement: Any, parameters: Any = None, **options: Any) -> Result[Any]:
        await self.share_the_loop()
        return self.sync_connection.execute(statement, parameters, **options)

    async def scalar(self, statement: Any, parameters: Any = None, **options: Any) -> Any:
        await self.share_the_loop()
        return self.sync_connection.scalar(statement, parameters, **options)

    def restart_slice(self) -> None:
        """A whole slice of loop time from now (after sharing the loop, or for a kept connection's use)."""
        self._slice_started_s = time.perf_counter()

    async def share_the_loop(self) -> None:
        """A statement run inline never suspends the task, so a long transaction would keep every
        other call and stream waiting: after each slice of loop time, let the others run."""
        now = time.perf_counter()
        if now - self._slice_started_s >= LOOP_SLICE_S:
            await asyncio.sleep(0)
            self.restart_slice()

    @contextlib.asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[Savepoint]:
        """A savepoint, released when the block ends and rolled back if it raises. Sent straight to
        the driver: SQLAlchemy's own savepoints cost ten times the statement (every write has one or
        more), and nothing here needs its bookkeeping beyond which savepoint is innermost."""
        driver = self.driver()
        assert driver.in_transaction, "a savepoint outside a transaction"
        savepoint = Savepoint(f"loop_savepoint_{next(_savepoint_numbers)}")
        driver_execute(driver, f"SAVEPOINT {savepoint.name}")
        self._savepoints.append(savepoint)
        try:
            yield savepoint
        except BaseException:
            # SQLite may have rolled the whole transaction back itself (a full disk, an I/O error):
            # then the savepoint is gone with it and there is nothing left to undo.
            if driver.in_transaction:
                driver_execute(driver, f"ROLLBACK TO SAVEPOINT {savepoint.name}")
                driver_execute(driver, f"RELEASE SAVEPOINT {savepoint.name}")
            raise
        else:
            driver_execute(driver, f"RELEASE SAVEPOINT {savepoint.name}")
        finally:
            assert self._savepoints[-1] is savepoint, "savepoints end innermost first"
            self._savepoints.pop()

    def get_nested_transaction(self) -> Savepoint | None:
        """The innermost open savepoint (compared by identity: a new one each time)."""
        return self._savepoints[-1] if self._savepoints else None

    def in_nested_transaction(self) -> bool:
        return bool(self._savepoints)

    def driver(self) -> sqlite3.Connection:
        driver = self.sync_connection.connection.dbapi_connection
        assert driver is not None, "a checked-out connection has its driver connection"
        return cast(sqlite3.Connection, driver)

    def transaction_open(self) -> bool:
        """Whether SQLite still has the transaction open: on a full disk, an I/O error or out of
        memory it may roll the whole transaction back by itself, savepoints and all."""
        dbapi = self.sync_connection.connection.dbapi_connection
        return bool(dbapi is not None and dbapi.in_transaction)

    async def begin_immediate(self) -> None:
        """Open the transaction holding the database's write lock. First on the loop, without
        waiting: in this process only the writer (group_commit.py) takes the lock, one batch at a
        time, so it is free unless another process writes, and a worker thread's round trip cost a
        batch 1-2 ms on a busy loop. Taken by another process: wait for it in a worker thread, up to
        the busy timeout."""
        if self._begin_immediate_now():
            self.sync_connection.begin()  # SQLAlchemy's transaction carries on the driver's (engine.py)
            return
        connection = self.sync_connection.execution_options(sqlite_begin="IMMEDIATE")
        await in_thread_to_the_end(connection.begin)

    def _begin_immediate_now(self) -> bool:
        """BEGIN IMMEDIATE with no busy timeout: True when it holds the write lock, False when busy.
        (SQLite may still retry a WAL read lock briefly while another process changes the log's
        state: microseconds, not the busy handler's sleeps.)"""
        driver = self.driver()
        (timeout_ms,) = driver_execute(driver, "PRAGMA busy_timeout").fetchone()
        driver_execute(driver, "PRAGMA busy_timeout=0")
        try:
            driver.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            busy = (
                isinstance(error, sqlite3.OperationalError)
                and error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
            )
            if not busy:  # (the primary code of an extended one)
                raise DBAPIError.instance("BEGIN IMMEDIATE", (), error, sqlite3.Error) from error
            return False
        finally:
            try:
                driver_execute(driver, f"PRAGMA busy_timeout={int(timeout_ms)}")
            except DBAPIError:
                self.sync_connection.invalidate()  # never back in the pool with no busy timeout
                raise
        return True

    async def commit(self, *, then_checkpoint: bool = False) -> CheckpointResult | None:
        """COMMIT, whose fsync runs in a worker thread. A transaction SQLite already rolled back is
        an error, never a silent success (sqlite3's commit() does nothing without a transaction).
        `then_checkpoint`: copy the WAL back right after, in the same thread (wal_checkpoint.py); its
        result, or None when it failed (the commit stands: a checkpoint is only housekeeping)."""
        if not self.transaction_open():
            raise RuntimeError("the SQLite transaction was rolled back by SQLite; nothing was committed")
        checkpointed: list[CheckpointResult] = []

        def commit() -> None:
            self.sync_connection.commit()
            if then_checkpoint:
                # Committed already: whatever the checkpoint raises must not fail the batch.
                with contextlib.suppress(Exception):
                    checkpointed.append(passive_checkpoint(self.driver()))

        await in_thread_to_the_end(commit)
        return checkpointed[0] if checkpointed else None

    async def rollback(self) -> None:
        self.sync_connection.rollback()

    async def close(self) -> None:
        self.sync_connection.close()


def holds_sqlite_write_lock(connection: object) -> bool:
    """Whether `connection` is in a SQLite write transaction: one that took the database's one write
    lock at its BEGIN IMMEDIATE, so what it reads changes only by its own writes until it ends."""
    if not isinstance(connection, LoopConnection) or connection.for_reads:
        return False
    return connection.transaction_open()


class _ReadConnections:
    """Open read connections of one loop engine, reused as they are. Checking a connection out of
    SQLAlchemy's pool and closing it again costs about 30 us, more than a point read (GetBalance reads
    twice a call: the caller's credentials, then the balance). Only the loop thread uses them.

    Each use is one read transaction (BEGIN DEFERRED: its snapshot starts at its first read), rolled
    back when the connection comes back, so every read of a use sees the same committed state and none
    sees an earlier use's."""

    def __init__(self, loop_engine: Engine, owner: Engine) -> None:
        self._loop_engine = loop_engine
        self._owner = weakref.ref(owner)
        self._idle: list[LoopConnection] = []
        self._closed = False

    def take(self) -> LoopConnection:
        if self._idle:
            connection = self._idle.pop()
            connection.restart_slice()
        else:
            owner = self._owner()
            assert owner is not None, "a read on an engine that was collected"
            connection = LoopConnection(self._loop_engine.connect(), owner, for_reads=True)
        # Straight to the driver: SQLAlchemy's begin and rollback cost ~25 us a use, a tenth of a
        # GetBalance. SQLAlchemy, not told, autobegins if a caller executes through it; its "begin"
        # event then finds this snapshot open and keeps it (storage/engine.py).
        connection.driver().execute("BEGIN DEFERRED")
        return connection

    def give_back(self, connection: LoopConnection) -> None:
        """End its transaction and keep it; close it if that fails, if the engine was disposed
        meanwhile, or if enough are kept already."""
        sync = connection.sync_connection
        try:
            if sync.in_transaction():
                sync.rollback()  # also resets any statement a caller left unfinished
            driver = connection.driver()
            if driver.in_transaction:  # nothing may keep an old snapshot
                driver.rollback()
        except Exception:
            sync.invalidate()
        if self._closed or sync.invalidated or len(self._idle) >= READ_CONNECTIONS_KEPT:
            sync.close()
            return
        self._idle.append(connection)

    def close_all(self) -> None:
        """The engine is disposed: close the kept ones now, those in use when they come back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(Exception):
                connection.sync_connection.close()


# By the AsyncEngine's sync engine, which the readers (and their connections) hold only weakly: a
# value that held its own key would keep the entry, and its open connections, for ever.
_readers: weakref.WeakKeyDictionary[Engine, _ReadConnections] = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads: on SQLite a `LoopConnection` (reads run on the loop thread, all in
    one snapshot, on a connection kept open for the next use), elsewhere a pooled `AsyncConnection`.
    Not for reads that may scan a large table (a filter without an index): one sqlite3 call holds the
    loop for all of its time; those go through `engine.connect()` (aiosqlite's thread).

    On PostgreSQL the reads run in autocommit: at READ COMMITTED, which the engine uses, every
    statement takes its own snapshot in a transaction too, so a BEGIN and a ROLLBACK around them
    would only cost two round trips (GetBalance reads twice a call: the caller's credentials, then
    the balance)."""
    loop_engine = loop_engine_of(engine)
    if loop_engine is None:
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection
        return
    readers = _readers[engine.sync_engine]
    connection = readers.take()
    try:
        # The domain code awaits only what LoopConnection offers: let it pass for an AsyncConnection.
        yield cast(AsyncConnection, connection)
    finally:
        readers.give_back(connection)
