"""Bearer token -> Principal: signature and claims, then the revocation check, then the tenant.

The revocation check reads the database on every call (one primary-key row): a grant, service
account or partner client revoked on any replica stops its tokens on every replica at once. No
cache, so nothing revoked can slip through a stale entry.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty_server.auth.clients import ACTIVE
from loyalty_server.auth.grants import grant_is_active
from loyalty_server.auth.tables import partner_clients, service_accounts
from loyalty_server.auth.tokens import AccessClaims, TokenIssuer, invalid_token
from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind, not_found
from loyalty_server.principal import Principal, Role
from loyalty_server.storage.prepared import Prepared
from loyalty_server.storage.schema import tenants
from loyalty_server.storage.sqlite_loop import read_connection

AUTHORIZATION_HEADER = "authorization"
TENANT_HEADER = "x-loyalty-tenant"
_BEARER = "bearer "


def bearer_token(metadata: Iterable[tuple[str, str | bytes]] | None) -> str:
    for key, value in metadata or ():
        if key == AUTHORIZATION_HEADER and isinstance(value, str):
            if value[: len(_BEARER)].lower() == _BEARER and value[len(_BEARER) :].strip():
                return value[len(_BEARER) :].strip()
            raise DomainError(
                ErrorKind.UNAUTHENTICATED, "INVALID_TOKEN", "authorization must be 'Bearer <token>'"
            )
    raise DomainError(ErrorKind.UNAUTHENTICATED, "CREDENTIALS_MISSING", "this call needs a bearer token")


def _header(metadata: Iterable[tuple[str, str | bytes]] | None, name: str) -> str | None:
    for key, value in metadata or ():
        if key == name and isinstance(value, str):
            return value
    return None


class Authenticator:
    def __init__(self, engine: AsyncEngine, clock: Clock, issuer: TokenIssuer) -> None:
        self.engine = engine
        self.clock = clock
        self.issuer = issuer

    async def authenticate(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> Principal:
        metadata = tuple(metadata or ())
        claims = self.issuer.verify(bearer_token(metadata), now=self.clock.now())
        tenant_code = _header(metadata, TENANT_HEADER)
        async with read_connection(self.engine) as connection:
            if not await _still_valid(connection, claims):
                raise invalid_token("revoked")
            tenant_id, tenant_code = await _tenant(connection, claims, tenant_code)
        return Principal(
            tenant_id=tenant_id,
            tenant_code=tenant_code,
            role=claims.role,
            subject=claims.subject,
            scopes=frozenset(claims.scopes),
            client_id=claims.client_id,
            member_id=claims.member_id,
            grant_id=claims.grant_id,
            cross_tenant=claims.cross_tenant,
        )


async def _still_valid(connection: AsyncConnection, claims: AccessClaims) -> bool:
    if claims.grant_id:
        return await grant_is_active(connection, claims.grant_id)
    if claims.role is Role.PARTNER:  # a partner client's own client-credentials token
        row = await _PARTNER_CLIENT_STATE.first(connection, client_id=claims.client_id)
    else:
        row = await _SERVICE_ACCOUNT_STATE.first(connection, account_id=claims.subject)
    return row is not None and row["state"] == ACTIVE


# Prepared (storage/prepared.py): one of these runs on every call, and through SQLAlchemy it cost
# more than the rest of a GetBalance's reads (its execution context, then its rollback at the end).
_PARTNER_CLIENT_STATE = Prepared(
    select(partner_clients.c.state).where(partner_clients.c.client_id == bindparam("client_id"))
)
_SERVICE_ACCOUNT_STATE = Prepared(
    select(service_accounts.c.state).where(service_accounts.c.service_account_id == bindparam("account_id"))
)


async def _tenant(connection: AsyncConnection, claims: AccessClaims, named: str | None) -> tuple[int, str]:
    if named is None or named == claims.tenant_code:
        return claims.tenant_id, claims.tenant_code
    if claims.role is not Role.ADMIN or not claims.cross_tenant:
        raise DomainError(
            ErrorKind.PERMISSION_DENIED, "TENANT_NOT_ALLOWED", "these credentials cannot name another tenant"
        )
    tenant_id = (
        await connection.execute(select(tenants.c.id).where(tenants.c.code == named))
    ).scalar_one_or_none()
    if tenant_id is None:
        raise not_found("TENANT_NOT_FOUND", f"no tenant {named}", tenant=named)
    return tenant_id, named
