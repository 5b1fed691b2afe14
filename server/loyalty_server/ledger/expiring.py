"""What a member's points will lose soon: lots with points left that expire within N days, soonest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server import requests
from loyalty_server.auth import paging
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.ledger.members import get_member
from loyalty_server.ledger.tables import accounts, lots
from loyalty_server.storage.sqlite_loop import read_connection

WITHIN_DAYS_DEFAULT = 30
WITHIN_DAYS_MAX = 366


@dataclass(frozen=True, slots=True)
class ExpiringLot:
    lot_id: str  # "lot_<pk>": lots have no public id of their own
    currency: str
    points: int
    expires_at: dt.datetime
    source_id: str


def check_within_days(within_days: int) -> int:
    if not 0 <= within_days <= WITHIN_DAYS_MAX:
        raise invalid_argument(
            "WITHIN_DAYS_INVALID",
            f"within_days: 1-{WITHIN_DAYS_MAX}",
            FieldViolation("within_days", f"1-{WITHIN_DAYS_MAX}"),
        )
    return within_days or WITHIN_DAYS_DEFAULT


async def list_expiring(
    engine: AsyncEngine,
    tenant_id: int,
    member_id: str,
    now: dt.datetime,
    *,
    within_days: int = 0,
    currency: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[ExpiringLot], dict[str, int], str]:
    """One page of expiring lots, the totals over all pages per currency, and the next page token."""
    horizon = now + dt.timedelta(days=check_within_days(within_days))
    limit = requests.page_size(page_size)
    position = paging.decode(page_token, length=2)
    async with read_connection(engine) as connection:
        member = await get_member(connection, tenant_id, member_id)
        due = (
            select(lots.c.id, lots.c.available, lots.c.expires_at, lots.c.source_id, accounts.c.currency)
            .join(accounts, accounts.c.id == lots.c.account_pk)
            .where(
                accounts.c.member_pk == member.pk,
                lots.c.available > 0,
                lots.c.expires_at > now,
                lots.c.expires_at <= horizon,
            )
        )
        if currency:
            due = due.where(accounts.c.currency == currency)
        due_lots = due.subquery()
        totals_query = select(due_lots.c.currency, func.sum(due_lots.c.available)).group_by(
            due_lots.c.currency
        )
        totals = {name: int(points) for name, points in await connection.execute(totals_query)}
        page_query = due
        if position is not None:
            after_time, after_pk = _position(position)
            page_query = page_query.where(
                (lots.c.expires_at > after_time)
                | ((lots.c.expires_at == after_time) & (lots.c.id > after_pk))
            )
        page_query = page_query.order_by(lots.c.expires_at, lots.c.id).limit(limit + 1)
        rows = (await connection.execute(page_query)).mappings().all()
    page = [
        ExpiringLot(
            f"lot_{row['id']}", row["currency"], row["available"], row["expires_at"], row["source_id"]
        )
        for row in rows[:limit]
    ]
    token = ""
    if len(rows) > limit:
        last = rows[limit - 1]
        token = paging.encode([last["expires_at"].isoformat(), last["id"]])
    return page, totals, token


def _position(position: list) -> tuple[dt.datetime, int]:  # type: ignore[type-arg]
    try:
        return dt.datetime.fromisoformat(position[0]), int(position[1])
    except (TypeError, ValueError):
        raise invalid_argument(
            "PAGE_TOKEN_INVALID", "page_token is not valid", FieldViolation("page_token", "invalid")
        ) from None
