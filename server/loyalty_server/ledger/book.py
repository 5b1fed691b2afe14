"""The book: writes double-entry transactions and keeps member balances current in the same write.

Every function runs inside the caller's write transaction. A member's account row is locked first
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serializes writers), so two
spends of one member never both see the same points. Program accounts only receive postings: their
balance is the sum of those, read at audit time, so they never become a lock every write waits on.

Lazy settlement: an account whose `settle_at` has come releases matured pending lots, ends holds past
their TTL, and expires due lots (with an expiry transaction each) before it is read or spent from.
Expiry spares the points active holds still need: a hold only raises `held`, so expiring its points
would leave available = posted - held - pending below zero and its capture short. It expires at most
due - max(0, held - spendable points not due) of the due spendable points (soonest-expiring first);
the spared rest stays in its lots, which stay due and are spent first (a capture consumes them), and
expires at the first settlement after the hold is captured, voided or expired.

Two primitives write every member transaction: `give` (points in: new lots, or back into the lots a
debit drew from) and `take` (points out of lots, each draw recorded in `lot_draws`, so a reversal can
give them back with their own expiry). Expiry takes lots directly and records no draws.

Debt. A reversal may ask for points the member no longer has. Under the program's RECORD_DEBT policy
the shortfall is posted to the member's debt account (`member/<id>/<currency>/debt`, type
`debt`, whose balance is minus what is owed) and mirrored in the member account's `debt`. Under
ALLOW_NEGATIVE it is posted to the member account itself, whose `posted` then goes below zero (only
once every lot is empty). Every later credit pays off what is owed first, debt before a negative
balance, and only the rest lands in lots. A transaction's `points` is its member leg and its
`debt_points` its debt leg (negative: debt recorded; positive: debt paid off), so `points +
debt_points` is the whole change to what the member owns. Always, per member account: lots =
max(posted, 0); posted < 0 only under ALLOW_NEGATIVE; debt = -(debt account balance) >= 0.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Update

from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ids import time_ordered_hex
from loyalty_server.ledger.account_ids import known_account_pk, remember_account_pk
from loyalty_server.ledger.account_rows import forget_row, keep_row, kept_row
from loyalty_server.ledger.flows import note_flow
from loyalty_server.ledger.lots import LotView, allocate_spend, spend_order
from loyalty_server.ledger.members import Member
from loyalty_server.ledger.tables import (
    accounts,
    holds,
    ledger_transactions,
    lot_draws,
    lots,
    postings,
    source_balances,
)
from loyalty_server.storage.prepared import Prepared, Row
from loyalty_server.storage.schema import utc_aggregate

POINTS_MAX = 10**12  # one transaction never moves more than this
SETTLE_LOTS_MAX = 10_000  # lots one settlement handles; the rest on the next read or job run
DEBT_ACCOUNT_TYPE = "debt"
EARNING_KINDS = frozenset({"earn", "adjust"})  # credits that count in lifetime earned
ADJUSTMENT_SOURCE = "adjustment"  # built-in source of manual credits, whatever the program's sources

# What a take does with the points the lots cannot give: refuse (the caller checked availability),
# record them as debt (RECORD_DEBT), or take them below zero (ALLOW_NEGATIVE).
Shortfall = Literal["refuse", "debt", "negative"]


@dataclass(frozen=True, slots=True)
class Entry:
    """What a transaction is about, beyond its amount: the ledger's "why" and "who"."""

    origin_type: str  # activity | purchase | redemption | hold | adjustment | expiry | ...
    origin_id: str  # "": the transaction is its own origin (its transaction id is written here)
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
    debt_points: int = 0  # the debt leg: < 0 debt recorded, > 0 debt paid off (see the module notes)


@dataclass(frozen=True, slots=True)
class NewLot:
    """Points that land in a new lot."""

    points: int
    source_id: str
    expires_at: dt.datetime | None
    pending_until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Draw:
    """Points a debit took from one lot (a `lot_draws` row); given back, they return to that lot."""

    lot_pk: int
    points: int


@dataclass(frozen=True, slots=True)
class Movement:
    """What a give or take writes besides its points: the transaction's type, its program account on
    the other side, and how it counts in the member's lifetime figures."""

    kind: str  # earn | spend | reverse | adjust | transfer_in | transfer_out
    counter: str  # program account kind: issuance | redemption | adjustment
    currency: str
    entry: Entry
    effective_at: dt.datetime
    source_id: str | None = None
    reverses_pk: int | None = None
    earned: int = 0  # change of lifetime earned (the account's and source_id's breakdown)
    spent: int = 0  # change of lifetime spent
    # A take only: points of a reversed earn that had already expired. They left the member then, so
    # they are posted against program/expiry (not the member) and leave lifetime expired instead.
    expired: int = 0


def member_account_name(member_id: str, currency: str) -> str:
    return f"member/{member_id}/{currency}"


def debt_account_name(member_id: str, currency: str) -> str:
    return f"member/{member_id}/{currency}/debt"


def program_account_name(kind: str, currency: str) -> str:
    return f"program/{kind}/{currency}"


def new_transaction_id() -> str:
    return "t_" + time_ordered_hex()


def _account_write(statement: Update) -> Prepared:
    """An UPDATE of one account row (bind name `account`), returning the whole row it leaves."""
    return Prepared(statement.returning(*accounts.c))


# The write path's statements, built once: building a statement and its cache key costs about as
# much as running it on SQLite (see members._MEMBER). Bind names in UPDATEs avoid column names.
_LOCK_ACCOUNTS = (
    select(accounts)
    .where(accounts.c.id.in_(bindparam("account_pks", expanding=True)))
    .order_by(accounts.c.id)  # PostgreSQL sorts before it locks: the rows are locked in id order
    .with_for_update()
)
# A write locks one account per currency its rules earn in: a few. Those counts run prepared.
LOCK_PREPARED_ACCOUNTS_MAX = 4
_LOCK_N_ACCOUNTS = {
    count: Prepared(
        select(accounts)
        .where(accounts.c.id.in_([bindparam(f"pk{index}") for index in range(count)]))
        .order_by(accounts.c.id)
        .with_for_update()
    )
    for count in range(1, LOCK_PREPARED_ACCOUNTS_MAX + 1)
}
# Finding and creating an account by name: each member's first write in a currency runs these.
_ACCOUNT_PK = Prepared(
    select(accounts.c.id).where(
        accounts.c.tenant_id == bindparam("tenant_id"), accounts.c.name == bindparam("name")
    )
)
_ACCOUNT_COLUMNS = ("tenant_id", "name", "account_type", "currency", "member_pk", "updated_at")
_CREATE_ACCOUNT = {  # two first writes may race to create one: the loser's insert does nothing
    "postgresql": Prepared(
        postgresql.insert(accounts).on_conflict_do_nothing(), insert_columns=_ACCOUNT_COLUMNS
    ),
    "sqlite": Prepared(sqlite.insert(accounts).on_conflict_do_nothing(), insert_columns=_ACCOUNT_COLUMNS),
}
_INSERT_TRANSACTION = Prepared(
    insert(ledger_transactions).returning(ledger_transactions.c.id),
    insert_columns=[column.name for column in ledger_transactions.c if column.name != "id"],
)
_INSERT_POSTINGS = Prepared(
    insert(postings), insert_columns=("tenant_id", "transaction_pk", "account_pk", "amount")
)
_INSERT_LOT = Prepared(
    insert(lots),
    insert_columns=(
        "tenant_id",
        "account_pk",
        "transaction_pk",
        "source_id",
        "amount",
        "available",
        "expires_at",
        "pending_until",
        "created_at",
    ),
)
_INSERT_DRAWS = insert(lot_draws)
_TAKE_FROM_LOT = (
    update(lots).where(lots.c.id == bindparam("lot")).values(available=lots.c.available - bindparam("share"))
)
_GIVE_TO_ACCOUNT = _account_write(
    update(accounts)
    .where(accounts.c.id == bindparam("account"))
    .values(
        posted=accounts.c.posted + bindparam("member_leg"),
        pending=accounts.c.pending + bindparam("pending_change"),
        debt=accounts.c.debt - bindparam("debt_change"),
        lifetime_earned=accounts.c.lifetime_earned + bindparam("earned"),
        lifetime_spent=accounts.c.lifetime_spent + bindparam("spent"),
        settle_at=bindparam("next_settle_at", type_=accounts.c.settle_at.type),
        updated_at=bindparam("now", type_=accounts.c.updated_at.type),
    )
)
_TAKE_FROM_ACCOUNT = _account_write(
    update(accounts)
    .where(accounts.c.id == bindparam("account"))
    .values(
        posted=accounts.c.posted + bindparam("member_leg"),
        pending=accounts.c.pending - bindparam("pending_change"),
        debt=accounts.c.debt - bindparam("debt_change"),
        lifetime_earned=accounts.c.lifetime_earned + bindparam("earned"),
        lifetime_spent=accounts.c.lifetime_spent + bindparam("spent"),
        lifetime_expired=accounts.c.lifetime_expired - bindparam("expired"),
        updated_at=bindparam("now", type_=accounts.c.updated_at.type),
    )
)
_SETTLED_ACCOUNT = _account_write(
    update(accounts)
    .where(accounts.c.id == bindparam("account"))
    .values(
        settle_at=bindparam("next_settle_at", type_=accounts.c.settle_at.type),
        updated_at=bindparam("now", type_=accounts.c.updated_at.type),
    )
)


_SOURCE_COLUMNS = ("tenant_id", "account_pk", "source_id", "lifetime_earned", "remaining")


def _source_upsert(dialect_insert):  # type: ignore[no-untyped-def]
    """Add to a source's figures, creating its row on first use: one statement, not two."""
    statement = dialect_insert(source_balances)
    return statement.on_conflict_do_update(
        index_elements=[source_balances.c.account_pk, source_balances.c.source_id],
        set_={
            "lifetime_earned": source_balances.c.lifetime_earned + statement.excluded.lifetime_earned,
            "remaining": source_balances.c.remaining + statement.excluded.remaining,
        },
    )


_ADD_TO_SOURCE = {
    "postgresql": Prepared(_source_upsert(postgresql.insert), insert_columns=_SOURCE_COLUMNS),
    "sqlite": Prepared(_source_upsert(sqlite.insert), insert_columns=_SOURCE_COLUMNS),
}


async def _stored_account_pk(connection: AsyncConnection, tenant_id: int, name: str) -> int | None:
    row = await _ACCOUNT_PK.first(connection, tenant_id=tenant_id, name=name)
    return None if row is None else row["id"]


async def _account_pk(
    connection: AsyncConnection, tenant_id: int, name: str, values: dict[str, Any], now: dt.datetime
) -> int:
    pk = known_account_pk(connection, tenant_id, name)
    if pk is not None:
        return pk
    pk = await _stored_account_pk(connection, tenant_id, name)
    if pk is None:
        row = {"member_pk": None, **values, "tenant_id": tenant_id, "name": name, "updated_at": now}
        await _CREATE_ACCOUNT[connection.dialect.name].run(connection, **row)
        pk = await _stored_account_pk(connection, tenant_id, name)
        assert pk is not None, f"account {name} neither found nor created"
    remember_account_pk(connection, tenant_id, name, pk)
    return pk


async def program_account_pk(
    connection: AsyncConnection, tenant_id: int, kind: str, currency: str, now: dt.datetime
) -> int:
    values = {"account_type": kind, "currency": currency}
    return await _account_pk(connection, tenant_id, program_account_name(kind, currency), values, now)


async def debt_account_pk(
    connection: AsyncConnection, member: Member, currency: str, now: dt.datetime
) -> int:
    """The member's debt account. No member_pk: member_pk finds a member's balance rows, and this
    account's figure lives on the member account (`debt`); only its postings are here."""
    values = {"account_type": DEBT_ACCOUNT_TYPE, "currency": currency}
    return await _account_pk(
        connection, member.tenant_id, debt_account_name(member.member_id, currency), values, now
    )


async def member_account_pk(
    connection: AsyncConnection, member: Member, currency: str, now: dt.datetime
) -> int:
    """The member's account in `currency`, created if new, not locked (to sort several before locking)."""
    values = {"account_type": "member", "member_pk": member.pk, "currency": currency}
    return await _account_pk(
        connection, member.tenant_id, member_account_name(member.member_id, currency), values, now
    )


async def lock_member_account(
    connection: AsyncConnection, member: Member, currency: str, now: dt.datetime
) -> Row:
    """The member's account row in `currency`, created if new, locked for this transaction."""
    return await lock_account(connection, await member_account_pk(connection, member, currency, now))


async def existing_member_account_pks(
    connection: AsyncConnection, tenant_id: int, member_id: str, currencies: Iterable[str]
) -> dict[str, int]:
    """The member's accounts in these currencies that exist, by currency, without creating any:
    those this process has seen committed need no statement, the others a read each."""
    names = {member_account_name(member_id, currency): currency for currency in currencies}
    found = {name: known_account_pk(connection, tenant_id, name) for name in names}
    for name in [name for name, pk in found.items() if pk is None]:  # a member's first writes
        pk = found[name] = await _stored_account_pk(connection, tenant_id, name)
        if pk is not None:
            remember_account_pk(connection, tenant_id, name, pk)
    return {names[name]: pk for name, pk in found.items() if pk is not None}


async def lock_accounts(connection: AsyncConnection, account_pks: Iterable[int]) -> list[Row]:
    """The account rows in id order, locked for this transaction in that order, those not yet locked
    in one statement. Each is read under its lock once, then used as this transaction's writes left
    it (ledger/account_rows.py)."""
    ordered = sorted(set(account_pks))
    rows = {pk: row for pk in ordered if (row := kept_row(connection, pk)) is not None}
    missing = [pk for pk in ordered if pk not in rows]
    if missing:
        for row in await _locked_rows(connection, missing):
            keep_row(connection, row)
            rows[row["id"]] = row
    return [rows[pk] for pk in ordered]


async def _locked_rows(connection: AsyncConnection, account_pks: list[int]) -> Sequence[Row]:
    prepared = _LOCK_N_ACCOUNTS.get(len(account_pks))
    if prepared is None:
        return list((await connection.execute(_LOCK_ACCOUNTS, {"account_pks": account_pks})).mappings())
    return await prepared.rows(connection, **{f"pk{index}": pk for index, pk in enumerate(account_pks)})


async def lock_account(connection: AsyncConnection, account_pk: int) -> Row:
    """The account row, locked for this transaction (see lock_accounts)."""
    return (await lock_accounts(connection, [account_pk]))[0]


async def _update_account(connection: AsyncConnection, write: Prepared, values: dict[str, Any]) -> None:
    """Write a locked account row and keep the row it left. RETURNING needs SQLite 3.35 or later,
    which the engine's INSERT ... RETURNING statements need anyway."""
    (row,) = await write.rows(connection, **values)
    keep_row(connection, row)


def settle_due(account: Row, now: dt.datetime) -> bool:
    """Whether the account must be settled before it is read or spent from (see the module notes)."""
    return account["settle_at"] is not None and account["settle_at"] <= now


def available_of(account: Row) -> int:
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
    debt_points: int = 0,
    reverses_pk: int | None = None,
) -> tuple[int, str]:
    """Insert the transaction and its postings; the legs (account pk, amount) must sum to zero."""
    assert sum(amount for _, amount in legs) == 0, f"unbalanced transaction: {legs}"
    assert all(amount != 0 for _, amount in legs)
    transaction_id = new_transaction_id()
    inserted = await _INSERT_TRANSACTION.rows(
        connection,
        **{
            "tenant_id": member.tenant_id,
            "transaction_id": transaction_id,
            "type": kind,
            "member_pk": member.pk,
            "currency": currency,
            "points": points,
            "debt_points": debt_points,
            "source_id": source_id,
            "origin_type": entry.origin_type,
            "origin_id": entry.origin_id or transaction_id,
            "origin_client_id": entry.origin_client_id,
            "reason_code": entry.reason_code,
            "reason": entry.reason,
            "request_id": entry.request_id,
            "reverses_pk": reverses_pk,
            "actor": entry.actor,
            "effective_at": effective_at,
            "created_at": now,
        },
    )
    transaction_pk = inserted[0]["id"]
    await _INSERT_POSTINGS.run_many(
        connection,
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


async def _post(
    connection: AsyncConnection,
    member: Member,
    account: Row,
    move: Movement,
    *,
    member_leg: int,
    debt_leg: int,
    now: dt.datetime,
) -> tuple[int, str]:
    """Write the transaction of a give or take: member and debt legs, the program account the rest."""
    counter_pk = await program_account_pk(connection, member.tenant_id, move.counter, move.currency, now)
    counter_leg = move.expired - (member_leg + debt_leg)
    legs = [(account["id"], member_leg), (counter_pk, counter_leg)]
    # Metrics count issuance out and redemption in (one way: a reversal's opposite leg is not a flow).
    if move.counter == "issuance":
        note_flow(connection, "issued", member.tenant_id, move.currency, -counter_leg)
    elif move.counter == "redemption":
        note_flow(connection, "redeemed", member.tenant_id, move.currency, counter_leg)
    if debt_leg:
        legs.append((await debt_account_pk(connection, member, move.currency, now), debt_leg))
    if move.expired:
        expiry_pk = await program_account_pk(connection, member.tenant_id, "expiry", move.currency, now)
        legs.append((expiry_pk, -move.expired))
    return await _insert_transaction(
        connection,
        member,
        kind=move.kind,
        currency=move.currency,
        points=member_leg,
        source_id=move.source_id,
        entry=move.entry,
        effective_at=move.effective_at,
        now=now,
        legs=[(pk, amount) for pk, amount in legs if amount],
        debt_points=debt_leg,
        reverses_pk=move.reverses_pk,
    )


async def _add_to_source(
    connection: AsyncConnection,
    tenant_id: int,
    account_pk: int,
    source_id: str,
    *,
    earned: int,
    remaining: int,
) -> None:
    await _add_to_sources(connection, tenant_id, account_pk, {source_id: (earned, remaining)})


async def _add_to_sources(
    connection: AsyncConnection, tenant_id: int, account_pk: int, changes: dict[str, tuple[int, int]]
) -> None:
    """Add (lifetime earned, remaining) to each source's row of the account, created when missing
    (also when both are 0, as a source once touched always has its row)."""
    rows = [
        {
            "tenant_id": tenant_id,
            "account_pk": account_pk,
            "source_id": source_id,
            "lifetime_earned": earned,
            "remaining": remaining,
        }
        for source_id, (earned, remaining) in changes.items()
    ]
    if rows:
        await _ADD_TO_SOURCE[connection.dialect.name].run_many(connection, rows)


def _add_change(changes: dict[str, tuple[int, int]], source_id: str, *, earned: int, remaining: int) -> None:
    """Collect a source's change, so that a give or take writes each source's row once."""
    before_earned, before_remaining = changes.get(source_id, (0, 0))
    changes[source_id] = (before_earned + earned, before_remaining + remaining)


def _earliest(*moments: dt.datetime | None) -> dt.datetime | None:
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


def without_front(pieces: Sequence[NewLot | Draw], skip: int) -> list[NewLot | Draw]:
    """The pieces less their first `skip` points (those that paid off what the member owed)."""
    rest: list[NewLot | Draw] = []
    for piece in pieces:
        drop = min(skip, piece.points)
        skip -= drop
        if piece.points > drop:
            rest.append(dataclasses.replace(piece, points=piece.points - drop))
    return rest


@dataclass(slots=True)
class _Landed:
    pending: int = 0  # points that landed in lots not yet spendable
    expires_at: dt.datetime | None = None  # the earliest expiry among the lots written
    pending_until: dt.datetime | None = None  # the latest pending end among them
    settle_at: dt.datetime | None = None  # the earliest moment one of them needs settling
    sources: dict[str, tuple[int, int]] = dataclasses.field(default_factory=dict)  # changes to write


async def _new_lot(
    connection: AsyncConnection,
    tenant_id: int,
    account_pk: int,
    transaction_pk: int,
    piece: NewLot,
    now: dt.datetime,
) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """Insert the lot; returns its source, expiry and pending end."""
    pending_until = piece.pending_until if piece.pending_until and piece.pending_until > now else None
    await _INSERT_LOT.run(
        connection,
        **{
            "tenant_id": tenant_id,
            "account_pk": account_pk,
            "transaction_pk": transaction_pk,
            "source_id": piece.source_id,
            "amount": piece.points,
            "available": piece.points,
            "expires_at": piece.expires_at,
            "pending_until": pending_until,
            "created_at": now,
        },
    )
    return piece.source_id, piece.expires_at, pending_until


async def _refill_lot(
    connection: AsyncConnection, account_pk: int, piece: Draw
) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """Give a draw back to its lot; returns the lot's source, expiry and pending end. The lot keeps
    its pending mark until settled, and settling releases all it holds, refilled points included."""
    lot = (
        (await connection.execute(select(lots).where(lots.c.id == piece.lot_pk).with_for_update()))
        .mappings()
        .one()
    )
    assert lot["account_pk"] == account_pk, piece
    assert lot["available"] + piece.points <= lot["amount"], piece
    await connection.execute(
        update(lots).where(lots.c.id == piece.lot_pk).values(available=lots.c.available + piece.points)
    )
    return lot["source_id"], lot["expires_at"], lot["pending_until"]


async def _land(
    connection: AsyncConnection,
    tenant_id: int,
    account_pk: int,
    transaction_pk: int,
    pieces: Sequence[NewLot | Draw],
    now: dt.datetime,
) -> _Landed:
    """Put the pieces' points into lots: new lots, or back into the lots they were drawn from. The
    sources' remaining points are collected in the result, for the caller to write."""
    landed = _Landed()
    for piece in pieces:
        if isinstance(piece, NewLot):
            source_id, expires_at, pending_until = await _new_lot(
                connection, tenant_id, account_pk, transaction_pk, piece, now
            )
        else:
            source_id, expires_at, pending_until = await _refill_lot(connection, account_pk, piece)
        _add_change(landed.sources, source_id, earned=0, remaining=piece.points)
        if pending_until is not None:
            landed.pending += piece.points
            landed.pending_until = max(filter(None, (landed.pending_until, pending_until)))
        landed.expires_at = _earliest(landed.expires_at, expires_at)
        landed.settle_at = _earliest(landed.settle_at, expires_at, pending_until)
    return landed


async def give(
    connection: AsyncConnection,
    clock: Clock,
    member: Member,
    account: Row,
    move: Movement,
    pieces: Sequence[NewLot | Draw],
) -> Booked:
    """Credit the member with the pieces' points. What the member owes is paid off first (debt, then a
    negative balance); the rest lands in lots, new ones or those drawn from. `account` is the member's
    account row, locked and settled in this transaction."""
    points = sum(piece.points for piece in pieces)
    assert 0 < points <= POINTS_MAX, pieces
    assert all(piece.points > 0 for piece in pieces), pieces
    now = clock.now()
    debt_paid = min(points, account["debt"])
    negative_paid = min(points - debt_paid, max(0, -account["posted"]))
    member_leg = points - debt_paid
    transaction_pk, transaction_id = await _post(
        connection, member, account, move, member_leg=member_leg, debt_leg=debt_paid, now=now
    )
    landed = await _land(
        connection,
        member.tenant_id,
        account["id"],
        transaction_pk,
        without_front(pieces, debt_paid + negative_paid),
        now,
    )
    if move.earned and move.source_id:
        _add_change(landed.sources, move.source_id, earned=move.earned, remaining=0)
    await _add_to_sources(connection, member.tenant_id, account["id"], landed.sources)
    await _update_account(
        connection,
        _GIVE_TO_ACCOUNT,
        {
            "account": account["id"],
            "member_leg": member_leg,
            "pending_change": landed.pending,
            "debt_change": debt_paid,
            "earned": move.earned,
            "spent": move.spent,
            "next_settle_at": _earliest(account["settle_at"], landed.settle_at),
            "now": now,
        },
    )
    available_after = available_of(account) + member_leg - landed.pending
    return Booked(
        transaction_pk,
        transaction_id,
        move.kind,
        move.currency,
        member_leg,
        move.source_id,
        landed.expires_at,
        landed.pending_until,
        available_after,
        debt_paid,
    )


async def _draw(
    connection: AsyncConnection,
    tenant_id: int,
    account_pk: int,
    transaction_pk: int,
    plan: Sequence[tuple[LotView, int]],
    sources: dict[str, tuple[int, int]],
) -> int:
    """Take each share from its lot and record the draw; returns the points taken from pending lots.
    The sources' remaining points are collected in `sources`, for the caller to write."""
    pending_taken = 0
    for lot, share in plan:
        assert 0 < share <= lot.available, (lot, share)
        await connection.execute(_TAKE_FROM_LOT, {"lot": lot.lot_pk, "share": share})
        _add_change(sources, lot.source_id, earned=0, remaining=-share)
        if lot.pending_until is not None:
            pending_taken += share
    if plan:
        rows = [
            {"tenant_id": tenant_id, "transaction_pk": transaction_pk, "lot_pk": lot.lot_pk, "points": share}
            for lot, share in plan
        ]
        await connection.execute(_INSERT_DRAWS, rows)
    return pending_taken


async def take(
    connection: AsyncConnection,
    clock: Clock,
    member: Member,
    account: Row,
    move: Movement,
    *,
    points: int,
    plan: Sequence[tuple[LotView, int]],
    shortfall: Shortfall,
) -> Booked:
    """Debit `points`: each lot of the plan gives its share (a `lot_draws` row each); what the plan
    does not cover is handled as `shortfall` says. `account` is locked and settled. `move.expired`
    points come on top, from program/expiry (then `points` may be 0)."""
    assert 0 <= points <= POINTS_MAX, points
    assert 0 <= move.expired <= POINTS_MAX, move.expired
    assert points + move.expired > 0
    now = clock.now()
    taken = sum(share for _, share in plan)
    rest = points - taken
    assert rest >= 0, (points, taken)
    assert rest == 0 or shortfall != "refuse", (points, taken)
    debt_leg = -rest if shortfall == "debt" else 0
    member_leg = -points - debt_leg
    transaction_pk, transaction_id = await _post(
        connection, member, account, move, member_leg=member_leg, debt_leg=debt_leg, now=now
    )
    sources: dict[str, tuple[int, int]] = {}
    pending_taken = await _draw(connection, member.tenant_id, account["id"], transaction_pk, plan, sources)
    if move.earned and move.source_id:
        _add_change(sources, move.source_id, earned=move.earned, remaining=0)
    await _add_to_sources(connection, member.tenant_id, account["id"], sources)
    await _update_account(
        connection,
        _TAKE_FROM_ACCOUNT,
        {
            "account": account["id"],
            "member_leg": member_leg,
            "pending_change": pending_taken,
            "debt_change": debt_leg,
            "earned": move.earned,
            "spent": move.spent,
            "expired": move.expired,
            "now": now,
        },
    )
    available_after = available_of(account) + member_leg + pending_taken
    return Booked(
        transaction_pk,
        transaction_id,
        move.kind,
        move.currency,
        member_leg,
        move.source_id,
        None,
        None,
        available_after,
        debt_leg,
    )


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
    kind: str = "earn",
    counter: str = "issuance",
) -> Booked:
    """Issue `points` to the member as a new lot: member +points, program/issuance -points. When the
    member owes points, they are paid off first and the lot (and member leg) is what is left."""
    assert 0 < points <= POINTS_MAX
    account = await settle(connection, clock, member, currency)
    earned = points if kind in EARNING_KINDS else 0
    move = Movement(kind, counter, currency, entry, effective_at, source_id=source_id, earned=earned)
    return await give(
        connection, clock, member, account, move, [NewLot(points, source_id, expires_at, pending_until)]
    )


async def live_lots(connection: AsyncConnection, account_pk: int) -> list[LotView]:
    """The account's lots that still hold points (spendable, pending, or due to expire)."""
    query = select(
        lots.c.id, lots.c.available, lots.c.expires_at, lots.c.pending_until, lots.c.source_id
    ).where(lots.c.account_pk == account_pk, lots.c.available > 0)
    rows = (await connection.execute(query)).all()
    return [LotView(row.id, row.available, row.expires_at, row.pending_until, row.source_id) for row in rows]


def clawback_plan(
    lots: Sequence[LotView],
    points: int,
    now: dt.datetime,
    *,
    own: frozenset[int] = frozenset(),
    budget: int | None,
) -> list[tuple[LotView, int]]:
    """Which lots give how many points when up to `points` must be taken back: the lots in `own`
    first (those of the transaction being reversed), then spendable lots soonest-expiring first, then
    pending ones. Spendable points come out of `budget` (the account's available points, so that held
    points stay with their hold); None: no limit (ALLOW_NEGATIVE). Pending points are never held, so
    they need no budget. Takes less than `points` when the lots run out; the caller handles the rest."""
    assert points > 0

    def pending(lot: LotView) -> bool:
        return lot.pending_until is not None and lot.pending_until > now

    live = [lot for lot in lots if lot.available > 0 and (lot.expires_at is None or lot.expires_at > now)]
    ordered = (
        spend_order([lot for lot in live if lot.lot_pk in own])
        + spend_order([lot for lot in live if lot.lot_pk not in own and not pending(lot)])
        + spend_order([lot for lot in live if lot.lot_pk not in own and pending(lot)])
    )
    plan: list[tuple[LotView, int]] = []
    remaining, free = points, budget
    for lot in ordered:
        limit = lot.available if free is None or pending(lot) else min(lot.available, free)
        share = min(limit, remaining)
        if share <= 0:
            continue
        plan.append((lot, share))
        remaining -= share
        if free is not None and not pending(lot):
            free -= share
        if remaining == 0:
            break
    return plan


async def debit(
    connection: AsyncConnection,
    clock: Clock,
    member: Member,
    *,
    currency: str,
    points: int,
    entry: Entry,
    effective_at: dt.datetime | None = None,
    kind: str = "spend",
    counter: str = "redemption",
    overdraft: bool = False,
) -> Booked:
    """Spend `points` (soonest-expiring lots first): member -points, program/redemption +points. The
    lots drawn from are recorded (`lot_draws`), so a reversal gives the points back to them.

    FAILED_PRECONDITION (INSUFFICIENT_POINTS) when fewer points are available; nothing written then.
    `overdraft` (an adjustment under ALLOW_NEGATIVE): take every lot, then go below zero.
    """
    assert 0 < points <= POINTS_MAX
    now = clock.now()
    account = await settle(connection, clock, member, currency)
    lots_now = await live_lots(connection, account["id"])
    if overdraft:
        plan, shortfall = clawback_plan(lots_now, points, now, budget=None), "negative"
    else:
        _require_available(account, points, currency)
        plan, shortfall = allocate_spend(lots_now, points, now), "refuse"
    move = Movement(
        kind, counter, currency, entry, effective_at or now, spent=points if kind == "spend" else 0
    )
    return await take(connection, clock, member, account, move, points=points, plan=plan, shortfall=shortfall)


async def draws_of(connection: AsyncConnection, transaction_pk: int) -> list[Draw]:
    """The lots a debit drew from, in the order it drew (soonest-expiring first)."""
    query = (
        select(lot_draws.c.lot_pk, lot_draws.c.points)
        .where(lot_draws.c.transaction_pk == transaction_pk)
        .order_by(lot_draws.c.id)
    )
    return [Draw(row.lot_pk, row.points) for row in await connection.execute(query)]


@dataclass(slots=True)
class Settlement:
    """What settling an account did, so the caller can announce it (points.expired, hold.expired)."""

    account: Row  # the locked account row, as of after settling
    expired: list[Booked]
    expired_holds: list[RowMapping]


async def settle(connection: AsyncConnection, clock: Clock, member: Member, currency: str) -> Row:
    """Lock the account and bring it up to now; returns the locked, settled account row."""
    return (await settle_account(connection, clock, member, currency)).account


async def settle_account(
    connection: AsyncConnection, clock: Clock, member: Member, currency: str
) -> Settlement:
    """Lock the account and bring it up to now: matured pending lots become spendable, due lots
    expire (one expiry transaction each), holds past their TTL are released."""
    now = clock.now()
    account = await lock_member_account(connection, member, currency, now)
    if not settle_due(account, now):
        return Settlement(account, [], [])
    await _release_pending(connection, account, now)
    # Holds past their TTL first: the points they reserved need no sparing from expiry any more.
    expired_holds = await _expire_holds(connection, account, now)
    expired, waits_on_holds = await _expire_due_lots(connection, clock, member, account["id"], now)
    next_due = await _next_settle_at(connection, account["id"], now, waits_on_holds=waits_on_holds)
    values = {"account": account["id"], "next_settle_at": next_due, "now": now}
    await _update_account(connection, _SETTLED_ACCOUNT, values)
    return Settlement(await lock_account(connection, account["id"]), expired, expired_holds)


async def _release_pending(connection: AsyncConnection, account: Row, now: dt.datetime) -> None:
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
        forget_row(connection, account["id"])


async def _expire_due_lots(
    connection: AsyncConnection, clock: Clock, member: Member, account_pk: int, now: dt.datetime
) -> tuple[list[Booked], bool]:
    """One expiry transaction per due lot that gives points (member -points, program/expiry +points),
    sparing what the active holds need (see the module notes). Returns the transactions and whether
    spared points wait for a hold to close (rather than for the next settlement)."""
    due = (
        await connection.execute(
            select(lots.c.id, lots.c.available, lots.c.source_id, lots.c.expires_at, lots.c.pending_until)
            .where(lots.c.account_pk == account_pk, lots.c.available > 0, lots.c.expires_at <= now)
            .order_by(lots.c.expires_at, lots.c.id)
            .limit(SETTLE_LOTS_MAX)
        )
    ).all()
    if not due:
        return [], False
    account = (await connection.execute(select(accounts).where(accounts.c.id == account_pk))).mappings().one()
    spare = max(0, account["held"] - await _spendable_not_due(connection, account_pk, now))
    # Pending points are never held (available excludes them), so a due pending lot expires whole.
    spendable_due = sum(lot.available for lot in due if lot.pending_until is None)
    budget = max(0, spendable_due - spare)  # the due spendable points that may expire now
    currency = account["currency"]
    booked: list[Booked] = []
    expiry_pk = await program_account_pk(connection, member.tenant_id, "expiry", currency, now)
    total = still_pending = 0
    for lot in due:
        if lot.pending_until is not None:  # expired before its return window closed
            points = lot.available
            still_pending += points
        else:
            points = min(lot.available, budget)
            budget -= points
        if points == 0:
            continue
        entry = Entry(origin_type="expiry", origin_id=str(lot.id), reason_code="EXPIRED")
        transaction_pk, transaction_id = await _insert_transaction(
            connection,
            member,
            kind="expire",
            currency=currency,
            points=-points,
            source_id=lot.source_id,
            entry=entry,
            effective_at=lot.expires_at,
            now=now,
            legs=[(account_pk, -points), (expiry_pk, points)],
        )
        await connection.execute(
            update(lots).where(lots.c.id == lot.id).values(available=lots.c.available - points)
        )
        await _add_to_source(
            connection, member.tenant_id, account_pk, lot.source_id, earned=0, remaining=-points
        )
        total += points
        booked.append(
            Booked(
                transaction_pk,
                transaction_id,
                "expire",
                currency,
                -points,
                lot.source_id,
                lot.expires_at,
                None,
                available_of(account) - total + still_pending,
            )
        )
    assert budget == 0, budget
    if total:
        note_flow(connection, "expired", member.tenant_id, currency, total)
        await connection.execute(
            update(accounts)
            .where(accounts.c.id == account_pk)
            .values(
                posted=accounts.c.posted - total,
                pending=accounts.c.pending - still_pending,
                lifetime_expired=accounts.c.lifetime_expired + total,
            )
        )
        forget_row(connection, account_pk)
    spared = spendable_due - (total - still_pending)
    assert spared == min(spare, spendable_due), (spared, spare, spendable_due)
    return booked, spared > 0 and len(due) < SETTLE_LOTS_MAX


async def _spendable_not_due(connection: AsyncConnection, account_pk: int, now: dt.datetime) -> int:
    """Points in lots neither pending nor due: what holds are covered by before due points are."""
    query = select(func.coalesce(func.sum(lots.c.available), 0)).where(
        lots.c.account_pk == account_pk,
        lots.c.available > 0,
        lots.c.pending_until.is_(None),
        or_(lots.c.expires_at.is_(None), lots.c.expires_at > now),
    )
    return int((await connection.execute(query)).scalar_one())  # PostgreSQL sums to a Decimal


async def _next_settle_at(
    connection: AsyncConnection, account_pk: int, now: dt.datetime, *, waits_on_holds: bool = False
) -> dt.datetime | None:
    """The earliest moment the account needs settling again. Points spared for holds wait for a hold
    to close: its TTL is here, and a capture or void brings them back (`recheck_spared`)."""
    live = and_(lots.c.account_pk == account_pk, lots.c.available > 0)
    expiring = and_(live, lots.c.expires_at > now) if waits_on_holds else live
    next_pending = (await connection.execute(select(func.min(lots.c.pending_until)).where(live))).scalar()
    next_expiry = (await connection.execute(select(func.min(lots.c.expires_at)).where(expiring))).scalar()
    active_holds = and_(holds.c.account_pk == account_pk, holds.c.status == "active")
    next_hold = (await connection.execute(select(func.min(holds.c.expires_at)).where(active_holds))).scalar()
    return _earliest(utc_aggregate(next_pending), utc_aggregate(next_expiry), utc_aggregate(next_hold))


async def recheck_spared(connection: AsyncConnection, account_pk: int) -> None:
    """After a hold closed: points expiry spared for it become due again at the next settlement."""
    query = select(func.min(lots.c.expires_at)).where(lots.c.account_pk == account_pk, lots.c.available > 0)
    soonest = utc_aggregate((await connection.execute(query)).scalar())
    settle_at = (
        await connection.execute(select(accounts.c.settle_at).where(accounts.c.id == account_pk))
    ).scalar()
    due = _earliest(utc_aggregate(settle_at), soonest)
    if due != utc_aggregate(settle_at):
        await connection.execute(update(accounts).where(accounts.c.id == account_pk).values(settle_at=due))
        forget_row(connection, account_pk)


# --- holds ---------------------------------------------------------------------------------------


def new_hold_id() -> str:
    return "h_" + time_ordered_hex()


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
    forget_row(connection, account["id"])
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
    """End an active hold: its reserved points stop being held (a capture then spends what it takes).
    A void makes points spared for the hold due again; a capture does so itself once it has spent
    (`recheck_spared`), since settling before its spend would expire the very points it captures."""
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
    forget_row(connection, hold["account_pk"])
    if status == "voided":
        await recheck_spared(connection, hold["account_pk"])


async def _expire_holds(connection: AsyncConnection, account: Row, now: dt.datetime) -> list[RowMapping]:
    query = select(holds).where(
        holds.c.account_pk == account["id"], holds.c.status == "active", holds.c.expires_at <= now
    )
    expired = list((await connection.execute(query.with_for_update())).mappings())
    for hold in expired:
        await close_hold(connection, hold, status="expired", now=now)
    return expired


def _require_available(account: Row, points: int, currency: str) -> None:
    available = available_of(account)
    if points > available:
        raise DomainError(
            ErrorKind.FAILED_PRECONDITION,
            "INSUFFICIENT_POINTS",
            f"{points} {currency} points asked, {available} available",
            metadata={"available_points": str(available), "currency": currency},
        )
