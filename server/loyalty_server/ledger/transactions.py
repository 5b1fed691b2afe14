"""Reading transactions back whole: the row, its postings, its member, the transaction it reverses,
and the expiry of the points it created. What GetTransaction, ListTransactions and every write's
response show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.errors import not_found
from loyalty_server.ledger.tables import accounts, ledger_transactions, lots, members, postings
from loyalty_server.storage.schema import utc_aggregate

TRANSACTIONS_PER_READ_MAX = 1000


@dataclass(frozen=True, slots=True)
class PostingView:
    account: str  # e.g. "member/m_…/permanent", "program/issuance/permanent"
    account_type: str  # member | issuance | redemption | expiry | adjustment | ...
    currency: str
    points: int  # signed


@dataclass(frozen=True, slots=True)
class TransactionView:
    pk: int
    transaction_id: str
    type: str
    member_id: str
    loyalty_id: str
    currency: str
    points: int
    debt_points: int
    postings: tuple[PostingView, ...]
    source_id: str | None
    origin_type: str
    origin_id: str
    origin_client_id: str
    reason_code: str
    reason: str
    request_id: str
    reverses_transaction_id: str | None
    actor: str
    effective_at: dt.datetime
    created_at: dt.datetime
    expires_at: dt.datetime | None  # of the points it created (the earliest, when several lots)
    pending_until: dt.datetime | None


async def get_transaction(
    connection: AsyncConnection, tenant_id: int, transaction_id: str
) -> TransactionView:
    """NOT_FOUND (TRANSACTION_NOT_FOUND) when missing or another tenant's."""
    t = ledger_transactions
    query = select(t.c.id).where(t.c.tenant_id == tenant_id, t.c.transaction_id == transaction_id)
    pk = (await connection.execute(query)).scalar()
    if pk is None:
        raise not_found("TRANSACTION_NOT_FOUND", "no such transaction", transaction_id=transaction_id)
    return (await load_transactions(connection, [pk]))[0]


# Built once: every write's response reads its transactions back (the alias alone costs more to build
# than the reads). "pks" is an expanding parameter, one placeholder per id.
_reversed = ledger_transactions.alias("reversed_t")
_TRANSACTIONS = (
    select(
        ledger_transactions,
        members.c.member_id,
        members.c.loyalty_id,
        _reversed.c.transaction_id.label("reverses_id"),
    )
    .join(members, members.c.id == ledger_transactions.c.member_pk)
    .outerjoin(_reversed, _reversed.c.id == ledger_transactions.c.reverses_pk)
    .where(ledger_transactions.c.id.in_(bindparam("pks", expanding=True)))
)
_POSTINGS = (
    select(
        postings.c.transaction_pk,
        postings.c.amount,
        accounts.c.name,
        accounts.c.account_type,
        accounts.c.currency,
    )
    .join(accounts, accounts.c.id == postings.c.account_pk)
    .where(postings.c.transaction_pk.in_(bindparam("pks", expanding=True)))
    .order_by(postings.c.id)
)
_LOT_TIMES = (
    select(lots.c.transaction_pk, func.min(lots.c.expires_at), func.max(lots.c.pending_until))
    .where(lots.c.transaction_pk.in_(bindparam("pks", expanding=True)))
    .group_by(lots.c.transaction_pk)
)


async def load_transactions(connection: AsyncConnection, pks: Sequence[int]) -> list[TransactionView]:
    """The transactions with these internal ids, in the order given. Three indexed reads in all."""
    assert len(pks) <= TRANSACTIONS_PER_READ_MAX
    if not pks:
        return []
    values = {"pks": list(pks)}
    rows = {row["id"]: row for row in (await connection.execute(_TRANSACTIONS, values)).mappings()}
    legs: dict[int, list[PostingView]] = {}
    for row in (await connection.execute(_POSTINGS, values)).mappings():
        legs.setdefault(row["transaction_pk"], []).append(
            PostingView(row["name"], row["account_type"], row["currency"], row["amount"])
        )
    lot_times = {
        pk: (utc_aggregate(expires), utc_aggregate(pending))
        for pk, expires, pending in await connection.execute(_LOT_TIMES, values)
    }
    return [_view(rows[pk], tuple(legs.get(pk, ())), lot_times.get(pk, (None, None))) for pk in pks]


def _view(row: RowMapping, legs: tuple[PostingView, ...], lot_times: tuple) -> TransactionView:  # type: ignore[type-arg]
    return TransactionView(
        pk=row["id"],
        transaction_id=row["transaction_id"],
        type=row["type"],
        member_id=row["member_id"],
        loyalty_id=row["loyalty_id"],
        currency=row["currency"],
        points=row["points"],
        debt_points=row["debt_points"],
        postings=legs,
        source_id=row["source_id"],
        origin_type=row["origin_type"],
        origin_id=row["origin_id"],
        origin_client_id=row["origin_client_id"],
        reason_code=row["reason_code"],
        reason=row["reason"],
        request_id=row["request_id"],
        reverses_transaction_id=row["reverses_id"],
        actor=row["actor"],
        effective_at=row["effective_at"],
        created_at=row["created_at"],
        expires_at=lot_times[0],
        pending_until=lot_times[1],
    )
