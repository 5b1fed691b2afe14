"""Ledger operations: each one write transaction with its idempotency key, its postings and its events.

This is what servicers and other domains (activity, auth) call. Everything here is exact under
retries (request ids), concurrency (account locks) and clocks (the injected clock).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty.v1 import common_pb2, subscription_pb2
from loyalty_server.clock import Clock
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument
from loyalty_server.events.outbox import append_event
from loyalty_server.ledger import idempotency
from loyalty_server.ledger.balance_read import AccountFigures, MemberIds, read_member_balances
from loyalty_server.ledger.book import (
    POINTS_MAX,
    Booked,
    Entry,
    close_hold,
    credit,
    debit,
    existing_member_account_pks,
    find_hold,
    lock_accounts,
    member_account_pk,
    place_hold,
    recheck_spared,
    settle_account,
    settle_due,
)
from loyalty_server.ledger.lots import expires_at_for
from loyalty_server.ledger.members import (
    Member,
    enroll_member,
    event_member,
    get_member,
    get_member_row,
    member_from_row,
    require_active,
)
from loyalty_server.ledger.tables import accounts, holds, ledger_transactions, members
from loyalty_server.ledger.tier_rules import apply_multiplier
from loyalty_server.ledger.tiers import earn_multiplier_percent, keep_state_read_for_write, record_qualifying
from loyalty_server.program.model import Program
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.sqlite_loop import read_connection
from loyalty_server.timestamps import set_timestamp

ProgramFor = Callable[[int], Program]  # tenant id -> its program
HOLD_TTL_S_MAX = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class HoldView:
    hold_id: str
    member_id: str
    currency: str
    points: int
    captured_points: int
    status: str  # active | captured | voided | expired
    reference: str
    expires_at: dt.datetime
    created_at: dt.datetime
    closed_at: dt.datetime | None
    capture_transaction_id: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class CurrencyBalanceView:
    currency: str
    available: int
    pending: int
    held: int
    debt: int
    lifetime_earned: int
    lifetime_spent: int
    lifetime_expired: int
    sources: dict[str, tuple[int, int]]  # source id -> (lifetime earned, remaining)


@dataclass(frozen=True, slots=True)
class BalanceView:
    member: MemberIds
    currencies: list[CurrencyBalanceView]  # in program order, zero rows included
    updated_at: dt.datetime | None

    @property
    def total_available(self) -> int:
        return sum(currency.available for currency in self.currencies)


def _check_points(points: int) -> None:
    if not 0 < points <= POINTS_MAX:
        raise invalid_argument(
            "INVALID_AMOUNT",
            f"points must be between 1 and {POINTS_MAX}",
            FieldViolation("points", "out of range"),
        )


def check_expires_at(expires_at: dt.datetime | None, now: dt.datetime) -> None:
    """An explicit expiry lies in the future: a lot that expires on arrival is a mistake. Checked after
    the idempotency claim, so a replay days later still returns the first result."""
    assert expires_at is None or expires_at.tzinfo is not None, "expiry times are timezone-aware"
    if expires_at is not None and expires_at <= now:
        raise invalid_argument(
            "EXPIRE_TIME_INVALID",
            "expire_time must lie in the future",
            FieldViolation("expire_time", "not in the future"),
        )


def _check_currency(program: Program, currency: str) -> None:
    if currency not in program.currencies:
        raise invalid_argument(
            "UNKNOWN_CURRENCY", f"unknown currency {currency!r}", FieldViolation("currency", "unknown")
        )


class Ledger:
    def __init__(self, engine: AsyncEngine, clock: Clock, program_for: ProgramFor) -> None:
        self.engine = engine
        self.clock = clock
        self.program_for = program_for

    async def enroll(self, tenant_id: int, *, request_id: str, channel: str = "api", **fields: Any) -> Member:
        """Enroll a member (see members.enroll_member for the fields). Idempotent by request_id."""
        program = self.program_for(tenant_id)
        async with write_transaction(self.engine) as connection:
            replay = await idempotency.claim(
                connection,
                self.clock,
                tenant_id=tenant_id,
                scope="ledger.enroll",
                key=request_id,
                content={"channel": channel, **fields},
            )
            if replay is not None:
                return await get_member(connection, tenant_id, replay["member_id"])
            member = await enroll_member(
                connection,
                tenant_id=tenant_id,
                clock=self.clock,
                default_time_zone=program.default_time_zone,
                channel=channel,
                request_id=request_id,
                **fields,
            )
            await idempotency.record(
                connection,
                tenant_id=tenant_id,
                scope="ledger.enroll",
                key=request_id,
                result={"member_id": member.member_id},
            )
            return member

    async def earn(
        self,
        tenant_id: int,
        member_id: str,
        *,
        currency: str,
        points: int,
        source_id: str,
        entry: Entry,
        effective_at: dt.datetime | None = None,
        pending_days: int = 0,
        expires_at: dt.datetime | None = None,
        apply_tier_multiplier: bool = False,
    ) -> Booked:
        """Credit points earned by a rule, an award or a bonus. Idempotent by entry.request_id.
        `expires_at` overrides the currency's expiry rule for this lot (bulk awards, imports).
        `apply_tier_multiplier` credits `points` times the member's tier multiplier (rounded down, at
        least 1). Every earn counts as qualifying points and upgrades the tier at once (ledger/tiers.py)."""
        program = self.program_for(tenant_id)
        _check_points(points)
        _check_currency(program, currency)
        if source_id not in program.sources:
            raise invalid_argument(
                "UNKNOWN_SOURCE", f"unknown source {source_id!r}", FieldViolation("source_id", "unknown")
            )
        content = {
            "op": "earn",
            "member_id": member_id,
            "currency": currency,
            "points": points,
            "source_id": source_id,
            "origin": [entry.origin_type, entry.origin_id, entry.origin_client_id],
            "reason": [entry.reason_code, entry.reason],
            "effective_at": effective_at.astimezone(dt.UTC).isoformat() if effective_at else None,
            "pending_days": pending_days,
        }
        if expires_at is not None:  # only when given: keys stored before this option still match
            content["expires_at"] = expires_at.astimezone(dt.UTC).isoformat()
        if apply_tier_multiplier:  # likewise only when set
            content["apply_tier_multiplier"] = True
        async with write_transaction(self.engine) as connection:
            replay = await self.claim_booked(connection, tenant_id, "ledger.earn", entry.request_id, content)
            if replay is not None:
                return Booked(**replay)
            check_expires_at(expires_at, self.clock.now())
            member = await self.settle_active(connection, tenant_id, member_id, currency)
            if apply_tier_multiplier:
                points = apply_multiplier(points, earn_multiplier_percent(program, member))
                _check_points(points)
            booked = await self.earn_in(
                connection,
                program,
                member,
                currency=currency,
                points=points,
                source_id=source_id,
                entry=entry,
                effective_at=effective_at,
                pending_days=pending_days,
                expires_at=expires_at,
            )
            await self.record_booked(connection, tenant_id, "ledger.earn", entry.request_id, booked)
            return booked

    async def earn_in(
        self,
        connection: AsyncConnection,
        program: Program,
        member: Member,
        *,
        currency: str,
        points: int,
        source_id: str,
        entry: Entry,
        effective_at: dt.datetime | None = None,
        pending_days: int = 0,
        expires_at: dt.datetime | None = None,
    ) -> Booked:
        """The earn itself, inside the caller's write transaction (the member's account locked and
        settled): the credit, its points.earned event and the tier's qualifying points."""
        now = self.clock.now()
        effective = effective_at or now
        booked = await credit(
            connection,
            self.clock,
            member,
            currency=currency,
            points=points,
            source_id=source_id,
            entry=entry,
            effective_at=effective,
            expires_at=expires_at or self.expiry_for(program, member, currency, effective),
            pending_until=now + dt.timedelta(days=pending_days) if pending_days else None,
        )
        await self.points_event(connection, member, booked, entry, subscription_pb2.EVENT_TYPE_POINTS_EARNED)
        await record_qualifying(
            connection,
            self.clock,
            program,
            member,
            currency=currency,
            points=points,
            earned_at=effective,
            request_id=entry.request_id,
        )
        return booked

    async def lock_member(
        self, connection: AsyncConnection, tenant_id: int, member_id: str, currencies: Iterable[str]
    ) -> Member:
        """Settle and lock the member's accounts of these currencies (created when missing) in account
        id order, then read the member under the locks and require it active. Writers that count
        per-member limits over several currencies serialize on these locks."""
        wanted = set(currencies)
        member: Member | None = None
        pks = await existing_member_account_pks(connection, tenant_id, member_id, wanted)
        if len(pks) < len(wanted):  # an account to create: that needs the member (its row id)
            member = await get_member(connection, tenant_id, member_id)
            now = self.clock.now()
            pks = {  # created in one order (two first writes for one member never deadlock)
                currency: await member_account_pk(connection, member, currency, now)
                for currency in sorted(wanted)
            }
        # All locked before any is settled (settling one locks its lots and holds): still accounts
        # first, in id order, then what hangs off them, the one lock order every writer keeps.
        for account in await lock_accounts(connection, pks.values()):
            if settle_due(account, self.clock.now()):
                # Settling writes transactions and events that name the member: read it if not yet.
                member = member or await get_member(connection, tenant_id, member_id)
                await self.settle(connection, member, account["currency"])
        row = await get_member_row(connection, tenant_id, member_id)
        keep_state_read_for_write(connection, row)  # SQLite: the first earn need not read it again
        member = member_from_row(row)
        require_active(member)
        return member

    async def spend(
        self, tenant_id: int, member_id: str, *, currency: str, points: int, entry: Entry
    ) -> Booked:
        """Debit points (soonest-expiring first). Idempotent by entry.request_id."""
        program = self.program_for(tenant_id)
        _check_points(points)
        _check_currency(program, currency)
        content = {
            "op": "spend",
            "member_id": member_id,
            "currency": currency,
            "points": points,
            "origin": [entry.origin_type, entry.origin_id, entry.origin_client_id],
            "reason": [entry.reason_code, entry.reason],
        }
        async with write_transaction(self.engine) as connection:
            replay = await self.claim_booked(connection, tenant_id, "ledger.spend", entry.request_id, content)
            if replay is not None:
                return Booked(**replay)
            member = await self.settle_active(connection, tenant_id, member_id, currency)
            booked = await debit(
                connection, self.clock, member, currency=currency, points=points, entry=entry
            )
            await self.points_event(
                connection, member, booked, entry, subscription_pb2.EVENT_TYPE_POINTS_SPENT
            )
            await self.record_booked(connection, tenant_id, "ledger.spend", entry.request_id, booked)
            return booked

    async def balance(self, tenant_id: int, member_id: str) -> BalanceView:
        """Every currency's figures: one indexed read (the member, its accounts and their sources),
        unless a lot came due (then it is settled first)."""
        program = self.program_for(tenant_id)
        async with read_connection(self.engine) as connection:
            read = await read_member_balances(connection, tenant_id, member_id)
        now = self.clock.now()
        if any(a.settle_at is not None and a.settle_at <= now for a in read.accounts.values()):
            async with write_transaction(self.engine) as connection:
                await self.settle_all(connection, await get_member(connection, tenant_id, member_id))
                read = await read_member_balances(connection, tenant_id, member_id)
        views = [_currency_view(currency, read.accounts.get(currency)) for currency in program.currencies]
        updated = max((account.updated_at for account in read.accounts.values()), default=None)
        return BalanceView(read.member, views, updated)

    async def create_hold(
        self,
        tenant_id: int,
        member_id: str,
        *,
        currency: str,
        points: int,
        request_id: str,
        ttl_s: int | None = None,
        reference: str = "",
        description: str = "",
    ) -> HoldView:
        """Reserve points for a later capture. Idempotent by request_id."""
        program = self.program_for(tenant_id)
        _check_points(points)
        _check_currency(program, currency)
        ttl = ttl_s or program.hold_ttl_seconds
        if not 0 < ttl <= HOLD_TTL_S_MAX:
            raise invalid_argument(
                "INVALID_TTL",
                f"ttl_seconds: 1 to {HOLD_TTL_S_MAX}",
                FieldViolation("ttl_seconds", "out of range"),
            )
        content = {
            "member_id": member_id,
            "currency": currency,
            "points": points,
            "ttl_s": ttl_s,  # as asked: a retry stays a replay after the program's default changes
            "reference": reference,
            "description": description,
        }
        async with write_transaction(self.engine) as connection:
            replay = await idempotency.claim(
                connection,
                self.clock,
                tenant_id=tenant_id,
                scope="ledger.hold",
                key=request_id,
                content=content,
            )
            if replay is not None:
                return await self._hold_view(connection, tenant_id, replay["hold_id"])
            member = await self.settle_active(connection, tenant_id, member_id, currency)
            expires_at = self.clock.now() + dt.timedelta(seconds=ttl)
            row = await place_hold(
                connection,
                self.clock,
                member,
                currency=currency,
                points=points,
                expires_at=expires_at,
                reference=reference,
                description=description,
            )
            await self.hold_event(
                connection, member, row, subscription_pb2.EVENT_TYPE_HOLD_CREATED, request_id
            )
            await idempotency.record(
                connection,
                tenant_id=tenant_id,
                scope="ledger.hold",
                key=request_id,
                result={"hold_id": row["hold_id"]},
            )
            return await self._hold_view(connection, tenant_id, row["hold_id"])

    async def capture_hold(
        self,
        tenant_id: int,
        hold_id: str,
        *,
        request_id: str,
        points: int | None = None,
        actor: str = "system",
    ) -> tuple[HoldView, Booked]:
        """Spend all of a hold, or part of it (the rest is released). FAILED_PRECONDITION when the hold
        is no longer active (HOLD_CAPTURED, HOLD_VOIDED, HOLD_EXPIRED). Idempotent by request_id."""
        if points is not None:
            _check_points(points)
        content = {"hold_id": hold_id, "points": points}
        async with write_transaction(self.engine) as connection:
            replay = await idempotency.claim(
                connection,
                self.clock,
                tenant_id=tenant_id,
                scope="ledger.capture",
                key=request_id,
                content=content,
            )
            if replay is not None:
                return await self._hold_view(connection, tenant_id, hold_id), booked_from(replay["booked"])
            hold, member = await self._active_hold(connection, tenant_id, hold_id)
            take = hold["points"] if points is None else points
            if take > hold["points"]:
                raise invalid_argument(
                    "CAPTURE_EXCEEDS_HOLD",
                    f"capture of {take} exceeds the hold of {hold['points']}",
                    FieldViolation("points", f"at most {hold['points']}"),
                )
            await close_hold(connection, hold, status="captured", now=self.clock.now(), captured_points=take)
            entry = Entry(
                origin_type="hold",
                origin_id=hold_id,
                reason_code="HOLD_CAPTURED",
                request_id=request_id,
                actor=actor,
            )
            booked = await debit(
                connection, self.clock, member, currency=hold["currency"], points=take, entry=entry
            )
            await connection.execute(
                update(holds).where(holds.c.id == hold["id"]).values(capture_transaction_pk=booked.pk)
            )
            await recheck_spared(connection, hold["account_pk"])  # spared points it did not spend
            await self.points_event(
                connection, member, booked, entry, subscription_pb2.EVENT_TYPE_POINTS_SPENT
            )
            closed = await find_hold(connection, tenant_id, hold_id)
            await self.hold_event(
                connection, member, closed, subscription_pb2.EVENT_TYPE_HOLD_CAPTURED, request_id
            )
            await idempotency.record(
                connection,
                tenant_id=tenant_id,
                scope="ledger.capture",
                key=request_id,
                result={"booked": booked_json(booked)},
            )
            return await self._hold_view(connection, tenant_id, hold_id), booked

    async def void_hold(self, tenant_id: int, hold_id: str, *, request_id: str) -> HoldView:
        """Release a hold's points. Idempotent by request_id."""
        async with write_transaction(self.engine) as connection:
            replay = await idempotency.claim(
                connection,
                self.clock,
                tenant_id=tenant_id,
                scope="ledger.void",
                key=request_id,
                content={"hold_id": hold_id},
            )
            if replay is not None:
                return await self._hold_view(connection, tenant_id, hold_id)
            hold, member = await self._active_hold(connection, tenant_id, hold_id)
            await close_hold(connection, hold, status="voided", now=self.clock.now())
            closed = await find_hold(connection, tenant_id, hold_id)
            await self.hold_event(
                connection, member, closed, subscription_pb2.EVENT_TYPE_HOLD_VOIDED, request_id
            )
            await idempotency.record(
                connection,
                tenant_id=tenant_id,
                scope="ledger.void",
                key=request_id,
                result={"hold_id": hold_id},
            )
            return await self._hold_view(connection, tenant_id, hold_id)

    async def get_hold(self, tenant_id: int, hold_id: str) -> HoldView:
        async with read_connection(self.engine) as connection:
            hold = await find_hold(connection, tenant_id, hold_id)
        if hold["status"] == "active" and hold["expires_at"] <= self.clock.now():
            async with write_transaction(self.engine) as connection:  # settle, so it reads as expired
                member = await self.member_by_pk(connection, hold["member_pk"])
                await self.settle(connection, member, hold["currency"])
        async with read_connection(self.engine) as connection:
            return await self._hold_view(connection, tenant_id, hold_id)

    async def _active_hold(
        self, connection: AsyncConnection, tenant_id: int, hold_id: str
    ) -> tuple[Any, Member]:
        """The hold, locked after its account (always account first, then hold: one lock order)."""
        hold = await find_hold(connection, tenant_id, hold_id)
        member = await self.member_by_pk(connection, hold["member_pk"])
        await self.settle(connection, member, hold["currency"])  # may expire this very hold
        hold = await find_hold(connection, tenant_id, hold_id, lock=True)
        if hold["status"] != "active":
            reason = {"captured": "HOLD_CAPTURED", "voided": "HOLD_VOIDED", "expired": "HOLD_EXPIRED"}[
                hold["status"]
            ]
            raise DomainError(
                ErrorKind.FAILED_PRECONDITION,
                reason,
                f"hold {hold_id} is {hold['status']}",
                metadata={"hold_id": hold_id},
            )
        return hold, member

    async def member_by_pk(self, connection: AsyncConnection, member_pk: int) -> Member:
        query = select(members.c.member_id, members.c.tenant_id).where(members.c.id == member_pk)
        row = (await connection.execute(query)).one()
        return await get_member(connection, row.tenant_id, row.member_id)

    async def _hold_view(self, connection: AsyncConnection, tenant_id: int, hold_id: str) -> HoldView:
        hold = await find_hold(connection, tenant_id, hold_id)
        member = await self.member_by_pk(connection, hold["member_pk"])
        capture_id = None
        if hold["capture_transaction_pk"] is not None:
            query = select(ledger_transactions.c.transaction_id).where(
                ledger_transactions.c.id == hold["capture_transaction_pk"]
            )
            capture_id = (await connection.execute(query)).scalar_one()
        return HoldView(
            hold_id=hold["hold_id"],
            member_id=member.member_id,
            currency=hold["currency"],
            points=hold["points"],
            captured_points=hold["captured_points"],
            status=hold["status"],
            reference=hold["reference"],
            expires_at=hold["expires_at"],
            created_at=hold["created_at"],
            closed_at=hold["closed_at"],
            capture_transaction_id=capture_id,
            description=hold["description"],
        )

    async def settle_active(
        self, connection: AsyncConnection, tenant_id: int, member_id: str, currency: str
    ) -> Member:
        """Settle (and so lock) the member's account, then read the member under that lock: a
        deactivation that committed while this write waited for the lock is seen and refused."""
        return await self.lock_member(connection, tenant_id, member_id, [currency])

    async def settle_all(self, connection: AsyncConnection, member: Member) -> None:
        """Settle (and lock) every account of the member in account-id order: the one order all
        multi-account writes use (reversals and transfers too), so two of them never deadlock."""
        rows = await _account_rows(connection, member)
        for currency in sorted(rows, key=lambda name: rows[name]["id"]):
            await self.settle(connection, member, currency)

    async def settle(self, connection: AsyncConnection, member: Member, currency: str) -> None:
        """Settle the account and announce what it did: points.expired and hold.expired events."""
        settlement = await settle_account(connection, self.clock, member, currency)
        for booked in settlement.expired:
            event = subscription_pb2.Event(
                type=subscription_pb2.EVENT_TYPE_POINTS_EXPIRED,
                member=event_member(member),
                points_expired=subscription_pb2.PointsExpiredPayload(
                    transaction_id=booked.transaction_id,
                    currency=booked.currency,
                    points=-booked.points,
                    available_points_after=booked.available_after,
                ),
            )
            await append_event(connection, self.clock, tenant_id=member.tenant_id, event=event)
        for hold in settlement.expired_holds:
            expired = await find_hold(connection, member.tenant_id, hold["hold_id"])
            await self.hold_event(connection, member, expired, subscription_pb2.EVENT_TYPE_HOLD_EXPIRED, "")

    async def hold_event(
        self, connection: AsyncConnection, member: Member, hold: Any, event_type: int, request_id: str
    ) -> None:
        field = {
            subscription_pb2.EVENT_TYPE_HOLD_CREATED: "hold_created",
            subscription_pb2.EVENT_TYPE_HOLD_CAPTURED: "hold_captured",
            subscription_pb2.EVENT_TYPE_HOLD_VOIDED: "hold_voided",
            subscription_pb2.EVENT_TYPE_HOLD_EXPIRED: "hold_expired",
        }[event_type]
        event = subscription_pb2.Event(type=event_type, member=event_member(member), request_id=request_id)
        payload = getattr(event, field)
        payload.hold_id = hold["hold_id"]
        payload.currency = hold["currency"]
        payload.points = hold["points"]
        payload.captured_points = hold["captured_points"]
        payload.released_points = (
            hold["points"] - hold["captured_points"] if hold["status"] != "active" else 0
        )
        payload.reference = hold["reference"]
        set_timestamp(payload.expire_time, hold["expires_at"])
        await append_event(connection, self.clock, tenant_id=member.tenant_id, event=event)

    def expiry_for(
        self, program: Program, member: Member, currency: str, earned_at: dt.datetime
    ) -> dt.datetime | None:
        custom = next((tier for tier in program.tiers.custom if tier.id == member.custom_tier_id), None)
        never = custom is not None and custom.temporary_points_never_expire
        return expires_at_for(program.currencies[currency], earned_at, member.zone, never=never)

    async def claim_booked(
        self, connection: AsyncConnection, tenant_id: int, scope: str, key: str, content: dict[str, Any]
    ) -> dict[str, Any] | None:
        replay = await idempotency.claim(
            connection, self.clock, tenant_id=tenant_id, scope=scope, key=key, content=content
        )
        return None if replay is None else dataclasses.asdict(booked_from(replay))

    async def record_booked(
        self, connection: AsyncConnection, tenant_id: int, scope: str, key: str, booked: Booked
    ) -> None:
        await idempotency.record(
            connection, tenant_id=tenant_id, scope=scope, key=key, result=booked_json(booked)
        )

    async def points_event(
        self, connection: AsyncConnection, member: Member, booked: Booked, entry: Entry, event_type: int
    ) -> None:
        payload = subscription_pb2.PointsChangedPayload(
            transaction_id=booked.transaction_id,
            currency=booked.currency,
            points=abs(booked.points),  # the event type says the direction; the proto wants a magnitude
            source_id=booked.source_id or "",
            origin=common_pb2.OriginRef(id=entry.origin_id, client_id=entry.origin_client_id),
            reason_code=entry.reason_code,
            available_points_after=booked.available_after,
        )
        if booked.expires_at:
            set_timestamp(payload.expire_time, booked.expires_at)
        if booked.pending_until:
            set_timestamp(payload.pending_until, booked.pending_until)
        field = {
            subscription_pb2.EVENT_TYPE_POINTS_EARNED: "points_earned",
            subscription_pb2.EVENT_TYPE_POINTS_SPENT: "points_spent",
        }[event_type]
        event = subscription_pb2.Event(
            type=event_type, member=event_member(member), request_id=entry.request_id
        )
        getattr(event, field).CopyFrom(payload)
        await append_event(connection, self.clock, tenant_id=member.tenant_id, event=event)


async def _account_rows(connection: AsyncConnection, member: Member) -> dict[str, Any]:
    query = select(accounts).where(accounts.c.member_pk == member.pk)
    return {row["currency"]: row for row in (await connection.execute(query)).mappings()}


def _currency_view(currency: str, account: AccountFigures | None) -> CurrencyBalanceView:
    if account is None:
        return CurrencyBalanceView(currency, 0, 0, 0, 0, 0, 0, 0, {})
    return CurrencyBalanceView(
        currency=currency,
        available=account.posted - account.held - account.pending,
        pending=account.pending,
        held=account.held,
        debt=account.debt,
        lifetime_earned=account.lifetime_earned,
        lifetime_spent=account.lifetime_spent,
        lifetime_expired=account.lifetime_expired,
        sources=account.sources,
    )


def booked_json(booked: Booked) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in dataclasses.asdict(booked).items()
    }


def booked_from(stored: dict[str, Any]) -> Booked:
    values = dict(stored)
    for name in ("expires_at", "pending_until"):
        if values[name] is not None:
            values[name] = dt.datetime.fromisoformat(values[name])
    return Booked(**values)
