"""Database failures that mean "two writers collided; try again", not "something is broken".

PostgreSQL breaks a deadlock (40P01) or a serialization conflict (40001) by aborting one of the
transactions; SQLite gives up with "database is locked" after its busy timeout. Nothing of the
aborted transaction was written, so the caller may safely retry (every write has a request id).
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_write_conflict(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    original = exc.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return sqlstate in RETRYABLE_SQLSTATES or "database is locked" in str(original)
