"""The import loop: read a row, apply it, count it, report it if refused, checkpoint now and then.

Constant memory: one row at a time, each applied in its own write transaction. Counts, position
and report length change together, between two awaits, so whenever the loop is interrupted (a
crash, Ctrl-C, a database error) the checkpoint it leaves describes exactly the rows done.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from sqlalchemy.exc import DataError, IntegrityError

from loyalty_server.imports import checkpoint
from loyalty_server.imports.checkpoint import Checkpoint, Counts
from loyalty_server.imports.fields import Columns, Outcome, Refused
from loyalty_server.imports.progress import Progress
from loyalty_server.imports.reader import Position, ReadError, Row, RowFile
from loyalty_server.imports.report import RefusedReport

CHECKPOINT_EVERY_ROWS = 500


class Importer(Protocol):
    kind: str
    columns: Columns

    def row_id(self, values: Mapping[str, Any]) -> str: ...

    async def apply(self, values: Mapping[str, Any]) -> Outcome: ...


@dataclass(frozen=True, slots=True)
class ImportJob:
    source: Path
    file_format: str  # csv | jsonl
    tenant: str  # the tenant code: part of the checkpoint's identity
    report: Path
    state: Path  # the checkpoint file
    resume: bool = True  # False: ignore a checkpoint and start at the first row


@dataclass(frozen=True, slots=True)
class ImportResult:
    counts: Counts
    resumed_at_line: int | None  # the line a resumed import continued after
    rows_per_s: float


@dataclass(slots=True)
class _State:
    """What has been done so far; becomes the checkpoint."""

    start: Checkpoint
    counts: Counts
    position: Position

    def checkpoint(self, report_bytes: int) -> Checkpoint:
        return Checkpoint(
            kind=self.start.kind,
            source=self.start.source,
            file_format=self.start.file_format,
            tenant=self.start.tenant,
            position=self.position,
            report_bytes=report_bytes,
            counts=dataclasses.replace(self.counts),
        )


async def run_import(
    job: ImportJob,
    importer: Importer,
    *,
    progress_stream: TextIO = sys.stderr,
    is_tty: bool | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> ImportResult:
    """Import the file; ReadError when it cannot be read at all or its header is wrong."""
    with RowFile(job.source, job.file_format) as rows_file:
        if rows_file.columns is not None:
            importer.columns.check_header(rows_file.columns, str(job.source))
        start, resumed = _starting_point(job, importer.kind, rows_file.size_bytes)
        state = _State(start, dataclasses.replace(start.counts), start.position)
        report = RefusedReport(job.report, keep_bytes=start.report_bytes if resumed else None)
        progress = Progress(
            progress_stream,
            rows_file.size_bytes,
            rows_before=start.counts.read,
            is_tty=is_tty,
            monotonic=monotonic,
        )
        try:
            await _import_rows(rows_file.rows(start.position), importer, state, report, progress, job)
        except BaseException:
            _save(job, state, report)  # whatever stopped us: resume after the last row done
            report.close()
            raise
        report.sync()
        report.close()
        checkpoint.remove(job.state)  # done: a new run starts over (and finds only replays)
        progress.finish(state.counts, rows_file.size_bytes)
        assert state.counts.balanced, state.counts
        resumed_at = start.position.line if resumed else None
        return ImportResult(state.counts, resumed_at, progress.rows_per_s(state.counts))


def _starting_point(job: ImportJob, kind: str, size_bytes: int) -> tuple[Checkpoint, bool]:
    fresh = Checkpoint(
        kind=kind,
        source=str(job.source.resolve()),
        file_format=job.file_format,
        tenant=job.tenant,
        position=Position(),
        report_bytes=0,
    )
    saved = checkpoint.load(job.state) if job.resume else None
    if saved is None:
        return fresh, False
    if not saved.matches(fresh):
        raise ReadError(
            f"checkpoint {job.state} is of another import ({saved.kind} of {saved.source} as "
            f"{saved.file_format} into tenant {saved.tenant}); use --restart or another --report"
        )
    if saved.position.offset > size_bytes:
        raise ReadError(f"{job.source} is shorter than checkpoint {job.state} says; use --restart")
    return saved, True


async def _import_rows(
    rows: Iterator[Row],
    importer: Importer,
    state: _State,
    report: RefusedReport,
    progress: Progress,
    job: ImportJob,
) -> None:
    for row in rows:
        outcome, refusal = await _apply(row, importer)
        # From here to the end of the iteration nothing awaits: counts, report and position move together.
        if refusal is not None:
            report.refuse(row.line, importer.row_id(row.values), refusal.reason, refusal.message)
            state.counts.refused += 1
        elif outcome is Outcome.IMPORTED:
            state.counts.imported += 1
        else:
            state.counts.skipped += 1
        state.counts.read += 1
        state.position = row.end
        if state.counts.read % CHECKPOINT_EVERY_ROWS == 0:
            _save(job, state, report)
        progress.update(state.counts, row.end.offset)


async def _apply(row: Row, importer: Importer) -> tuple[Outcome | None, Refused | None]:
    if row.problem is not None:
        return None, Refused(row.problem.reason, row.problem.message)
    try:
        importer.columns.check_keys(row.values)  # JSON Lines rows name their own keys
        return await importer.apply(row.values), None
    except Refused as refusal:
        return None, refusal
    except (DataError, IntegrityError) as error:  # a value the database itself refuses: this row only
        reason = str(error.orig or error).splitlines()[0]
        return None, Refused("DATABASE_REFUSED", reason)


def _save(job: ImportJob, state: _State, report: RefusedReport) -> None:
    report.sync()  # the report first: the checkpoint must never name bytes that are not on disk
    checkpoint.save(job.state, state.checkpoint(report.bytes))
