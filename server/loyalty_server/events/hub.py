"""The event hub: one reader of the outbox per process, fanning new events out to live subscribers.

Writers never touch subscribers: they commit, and the hub reads what was committed. It wakes when a
transaction of this process commits events, when PostgreSQL notifies a commit on another replica,
and at the latest every `poll_interval_s` (other processes on SQLite, a lost notification).

Each subscription has a bounded buffer. A subscriber that falls `buffer_max` events behind is cut
off (its `overflowed` flag and callback) rather than slowing the hub, the writers or anyone else;
it resumes from the last sequence it processed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.events.feed import EventFilter, StoredEvent, latest_sequence, read_after
from loyalty_server.events.outbox import NOTIFY_CHANNEL, on_events_committed
from loyalty_server.logs import log_event
from loyalty_server.storage.sqlite_loop import read_connection
from loyalty_server.tasks import being_cancelled

logger = logging.getLogger("loyalty.events")

SUBSCRIBERS_MAX = 10_000  # per process; beyond it new subscriptions are refused


class Subscription:
    """A live subscriber's buffer: events with sequence > `start`, matching `only`, in order."""

    def __init__(self, only: EventFilter, start: int, buffer_max: int) -> None:
        assert buffer_max > 0
        self.only = only
        self.start = start  # the hub had dispatched everything up to here when this was created
        self.buffer_max = buffer_max
        self.overflowed = False
        self.closed = False  # the server is shutting down
        self.on_overflow: Callable[[], None] | None = None  # e.g. cancel the task blocked on a write
        self._buffer: collections.deque[StoredEvent] = collections.deque()
        self._ready = asyncio.Event()

    def offer(self, event: StoredEvent) -> None:
        if self.overflowed or not self.only.matches(event):
            return
        if len(self._buffer) >= self.buffer_max:
            self.overflowed = True
            self._buffer.clear()
            self._ready.set()
            if self.on_overflow is not None:
                self.on_overflow()
            return
        self._buffer.append(event)
        self._ready.set()

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    def take(self) -> list[StoredEvent]:
        """Everything buffered now (possibly nothing)."""
        taken = list(self._buffer)
        self._buffer.clear()
        self._ready.clear()
        return taken

    async def wait(self, timeout_s: float) -> bool:
        """True when something arrived (or the buffer overflowed) within `timeout_s`."""
        if self._buffer or self.overflowed or self.closed:
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._ready.wait()
        return bool(self._buffer) or self.overflowed or self.closed


class EventHub:
    def __init__(self, engine: AsyncEngine, *, poll_interval_s: float, buffer_max: int) -> None:
        assert poll_interval_s > 0
        assert buffer_max > 0
        self.engine = engine
        self.poll_interval_s = poll_interval_s
        self.buffer_max = buffer_max
        self.position = 0  # every event up to here has been offered to the subscribers of the time
        self._subscribers: set[Subscription] = set()
        self._closed = False
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listen_task: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[], None]] = []  # told whenever new events were read
        self._undo_hook: Callable[[], None] | None = None

    async def start(self) -> None:
        assert self._task is None, "hub already started"
        async with self.engine.connect() as connection:
            self.position = await latest_sequence(connection)
        self._undo_hook = on_events_committed(self.engine.sync_engine, self.wake)
        self._task = asyncio.create_task(self._run(), name="event-hub")
        if self.engine.dialect.name == "postgresql":
            self._listen_task = asyncio.create_task(self._listen(), name="event-hub-listen")

    async def stop(self) -> None:
        if self._undo_hook is not None:
            self._undo_hook()
            self._undo_hook = None
        for task in (self._task, self._listen_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._task = self._listen_task = None

    def close_all(self) -> None:
        """Shutting down: every stream ends (UNAVAILABLE) and its client resumes elsewhere."""
        self._closed = True
        for subscription in self._subscribers:
            subscription.close()

    def wake(self) -> None:
        self._wake.set()

    def add_listener(self, callback: Callable[[], None]) -> None:
        """`callback()` after each read that found new events (the webhook relay's doorbell)."""
        self._listeners.append(callback)

    def subscribe(self, only: EventFilter) -> Subscription:
        if len(self._subscribers) >= SUBSCRIBERS_MAX:
            raise DomainError(
                ErrorKind.RESOURCE_EXHAUSTED,
                "TOO_MANY_SUBSCRIBERS",
                "this server has no room for more streams",
            )
        subscription = Subscription(only, self.position, self.buffer_max)
        if self._closed:
            subscription.close()
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval_s):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self._read_new()
            except Exception as exc:  # the database may be away for a while: keep trying
                if being_cancelled():
                    raise
                log_event(logger, "event hub read failed", logging.WARNING, error=type(exc).__name__)
                await asyncio.sleep(self.poll_interval_s)

    async def _listen(self) -> None:
        """PostgreSQL: LISTEN on a connection of its own, so a commit on any replica wakes us at once."""
        while True:
            try:
                await self._listen_until_lost()
            except Exception as exc:  # polling covers the gap; listen again in a moment
                if being_cancelled():
                    raise
                log_event(logger, "event hub listen failed", logging.WARNING, error=type(exc).__name__)
            await asyncio.sleep(1.0)

    async def _listen_until_lost(self) -> None:
        lost = asyncio.Event()

        def notified(*_args: object) -> None:
            self.wake()

        def terminated(*_args: object) -> None:
            lost.set()

        async with self.engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            driver.add_termination_listener(terminated)
            await driver.add_listener(NOTIFY_CHANNEL, notified)
            try:
                await lost.wait()
            finally:
                driver.remove_termination_listener(terminated)
                if not driver.is_closed():
                    await driver.remove_listener(NOTIFY_CHANNEL, notified)

    async def _read_new(self) -> None:
        found = False
        while True:
            async with read_connection(self.engine) as connection:  # after every commit: on the loop
                if not self._subscribers:
                    # Nobody to offer payloads to: only move the position (new subscribers start there).
                    latest = await latest_sequence(connection)
                    if not self._subscribers:  # one that came meanwhile starts at the old position
                        found = found or latest > self.position
                        self.position = max(self.position, latest)
                        break
                batch = await read_after(connection, self.position)
            if not batch:
                break
            found = True
            for event in batch:
                for subscription in tuple(self._subscribers):
                    subscription.offer(event)
            self.position = batch[-1].sequence
        if found:
            for listener in self._listeners:
                listener()
