"""Deliveries due for an attempt: claimed under a lease, sent, and their outcome recorded.

A replica claims a due delivery by writing its name and a lease expiry on the row (PostgreSQL:
`FOR UPDATE SKIP LOCKED`, so replicas claim different rows; SQLite has one writer). Only the lease
holder records the outcome. A replica that dies mid-attempt leaves the lease to run out, and the
delivery is attempted again: at least once, always with the same webhook-id.

Outcomes: 2xx succeeds. 410 fails the delivery and disables the endpoint at once. Anything else is
retried on the backoff schedule (Retry-After honoured) until the retry window closes; an endpoint
whose every attempt has failed for `disable_after_s` is disabled. Disabling fails the endpoint's
pending deliveries and emits webhook_endpoint.disabled.

Once an outcome is committed, the worker's observer (the server's metrics) hears of it: how long
after its event a delivery succeeded, or the class of the failure (`FAILURE_REASONS`, bounded).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty.v1 import subscription_pb2
from loyalty_server.clock import Clock
from loyalty_server.events.feed import StoredEvent, TenantCodes
from loyalty_server.events.outbox import append_event
from loyalty_server.logs import log_event
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.schema import events
from loyalty_server.webhooks.backoff import RetryPolicy, next_attempt_at
from loyalty_server.webhooks.endpoints import FAILING, GONE, Endpoint, to_endpoint
from loyalty_server.webhooks.http_attempt import AttemptResult
from loyalty_server.webhooks.tables import webhook_attempts, webhook_deliveries, webhook_endpoints

logger = logging.getLogger("loyalty.webhooks")

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
AUTOMATIC, MANUAL_TRIGGER = "automatic", "manual"
DISABLED_REASONS = {
    GONE: subscription_pb2.WEBHOOK_DISABLED_REASON_GONE,
    FAILING: subscription_pb2.WEBHOOK_DISABLED_REASON_FAILING,
}
# Why an attempt failed, as a metric label: a few classes; the attempt log keeps the detail.
FAILURE_REASONS = ("timeout", "connection", "url_check", "gone", "http_4xx", "http_5xx", "http_other")
_URL_CHECK_ERROR = re.compile(r"^[A-Z][A-Z0-9_]*: ")  # http_attempt's "REASON: message" of a refused URL


class DeliveryObserver(Protocol):
    def delivered(self, lag_s: float) -> None: ...

    def failed(self, reason: str) -> None: ...


def failure_reason(result: AttemptResult) -> str:
    """The class of a failed attempt: no answer (timeout, connection, the URL check refused the
    target) or the answer's status (410 gone, other 4xx, 5xx, anything else not 2xx)."""
    assert not result.succeeded
    status = result.http_status
    if status == 0:
        if result.error.startswith("timeout"):
            return "timeout"
        return "url_check" if _URL_CHECK_ERROR.match(result.error) else "connection"
    if status == 410:
        return "gone"
    if 400 <= status < 500:
        return "http_4xx"
    if 500 <= status < 600:
        return "http_5xx"
    return "http_other"


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery this replica holds the lease on, with what the attempt needs."""

    delivery_pk: int
    message_id: str
    attempt_number: int
    trigger: str  # automatic | manual
    retry_started_at: dt.datetime
    endpoint: Endpoint
    event: StoredEvent
    tenant_code: str


@dataclass(frozen=True, slots=True)
class Rules:
    retry: RetryPolicy
    disable_after_s: float
    lease_s: float


async def claim_due(
    engine: AsyncEngine, clock: Clock, codes: TenantCodes, *, holder: str, lease_s: float, limit: int
) -> list[Claim]:
    assert limit > 0
    d, e = webhook_deliveries.c, webhook_endpoints.c
    async with write_transaction(engine) as connection:
        now = clock.now()
        due = (
            select(d.id, d.manual)
            .join(webhook_endpoints, e.id == d.endpoint_pk)
            .where(
                d.status == PENDING,
                d.next_attempt_at <= now,
                or_(d.lease_until.is_(None), d.lease_until < now),
                e.enabled.is_(True),
            )
            .order_by(d.next_attempt_at, d.id)
            .limit(limit)
        )
        if connection.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True, of=webhook_deliveries)
        manual_by_pk = {row.id: row.manual for row in await connection.execute(due)}
        if not manual_by_pk:
            return []
        await connection.execute(
            update(webhook_deliveries)
            .where(d.id.in_(list(manual_by_pk)))
            .values(lease_owner=holder, lease_until=now + dt.timedelta(seconds=lease_s), manual=False)
        )
        rows = await connection.execute(
            select(webhook_deliveries, webhook_endpoints, events)
            .join(webhook_endpoints, e.id == d.endpoint_pk)
            .join(events, events.c.sequence == d.event_sequence)
            .where(d.id.in_(list(manual_by_pk)))
            .order_by(d.next_attempt_at, d.id)
        )
        claims = []
        for row in rows:
            endpoint = to_endpoint(_endpoint_columns(row._mapping))
            claims.append(
                Claim(
                    delivery_pk=row._mapping[d.id],
                    message_id=row._mapping[d.message_id],
                    attempt_number=row._mapping[d.attempt_count] + 1,
                    trigger=MANUAL_TRIGGER if manual_by_pk[row._mapping[d.id]] else AUTOMATIC,
                    retry_started_at=row._mapping[d.retry_started_at],
                    endpoint=endpoint,
                    event=_event_columns(row._mapping),
                    tenant_code=await codes.code_of(connection, endpoint.tenant_id),
                )
            )
        return claims


def _event_columns(mapping: object) -> StoredEvent:
    c = events.c
    return StoredEvent(
        sequence=mapping[c.sequence],  # type: ignore[index]
        tenant_id=mapping[c.tenant_id],  # type: ignore[index]
        type_name=mapping[c.type],  # type: ignore[index]
        member_id=mapping[c.member_id],  # type: ignore[index]
        occurred_at=mapping[c.occurred_at],  # type: ignore[index]
        payload=bytes(mapping[c.payload]),  # type: ignore[index]
    )


def _endpoint_columns(mapping: object) -> dict[str, object]:
    """The endpoint's columns of a joined row, by name (deliveries have an `id` and `tenant_id` too)."""
    return {column.name: mapping[column] for column in webhook_endpoints.c}  # type: ignore[index]


async def record_outcome(
    engine: AsyncEngine,
    clock: Clock,
    claim: Claim,
    result: AttemptResult,
    rules: Rules,
    *,
    holder: str,
    rng: random.Random,
    observer: DeliveryObserver | None = None,
) -> bool:
    """Log the attempt and move the delivery on. False when the lease was lost (nothing written).
    `observer` hears of the outcome once it is committed."""
    d, e = webhook_deliveries.c, webhook_endpoints.c
    async with write_transaction(engine) as connection:
        # Lock order, everywhere: the endpoint, then its deliveries (disable and delete do the same).
        # NO KEY UPDATE lets the relay keep inserting deliveries that reference the endpoint.
        health = (
            await connection.execute(
                select(e.enabled, e.failing_since)
                .where(e.id == claim.endpoint.pk)
                .with_for_update(key_share=True)
            )
        ).first()
        row = (
            await connection.execute(
                select(d.lease_owner, d.manual, d.status).where(d.id == claim.delivery_pk).with_for_update()
            )
        ).first()
        if health is None or row is None or row.lease_owner != holder:
            log_event(
                logger,
                "webhook outcome dropped: lease lost or endpoint deleted",
                logging.WARNING,
                delivery=claim.delivery_pk,
            )
            return False
        now = clock.now()
        await _log_attempt(connection, claim, result)
        values = _next_state(claim, result, rules, now, redeliver_asked=row.manual, rng=rng)
        if row.status != PENDING and not result.succeeded:
            # Completed meanwhile (its endpoint was disabled): a failed attempt changes nothing.
            values = {key: values[key] for key in ("attempt_count", "lease_owner", "lease_until")}
        await connection.execute(update(webhook_deliveries).where(d.id == claim.delivery_pk).values(**values))
        await _track_health(connection, clock, claim.endpoint, health, result, rules, now)
    if observer is not None:
        _observe(observer, claim, result)
    return True


def _observe(observer: DeliveryObserver, claim: Claim, result: AttemptResult) -> None:
    if result.succeeded:
        # Delivered when the receiver answered: the attempt's start plus its latency.
        answered_at = result.started_at + dt.timedelta(milliseconds=result.latency_ms)
        observer.delivered((answered_at - claim.event.occurred_at).total_seconds())
    else:
        observer.failed(failure_reason(result))


async def _log_attempt(connection: AsyncConnection, claim: Claim, result: AttemptResult) -> None:
    await connection.execute(
        insert(webhook_attempts).values(
            tenant_id=claim.endpoint.tenant_id,
            delivery_pk=claim.delivery_pk,
            attempt_number=claim.attempt_number,
            trigger=claim.trigger,
            started_at=result.started_at,
            http_status=result.http_status,
            latency_ms=result.latency_ms,
            response_snippet=result.response_snippet,
            error=result.error[:300],
            retry_after_s=result.retry_after_s,
        )
    )


def _next_state(
    claim: Claim,
    result: AttemptResult,
    rules: Rules,
    now: dt.datetime,
    *,
    redeliver_asked: bool,
    rng: random.Random,
) -> dict[str, object]:
    values: dict[str, object] = {
        "attempt_count": claim.attempt_number,
        "lease_owner": None,
        "lease_until": None,
    }
    if redeliver_asked:  # RedeliverWebhookDelivery came in while this attempt was in flight
        return values | {"status": PENDING, "next_attempt_at": now}
    if result.succeeded:
        return values | {"status": SUCCEEDED, "next_attempt_at": None, "completed_at": now}
    if result.http_status == 410:
        return values | {"status": FAILED, "next_attempt_at": None, "completed_at": now}
    retry_at = next_attempt_at(
        rules.retry,
        retry_started_at=claim.retry_started_at,
        now=now,
        attempts_made=claim.attempt_number,
        retry_after_s=result.retry_after_s,
        rng=rng,
    )
    if retry_at is None:
        return values | {"status": FAILED, "next_attempt_at": None, "completed_at": now}
    return values | {"status": PENDING, "next_attempt_at": retry_at}


async def _track_health(
    connection: AsyncConnection,
    clock: Clock,
    endpoint: Endpoint,
    current: Row,  # type: ignore[type-arg]
    result: AttemptResult,
    rules: Rules,
    now: dt.datetime,
) -> None:
    """`current`: the endpoint's enabled and failing_since, read under its lock."""
    e = webhook_endpoints.c
    if result.succeeded:
        if current.failing_since is not None:
            await connection.execute(
                update(webhook_endpoints).where(e.id == endpoint.pk).values(failing_since=None)
            )
        return
    if not current.enabled:
        return
    if result.http_status == 410:
        await disable_endpoint(connection, clock, endpoint, GONE, now)
    elif current.failing_since is None:
        await connection.execute(
            update(webhook_endpoints).where(e.id == endpoint.pk).values(failing_since=now)
        )
    elif (now - current.failing_since).total_seconds() >= rules.disable_after_s:
        await disable_endpoint(connection, clock, endpoint, FAILING, now)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


async def disable_endpoint(
    connection: AsyncConnection, clock: Clock, endpoint: Endpoint, reason: str, now: dt.datetime
) -> None:
    """Stop delivering: pending deliveries fail (ReplayFailedWebhookDeliveries brings them back)
    and webhook_endpoint.disabled tells the tenant's other endpoints and streams."""
    e, d = webhook_endpoints.c, webhook_deliveries.c
    await connection.execute(
        update(webhook_endpoints)
        .where(e.id == endpoint.pk)
        .values(enabled=False, disabled_reason=reason, disabled_at=now, updated_at=now, version=e.version + 1)
    )
    await connection.execute(
        update(webhook_deliveries)
        .where(d.endpoint_pk == endpoint.pk, d.status == PENDING)
        .values(status=FAILED, next_attempt_at=None, completed_at=now)
    )
    event = subscription_pb2.Event(type=subscription_pb2.EVENT_TYPE_WEBHOOK_ENDPOINT_DISABLED)
    event.webhook_endpoint_disabled.endpoint_id = endpoint.endpoint_id
    # Scheme and host only: receivers often carry their token in the path or the query.
    event.webhook_endpoint_disabled.url = _origin(endpoint.url)
    event.webhook_endpoint_disabled.reason = DISABLED_REASONS[reason]
    await append_event(connection, clock, tenant_id=endpoint.tenant_id, event=event)
    log_event(
        logger, "webhook endpoint disabled", logging.WARNING, endpoint=endpoint.endpoint_id, reason=reason
    )
