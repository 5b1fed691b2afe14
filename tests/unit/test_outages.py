"""Which database failures are outages (down, read-only, full) and what the caller is told; the rest
(bugs, constraint violations, write conflicts) are not outages and stay what they were."""

from __future__ import annotations

import errno
import sqlite3

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from loyalty_server.errors import ErrorKind
from loyalty_server.storage.outages import database_outage


def sqlite_error(message: str, name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorname = name  # type: ignore[attr-defined] (set by sqlite3 itself on real errors)
    return error


def wrapped(original: BaseException, *, invalidated: bool = False) -> DBAPIError:
    """As SQLAlchemy raises it: the driver's error in `orig`."""
    return OperationalError("SELECT 1", {}, original, connection_invalidated=invalidated)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "kind", "reason"),
    [
        (
            wrapped(sqlite_error("database or disk is full", "SQLITE_FULL")),
            ErrorKind.RESOURCE_EXHAUSTED,
            "DISK_FULL",
        ),
        (
            wrapped(sqlite_error("attempt to write a readonly database", "SQLITE_READONLY")),
            ErrorKind.UNAVAILABLE,
            "DATABASE_READ_ONLY",
        ),
        (
            wrapped(sqlite_error("unable to open database file", "SQLITE_CANTOPEN")),
            ErrorKind.UNAVAILABLE,
            "DATABASE_UNAVAILABLE",
        ),
        (
            wrapped(sqlite_error("disk I/O error", "SQLITE_IOERR_WRITE")),
            ErrorKind.UNAVAILABLE,
            "DATABASE_UNAVAILABLE",
        ),
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
            ErrorKind.UNAVAILABLE,
            "DATABASE_UNAVAILABLE",
        ),
        (OSError(errno.EHOSTUNREACH, "No route to host"), ErrorKind.UNAVAILABLE, "DATABASE_UNAVAILABLE"),
        (TimeoutError(), ErrorKind.UNAVAILABLE, "DATABASE_UNAVAILABLE"),
        (PoolTimeout("QueuePool limit reached"), ErrorKind.UNAVAILABLE, "DATABASE_UNAVAILABLE"),
        (
            wrapped(Exception("server closed the connection"), invalidated=True),
            ErrorKind.UNAVAILABLE,
            "DATABASE_UNAVAILABLE",
        ),
        (
            wrapped(
                asyncpg.exceptions.ConnectionDoesNotExistError(
                    "connection was closed in the middle of operation"
                )
            ),
            ErrorKind.UNAVAILABLE,
            "DATABASE_UNAVAILABLE",
        ),
        (
            wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
            ErrorKind.UNAVAILABLE,
            "DATABASE_UNAVAILABLE",
        ),
        (
            wrapped(
                asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")
            ),
            ErrorKind.UNAVAILABLE,
            "DATABASE_UNAVAILABLE",
        ),
        (
            wrapped(
                asyncpg.exceptions.ReadOnlySQLTransactionError(
                    "cannot execute INSERT in a read-only transaction"
                )
            ),
            ErrorKind.UNAVAILABLE,
            "DATABASE_READ_ONLY",
        ),
        (
            wrapped(asyncpg.exceptions.DiskFullError("could not extend file")),
            ErrorKind.RESOURCE_EXHAUSTED,
            "DISK_FULL",
        ),
    ],
)
def test_outages_are_named_with_a_retry_hint(error: BaseException, kind: ErrorKind, reason: str) -> None:
    outage = database_outage(error)
    assert outage is not None
    assert (outage.kind, outage.reason) == (kind, reason)
    assert outage.retry_after_s is not None
    assert outage.retry_after_s >= 1


def test_an_outage_is_found_under_the_error_that_carried_it() -> None:
    try:
        try:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
        except OSError as refused:
            raise RuntimeError("could not load the member") from refused
    except RuntimeError as outer:
        outage = database_outage(outer)
    assert outage is not None
    assert outage.reason == "DATABASE_UNAVAILABLE"


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        KeyError("member"),
        IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),  # type: ignore[arg-type]
        wrapped(sqlite_error("database is locked", "SQLITE_BUSY")),  # a write conflict: ABORTED, elsewhere
        wrapped(asyncpg.exceptions.UniqueViolationError("duplicate key")),
        wrapped(asyncpg.exceptions.SerializationError("could not serialize access")),
        FileNotFoundError(errno.ENOENT, "program.toml"),  # an OSError, but not a network one
    ],
)
def test_other_failures_are_not_outages(error: BaseException) -> None:
    assert database_outage(error) is None
