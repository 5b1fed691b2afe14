"""Following the outbox for one stream: the backlog after a cursor, then live events, with no gap and
no duplicate at the seam, and heartbeats while idle. No gRPC here: `send` is handed in.

The seam: the backlog is read straight from the database until it is nearly caught up; then the
stream subscribes to the hub (which has offered everything up to `subscription.start` to earlier
subscribers), reads the rest of the backlog up to that point, and continues from the buffer. Every
source is cut at the last sequence sent, so nothing is sent twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.events.feed import READ_BATCH_MAX, EventFilter, StoredEvent, latest_sequence, read_after
from loyalty_server.events.hub import EventHub, Subscription
from loyalty_server.events.tables import outbox_cursors

HEARTBEAT_DEFAULT_S = 15
HEARTBEAT_MIN_S = 5
HEARTBEAT_MAX_S = 300
RETENTION_CURSOR = "retention"
EVENTS_PER_MESSAGE_MAX = 1000
# Well below the gRPC message limit (4 MiB by default), whatever the events' sizes.
BATCH_PAYLOAD_BYTES_MAX = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Heartbeat:
    sequence: int  # a safe resume cursor: no matching event up to it was skipped


SendEvents = Callable[[list[StoredEvent]], Awaitable[None]]  # consecutive events, never empty
SendHeartbeat = Callable[[Heartbeat], Awaitable[None]]


def too_slow() -> DomainError:
    return DomainError(
        ErrorKind.RESOURCE_EXHAUSTED,
        "SUBSCRIBER_TOO_SLOW",
        "the stream fell too far behind; resume from the last sequence received",
    )


def shutting_down() -> DomainError:
    return DomainError(
        ErrorKind.UNAVAILABLE,
        "SERVER_SHUTTING_DOWN",
        "the server is shutting down; resume elsewhere from the last sequence received",
    )


def heartbeat_interval_s(requested: int) -> int:
    if requested == 0:
        return HEARTBEAT_DEFAULT_S
    if not HEARTBEAT_MIN_S <= requested <= HEARTBEAT_MAX_S:
        raise invalid_argument(
            "HEARTBEAT_INTERVAL_INVALID",
            f"heartbeat_interval_seconds must be {HEARTBEAT_MIN_S}-{HEARTBEAT_MAX_S}",
            FieldViolation("heartbeat_interval_seconds", f"{HEARTBEAT_MIN_S}-{HEARTBEAT_MAX_S}"),
        )
    return requested


def events_per_message(requested: int) -> int:
    """StreamEvents' max_events_per_message: 0 means 1 (one event per message, the default)."""
    if requested == 0:
        return 1
    if not 1 <= requested <= EVENTS_PER_MESSAGE_MAX:
        raise invalid_argument(
            "EVENTS_PER_MESSAGE_INVALID",
            f"max_events_per_message must be 0-{EVENTS_PER_MESSAGE_MAX}",
            FieldViolation("max_events_per_message", f"0-{EVENTS_PER_MESSAGE_MAX}"),
        )
    return requested


def message_batches(events: list[StoredEvent], per_message: int) -> Iterator[list[StoredEvent]]:
    """`events` in order, cut into runs of at most `per_message` events and about
    BATCH_PAYLOAD_BYTES_MAX bytes of payload (a run holds at least one event)."""
    assert per_message >= 1
    batch: list[StoredEvent] = []
    batch_bytes = 0
    for event in events:
        if batch and (
            len(batch) == per_message or batch_bytes + len(event.payload) > BATCH_PAYLOAD_BYTES_MAX
        ):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(event)
        batch_bytes += len(event.payload)
    if batch:
        yield batch


async def start_cursor(connection: AsyncConnection, after_sequence: int | None) -> int:
    """Where a stream starts: after `after_sequence`, or at the latest event (None: from now).

    OUT_OF_RANGE (CURSOR_EXPIRED) when retention has deleted events after the cursor;
    OUT_OF_RANGE (CURSOR_AHEAD) for a cursor past the latest event (another database's cursor).
    """
    latest = await latest_sequence(connection)
    if after_sequence is None:
        return latest
    if after_sequence < 0 or after_sequence > latest:
        raise DomainError(
            ErrorKind.OUT_OF_RANGE,
            "CURSOR_AHEAD",
            f"after_sequence {after_sequence} is not a sequence of this outbox (latest {latest})",
            metadata={"latest_sequence": str(latest)},
        )
    deleted_through = await pruned_through(connection)
    if after_sequence == 0:
        return deleted_through  # "from the oldest retained event"
    if after_sequence < deleted_through:
        raise cursor_expired(after_sequence, deleted_through)
    return after_sequence


def cursor_expired(after_sequence: int, deleted_through: int) -> DomainError:
    return DomainError(
        ErrorKind.OUT_OF_RANGE,
        "CURSOR_EXPIRED",
        f"events after {after_sequence} are past retention; resume after {deleted_through} or from now",
        metadata={"oldest_cursor": str(deleted_through)},
    )


async def pruned_through(connection: AsyncConnection) -> int:
    row = await connection.execute(
        select(outbox_cursors.c.sequence).where(outbox_cursors.c.name == RETENTION_CURSOR)
    )
    return int(row.scalar() or 0)


async def next_events(subscription: Subscription, timeout_s: float) -> list[StoredEvent]:
    """What arrived within `timeout_s` ([] when idle: time for a heartbeat). UNAVAILABLE when the
    server is shutting down; RESOURCE_EXHAUSTED when the buffer overflowed."""
    await subscription.wait(timeout_s)
    if subscription.closed:
        raise shutting_down()
    if subscription.overflowed:
        raise too_slow()
    return subscription.take()


class Follower:
    """One stream's position and its way from the backlog to live events."""

    def __init__(self, engine: AsyncEngine, hub: EventHub, only: EventFilter, after: int) -> None:
        self.engine = engine
        self.hub = hub
        self.only = only
        self.last_sent = after
        self.subscription: Subscription | None = None
        self._task: asyncio.Task[object] | None = None
        self._sending = False

    async def run(
        self,
        send_events: SendEvents,
        send_heartbeat: SendHeartbeat,
        *,
        heartbeat_s: float,
    ) -> None:
        """Send until the hub closes (UNAVAILABLE) or the buffer overflows (RESOURCE_EXHAUSTED)."""
        await self._catch_up(send_events, up_to=None)
        self.subscription = self.hub.subscribe(self.only)
        self.subscription.on_overflow = self._on_overflow
        self._task = asyncio.current_task()
        try:
            await self._catch_up(send_events, up_to=self.subscription.start)
            await self._follow(self.subscription, send_events, send_heartbeat, heartbeat_s)
        finally:
            self.hub.unsubscribe(self.subscription)

    async def _catch_up(self, send_events: SendEvents, *, up_to: int | None) -> None:
        while True:
            # A filtered catch-up may walk far along the outbox: off the loop (aiosqlite's thread).
            async with self.engine.connect() as connection:
                page = await read_after(connection, self.last_sent, up_to=up_to, only=self.only)
                # Retention may have run since the stream started: a gap must be an error, not silent.
                deleted_through = await pruned_through(connection)
            if self.last_sent < deleted_through:
                raise cursor_expired(self.last_sent, deleted_through)
            await self._send(page, send_events)
            if len(page) < READ_BATCH_MAX:
                return

    async def _follow(
        self,
        subscription: Subscription,
        send_events: SendEvents,
        send_heartbeat: SendHeartbeat,
        heartbeat_s: float,
    ) -> None:
        while True:
            arrived = await next_events(subscription, heartbeat_s)
            if not arrived:
                # Idle with an empty buffer: the hub has offered us everything up to its position.
                await self._guarded(send_heartbeat(Heartbeat(max(self.last_sent, self.hub.position))))
            await self._send(arrived, send_events)

    async def _send(self, events: list[StoredEvent], send_events: SendEvents) -> None:
        """Send what is new of `events` (in sequence order) at once: the sender decides how many go
        in one message."""
        new = [event for event in events if event.sequence > self.last_sent]
        if not new:
            return
        await self._guarded(send_events(new))
        self.last_sent = new[-1].sequence

    async def _guarded(self, sending: Awaitable[None]) -> None:
        """A send that a full buffer interrupts: a client that stopped reading blocks the write for
        ever, so the overflow cancels it and the stream ends with RESOURCE_EXHAUSTED."""
        self._sending = True
        try:
            await sending
        except asyncio.CancelledError:
            task = self._task
            if self.subscription is None or not self.subscription.overflowed or task is None:
                raise
            task.uncancel()
            raise too_slow() from None
        finally:
            self._sending = False

    def _on_overflow(self) -> None:
        if self._sending and self._task is not None:
            self._task.cancel()
