"""The account rows a write transaction has locked, as they are now.

A write reads a member account row under its lock once (`book.lock_account`) and then keeps that
copy current: every write to `accounts` is in ledger/book.py, and each one either stores the row it
left (UPDATE … RETURNING) or forgets the copy. Later steps of the same write (the credit after
`Ledger.lock_member`, a second earn into the same currency) then need no second read. How long a
copy counts: storage/transaction_scope.py.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.storage.prepared import Row
from loyalty_server.storage.transaction_scope import forget_value, kept_values, values_to_keep

_KEY = "loyalty.locked_account_rows"


def kept_row(connection: AsyncConnection, account_pk: int) -> Row | None:
    """The row as this transaction last locked or wrote it; None when it must be read."""
    rows = kept_values(connection, _KEY)
    return None if rows is None else rows.get(account_pk)


def keep_row(connection: AsyncConnection, row: Row) -> None:
    """Remember a row read under its lock, or returned by a write, in this transaction."""
    rows = values_to_keep(connection, _KEY)
    if rows is not None:
        rows[row["id"]] = row


def forget_row(connection: AsyncConnection, account_pk: int) -> None:
    """A write changed the row without returning it: read it again next time."""
    forget_value(connection, _KEY, account_pk)
