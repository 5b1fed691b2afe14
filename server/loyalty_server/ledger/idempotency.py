"""Idempotency keys: a replay of a write returns the first result; the same key with other content fails.

`claim` runs first in the write transaction. The key row is inserted there, so a concurrent request
with the same key waits on it (PostgreSQL: the unique index; SQLite: the write lock) and then sees
the first result instead of doing the work twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.requests import check_request_id
from loyalty_server.storage.prepared import Prepared
from loyalty_server.storage.schema import idempotency_keys

RETENTION = dt.timedelta(days=7)  # documented minimum is 24 hours; we keep a week

# Every write with a request id runs these three: built once (storage/prepared.py).
_KEYS = idempotency_keys.c
_THIS_KEY = (
    _KEYS.tenant_id == bindparam("tenant"),
    _KEYS.scope == bindparam("scope_name"),
    _KEYS.key == bindparam("request_key"),
)
_STORED = Prepared(select(_KEYS.request_hash, _KEYS.response).where(*_THIS_KEY))
_CLAIM = Prepared(
    insert(idempotency_keys).values(
        tenant_id=bindparam("tenant"),
        scope=bindparam("scope_name"),
        key=bindparam("request_key"),
        request_hash=bindparam("digest"),
        response=b"",
        created_at=bindparam("now"),
        expires_at=bindparam("expires"),
    )
)
_RECORD = Prepared(update(idempotency_keys).where(*_THIS_KEY).values(response=bindparam("result")))


def fingerprint(content: dict[str, Any]) -> bytes:
    """A stable hash of what a request asks for (canonical JSON)."""
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).digest()


async def claim(
    connection: AsyncConnection,
    clock: Clock,
    *,
    tenant_id: int,
    scope: str,
    key: str,
    content: dict[str, Any],
) -> dict[str, Any] | None:
    """None: first time, go ahead (then `record` the result). A dict: the stored result of a replay."""
    check_request_id(key)
    digest = fingerprint(content)
    stored = await _stored(connection, tenant_id, scope, key)
    if stored is None:
        now = clock.now()
        try:
            async with connection.begin_nested():
                await _CLAIM.run(
                    connection,
                    tenant=tenant_id,
                    scope_name=scope,
                    request_key=key,
                    digest=digest,
                    now=now,
                    expires=now + RETENTION,
                )
            return None
        except IntegrityError:
            stored = await _stored(connection, tenant_id, scope, key)
            assert stored is not None
    request_hash, response = stored
    if request_hash != digest:
        raise DomainError(
            ErrorKind.ALREADY_EXISTS,
            "IDEMPOTENCY_KEY_REUSED",
            "this request_id was used for a different request",
            metadata={"request_id": key},
        )
    if not response:
        raise DomainError(
            ErrorKind.ABORTED,
            "REQUEST_IN_PROGRESS",
            "the first request with this request_id is still running",
        )
    return json.loads(response)


async def record(
    connection: AsyncConnection, *, tenant_id: int, scope: str, key: str, result: dict[str, Any]
) -> None:
    response = json.dumps(result, sort_keys=True).encode()
    await _RECORD.run(connection, tenant=tenant_id, scope_name=scope, request_key=key, result=response)


async def _stored(
    connection: AsyncConnection, tenant_id: int, scope: str, key: str
) -> tuple[bytes, bytes] | None:
    row = await _STORED.first(connection, tenant=tenant_id, scope_name=scope, request_key=key)
    return (bytes(row["request_hash"]), bytes(row["response"])) if row else None
