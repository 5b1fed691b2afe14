"""The webhook relay's place in the outbox: one row of `outbox_cursors`, and its row lock.

The relay holds the lock while it turns events into deliveries and moves the cursor. Creating an
endpoint takes it too before it reads where the new endpoint starts (the latest event): on PostgreSQL,
where statements of one transaction see what others committed in between, a relay round could
otherwise read "no endpoint", then see an event committed after the endpoint read its start, and move
past it: an event the new endpoint was owed, never delivered.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.events.tables import outbox_cursors
from loyalty_server.storage.prepared import Prepared

RELAY_CURSOR = "webhook-relay"


async def lock_relay_cursor(connection: AsyncConnection) -> int:
    """The relay's cursor (the last sequence relayed), locked until the transaction ends."""
    row = await _LOCK_CURSOR.first(connection, name=RELAY_CURSOR)
    assert row is not None, "migration 0006 creates the relay cursor"
    return int(row["sequence"])


async def move_relay_cursor(connection: AsyncConnection, sequence: int) -> None:
    await _MOVE_CURSOR.run(connection, b_name=RELAY_CURSOR, b_sequence=sequence)


# Prepared (storage/prepared.py): while events flow, every relay round runs both (up to 20 a second).
_LOCK_CURSOR = Prepared(
    select(outbox_cursors.c.sequence).where(outbox_cursors.c.name == bindparam("name")).with_for_update()
)
_MOVE_CURSOR = Prepared(  # bind names other than the columns' (SQLAlchemy reserves those)
    update(outbox_cursors)
    .where(outbox_cursors.c.name == bindparam("b_name"))
    .values(sequence=bindparam("b_sequence"))
)
