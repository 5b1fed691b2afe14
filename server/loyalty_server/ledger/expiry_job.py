"""The scheduled side of expiry, run inside the server (no external cron).

Each round: (1) settle every account whose `settle_at` has come, so points.expired and hold.expired
events go out on time even for members nobody reads; (2) announce lots that expire within their
currency's `expiring_notice_days` with one points.expiring event per account and currency.

Safe across restarts and replicas: settling locks the account and re-checks it, so a lot expires
once; a notice marks its lots in the same transaction as its event, so it goes out once.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import func, select, update

from loyalty.v1 import subscription_pb2
from loyalty_server.events.outbox import append_event
from loyalty_server.ledger.members import event_member, get_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tables import accounts, lots, members
from loyalty_server.storage.engine import write_transaction

ACCOUNTS_PER_ROUND_MAX = 500
NOTICES_PER_ROUND_MAX = 500


class RoundResult(NamedTuple):
    settled_accounts: int
    notices: int


async def run_round(ledger: Ledger) -> RoundResult:
    return RoundResult(await settle_due_accounts(ledger), await announce_expiring(ledger))


async def settle_due_accounts(ledger: Ledger) -> int:
    now = ledger.clock.now()
    query = (
        select(members.c.tenant_id, members.c.member_id)
        .join(accounts, accounts.c.member_pk == members.c.id)
        .where(accounts.c.settle_at <= now)
        .distinct()
        .limit(ACCOUNTS_PER_ROUND_MAX)
    )
    async with ledger.engine.connect() as connection:
        due = (await connection.execute(query)).all()
    for tenant_id, member_id in due:
        await ledger.balance(tenant_id, member_id)  # reading a due account settles it, with its events
    return len(due)


async def announce_expiring(ledger: Ledger) -> int:
    """One points.expiring event per (account, day) of lots newly inside their notice window."""
    now = ledger.clock.now()
    sent = 0
    async with ledger.engine.connect() as connection:
        candidates = (
            await connection.execute(
                select(accounts.c.id, accounts.c.tenant_id, accounts.c.currency, members.c.member_id)
                .join(lots, lots.c.account_pk == accounts.c.id)
                .join(members, members.c.id == accounts.c.member_pk)
                .where(lots.c.available > 0, lots.c.expires_at > now, lots.c.expiring_notified_at.is_(None))
                .distinct()
                .limit(NOTICES_PER_ROUND_MAX)
            )
        ).all()
    for account_pk, tenant_id, currency, member_id in candidates:
        notice_days = ledger.program_for(tenant_id).currencies[currency].expiring_notice_days
        if notice_days <= 0:
            continue
        horizon = now + dt.timedelta(days=notice_days)
        async with write_transaction(ledger.engine) as connection:
            window = (
                lots.c.account_pk == account_pk,
                lots.c.available > 0,
                lots.c.expires_at > now,
                lots.c.expires_at <= horizon,
                lots.c.expiring_notified_at.is_(None),
            )
            points, first_expiry = (
                await connection.execute(
                    select(func.sum(lots.c.available), func.min(lots.c.expires_at)).where(*window)
                )
            ).one()
            if not points:
                continue
            await connection.execute(update(lots).where(*window).values(expiring_notified_at=now))
            member = await get_member(connection, tenant_id, member_id)
            first_expiry = first_expiry if first_expiry.tzinfo else first_expiry.replace(tzinfo=dt.UTC)
            payload = subscription_pb2.PointsExpiringPayload(
                currency=currency, points=int(points), days_until_expiry=max(0, (first_expiry - now).days)
            )
            payload.expire_time.FromDatetime(first_expiry)
            event = subscription_pb2.Event(
                type=subscription_pb2.EVENT_TYPE_POINTS_EXPIRING,
                member=event_member(member),
                points_expiring=payload,
            )
            await append_event(connection, ledger.clock, tenant_id=tenant_id, event=event)
            sent += 1
    return sent
