"""Reversals: a return, a deleted activity or a cancelled coupon takes points back or gives them back.

A reversal is a new `reverse` transaction that names the one it reverses (`reverses_pk`); nothing is
ever edited. What is left to reverse of a transaction is its whole effect on the member (`points +
debt_points`) less what its reversals already undid, read under the member's account lock, so two
concurrent reversals can never together undo more than the original did.

- Earned points (earn, adjust credit, transfer in) are taken back from the transaction's own lots
  first, then from the member's other lots soonest-expiring first (spendable, then pending); held
  points stay with their hold. What the lots cannot give follows the program's debt policy:
  RECORD_DEBT records it as debt that later credits pay off first; ALLOW_NEGATIVE takes it below zero.
  Points that expired from the transaction's own lots already left the member: reversing them takes
  nothing again. They are reversed first, without touching the member, as a leg against
  program/expiry (and out of lifetime expired), which counts as reversed like any other leg, so the
  same points are never reversed twice. Expired here means taken by expire transactions (origin
  `expiry`, the lot's id); points spent from the lots are taken back as above.
- Spent points (spend, adjust debit, transfer out) go back to the very lots they were drawn from
  (`lot_draws`), with their original expiry. Partial reversals give back draws in the order they
  were drawn: the first reversal the first draws, the next the following ones. Points of a debit that
  went below zero (ALLOW_NEGATIVE) were drawn from no lot; they come back as a new lot in the built-in
  "adjustment" source with the currency's expiry.

`reverse_transaction` is the primitive (inside a caller's write transaction: CancelCoupon uses it);
`reverse_origin` is ReversePoints: every not-yet-reversed transaction of one origin.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import common_pb2, subscription_pb2
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument, not_found
from loyalty_server.events.outbox import append_event
from loyalty_server.ledger import idempotency
from loyalty_server.ledger.book import (
    ADJUSTMENT_SOURCE,
    DEBT_ACCOUNT_TYPE,
    EARNING_KINDS,
    POINTS_MAX,
    Booked,
    Draw,
    Entry,
    Movement,
    NewLot,
    available_of,
    clawback_plan,
    draws_of,
    give,
    live_lots,
    member_account_pk,
    settle,
    take,
)
from loyalty_server.ledger.bulk import check_reason
from loyalty_server.ledger.members import Member, event_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.rpc.convert import ORIGIN_TYPES
from loyalty_server.ledger.tables import accounts, ledger_transactions, lots, postings
from loyalty_server.ledger.tiers import reverse_qualifying
from loyalty_server.program.model import DebtPolicy
from loyalty_server.storage.engine import write_transaction

CREDIT_KINDS = frozenset({"earn", "adjust", "transfer_in"})  # reversing them takes points back
DEBIT_KINDS = frozenset({"spend", "adjust", "transfer_out"})  # reversing them gives points back
REVERSIBLE_KINDS = CREDIT_KINDS | DEBIT_KINDS
ORIGIN_TRANSACTIONS_MAX = 1000  # transactions one ReversePoints call may touch


@dataclass(frozen=True, slots=True)
class Reversed:
    booked: Booked  # the reverse transaction
    debt_points: int  # points of it recorded as debt (already spent; RECORD_DEBT), >= 0


@dataclass(frozen=True, slots=True)
class Proportion:
    """A share of the original points, e.g. returned amount / ordered amount; rounded down."""

    numerator: int
    denominator: int


# How much of an origin to reverse: None everything left, an int that many points, or a proportion.
Portion = None | int | Proportion


@dataclass(frozen=True, slots=True)
class OriginReversal:
    transaction_pks: list[int]  # the reverse transactions written, in order
    points_reversed: int  # magnitude: taken back plus given back, debt included
    debt_points: int  # part of it recorded as debt


def nothing_to_reverse(transaction_id: str, left: int) -> DomainError:
    return DomainError(
        ErrorKind.FAILED_PRECONDITION,
        "NOTHING_TO_REVERSE",
        f"only {left} points of {transaction_id} are left to reverse",
        metadata={"transaction_id": transaction_id, "points_left": str(left)},
    )


async def left_to_reverse(connection: AsyncConnection, original: RowMapping) -> int:
    """Points of the transaction's whole effect (member and debt legs) not yet reversed, >= 0;
    expired points its reversals covered (their program/expiry legs) count as reversed."""
    t = ledger_transactions
    query = select(func.coalesce(func.sum(t.c.points + t.c.debt_points), 0)).where(
        t.c.reverses_pk == original["id"]
    )
    undone = int((await connection.execute(query)).scalar_one())  # PostgreSQL sums to a Decimal
    undone += await _expiry_legs(connection, original["id"])
    whole = original["points"] + original["debt_points"]
    left = abs(whole + undone)
    assert abs(undone) + left == abs(whole), (original["transaction_id"], whole, undone)
    return left


async def reverse_transaction(
    ledger: Ledger,
    connection: AsyncConnection,
    member: Member,
    original_pk: int,
    *,
    points: int | None,
    entry: Entry,
) -> Reversed:
    """Reverse `points` of one of the member's transactions (None: all not yet reversed), inside the
    caller's write transaction. Settles and locks the member's account; emits points.reversed.
    FAILED_PRECONDITION (NOTHING_TO_REVERSE) when less than that is left."""
    original = await _original(connection, member, original_pk)
    currency = original["currency"]
    await ledger.settle(connection, member, currency)
    account = await settle(connection, ledger.clock, member, currency)
    left = await left_to_reverse(connection, original)
    want = left if points is None else points
    if original["type"] not in REVERSIBLE_KINDS or left == 0 or not 0 < want <= left:
        raise nothing_to_reverse(original["transaction_id"], left)
    move = Movement(
        "reverse",
        await _counter_kind(connection, original_pk),
        currency,
        entry,
        ledger.clock.now(),
        source_id=original["source_id"],
        reverses_pk=original_pk,
    )
    if original["points"] + original["debt_points"] > 0:
        done = await _take_back(ledger, connection, member, account, original, move, want)
    else:
        done = await _give_back(ledger, connection, member, account, original, move, want)
    await _reversed_event(ledger, connection, member, original, done, entry)
    await reverse_qualifying(  # a reversed earn stops counting toward the tier (ledger/tiers.py)
        connection,
        ledger.clock,
        ledger.program_for(member.tenant_id),
        member,
        original_pk=original_pk,
        points=want,
        request_id=entry.request_id,
    )
    await ledger.settle(connection, member, currency)  # points given back to a lot already expired
    return done


async def _original(connection: AsyncConnection, member: Member, original_pk: int) -> RowMapping:
    query = select(ledger_transactions).where(
        ledger_transactions.c.id == original_pk, ledger_transactions.c.member_pk == member.pk
    )
    row = (await connection.execute(query)).mappings().first()
    if row is None:
        raise not_found("TRANSACTION_NOT_FOUND", "no such transaction of this member")
    return row


async def _counter_kind(connection: AsyncConnection, transaction_pk: int) -> str:
    """The program account the original posted against: its reversal posts back against it."""
    query = (
        select(accounts.c.account_type)
        .join(postings, postings.c.account_pk == accounts.c.id)
        .where(
            postings.c.transaction_pk == transaction_pk,
            accounts.c.account_type.not_in(["member", DEBT_ACCOUNT_TYPE]),
        )
    )
    kinds = set((await connection.execute(query)).scalars())
    assert len(kinds) == 1, f"transaction {transaction_pk}: program legs {kinds}"
    return kinds.pop()


async def _take_back(
    ledger: Ledger,
    connection: AsyncConnection,
    member: Member,
    account: RowMapping,
    original: RowMapping,
    move: Movement,
    want: int,
) -> Reversed:
    """Earned points back out: what expired from its own lots first (nothing to take), then own
    lots, then the others; the rest by the debt policy."""
    negative = ledger.program_for(member.tenant_id).debt_policy is DebtPolicy.ALLOW_NEGATIVE
    own_query = select(lots.c.id).where(lots.c.transaction_pk == original["id"])
    own = frozenset((await connection.execute(own_query)).scalars())
    covered_before = -await _expiry_legs(connection, original["id"])
    expired = min(want, max(0, await _expired_from(connection, member, own) - covered_before))
    rest = want - expired
    plan = (
        clawback_plan(
            await live_lots(connection, account["id"]),
            rest,
            ledger.clock.now(),
            own=own,
            budget=None if negative else max(0, available_of(account)),
        )
        if rest
        else []
    )
    earned = -want if original["type"] in EARNING_KINDS else 0
    booked = await take(
        connection,
        ledger.clock,
        member,
        account,
        dataclasses.replace(move, earned=earned, expired=expired),
        points=rest,
        plan=plan,
        shortfall="negative" if negative else "debt",
    )
    return Reversed(booked, -booked.debt_points)


async def _expiry_legs(connection: AsyncConnection, original_pk: int) -> int:
    """Sum of the program/expiry legs of the transaction's reversals (<= 0: expired points covered)."""
    t = ledger_transactions
    query = (
        select(func.coalesce(func.sum(postings.c.amount), 0))
        .select_from(postings.join(t, t.c.id == postings.c.transaction_pk))
        .join(accounts, accounts.c.id == postings.c.account_pk)
        .where(t.c.reverses_pk == original_pk, accounts.c.account_type == "expiry")
    )
    return int((await connection.execute(query)).scalar_one())


async def _expired_from(connection: AsyncConnection, member: Member, lot_pks: frozenset[int]) -> int:
    """Points expire transactions took from these lots (expiry records no draws; its origin names
    the lot)."""
    if not lot_pks:
        return 0
    t = ledger_transactions
    query = select(func.coalesce(func.sum(t.c.points), 0)).where(
        t.c.tenant_id == member.tenant_id,
        t.c.member_pk == member.pk,
        t.c.type == "expire",
        t.c.origin_type == "expiry",
        t.c.origin_id.in_(sorted(str(pk) for pk in lot_pks)),
    )
    return -int((await connection.execute(query)).scalar_one())


def draws_between(draws: Sequence[Draw], start: int, length: int) -> list[Draw]:
    """The draws' points from `start` (points into the sequence) for `length` points, as draws."""
    pieces: list[Draw] = []
    offset = 0
    for draw in draws:
        low, high = max(start, offset), min(start + length, offset + draw.points)
        if high > low:
            pieces.append(Draw(draw.lot_pk, high - low))
        offset += draw.points
    return pieces


async def _give_back(
    ledger: Ledger,
    connection: AsyncConnection,
    member: Member,
    account: RowMapping,
    original: RowMapping,
    move: Movement,
    want: int,
) -> Reversed:
    """Spent points back into the lots they came from, continuing where earlier reversals stopped."""
    whole = -(original["points"] + original["debt_points"])
    already = whole - await left_to_reverse(connection, original)
    pieces: list[Draw | NewLot] = list(
        draws_between(await draws_of(connection, original["id"]), already, want)
    )
    uncovered = want - sum(piece.points for piece in pieces)
    if uncovered:  # went below zero (ALLOW_NEGATIVE): drawn from no lot
        program = ledger.program_for(member.tenant_id)
        expires_at = ledger.expiry_for(program, member, original["currency"], ledger.clock.now())
        pieces.append(NewLot(uncovered, ADJUSTMENT_SOURCE, expires_at))
    spent = -want if original["type"] == "spend" else 0
    booked = await give(
        connection, ledger.clock, member, account, dataclasses.replace(move, spent=spent), pieces
    )
    return Reversed(booked, 0)


def origin_ref(origin_type: str, origin_id: str, client_id: str) -> common_pb2.OriginRef:
    kind = ORIGIN_TYPES.get(origin_type, common_pb2.ORIGIN_TYPE_UNSPECIFIED)
    return common_pb2.OriginRef(type=kind, id=origin_id, client_id=client_id)


async def _reversed_event(
    ledger: Ledger,
    connection: AsyncConnection,
    member: Member,
    original: RowMapping,
    done: Reversed,
    entry: Entry,
) -> None:
    payload = subscription_pb2.PointsReversedPayload(
        transaction_id=done.booked.transaction_id,
        reversed_transaction_id=original["transaction_id"],
        currency=done.booked.currency,
        points_delta=done.booked.points,
        debt_points=done.debt_points,
        origin=origin_ref(original["origin_type"], original["origin_id"], original["origin_client_id"]),
        reason_code=entry.reason_code,
        available_points_after=done.booked.available_after,
    )
    event = subscription_pb2.Event(
        type=subscription_pb2.EVENT_TYPE_POINTS_REVERSED,
        member=event_member(member),
        request_id=entry.request_id,
        points_reversed=payload,
    )
    await append_event(connection, ledger.clock, tenant_id=member.tenant_id, event=event)


# --- ReversePoints: by origin ---------------------------------------------------------------------


def check_portion(portion: Portion) -> None:
    if isinstance(portion, Proportion):
        if not 0 <= portion.numerator <= portion.denominator or portion.denominator <= 0:
            raise invalid_argument(
                "INVALID_AMOUNT",
                "proportion: 0 <= numerator <= denominator, denominator > 0",
                FieldViolation("proportion", "0 <= numerator <= denominator, denominator > 0"),
            )
    elif portion is not None and not 0 < portion <= POINTS_MAX:
        raise invalid_argument(
            "INVALID_AMOUNT",
            f"points must be between 1 and {POINTS_MAX}",
            FieldViolation("points", "out of range"),
        )


def portion_shares(wholes: Sequence[int], lefts: Sequence[int], portion: Portion) -> list[int]:
    """How many points to reverse of each transaction (same order), given each one's whole effect
    (magnitude) and what is left of it.

    - None: everything left.
    - points: spread over the transactions in order, each up to what is left of it.
    - a proportion: of each transaction's ORIGINAL points, rounded down, capped by what is left. Each
      call stands alone (no cumulative target is kept): two returns of 1/2 each reverse floor(p/2)
      twice, so together never more than the original, and at most one point per call stays behind
      by rounding (reversible later with `all`).
    """
    if portion is None:
        return list(lefts)
    if isinstance(portion, Proportion):
        return [
            min(left, whole * portion.numerator // portion.denominator)
            for whole, left in zip(wholes, lefts, strict=True)
        ]
    shares = []
    remaining = portion
    for left in lefts:
        share = min(left, remaining)
        shares.append(share)
        remaining -= share
    return shares


async def reverse_origin(
    ledger: Ledger,
    tenant_id: int,
    origin: tuple[str, str, str],
    portion: Portion,
    *,
    reason_code: str,
    reason: str,
    request_id: str,
    actor: str = "system",
) -> OriginReversal:
    """ReversePoints: reverse `portion` of every not-yet-reversed transaction of the origin (type, id,
    client id), across members and currencies. NOT_FOUND (ORIGIN_NOT_FOUND) when it has none;
    FAILED_PRECONDITION (NOTHING_TO_REVERSE) when nothing is left or more points are asked than left.
    Idempotent by request_id."""
    check_reason(reason_code, reason)
    check_portion(portion)
    if origin[0] == "transfer" and portion is not None:
        # A transfer's two legs move points in opposite directions: only undoing both whole keeps
        # the points where they were; part of one leg would create or destroy points.
        raise invalid_argument(
            "PORTION_NOT_ALLOWED",
            "a transfer is reversed whole (all = true)",
            FieldViolation("portion", "only `all` for a transfer"),
        )
    content = {
        "origin": list(origin),
        "portion": dataclasses.asdict(portion) if isinstance(portion, Proportion) else portion,
        "reason_code": reason_code,
        "reason": reason,
    }
    async with write_transaction(ledger.engine) as connection:
        replay = await idempotency.claim(
            connection,
            ledger.clock,
            tenant_id=tenant_id,
            scope="ledger.reverse",
            key=request_id,
            content=content,
        )
        if replay is not None:
            return OriginReversal(**replay)
        originals = await _origin_transactions(connection, tenant_id, origin)
        members = await _lock_accounts(ledger, connection, originals)
        lefts = [await left_to_reverse(connection, row) for row in originals]
        wholes = [abs(row["points"] + row["debt_points"]) for row in originals]
        if sum(lefts) == 0 or (isinstance(portion, int) and portion > sum(lefts)):
            raise DomainError(
                ErrorKind.FAILED_PRECONDITION,
                "NOTHING_TO_REVERSE",
                f"{sum(lefts)} points of this origin are left to reverse",
                metadata={"origin_id": origin[1], "points_left": str(sum(lefts))},
            )
        entry = Entry(
            origin_type=origin[0],
            origin_id=origin[1],
            origin_client_id=origin[2],
            reason_code=reason_code,
            reason=reason,
            request_id=request_id,
            actor=actor,
        )
        pks: list[int] = []
        total = debt = 0
        for row, share in zip(originals, portion_shares(wholes, lefts, portion), strict=True):
            if share == 0:
                continue
            done = await reverse_transaction(
                ledger, connection, members[row["member_pk"]], row["id"], points=share, entry=entry
            )
            pks.append(done.booked.pk)
            total += share
            debt += done.debt_points
        result = OriginReversal(pks, total, debt)
        await idempotency.record(
            connection,
            tenant_id=tenant_id,
            scope="ledger.reverse",
            key=request_id,
            result=dataclasses.asdict(result),
        )
        return result


async def _origin_transactions(
    connection: AsyncConnection, tenant_id: int, origin: tuple[str, str, str]
) -> list[RowMapping]:
    t = ledger_transactions
    origin_type, origin_id, client_id = origin
    query = (
        select(t)
        .where(
            t.c.tenant_id == tenant_id,
            t.c.origin_type == origin_type,
            t.c.origin_id == origin_id,
            t.c.origin_client_id == client_id,
            t.c.type.in_(sorted(REVERSIBLE_KINDS)),
        )
        .order_by(t.c.id)
        .limit(ORIGIN_TRANSACTIONS_MAX)
    )
    rows = list((await connection.execute(query)).mappings())
    if not rows:
        raise not_found("ORIGIN_NOT_FOUND", "no transaction of this origin", origin_id=origin_id)
    return rows


async def _lock_accounts(
    ledger: Ledger, connection: AsyncConnection, originals: Sequence[RowMapping]
) -> dict[int, Member]:
    """Lock every account the reversal touches, in account order (as transfers do), so two writers
    that lock several accounts never wait on each other in a circle."""
    members: dict[int, Member] = {}
    for member_pk in {row["member_pk"] for row in originals}:
        members[member_pk] = await ledger.member_by_pk(connection, member_pk)
    now = ledger.clock.now()
    keyed = []
    for member_pk, currency in {(row["member_pk"], row["currency"]) for row in originals}:
        member = members[member_pk]
        keyed.append((await member_account_pk(connection, member, currency, now), member, currency))
    for _, member, currency in sorted(keyed, key=lambda item: item[0]):
        await ledger.settle(connection, member, currency)
    return members
