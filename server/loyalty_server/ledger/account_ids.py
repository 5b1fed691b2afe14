"""Which row an account name has: known for good once its row has committed.

Accounts are never deleted and never renamed, so a committed (tenant, name) -> primary key pair holds
for ever; every posting looks up two or three of them, so each process remembers the ones it has
seen. Only committed pairs go in (added by an after-commit hook): a row inserted by a transaction
that rolls back must never be remembered, since SQLite may give its key to another account later.
One cache per engine (tests run many databases in one process), bounded, least recently used out.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.storage.engine import after_commit

ACCOUNT_IDS_MAX = 100_000  # about 10 MB of names and keys

_caches: weakref.WeakKeyDictionary[object, OrderedDict[tuple[int, str], int]] = weakref.WeakKeyDictionary()


def _cache(connection: AsyncConnection) -> OrderedDict[tuple[int, str], int]:
    cache = _caches.get(connection.sync_engine)
    if cache is None:
        cache = _caches[connection.sync_engine] = OrderedDict()
    return cache


def known_account_pk(connection: AsyncConnection, tenant_id: int, name: str) -> int | None:
    cache = _cache(connection)
    pk = cache.get((tenant_id, name))
    if pk is not None:
        cache.move_to_end((tenant_id, name))
    return pk


def remember_account_pk(connection: AsyncConnection, tenant_id: int, name: str, pk: int) -> None:
    """Remember the pair once this write transaction has committed (never if it rolls back)."""
    cache = _cache(connection)

    def remember() -> None:
        cache[(tenant_id, name)] = pk
        if len(cache) > ACCOUNT_IDS_MAX:
            cache.popitem(last=False)

    after_commit(connection, f"account-id:{tenant_id}:{name}", remember)
