"""The built-in account of the gateway that `loyalty serve` runs beside the gRPC server.

The login pages call four internal-only methods (ValidateAuthorization, LoginMember, RegisterMember,
IssueAuthorizationCode). An in-process gateway needs no client secret for them: the server mints
it short-lived internal tokens with its own signing key. The tokens still name a real service
account, so the authenticator's check applies: an operator who disables `loyalty-gateway` (audited,
like any account) closes the pages at once. Its secret is random and never shown: nobody can use the
account from outside. A gateway run alone (`loyalty gateway`) uses an ordinary internal account.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.auth.deps import dumps
from loyalty_server.auth.hashing import hash_secret, new_secret, secret_hint
from loyalty_server.auth.service_accounts import ACTIVE
from loyalty_server.auth.tables import service_accounts
from loyalty_server.auth.tokens import AccessClaims, IssuedToken, TokenIssuer
from loyalty_server.principal import Role
from loyalty_server.storage.engine import write_transaction
from loyalty_server.tenancy import Tenant

GATEWAY_ACCOUNT_ID = "sa_loyalty_gateway"
GATEWAY_CLIENT_ID = "loyalty-gateway"
GATEWAY_TOKEN_TTL_S = 3600


async def ensure_gateway_account(engine: AsyncEngine, tenant: Tenant, now: dt.datetime) -> None:
    """Create the account once; replicas starting together race on the primary key, harmlessly."""
    async with engine.connect() as connection:
        query = select(service_accounts.c.service_account_id).where(
            service_accounts.c.service_account_id == GATEWAY_ACCOUNT_ID
        )
        if (await connection.execute(query)).first() is not None:
            return
    secret = new_secret()  # thrown away: the account is only ever used with minted tokens
    try:
        async with write_transaction(engine) as connection:
            await connection.execute(
                insert(service_accounts).values(
                    service_account_id=GATEWAY_ACCOUNT_ID,
                    client_id=GATEWAY_CLIENT_ID,
                    tenant_id=tenant.id,
                    name="built-in gateway",
                    description="the login pages of the gateway run by `loyalty serve`",
                    role=Role.INTERNAL.value,
                    scopes_json=dumps([]),
                    cross_tenant=False,
                    state=ACTIVE,
                    secret_hash=hash_secret(secret),
                    secret_hint=secret_hint(secret),
                    token_ttl_s=GATEWAY_TOKEN_TTL_S,
                    created_at=now,
                )
            )
    except IntegrityError:
        pass  # another replica created it first


def mint_gateway_token(issuer: TokenIssuer, tenant: Tenant, now: dt.datetime) -> IssuedToken:
    claims = AccessClaims(
        subject=GATEWAY_ACCOUNT_ID,
        tenant_id=tenant.id,
        tenant_code=tenant.code,
        role=Role.INTERNAL,
        client_id=GATEWAY_CLIENT_ID,
        scopes=(),
    )
    return issuer.issue(claims, now=now, ttl_s=GATEWAY_TOKEN_TTL_S)
