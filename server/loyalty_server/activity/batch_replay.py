"""A PostActivities batch's optional request_id: a replay returns the first response verbatim.

The activities are idempotent on their own ids, so the batch is not claimed up front (a crash
half-way must not leave the key stuck "in progress"): a replay that comes while the first run is
still going simply replays each activity, and whichever run finishes first stores its response.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty.v1 import activity_pb2
from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger.idempotency import RETENTION
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.schema import idempotency_keys
from loyalty_server.storage.sqlite_loop import read_connection

SCOPE = "activity.batch"


def batch_hash(request: activity_pb2.PostActivitiesRequest) -> bytes:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).digest()


async def stored_response(
    engine: AsyncEngine, tenant_id: int, request: activity_pb2.PostActivitiesRequest
) -> activity_pb2.PostActivitiesResponse | None:
    """The first response to this request_id, or None; ALREADY_EXISTS when it named another batch."""
    k = idempotency_keys
    query = select(k.c.request_hash, k.c.response).where(
        k.c.tenant_id == tenant_id, k.c.scope == SCOPE, k.c.key == request.request_id
    )
    async with read_connection(engine) as connection:
        row = (await connection.execute(query)).first()
    if row is None:
        return None
    if row.request_hash != batch_hash(request):
        raise DomainError(
            ErrorKind.ALREADY_EXISTS,
            "IDEMPOTENCY_KEY_REUSED",
            "this request_id was used for a different batch",
            metadata={"request_id": request.request_id},
        )
    return activity_pb2.PostActivitiesResponse.FromString(row.response)


async def store_response(
    engine: AsyncEngine,
    clock: Clock,
    tenant_id: int,
    request: activity_pb2.PostActivitiesRequest,
    response: activity_pb2.PostActivitiesResponse,
) -> None:
    now = clock.now()
    try:
        async with write_transaction(engine) as connection:
            await connection.execute(
                idempotency_keys.insert().values(
                    tenant_id=tenant_id,
                    scope=SCOPE,
                    key=request.request_id,
                    request_hash=batch_hash(request),
                    response=response.SerializeToString(),
                    created_at=now,
                    expires_at=now + RETENTION,
                )
            )
    except IntegrityError:
        pass  # a concurrent run of the same batch stored its response first: that one stands
