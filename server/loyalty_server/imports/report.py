"""The refused-rows report: a CSV of line, id, reason, message — one row per refused input row.

Its length in bytes goes into every checkpoint. On resume the report is cut back to that length
before appending, so rows processed again after a crash are never reported twice.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import BinaryIO

HEADER = ("line", "id", "reason", "message")


def default_path(source: Path) -> Path:
    return source.with_name(source.name + ".refused.csv")


class RefusedReport:
    def __init__(self, path: Path, *, keep_bytes: int | None = None) -> None:
        """A new report (keep_bytes None), or the existing one cut back to keep_bytes to continue."""
        self.path = path
        self._file: BinaryIO
        if keep_bytes is None or not path.exists():
            self._file = path.open("wb")
            self.bytes = 0
            self._write(HEADER)
        else:
            self._file = path.open("r+b")
            self._file.truncate(min(keep_bytes, path.stat().st_size))
            self.bytes = self._file.seek(0, os.SEEK_END)

    def refuse(self, line: int, row_id: str, reason: str, message: str) -> None:
        self._write((str(line), row_id, reason, message))

    def sync(self) -> None:
        """Make what was written durable: called before a checkpoint names its length."""
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def _write(self, fields: tuple[str, ...]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(fields)
        encoded = buffer.getvalue().encode("utf-8")
        self._file.write(encoded)
        self.bytes += len(encoded)
