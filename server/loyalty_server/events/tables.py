"""Positions in the outbox that survive restarts and are shared by replicas.

`webhook-relay`: the last event the relay has turned into webhook deliveries.
`retention`: the last sequence the retention job has deleted (older cursors have expired).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from loyalty_server.storage.schema import metadata

outbox_cursors = Table(
    "outbox_cursors",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("sequence", BigInteger, nullable=False),
)
