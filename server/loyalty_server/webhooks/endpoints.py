"""Webhook endpoints: register, read, list, change, delete, and rotate their signing secrets.

An endpoint belongs to a tenant and, when a partner registered it, to that partner client (it then
receives only events of members granted to the partner, and only the partner can see it). Admins
and internal services see every endpoint of their tenant. Another owner's endpoint is simply not
found. Secrets are shown once, at creation and rotation, and stored sealed (sealing.py).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.events.feed import latest_sequence
from loyalty_server.ledger import idempotency
from loyalty_server.storage.engine import write_transaction
from loyalty_server.webhooks.relay_cursor import lock_relay_cursor
from loyalty_server.webhooks.sealing import SecretBox
from loyalty_server.webhooks.signing import new_secret
from loyalty_server.webhooks.tables import (
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_secrets,
)
from loyalty_server.webhooks.urls import UrlPolicy, check_url

ENDPOINTS_PER_TENANT_MAX = 100
DESCRIPTION_CHARS_MAX = 1000
ROTATION_TTL_DEFAULT_S = 86_400
ROTATION_TTL_MAX_S = 7 * 86_400
MANUAL, GONE, FAILING = "manual", "gone", "failing"


@dataclass(frozen=True, slots=True)
class Owner:
    """Who acts on endpoints: a tenant, and the partner client when a partner does."""

    tenant_id: int
    client_id: str = ""  # "" for admins and internal services: they reach every endpoint


@dataclass(frozen=True, slots=True)
class Endpoint:
    pk: int
    endpoint_id: str
    tenant_id: int
    owner_client_id: str
    url: str
    event_types: tuple[str, ...]  # dotted names; empty = every type
    description: str
    enabled: bool
    disabled_reason: str  # "" | manual | gone | failing
    disabled_at: dt.datetime | None
    failing_since: dt.datetime | None
    start_sequence: int
    secret_rotated_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


@dataclass(frozen=True, slots=True)
class EndpointChange:
    """UpdateWebhookEndpoint: only the fields named in the mask are set."""

    url: str | None = None
    event_types: tuple[str, ...] | None = None
    description: str | None = None
    enabled: bool | None = None


def to_endpoint(row: RowMapping) -> Endpoint:
    return Endpoint(
        pk=row["id"],
        endpoint_id=row["endpoint_id"],
        tenant_id=row["tenant_id"],
        owner_client_id=row["owner_client_id"],
        url=row["url"],
        event_types=tuple(json.loads(row["event_types"])),
        description=row["description"],
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        disabled_at=row["disabled_at"],
        failing_since=row["failing_since"],
        start_sequence=row["start_sequence"],
        secret_rotated_at=row["secret_rotated_at"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def not_found(endpoint_id: str) -> DomainError:
    return DomainError(
        ErrorKind.NOT_FOUND,
        "WEBHOOK_ENDPOINT_NOT_FOUND",
        f"no webhook endpoint {endpoint_id}",
        metadata={"endpoint_id": endpoint_id},
    )


async def load_endpoint(
    connection: AsyncConnection, owner: Owner, endpoint_id: str, *, for_update: bool = False
) -> Endpoint:
    """The endpoint if `owner` may reach it; NOT_FOUND otherwise (another tenant's or partner's)."""
    query = select(webhook_endpoints).where(
        webhook_endpoints.c.tenant_id == owner.tenant_id, webhook_endpoints.c.endpoint_id == endpoint_id
    )
    if owner.client_id:
        query = query.where(webhook_endpoints.c.owner_client_id == owner.client_id)
    if for_update:
        query = query.with_for_update()
    row = (await connection.execute(query)).mappings().first()
    if row is None:
        raise not_found(endpoint_id)
    return to_endpoint(row)


async def current_secrets(
    connection: AsyncConnection, box: SecretBox, endpoint: Endpoint, now: dt.datetime
) -> list[str]:
    """The secrets that sign now: the current one first, then a rotated one still in its window."""
    rows = await connection.execute(
        select(webhook_secrets.c.sealed_secret, webhook_secrets.c.expires_at)
        .where(webhook_secrets.c.endpoint_pk == endpoint.pk)
        .order_by(webhook_secrets.c.id.desc())
    )
    return [
        box.unseal(bytes(row.sealed_secret), endpoint_id=endpoint.endpoint_id)
        for row in rows
        if row.expires_at is None or row.expires_at > now
    ]


async def claim_owned(
    connection: AsyncConnection,
    clock: Clock,
    owner: Owner,
    scope: str,
    request_id: str,
    content: dict[str, object],
) -> dict[str, str] | None:
    """idempotency.claim with the key scoped by owner: a partner's keys are its own, so two partners
    (or a partner and the tenant's admins) cannot collide. Pair it with `record_owned`."""
    return await idempotency.claim(
        connection,
        clock,
        tenant_id=owner.tenant_id,
        scope=f"{scope}:{owner.client_id}",
        key=request_id,
        content=content,
    )


async def record_owned(
    connection: AsyncConnection, owner: Owner, scope: str, request_id: str, result: dict[str, object]
) -> None:
    await idempotency.record(
        connection,
        tenant_id=owner.tenant_id,
        scope=f"{scope}:{owner.client_id}",
        key=request_id,
        result=result,
    )


class Endpoints:
    def __init__(self, engine: AsyncEngine, clock: Clock, box: SecretBox, url_policy: UrlPolicy) -> None:
        self.engine = engine
        self.clock = clock
        self.box = box
        self.url_policy = url_policy

    async def create(
        self,
        owner: Owner,
        *,
        url: str,
        event_types: Sequence[str],
        description: str,
        enabled: bool,
        request_id: str,
    ) -> tuple[Endpoint, str]:
        """The new endpoint and its secret; a replay returns the endpoint and "" (shown once)."""
        await check_url(url, self.url_policy)
        _check_description(description)
        content = {"op": "create", "url": url, "types": sorted(event_types), "description": description}
        content |= {"enabled": enabled, "owner": owner.client_id}
        async with write_transaction(self.engine) as connection:
            replay = await claim_owned(
                connection, self.clock, owner, "webhook.endpoint.create", request_id, content
            )
            if replay is not None:
                return await load_endpoint(connection, owner, replay["endpoint_id"]), ""
            await _check_room(connection, owner.tenant_id)
            await lock_relay_cursor(connection)  # a relay round sees all of this or none (relay_cursor.py)
            now = self.clock.now()
            endpoint_id = f"we_{uuid.uuid4().hex}"
            await connection.execute(
                insert(webhook_endpoints).values(
                    endpoint_id=endpoint_id,
                    tenant_id=owner.tenant_id,
                    owner_client_id=owner.client_id,
                    url=url,
                    event_types=json.dumps(sorted(set(event_types))),
                    description=description,
                    enabled=enabled,
                    disabled_reason="" if enabled else MANUAL,
                    disabled_at=None if enabled else now,
                    start_sequence=await latest_sequence(connection),
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            secret = new_secret()
            endpoint = await load_endpoint(connection, owner, endpoint_id)
            await self._add_secret(connection, endpoint, secret, now)
            await record_owned(
                connection, owner, "webhook.endpoint.create", request_id, {"endpoint_id": endpoint_id}
            )
            return endpoint, secret

    async def get(self, owner: Owner, endpoint_id: str) -> Endpoint:
        async with self.engine.connect() as connection:
            return await load_endpoint(connection, owner, endpoint_id)

    async def list(self, owner: Owner, *, after_pk: int, limit: int) -> list[Endpoint]:
        """Oldest first, after the endpoint with primary key `after_pk`; at most `limit`."""
        query = (
            select(webhook_endpoints)
            .where(webhook_endpoints.c.tenant_id == owner.tenant_id, webhook_endpoints.c.id > after_pk)
            .order_by(webhook_endpoints.c.id)
            .limit(limit)
        )
        if owner.client_id:
            query = query.where(webhook_endpoints.c.owner_client_id == owner.client_id)
        async with self.engine.connect() as connection:
            return [to_endpoint(row) for row in (await connection.execute(query)).mappings()]

    async def update(
        self, owner: Owner, endpoint_id: str, change: EndpointChange, *, etag: str, request_id: str
    ) -> Endpoint:
        if change.url is not None:
            await check_url(change.url, self.url_policy)
        if change.description is not None:
            _check_description(change.description)
        types = None if change.event_types is None else sorted(change.event_types)
        content = {
            "op": "update",
            "endpoint_id": endpoint_id,
            "etag": etag,
            "url": change.url,
            "types": types,
        }
        content |= {"description": change.description, "enabled": change.enabled}
        async with write_transaction(self.engine) as connection:
            replay = await claim_owned(
                connection, self.clock, owner, "webhook.endpoint.update", request_id, content
            )
            if replay is None:
                endpoint = await load_endpoint(connection, owner, endpoint_id, for_update=True)
                if etag and etag != endpoint.etag:
                    raise DomainError(
                        ErrorKind.ABORTED,
                        "ETAG_MISMATCH",
                        "the endpoint changed since it was read; read it again",
                        metadata={"etag": endpoint.etag},
                    )
                values = _changed_values(endpoint, change, self.clock.now())
                await connection.execute(
                    update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint.pk).values(**values)
                )
                await record_owned(
                    connection, owner, "webhook.endpoint.update", request_id, {"endpoint_id": endpoint_id}
                )
            return await load_endpoint(connection, owner, endpoint_id)

    async def delete(self, owner: Owner, endpoint_id: str, *, request_id: str) -> None:
        """Deletes the endpoint with its secrets, deliveries and attempts (pending ones are dropped)."""
        async with write_transaction(self.engine) as connection:
            if request_id:
                content = {"op": "delete", "endpoint_id": endpoint_id}
                replay = await claim_owned(
                    connection, self.clock, owner, "webhook.endpoint.delete", request_id, content
                )
                if replay is not None:
                    return
            endpoint = await load_endpoint(connection, owner, endpoint_id, for_update=True)
            deliveries = select(webhook_deliveries.c.id).where(
                webhook_deliveries.c.endpoint_pk == endpoint.pk
            )
            await connection.execute(
                delete(webhook_attempts).where(webhook_attempts.c.delivery_pk.in_(deliveries))
            )
            await connection.execute(
                delete(webhook_deliveries).where(webhook_deliveries.c.endpoint_pk == endpoint.pk)
            )
            await connection.execute(
                delete(webhook_secrets).where(webhook_secrets.c.endpoint_pk == endpoint.pk)
            )
            await connection.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint.pk))
            if request_id:
                await record_owned(
                    connection, owner, "webhook.endpoint.delete", request_id, {"endpoint_id": endpoint_id}
                )

    async def rotate_secret(
        self, owner: Owner, endpoint_id: str, *, previous_ttl_s: int | None, request_id: str
    ) -> tuple[Endpoint, str, dt.datetime]:
        """A new current secret; the previous one keeps signing for `previous_ttl_s`. A replay
        returns "" for the secret (it is shown once)."""
        ttl_s = ROTATION_TTL_DEFAULT_S if previous_ttl_s is None else previous_ttl_s
        if not 0 <= ttl_s <= ROTATION_TTL_MAX_S:
            raise invalid_argument(
                "ROTATION_TTL_INVALID",
                f"previous_secret_ttl_seconds must be 0-{ROTATION_TTL_MAX_S}",
                FieldViolation("previous_secret_ttl_seconds", f"0-{ROTATION_TTL_MAX_S}"),
            )
        content = {"op": "rotate", "endpoint_id": endpoint_id, "ttl_s": ttl_s}
        async with write_transaction(self.engine) as connection:
            replay = await claim_owned(
                connection, self.clock, owner, "webhook.endpoint.rotate", request_id, content
            )
            if replay is not None:
                endpoint = await load_endpoint(connection, owner, endpoint_id)
                return endpoint, "", dt.datetime.fromisoformat(replay["previous_expires_at"])
            endpoint = await load_endpoint(connection, owner, endpoint_id, for_update=True)
            now = self.clock.now()
            previous_expires_at = now + dt.timedelta(seconds=ttl_s)
            secrets = webhook_secrets.c
            # Only one previous secret at a time: an older one still in its window stops now.
            await connection.execute(
                delete(webhook_secrets).where(
                    secrets.endpoint_pk == endpoint.pk, secrets.expires_at.is_not(None)
                )
            )
            await connection.execute(
                update(webhook_secrets)
                .where(secrets.endpoint_pk == endpoint.pk, secrets.expires_at.is_(None))
                .values(expires_at=previous_expires_at)
            )
            secret = new_secret()
            await self._add_secret(connection, endpoint, secret, now)
            await connection.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint.pk)
                .values(secret_rotated_at=now, updated_at=now, version=endpoint.version + 1)
            )
            result = {"endpoint_id": endpoint_id, "previous_expires_at": previous_expires_at.isoformat()}
            await record_owned(connection, owner, "webhook.endpoint.rotate", request_id, result)
            return await load_endpoint(connection, owner, endpoint_id), secret, previous_expires_at

    async def _add_secret(
        self, connection: AsyncConnection, endpoint: Endpoint, secret: str, now: dt.datetime
    ) -> None:
        await connection.execute(
            insert(webhook_secrets).values(
                tenant_id=endpoint.tenant_id,
                endpoint_pk=endpoint.pk,
                sealed_secret=self.box.seal(secret, endpoint_id=endpoint.endpoint_id),
                created_at=now,
                expires_at=None,
            )
        )


def _changed_values(endpoint: Endpoint, change: EndpointChange, now: dt.datetime) -> dict[str, object]:
    values: dict[str, object] = {"updated_at": now, "version": endpoint.version + 1}
    if change.url is not None:
        values["url"] = change.url
    if change.event_types is not None:
        values["event_types"] = json.dumps(sorted(set(change.event_types)))
    if change.description is not None:
        values["description"] = change.description
    if change.enabled is True and not endpoint.enabled:
        # Back in service: what is pending goes out again; failed deliveries need a replay.
        values |= {"enabled": True, "disabled_reason": "", "disabled_at": None, "failing_since": None}
    elif change.enabled is False and endpoint.enabled:
        values |= {"enabled": False, "disabled_reason": MANUAL, "disabled_at": now}
    return values


def _check_description(description: str) -> None:
    if len(description) > DESCRIPTION_CHARS_MAX:
        raise invalid_argument(
            "DESCRIPTION_TOO_LONG",
            f"description: at most {DESCRIPTION_CHARS_MAX} characters",
            FieldViolation("webhook_endpoint.description", f"at most {DESCRIPTION_CHARS_MAX} characters"),
        )


async def _check_room(connection: AsyncConnection, tenant_id: int) -> None:
    count = (
        await connection.execute(
            select(func.count())
            .select_from(webhook_endpoints)
            .where(webhook_endpoints.c.tenant_id == tenant_id)
        )
    ).scalar_one()
    if count >= ENDPOINTS_PER_TENANT_MAX:
        raise DomainError(
            ErrorKind.RESOURCE_EXHAUSTED,
            "WEBHOOK_ENDPOINTS_LIMIT",
            f"a tenant has at most {ENDPOINTS_PER_TENANT_MAX} webhook endpoints; delete one first",
        )
