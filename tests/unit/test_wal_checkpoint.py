"""When the writer copies SQLite's log back (storage/wal_checkpoint.py), with a fake checkpoint."""

from __future__ import annotations

import asyncio
import threading

from loyalty_server.storage.wal_checkpoint import Checkpointer, CheckpointResult


async def test_a_checkpoint_runs_once_every_n_commits() -> None:
    runs: list[int] = []
    checkpointer = Checkpointer(lambda: runs.append(1) or CheckpointResult(10, 10), commits_per_checkpoint=4)
    for _ in range(3):
        checkpointer.committed()
    await checkpointer.wait_idle()
    assert runs == []
    checkpointer.committed()
    await checkpointer.wait_idle()
    assert runs == [1]
    for _ in range(8):
        checkpointer.committed()
        await checkpointer.wait_idle()
    assert len(runs) == 3
    assert checkpointer.rounds == 3
    assert not checkpointer.finish_on_commit


async def test_checkpoints_never_overlap() -> None:
    release = threading.Event()
    runs: list[int] = []

    def slow() -> CheckpointResult:
        runs.append(1)
        release.wait(5)
        return CheckpointResult(1, 1)

    checkpointer = Checkpointer(slow, commits_per_checkpoint=1)
    for _ in range(20):  # one starts; the others find it running
        checkpointer.committed()
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    release.set()
    await checkpointer.wait_idle()
    assert runs == [1]


async def test_a_long_log_left_unfinished_is_finished_by_the_next_commit() -> None:
    checkpointer = Checkpointer(
        lambda: CheckpointResult(500, 300), commits_per_checkpoint=1, wal_frames_max=400
    )
    checkpointer.committed()
    await checkpointer.wait_idle()
    assert checkpointer.finish_on_commit
    checkpointer.finished_on_commit(CheckpointResult(520, 520))  # the commit finished the log
    assert not checkpointer.finish_on_commit


async def test_a_short_log_needs_no_commit_to_finish_it() -> None:
    checkpointer = Checkpointer(
        lambda: CheckpointResult(100, 40), commits_per_checkpoint=1, wal_frames_max=400
    )
    checkpointer.committed()
    await checkpointer.wait_idle()
    assert not checkpointer.finish_on_commit


async def test_a_long_log_reported_all_copied_is_still_finished_by_a_commit() -> None:
    """A background checkpoint reports the log as it was when it started, all copied; but writers
    went on meanwhile, and under load no write ever begins while the whole log is copied, so SQLite
    never starts it over. Only a checkpoint while no writer runs (under the turn) lets it."""
    checkpointer = Checkpointer(
        lambda: CheckpointResult(900, 900), commits_per_checkpoint=1, wal_frames_max=400
    )
    checkpointer.committed()
    await checkpointer.wait_idle()
    assert checkpointer.finish_on_commit


async def test_a_busy_checkpoint_tells_nothing() -> None:
    """SQLite answers busy (and -1, -1) when another checkpoint is running: no conclusion either way."""
    checkpointer = Checkpointer(
        lambda: CheckpointResult(0, 0, busy=True), commits_per_checkpoint=1, wal_frames_max=400
    )
    checkpointer.finish_on_commit = True
    checkpointer.committed()
    await checkpointer.wait_idle()
    assert checkpointer.finish_on_commit
    checkpointer.finished_on_commit(CheckpointResult(0, 0, busy=True))  # the commit's own was busy
    assert checkpointer.finish_on_commit
    checkpointer.finished_on_commit(CheckpointResult(9000, 9000))
    assert not checkpointer.finish_on_commit


async def test_a_failing_checkpoint_is_logged_and_the_next_one_still_runs() -> None:
    calls: list[int] = []

    def flaky() -> CheckpointResult:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk I/O error")
        return CheckpointResult(5, 5)

    checkpointer = Checkpointer(flaky, commits_per_checkpoint=1)
    checkpointer.committed()
    await checkpointer.wait_idle()
    checkpointer.committed()
    await checkpointer.wait_idle()
    assert len(calls) == 2
    assert checkpointer.rounds == 1
