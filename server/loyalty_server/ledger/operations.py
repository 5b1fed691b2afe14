"""Ledger operations: each one write transaction with its idempotency key, its postings and its events.

This is what servicers and other domains (activity, auth) call. Everything here is exact under
retries (request ids), concurrency (account locks) and clocks (the injected clock).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from loyalty.v1 import common_pb2, subscription_pb2
from loyalty_server.clock import Clock
from loyalty_server.errors import FieldViolation, invalid_argument
from loyalty_server.events.outbox import append_event
from loyalty_server.ledger import idempotency
from loyalty_server.ledger.book import POINTS_MAX, Booked, Entry, credit, debit, settle
from loyalty_server.ledger.lots import expires_at_for
from loyalty_server.ledger.members import Member, enroll_member, event_member, get_member, require_active
from loyalty_server.ledger.tables import accounts, source_balances
from loyalty_server.program.model import Program
from loyalty_server.storage.engine import write_transaction

ProgramFor = Callable[[int], Program]  # tenant id -> its program


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
    member: Member
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
    ) -> Booked:
        """Credit points earned by a rule, an award or a bonus. Idempotent by entry.request_id."""
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
            "pending_days": pending_days,
        }
        async with write_transaction(self.engine) as connection:
            replay = await self._claim(connection, tenant_id, "ledger.earn", entry.request_id, content)
            if replay is not None:
                return Booked(**replay)
            member = await get_member(connection, tenant_id, member_id)
            require_active(member)
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
                expires_at=self._expiry(program, member, currency, effective),
                pending_until=now + dt.timedelta(days=pending_days) if pending_days else None,
            )
            await self._points_event(
                connection, member, booked, entry, subscription_pb2.EVENT_TYPE_POINTS_EARNED
            )
            await self._record(connection, tenant_id, "ledger.earn", entry.request_id, booked)
            return booked

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
            "origin": [entry.origin_type, entry.origin_id],
        }
        async with write_transaction(self.engine) as connection:
            replay = await self._claim(connection, tenant_id, "ledger.spend", entry.request_id, content)
            if replay is not None:
                return Booked(**replay)
            member = await get_member(connection, tenant_id, member_id)
            require_active(member)
            booked = await debit(
                connection, self.clock, member, currency=currency, points=points, entry=entry
            )
            await self._points_event(
                connection, member, booked, entry, subscription_pb2.EVENT_TYPE_POINTS_SPENT
            )
            await self._record(connection, tenant_id, "ledger.spend", entry.request_id, booked)
            return booked

    async def balance(self, tenant_id: int, member_id: str) -> BalanceView:
        """Every currency's figures: one indexed read, unless a lot came due (then it is settled first)."""
        program = self.program_for(tenant_id)
        async with self.engine.connect() as connection:
            member = await get_member(connection, tenant_id, member_id)
            rows = await _account_rows(connection, member)
        now = self.clock.now()
        if any(row["settle_at"] is not None and row["settle_at"] <= now for row in rows.values()):
            async with write_transaction(self.engine) as connection:
                for currency in rows:
                    await settle(connection, self.clock, member, currency)
                rows = await _account_rows(connection, member)
        async with self.engine.connect() as connection:
            sources = await _source_rows(connection, [row["id"] for row in rows.values()])
        views = [_currency_view(currency, rows.get(currency), sources) for currency in program.currencies]
        updated = max((row["updated_at"] for row in rows.values()), default=None)
        return BalanceView(member, views, updated)

    def _expiry(
        self, program: Program, member: Member, currency: str, earned_at: dt.datetime
    ) -> dt.datetime | None:
        custom = next((tier for tier in program.tiers.custom if tier.id == member.custom_tier_id), None)
        never = custom is not None and custom.temporary_points_never_expire
        return expires_at_for(program.currencies[currency], earned_at, member.zone, never=never)

    async def _claim(
        self, connection: AsyncConnection, tenant_id: int, scope: str, key: str, content: dict[str, Any]
    ) -> dict[str, Any] | None:
        replay = await idempotency.claim(
            connection, self.clock, tenant_id=tenant_id, scope=scope, key=key, content=content
        )
        if replay is None:
            return None
        for name in ("expires_at", "pending_until"):
            if replay[name] is not None:
                replay[name] = dt.datetime.fromisoformat(replay[name])
        return replay

    async def _record(
        self, connection: AsyncConnection, tenant_id: int, scope: str, key: str, booked: Booked
    ) -> None:
        result = {
            k: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in dataclasses.asdict(booked).items()
        }
        await idempotency.record(connection, tenant_id=tenant_id, scope=scope, key=key, result=result)

    async def _points_event(
        self, connection: AsyncConnection, member: Member, booked: Booked, entry: Entry, event_type: int
    ) -> None:
        payload = subscription_pb2.PointsChangedPayload(
            transaction_id=booked.transaction_id,
            currency=booked.currency,
            points=booked.points,
            source_id=booked.source_id or "",
            origin=common_pb2.OriginRef(id=entry.origin_id, client_id=entry.origin_client_id),
            reason_code=entry.reason_code,
            available_points_after=booked.available_after,
        )
        if booked.expires_at:
            payload.expire_time.FromDatetime(booked.expires_at)
        if booked.pending_until:
            payload.pending_until.FromDatetime(booked.pending_until)
        field = "points_earned" if event_type == subscription_pb2.EVENT_TYPE_POINTS_EARNED else "points_spent"
        event = subscription_pb2.Event(
            type=event_type, member=event_member(member), request_id=entry.request_id
        )
        getattr(event, field).CopyFrom(payload)
        await append_event(connection, self.clock, tenant_id=member.tenant_id, event=event)


async def _account_rows(connection: AsyncConnection, member: Member) -> dict[str, Any]:
    query = select(accounts).where(accounts.c.member_pk == member.pk)
    return {row["currency"]: row for row in (await connection.execute(query)).mappings()}


async def _source_rows(
    connection: AsyncConnection, account_pks: list[int]
) -> dict[int, dict[str, tuple[int, int]]]:
    by_account: dict[int, dict[str, tuple[int, int]]] = {}
    if not account_pks:
        return by_account
    query = select(source_balances).where(source_balances.c.account_pk.in_(account_pks))
    for row in (await connection.execute(query)).mappings():
        by_account.setdefault(row["account_pk"], {})[row["source_id"]] = (
            row["lifetime_earned"],
            row["remaining"],
        )
    return by_account


def _currency_view(
    currency: str, row: Any, sources: dict[int, dict[str, tuple[int, int]]]
) -> CurrencyBalanceView:
    if row is None:
        return CurrencyBalanceView(currency, 0, 0, 0, 0, 0, 0, 0, {})
    return CurrencyBalanceView(
        currency=currency,
        available=row["posted"] - row["held"] - row["pending"],
        pending=row["pending"],
        held=row["held"],
        debt=row["debt"],
        lifetime_earned=row["lifetime_earned"],
        lifetime_spent=row["lifetime_spent"],
        lifetime_expired=row["lifetime_expired"],
        sources=sources.get(row["id"], {}),
    )
