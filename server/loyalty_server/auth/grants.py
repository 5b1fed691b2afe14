"""Grants: a partner's connection to a member. Connecting and disconnecting write their events
(partner.connected / partner.disconnected) in the same transaction as the grant change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import subscription_pb2
from loyalty_server.auth.deps import dumps, loads
from loyalty_server.auth.hashing import new_id
from loyalty_server.auth.tables import oauth_grants
from loyalty_server.clock import Clock
from loyalty_server.errors import not_found
from loyalty_server.events.outbox import append_event
from loyalty_server.ledger.members import event_member, get_member
from loyalty_server.storage.prepared import Prepared

ACTIVE, REVOKED = "active", "revoked"
# Why a grant was revoked (GrantRevokeReason without its prefix).
CLIENT_REVOKED = "CLIENT_REVOKED"
DEACTIVATED = "DEACTIVATED"
CODE_REUSED = "CODE_REUSED"
REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"  # noqa: S105 (a reason, not a secret)
CLIENT_DISABLED = "CLIENT_DISABLED"
MEMBER_INACTIVE = "MEMBER_INACTIVE"


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: str
    tenant_id: int
    client_id: str
    member_id: str
    scopes: list[str]
    channel: int
    transaction_id: str
    state: str
    revoke_reason: str | None
    created_at: dt.datetime
    refreshed_at: dt.datetime | None
    revoked_at: dt.datetime | None
    refresh_expires_at: dt.datetime

    def state_at(self, now: dt.datetime) -> str:
        """ "expired" once the refresh token ran out unused (stored state stays "active")."""
        if self.state == ACTIVE and now >= self.refresh_expires_at:
            return "expired"
        return self.state


def _to_grant(row: RowMapping) -> Grant:
    return Grant(
        grant_id=row["grant_id"],
        tenant_id=row["tenant_id"],
        client_id=row["client_id"],
        member_id=row["member_id"],
        scopes=loads(row["scopes_json"]),
        channel=row["channel"],
        transaction_id=row["transaction_id"],
        state=row["state"],
        revoke_reason=row["revoke_reason"],
        created_at=row["created_at"],
        refreshed_at=row["refreshed_at"],
        revoked_at=row["revoked_at"],
        refresh_expires_at=row["refresh_expires_at"],
    )


async def create_grant(
    connection: AsyncConnection,
    clock: Clock,
    *,
    tenant_id: int,
    client_id: str,
    client_name: str,
    member_id: str,
    scopes: list[str],
    channel: int,
    transaction_id: str,
    refresh_expires_at: dt.datetime,
) -> Grant:
    grant_id = new_id("gr")
    await connection.execute(
        insert(oauth_grants).values(
            grant_id=grant_id,
            tenant_id=tenant_id,
            client_id=client_id,
            member_id=member_id,
            scopes_json=dumps(scopes),
            channel=channel,
            transaction_id=transaction_id,
            state=ACTIVE,
            created_at=clock.now(),
            refresh_expires_at=refresh_expires_at,
        )
    )
    event = subscription_pb2.Event(type=subscription_pb2.EVENT_TYPE_PARTNER_CONNECTED)
    event.member.CopyFrom(event_member(await get_member(connection, tenant_id, member_id)))
    event.partner_connected.CopyFrom(
        subscription_pb2.PartnerConnectedPayload(
            client_id=client_id, client_name=client_name, grant_id=grant_id, scopes=scopes, channel=channel
        )
    )
    await append_event(connection, clock, tenant_id=tenant_id, event=event)
    return await get_grant(connection, grant_id, tenant_id=tenant_id)


async def find_grant(connection: AsyncConnection, grant_id: str) -> Grant | None:
    row = (
        (await connection.execute(select(oauth_grants).where(oauth_grants.c.grant_id == grant_id)))
        .mappings()
        .first()
    )
    return _to_grant(row) if row else None


async def get_grant(connection: AsyncConnection, grant_id: str, *, tenant_id: int) -> Grant:
    grant = await find_grant(connection, grant_id)
    if grant is None or grant.tenant_id != tenant_id:
        raise not_found("GRANT_NOT_FOUND", f"no grant {grant_id}", grant_id=grant_id)
    return grant


async def grant_is_active(connection: AsyncConnection, grant_id: str) -> bool:
    """The per-call revocation check: one primary-key read."""
    row = await _GRANT_STATE.first(connection, grant_id=grant_id)
    return row is not None and row["state"] == ACTIVE


# Prepared (storage/prepared.py): every call a grant's token makes runs it.
_GRANT_STATE = Prepared(select(oauth_grants.c.state).where(oauth_grants.c.grant_id == bindparam("grant_id")))


async def revoke_grant(connection: AsyncConnection, clock: Clock, grant: Grant, reason: str) -> bool:
    """Revokes the grant (all its tokens) and disconnects the partner. False if it was already revoked."""
    result = await connection.execute(
        update(oauth_grants)
        .where(oauth_grants.c.grant_id == grant.grant_id, oauth_grants.c.state == ACTIVE)
        .values(state=REVOKED, revoke_reason=reason, revoked_at=clock.now())
    )
    if result.rowcount == 0:
        return False
    event = subscription_pb2.Event(type=subscription_pb2.EVENT_TYPE_PARTNER_DISCONNECTED)
    event.member.CopyFrom(event_member(await get_member(connection, grant.tenant_id, grant.member_id)))
    event.partner_disconnected.CopyFrom(
        subscription_pb2.PartnerDisconnectedPayload(
            client_id=grant.client_id, grant_id=grant.grant_id, reason=reason
        )
    )
    await append_event(connection, clock, tenant_id=grant.tenant_id, event=event)
    return True


async def revoke_client_grants(connection: AsyncConnection, clock: Clock, client_id: str, reason: str) -> int:
    query = select(oauth_grants).where(oauth_grants.c.client_id == client_id, oauth_grants.c.state == ACTIVE)
    return await _revoke_all(connection, clock, query, reason)


async def revoke_member_grants(
    connection: AsyncConnection, clock: Clock, *, tenant_id: int, member_id: str, reason: str
) -> int:
    """Every partner's grant for this member (deactivation, erasure): one partner.disconnected each."""
    query = select(oauth_grants).where(
        oauth_grants.c.tenant_id == tenant_id,
        oauth_grants.c.member_id == member_id,
        oauth_grants.c.state == ACTIVE,
    )
    return await _revoke_all(connection, clock, query, reason)


async def _revoke_all(connection: AsyncConnection, clock: Clock, query: Select, reason: str) -> int:  # type: ignore[type-arg]
    grants = [_to_grant(row) for row in (await connection.execute(query)).mappings()]
    revoked = 0
    for grant in grants:
        revoked += await revoke_grant(connection, clock, grant, reason)
    return revoked


async def list_grants(
    connection: AsyncConnection,
    *,
    tenant_id: int,
    member_id: str,
    client_id: str,
    state: str | None,
    now: dt.datetime,
    after: tuple[str, str] | None,
    limit: int,
) -> list[Grant]:
    table = oauth_grants
    query = select(table).where(table.c.tenant_id == tenant_id)
    if member_id:
        query = query.where(table.c.member_id == member_id)
    if client_id:
        query = query.where(table.c.client_id == client_id)
    if state == "expired":
        query = query.where(table.c.state == ACTIVE, table.c.refresh_expires_at <= now)
    elif state == ACTIVE:
        query = query.where(table.c.state == ACTIVE, table.c.refresh_expires_at > now)
    elif state:
        query = query.where(table.c.state == state)
    if after:
        created_at, grant_id = dt.datetime.fromisoformat(after[0]), after[1]
        query = query.where(
            (table.c.created_at < created_at)
            | ((table.c.created_at == created_at) & (table.c.grant_id < grant_id))
        )
    query = query.order_by(table.c.created_at.desc(), table.c.grant_id.desc()).limit(limit)
    return [_to_grant(row) for row in (await connection.execute(query)).mappings()]


async def mark_refreshed(
    connection: AsyncConnection, grant: Grant, *, now: dt.datetime, refresh_expires_at: dt.datetime
) -> None:
    await connection.execute(
        update(oauth_grants)
        .where(oauth_grants.c.grant_id == grant.grant_id)
        .values(refreshed_at=now, refresh_expires_at=refresh_expires_at)
    )
