"""Group commit for SQLite: concurrent write transactions of this process share one commit.

SQLite has one writer at a time and a durable commit costs an fsync (about 2 ms here), so committing
each write alone caps the process at a few hundred writes a second, and writers queueing in SQLite's
busy handler are served in no order at all (a writer can starve past its busy timeout). Instead,
every write of the process goes through one `SqliteWriter`:

- writers take turns on an asyncio lock (first come, first served) and each runs in a SAVEPOINT of
  the batch's one open transaction, so a writer that fails rolls back only its own work;
- when a writer is done and others are already waiting, the transaction stays open for them;
  the last writer of a run (or the one that reaches `writes_per_commit_max`) commits for all;
- every writer returns only once the commit holding its work has succeeded, and its after-commit
  hooks run then: a caller never sees "done" for something a crash could still take back. If the
  commit fails, every writer of the batch gets the error and nothing of the batch was written.

`grouped_writes` lets one task keep the turn over several write transactions (a PostActivities
batch: each activity its own savepoint, applied whole or refused, one commit for the call).

PostgreSQL needs none of this (its commits already share WAL flushes, and its writers run in
parallel on row locks): there, both are pass-throughs.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

WRITES_PER_COMMIT_MAX = 64  # bounds the latency a writer can add to the first one of its batch
AfterCommitHook = Callable[[], None]


@dataclass(eq=False)
class Batch:
    """One open transaction and the writers whose work it holds."""

    connection: AsyncConnection
    writes: int = 0
    after_commit: list[AfterCommitHook] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None

    async def wait_committed(self) -> None:
        await self.done.wait()
        if self.error is not None:
            raise self.error


# The batch whose turn the current task holds, and (inside `grouped_writes`) the one it lets its
# write transactions join.
_holding: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("loyalty_holding_batch", default=None)
_joined: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("loyalty_joined_batch", default=None)


class NestedWriteError(RuntimeError):
    """A write transaction opened inside another on SQLite: it would wait for itself for ever."""


class SqliteWriter:
    """The one writer of a SQLite engine in this process (see the module's docstring)."""

    def __init__(
        self,
        open_connection: Callable[[], Awaitable[AsyncConnection]],
        *,
        writes_per_commit_max: int = WRITES_PER_COMMIT_MAX,
    ) -> None:
        assert writes_per_commit_max >= 1
        self._open_connection = open_connection
        self._writes_per_commit_max = writes_per_commit_max
        self._turn = asyncio.Lock()  # FIFO: writers are served in the order they asked
        self._waiting = 0  # writers queued for the turn right now
        self._batch: Batch | None = None
        self._rescues: set[asyncio.Task[None]] = set()

    def joined_batch(self) -> Batch | None:
        """The open batch when the current task holds the turn inside `grouped_writes`, else None."""
        batch = _joined.get()
        return batch if batch is not None and batch is self._batch else None

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[Batch]:
        """Hold the writer's turn; the batch's commit (by this writer or a later one) follows."""
        if _holding.get() is not None:
            raise NestedWriteError("a write transaction inside another one (SQLite has one writer)")
        await self._acquire()
        try:
            if self._batch is None:
                self._batch = Batch(await self._open_connection())
            batch = self._batch
            token = _holding.set(batch)
            try:
                yield batch
            finally:
                _holding.reset(token)
        finally:
            try:
                if self._batch is not None and (
                    self._waiting == 0 or self._batch.writes >= self._writes_per_commit_max
                ):
                    await self._commit(self._batch)
            finally:
                self._turn.release()
        await batch.wait_committed()

    async def _acquire(self) -> None:
        self._waiting += 1
        try:
            await self._turn.acquire()
        except asyncio.CancelledError:
            self._waiting -= 1
            self._rescue()
            raise
        self._waiting -= 1

    def _rescue(self) -> None:
        """A writer gave up waiting; it may have been the one the open batch was left for."""
        if self._batch is None or self._turn.locked() or self._waiting > 0:
            return

        async def commit_orphan() -> None:
            async with self._turn:
                if self._batch is not None:
                    await self._commit(self._batch)

        task = asyncio.get_running_loop().create_task(commit_orphan())
        self._rescues.add(task)
        task.add_done_callback(self._rescues.discard)

    async def _commit(self, batch: Batch) -> None:
        assert batch is self._batch
        self._batch = None
        connection = batch.connection
        try:
            await connection.commit()
        except BaseException as exc:  # the whole batch is lost: every writer in it must hear so
            batch.error = exc
            with contextlib.suppress(Exception):
                await connection.rollback()
        finally:
            with contextlib.suppress(Exception):
                await connection.close()
            batch.done.set()
        if batch.error is None:
            for hook in batch.after_commit:
                hook()


_writers: weakref.WeakKeyDictionary[object, SqliteWriter] = weakref.WeakKeyDictionary()


def sqlite_writer(engine: AsyncEngine) -> SqliteWriter:
    """The writer of this engine, made on first use (one per engine, bound to its event loop)."""
    writer = _writers.get(engine.sync_engine)
    if writer is None:

        async def open_connection() -> AsyncConnection:
            connection = await engine.connect()
            try:
                await connection.execution_options(sqlite_begin="IMMEDIATE")
                await connection.begin()
                await connection.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE runs with the first statement
            except BaseException:
                await connection.close()
                raise
            return connection

        writer = _writers[engine.sync_engine] = SqliteWriter(open_connection)
    return writer


@contextlib.asynccontextmanager
async def grouped_writes(engine: AsyncEngine) -> AsyncIterator[None]:
    """Every write transaction this task opens inside the block joins one batch: each keeps its own
    savepoint (applied whole or not at all), and one commit covers them all at the end. Concurrent
    writers wait for the block to end. A no-op on PostgreSQL and inside another `grouped_writes`."""
    if engine.dialect.name != "sqlite" or _joined.get() is not None:
        yield
        return
    async with sqlite_writer(engine).turn() as batch:
        token = _joined.set(batch)
        try:
            yield
        finally:
            _joined.reset(token)
