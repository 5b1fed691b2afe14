"""The account rows a write transaction has locked, as they are now.

A write reads a member account row under its lock once (`book.lock_account`) and then keeps that
copy current: every write to `accounts` is in ledger/book.py, and each one either stores the row it
left (UPDATE … RETURNING) or forgets the copy. Later steps of the same write (the credit after
`Ledger.lock_member`, a second earn into the same currency) then need no second read.

A copy is only used in the transaction or savepoint that made it. A savepoint that rolls back takes
its writes (and on PostgreSQL the row locks it took) with it, so what was kept inside it is never
used after it ends; on SQLite every writer of a group-commit batch has a savepoint of its own, so
one writer never sees another's copies. Outside a transaction nothing is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.storage.prepared import Row

_KEY = "loyalty.locked_account_rows"


@dataclass(slots=True)
class _Kept:
    scope: Any  # the transaction object the rows belong to (compared by identity)
    rows: dict[int, Row] = field(default_factory=dict)


def _scope(connection: AsyncConnection) -> Any:
    """The innermost transaction: a savepoint if one is open, else the transaction itself."""
    nested = connection.get_nested_transaction()
    if nested is not None:
        return nested
    # SQLite's loop connection has no get_transaction, but its writes always run in a savepoint.
    get_transaction = getattr(connection, "get_transaction", None)
    return get_transaction() if get_transaction is not None else None


def kept_row(connection: AsyncConnection, account_pk: int) -> Row | None:
    """The row as this transaction last locked or wrote it; None when it must be read."""
    kept: _Kept | None = connection.info.get(_KEY)
    if kept is None or kept.scope is None or kept.scope is not _scope(connection):
        return None
    return kept.rows.get(account_pk)


def keep_row(connection: AsyncConnection, row: Row) -> None:
    """Remember a row read under its lock, or returned by a write, in this transaction."""
    scope = _scope(connection)
    if scope is None:
        return
    kept: _Kept | None = connection.info.get(_KEY)
    if kept is None or kept.scope is not scope:
        kept = connection.info[_KEY] = _Kept(scope)  # connection.info outlives transactions
    kept.rows[row["id"]] = row


def forget_row(connection: AsyncConnection, account_pk: int) -> None:
    """A write changed the row without returning it: read it again next time."""
    kept: _Kept | None = connection.info.get(_KEY)
    if kept is not None:
        kept.rows.pop(account_pk, None)
