"""Reading the outbox: stored events, the filters streams and lists apply, and their wire form.

A stored payload is the serialized Event without its sequence and tenant code (both are known only
once the row is written); `StoredEvent.to_proto` adds them. Filters run on the columns, so an event
is parsed only when it is actually sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import subscription_pb2
from loyalty_server.storage.prepared import Prepared
from loyalty_server.storage.schema import events, tenants

READ_BATCH_MAX = 500  # events per outbox read


@dataclass(frozen=True, slots=True)
class StoredEvent:
    sequence: int
    tenant_id: int
    type_name: str
    member_id: str | None
    occurred_at: dt.datetime
    payload: bytes

    def to_proto(self, tenant_code: str) -> subscription_pb2.Event:
        event = subscription_pb2.Event.FromString(self.payload)
        event.sequence = self.sequence
        event.tenant_code = tenant_code
        return event


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a subscriber sees: always one tenant; optionally some types and one member."""

    tenant_id: int
    type_names: frozenset[str] = frozenset()  # empty: every type
    member_id: str | None = None
    # Partner webhook endpoints: only events of members granted to the partner (checked by the relay).

    def matches(self, event: StoredEvent) -> bool:
        return (
            event.tenant_id == self.tenant_id
            and (not self.type_names or event.type_name in self.type_names)
            and (self.member_id is None or event.member_id == self.member_id)
        )


def stored_event(row: Row) -> StoredEvent:  # type: ignore[type-arg]
    return StoredEvent(
        sequence=row.sequence,
        tenant_id=row.tenant_id,
        type_name=row.type,
        member_id=row.member_id,
        occurred_at=row.occurred_at,
        payload=bytes(row.payload),
    )


async def read_after(
    connection: AsyncConnection,
    after_sequence: int,
    *,
    limit: int = READ_BATCH_MAX,
    up_to: int | None = None,
    only: EventFilter | None = None,
) -> list[StoredEvent]:
    """Events with after_sequence < sequence (<= up_to), in sequence order, at most `limit`."""
    assert 0 < limit <= READ_BATCH_MAX * 4, f"limit {limit} out of range"
    query = select(events).where(events.c.sequence > after_sequence).order_by(events.c.sequence).limit(limit)
    if up_to is not None:
        query = query.where(events.c.sequence <= up_to)
    if only is not None:
        query = query.where(events.c.tenant_id == only.tenant_id)
        if only.type_names:
            query = query.where(events.c.type.in_(sorted(only.type_names)))
        if only.member_id is not None:
            query = query.where(events.c.member_id == only.member_id)
    return [stored_event(row) for row in await connection.execute(query)]


async def latest_sequence(connection: AsyncConnection) -> int:
    """The highest sequence written so far (0 on an empty outbox)."""
    row = await _LATEST_SEQUENCE.first(connection)
    assert row is not None, "an aggregate without GROUP BY has one row"
    return int(row["latest"] or 0)


# Prepared (storage/prepared.py): the event hub reads it after every commit.
_LATEST_SEQUENCE = Prepared(select(func.max(events.c.sequence).label("latest")))


@dataclass(slots=True)
class TenantCodes:
    """Tenant id → code, for the events' storeCode. Tenants are never renamed, so a cache is exact."""

    codes: dict[int, str] = field(default_factory=dict)

    async def code_of(self, connection: AsyncConnection, tenant_id: int) -> str:
        if tenant_id not in self.codes:
            rows = await connection.execute(select(tenants.c.id, tenants.c.code))
            self.codes.update({row.id: row.code for row in rows})
        return self.codes[tenant_id]
