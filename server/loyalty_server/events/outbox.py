"""Append events to the outbox. Called inside the write transaction of the change they describe,
so an event exists exactly when its change does; the table's sequence is the global cursor.

Events never carry health values: payloads are the typed loyalty.v1 messages, which have no field
for them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import subscription_pb2
from loyalty_server.clock import Clock
from loyalty_server.storage.schema import events

EventType = subscription_pb2.EventType

# The dotted names webhooks and filters use, one per event type.
TYPE_NAMES: dict[int, str] = {
    EventType.EVENT_TYPE_MEMBER_ENROLLED: "member.enrolled",
    EventType.EVENT_TYPE_MEMBER_DEACTIVATED: "member.deactivated",
    EventType.EVENT_TYPE_MEMBER_ERASED: "member.erased",
    EventType.EVENT_TYPE_ACTIVITY_ACCEPTED: "activity.accepted",
    EventType.EVENT_TYPE_POINTS_EARNED: "points.earned",
    EventType.EVENT_TYPE_POINTS_SPENT: "points.spent",
    EventType.EVENT_TYPE_POINTS_REVERSED: "points.reversed",
    EventType.EVENT_TYPE_POINTS_EXPIRING: "points.expiring",
    EventType.EVENT_TYPE_POINTS_EXPIRED: "points.expired",
    EventType.EVENT_TYPE_TIER_UPGRADED: "tier.upgraded",
    EventType.EVENT_TYPE_TIER_DOWNGRADED: "tier.downgraded",
    EventType.EVENT_TYPE_TIER_DOWNGRADE_WARNING: "tier.downgrade_warning",
    EventType.EVENT_TYPE_REWARD_REDEEMED: "reward.redeemed",
    EventType.EVENT_TYPE_COUPON_USED: "coupon.used",
    EventType.EVENT_TYPE_COUPON_CANCELLED: "coupon.cancelled",
    EventType.EVENT_TYPE_HOLD_CREATED: "hold.created",
    EventType.EVENT_TYPE_HOLD_CAPTURED: "hold.captured",
    EventType.EVENT_TYPE_HOLD_VOIDED: "hold.voided",
    EventType.EVENT_TYPE_HOLD_EXPIRED: "hold.expired",
    EventType.EVENT_TYPE_PARTNER_CONNECTED: "partner.connected",
    EventType.EVENT_TYPE_PARTNER_DISCONNECTED: "partner.disconnected",
    EventType.EVENT_TYPE_WEBHOOK_ENDPOINT_DISABLED: "webhook_endpoint.disabled",
}


async def append_event(
    connection: AsyncConnection, clock: Clock, *, tenant_id: int, event: subscription_pb2.Event
) -> subscription_pb2.Event:
    """Store `event` (type, member and payload set by the caller); returns it with id, name and time."""
    assert event.type in TYPE_NAMES, f"unknown event type {event.type}"
    assert event.WhichOneof("payload") is not None, "an event needs its payload"
    event.event_id = str(uuid.uuid4())
    event.type_name = TYPE_NAMES[event.type]
    now = clock.now()
    event.event_time.FromDatetime(now)
    result = await connection.execute(
        insert(events).values(
            event_id=event.event_id,
            tenant_id=tenant_id,
            type=event.type_name,
            member_id=event.member.member_id or None,
            occurred_at=now,
            payload=event.SerializeToString(),
        )
    )
    event.sequence = result.inserted_primary_key[0]
    return event
