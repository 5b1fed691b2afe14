"""Corrections by an admin: manual adjustments and member-to-member transfers.

- An adjustment (either sign, with a mandatory reason) posts against the program's adjustment
  account. A credit lands as a lot in a program source or the built-in "adjustment" source, expiring
  by the currency's rule unless an expiry is given; a debit is refused below the available balance
  unless the program allows negative balances. Audited.
- A transfer moves points between two members of one tenant in one write transaction: the giver's
  `transfer_out` draws lots (soonest-expiring first, each draw recorded) and the receiver's
  `transfer_in` gets one lot per draw with the same source and expiry date, so the points keep
  their dates. The two accounts are locked in account order, so opposite transfers never deadlock.
  Both legs post against the adjustment account and cancel out there. Audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import subscription_pb2
from loyalty_server.auth import audit
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.ledger import idempotency
from loyalty_server.ledger.book import (
    ADJUSTMENT_SOURCE,
    POINTS_MAX,
    Booked,
    Entry,
    Movement,
    NewLot,
    available_of,
    credit,
    debit,
    draws_of,
    give,
    member_account_pk,
    settle,
)
from loyalty_server.ledger.bulk import check_reason
from loyalty_server.ledger.members import Member, get_member, require_active
from loyalty_server.ledger.operations import Ledger, booked_from, booked_json, check_expires_at
from loyalty_server.ledger.tables import lots
from loyalty_server.program.model import DebtPolicy, Program
from loyalty_server.storage.engine import write_transaction

REASON_LENGTH_MIN = 3
REASON_LENGTH_MAX = 500
TRANSFER_REASON_CODE = "TRANSFER"


@dataclass(frozen=True, slots=True)
class Transfer:
    transfer_id: str  # the origin id of both transactions
    out: Booked  # the giver's transfer_out
    into: Booked  # the receiver's transfer_in


def check_human_reason(reason: str) -> None:
    """Corrections explain themselves: 3-500 characters of text (INVALID_ARGUMENT, REASON_REQUIRED)."""
    if not REASON_LENGTH_MIN <= len(reason.strip()) <= REASON_LENGTH_MAX:
        raise invalid_argument(
            "REASON_REQUIRED",
            f"give a reason of {REASON_LENGTH_MIN}-{REASON_LENGTH_MAX} characters",
            FieldViolation("reason", f"{REASON_LENGTH_MIN}-{REASON_LENGTH_MAX} characters"),
        )


def _check_amount(points: int, field: str = "points") -> None:
    if points == 0 or abs(points) > POINTS_MAX:
        raise invalid_argument(
            "INVALID_AMOUNT",
            f"points: not 0, at most {POINTS_MAX} either way",
            FieldViolation(field, "out of range"),
        )


def _check_currency(program: Program, currency: str) -> None:
    if currency not in program.currencies:
        raise invalid_argument(
            "UNKNOWN_CURRENCY", f"unknown currency {currency!r}", FieldViolation("currency", "unknown")
        )


def _check_source(program: Program, source_id: str) -> None:
    if source_id != ADJUSTMENT_SOURCE and source_id not in program.sources:
        raise invalid_argument(
            "UNKNOWN_SOURCE", f"unknown source {source_id!r}", FieldViolation("source_id", "unknown")
        )


def _system(tenant_id: int, request_id: str) -> audit.Actor:
    return audit.Actor("system", "internal", tenant_id, request_id=request_id)


class Corrections:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def adjust(
        self,
        tenant_id: int,
        member_id: str,
        *,
        currency: str,
        points: int,
        reason_code: str,
        reason: str,
        request_id: str,
        source_id: str = "",
        expires_at: dt.datetime | None = None,
        actor: audit.Actor | None = None,
    ) -> Booked:
        """Credit (points > 0) or debit (points < 0) the member by hand. Idempotent by request_id.
        FAILED_PRECONDITION (INSUFFICIENT_POINTS) for a debit beyond what is available, unless the
        program's debt policy is ALLOW_NEGATIVE. Emits points.earned or points.spent."""
        ledger = self.ledger
        program = ledger.program_for(tenant_id)
        source = source_id or ADJUSTMENT_SOURCE
        _check_amount(points)
        _check_currency(program, currency)
        check_reason(reason_code, reason)
        check_human_reason(reason)
        _check_source(program, source)
        content = {
            "member_id": member_id,
            "currency": currency,
            "points": points,
            "source_id": source,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "reason_code": reason_code,
            "reason": reason,
        }
        who = actor or _system(tenant_id, request_id)
        async with write_transaction(ledger.engine) as connection:
            replay = await ledger.claim_booked(connection, tenant_id, "ledger.adjust", request_id, content)
            if replay is not None:
                return Booked(**replay)
            check_expires_at(expires_at, ledger.clock.now())
            member = await ledger.settle_active(connection, tenant_id, member_id, currency)
            entry = Entry(
                origin_type="adjustment",
                origin_id="",  # the adjustment's own transaction id
                reason_code=reason_code,
                reason=reason,
                request_id=request_id,
                actor=who.actor,
            )
            booked = await self._book_adjustment(
                connection, program, member, currency, points, source, expires_at, entry
            )
            kind = (
                subscription_pb2.EVENT_TYPE_POINTS_EARNED
                if points > 0
                else subscription_pb2.EVENT_TYPE_POINTS_SPENT
            )
            event_entry = dataclasses.replace(entry, origin_id=booked.transaction_id)
            await ledger.points_event(connection, member, booked, event_entry, kind)
            await audit.record(
                connection,
                ledger.clock,
                who,
                action="ledger.adjust_points",
                target_type="member",
                target_id=member_id,
                details={
                    "transaction_id": booked.transaction_id,
                    "currency": currency,
                    "points": str(points),
                    "reason_code": reason_code,
                },
            )
            await ledger.record_booked(connection, tenant_id, "ledger.adjust", request_id, booked)
            return booked

    async def _book_adjustment(
        self,
        connection: AsyncConnection,
        program: Program,
        member: Member,
        currency: str,
        points: int,
        source: str,
        expires_at: dt.datetime | None,
        entry: Entry,
    ) -> Booked:
        ledger = self.ledger
        now = ledger.clock.now()
        if points > 0:
            return await credit(
                connection,
                ledger.clock,
                member,
                currency=currency,
                points=points,
                source_id=source,
                entry=entry,
                effective_at=now,
                expires_at=expires_at or ledger.expiry_for(program, member, currency, now),
                pending_until=None,
                kind="adjust",
                counter="adjustment",
            )
        return await debit(
            connection,
            ledger.clock,
            member,
            currency=currency,
            points=-points,
            entry=entry,
            kind="adjust",
            counter="adjustment",
            overdraft=program.debt_policy is DebtPolicy.ALLOW_NEGATIVE,
        )

    async def transfer(
        self,
        tenant_id: int,
        from_member_id: str,
        to_member_id: str,
        *,
        currency: str,
        points: int | None,
        reason: str,
        request_id: str,
        actor: audit.Actor | None = None,
    ) -> Transfer:
        """Move `points` (None: all available) from one member to another, atomically; the points
        keep their expiry dates. INVALID_ARGUMENT (SAME_MEMBER) for one member on both sides;
        FAILED_PRECONDITION (INSUFFICIENT_POINTS, MEMBER_DEACTIVATED) as usual; nothing written then.
        Emits points.spent for the giver and points.earned for the receiver. Idempotent by request_id."""
        ledger = self.ledger
        _check_currency(ledger.program_for(tenant_id), currency)
        if points is not None:
            _check_amount(points)
            if points < 0:
                raise invalid_argument(
                    "INVALID_AMOUNT", "points must be positive", FieldViolation("points", "> 0")
                )
        check_human_reason(reason)
        if from_member_id == to_member_id:
            raise invalid_argument(
                "SAME_MEMBER",
                "a transfer needs two different members",
                FieldViolation("to_member", "same as from_member"),
            )
        content = {
            "from": from_member_id,
            "to": to_member_id,
            "currency": currency,
            "points": points,
            "reason": reason,
        }
        who = actor or _system(tenant_id, request_id)
        async with write_transaction(ledger.engine) as connection:
            replay = await idempotency.claim(
                connection,
                ledger.clock,
                tenant_id=tenant_id,
                scope="ledger.transfer",
                key=request_id,
                content=content,
            )
            if replay is not None:
                return Transfer(
                    replay["transfer_id"], booked_from(replay["out"]), booked_from(replay["into"])
                )
            giver = await get_member(connection, tenant_id, from_member_id)
            receiver = await get_member(connection, tenant_id, to_member_id)
            require_active(giver)
            require_active(receiver)
            await self._lock_in_order(connection, [giver, receiver], currency)
            entry = Entry(
                origin_type="transfer",
                origin_id="tr_" + secrets.token_hex(10),
                reason_code=TRANSFER_REASON_CODE,
                reason=reason,
                request_id=request_id,
                actor=who.actor,
            )
            done = await self._move(connection, giver, receiver, currency, points, entry)
            await ledger.points_event(
                connection, giver, done.out, entry, subscription_pb2.EVENT_TYPE_POINTS_SPENT
            )
            await ledger.points_event(
                connection, receiver, done.into, entry, subscription_pb2.EVENT_TYPE_POINTS_EARNED
            )
            await audit.record(
                connection,
                ledger.clock,
                who,
                action="ledger.transfer_points",
                target_type="member",
                target_id=from_member_id,
                details={
                    "transfer_id": done.transfer_id,
                    "to_member_id": to_member_id,
                    "currency": currency,
                    "points": str(-done.out.points),
                },
            )
            result: dict[str, Any] = {
                "transfer_id": done.transfer_id,
                "out": booked_json(done.out),
                "into": booked_json(done.into),
            }
            await idempotency.record(
                connection, tenant_id=tenant_id, scope="ledger.transfer", key=request_id, result=result
            )
            return done

    async def _lock_in_order(self, connection: AsyncConnection, members: list[Member], currency: str) -> None:
        """Settle (and so lock) the accounts in account order: every writer that locks several
        accounts takes them in this one order, so none waits on another in a circle."""
        now = self.ledger.clock.now()
        keyed = [(await member_account_pk(connection, member, currency, now), member) for member in members]
        for _, member in sorted(keyed, key=lambda item: item[0]):
            await self.ledger.settle(connection, member, currency)

    async def _move(
        self,
        connection: AsyncConnection,
        giver: Member,
        receiver: Member,
        currency: str,
        points: int | None,
        entry: Entry,
    ) -> Transfer:
        clock = self.ledger.clock
        giver_account = await settle(connection, clock, giver, currency)
        amount = available_of(giver_account) if points is None else points
        if amount <= 0:
            raise DomainError(
                ErrorKind.FAILED_PRECONDITION,
                "INSUFFICIENT_POINTS",
                f"no {currency} points available to transfer",
                metadata={"available_points": str(max(amount, 0)), "currency": currency},
            )
        out = await debit(
            connection,
            clock,
            giver,
            currency=currency,
            points=amount,
            entry=entry,
            kind="transfer_out",
            counter="adjustment",
        )
        pieces = await self._lots_like_draws(connection, out.pk)
        receiver_account = await settle(connection, clock, receiver, currency)
        move = Movement("transfer_in", "adjustment", currency, entry, clock.now())
        into = await give(connection, clock, receiver, receiver_account, move, pieces)
        return Transfer(entry.origin_id, out, into)

    async def _lots_like_draws(self, connection: AsyncConnection, transaction_pk: int) -> list[NewLot]:
        """One new lot per lot drawn from: same points, source and expiry date."""
        draws = await draws_of(connection, transaction_pk)
        query = select(lots.c.id, lots.c.source_id, lots.c.expires_at).where(
            lots.c.id.in_([draw.lot_pk for draw in draws])
        )
        drawn = {row.id: row for row in await connection.execute(query)}
        return [
            NewLot(draw.points, drawn[draw.lot_pk].source_id, drawn[draw.lot_pk].expires_at) for draw in draws
        ]
