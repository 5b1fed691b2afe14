"""Memory that lives exactly as long as the innermost transaction (or savepoint) of a connection.

A write that reads a row under its lock may keep that copy and use it again later in the same
transaction instead of reading it once more (ledger/account_rows.py, ledger/tier_rows.py). A copy is
only ever used in the transaction or savepoint that made it: a savepoint that rolls back takes its
writes (and on PostgreSQL the row locks it took) with it, so nothing kept inside it may outlive it;
on SQLite every writer of a group-commit batch has a savepoint of its own, so one writer never sees
another's copies. Outside a transaction nothing is kept.

`connection.info` belongs to the driver connection and outlives transactions, so what is kept there
carries the transaction object it belongs to and counts only while that is still the innermost one;
`write_transaction` drops it all when it ends (`forget_all`), so nothing holds old rows alive. Not to
be confused with `engine.transaction_state`: scratch space for the whole write transaction, hooks
included, whatever savepoints open inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(slots=True)
class _Kept:
    scope: Any  # the transaction object the values belong to (compared by identity)
    values: dict[Any, Any] = field(default_factory=dict)


def _scope(connection: AsyncConnection) -> Any:
    """The innermost transaction: a savepoint if one is open, else the transaction itself."""
    nested = connection.get_nested_transaction()
    if nested is not None:
        return nested
    # SQLite's loop connection has no get_transaction, but its writes always run in a savepoint.
    get_transaction = getattr(connection, "get_transaction", None)
    return get_transaction() if get_transaction is not None else None


_INFO_KEY = "loyalty.transaction_scope"  # {key: _Kept} in connection.info


def _kept(connection: AsyncConnection, key: str) -> _Kept | None:
    return connection.info.get(_INFO_KEY, {}).get(key)


def kept_values(connection: AsyncConnection, key: str) -> dict[Any, Any] | None:
    """What this transaction keeps under `key`, to read; None when nothing is (or may be) kept."""
    kept = _kept(connection, key)
    if kept is None or kept.scope is None or kept.scope is not _scope(connection):
        return None
    return kept.values


def values_to_keep(connection: AsyncConnection, key: str) -> dict[Any, Any] | None:
    """What this transaction keeps under `key`, to add to (emptied when the scope changed); None
    outside a transaction, where nothing may be kept."""
    scope = _scope(connection)
    if scope is None:
        return None
    kept = _kept(connection, key)
    if kept is None or kept.scope is not scope:
        kept = connection.info.setdefault(_INFO_KEY, {})[key] = _Kept(scope)
    return kept.values


def forget_value(connection: AsyncConnection, key: str, item: Any) -> None:
    """A write changed what was kept for `item` without saying how: read it again next time."""
    kept = _kept(connection, key)
    if kept is not None:
        kept.values.pop(item, None)


def forget_all(info: dict[Any, Any]) -> None:
    """The write transaction ended: drop everything it kept in its connection's `info`."""
    info.pop(_INFO_KEY, None)
