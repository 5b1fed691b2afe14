"""Outbox retention: events older than `event_retention_days` are deleted, oldest first, with their
webhook deliveries and attempts. The highest deleted sequence is kept (`outbox_cursors`
"retention"): a stream resuming from an older cursor gets CURSOR_EXPIRED instead of a silent gap.

The newest event is never deleted: SQLite would otherwise hand its sequence out again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.clock import Clock
from loyalty_server.events.feed import latest_sequence
from loyalty_server.events.follow import RETENTION_CURSOR
from loyalty_server.events.tables import outbox_cursors
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.schema import events
from loyalty_server.webhooks.relay_cursor import RELAY_CURSOR
from loyalty_server.webhooks.tables import webhook_attempts, webhook_deliveries

PRUNE_BATCH_MAX = 5000  # events per transaction


async def prune_events(engine: AsyncEngine, clock: Clock, *, retention_days: int) -> int:
    """Delete every event past retention, a batch per transaction. Returns how many."""
    assert retention_days > 0
    cutoff = clock.now() - dt.timedelta(days=retention_days)
    deleted = 0
    while (count := await _prune_batch(engine, cutoff)) > 0:
        deleted += count
    return deleted


async def _prune_batch(engine: AsyncEngine, cutoff: dt.datetime) -> int:
    async with write_transaction(engine) as connection:
        # The cursor row lock makes replicas take turns.
        await connection.execute(
            select(outbox_cursors.c.sequence)
            .where(outbox_cursors.c.name == RETENTION_CURSOR)
            .with_for_update()
        )
        latest = await latest_sequence(connection)
        # Never past the webhook relay: an event not yet turned into deliveries is still needed.
        relayed = (
            await connection.execute(
                select(outbox_cursors.c.sequence).where(outbox_cursors.c.name == RELAY_CURSOR)
            )
        ).scalar_one()
        oldest = (
            select(events.c.sequence)
            .where(events.c.occurred_at < cutoff, events.c.sequence < latest, events.c.sequence <= relayed)
            .order_by(events.c.sequence)
            .limit(PRUNE_BATCH_MAX)
            .subquery()
        )
        through = (await connection.execute(select(func.max(oldest.c.sequence)))).scalar()
        if through is None:
            return 0
        deliveries = select(webhook_deliveries.c.id).where(webhook_deliveries.c.event_sequence <= through)
        await connection.execute(
            delete(webhook_attempts).where(webhook_attempts.c.delivery_pk.in_(deliveries))
        )
        await connection.execute(
            delete(webhook_deliveries).where(webhook_deliveries.c.event_sequence <= through)
        )
        result = await connection.execute(delete(events).where(events.c.sequence <= through))
        await connection.execute(
            update(outbox_cursors).where(outbox_cursors.c.name == RETENTION_CURSOR).values(sequence=through)
        )
        return int(result.rowcount)
