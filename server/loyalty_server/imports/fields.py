"""An import row's vocabulary: its outcome, and checks of its columns and values. A bad row is
`Refused` with a reason and a message for the report; it never stops the import. A bad CSV header,
by contrast, is fatal (ReadError)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loyalty_server.errors import DomainError
from loyalty_server.imports.reader import ReadError

INTEGER_DIGITS_MAX = 18  # beyond any points amount; keeps int() away from huge digit strings


class Outcome(enum.Enum):
    IMPORTED = "imported"
    SKIPPED = "skipped"  # already imported with the same content: a replay


class Refused(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def refusal(error: DomainError) -> Refused:
    """A ledger refusal as a report line: its reason, its message and the fields it names."""
    fields = "; ".join(f"{v.field}: {v.description}" for v in error.field_violations)
    return Refused(error.reason, error.message + (f" ({fields})" if fields else ""))


@dataclass(frozen=True, slots=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...]

    def check_header(self, header: Sequence[str], source: str) -> None:
        """Fatal when required columns are missing or unknown ones present (likely a typo that
        would otherwise drop a column's data silently)."""
        problems = self._problems(header)
        if problems:
            raise ReadError(f"{source}: bad header: {problems}")

    def check_keys(self, values: Mapping[str, Any]) -> None:
        """For JSON Lines, where every row names its own keys."""
        problems = self._problems(list(values))
        if problems:
            raise Refused("BAD_COLUMNS", problems)

    def describe(self) -> str:
        return ", ".join([*(f"{name} (required)" for name in self.required), *self.optional])

    def _problems(self, names: Sequence[str]) -> str:
        missing = [name for name in self.required if name not in names]
        unknown = [name for name in names if name not in self.required + self.optional]
        said = []
        if missing:
            said.append("missing column(s) " + ", ".join(missing))
        if unknown:
            said.append(
                "unknown column(s) "
                + ", ".join(unknown)
                + " (known: "
                + ", ".join(self.required + self.optional)
                + ")"
            )
        return "; ".join(said)


MEMBER_COLUMNS = Columns(
    required=("loyalty_id",),
    optional=("email", "phone", "given_name", "family_name", "time_zone", "enrollment_store_id"),
)
POINT_COLUMNS = Columns(
    required=("row_id", "loyalty_id", "currency", "points", "source", "reason_code"),
    optional=("reason", "expires_at", "earned_at"),
)


def text(values: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """A text value, trimmed; "" when absent. JSON numbers are accepted as their digits."""
    value = values.get(name)
    if value is None:
        value = ""
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    elif not isinstance(value, str):
        raise Refused("INVALID_VALUE", f"{name}: expected text, got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise Refused("MISSING_VALUE", f"{name} is required")
    return value


def integer(values: Mapping[str, Any], name: str) -> int:
    value = values.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    digits = text(values, name, required=True)
    unsigned = digits.removeprefix("-").removeprefix("+")
    if not unsigned.isdecimal() or not unsigned.isascii() or len(unsigned) > INTEGER_DIGITS_MAX:
        raise Refused("INVALID_VALUE", f"{name}: {digits!r} is not a whole number")
    return int(digits)


def timestamp(values: Mapping[str, Any], name: str) -> dt.datetime | None:
    """An ISO 8601 time with its UTC offset (a time without one is ambiguous); None when empty."""
    given = text(values, name)
    if not given:
        return None
    try:
        moment = dt.datetime.fromisoformat(given)
    except ValueError:
        raise Refused("INVALID_VALUE", f"{name}: {given!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise Refused("INVALID_VALUE", f"{name}: {given!r} has no UTC offset (e.g. +00:00 or Z)")
    return moment
