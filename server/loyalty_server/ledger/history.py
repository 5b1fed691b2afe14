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
from loyalty_server.ledger.transactions import TransactionView, load_transactions
from loyalty_server.storage.sqlite_loop import read_connection

TRANSACTION_TYPES = frozenset({"earn", "spend", "expire", "reverse", "adjust", "transfer_out", "transfer_in"})


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    types: frozenset[str] = frozenset()  # empty: every type
    currency: str | None = None
    since: dt.datetime | None = None  # effective time, inclusive
    until: dt.datetime | None = None  # effective time, exclusive
    origin: tuple[str, str, str] | None = None  # (type, id, client id): one source's transactions

    def fingerprint(self) -> str:
        content = [sorted(self.types), self.currency, _iso(self.since), _iso(self.until), self.origin]
        return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:16]


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
) -> tuple[list[TransactionView], str]:
    """One page of the member's history and the token of the next page ("" after the last)."""
    unknown = sorted(filters.types - TRANSACTION_TYPES)
    if unknown:
        raise invalid_argument(
            "UNKNOWN_TRANSACTION_TYPE", f"unknown type {unknown[0]!r}", FieldViolation("types", "unknown")
        )
    limit = requests.page_size(page_size)
    after = decode_token(page_token, filters)
    t = ledger_transactions
    async with read_connection(engine) as connection:
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
        if filters.origin:
            origin_type, origin_id, client_id = filters.origin
            query = query.where(
                t.c.origin_type == origin_type, t.c.origin_id == origin_id, t.c.origin_client_id == client_id
            )
        query = query.with_only_columns(t.c.id).order_by(t.c.id.desc()).limit(limit + 1)
        pks = list((await connection.execute(query)).scalars())
        page = await load_transactions(connection, pks[:limit])
    next_token = encode_token(pks[limit - 1], filters) if len(pks) > limit else ""
    return page, next_token
