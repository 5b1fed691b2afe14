"""Reading a member's balances: the member, its accounts and their source figures in one query.

GetBalance is the engine's hottest read, so it is one indexed query (the member by its public id, its
accounts by member, each account's source balances by account), prepared once (`storage/prepared.py`).
It reads only the member's ids: the whole member row (33 columns, repeated on every account and source
row) cost more than the accounts themselves (SQLite 13 us and Python 23 us a read of two rows, against
8 us for SQLite with the ids only). Who needs the rest reads the member itself (`get_member`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.ledger.members import not_found
from loyalty_server.ledger.tables import accounts, members, source_balances
from loyalty_server.storage.prepared import Prepared, Row

_MEMBER_BALANCES = Prepared(
    select(
        members.c.id.label("member_pk"),
        members.c.member_id,
        members.c.loyalty_id,
        accounts.c.id.label("account_pk"),
        accounts.c.currency,
        accounts.c.posted,
        accounts.c.held,
        accounts.c.pending,
        accounts.c.debt,
        accounts.c.lifetime_earned,
        accounts.c.lifetime_spent,
        accounts.c.lifetime_expired,
        accounts.c.settle_at,
        accounts.c.updated_at.label("account_updated_at"),
        source_balances.c.source_id,
        source_balances.c.lifetime_earned.label("source_lifetime_earned"),
        source_balances.c.remaining.label("source_remaining"),
    )
    .select_from(
        members.outerjoin(accounts, accounts.c.member_pk == members.c.id).outerjoin(
            source_balances, source_balances.c.account_pk == accounts.c.id
        )
    )
    .where(members.c.tenant_id == bindparam("tenant"), members.c.member_id == bindparam("member"))
)


@dataclass(frozen=True, slots=True)
class AccountFigures:
    """One member account's figures, as kept current by every posting."""

    account_pk: int
    currency: str
    posted: int
    held: int
    pending: int
    debt: int
    lifetime_earned: int
    lifetime_spent: int
    lifetime_expired: int
    settle_at: dt.datetime | None  # when a lot of it comes due (see ledger/book.py)
    updated_at: dt.datetime
    sources: dict[str, tuple[int, int]]  # source id -> (lifetime earned, remaining)


@dataclass(frozen=True, slots=True)
class MemberIds:
    """Who a balance belongs to: what a balance shows of the member."""

    pk: int
    member_id: str
    loyalty_id: str


@dataclass(frozen=True, slots=True)
class MemberBalances:
    member: MemberIds
    accounts: dict[str, AccountFigures]  # by currency; a currency never earned has none


async def read_member_balances(connection: AsyncConnection, tenant_id: int, member_id: str) -> MemberBalances:
    """The member (NOT_FOUND when there is none in this tenant) and its accounts' figures."""
    rows = await _MEMBER_BALANCES.rows(connection, tenant=tenant_id, member=member_id)
    if not rows:
        raise not_found("MEMBER_NOT_FOUND", "no such member", member_id=member_id)
    figures: dict[str, AccountFigures] = {}
    for row in rows:
        if row["account_pk"] is None:
            continue  # a member without accounts: one row, the member's
        account = figures.get(row["currency"]) or figures.setdefault(row["currency"], _figures(row))
        if row["source_id"] is not None:
            account.sources[row["source_id"]] = (row["source_lifetime_earned"], row["source_remaining"])
    first = rows[0]
    return MemberBalances(MemberIds(first["member_pk"], first["member_id"], first["loyalty_id"]), figures)


def _figures(row: Row) -> AccountFigures:
    return AccountFigures(
        account_pk=row["account_pk"],
        currency=row["currency"],
        posted=row["posted"],
        held=row["held"],
        pending=row["pending"],
        debt=row["debt"],
        lifetime_earned=row["lifetime_earned"],
        lifetime_spent=row["lifetime_spent"],
        lifetime_expired=row["lifetime_expired"],
        settle_at=row["settle_at"],
        updated_at=row["account_updated_at"],
        sources={},
    )
