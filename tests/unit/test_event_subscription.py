"""The pieces of live streaming that need no database: filters, a subscription's bounded buffer,
and the request checks."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from loyalty.v1 import subscription_pb2
from loyalty_server.errors import DomainError
from loyalty_server.events.feed import EventFilter, StoredEvent
from loyalty_server.events.follow import (
    BATCH_PAYLOAD_BYTES_MAX,
    events_per_message,
    heartbeat_interval_s,
    message_batches,
)
from loyalty_server.events.hub import Subscription
from loyalty_server.events.rpc.base import type_names

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


def event(
    sequence: int, *, tenant: int = 1, type_name: str = "points.earned", member: str | None = "m1"
) -> StoredEvent:
    return StoredEvent(sequence, tenant, type_name, member, NOW, b"")


def test_a_filter_keeps_to_its_tenant_types_and_member() -> None:
    only = EventFilter(1, frozenset({"points.earned"}), "m1")
    assert only.matches(event(1))
    assert not only.matches(event(2, tenant=2))
    assert not only.matches(event(3, type_name="tier.upgraded"))
    assert not only.matches(event(4, member="m2"))
    assert not only.matches(event(5, member=None))
    everything = EventFilter(1)
    assert everything.matches(event(6, type_name="webhook_endpoint.disabled", member=None))
    assert not everything.matches(event(7, tenant=2))


async def test_a_subscription_buffers_in_order_and_skips_what_does_not_match() -> None:
    subscription = Subscription(EventFilter(1), start=10, buffer_max=3)
    for sequence in (11, 12):
        subscription.offer(event(sequence))
    subscription.offer(event(13, tenant=2))
    assert await subscription.wait(0.01)
    assert [e.sequence for e in subscription.take()] == [11, 12]
    assert subscription.take() == []
    assert not await subscription.wait(0.01)  # idle: time for a heartbeat


async def test_a_full_buffer_overflows_once_and_calls_back() -> None:
    calls: list[int] = []
    subscription = Subscription(EventFilter(1), start=0, buffer_max=2)
    subscription.on_overflow = lambda: calls.append(1)
    for sequence in range(1, 6):
        subscription.offer(event(sequence))
    assert subscription.overflowed
    assert calls == [1], "the consumer is told once"
    assert subscription.take() == [], "nothing half-delivered after an overflow"
    assert await subscription.wait(0.01)


async def test_closing_wakes_a_waiting_subscriber() -> None:
    subscription = Subscription(EventFilter(1), start=0, buffer_max=2)
    waiting = asyncio.create_task(subscription.wait(10))
    await asyncio.sleep(0)
    subscription.close()
    assert await waiting
    assert subscription.closed


@pytest.mark.parametrize(("requested", "expected"), [(0, 15), (5, 5), (300, 300)])
def test_heartbeat_interval_defaults_and_bounds(requested: int, expected: int) -> None:
    assert heartbeat_interval_s(requested) == expected


@pytest.mark.parametrize("requested", [-1, 4, 301])
def test_heartbeat_interval_out_of_range(requested: int) -> None:
    with pytest.raises(DomainError) as refused:
        heartbeat_interval_s(requested)
    assert refused.value.reason == "HEARTBEAT_INTERVAL_INVALID"


@pytest.mark.parametrize(("requested", "expected"), [(0, 1), (1, 1), (2, 2), (1000, 1000)])
def test_events_per_message_defaults_and_bounds(requested: int, expected: int) -> None:
    assert events_per_message(requested) == expected


@pytest.mark.parametrize("requested", [-1, 1001])
def test_events_per_message_out_of_range(requested: int) -> None:
    with pytest.raises(DomainError) as refused:
        events_per_message(requested)
    assert refused.value.reason == "EVENTS_PER_MESSAGE_INVALID"


def test_message_batches_keep_order_and_both_bounds() -> None:
    events = [event(n) for n in range(1, 8)]
    assert [[e.sequence for e in b] for b in message_batches(events, 3)] == [[1, 2, 3], [4, 5, 6], [7]]
    assert [len(b) for b in message_batches(events, 1)] == [1] * 7
    assert list(message_batches([], 5)) == []
    big = [
        StoredEvent(n, 1, "points.earned", "m1", NOW, b"x" * (BATCH_PAYLOAD_BYTES_MAX // 2))
        for n in (1, 2, 3)
    ]
    # Two halves fill a message; the third starts the next, and one oversized event still goes alone.
    assert [[e.sequence for e in b] for b in message_batches(big, 100)] == [[1, 2], [3]]
    huge = [StoredEvent(1, 1, "points.earned", "m1", NOW, b"x" * (BATCH_PAYLOAD_BYTES_MAX + 1)), event(2)]
    assert [[e.sequence for e in b] for b in message_batches(huge, 100)] == [[1], [2]]


def test_event_type_filters() -> None:
    T = subscription_pb2.EventType
    assert type_names([]) == frozenset()
    assert type_names([T.EVENT_TYPE_UNSPECIFIED]) == frozenset()
    assert type_names([T.EVENT_TYPE_TIER_UPGRADED, T.EVENT_TYPE_POINTS_EARNED]) == {
        "tier.upgraded",
        "points.earned",
    }
    with pytest.raises(DomainError) as unknown:
        type_names([999])
    assert unknown.value.reason == "EVENT_TYPE_INVALID"
    with pytest.raises(DomainError) as too_many:
        type_names([T.EVENT_TYPE_POINTS_EARNED] * 65)
    assert too_many.value.reason == "EVENT_TYPES_TOO_MANY"
