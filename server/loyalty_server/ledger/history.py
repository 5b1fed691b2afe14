"""A member's transaction history: newest first, keyset-paginated, filtered by type and time range.

The page token is the last row's internal id (opaque to callers, bound to the filters by a hash),
so a page costs one indexed range scan however deep the history goes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server import requests
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger.members import get_member
from loyalty_server.ledger.tables import ledger_transactions

TRANSACTION_TYPES = frozenset({"earn", "spend", "expire", "reverse", "adjust", "transfer_out", "transfer_in"})


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    types: frozenset[str] = frozenset()  # empty: every type
    currency: str | None = None
    since: dt.datetime | None = None  # effective time, inclusive
    until: dt.datetime | None = None  # effective time, exclusive

    def fingerprint(self) -> str:
        content = [sorted(self.types), self.currency, _iso(self.since), _iso(self.until)]
        return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class HistoryRow:
    transaction_id: str
    type: str
    currency: str
    points: int
    source_id: str | None
    origin_type: str
    origin_id: str
    reason_code: str
    reason: str
    request_id: str
    actor: str
    effective_at: dt.datetime
    created_at: dt.datetime


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def encode_token(last_pk: int, filters: HistoryFilter) -> str:
    raw = json.dumps({"after": last_pk, "f": filters.fingerprint()}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, filters: HistoryFilter) -> int | None:
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after, fingerprint = int(data["after"]), data["f"]
    except (ValueError, KeyError, TypeError):
        raise invalid_argument(
            "PAGE_TOKEN_INVALID", "not a page token", FieldViolation("page_token", "invalid")
        ) from None
    if fingerprint != filters.fingerprint():
        raise invalid_argument(
            "PAGE_TOKEN_INVALID",
            "the page token belongs to other filters",
            FieldViolation("page_token", "filters changed"),
        )
    return after


async def list_transactions(
    engine: AsyncEngine,
    tenant_id: int,
    member_id: str,
    filters: HistoryFilter,
    *,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[HistoryRow], str]:
    """One page of the member's history and the token of the next page ("" after the last)."""
    unknown = sorted(filters.types - TRANSACTION_TYPES)
    if unknown:
        raise invalid_argument(
            "UNKNOWN_TRANSACTION_TYPE", f"unknown type {unknown[0]!r}", FieldViolation("types", "unknown")
        )
    limit = requests.page_size(page_size)
    after = decode_token(page_token, filters)
    t = ledger_transactions
    async with engine.connect() as connection:
        member = await get_member(connection, tenant_id, member_id)
        query = select(t).where(t.c.member_pk == member.pk)
        if after is not None:
            query = query.where(t.c.id < after)
        if filters.types:
            query = query.where(t.c.type.in_(sorted(filters.types)))
        if filters.currency:
            query = query.where(t.c.currency == filters.currency)
        if filters.since:
            query = query.where(t.c.effective_at >= filters.since)
        if filters.until:
            query = query.where(t.c.effective_at < filters.until)
        rows = (await connection.execute(query.order_by(t.c.id.desc()).limit(limit + 1))).mappings().all()
    page = [_to_row(row) for row in rows[:limit]]
    next_token = encode_token(rows[limit - 1]["id"], filters) if len(rows) > limit else ""
    return page, next_token


def _to_row(row) -> HistoryRow:  # type: ignore[no-untyped-def]
    return HistoryRow(
        transaction_id=row["transaction_id"],
        type=row["type"],
        currency=row["currency"],
        points=row["points"],
        source_id=row["source_id"],
        origin_type=row["origin_type"],
        origin_id=row["origin_id"],
        reason_code=row["reason_code"],
        reason=row["reason"],
        request_id=row["request_id"],
        actor=row["actor"],
        effective_at=row["effective_at"],
        created_at=row["created_at"],
    )
