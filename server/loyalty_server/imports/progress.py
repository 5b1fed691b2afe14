"""Progress of an import on stderr: a bar redrawn in place on a terminal; elsewhere (a log file, a
pipe, CI) a plain line now and then, since carriage returns would only clutter a log.

Wall time here is only for the display (rows per second), never for anything the ledger records.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from loyalty_server.imports.checkpoint import Counts

BAR_WIDTH = 30
TTY_REDRAW_S = 0.2
LINE_EVERY_S = 10.0


class Progress:
    def __init__(
        self,
        stream: TextIO,
        total_bytes: int,
        *,
        rows_before: int = 0,
        is_tty: bool | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.total_bytes = max(total_bytes, 1)
        self.tty = stream.isatty() if is_tty is None else is_tty
        self.monotonic = monotonic
        self.started = monotonic()
        self._last_shown = self.started
        self._rows_before = rows_before  # read by an earlier, interrupted run: not in this run's rate

    def update(self, counts: Counts, offset: int) -> None:
        now = self.monotonic()
        if now - self._last_shown < (TTY_REDRAW_S if self.tty else LINE_EVERY_S):
            return
        self._last_shown = now
        self._show(counts, offset, final=False)

    def finish(self, counts: Counts, offset: int) -> None:
        self._show(counts, offset, final=True)

    def rows_per_s(self, counts: Counts) -> float:
        elapsed_s = max(self.monotonic() - self.started, 1e-6)
        return (counts.read - self._rows_before) / elapsed_s

    def _show(self, counts: Counts, offset: int, *, final: bool) -> None:
        fraction = min(offset / self.total_bytes, 1.0)
        text = (
            f"{fraction:6.1%}  {counts.read:,} rows ({counts.imported:,} imported, "
            f"{counts.skipped:,} skipped, {counts.refused:,} refused)  {self.rows_per_s(counts):,.0f} rows/s"
        )
        if self.tty:
            filled = round(fraction * BAR_WIDTH)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self.stream.write(f"\r[{bar}] {text}" + ("\n" if final else ""))
        else:
            self.stream.write(f"import: {text}\n")
        self.stream.flush()
