"""Database failures that mean "the database cannot be reached or written right now", not a bug.

PostgreSQL stopped, restarting or unreachable (connection refused, a connection closed under a
statement, SQLSTATE class 08 or 57P0x, too many connections); SQLite's file unopenable or its disk
failing, read-only or full; the connection pool exhausted. The transaction that met one was never
committed (PostgreSQL and SQLite roll back what they did not commit), so nothing is half-written and
the caller may retry with the same request id once the database is back. `database_outage` names
the failure as a `DomainError`: the interceptor answers it like any refusal, with an ErrorInfo
reason and a RetryInfo, instead of INTERNAL.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from loyalty_server.errors import DomainError, ErrorKind

UNAVAILABLE_RETRY_S = 1  # a restart or failover: try again soon
READ_ONLY_RETRY_S = 5  # someone has to remount or fail over: no point hammering
DISK_FULL_RETRY_S = 30  # someone has to free space
CAUSES_MAX = 8  # how far down an exception's causes to look

# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_PG_UNAVAILABLE_CLASS = "08"  # connection exception
_PG_UNAVAILABLE = frozenset({"57P01", "57P02", "57P03", "53300"})  # shutdown, crash, starting, too many
_PG_READ_ONLY = "25006"  # read_only_sql_transaction: a standby, or default_transaction_read_only
_PG_DISK_FULL = "53100"
# asyncpg's own errors for a connection that went away (they carry no SQLSTATE).
_CLOSED_CONNECTION_TEXT = ("connection is closed", "connection was closed", "connection lost")
_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH, errno.ENETUNREACH}
)


def _unavailable(message: str) -> DomainError:
    return DomainError(
        ErrorKind.UNAVAILABLE, "DATABASE_UNAVAILABLE", message, retry_after_s=UNAVAILABLE_RETRY_S
    )


def _read_only(message: str) -> DomainError:
    return DomainError(ErrorKind.UNAVAILABLE, "DATABASE_READ_ONLY", message, retry_after_s=READ_ONLY_RETRY_S)


def _disk_full(message: str) -> DomainError:
    # gRPC's own definition of RESOURCE_EXHAUSTED includes "the entire file system is out of space".
    return DomainError(ErrorKind.RESOURCE_EXHAUSTED, "DISK_FULL", message, retry_after_s=DISK_FULL_RETRY_S)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what SQLAlchemy wrapped (`orig`) and its causes, each once, nearest first."""
    seen: set[int] = set()
    pending = [exc]
    while pending and len(seen) < CAUSES_MAX:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for inner in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(inner, BaseException):
                pending.append(inner)


def _sqlite_outage(error: sqlite3.Error) -> DomainError | None:
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name == "SQLITE_FULL" or "database or disk is full" in text:
        return _disk_full("the database's disk is full; writes resume once space is freed")
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return _read_only("the database is read-only (read-only disk or file); writes are refused")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")) or text in (
        "unable to open database file",
        "disk I/O error",
    ):
        return _unavailable(
            f"the database file cannot be opened or written ({name or text}): "
            "its disk may be read-only, missing or failing"
        )
    return None


def _postgres_outage(sqlstate: str) -> DomainError | None:
    if sqlstate.startswith(_PG_UNAVAILABLE_CLASS) or sqlstate in _PG_UNAVAILABLE:
        return _unavailable("the database is not reachable (stopped, restarting or overloaded)")
    if sqlstate == _PG_READ_ONLY:
        return _read_only("the database only accepts reads (a standby?); writes are refused")
    if sqlstate == _PG_DISK_FULL:
        return _disk_full("the database's disk is full; writes resume once space is freed")
    return None


def _one_outage(error: BaseException) -> DomainError | None:
    if isinstance(error, sqlite3.Error):
        return _sqlite_outage(error)
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(sqlstate, str) and (outage := _postgres_outage(sqlstate)) is not None:
        return outage
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return _unavailable("the connection to the database was lost")
    if isinstance(error, PoolTimeout):
        return _unavailable("no database connection became free in time")
    if isinstance(error, ConnectionError | socket.gaierror | TimeoutError) or (
        isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS
    ):
        return _unavailable("the database is not reachable")
    if any(text in str(error).lower() for text in _CLOSED_CONNECTION_TEXT) and (
        type(error).__module__.startswith(("asyncpg", "sqlalchemy"))
    ):
        return _unavailable("the connection to the database was lost")
    return None


def database_outage(exc: BaseException) -> DomainError | None:
    """The refusal to answer for `exc` when it means the database is down, read-only or full; else None."""
    for error in _causes(exc):
        if (outage := _one_outage(error)) is not None:
            return outage
    return None
