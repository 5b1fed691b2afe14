"""The operator's auth commands (`loyalty partners …`, `loyalty service-accounts create`): the same
admin operations as over gRPC, audited as "admin-cli:<os user>". They print JSON; a refusal is a
one-line ConfigError. `service-accounts create --role admin` is how the first admin credential is made."""

from __future__ import annotations

import getpass
import json
import shlex
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.auth import admin, clients
from loyalty_server.auth.audit import Actor
from loyalty_server.auth.deps import AuthDeps
from loyalty_server.auth.keys import KeyStore
from loyalty_server.auth.scopes import parse_scope
from loyalty_server.auth.service_accounts import AccountSpec
from loyalty_server.auth.setup import KEYS_DIRECTORY, token_issuer
from loyalty_server.clock import SystemClock
from loyalty_server.config import Settings
from loyalty_server.errors import ConfigError, DomainError
from loyalty_server.principal import Role
from loyalty_server.program import load_program_file
from loyalty_server.tenancy import ensure_default_tenant, get_tenant


def _deps(engine: AsyncEngine, settings: Settings) -> AuthDeps:
    keys = KeyStore(Path(settings.data_dir) / KEYS_DIRECTORY, verify_window_s=settings.access_token_ttl_s)
    program = load_program_file(settings.resolved_program)
    return AuthDeps(engine, SystemClock(), settings, token_issuer(settings, keys), program)


async def _actor(engine: AsyncEngine, tenant_code: str | None) -> Actor:
    default = await ensure_default_tenant(engine, SystemClock())
    tenant = default if tenant_code is None else await get_tenant(engine, tenant_code)
    if tenant is None:
        raise ConfigError(f"tenant {tenant_code}: not found")
    return Actor(
        actor=f"admin-cli:{getpass.getuser()}", role="admin", tenant_id=tenant.id, remote_address="local"
    )


def _refusal(error: DomainError) -> ConfigError:
    details = "; ".join(f"{v.field}: {v.description}" for v in error.field_violations)
    return ConfigError(f"{error.reason}: {error.message}" + (f" ({details})" if details else ""))


def _client_json(client: clients.PartnerClient, secret: str | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "client_id": client.client_id,
        "name": client.name,
        "client_type": client.client_type,
        "redirect_uris": client.redirect_uris,
        "scopes": client.scopes,
        "state": client.state,
    }
    if secret is not None:
        shown["client_secret"] = secret
    return shown


async def create_partner(engine: AsyncEngine, settings: Settings, args: Any) -> None:
    who = await _actor(engine, args.tenant)
    spec = clients.ClientSpec(
        name=args.name,
        description=args.description or "",
        client_type=clients.PUBLIC if args.public else clients.CONFIDENTIAL,
        redirect_uris=list(args.redirect_uri),
        scopes=parse_scope(args.scopes),
    )
    try:
        client, secret = await admin.create_partner_client(
            _deps(engine, settings), who, spec, uuid.uuid4().hex
        )
    except DomainError as error:
        raise _refusal(error) from None
    shown = (
        {"client_id": client.client_id, "client_secret": secret}
        if secret
        else {"client_id": client.client_id}
    )
    print(json.dumps(shown))


async def list_partners(engine: AsyncEngine, settings: Settings, args: Any) -> None:
    who = await _actor(engine, args.tenant)
    after: tuple[str, str] | None = None
    async with engine.connect() as connection:
        while True:
            page = await clients.list_clients(
                connection, tenant_id=who.tenant_id, state=None, after=after, limit=500
            )
            for client in page:
                print(json.dumps(_client_json(client)))
            if len(page) < 500:
                return
            after = (page[-1].name, page[-1].client_id)


async def rotate_partner_secret(engine: AsyncEngine, settings: Settings, args: Any) -> None:
    who = await _actor(engine, args.tenant)
    try:
        client, rotated = await admin.rotate_partner_secret(
            _deps(engine, settings), who, args.client_id, args.previous_secret_ttl_s, uuid.uuid4().hex
        )
    except DomainError as error:
        raise _refusal(error) from None
    expires = rotated.previous_expires_at.isoformat() if rotated.previous_expires_at else None
    print(
        json.dumps(
            {
                "client_id": client.client_id,
                "client_secret": rotated.secret,
                "previous_secret_expires_at": expires,
            }
        )
    )


async def disable_partner(engine: AsyncEngine, settings: Settings, args: Any) -> None:
    who = await _actor(engine, args.tenant)
    try:
        client, revoked = await admin.disable_partner_client(
            _deps(engine, settings), who, args.client_id, args.reason, args.keep_grants, uuid.uuid4().hex
        )
    except DomainError as error:
        raise _refusal(error) from None
    print(json.dumps({"client_id": client.client_id, "state": client.state, "grants_revoked": revoked}))


async def create_service_account(engine: AsyncEngine, settings: Settings, args: Any) -> None:
    who = await _actor(engine, args.tenant)
    spec = AccountSpec(
        name=args.name,
        description=args.description or "",
        role=Role(args.role),
        scopes=parse_scope(args.scopes or ""),
        cross_tenant=args.cross_tenant,
        token_ttl_s=args.token_ttl_s,
    )
    try:
        # The CLI is the operator at the machine: it may create cross-tenant admins.
        account, secret = await admin.create_service_account(
            _deps(engine, settings), who, spec, uuid.uuid4().hex, caller_cross_tenant=True
        )
    except DomainError as error:
        raise _refusal(error) from None
    if args.format == "env":
        # For `eval "$(loyalty service-accounts create ... --format env)"`: what LoyaltyClient programs,
        # the POS example and the TypeScript smoke test read. shlex quoting keeps eval safe.
        print(f"export LOYALTY_CLIENT_ID={shlex.quote(account.client_id)}")
        print(f"export LOYALTY_CLIENT_SECRET={shlex.quote(secret)}")
        return
    print(
        json.dumps(
            {
                "service_account_id": account.service_account_id,
                "client_id": account.client_id,
                "client_secret": secret,
                "role": account.role.value,
            }
        )
    )
