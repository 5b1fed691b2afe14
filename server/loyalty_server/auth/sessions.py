"""Member sessions: the short-lived proof, between the login page and the consent page, of who logged in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.auth.hashing import hash_secret, new_secret
from loyalty_server.auth.tables import member_sessions


async def open_session(
    connection: AsyncConnection, *, tenant_id: int, member_id: str, now: dt.datetime, ttl_s: int
) -> tuple[str, dt.datetime]:
    token = new_secret()
    expires_at = now + dt.timedelta(seconds=ttl_s)
    await connection.execute(
        insert(member_sessions).values(
            token_hash=hash_secret(token),
            tenant_id=tenant_id,
            member_id=member_id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at


async def session_member(
    connection: AsyncConnection, token: str, *, tenant_id: int, now: dt.datetime
) -> str | None:
    """The member of a live session of this tenant, else None."""
    if not token:
        return None
    query = select(member_sessions).where(member_sessions.c.token_hash == hash_secret(token))
    row = (await connection.execute(query)).mappings().first()
    if row is None or row["tenant_id"] != tenant_id or now >= row["expires_at"]:
        return None
    return row["member_id"]


async def end_sessions(connection: AsyncConnection, *, tenant_id: int, member_id: str) -> None:
    await connection.execute(
        delete(member_sessions).where(
            member_sessions.c.tenant_id == tenant_id, member_sessions.c.member_id == member_id
        )
    )
