"""Copying SQLite's write-ahead log back into the database file, off the commit path.

By default SQLite checkpoints inside the COMMIT that takes the WAL past 1,000 pages: that commit
copies the pages and fsyncs the database file, tens of milliseconds, while the process's one writer
holds its turn, so every write queued behind it waits as well. Measured with the bench (x1 posts at
half load): p99 204 ms with SQLite's own checkpoints, 18 ms without any.

So the engine's loop connections turn them off (`wal_autocheckpoint=0`, sqlite_loop.py) and the
writer calls `Checkpointer.committed()` after each commit. Every `commits_per_checkpoint` commits
a PASSIVE checkpoint runs on a connection of its own in a worker thread, while the writer goes on
committing (PASSIVE never waits for readers or writers: it copies what it can). At most one runs at
a time.

SQLite starts the log over only when a write transaction begins while the whole log has been copied.
Under a steady load the next BEGIN always comes while a background checkpoint is still copying, so the
log would grow for ever, even though each checkpoint reports "all copied" (of the log as it was when
it started). So once a checkpoint reports a log of `wal_frames_max` frames or more, the next commit
checkpoints right after its COMMIT, still holding the turn, as SQLite would have: with the bulk copied
already it is short, and with no writer of this process running, the next write starts the log over.
A checkpoint that finds another one running (SQLite says busy) tells nothing: the flag stays as it was.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from loyalty_server.logs import log_event

logger = logging.getLogger("loyalty.storage")
COMMITS_PER_CHECKPOINT = 64
WAL_FRAMES_MAX = 8192  # 32 MB of 4 KB pages: past this, a commit finishes the log itself


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    log_frames: int  # frames in the WAL when the checkpoint started
    copied_frames: int  # of those, copied into the database file
    busy: bool = False  # another checkpoint was running: nothing was done, the figures mean nothing


def passive_checkpoint(driver: sqlite3.Connection) -> CheckpointResult:
    """PRAGMA wal_checkpoint(PASSIVE) on this connection (outside any transaction)."""
    row = driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert row is not None
    busy, log_frames, copied_frames = row
    # -1 and -1: busy, or not in WAL mode (a database in memory, for instance).
    return CheckpointResult(max(log_frames, 0), max(copied_frames, 0), busy=bool(busy))


class Checkpointer:
    """Decides when the log is copied back; `run` does it in a worker thread, on its own connection."""

    def __init__(
        self,
        run: Callable[[], CheckpointResult],
        *,
        commits_per_checkpoint: int = COMMITS_PER_CHECKPOINT,
        wal_frames_max: int = WAL_FRAMES_MAX,
    ) -> None:
        assert commits_per_checkpoint >= 1
        assert wal_frames_max >= 1
        self._run = run
        self._commits_per_checkpoint = commits_per_checkpoint
        self._wal_frames_max = wal_frames_max
        self._commits = 0  # since the last checkpoint started
        self._running: asyncio.Task[None] | None = None
        self.finish_on_commit = False  # the next commit checkpoints under the turn (see the module)
        self.rounds = 0  # background checkpoints done (for tests and curiosity)

    def committed(self) -> None:
        """A commit succeeded: start a background checkpoint if one is due and none is running."""
        self._commits += 1
        if self._commits < self._commits_per_checkpoint:
            return
        if self._running is not None and not self._running.done():
            return
        self._commits = 0
        self._running = asyncio.get_running_loop().create_task(self._checkpoint(), name="wal-checkpoint")

    async def wait_idle(self) -> None:
        """Until the checkpoint under way, if any, has ended (a failure is logged, never raised)."""
        if self._running is not None:
            await asyncio.shield(self._running)

    def finished_on_commit(self, result: CheckpointResult) -> None:
        """A commit checkpointed under the turn (finish_on_commit was set). Done when it copied the
        whole log: no writer of this process ran meanwhile, so the next write starts the log over.
        Not done (a reader's snapshot held frames back, or another checkpoint was busy): next commit."""
        if not result.busy:
            self.finish_on_commit = result.copied_frames < result.log_frames

    async def _checkpoint(self) -> None:
        try:
            result = await asyncio.to_thread(self._run)
        except Exception as exc:  # the log stays longer until the next round copies it
            log_event(logger, "WAL checkpoint failed", logging.WARNING, error=type(exc).__name__)
            return
        self.rounds += 1
        if not result.busy and result.log_frames >= self._wal_frames_max:
            self.finish_on_commit = True
