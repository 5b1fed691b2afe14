"""Rows out of a CSV or JSON Lines file, streamed: one line in memory at a time, whatever the file's
size. Each row knows its line number and the byte offset just after it, so an import can record
where it stands and resume there. A line that cannot be read becomes a row with a problem (refused
by the import, which goes on); only an unreadable file or header is fatal (ReadError).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

FORMATS = ("csv", "jsonl")
LINE_BYTES_MAX = 64 * 1024  # a longer line is refused unread, never held in memory
_BOM = b"\xef\xbb\xbf"
_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


class ReadError(Exception):
    """The file as a whole cannot be imported (unreadable, no or bad header): said in one line."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where reading stands: the byte offset of the next unread line and the lines read before it."""

    offset: int = 0
    line: int = 0


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str  # UPPER_SNAKE_CASE, e.g. MALFORMED_LINE
    message: str


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # the row's first line, 1-based
    values: dict[str, Any]  # column -> value (CSV: str; JSON: as parsed); empty when problem is set
    problem: Problem | None
    end: Position  # just after the row: resuming here continues with the next one


def format_for(path: Path, given: str | None) -> str:
    if given is not None:
        assert given in FORMATS, given
        return given
    return "jsonl" if path.suffix.lower() in _JSONL_SUFFIXES else "csv"


@dataclass
class _Lines:
    """The physical lines of a binary file, decoded as UTF-8, counting offset and line number.

    A line that is too long or not UTF-8 is replaced by an empty one and noted in `problems`, so
    the CSV parser above never sees it and the caller can refuse the row it belonged to.
    """

    file: BinaryIO
    offset: int = 0
    line: int = 0
    problems: list[Problem] = field(default_factory=list)

    def seek(self, position: Position) -> None:
        self.file.seek(position.offset)
        self.offset, self.line = position.offset, position.line

    def position(self) -> Position:
        return Position(self.offset, self.line)

    def take_problems(self) -> list[Problem]:
        taken, self.problems = self.problems, []
        return taken

    def __iter__(self) -> Iterator[str]:
        while raw := self.file.readline(LINE_BYTES_MAX + 1):
            at_start = self.offset == 0
            self.offset += len(raw)
            self.line += 1
            if len(raw) > LINE_BYTES_MAX and not raw.endswith(b"\n"):
                self.offset += self._skip_rest_of_line()
                self._note("LINE_TOO_LONG", f"line {self.line} is longer than {LINE_BYTES_MAX} bytes")
                yield "\n"
                continue
            if at_start and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                self._note("NOT_UTF8", f"line {self.line} is not UTF-8 (byte {error.start + 1})")
                yield "\n"

    def _skip_rest_of_line(self) -> int:
        skipped = 0
        while chunk := self.file.readline(LINE_BYTES_MAX):
            skipped += len(chunk)
            if chunk.endswith(b"\n"):
                break
        return skipped

    def _note(self, reason: str, message: str) -> None:
        self.problems.append(Problem(reason, message))


class RowFile:
    """An open import file. `columns` is the CSV header (None for JSON Lines, whose rows name
    their own keys); `rows(start)` streams the rows from a position (None: the beginning)."""

    def __init__(self, path: Path, file_format: str) -> None:
        self.path = path
        self.format = file_format
        try:
            self._file: BinaryIO = path.open("rb")
            self.size_bytes = path.stat().st_size
        except OSError as error:
            raise ReadError(f"{path}: cannot read it ({error.strerror})") from None
        self._lines = _Lines(self._file)
        self.columns: tuple[str, ...] | None = None
        if file_format == "csv":
            self._reader = csv.reader(self._lines, strict=True)
            try:
                self.columns = self._read_header()
            except ReadError:
                self.close()
                raise

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def rows(self, start: Position | None = None) -> Iterator[Row]:
        if start is not None and start.offset > self._lines.offset:
            self._lines.seek(start)
        return self._csv_rows() if self.format == "csv" else self._jsonl_rows()

    def _read_header(self) -> tuple[str, ...]:
        try:
            header = next(self._reader)
        except StopIteration:
            raise ReadError(f"{self.path}: empty file, expected a header line") from None
        except csv.Error as error:
            raise ReadError(f"{self.path}: unreadable header ({error})") from None
        if problems := self._lines.take_problems():
            raise ReadError(f"{self.path}: unreadable header ({problems[0].message})")
        columns = tuple(name.strip() for name in header)
        if not all(columns):
            raise ReadError(f"{self.path}: the header has an empty column name")
        duplicates = sorted({name for name in columns if columns.count(name) > 1})
        if duplicates:
            raise ReadError(f"{self.path}: the header repeats {', '.join(duplicates)}")
        return columns

    def _csv_rows(self) -> Iterator[Row]:
        assert self.columns is not None
        while True:
            first_line = self._lines.line + 1
            problem = None
            try:
                fields = next(self._reader)
            except StopIteration:
                return
            except csv.Error as error:
                fields, problem = [], Problem("MALFORMED_LINE", f"not CSV: {error}")
            problems = self._lines.take_problems()
            if problems:
                problem = problems[0]
            elif problem is None and not any(value.strip() for value in fields):
                continue  # a blank line, or one of only commas
            elif problem is None and len(fields) != len(self.columns):
                problem = Problem(
                    "WRONG_FIELD_COUNT", f"{len(fields)} fields, the header has {len(self.columns)}"
                )
            if problem is not None and self._lines.line > first_line:
                problem = Problem(problem.reason, f"lines {first_line}-{self._lines.line}: {problem.message}")
            values = {} if problem else dict(zip(self.columns, fields, strict=True))
            yield Row(first_line, values, problem, self._lines.position())

    def _jsonl_rows(self) -> Iterator[Row]:
        for text in self._lines:
            problems = self._lines.take_problems()
            if not problems and not text.strip():
                continue
            values, problem = ({}, problems[0]) if problems else _json_object(text)
            yield Row(self._lines.line, values, problem, self._lines.position())


def _json_object(text: str) -> tuple[dict[str, Any], Problem | None]:
    try:
        value = json.loads(text)
    except ValueError as error:
        return {}, Problem("MALFORMED_LINE", f"not JSON: {error}")
    if not isinstance(value, dict):
        return {}, Problem("NOT_AN_OBJECT", f"expected a JSON object, got {type(value).__name__}")
    return value, None
