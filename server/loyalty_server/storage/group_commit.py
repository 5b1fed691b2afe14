"""Group commit for SQLite: concurrent write transactions of this process share one commit.

SQLite has one writer at a time and a durable commit costs an fsync (about 2 ms here), so committing
each write alone caps the process at a few hundred writes a second, and writers queueing in SQLite's
busy handler are served in no order at all (a writer can starve past its busy timeout). Instead,
every write of the process goes through one `SqliteWriter`:

- writers take turns on an asyncio lock (first come, first served) and each runs in a SAVEPOINT of
  the batch's one open transaction, so a writer that fails rolls back only its own work;
- when a writer is done and others are already waiting, the transaction stays open for them;
  the last writer of a run commits for all, or the first to find the batch at `writes_per_commit_max`
  writes or open for `batch_open_ms_max` (see below);
- every writer returns only once the commit holding its work has succeeded, and its after-commit
  hooks run then: a caller never sees "done" for something a crash could still take back. If the
  commit fails, every writer of the batch gets the error and nothing of the batch was written.

After its commits the writer copies the WAL back into the database file in a worker thread, not
inside a COMMIT as SQLite would (`storage/wal_checkpoint.py`).

`grouped_writes` lets one task keep the turn over several write transactions (a PostActivities
batch: each activity its own savepoint, applied whole or refused, one commit for the call).

PostgreSQL needs none of this (its commits already share WAL flushes, and its writers run in
parallel on row locks): there, both are pass-throughs.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.storage.sqlite_loop import LoopConnection, loop_engine_of, wait_out
from loyalty_server.storage.wal_checkpoint import Checkpointer, CheckpointResult, passive_checkpoint

logger = logging.getLogger("loyalty.storage")
# Every writer of a batch waits for the batch's commit, so the first one waits for all the others: a
# batch commits once it holds this many writes, or once it has been open this long, even with more
# writers waiting. Under a steady load (x1 posts at half the saturation rate) a batch used to stay
# open as long as writers kept coming, up to 64 of them (~70 ms of writes), and set the p99. Both are
# checked as a writer's turn ends: one writer (a `grouped_writes` block) keeps the batch open as long
# as it holds the turn. A shorter bound costs throughput: each commit's fsync is shared by fewer.
WRITES_PER_COMMIT_MAX = 64
BATCH_OPEN_MS_MAX = 10.0
AfterCommitHook = Callable[[], None]


@dataclass(eq=False)
class Batch:
    """One open transaction and the writers whose work it holds."""

    connection: LoopConnection
    opened_s: float = field(default_factory=time.perf_counter)  # made once BEGIN IMMEDIATE holds the lock
    writes: int = 0
    after_commit: list[AfterCommitHook] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None
    # Set when SQLite rolled the whole transaction back (full disk, I/O error): the writers before
    # lost their work, so the batch must fail as a whole and take no more writers.
    broken: BaseException | None = None

    async def wait_committed(self) -> None:
        await self.done.wait()
        if self.error is not None:
            raise self.error


# The batch whose turn the current task holds, and (inside `grouped_writes`) the one it lets its
# write transactions join.
_holding: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("loyalty_holding_batch", default=None)
_joined: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("loyalty_joined_batch", default=None)


class BatchBrokenError(RuntimeError):
    """SQLite rolled the batch's whole transaction back; this write was not attempted."""


class NestedWriteError(RuntimeError):
    """A write transaction opened inside another on SQLite: it would wait for itself for ever."""


class SqliteWriter:
    """The one writer of a SQLite engine in this process (see the module's docstring)."""

    def __init__(
        self,
        open_connection: Callable[[], Awaitable[LoopConnection]],
        *,
        writes_per_commit_max: int = WRITES_PER_COMMIT_MAX,
        batch_open_ms_max: float = BATCH_OPEN_MS_MAX,
        checkpointer: Checkpointer | None = None,
    ) -> None:
        assert writes_per_commit_max >= 1
        assert batch_open_ms_max >= 0
        self._open_connection = open_connection
        self.checkpointer = checkpointer  # copies the WAL back off the commit path (wal_checkpoint.py)
        self._writes_per_commit_max = writes_per_commit_max
        self._batch_open_s_max = batch_open_ms_max / 1000
        self._turn = asyncio.Lock()  # FIFO: writers are served in the order they asked
        self._waiting = 0  # writers queued for the turn right now
        self._batch: Batch | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # commits and rescues under way

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
            closing = self._batch
            if closing is not None and (self._waiting == 0 or self._must_commit(closing)):
                self._start_commit()  # it passes the turn on once the commit is done
                # Even a writer that failed waits: nothing it started is still running when it returns.
                await closing.done.wait()
            else:
                self._turn.release()  # the batch stays open for the next writer
        await batch.wait_committed()

    def _must_commit(self, batch: Batch) -> bool:
        """Whether the batch commits now, even with writers waiting (see BATCH_OPEN_MS_MAX)."""
        if batch.writes >= self._writes_per_commit_max:
            return True
        return time.perf_counter() - batch.opened_s >= self._batch_open_s_max

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
            await self._turn.acquire()
            if self._batch is not None:
                self._start_commit()
            else:
                self._turn.release()

        self._keep(asyncio.get_running_loop().create_task(commit_orphan()))

    def _start_commit(self) -> None:
        """Commit the open batch in a task of its own, holding the turn until it is done: the writer
        that starts it may be cancelled while it waits, the commit must not be."""
        batch, self._batch = self._batch, None
        assert batch is not None
        self._keep(asyncio.get_running_loop().create_task(self._commit(batch)))

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _commit(self, batch: Batch) -> None:
        connection = batch.connection
        checkpoints = self.checkpointer
        finish_log = bool(batch.writes and checkpoints is not None and checkpoints.finish_on_commit)
        # Every writer of the batch failed: nothing to keep, no fsync to pay.
        ending = asyncio.ensure_future(
            connection.commit(then_checkpoint=finish_log) if batch.writes else connection.rollback()
        )
        try:
            # Cancelled (the loop is closing), the COMMIT runs on in its thread, and nothing may touch
            # the connection before it is over; its outcome is the batch's all the same.
            cancelled = await wait_out(ending)
            self._settle(batch, ending)
            if cancelled:
                raise asyncio.CancelledError
            if batch.writes and batch.error is None and checkpoints is not None:
                result = ending.result()
                if result is not None:
                    checkpoints.finished_on_commit(result)
                checkpoints.committed()
        finally:
            self._turn.release()
            batch.done.set()

    def _settle(self, batch: Batch, ending: asyncio.Future[CheckpointResult | None]) -> None:
        """After the COMMIT (or rollback) ended: record its outcome, close, run the hooks."""
        if batch.broken is not None:  # SQLite rolled the whole transaction back under a writer
            batch.error = batch.broken
        elif ending.cancelled():  # the loop is closing and cancelled every task, this one too
            batch.error = asyncio.CancelledError()
        elif ending.exception() is not None:  # the whole batch is lost: every writer in it must hear so
            batch.error = ending.exception()
        sync = batch.connection.sync_connection
        with contextlib.suppress(Exception):
            if batch.error is not None:
                sync.rollback()
            sync.close()
        if batch.error is None:
            for hook in batch.after_commit:
                run_after_commit_hook(hook)


def run_after_commit_hook(hook: AfterCommitHook) -> None:
    """An after-commit hook must not stop the others, nor the writers' answers: the work is committed."""
    try:
        hook()
    except Exception:
        logger.exception("an after-commit hook failed")


_writers: weakref.WeakKeyDictionary[object, SqliteWriter] = weakref.WeakKeyDictionary()


def sqlite_writer(engine: AsyncEngine) -> SqliteWriter:
    """The writer of this engine, made on first use (one per engine, bound to its event loop)."""
    writer = _writers.get(engine.sync_engine)
    if writer is None:
        loop_engine = loop_engine_of(engine)
        assert loop_engine is not None, "a SQLite engine made by storage.engine.create_engine"

        async def open_connection() -> LoopConnection:
            connection = LoopConnection(loop_engine.connect(), engine.sync_engine)
            try:
                await connection.begin_immediate()
            except BaseException:
                await connection.close()
                raise
            return connection

        def checkpoint() -> CheckpointResult:  # in a worker thread, on a connection of its own
            with loop_engine.connect() as connection:
                driver = connection.connection.driver_connection
                assert driver is not None
                return passive_checkpoint(driver)

        writer = _writers[engine.sync_engine] = SqliteWriter(
            open_connection, checkpointer=Checkpointer(checkpoint)
        )
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
