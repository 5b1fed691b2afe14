"""Following the outbox for one stream: the backlog after a cursor, then live events, with no gap and
no duplicate at the seam, and heartbeats while idle. No gRPC here: `send` is handed in.

The seam: the backlog is read straight from the database until it is nearly caught up; then the
stream subscribes to the hub (which has offered everything up to `subscription.start` to earlier
subscribers), reads the rest of the backlog up to that point, and continues from the buffer. Every
source is cut at the last sequence sent, so nothing is sent twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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


@dataclass(frozen=True, slots=True)
class Heartbeat:
    sequence: int  # a safe resume cursor: no matching event up to it was skipped


SendEvent = Callable[[StoredEvent], Awaitable[None]]
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
        send_event: SendEvent,
        send_heartbeat: SendHeartbeat,
        *,
        heartbeat_s: float,
    ) -> None:
        """Send until the hub closes (UNAVAILABLE) or the buffer overflows (RESOURCE_EXHAUSTED)."""
        await self._catch_up(send_event, up_to=None)
        self.subscription = self.hub.subscribe(self.only)
        self.subscription.on_overflow = self._on_overflow
        self._task = asyncio.current_task()
        try:
            await self._catch_up(send_event, up_to=self.subscription.start)
            await self._follow(self.subscription, send_event, send_heartbeat, heartbeat_s)
        finally:
            self.hub.unsubscribe(self.subscription)

    async def _catch_up(self, send_event: SendEvent, *, up_to: int | None) -> None:
        while True:
            async with self.engine.connect() as connection:
                page = await read_after(connection, self.last_sent, up_to=up_to, only=self.only)
                # Retention may have run since the stream started: a gap must be an error, not silent.
                deleted_through = await pruned_through(connection)
            if self.last_sent < deleted_through:
                raise cursor_expired(self.last_sent, deleted_through)
            for event in page:
                await self._send(event, send_event)
            if len(page) < READ_BATCH_MAX:
                return

    async def _follow(
        self,
        subscription: Subscription,
        send_event: SendEvent,
        send_heartbeat: SendHeartbeat,
        heartbeat_s: float,
    ) -> None:
        while True:
            arrived = await next_events(subscription, heartbeat_s)
            if not arrived:
                # Idle with an empty buffer: the hub has offered us everything up to its position.
                await self._guarded(send_heartbeat(Heartbeat(max(self.last_sent, self.hub.position))))
            for event in arrived:
                await self._send(event, send_event)

    async def _send(self, event: StoredEvent, send_event: SendEvent) -> None:
        if event.sequence <= self.last_sent:
            return
        await self._guarded(send_event(event))
        self.last_sent = event.sequence

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
