"""Reading an endpoint's deliveries and their attempt log; sending one again; replaying failed ones.

A redelivery or replay keeps the delivery's message id (the webhook-id receivers dedupe on), makes
it due now, marks its next attempt as manual, and restarts its retry window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.schema import events
from loyalty_server.webhooks.dispatch import FAILED, PENDING
from loyalty_server.webhooks.endpoints import Endpoint, Owner, claim_owned, load_endpoint, record_owned
from loyalty_server.webhooks.tables import webhook_attempts, webhook_deliveries

REPLAY_MAX = 10_000  # deliveries one ReplayFailedWebhookDeliveries call queues again


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt_number: int
    trigger: str
    started_at: dt.datetime
    http_status: int
    latency_ms: int
    response_snippet: str
    error: str
    retry_after_s: int | None


@dataclass(frozen=True, slots=True)
class Delivery:
    pk: int
    delivery_id: str
    message_id: str
    endpoint_id: str
    event_id: str
    event_sequence: int
    event_type: str
    status: str
    attempt_count: int
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    attempts: tuple[Attempt, ...]  # oldest first; only the last one in lists


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    statuses: frozenset[str] = frozenset()
    event_types: frozenset[str] = frozenset()
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def fingerprint(self) -> str:
        """Canonical (the same in every process, unlike a frozenset's repr): binds page tokens and
        request fingerprints to the filter."""
        start = self.start.isoformat() if self.start else ""
        end = self.end.isoformat() if self.end else ""
        return repr((sorted(self.statuses), sorted(self.event_types), start, end))

    def apply(self, query: Select) -> Select:  # type: ignore[type-arg]
        d = webhook_deliveries.c
        if self.statuses:
            query = query.where(d.status.in_(sorted(self.statuses)))
        if self.event_types:
            query = query.where(d.event_type.in_(sorted(self.event_types)))
        if self.start is not None:
            query = query.where(d.created_at >= self.start)
        if self.end is not None:
            query = query.where(d.created_at < self.end)
        return query


def delivery_not_found(delivery_id: str) -> DomainError:
    return DomainError(
        ErrorKind.NOT_FOUND,
        "WEBHOOK_DELIVERY_NOT_FOUND",
        f"no webhook delivery {delivery_id}",
        metadata={"delivery_id": delivery_id},
    )


def endpoint_disabled(endpoint: Endpoint) -> DomainError:
    return DomainError(
        ErrorKind.FAILED_PRECONDITION,
        "ENDPOINT_DISABLED",
        f"endpoint {endpoint.endpoint_id} is disabled ({endpoint.disabled_reason}); enable it first",
        metadata={"endpoint_id": endpoint.endpoint_id, "disabled_reason": endpoint.disabled_reason},
    )


class Deliveries:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    async def list(
        self, owner: Owner, endpoint_id: str, only: DeliveryFilter, *, before_pk: int | None, limit: int
    ) -> list[Delivery]:
        """Newest first, older than `before_pk` (a page position); each with its last attempt."""
        d = webhook_deliveries.c
        async with self.engine.connect() as connection:
            endpoint = await load_endpoint(connection, owner, endpoint_id)
            query = only.apply(_with_event_id().where(d.endpoint_pk == endpoint.pk))
            if before_pk is not None:
                query = query.where(d.id < before_pk)
            rows = (await connection.execute(query.order_by(d.id.desc()).limit(limit))).mappings().all()
            last_attempts = await _last_attempts(connection, [row["id"] for row in rows])
        return [_delivery(row, endpoint, last_attempts.get(row["id"], ())) for row in rows]

    async def get(self, owner: Owner, endpoint_id: str, delivery_id: str) -> Delivery:
        async with self.engine.connect() as connection:
            endpoint = await load_endpoint(connection, owner, endpoint_id)
            row = await _delivery_row(connection, endpoint, delivery_id)
            attempts = await connection.execute(
                select(webhook_attempts)
                .where(webhook_attempts.c.delivery_pk == row["id"])
                .order_by(webhook_attempts.c.attempt_number)
            )
            return _delivery(row, endpoint, tuple(_attempt(a) for a in attempts.mappings()))

    async def redeliver(
        self, owner: Owner, endpoint_id: str, delivery_id: str, *, request_id: str
    ) -> Delivery:
        content = {"op": "redeliver", "endpoint_id": endpoint_id, "delivery_id": delivery_id}
        async with write_transaction(self.engine) as connection:
            replay = await claim_owned(
                connection, self.clock, owner, "webhook.redeliver", request_id, content
            )
            if replay is None:
                endpoint = await load_endpoint(connection, owner, endpoint_id)
                if not endpoint.enabled:
                    raise endpoint_disabled(endpoint)
                row = await _delivery_row(connection, endpoint, delivery_id, for_update=True)
                await connection.execute(
                    update(webhook_deliveries)
                    .where(webhook_deliveries.c.id == row["id"])
                    .values(**self._due_now())
                )
                await record_owned(connection, owner, "webhook.redeliver", request_id, {"queued": 1})
        return await self.get(owner, endpoint_id, delivery_id)

    async def replay_failed(
        self, owner: Owner, endpoint_id: str, only: DeliveryFilter, *, request_id: str
    ) -> int:
        """Queues the endpoint's FAILED deliveries in the range again, oldest first. Returns how many."""
        content = {"op": "replay", "endpoint_id": endpoint_id, "filter": only.fingerprint()}
        d = webhook_deliveries.c
        async with write_transaction(self.engine) as connection:
            replay = await claim_owned(connection, self.clock, owner, "webhook.replay", request_id, content)
            if replay is not None:
                return int(replay["queued"])
            endpoint = await load_endpoint(connection, owner, endpoint_id)
            if not endpoint.enabled:
                raise endpoint_disabled(endpoint)
            failed = DeliveryFilter(frozenset({FAILED}), only.event_types, only.start, only.end)
            query = (
                failed.apply(select(d.id).where(d.endpoint_pk == endpoint.pk))
                .order_by(d.id)
                .limit(REPLAY_MAX)
            )
            ids = [row.id for row in await connection.execute(query)]
            if ids:
                # The same due time for all: the sender takes ties in id order, i.e. oldest first.
                await connection.execute(
                    update(webhook_deliveries).where(d.id.in_(ids)).values(**self._due_now())
                )
            await record_owned(connection, owner, "webhook.replay", request_id, {"queued": len(ids)})
            return len(ids)

    def _due_now(self) -> dict[str, object]:
        now = self.clock.now()
        return {
            "status": PENDING,
            "next_attempt_at": now,
            "retry_started_at": now,
            "manual": True,
            "completed_at": None,
        }


def _with_event_id() -> Select:  # type: ignore[type-arg]
    """Deliveries with the id of the event each one carries."""
    return select(webhook_deliveries, events.c.event_id).join(
        events, events.c.sequence == webhook_deliveries.c.event_sequence
    )


async def _delivery_row(
    connection: AsyncConnection, endpoint: Endpoint, delivery_id: str, *, for_update: bool = False
) -> RowMapping:
    d = webhook_deliveries.c
    query = _with_event_id().where(d.endpoint_pk == endpoint.pk, d.delivery_id == delivery_id)
    if for_update:
        query = query.with_for_update(of=webhook_deliveries)
    row = (await connection.execute(query)).mappings().first()
    if row is None:
        raise delivery_not_found(delivery_id)
    return row


async def _last_attempts(
    connection: AsyncConnection, delivery_pks: Sequence[int]
) -> dict[int, tuple[Attempt]]:
    if not delivery_pks:
        return {}
    a = webhook_attempts.c
    rows = await connection.execute(
        select(webhook_attempts)
        .where(a.delivery_pk.in_(list(delivery_pks)))
        .order_by(a.delivery_pk, a.attempt_number)
    )
    last: dict[int, tuple[Attempt]] = {}
    for row in rows.mappings():
        last[row["delivery_pk"]] = (_attempt(row),)
    return last


def _delivery(row: RowMapping, endpoint: Endpoint, attempts: Sequence[Attempt]) -> Delivery:
    return Delivery(
        pk=row["id"],
        delivery_id=row["delivery_id"],
        message_id=row["message_id"],
        endpoint_id=endpoint.endpoint_id,
        event_id=row["event_id"],
        event_sequence=row["event_sequence"],
        event_type=row["event_type"],
        status=row["status"],
        attempt_count=row["attempt_count"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        completed_at=row["completed_at"],
        attempts=tuple(attempts),
    )


def _attempt(row: RowMapping) -> Attempt:
    return Attempt(
        attempt_number=row["attempt_number"],
        trigger=row["trigger"],
        started_at=row["started_at"],
        http_status=row["http_status"],
        latency_ms=row["latency_ms"],
        response_snippet=row["response_snippet"],
        error=row["error"],
        retry_after_s=row["retry_after_s"],
    )
