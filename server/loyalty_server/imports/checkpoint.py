"""Where an import stands, kept in a small JSON file so an interrupted import resumes there.

Written atomically (a temporary file, fsync, then os.replace): after a crash the file holds either
the previous or the new state, never half of one. The rows after the last checkpoint are simply
processed again on resume; per-row idempotency makes that harmless.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loyalty_server.imports.reader import Position, ReadError

VERSION = 1


@dataclass(slots=True)
class Counts:
    read: int = 0  # rows read (blank lines and the header not counted)
    imported: int = 0
    skipped: int = 0  # already imported with the same content: replays
    refused: int = 0

    def __post_init__(self) -> None:
        assert min(self.read, self.imported, self.skipped, self.refused) >= 0

    @property
    def balanced(self) -> bool:
        return self.read == self.imported + self.skipped + self.refused


@dataclass(frozen=True, slots=True)
class Checkpoint:
    kind: str  # members | points
    source: str  # the imported file, resolved
    file_format: str
    tenant: str
    position: Position  # the next row to read
    report_bytes: int  # the refused-rows report's length at this position
    counts: Counts = field(default_factory=Counts)

    def matches(self, other: Checkpoint) -> bool:
        """The same import (kind, file, format, tenant), at whatever position."""
        return (self.kind, self.source, self.file_format, self.tenant) == (
            other.kind,
            other.source,
            other.file_format,
            other.tenant,
        )


def state_path(source: Path, report: Path) -> Path:
    """The checkpoint lives beside the report: e.g. points.csv -> points.csv.import-state.json."""
    return report.parent / f"{source.name}.import-state.json"


def save(path: Path, checkpoint: Checkpoint) -> None:
    document = {"version": VERSION, **dataclasses.asdict(checkpoint)}
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as file:
        json.dump(document, file, sort_keys=True)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def load(path: Path) -> Checkpoint | None:
    """The saved checkpoint, or None when there is none. A damaged file is a ReadError."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ReadError(f"checkpoint {path}: unreadable ({error}); use --restart") from None
    try:
        return _from_document(document)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ReadError(f"checkpoint {path}: not a checkpoint of this version; use --restart") from None


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _from_document(document: dict[str, Any]) -> Checkpoint:
    if document["version"] != VERSION:
        raise ValueError(document["version"])
    position = Position(**document["position"])
    numbers = [position.offset, position.line, document["report_bytes"], *document["counts"].values()]
    if not all(isinstance(number, int) and number >= 0 for number in numbers):
        raise ValueError("negative or non-integer figures")
    return Checkpoint(
        kind=str(document["kind"]),
        source=str(document["source"]),
        file_format=str(document["file_format"]),
        tenant=str(document["tenant"]),
        position=position,
        report_bytes=int(document["report_bytes"]),
        counts=Counts(**document["counts"]),
    )
