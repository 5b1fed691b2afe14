"""A compiled statement's positional placeholders and the driver values the caller's parameters give
them, and the rows its driver returns as `.mappings()` would give them: what `Prepared` passes to and
takes from sqlite3 and asyncpg alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

Converter = Callable[[Any], Any]
# Per placeholder, in order: its name, its value when the statement holds one (a literal) or
# REQUIRED, and its column type's bind processor.
Placeholder = tuple[str, Any, Converter | None]
REQUIRED = object()  # a placeholder whose value the caller must give


def driver_values(placeholders: tuple[Placeholder, ...], parameters: dict[str, Any]) -> list[Any]:
    """The driver's values for the placeholders, in order, each through its bind processor.
    Inlined (no call per value): every prepared execution runs it for every value."""
    values = []
    for name, fixed, process in placeholders:
        value = parameters.get(name, fixed)
        if value is REQUIRED:
            raise KeyError(f"a prepared statement needs a value for {name!r}")
        values.append(value if process is None else process(value))
    return values


def driver_rows(
    keys: tuple[str, ...], processors: tuple[tuple[int, Converter], ...], fetched: Iterable[Sequence[Any]]
) -> list[dict[str, Any]]:
    """The driver's rows as dicts by column name, each column through its result processor
    (`processors`: (column index, processor) for the columns that have one)."""
    rows = []
    for fetched_row in fetched:
        row = list(fetched_row)
        for index, process in processors:
            row[index] = process(row[index])
        rows.append(dict(zip(keys, row, strict=True)))
    return rows
