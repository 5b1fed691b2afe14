"""Admin operations: each in one transaction with its audit entry and its idempotency key.

A replay (same request_id, same content) returns the object as it is now and never a secret again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.auth import accounts, audit, clients, grants, service_accounts
from loyalty_server.auth.audit import Actor
from loyalty_server.auth.deps import AuthDeps, check_reason
from loyalty_server.auth.keys import KeyStore, SigningKey
from loyalty_server.auth.passwords import check_password_policy, hash_password
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger import idempotency
from loyalty_server.requests import check_request_id
from loyalty_server.storage.engine import write_transaction


@dataclass(frozen=True, slots=True)
class Rotated:
    secret: str  # "" on a replay
    previous_expires_at: dt.datetime | None


async def _claim(
    connection: AsyncConnection, deps: AuthDeps, who: Actor, scope: str, key: str, content: dict[str, Any]
) -> dict[str, Any] | None:
    check_request_id(key)
    return await idempotency.claim(
        connection, deps.clock, tenant_id=who.tenant_id, scope=f"auth.{scope}", key=key, content=content
    )


async def _remember(
    connection: AsyncConnection, who: Actor, scope: str, key: str, result: dict[str, Any]
) -> None:
    await idempotency.record(
        connection, tenant_id=who.tenant_id, scope=f"auth.{scope}", key=key, result=result
    )


# --- partner clients ------------------------------------------------------------------------------


async def create_partner_client(
    deps: AuthDeps, who: Actor, spec: clients.ClientSpec, request_id: str
) -> tuple[clients.PartnerClient, str]:
    async with write_transaction(deps.engine) as connection:
        replay = await _claim(connection, deps, who, "create_partner_client", request_id, _fields(spec))
        if replay:
            return await clients.get_client(connection, replay["client_id"], tenant_id=who.tenant_id), ""
        client, secret = await clients.create_client(
            connection, tenant_id=who.tenant_id, spec=spec, now=deps.clock.now()
        )
        await audit.record(
            connection,
            deps.clock,
            who,
            action="partner_client.create",
            target_type="partner_client",
            target_id=client.client_id,
            details={
                "name": client.name,
                "client_type": client.client_type,
                "scopes": " ".join(client.scopes),
            },
        )
        await _remember(connection, who, "create_partner_client", request_id, {"client_id": client.client_id})
    return client, secret


def _fields(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


async def update_partner_client(
    deps: AuthDeps, who: Actor, client_id: str, changes: dict[str, object], request_id: str
) -> clients.PartnerClient:
    async with write_transaction(deps.engine) as connection:
        content = {"client_id": client_id, "changes": changes}
        replay = await _claim(connection, deps, who, "update_partner_client", request_id, content)
        client = await clients.get_client(connection, client_id, tenant_id=who.tenant_id)
        if replay:
            return client
        client = await clients.update_client(connection, client, changes=changes, now=deps.clock.now())
        await audit.record(
            connection,
            deps.clock,
            who,
            action="partner_client.update",
            target_type="partner_client",
            target_id=client_id,
            details={"fields": ",".join(sorted(changes))},
        )
        await _remember(connection, who, "update_partner_client", request_id, {"client_id": client_id})
    return client


async def rotate_partner_secret(
    deps: AuthDeps, who: Actor, client_id: str, previous_secret_ttl_s: int, request_id: str
) -> tuple[clients.PartnerClient, Rotated]:
    async with write_transaction(deps.engine) as connection:
        content = {"client_id": client_id, "ttl_s": previous_secret_ttl_s}
        replay = await _claim(connection, deps, who, "rotate_partner_secret", request_id, content)
        client = await clients.get_client(connection, client_id, tenant_id=who.tenant_id)
        if replay:
            return client, Rotated("", client.previous_secret_expires_at)
        client, secret, previous = await clients.rotate_client_secret(
            connection, client, previous_secret_ttl_s=previous_secret_ttl_s, now=deps.clock.now()
        )
        await audit.record(
            connection,
            deps.clock,
            who,
            action="partner_client.rotate_secret",
            target_type="partner_client",
            target_id=client_id,
            details={"previous_secret_ttl_s": str(previous_secret_ttl_s)},
        )
        await _remember(connection, who, "rotate_partner_secret", request_id, {"client_id": client_id})
    return client, Rotated(secret, previous)


async def disable_partner_client(
    deps: AuthDeps, who: Actor, client_id: str, reason: str, keep_grants: bool, request_id: str
) -> tuple[clients.PartnerClient, int]:
    check_reason(reason, required=True)
    async with write_transaction(deps.engine) as connection:
        content = {"client_id": client_id, "reason": reason, "keep_grants": keep_grants}
        replay = await _claim(connection, deps, who, "disable_partner_client", request_id, content)
        client = await clients.get_client(connection, client_id, tenant_id=who.tenant_id)
        if replay:
            return client, int(replay["grants_revoked"])
        client = await clients.disable_client(connection, client, now=deps.clock.now())
        revoked = (
            0
            if keep_grants
            else await grants.revoke_client_grants(connection, deps.clock, client_id, grants.CLIENT_DISABLED)
        )
        await audit.record(
            connection,
            deps.clock,
            who,
            action="partner_client.disable",
            target_type="partner_client",
            target_id=client_id,
            details={"reason": reason, "grants_revoked": str(revoked)},
        )
        await _remember(connection, who, "disable_partner_client", request_id, {"grants_revoked": revoked})
    return client, revoked


# --- service accounts -----------------------------------------------------------------------------


async def create_service_account(
    deps: AuthDeps,
    who: Actor,
    spec: service_accounts.AccountSpec,
    request_id: str,
    *,
    caller_cross_tenant: bool,
) -> tuple[service_accounts.ServiceAccount, str]:
    if spec.cross_tenant and not caller_cross_tenant:
        raise DomainError(
            ErrorKind.PERMISSION_DENIED, "CROSS_TENANT_REQUIRED", "only a cross-tenant admin can create one"
        )
    async with write_transaction(deps.engine) as connection:
        content = {**_fields(spec), "role": spec.role.value if spec.role else None}
        replay = await _claim(connection, deps, who, "create_service_account", request_id, content)
        if replay:
            account = await service_accounts.get_account(
                connection, replay["service_account_id"], tenant_id=who.tenant_id
            )
            return account, ""
        account, secret = await service_accounts.create_account(
            connection, tenant_id=who.tenant_id, spec=spec, now=deps.clock.now()
        )
        await audit.record(
            connection,
            deps.clock,
            who,
            action="service_account.create",
            target_type="service_account",
            target_id=account.service_account_id,
            details={
                "name": account.name,
                "role": account.role.value,
                "cross_tenant": str(account.cross_tenant).lower(),
            },
        )
        await _remember(
            connection,
            who,
            "create_service_account",
            request_id,
            {"service_account_id": account.service_account_id},
        )
    return account, secret


async def rotate_service_secret(
    deps: AuthDeps, who: Actor, account_id: str, previous_secret_ttl_s: int, request_id: str
) -> tuple[service_accounts.ServiceAccount, Rotated]:
    async with write_transaction(deps.engine) as connection:
        content = {"service_account_id": account_id, "ttl_s": previous_secret_ttl_s}
        replay = await _claim(connection, deps, who, "rotate_service_secret", request_id, content)
        account = await service_accounts.get_account(connection, account_id, tenant_id=who.tenant_id)
        if replay:
            return account, Rotated("", account.previous_secret_expires_at)
        account, secret, previous = await service_accounts.rotate_account_secret(
            connection, account, previous_secret_ttl_s=previous_secret_ttl_s, now=deps.clock.now()
        )
        await audit.record(
            connection,
            deps.clock,
            who,
            action="service_account.rotate_secret",
            target_type="service_account",
            target_id=account_id,
            details={"previous_secret_ttl_s": str(previous_secret_ttl_s)},
        )
        await _remember(
            connection, who, "rotate_service_secret", request_id, {"service_account_id": account_id}
        )
    return account, Rotated(secret, previous)


async def disable_service_account(
    deps: AuthDeps, who: Actor, account_id: str, reason: str, request_id: str
) -> service_accounts.ServiceAccount:
    check_reason(reason, required=True)
    async with write_transaction(deps.engine) as connection:
        content = {"service_account_id": account_id, "reason": reason}
        replay = await _claim(connection, deps, who, "disable_service_account", request_id, content)
        account = await service_accounts.get_account(connection, account_id, tenant_id=who.tenant_id)
        if replay:
            return account
        account = await service_accounts.disable_account(connection, account, now=deps.clock.now())
        await audit.record(
            connection,
            deps.clock,
            who,
            action="service_account.disable",
            target_type="service_account",
            target_id=account_id,
            details={"reason": reason},
        )
        await _remember(
            connection, who, "disable_service_account", request_id, {"service_account_id": account_id}
        )
    return account


# --- member accounts ------------------------------------------------------------------------------


async def reset_member_password(
    deps: AuthDeps, who: Actor, member_id: str, new_password: str, reason: str, request_id: str
) -> accounts.MemberAccount:
    check_reason(reason, required=False)
    async with deps.engine.connect() as connection:
        account = await accounts.get_account(connection, tenant_id=who.tenant_id, member_id=member_id)
    check_password_policy(new_password, email=account.email, field="new_password")
    password_hash = await asyncio.to_thread(hash_password, new_password)
    async with write_transaction(deps.engine) as connection:
        # The password stays out of the fingerprint: a fast hash of it must not be stored anywhere.
        replay = await _claim(
            connection,
            deps,
            who,
            "reset_member_password",
            request_id,
            {"member_id": member_id, "reason": reason},
        )
        account = await accounts.get_account(connection, tenant_id=who.tenant_id, member_id=member_id)
        if replay:
            return account
        account = await accounts.set_password(
            connection, account, password_hash=password_hash, now=deps.clock.now()
        )
        await audit.record(
            connection,
            deps.clock,
            who,
            action="member_account.reset_password",
            target_type="member",
            target_id=member_id,
            details={"reason": reason},
        )
        await _remember(connection, who, "reset_member_password", request_id, {"member_id": member_id})
    return account


async def lock_member_account(
    deps: AuthDeps,
    who: Actor,
    member_id: str,
    reason: str,
    lock_expires_at: dt.datetime | None,
    request_id: str,
) -> accounts.MemberAccount:
    check_reason(reason, required=True)
    async with write_transaction(deps.engine) as connection:
        content = {"member_id": member_id, "reason": reason, "until": lock_expires_at}
        replay = await _claim(connection, deps, who, "lock_member_account", request_id, content)
        account = await accounts.get_account(connection, tenant_id=who.tenant_id, member_id=member_id)
        if replay:
            return account
        account = await accounts.lock(connection, account, reason=reason, lock_expires_at=lock_expires_at)
        details = {"reason": reason, "until": lock_expires_at.isoformat() if lock_expires_at else ""}
        await audit.record(
            connection,
            deps.clock,
            who,
            action="member_account.lock",
            target_type="member",
            target_id=member_id,
            details=details,
        )
        await _remember(connection, who, "lock_member_account", request_id, {"member_id": member_id})
    return account


async def unlock_member_account(
    deps: AuthDeps, who: Actor, member_id: str, reason: str, request_id: str
) -> accounts.MemberAccount:
    check_reason(reason, required=False)
    async with write_transaction(deps.engine) as connection:
        replay = await _claim(
            connection,
            deps,
            who,
            "unlock_member_account",
            request_id,
            {"member_id": member_id, "reason": reason},
        )
        account = await accounts.get_account(connection, tenant_id=who.tenant_id, member_id=member_id)
        if replay:
            return account
        account = await accounts.unlock(connection, account)
        await audit.record(
            connection,
            deps.clock,
            who,
            action="member_account.unlock",
            target_type="member",
            target_id=member_id,
            details={"reason": reason},
        )
        await _remember(connection, who, "unlock_member_account", request_id, {"member_id": member_id})
    return account


# --- grants ---------------------------------------------------------------------------------------


async def deactivate_grant(
    deps: AuthDeps, who: Actor, grant_id: str, reason: str, request_id: str
) -> grants.Grant:
    check_reason(reason, required=False)
    async with write_transaction(deps.engine) as connection:
        replay = await _claim(
            connection, deps, who, "deactivate_grant", request_id, {"grant_id": grant_id, "reason": reason}
        )
        grant = await grants.get_grant(connection, grant_id, tenant_id=who.tenant_id)
        if replay:
            return grant
        await grants.revoke_grant(connection, deps.clock, grant, grants.DEACTIVATED)
        await audit.record(
            connection,
            deps.clock,
            who,
            action="grant.deactivate",
            target_type="grant",
            target_id=grant_id,
            details={"reason": reason, "member_id": grant.member_id, "client_id": grant.client_id},
        )
        await _remember(connection, who, "deactivate_grant", request_id, {"grant_id": grant_id})
        return await grants.get_grant(connection, grant_id, tenant_id=who.tenant_id)


async def rotate_signing_key(
    deps: AuthDeps, who: Actor, keys: KeyStore, algorithm: str, request_id: str
) -> tuple[SigningKey, SigningKey | None]:
    """The key files change inside the transaction that records the key, so a replay finds it."""
    async with write_transaction(deps.engine) as connection:
        replay = await _claim(
            connection, deps, who, "rotate_signing_key", request_id, {"algorithm": algorithm}
        )
        if replay:
            by_kid = {key.kid: key for key in keys.all_keys()}
            return by_kid[replay["kid"]], by_kid.get(replay["previous_kid"])
        new, previous = keys.rotate(deps.clock.now(), algorithm)
        previous_kid = previous.kid if previous else ""
        await audit.record(
            connection,
            deps.clock,
            who,
            action="signing_key.rotate",
            target_type="signing_key",
            target_id=new.kid,
            details={"previous_kid": previous_kid, "algorithm": algorithm},
        )
        await _remember(
            connection, who, "rotate_signing_key", request_id, {"kid": new.kid, "previous_kid": previous_kid}
        )
    return new, previous
