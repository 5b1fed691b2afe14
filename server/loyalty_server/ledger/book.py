"""The book: writes double-entry transactions and keeps member balances current in the same write.

Every function runs inside the caller's write transaction. A member's account row is locked first
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serializes writers), so two
spends of one member never both see the same points. Program accounts only receive postings: their
balance is the sum of those, read at audit time, so they never become a lock every write waits on.

Lazy settlement: an account whose `settle_at` has come releases matured pending lots and expires due
lots (with an expiry transaction each) before it is read or spent from.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger.lots import LotView, allocate_spend
from loyalty_server.ledger.members import Member
from loyalty_server.ledger.tables import accounts, holds, ledger_transactions, lots, postings, source_balances

POINTS_MAX = 10**12  # one transaction never moves more than this
SETTLE_LOTS_MAX = 10_000  # lots one settlement handles; the rest on the next read or job run


@dataclass(frozen=True, slots=True)
class Entry:
    """What a transaction is about, beyond its amount: the ledger's "why" and "who"."""

    origin_type: str  # activity | purchase | redemption | hold | adjustment | expiry | ...
    origin_id: str
    reason_code: str
    reason: str = ""
    origin_client_id: str = ""
    request_id: str = ""
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class Booked:
    """A written transaction, as the member sees it."""

    pk: int
    transaction_id: str
    type: str
    currency: str
    points: int  # signed change of the member's account
    source_id: str | None
    expires_at: dt.datetime | None
    pending_until: dt.datetime | None
    available_after: int


def member_account_name(member_id: str, currency: str) -> str:
    return f"member/{member_id}/{currency}"


def program_account_name(kind: str, currency: str) -> str:
    return f"program/{kind}/{currency}"


def new_transaction_id() -> str:
    return "t_" + secrets.token_hex(10)


def _insert_ignore(connection: AsyncConnection, table, values: dict):  # type: ignore[no-untyped-def]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(**values).on_conflict_do_nothing()


async def _account_pk(
    connection: AsyncConnection, tenant_id: int, name: str, values: dict, now: dt.datetime
) -> int:
    query = select(accounts.c.id).where(accounts.c.tenant_id == tenant_id, accounts.c.name == name)
    pk = (await connection.execute(query)).scalar()
    if pk is None:
        # Two first writes may race to create it: the loser's insert does nothing.
        await connection.execute(
            _insert_ignore(
                connection, accounts, {**values, "tenant_id": tenant_id, "name": name, "updated_at": now}
            )
        )
        pk = (await connection.execute(query)).scalar_one()
    return pk


async def program_account_pk(
    connection: AsyncConnection, tenant_id: int, kind: str, currency: str, now: dt.datetime
) -> int:
    values = {"account_type": kind, "currency": currency}
    return await _account_pk(connection, tenant_id, program_account_name(kind, currency), values, now)


async def lock_member_account(
    connection: AsyncConnection, member: Member, currency: str, now: dt.datetime
) -> RowMapping:
    """The member's account row in `currency`, created if new, locked for this transaction."""
    values = {"account_type": "member", "member_pk": member.pk, "currency": currency}
    pk = await _account_pk(
        connection, member.tenant_id, member_account_name(member.member_id, currency), values, now
    )
    query = select(accounts).where(accounts.c.id == pk).with_for_update()
    return (await connection.execute(query)).mappings().one()


def available_of(account: RowMapping) -> int:
    return account["posted"] - account["held"] - account["pending"]


async def _insert_transaction(
    connection: AsyncConnection,
    member: Member,
    *,
    kind: str,
    currency: str,
    points: int,
    source_id: str | None,
    entry: Entry,
    effective_at: dt.datetime,
    now: dt.datetime,
    legs: list[tuple[int, int]],
) -> tuple[int, str]:
    """Insert the transaction and its postings; the legs (account pk, amount) must sum to zero."""
    assert sum(amount for _, amount in legs) == 0, f"unbalanced transaction: {legs}"
    assert all(amount != 0 for _, amount in legs)
    transaction_id = new_transaction_id()
    result = await connection.execute(
        insert(ledger_transactions).values(
            tenant_id=member.tenant_id,
            transaction_id=transaction_id,
            type=kind,
            member_pk=member.pk,
            currency=currency,
            points=points,
            source_id=source_id,
            origin_type=entry.origin_type,
            origin_id=entry.origin_id,
            origin_client_id=entry.origin_client_id,
            reason_code=entry.reason_code,
            reason=entry.reason,
            request_id=entry.request_id,
            actor=entry.actor,
            effective_at=effective_at,
            created_at=now,
        )
    )
    transaction_pk = result.inserted_primary_key[0]
    await connection.execute(
        insert(postings),
        [
            {
                "tenant_id": member.tenant_id,
                "transaction_pk": transaction_pk,
                "account_pk": pk,
                "amount": amount,
            }
            for pk, amount in legs
        ],
    )
    return transaction_pk, transaction_id


async def _add_to_source(
    connection: AsyncConnection,
    tenant_id: int,
    account_pk: int,
    source_id: str,
    *,
    earned: int,
    remaining: int,
) -> None:
    await connection.execute(
        _insert_ignore(
            connection,
            source_balances,
            {"tenant_id": tenant_id, "account_pk": account_pk, "source_id": source_id},
        )
    )
    await connection.execute(
        update(source_balances)
        .where(source_balances.c.account_pk == account_pk, source_balances.c.source_id == source_id)
        .values(
            lifetime_earned=source_balances.c.lifetime_earned + earned,
            remaining=source_balances.c.remaining + remaining,
        )
    )


def _earliest(*moments: dt.datetime | None) -> dt.datetime | None:
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


async def credit(
    connection: AsyncConnection,
    clock: Clock,
    member: Member,
    *,
    currency: str,
    points: int,
    source_id: str,
    entry: Entry,
    effective_at: dt.datetime,
    expires_at: dt.datetime | None,
    pending_until: dt.datetime | None,
) -> Booked:
    """Issue `points` to the member as a new lot: member +points, program/issuance -points."""
    assert 0 < points <= POINTS_MAX
    now = clock.now()
    account = await settle(connection, clock, member, currency)
    pending_now = pending_until is not None and pending_until > now
    issuance_pk = await program_account_pk(connection, member.tenant_id, "issuance", currency, now)
    transaction_pk, transaction_id = await _insert_transaction(
        connection,
        member,
        kind="earn",
        currency=currency,
        points=points,
        source_id=source_id,
        entry=entry,
        effective_at=effective_at,
        now=now,
        legs=[(account["id"], points), (issuance_pk, -points)],
    )
    await connection.execute(
        insert(lots).values(
            tenant_id=member.tenant_id,
            account_pk=account["id"],
            transaction_pk=transaction_pk,
            source_id=source_id,
            amount=points,
            available=points,
            expires_at=expires_at,
            pending_until=pending_until if pending_now else None,
            created_at=now,
        )
    )
    settle_at = _earliest(account["settle_at"], expires_at, pending_until if pending_now else None)
    await connection.execute(
        update(accounts)
        .where(accounts.c.id == account["id"])
        .values(
            posted=accounts.c.posted + points,
            pending=accounts.c.pending + (points if pending_now else 0),
            lifetime_earned=accounts.c.lifetime_earned + points,
            settle_at=settle_at,
            updated_at=now,
        )
    )
    await _add_to_source(
        connection, member.tenant_id, account["id"], source_id, earned=points, remaining=points
    )
    available_after = available_of(account) + (0 if pending_now else points)
    return Booked(
        transaction_pk,
        transaction_id,
        "earn",
        currency,
        points,
        source_id,
        expires_at,
        pending_until if pending_now else None,
        available_after,
    )


async def _spendable_lots(connection: AsyncConnection, account_pk: int) -> list[LotView]:
    query = select(
        lots.c.id, lots.c.available, lots.c.expires_at, lots.c.pending_until, lots.c.source_id
    ).where(lots.c.account_pk == account_pk, lots.c.available > 0)
    rows = (await connection.execute(query)).all()
    return [LotView(row.id, row.available, row.expires_at, row.pending_until, row.source_id) for row in rows]


async def _take_from_lots(
    connection: AsyncConnection, tenant_id: int, account_pk: int, points: int, now: dt.datetime
) -> None:
    taken = allocate_spend(await _spendable_lots(connection, account_pk), points, now)
    for lot, take in taken:
        await connection.execute(
            update(lots).where(lots.c.id == lot.lot_pk).values(available=lots.c.available - take)
        )
        await _add_to_source(connection, tenant_id, account_pk, lot.source_id, earned=0, remaining=-take)


async def debit(
    connection: AsyncConnection,
    clock: Clock,
    member: Member,
    *,
    currency: str,
    points: int,
    entry: Entry,
    effective_at: dt.datetime | None = None,
) -> Booked:
    """Spend `points` (soonest-expiring lots first): member -points, program/redemption +points.

    FAILED_PRECONDITION (INSUFFICIENT_POINTS) when fewer points are available; nothing written then.
    """
    assert 0 < points <= POINTS_MAX
    now = clock.now()
    account = await settle(connection, clock, member, currency)
    _require_available(account, points, currency)
    available = available_of(account)
    redemption_pk = await program_account_pk(connection, member.tenant_id, "redemption", currency, now)
    transaction_pk, transaction_id = await _insert_transaction(
        connection,
        member,
        kind="spend",
        currency=currency,
        points=-points,
        source_id=None,
        entry=entry,
        effective_at=effective_at or now,
        now=now,
        legs=[(account["id"], -points), (redemption_pk, points)],
    )
    await _take_from_lots(connection, member.tenant_id, account["id"], points, now)
    await connection.execute(
        update(accounts)
        .where(accounts.c.id == account["id"])
        .values(
            posted=accounts.c.posted - points,
            lifetime_spent=accounts.c.lifetime_spent + points,
            updated_at=now,
        )
    )
    return Booked(
        transaction_pk, transaction_id, "spend", currency, -points, None, None, None, available - points
    )


@dataclass(slots=True)
class Settlement:
    """What settling an account did, so the caller can announce it (points.expired, hold.expired)."""

    account: RowMapping  # the locked account row, as of after settling
    expired: list[Booked]
    expired_holds: list[RowMapping]


async def settle(connection: AsyncConnection, clock: Clock, member: Member, currency: str) -> RowMapping:
    """Lock the account and bring it up to now; returns the locked, settled account row."""
    return (await settle_account(connection, clock, member, currency)).account


async def settle_account(
    connection: AsyncConnection, clock: Clock, member: Member, currency: str
) -> Settlement:
    """Lock the account and bring it up to now: matured pending lots become spendable, due lots
    expire (one expiry transaction each), holds past their TTL are released."""
    now = clock.now()
    account = await lock_member_account(connection, member, currency, now)
    if account["settle_at"] is None or account["settle_at"] > now:
        return Settlement(account, [], [])
    await _release_pending(connection, account, now)
    expired = await _expire_due_lots(connection, clock, member, account, now)
    expired_holds = await _expire_holds(connection, account, now)
    next_due = await _next_settle_at(connection, account["id"])
    await connection.execute(
        update(accounts).where(accounts.c.id == account["id"]).values(settle_at=next_due, updated_at=now)
    )
    account = (
        (await connection.execute(select(accounts).where(accounts.c.id == account["id"]))).mappings().one()
    )
    return Settlement(account, expired, expired_holds)


async def _release_pending(connection: AsyncConnection, account: RowMapping, now: dt.datetime) -> None:
    matured = and_(
        lots.c.account_pk == account["id"], lots.c.pending_until.is_not(None), lots.c.pending_until <= now
    )
    total = select(func.coalesce(func.sum(lots.c.available), 0)).where(matured)
    released = int((await connection.execute(total)).scalar_one())  # PostgreSQL sums to a Decimal
    await connection.execute(update(lots).where(matured).values(pending_until=None))
    if released:
        await connection.execute(
            update(accounts)
            .where(accounts.c.id == account["id"])
            .values(pending=accounts.c.pending - released)
        )


async def _expire_due_lots(
    connection: AsyncConnection, clock: Clock, member: Member, account: RowMapping, now: dt.datetime
) -> list[Booked]:
    """One expiry transaction per due lot (member -available, program/expiry +available)."""
    due = (
        await connection.execute(
            select(lots.c.id, lots.c.available, lots.c.source_id, lots.c.expires_at, lots.c.pending_until)
            .where(lots.c.account_pk == account["id"], lots.c.available > 0, lots.c.expires_at <= now)
            .order_by(lots.c.expires_at, lots.c.id)
            .limit(SETTLE_LOTS_MAX)
        )
    ).all()
    if not due:
        return []
    currency = account["currency"]
    booked: list[Booked] = []
    expiry_pk = await program_account_pk(connection, member.tenant_id, "expiry", currency, now)
    total = still_pending = 0
    for lot in due:
        entry = Entry(origin_type="expiry", origin_id=str(lot.id), reason_code="EXPIRED")
        transaction_pk, transaction_id = await _insert_transaction(
            connection,
            member,
            kind="expire",
            currency=currency,
            points=-lot.available,
            source_id=lot.source_id,
            entry=entry,
            effective_at=lot.expires_at,
            now=now,
            legs=[(account["id"], -lot.available), (expiry_pk, lot.available)],
        )
        await connection.execute(update(lots).where(lots.c.id == lot.id).values(available=0))
        await _add_to_source(
            connection, member.tenant_id, account["id"], lot.source_id, earned=0, remaining=-lot.available
        )
        total += lot.available
        booked.append(
            Booked(
                transaction_pk,
                transaction_id,
                "expire",
                currency,
                -lot.available,
                lot.source_id,
                lot.expires_at,
                None,
                available_of(account) - total,
            )
        )
        if lot.pending_until is not None:  # expired before its return window closed
            still_pending += lot.available
    await connection.execute(
        update(accounts)
        .where(accounts.c.id == account["id"])
        .values(
            posted=accounts.c.posted - total,
            pending=accounts.c.pending - still_pending,
            lifetime_expired=accounts.c.lifetime_expired + total,
        )
    )
    return booked


async def _next_settle_at(connection: AsyncConnection, account_pk: int) -> dt.datetime | None:
    live = and_(lots.c.account_pk == account_pk, lots.c.available > 0)
    next_pending = (await connection.execute(select(func.min(lots.c.pending_until)).where(live))).scalar()
    next_expiry = (await connection.execute(select(func.min(lots.c.expires_at)).where(live))).scalar()
    active_holds = and_(holds.c.account_pk == account_pk, holds.c.status == "active")
    next_hold = (await connection.execute(select(func.min(holds.c.expires_at)).where(active_holds))).scalar()
    return _earliest(_aware(next_pending), _aware(next_expiry), _aware(next_hold))


# --- holds ---------------------------------------------------------------------------------------


def new_hold_id() -> str:
    return "h_" + secrets.token_hex(10)


async def place_hold(
    connection: AsyncConnection,
    clock: Clock,
    member: Member,
    *,
    currency: str,
    points: int,
    expires_at: dt.datetime,
    reference: str = "",
    description: str = "",
) -> RowMapping:
    """Reserve points: they stay posted but are no longer available. INSUFFICIENT_POINTS if short."""
    assert 0 < points <= POINTS_MAX
    now = clock.now()
    assert expires_at > now
    account = await settle(connection, clock, member, currency)
    _require_available(account, points, currency)
    result = await connection.execute(
        insert(holds).values(
            tenant_id=member.tenant_id,
            hold_id=new_hold_id(),
            member_pk=member.pk,
            account_pk=account["id"],
            currency=currency,
            points=points,
            status="active",
            reference=reference,
            description=description,
            expires_at=expires_at,
            created_at=now,
        )
    )
    await connection.execute(
        update(accounts)
        .where(accounts.c.id == account["id"])
        .values(
            held=accounts.c.held + points,
            settle_at=_earliest(account["settle_at"], expires_at),
            updated_at=now,
        )
    )
    return (
        (await connection.execute(select(holds).where(holds.c.id == result.inserted_primary_key[0])))
        .mappings()
        .one()
    )


async def find_hold(
    connection: AsyncConnection, tenant_id: int, hold_id: str, *, lock: bool = False
) -> RowMapping:
    query = select(holds).where(holds.c.tenant_id == tenant_id, holds.c.hold_id == hold_id)
    row = (await connection.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise DomainError(
            ErrorKind.NOT_FOUND, "HOLD_NOT_FOUND", "no such hold", metadata={"hold_id": hold_id}
        )
    return row


async def close_hold(
    connection: AsyncConnection,
    hold: RowMapping,
    *,
    status: str,
    now: dt.datetime,
    captured_points: int = 0,
    capture_transaction_pk: int | None = None,
) -> None:
    """End an active hold: its reserved points stop being held (a capture then spends what it takes)."""
    assert hold["status"] == "active", hold["hold_id"]
    assert status in ("captured", "voided", "expired"), status
    await connection.execute(
        update(holds)
        .where(holds.c.id == hold["id"])
        .values(
            status=status,
            captured_points=captured_points,
            capture_transaction_pk=capture_transaction_pk,
            closed_at=now,
        )
    )
    await connection.execute(
        update(accounts)
        .where(accounts.c.id == hold["account_pk"])
        .values(held=accounts.c.held - hold["points"])
    )


async def _expire_holds(
    connection: AsyncConnection, account: RowMapping, now: dt.datetime
) -> list[RowMapping]:
    query = select(holds).where(
        holds.c.account_pk == account["id"], holds.c.status == "active", holds.c.expires_at <= now
    )
    expired = list((await connection.execute(query.with_for_update())).mappings())
    for hold in expired:
        await close_hold(connection, hold, status="expired", now=now)
    return expired


def _require_available(account: RowMapping, points: int, currency: str) -> None:
    available = available_of(account)
    if points > available:
        raise DomainError(
            ErrorKind.FAILED_PRECONDITION,
            "INSUFFICIENT_POINTS",
            f"{points} {currency} points asked, {available} available",
            metadata={"available_points": str(available), "currency": currency},
        )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """Aggregates bypass the column type on SQLite: restore UTC awareness."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)
