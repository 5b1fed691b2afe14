"""Partner clients (the partner API's affiliates): registration, secrets, disabling."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.auth.deps import check_text, dumps, loads
from loyalty_server.auth.hashing import hash_secret, new_id, new_secret, secret_hint, secret_matches
from loyalty_server.auth.scopes import check_partner_scopes
from loyalty_server.auth.tables import partner_clients
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument, not_found

REDIRECT_URIS_MAX = 10
REDIRECT_URI_LENGTH_MAX = 2048
PREVIOUS_SECRET_TTL_MAX_S = 7 * 24 * 3600
CONFIDENTIAL, PUBLIC = "confidential", "public"
ACTIVE, DISABLED = "active", "disabled"


@dataclass(frozen=True, slots=True)
class PartnerClient:
    client_id: str
    tenant_id: int
    name: str
    description: str
    client_type: str
    redirect_uris: list[str]
    scopes: list[str]
    state: str
    secret_hash: str | None
    secret_hint: str
    previous_secret_hash: str | None
    previous_secret_expires_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    secret_rotated_at: dt.datetime | None
    disabled_at: dt.datetime | None

    @property
    def is_public(self) -> bool:
        return self.client_type == PUBLIC

    def secret_is_valid(self, secret: str, now: dt.datetime) -> bool:
        if secret_matches(secret, self.secret_hash):
            return True
        previous_valid = self.previous_secret_expires_at is not None and now < self.previous_secret_expires_at
        return previous_valid and secret_matches(secret, self.previous_secret_hash)


@dataclass(frozen=True, slots=True)
class ClientSpec:
    name: str
    description: str
    client_type: str
    redirect_uris: list[str]
    scopes: list[str]


def check_spec(spec: ClientSpec) -> ClientSpec:
    check_text(spec.name, "partner_client.name", length_min=1, length_max=100)
    check_text(spec.description, "partner_client.description", length_min=0, length_max=1000)
    if spec.client_type not in (CONFIDENTIAL, PUBLIC):
        raise invalid_argument(
            "INVALID_REQUEST",
            "client_type: confidential or public",
            FieldViolation("partner_client.client_type", "required"),
        )
    uris = check_redirect_uris(spec.redirect_uris)
    scopes = check_partner_scopes(spec.scopes, "partner_client.scopes")
    return ClientSpec(spec.name, spec.description, spec.client_type, uris, scopes)


def check_redirect_uris(uris: list[str]) -> list[str]:
    field = "partner_client.redirect_uris"
    if not 1 <= len(uris) <= REDIRECT_URIS_MAX:
        raise invalid_argument(
            "INVALID_REDIRECT_URI", f"1-{REDIRECT_URIS_MAX} redirect URIs", FieldViolation(field, "1-10")
        )
    for index, uri in enumerate(uris):
        problem = _redirect_uri_problem(uri)
        if problem:
            raise invalid_argument(
                "INVALID_REDIRECT_URI",
                f"redirect URI {uri!r}: {problem}",
                FieldViolation(f"{field}[{index}]", problem),
            )
    return list(dict.fromkeys(uris))


def _redirect_uri_problem(uri: str) -> str | None:
    if len(uri) > REDIRECT_URI_LENGTH_MAX:
        return f"at most {REDIRECT_URI_LENGTH_MAX} characters"
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        return "no fragment allowed"
    if not parts.hostname:
        return "an absolute URI is needed"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return None
    return "https is required (http only for loopback)"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _to_client(row: RowMapping) -> PartnerClient:
    return PartnerClient(
        client_id=row["client_id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        description=row["description"],
        client_type=row["client_type"],
        redirect_uris=loads(row["redirect_uris_json"]),
        scopes=loads(row["scopes_json"]),
        state=row["state"],
        secret_hash=row["secret_hash"],
        secret_hint=row["secret_hint"],
        previous_secret_hash=row["previous_secret_hash"],
        previous_secret_expires_at=row["previous_secret_expires_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        secret_rotated_at=row["secret_rotated_at"],
        disabled_at=row["disabled_at"],
    )


async def create_client(
    connection: AsyncConnection, *, tenant_id: int, spec: ClientSpec, now: dt.datetime
) -> tuple[PartnerClient, str]:
    """Returns the client and its secret ("" for a public client): the only time the secret exists."""
    spec = check_spec(spec)
    secret = "" if spec.client_type == PUBLIC else new_secret()
    client_id = new_id("pc")
    await connection.execute(
        insert(partner_clients).values(
            client_id=client_id,
            tenant_id=tenant_id,
            name=spec.name,
            description=spec.description,
            client_type=spec.client_type,
            redirect_uris_json=dumps(spec.redirect_uris),
            scopes_json=dumps(spec.scopes),
            state=ACTIVE,
            secret_hash=hash_secret(secret) if secret else None,
            secret_hint=secret_hint(secret) if secret else "",
            created_at=now,
            updated_at=now,
        )
    )
    return await get_client(connection, client_id, tenant_id=tenant_id), secret


async def find_client(connection: AsyncConnection, client_id: str) -> PartnerClient | None:
    """Any tenant's client: client ids are unique across the engine (the token endpoint's lookup)."""
    row = (
        (await connection.execute(select(partner_clients).where(partner_clients.c.client_id == client_id)))
        .mappings()
        .first()
    )
    return _to_client(row) if row else None


async def get_client(connection: AsyncConnection, client_id: str, *, tenant_id: int) -> PartnerClient:
    client = await find_client(connection, client_id)
    if client is None or client.tenant_id != tenant_id:
        raise not_found("CLIENT_NOT_FOUND", f"no partner client {client_id}", client_id=client_id)
    return client


async def list_clients(
    connection: AsyncConnection,
    *,
    tenant_id: int,
    state: str | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[PartnerClient]:
    query = select(partner_clients).where(partner_clients.c.tenant_id == tenant_id)
    if state:
        query = query.where(partner_clients.c.state == state)
    if after:
        name, client_id = after
        query = query.where(
            (partner_clients.c.name > name)
            | ((partner_clients.c.name == name) & (partner_clients.c.client_id > client_id))
        )
    query = query.order_by(partner_clients.c.name, partner_clients.c.client_id).limit(limit)
    return [_to_client(row) for row in (await connection.execute(query)).mappings()]


async def update_client(
    connection: AsyncConnection, client: PartnerClient, *, changes: dict[str, object], now: dt.datetime
) -> PartnerClient:
    """`changes` holds any of name, description, redirect_uris, scopes (already requested by mask)."""
    spec = check_spec(
        ClientSpec(
            name=str(changes.get("name", client.name)),
            description=str(changes.get("description", client.description)),
            client_type=client.client_type,
            redirect_uris=list(changes.get("redirect_uris", client.redirect_uris)),  # type: ignore[call-overload]
            scopes=list(changes.get("scopes", client.scopes)),  # type: ignore[call-overload]
        )
    )
    await connection.execute(
        update(partner_clients)
        .where(partner_clients.c.client_id == client.client_id)
        .values(
            name=spec.name,
            description=spec.description,
            redirect_uris_json=dumps(spec.redirect_uris),
            scopes_json=dumps(spec.scopes),
            updated_at=now,
        )
    )
    return await get_client(connection, client.client_id, tenant_id=client.tenant_id)


async def rotate_client_secret(
    connection: AsyncConnection, client: PartnerClient, *, previous_secret_ttl_s: int, now: dt.datetime
) -> tuple[PartnerClient, str, dt.datetime]:
    if client.is_public:
        raise DomainError(ErrorKind.FAILED_PRECONDITION, "PUBLIC_CLIENT", "a public client has no secret")
    check_previous_secret_ttl(previous_secret_ttl_s)
    secret = new_secret()
    previous_expires_at = now + dt.timedelta(seconds=previous_secret_ttl_s)
    await connection.execute(
        update(partner_clients)
        .where(partner_clients.c.client_id == client.client_id)
        .values(
            secret_hash=hash_secret(secret),
            secret_hint=secret_hint(secret),
            previous_secret_hash=client.secret_hash,
            previous_secret_expires_at=previous_expires_at,
            secret_rotated_at=now,
            updated_at=now,
        )
    )
    return (
        await get_client(connection, client.client_id, tenant_id=client.tenant_id),
        secret,
        previous_expires_at,
    )


def check_previous_secret_ttl(ttl_s: int) -> None:
    if not 0 <= ttl_s <= PREVIOUS_SECRET_TTL_MAX_S:
        raise invalid_argument(
            "INVALID_REQUEST",
            f"previous_secret_ttl_seconds: 0-{PREVIOUS_SECRET_TTL_MAX_S}",
            FieldViolation("previous_secret_ttl_seconds", f"0-{PREVIOUS_SECRET_TTL_MAX_S}"),
        )


async def disable_client(
    connection: AsyncConnection, client: PartnerClient, *, now: dt.datetime
) -> PartnerClient:
    await connection.execute(
        update(partner_clients)
        .where(partner_clients.c.client_id == client.client_id)
        .values(state=DISABLED, disabled_at=client.disabled_at or now, updated_at=now)
    )
    return await get_client(connection, client.client_id, tenant_id=client.tenant_id)
