"""Append events to the outbox. Called inside the write transaction of the change they describe,
so an event exists exactly when its change does; the table's sequence is the global cursor.

Sequence order is commit order. Events are buffered and written last, just before the commit: on
PostgreSQL under a transaction-scoped advisory lock, so a transaction that holds a sequence number
commits before any other can take a higher one (SQLite's single writer gives the same for free).
A reader that sees sequence N can therefore never later see a smaller one appear: streams and the
webhook relay follow the outbox by sequence alone, without gaps at the seam. The lock is the last
one a transaction takes, so it cannot take part in a deadlock; it serialises only commits.

Events never carry health values: payloads are the typed loyalty.v1 messages, which have no field
for them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import subscription_pb2
from loyalty_server.clock import Clock
from loyalty_server.ids import uuid7
from loyalty_server.storage.engine import after_commit, before_commit, in_inner_savepoint, transaction_state
from loyalty_server.storage.prepared import Prepared
from loyalty_server.storage.schema import events
from loyalty_server.timestamps import set_timestamp

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
TYPES_BY_NAME: dict[str, int] = {name: number for number, name in TYPE_NAMES.items()}

# PostgreSQL: the advisory lock that orders commits of transactions with events, and the channel
# that tells every replica's listeners an event was committed.
COMMIT_ORDER_LOCK = 0x6C6F79616C7479  # "loyalty"
NOTIFY_CHANNEL = "loyalty_events"
_PENDING = "pending_events"

# Callbacks run after a commit that wrote events, per engine: the event hub of this process.
_committed_listeners: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = (
    weakref.WeakKeyDictionary()
)


def on_events_committed(engine: Engine, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after every commit through `engine` that wrote events. Returns an undo."""
    listeners = _committed_listeners.setdefault(engine, [])
    listeners.append(callback)
    return lambda: listeners.remove(callback)


async def append_event(
    connection: AsyncConnection, clock: Clock, *, tenant_id: int, event: subscription_pb2.Event
) -> subscription_pb2.Event:
    """Add `event` (type, member and payload set by the caller) to this transaction's outbox writes.

    Returns it with id, name and time set; its sequence is assigned when the transaction commits.
    """
    assert event.type in TYPE_NAMES, f"unknown event type {event.type}"
    assert event.WhichOneof("payload") is not None, "an event needs its payload"
    assert not in_inner_savepoint(connection), "a savepoint could roll back an event kept for commit"
    event.event_id = uuid7()
    event.type_name = TYPE_NAMES[event.type]
    now = clock.now()
    set_timestamp(event.event_time, now)
    pending: list[dict[str, Any]] = transaction_state(connection).setdefault(_PENDING, [])
    if not pending:
        before_commit(connection, _PENDING, _write_pending)
        after_commit(connection, _PENDING, _notifier(connection.sync_engine))
    pending.append(
        {
            "event_id": event.event_id,
            "tenant_id": tenant_id,
            "type": event.type_name,
            "member_id": event.member.member_id or None,
            "occurred_at": now,
            "payload": event.SerializeToString(),
        }
    )
    return event


async def forget_member(connection: AsyncConnection, *, tenant_id: int, member_id: str) -> int:
    """Erasure: strip the member's loyalty id, e-mail and phone from every event about them, stored
    or pending in this transaction. The member id (random, meaningless once erased) stays, so
    subscribers can still erase their own copies. Returns the number of events changed."""
    changed = 0
    for row in transaction_state(connection).get(_PENDING, []):
        if row["tenant_id"] == tenant_id and row["member_id"] == member_id:
            scrubbed = _scrubbed(row["payload"])
            if scrubbed is not None:
                row["payload"] = scrubbed
                changed += 1
    stored = await connection.execute(
        select(events.c.sequence, events.c.payload).where(
            events.c.tenant_id == tenant_id, events.c.member_id == member_id
        )
    )
    for sequence, payload in stored.all():
        scrubbed = _scrubbed(bytes(payload))
        if scrubbed is not None:
            await connection.execute(
                update(events).where(events.c.sequence == sequence).values(payload=scrubbed)
            )
            changed += 1
    return changed


def _scrubbed(payload: bytes) -> bytes | None:
    """The payload without the member's personal fields; None when it has none."""
    event = subscription_pb2.Event.FromString(payload)
    who = event.member
    if not (who.loyalty_id or who.email or who.phone):
        return None
    event.member.CopyFrom(subscription_pb2.EventMember(member_id=who.member_id))
    return event.SerializeToString()


_INSERT_EVENTS = Prepared(  # every write's last statement: built once (storage/prepared.py)
    insert(events), insert_columns=("event_id", "tenant_id", "type", "member_id", "occurred_at", "payload")
)


# PostgreSQL: writers with events commit one at a time from here on (see COMMIT_ORDER_LOCK), and
# listeners hear of the commit (pg_notify is NOTIFY's function form). One statement, one round trip:
# the lock is taken (and waited for) when it runs and held to the commit, and the notice goes out
# only at the commit, so their order within it does not matter.
_COMMIT_ORDER_AND_NOTIFY = Prepared(
    select(
        func.pg_advisory_xact_lock(bindparam("lock_key", type_=BigInteger)).label("locked"),
        func.pg_notify(bindparam("channel"), "").label("notified"),
    )
)


async def _write_pending(connection: AsyncConnection) -> None:
    rows = transaction_state(connection).pop(_PENDING, [])
    assert rows, "the hook is registered with the first event"
    if connection.dialect.name == "postgresql":
        await _COMMIT_ORDER_AND_NOTIFY.rows(connection, lock_key=COMMIT_ORDER_LOCK, channel=NOTIFY_CHANNEL)
    await _INSERT_EVENTS.run_many(connection, rows)


def _notifier(engine: Engine) -> Callable[[], None]:
    def notify() -> None:
        for callback in list(_committed_listeners.get(engine, ())):
            callback()

    return notify
