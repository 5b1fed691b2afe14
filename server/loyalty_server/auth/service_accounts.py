"""Service accounts: client-credentials callers (POS, internal services, operator tools) with a role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.auth.clients import check_previous_secret_ttl
from loyalty_server.auth.deps import check_text, dumps, loads
from loyalty_server.auth.hashing import hash_secret, new_id, new_secret, secret_hint, secret_matches
from loyalty_server.auth.scopes import ROLE_DEFAULT_SCOPES, check_scope_names
from loyalty_server.auth.tables import service_accounts
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument, not_found
from loyalty_server.principal import Role

TOKEN_TTL_DEFAULT_S = 3600
TOKEN_TTL_MIN_S = 60
TOKEN_TTL_MAX_S = 86_400
ACTIVE, DISABLED = "active", "disabled"


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    service_account_id: str
    client_id: str
    tenant_id: int
    name: str
    description: str
    role: Role
    scopes: list[str]
    cross_tenant: bool
    state: str
    secret_hash: str
    secret_hint: str
    previous_secret_hash: str | None
    previous_secret_expires_at: dt.datetime | None
    token_ttl_s: int
    created_at: dt.datetime
    secret_rotated_at: dt.datetime | None
    disabled_at: dt.datetime | None

    @property
    def effective_scopes(self) -> list[str]:
        return self.scopes or sorted(ROLE_DEFAULT_SCOPES[self.role])

    def secret_is_valid(self, secret: str, now: dt.datetime) -> bool:
        if secret_matches(secret, self.secret_hash):
            return True
        previous_valid = self.previous_secret_expires_at is not None and now < self.previous_secret_expires_at
        return previous_valid and secret_matches(secret, self.previous_secret_hash)


@dataclass(frozen=True, slots=True)
class AccountSpec:
    name: str
    description: str
    role: Role | None
    scopes: list[str]
    cross_tenant: bool
    token_ttl_s: int  # 0: the default


def check_spec(spec: AccountSpec) -> AccountSpec:
    check_text(spec.name, "service_account.name", length_min=1, length_max=100)
    check_text(spec.description, "service_account.description", length_min=0, length_max=1000)
    if spec.role is None:
        raise invalid_argument(
            "INVALID_REQUEST", "a role is required", FieldViolation("service_account.role", "required")
        )
    if spec.cross_tenant and spec.role is not Role.ADMIN:
        raise invalid_argument(
            "INVALID_REQUEST",
            "only admin accounts can be cross-tenant",
            FieldViolation("service_account.cross_tenant", "admin only"),
        )
    ttl_s = spec.token_ttl_s or TOKEN_TTL_DEFAULT_S
    if not TOKEN_TTL_MIN_S <= ttl_s <= TOKEN_TTL_MAX_S:
        raise invalid_argument(
            "INVALID_REQUEST",
            f"token_ttl_seconds: {TOKEN_TTL_MIN_S}-{TOKEN_TTL_MAX_S}",
            FieldViolation("service_account.token_ttl_seconds", f"{TOKEN_TTL_MIN_S}-{TOKEN_TTL_MAX_S}"),
        )
    scopes = check_scope_names(spec.scopes, "service_account.scopes")
    return AccountSpec(spec.name, spec.description, spec.role, scopes, spec.cross_tenant, ttl_s)


def _to_account(row: RowMapping) -> ServiceAccount:
    return ServiceAccount(
        service_account_id=row["service_account_id"],
        client_id=row["client_id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        description=row["description"],
        role=Role(row["role"]),
        scopes=loads(row["scopes_json"]),
        cross_tenant=bool(row["cross_tenant"]),
        state=row["state"],
        secret_hash=row["secret_hash"],
        secret_hint=row["secret_hint"],
        previous_secret_hash=row["previous_secret_hash"],
        previous_secret_expires_at=row["previous_secret_expires_at"],
        token_ttl_s=row["token_ttl_s"],
        created_at=row["created_at"],
        secret_rotated_at=row["secret_rotated_at"],
        disabled_at=row["disabled_at"],
    )


async def create_account(
    connection: AsyncConnection, *, tenant_id: int, spec: AccountSpec, now: dt.datetime
) -> tuple[ServiceAccount, str]:
    spec = check_spec(spec)
    assert spec.role is not None
    secret = new_secret()
    account_id = new_id("sa")
    await connection.execute(
        insert(service_accounts).values(
            service_account_id=account_id,
            client_id=new_id("svc"),
            tenant_id=tenant_id,
            name=spec.name,
            description=spec.description,
            role=spec.role.value,
            scopes_json=dumps(spec.scopes),
            cross_tenant=spec.cross_tenant,
            state=ACTIVE,
            secret_hash=hash_secret(secret),
            secret_hint=secret_hint(secret),
            token_ttl_s=spec.token_ttl_s,
            created_at=now,
        )
    )
    return await get_account(connection, account_id, tenant_id=tenant_id), secret


async def find_account_by_client_id(connection: AsyncConnection, client_id: str) -> ServiceAccount | None:
    query = select(service_accounts).where(service_accounts.c.client_id == client_id)
    row = (await connection.execute(query)).mappings().first()
    return _to_account(row) if row else None


async def get_account(connection: AsyncConnection, account_id: str, *, tenant_id: int) -> ServiceAccount:
    query = select(service_accounts).where(
        service_accounts.c.service_account_id == account_id, service_accounts.c.tenant_id == tenant_id
    )
    row = (await connection.execute(query)).mappings().first()
    if row is None:
        raise not_found(
            "SERVICE_ACCOUNT_NOT_FOUND", f"no service account {account_id}", service_account_id=account_id
        )
    return _to_account(row)


async def list_accounts(
    connection: AsyncConnection,
    *,
    tenant_id: int,
    role: Role | None,
    state: str | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[ServiceAccount]:
    table = service_accounts
    query = select(table).where(table.c.tenant_id == tenant_id)
    if role:
        query = query.where(table.c.role == role.value)
    if state:
        query = query.where(table.c.state == state)
    if after:
        name, account_id = after
        query = query.where(
            (table.c.name > name) | ((table.c.name == name) & (table.c.service_account_id > account_id))
        )
    query = query.order_by(table.c.name, table.c.service_account_id).limit(limit)
    return [_to_account(row) for row in (await connection.execute(query)).mappings()]


async def rotate_account_secret(
    connection: AsyncConnection, account: ServiceAccount, *, previous_secret_ttl_s: int, now: dt.datetime
) -> tuple[ServiceAccount, str, dt.datetime]:
    check_previous_secret_ttl(previous_secret_ttl_s)
    if account.state != ACTIVE:
        raise DomainError(
            ErrorKind.FAILED_PRECONDITION, "ACCOUNT_DISABLED", "the service account is disabled"
        )
    secret = new_secret()
    previous_expires_at = now + dt.timedelta(seconds=previous_secret_ttl_s)
    await connection.execute(
        update(service_accounts)
        .where(service_accounts.c.service_account_id == account.service_account_id)
        .values(
            secret_hash=hash_secret(secret),
            secret_hint=secret_hint(secret),
            previous_secret_hash=account.secret_hash,
            previous_secret_expires_at=previous_expires_at,
            secret_rotated_at=now,
        )
    )
    account = await get_account(connection, account.service_account_id, tenant_id=account.tenant_id)
    return account, secret, previous_expires_at


async def disable_account(
    connection: AsyncConnection, account: ServiceAccount, *, now: dt.datetime
) -> ServiceAccount:
    await connection.execute(
        update(service_accounts)
        .where(service_accounts.c.service_account_id == account.service_account_id)
        .values(state=DISABLED, disabled_at=account.disabled_at or now)
    )
    return await get_account(connection, account.service_account_id, tenant_id=account.tenant_id)
