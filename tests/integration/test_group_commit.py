"""Group commit on SQLite (storage/group_commit.py): concurrent writers share commits, each keeps its
own savepoint, and nobody hears "done" before the commit holding their work has succeeded."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.storage import sqlite_loop
from loyalty_server.storage.engine import after_commit, create_engine, write_transaction
from loyalty_server.storage.group_commit import NestedWriteError, grouped_writes, sqlite_writer
from loyalty_server.storage.sqlite_loop import loop_engine_of
from loyalty_server.storage.wal_checkpoint import CheckpointResult

WAIT_S = 5.0


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'group.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, owner TEXT)"))
        await connection.execute(
            text("CREATE TABLE child (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES item(id))")
        )
    # Batches that stay open while writers wait, however slow this machine is today: the tests here
    # are about sharing and failing; the one about the time bound sets its own.
    sqlite_writer(engine)._batch_open_s_max = 60.0
    yield engine
    await engine.dispose()


def count_commits(engine: AsyncEngine) -> list[int]:
    commits = [0]

    @event.listens_for(loop_engine_of(engine), "commit")  # writes run on the loop engine
    def _counted(_connection: object) -> None:
        commits[0] += 1

    return commits


async def insert(engine: AsyncEngine, item_id: int, *, fail: bool = False) -> None:
    async with write_transaction(engine) as connection:
        await connection.execute(text("INSERT INTO item (id, owner) VALUES (:id, 'w')"), {"id": item_id})
        await asyncio.sleep(0)  # let the other writers queue up behind this one
        if fail:
            raise ValueError("this writer fails")


async def held_insert(engine: AsyncEngine, item_id: int, release: asyncio.Event) -> None:
    """A writer that inserts, then keeps the writer's turn until `release` is set."""
    async with write_transaction(engine) as connection:
        await connection.execute(text("INSERT INTO item (id, owner) VALUES (:id, 'held')"), {"id": item_id})
        await release.wait()


async def stored_ids(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as connection:
        return list((await connection.execute(text("SELECT id FROM item ORDER BY id"))).scalars())


async def test_concurrent_writers_share_commits(engine: AsyncEngine) -> None:
    commits = count_commits(engine)
    await asyncio.gather(*(insert(engine, n) for n in range(1, 101)))
    assert await stored_ids(engine) == list(range(1, 101))
    assert 2 <= commits[0] <= 20, f"100 concurrent writers took {commits[0]} commits"


async def test_a_batch_never_exceeds_its_writes_max(engine: AsyncEngine) -> None:
    commits = count_commits(engine)
    writer = sqlite_writer(engine)
    writer._writes_per_commit_max = 10
    await asyncio.gather(*(insert(engine, n) for n in range(1, 101)))
    assert commits[0] >= 10


async def test_a_batch_open_past_its_time_bound_commits_with_writers_waiting(engine: AsyncEngine) -> None:
    """Bounded by time, not only by count: a batch open past the bound takes no more writers."""
    commits = count_commits(engine)
    writer = sqlite_writer(engine)
    writer._batch_open_s_max = 0.0  # every batch is past it once its first writer is done
    await asyncio.gather(*(insert(engine, n) for n in range(1, 41)))
    assert await stored_ids(engine) == list(range(1, 41))
    assert commits[0] == 40
    writer._batch_open_s_max = 0.05  # the first writer holds the turn past it, the others come within it
    release = asyncio.Event()
    first = asyncio.create_task(held_insert(engine, 41, release))
    await asyncio.sleep(0.01)
    others = [asyncio.create_task(insert(engine, n)) for n in range(42, 52)]
    await asyncio.sleep(0.1)  # all ten queued, the batch now open past its bound
    release.set()
    await asyncio.wait_for(asyncio.gather(first, *others), WAIT_S)
    # The slow writer commits alone; the ten queued behind it share the next batch.
    assert commits[0] == 40 + 2


async def test_a_failing_writer_loses_only_its_own_work(engine: AsyncEngine) -> None:
    results = await asyncio.gather(
        *(insert(engine, n, fail=n % 3 == 0) for n in range(1, 31)), return_exceptions=True
    )
    failed = [n for n, result in zip(range(1, 31), results, strict=True) if isinstance(result, ValueError)]
    assert failed == list(range(3, 31, 3))
    assert await stored_ids(engine) == [n for n in range(1, 31) if n % 3]


async def test_a_failed_commit_fails_every_writer_of_its_batch(engine: AsyncEngine) -> None:
    """A deferred foreign key is checked at COMMIT: the commit fails, and with it the whole batch."""

    async def orphan_child() -> None:
        async with write_transaction(engine) as connection:
            await connection.execute(text("PRAGMA defer_foreign_keys = ON"))
            await connection.execute(text("INSERT INTO child (id, item_id) VALUES (1, 999)"))
            await asyncio.sleep(0)

    results = await asyncio.gather(
        insert(engine, 1), orphan_child(), insert(engine, 2), return_exceptions=True
    )
    assert all(isinstance(result, Exception) for result in results), results
    assert await stored_ids(engine) == []
    await insert(engine, 3)  # the writer carries on with a fresh transaction
    assert await stored_ids(engine) == [3]


async def test_done_means_committed(engine: AsyncEngine) -> None:
    """When write_transaction returns, another connection sees the work and after-commit ran."""
    seen: list[int] = []

    async def write_then_read(item_id: int) -> None:
        async with write_transaction(engine) as connection:
            await connection.execute(text("INSERT INTO item (id, owner) VALUES (:id, 'w')"), {"id": item_id})
            after_commit(connection, "mark", lambda: seen.append(item_id))
        assert item_id in seen
        assert item_id in await stored_ids(engine)

    await asyncio.gather(*(write_then_read(n) for n in range(1, 21)))
    assert sorted(seen) == list(range(1, 21))


async def test_a_nested_write_transaction_fails_instead_of_waiting_for_itself(engine: AsyncEngine) -> None:
    with pytest.raises(NestedWriteError):
        async with write_transaction(engine), write_transaction(engine):
            pass
    await insert(engine, 1)
    assert await stored_ids(engine) == [1]


async def test_grouped_writes_commit_once_and_keep_each_savepoint(engine: AsyncEngine) -> None:
    commits = count_commits(engine)
    async with grouped_writes(engine):
        for n in range(1, 11):
            with contextlib.suppress(ValueError):
                await insert(engine, n, fail=n == 5)
    assert commits[0] == 1
    assert await stored_ids(engine) == [n for n in range(1, 11) if n != 5]


async def test_a_waiter_that_gives_up_does_not_strand_the_batch(engine: AsyncEngine) -> None:
    """The first writer leaves the batch open for a waiter; the waiter is cancelled just as its turn
    comes: the batch is still committed and the first writer returns."""
    release = asyncio.Event()
    writer = sqlite_writer(engine)
    first = asyncio.create_task(held_insert(engine, 1, release))
    await asyncio.sleep(0.05)
    waiter = asyncio.create_task(insert(engine, 2))
    await asyncio.sleep(0.05)  # the waiter is queued for the turn
    hand_over = writer._turn.release

    def hand_over_then_give_up() -> None:
        hand_over()  # the first writer left the batch open and passes the turn on...
        waiter.cancel()  # ...to a waiter that gives up before it runs

    writer._turn.release = hand_over_then_give_up  # type: ignore[method-assign]
    release.set()
    await asyncio.wait_for(first, WAIT_S)
    assert waiter.cancelled()
    assert await stored_ids(engine) == [1]


async def test_when_sqlite_rolls_the_whole_batch_back_no_writer_of_it_hears_success(
    engine: AsyncEngine,
) -> None:
    """On a full disk or an I/O error SQLite may roll the whole transaction back under a writer: the
    writers before it lost their work too, so they must fail, and no later writer may join."""
    release = asyncio.Event()

    async def breaking() -> None:
        async with write_transaction(engine) as connection:
            await connection.execute(text("INSERT INTO item (id, owner) VALUES (2, 'breaking')"))
            dbapi = connection.sync_connection.connection.dbapi_connection  # type: ignore[attr-defined]
            dbapi.execute("ROLLBACK")  # what SQLite does by itself on SQLITE_FULL or SQLITE_IOERR
            raise OSError("disk full")

    tasks = [asyncio.create_task(held_insert(engine, 1, release))]
    await asyncio.sleep(0.05)
    tasks += [asyncio.create_task(breaking()), asyncio.create_task(insert(engine, 3))]
    await asyncio.sleep(0.05)  # both queued behind the first writer
    release.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), WAIT_S)
    assert all(isinstance(result, Exception) for result in results), results
    assert await stored_ids(engine) == []
    await insert(engine, 4)  # a fresh batch works
    assert await stored_ids(engine) == [4]


async def test_a_write_inside_a_write_of_a_grouped_run_is_refused(engine: AsyncEngine) -> None:
    async with grouped_writes(engine):
        with pytest.raises(NestedWriteError):
            async with write_transaction(engine), write_transaction(engine):
                pass
        await insert(engine, 1)
    assert await stored_ids(engine) == [1]


async def test_savepoints_in_a_write_undo_only_their_own_work(engine: AsyncEngine) -> None:
    """LoopConnection's savepoints (straight on the driver): the innermost is known by identity, a
    failing one undoes its statements only, and a constraint error is still SQLAlchemy's."""
    async with write_transaction(engine) as connection:
        outer = connection.get_nested_transaction()
        assert outer is not None  # the writer's own savepoint
        await connection.execute(text("INSERT INTO item (id, owner) VALUES (1, 'w')"))
        inners = []

        async def undone_insert() -> None:
            async with connection.begin_nested() as inner:
                inners.append(inner)
                assert connection.get_nested_transaction() is inner
                await connection.execute(text("INSERT INTO item (id, owner) VALUES (2, 'w')"))
                raise ValueError("undo")

        with pytest.raises(ValueError, match="undo"):
            await undone_insert()
        assert inners[0] is not outer
        assert connection.get_nested_transaction() is outer
        with pytest.raises(IntegrityError):
            async with connection.begin_nested():
                await connection.execute(text("INSERT INTO item (id, owner) VALUES (1, 'again')"))
        async with connection.begin_nested():
            await connection.execute(text("INSERT INTO item (id, owner) VALUES (3, 'w')"))
    assert await stored_ids(engine) == [1, 3]


# --- the WAL is copied back off the commit path (storage/wal_checkpoint.py) ----------------------


async def test_commits_never_checkpoint_and_the_writer_does_it_in_the_background(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    loop_engine = loop_engine_of(engine)
    assert loop_engine is not None
    with loop_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    checkpointer = sqlite_writer(engine).checkpointer
    assert checkpointer is not None
    checkpointer._commits_per_checkpoint = 10
    for n in range(1, 26):  # one at a time: 25 commits
        await insert(engine, n)
    await checkpointer.wait_idle()
    assert checkpointer.rounds == 2
    assert await stored_ids(engine) == list(range(1, 26))


async def test_a_log_too_long_is_finished_by_a_commit_so_it_starts_over(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Background checkpoints that never finish the log (here: they copy nothing): a commit then
    finishes it under the turn, so the log starts over and its file stays small. Without that, the
    file would hold every commit of the test (no checkpoint at all)."""
    checkpointer = sqlite_writer(engine).checkpointer
    assert checkpointer is not None
    checkpointer._commits_per_checkpoint = 5
    checkpointer._wal_frames_max = 8
    checkpointer._run = lambda: CheckpointResult(log_frames=100, copied_frames=0)
    finished: list[CheckpointResult] = []
    finish = checkpointer.finished_on_commit

    def record(result: CheckpointResult) -> None:
        finished.append(result)
        finish(result)

    checkpointer.finished_on_commit = record  # type: ignore[method-assign]
    rows = 400
    for start in range(1, rows + 1, 4):  # concurrent writers: a few share each commit
        await asyncio.gather(*(insert(engine, n) for n in range(start, start + 4)))
    await checkpointer.wait_idle()
    assert await stored_ids(engine) == list(range(1, rows + 1))
    assert finished, "no commit finished the log"
    assert all(result.copied_frames == result.log_frames for result in finished)
    wal_bytes = (tmp_path / "group.db-wal").stat().st_size
    # 100 commits of a few 4 KB pages each: 300+ frames in a log never started over.
    assert wal_bytes < 100 * 4096, wal_bytes


async def test_under_steady_writes_with_real_checkpoints_the_log_stays_bounded(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Background checkpoints run while writers go on, so each reports the log (as it was when it
    started) all copied, yet no write ever begins with the whole log copied: without a commit that
    finishes it under the turn, the log would hold every commit of the test."""
    checkpointer = sqlite_writer(engine).checkpointer
    assert checkpointer is not None
    checkpointer._commits_per_checkpoint = 4
    checkpointer._wal_frames_max = 32
    rows = 800
    for start in range(1, rows + 1, 4):  # concurrent writers, commit after commit
        await asyncio.gather(*(insert(engine, n) for n in range(start, start + 4)))
    await checkpointer.wait_idle()
    assert await stored_ids(engine) == list(range(1, rows + 1))
    assert checkpointer.rounds > 0
    wal_bytes = (tmp_path / "group.db-wal").stat().st_size
    assert wal_bytes < 200 * 4096, wal_bytes


def record_thread_work(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of what the loop connections hand to a worker thread (BEGIN's `begin`, `commit`)."""
    names: list[str] = []
    handed = sqlite_loop.in_thread_to_the_end

    async def recorded(work: Callable[[], object]) -> None:
        names.append(getattr(work, "__name__", repr(work)))
        await handed(work)

    monkeypatch.setattr(sqlite_loop, "in_thread_to_the_end", recorded)
    return names


async def test_a_free_write_lock_is_taken_on_the_loop(engine: AsyncEngine, monkeypatch) -> None:
    thread_work = record_thread_work(monkeypatch)
    await insert(engine, 1)
    assert thread_work == ["commit"]  # the fsync only
    assert await stored_ids(engine) == [1]


async def test_a_lock_another_process_holds_is_waited_for_in_a_thread(
    engine: AsyncEngine, tmp_path: Path, monkeypatch
) -> None:
    """Meanwhile the loop goes on, and the busy timeout the first try set aside is back after it."""
    thread_work = record_thread_work(monkeypatch)
    other = sqlite3.connect(tmp_path / "group.db", isolation_level=None)  # as another process would
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO item (id, owner) VALUES (7, 'other')")
        writing = asyncio.create_task(insert(engine, 1))
        ticks = 0
        while ticks < 10:  # the loop is not blocked while the writer waits
            await asyncio.sleep(0.005)
            ticks += 1
        assert not writing.done()
        other.execute("COMMIT")
        await asyncio.wait_for(writing, WAIT_S)
    finally:
        other.close()
    assert thread_work == ["begin", "commit"]
    assert await stored_ids(engine) == [1, 7]
    async with write_transaction(engine) as connection:
        timeout_ms = (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one()
    assert timeout_ms == 5000  # create_engine's default
