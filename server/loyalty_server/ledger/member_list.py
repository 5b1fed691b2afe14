"""Listing a tenant's members, newest first, with keyset paging (one indexed range scan per page)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server import requests
from loyalty_server.auth import paging
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger.members import Member, member_from_row
from loyalty_server.ledger.tables import members


@dataclass(frozen=True, slots=True)
class MemberFilter:
    status: str | None = None  # active | deactivated | erased
    tier_id: str | None = None  # the held threshold tier or the custom tier (not the custom floor)
    lowest_tier_id: str | None = None  # members not yet evaluated (tier_id NULL) hold this one
    created_since: dt.datetime | None = None  # inclusive
    created_until: dt.datetime | None = None  # exclusive

    def fingerprint(self) -> str:
        content = [self.status, self.tier_id, _iso(self.created_since), _iso(self.created_until)]
        return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:16]


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def list_members(
    engine: AsyncEngine, tenant_id: int, filters: MemberFilter, *, page_size: int = 0, page_token: str = ""
) -> tuple[list[Member], str]:
    limit = requests.page_size(page_size)
    after = _after(page_token, filters)
    m = members
    query = select(m).where(m.c.tenant_id == tenant_id)
    if after is not None:
        query = query.where(m.c.id < after)
    if filters.status:
        query = query.where(m.c.status == filters.status)
    if filters.tier_id:
        held = m.c.tier_id == filters.tier_id
        if filters.tier_id == filters.lowest_tier_id:
            held = held | m.c.tier_id.is_(None)
        query = query.where(held | (m.c.custom_tier_id == filters.tier_id))
    if filters.created_since:
        query = query.where(m.c.created_at >= filters.created_since)
    if filters.created_until:
        query = query.where(m.c.created_at < filters.created_until)
    # A status, tier or date filter has no index to use: off the loop (aiosqlite's thread).
    async with engine.connect() as connection:
        rows = (await connection.execute(query.order_by(m.c.id.desc()).limit(limit + 1))).mappings().all()
    page = [member_from_row(row) for row in rows[:limit]]
    token = paging.encode([rows[limit - 1]["id"]], binding=filters.fingerprint()) if len(rows) > limit else ""
    return page, token


def _after(page_token: str, filters: MemberFilter) -> int | None:
    position = paging.decode(page_token, length=1, binding=filters.fingerprint())
    if position is None:
        return None
    (after,) = position
    if not isinstance(after, int):
        raise invalid_argument(
            "PAGE_TOKEN_INVALID",
            "the page token belongs to other filters",
            FieldViolation("page_token", "invalid"),
        )
    return after
