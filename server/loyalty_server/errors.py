"""Errors the engine raises on purpose. Plain Python: the domain never imports grpc.

`DomainError` carries what a caller needs to react: a category (mapped to a gRPC status code by the
runtime), a stable UPPER_SNAKE_CASE reason, and, for bad input, the offending fields.
`ConfigError` is an operator's mistake: the CLI prints it as one line and exits non-zero.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_REASON = re.compile(r"^[A-Z][A-Z0-9_]{0,62}$")


class LoyaltyError(Exception):
    """Base of every error the engine raises on purpose."""


class ConfigError(LoyaltyError):
    """A bad setting, program file or database URL: said in one line, no traceback."""


class ErrorKind(enum.Enum):
    """What kind of failure it is; each maps to exactly one gRPC status code (same names)."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAVAILABLE = "UNAVAILABLE"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    INTERNAL = "INTERNAL"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    field: str  # a path such as "items[2].amount_minor"
    description: str


class DomainError(LoyaltyError):
    """A refusal the caller can act on. Nothing has been written when it is raised."""

    def __init__(
        self,
        kind: ErrorKind,
        reason: str,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        field_violations: Sequence[FieldViolation] = (),
        retry_after_s: int | None = None,
    ) -> None:
        assert _REASON.match(reason), f"error reason must be UPPER_SNAKE_CASE: {reason!r}"
        super().__init__(message)
        self.kind = kind
        self.reason = reason
        self.message = message
        self.metadata = dict(metadata or {})
        self.field_violations = tuple(field_violations)
        self.retry_after_s = retry_after_s  # set: the status carries a google.rpc.RetryInfo


def invalid_argument(reason: str, message: str, *violations: FieldViolation) -> DomainError:
    return DomainError(ErrorKind.INVALID_ARGUMENT, reason, message, field_violations=violations)


def not_found(reason: str, message: str, **metadata: str) -> DomainError:
    return DomainError(ErrorKind.NOT_FOUND, reason, message, metadata=metadata)
