"""The rewards catalogue and its coupons: redeem a reward for a coupon, look it up, use it, cancel it.

Rewards are the program file's `[[rewards]]`; with a member, each says whether that member may
redeem it now and, if not, the first reason in this order: inactive member, tier, per-member limit,
stock, points. `redeem_reward` checks in the same order.

Coupon codes are bearer secrets (see coupon_codes.py): only their SHA-256 and last four characters
are stored. So the full code is shown exactly once, in the answer to the `redeem_reward` call that
issued it. Everything else shows what it can:
- a replay of that redemption (same request id) returns the same coupon with the code masked,
  "LOY-****-****-****-HV3N": the code cannot be recovered, and a retry must not mint a second one;
- `get_coupon`, `use_coupon` and `cancel_coupon` find the coupon by the code the caller gave and
  return it with that code (in its canonical form);
- `list_coupons` returns masked codes.

A coupon is issued, used or cancelled; an issued coupon past its `expires_at` reads as expired
(computed on read; nothing needs to run to expire it). Expired coupons keep their points spent and
their place in the stock and per-member counts. Cancelling an issued coupon, or a used one whose
order was returned, reverses the spend (the points go back to the lots they came from) and frees
its stock. Using or cancelling needs no active member: the coupon was paid for already.

Stock: `reward_counters.issued` counts a reward's coupons not cancelled, for every reward, so a stock
added to the program later counts what was issued before. Lock order, as everywhere in the ledger:
the member's account first, then the coupon row, then the reward's counter.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from loyalty.v1 import subscription_pb2
from loyalty_server import requests
from loyalty_server.errors import DomainError, ErrorKind, FieldViolation, invalid_argument, not_found
from loyalty_server.events.outbox import append_event
from loyalty_server.ids import time_ordered_hex
from loyalty_server.ledger import coupon_codes, idempotency
from loyalty_server.ledger.book import Booked, Entry, debit
from loyalty_server.ledger.members import Member, MemberStatus, event_member, get_member, require_active
from loyalty_server.ledger.operations import Ledger, booked_from, booked_json
from loyalty_server.ledger.reversals import reverse_transaction
from loyalty_server.ledger.tables import coupons, ledger_transactions, members, reward_counters
from loyalty_server.program.model import Program, Reward
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.sqlite_loop import read_connection
from loyalty_server.timestamps import set_timestamp

ORIGIN_TYPE = "coupon"  # common.proto ORIGIN_TYPE_COUPON: a reward redeemed into a coupon, id = coupon id
ORDER_ID_LENGTH_MAX = 128
STORE_ID_LENGTH_MAX = 64
CANCEL_REASON_LENGTH_MAX = 500
COUPON_STATUSES = frozenset({"issued", "used", "cancelled", "expired"})
_REDEEM_SCOPE = "ledger.redeem_reward"
_USE_SCOPE = "ledger.use_coupon"
_CANCEL_SCOPE = "ledger.cancel_coupon"


class Ineligibility(enum.Enum):
    """Why a member cannot redeem a reward now, in the order they are checked."""

    MEMBER_INACTIVE = "member_inactive"
    TIER_NOT_ELIGIBLE = "tier_not_eligible"
    MEMBER_LIMIT_REACHED = "member_limit_reached"
    OUT_OF_STOCK = "out_of_stock"
    INSUFFICIENT_POINTS = "insufficient_points"


@dataclass(frozen=True, slots=True)
class Eligibility:
    reason: Ineligibility | None  # None: eligible
    redeemed_count: int  # this member's coupons of the reward, not counting cancelled ones

    @property
    def eligible(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class RewardView:
    reward: Reward
    stock_remaining: int | None  # None: unlimited
    eligibility: Eligibility | None  # set when a member was named


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What a member's eligibility depends on, read once for the whole catalogue."""

    active: bool
    tiers: frozenset[str]  # effective tier ids: threshold tier (raised to a custom floor), custom tier
    redeemed: dict[str, int]  # reward id -> coupons not cancelled
    available: dict[str, int]  # currency -> available points


@dataclass(frozen=True, slots=True)
class CouponView:
    coupon_id: str
    code: str  # the code as given, or masked (see the module docstring)
    reward_id: str
    reward_name: str
    member_id: str
    loyalty_id: str
    status: str  # issued | used | cancelled | expired
    cost_points: int
    currency: str
    discount_minor: int
    transaction_id: str
    reversal_transaction_id: str | None
    order_id: str
    store_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str


@dataclass(frozen=True, slots=True)
class Redemption:
    coupon: CouponView
    booked: Booked  # the spend


@dataclass(frozen=True, slots=True)
class Cancellation:
    coupon: CouponView
    booked: Booked  # the reversal that gave the points back


# --- pure rules -----------------------------------------------------------------------------------


def effective_tiers(
    program: Program,
    tier_id: str | None,
    custom_tier_id: str | None,
    custom_expires_at: dt.datetime | None,
    now: dt.datetime,
) -> frozenset[str]:
    """The tiers a member counts as: its threshold tier, raised to its custom tier's floor, and the
    custom tier itself while it lasts. A member with no tier yet is in the lowest level."""
    levels = [level.id for level in program.tiers.levels]
    threshold = tier_id if tier_id in levels else levels[0]
    custom = None
    if custom_tier_id and (custom_expires_at is None or custom_expires_at > now):
        custom = next((tier for tier in program.tiers.custom if tier.id == custom_tier_id), None)
    if custom is None:
        return frozenset({threshold})
    if custom.floor in levels and levels.index(custom.floor) > levels.index(threshold):
        threshold = custom.floor
    return frozenset({threshold, custom.id})


def tier_allows(reward: Reward, tiers: frozenset[str]) -> bool:
    return not reward.tiers or not tiers.isdisjoint(reward.tiers)


def stock_remaining(reward: Reward, issued: int) -> int | None:
    return None if reward.stock is None else max(reward.stock - issued, 0)


def ineligibility(reward: Reward, facts: MemberFacts, remaining: int | None) -> Ineligibility | None:
    if not facts.active:
        return Ineligibility.MEMBER_INACTIVE
    if not tier_allows(reward, facts.tiers):
        return Ineligibility.TIER_NOT_ELIGIBLE
    if reward.per_member_max is not None and facts.redeemed.get(reward.id, 0) >= reward.per_member_max:
        return Ineligibility.MEMBER_LIMIT_REACHED
    if remaining is not None and remaining <= 0:
        return Ineligibility.OUT_OF_STOCK
    if facts.available.get(reward.currency, 0) < reward.cost:
        return Ineligibility.INSUFFICIENT_POINTS
    return None


def coupon_status(stored: str, expires_at: dt.datetime, now: dt.datetime) -> str:
    """An issued coupon past its end reads as expired; nothing has to run to make it so."""
    return "expired" if stored == "issued" and expires_at <= now else stored


def new_coupon_id() -> str:
    return "c_" + time_ordered_hex()


# --- the domain -----------------------------------------------------------------------------------


class Rewards:
    """Rewards and coupons of every tenant, written through the ledger's book and idempotency keys."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.engine = ledger.engine
        self.clock = ledger.clock

    async def list_rewards(
        self,
        tenant_id: int,
        *,
        member_id: str = "",
        eligible_only: bool = False,
        page_size: int = 0,
        page_token: str = "",
    ) -> tuple[list[RewardView], str]:
        """One page of the catalogue in program order, and the next page's token ("" after the last)."""
        program = self.ledger.program_for(tenant_id)
        limit = requests.page_size(page_size)
        binding = _binding("rewards", member_id, eligible_only)
        catalogue = list(program.rewards.values())
        after = _decode_token(page_token, binding)
        start = 0
        if after is not None:
            ids = [reward.id for reward in catalogue]
            if after not in ids:
                raise _bad_token("the page token names a reward the program no longer has")
            start = ids.index(after) + 1
        views = await self._views(tenant_id, catalogue[start:], member_id)
        if eligible_only and member_id:
            views = [view for view in views if view.eligibility is not None and view.eligibility.eligible]
        page = views[:limit]
        more = len(views) > limit
        return page, _encode_token(page[-1].reward.id, binding) if more else ""

    async def get_reward(self, tenant_id: int, reward_id: str, *, member_id: str = "") -> RewardView:
        reward = _reward(self.ledger.program_for(tenant_id), reward_id)
        return (await self._views(tenant_id, [reward], member_id))[0]

    async def redeem_reward(
        self,
        tenant_id: int,
        member_id: str,
        reward_id: str,
        *,
        request_id: str,
        store_id: str = "",
        actor: str = "system",
    ) -> Redemption:
        """Spend the reward's cost and issue a coupon. FAILED_PRECONDITION (MEMBER_DEACTIVATED,
        TIER_NOT_ELIGIBLE, REWARD_LIMIT_REACHED, REWARD_OUT_OF_STOCK, INSUFFICIENT_POINTS); nothing is
        written then. Idempotent by request_id: a replay returns the coupon with its code masked."""
        reward = _reward(self.ledger.program_for(tenant_id), reward_id)
        requests.check_text(store_id, "store_id", STORE_ID_LENGTH_MAX)
        content = {"member_id": member_id, "reward_id": reward_id, "store_id": store_id}
        async with write_transaction(self.engine) as connection:
            replay = await self._claim(connection, tenant_id, _REDEEM_SCOPE, request_id, content)
            if replay is not None:
                coupon = await _coupon_view(connection, self.clock.now(), coupon_id=replay["coupon_id"])
                return Redemption(coupon, booked_from(replay["booked"]))
            member = await get_member(connection, tenant_id, member_id)
            await self._check_may_redeem(connection, member, reward)
            coupon_id = new_coupon_id()
            entry = Entry(
                origin_type=ORIGIN_TYPE,
                origin_id=coupon_id,
                reason_code="REWARD_REDEEMED",
                reason=reward.name,
                request_id=request_id,
                actor=actor,
            )
            booked = await debit(
                connection, self.clock, member, currency=reward.currency, points=reward.cost, entry=entry
            )
            await _take_stock(connection, tenant_id, reward)
            code = coupon_codes.new_code()
            await self._insert_coupon(connection, member, reward, coupon_id, code, booked, store_id)
            await self.ledger.points_event(
                connection, member, booked, entry, subscription_pb2.EVENT_TYPE_POINTS_SPENT
            )
            coupon = await _coupon_view(connection, self.clock.now(), coupon_id=coupon_id, code=code)
            await self._redeemed_event(connection, member, coupon, booked, request_id)
            await idempotency.record(
                connection,
                tenant_id=tenant_id,
                scope=_REDEEM_SCOPE,
                key=request_id,
                result={"coupon_id": coupon_id, "booked": booked_json(booked)},
            )
            return Redemption(coupon, booked)

    async def get_coupon(self, tenant_id: int, code: str) -> CouponView:
        """The coupon with this code (any case, with or without dashes, confusables allowed)."""
        body = _code_body(code)
        async with read_connection(self.engine) as connection:
            return await _coupon_view(
                connection,
                self.clock.now(),
                tenant_id=tenant_id,
                code_sha256=coupon_codes.digest(body),
                code=coupon_codes.display(body),
            )

    async def list_coupons(
        self,
        tenant_id: int,
        member_id: str,
        *,
        statuses: frozenset[str] = frozenset(),
        page_size: int = 0,
        page_token: str = "",
    ) -> tuple[list[CouponView], str]:
        """One page of the member's coupons, newest first, codes masked; statuses empty: all."""
        unknown = sorted(statuses - COUPON_STATUSES)
        if unknown:
            raise invalid_argument(
                "UNKNOWN_COUPON_STATUS",
                f"unknown coupon status {unknown[0]!r}",
                FieldViolation("statuses", "unknown"),
            )
        limit = requests.page_size(page_size)
        binding = _binding("coupons", member_id, sorted(statuses))
        after = _decode_token(page_token, binding)
        if after is not None and not isinstance(after, int):
            raise _bad_token("not a coupon page token")
        now = self.clock.now()
        async with read_connection(self.engine) as connection:
            member = await get_member(connection, tenant_id, member_id)
            query = _coupon_query().where(coupons.c.member_pk == member.pk)
            if after is not None:
                query = query.where(coupons.c.id < after)
            if statuses:
                query = query.where(or_(*(_status_clause(status, now) for status in sorted(statuses))))
            query = query.order_by(coupons.c.id.desc()).limit(limit + 1)
            rows = (await connection.execute(query)).mappings().all()
        page = [_to_view(row, now, None) for row in rows[:limit]]
        return page, _encode_token(rows[limit - 1]["id"], binding) if len(rows) > limit else ""

    async def use_coupon(
        self,
        tenant_id: int,
        code: str,
        *,
        order_id: str,
        request_id: str,
        store_id: str = "",
    ) -> CouponView:
        """Mark an issued coupon used on an order. FAILED_PRECONDITION (COUPON_USED, COUPON_CANCELLED,
        COUPON_EXPIRED). Idempotent by request_id."""
        body = _code_body(code)
        if not order_id:
            raise invalid_argument(
                "ORDER_ID_REQUIRED", "order_id is required", FieldViolation("order_id", "required")
            )
        requests.check_text(order_id, "order_id", ORDER_ID_LENGTH_MAX)
        requests.check_text(store_id, "store_id", STORE_ID_LENGTH_MAX)
        shown = coupon_codes.display(body)
        digest = coupon_codes.digest(body)
        content = {"code_sha256": digest, "order_id": order_id, "store_id": store_id}
        async with write_transaction(self.engine) as connection:
            replay = await self._claim(connection, tenant_id, _USE_SCOPE, request_id, content)
            if replay is not None:
                return await _coupon_view(
                    connection, self.clock.now(), coupon_id=replay["coupon_id"], code=shown
                )
            used = await self.use_coupon_in(
                connection, tenant_id, code, order_id=order_id, request_id=request_id, store_id=store_id
            )
            await idempotency.record(
                connection,
                tenant_id=tenant_id,
                scope=_USE_SCOPE,
                key=request_id,
                result={"coupon_id": used.coupon_id},
            )
            return used

    async def use_coupon_in(
        self,
        connection: AsyncConnection,
        tenant_id: int,
        code: str,
        *,
        order_id: str,
        request_id: str,
        store_id: str = "",
        owner: Member | None = None,
    ) -> CouponView:
        """use_coupon's work inside the caller's write transaction, with no idempotency key of its
        own (RecordPurchase marks an order's coupons used with the order). `owner`: the coupon must
        be this member's, else FAILED_PRECONDITION (COUPON_MEMBER_MISMATCH) before anything is locked."""
        body = _code_body(code)
        shown = coupon_codes.display(body)
        coupon, member = await self._locked_coupon(
            connection, tenant_id, coupon_codes.digest(body), owner=owner
        )
        now = self.clock.now()
        _require_status(coupon, now, allowed=("issued",))
        values: dict[str, Any] = {"status": "used", "used_at": now, "order_id": order_id}
        if store_id:
            values["store_id"] = store_id
        await connection.execute(update(coupons).where(coupons.c.id == coupon["id"]).values(**values))
        payload = subscription_pb2.CouponChangedPayload(
            coupon_id=coupon["coupon_id"], reward_id=coupon["reward_id"], order_id=order_id
        )
        await self._coupon_event(
            connection, member, subscription_pb2.EVENT_TYPE_COUPON_USED, payload, request_id
        )
        return await _coupon_view(connection, now, coupon_id=coupon["coupon_id"], code=shown)

    async def cancel_coupon(
        self,
        tenant_id: int,
        code: str,
        *,
        request_id: str,
        reason: str = "",
        actor: str = "system",
    ) -> Cancellation:
        """Cancel an issued coupon, or a used one whose order was returned: the spend is reversed and
        the stock freed. FAILED_PRECONDITION (COUPON_CANCELLED, COUPON_EXPIRED). Idempotent by
        request_id."""
        body = _code_body(code)
        requests.check_text(reason, "reason", CANCEL_REASON_LENGTH_MAX)
        shown = coupon_codes.display(body)
        digest = coupon_codes.digest(body)
        content = {"code_sha256": digest, "reason": reason}
        async with write_transaction(self.engine) as connection:
            replay = await self._claim(connection, tenant_id, _CANCEL_SCOPE, request_id, content)
            if replay is not None:
                coupon = await _coupon_view(
                    connection, self.clock.now(), coupon_id=replay["coupon_id"], code=shown
                )
                return Cancellation(coupon, booked_from(replay["booked"]))
            coupon, member = await self._locked_coupon(connection, tenant_id, digest)
            now = self.clock.now()
            _require_status(coupon, now, allowed=("issued", "used"))
            entry = Entry(
                origin_type=ORIGIN_TYPE,
                origin_id=coupon["coupon_id"],
                reason_code="COUPON_CANCELLED",
                reason=reason,
                request_id=request_id,
                actor=actor,
            )
            reversal = await reverse_transaction(
                self.ledger, connection, member, coupon["transaction_pk"], points=None, entry=entry
            )
            await connection.execute(
                update(coupons)
                .where(coupons.c.id == coupon["id"])
                .values(
                    status="cancelled",
                    cancelled_at=now,
                    cancel_reason=reason,
                    reversal_transaction_pk=reversal.booked.pk,
                )
            )
            await _return_stock(connection, tenant_id, coupon["reward_id"])
            payload = subscription_pb2.CouponChangedPayload(
                coupon_id=coupon["coupon_id"],
                reward_id=coupon["reward_id"],
                points_restored=reversal.booked.points + reversal.booked.debt_points,  # debt paid off counts
            )
            await self._coupon_event(
                connection, member, subscription_pb2.EVENT_TYPE_COUPON_CANCELLED, payload, request_id
            )
            await idempotency.record(
                connection,
                tenant_id=tenant_id,
                scope=_CANCEL_SCOPE,
                key=request_id,
                result={"coupon_id": coupon["coupon_id"], "booked": booked_json(reversal.booked)},
            )
            view = await _coupon_view(connection, now, coupon_id=coupon["coupon_id"], code=shown)
            return Cancellation(view, reversal.booked)

    # --- helpers ----------------------------------------------------------------------------------

    async def _claim(
        self, connection: AsyncConnection, tenant_id: int, scope: str, key: str, content: dict[str, Any]
    ) -> dict[str, Any] | None:
        return await idempotency.claim(
            connection, self.clock, tenant_id=tenant_id, scope=scope, key=key, content=content
        )

    async def _views(self, tenant_id: int, rewards: list[Reward], member_id: str) -> list[RewardView]:
        facts = await self._member_facts(tenant_id, member_id) if member_id else None
        async with read_connection(self.engine) as connection:
            issued = await _issued_counts(connection, tenant_id)
        views = []
        for reward in rewards:
            remaining = stock_remaining(reward, issued.get(reward.id, 0))
            eligibility = None
            if facts is not None:
                reason = ineligibility(reward, facts, remaining)
                eligibility = Eligibility(reason, facts.redeemed.get(reward.id, 0))
            views.append(RewardView(reward, remaining, eligibility))
        return views

    async def _member_facts(self, tenant_id: int, member_id: str) -> MemberFacts:
        balance = await self.ledger.balance(tenant_id, member_id)  # settles due lots first
        async with self.engine.connect() as connection:
            member = await get_member(connection, tenant_id, member_id)
            tiers = await self._member_tiers(connection, member)
            query = (
                select(coupons.c.reward_id, func.count())
                .where(coupons.c.member_pk == member.pk, coupons.c.status != "cancelled")
                .group_by(coupons.c.reward_id)
            )
            redeemed = {reward_id: int(count) for reward_id, count in await connection.execute(query)}
        return MemberFacts(
            active=member.status is MemberStatus.ACTIVE,
            tiers=tiers,
            redeemed=redeemed,
            available={currency.currency: currency.available for currency in balance.currencies},
        )

    async def _member_tiers(self, connection: AsyncConnection, member: Member) -> frozenset[str]:
        query = select(members.c.custom_tier_expires_at).where(members.c.id == member.pk)
        custom_expires_at = (await connection.execute(query)).scalar_one()
        program = self.ledger.program_for(member.tenant_id)
        return effective_tiers(
            program, member.tier_id, member.custom_tier_id, custom_expires_at, self.clock.now()
        )

    async def _check_may_redeem(self, connection: AsyncConnection, member: Member, reward: Reward) -> None:
        """Every refusal before anything is spent, in the documented order. Leaves the member's
        account locked, so this member's redemptions of the reward count one after the other."""
        require_active(member)  # the documented order: an inactive member is told so first
        member = await self.ledger.settle_active(
            connection, member.tenant_id, member.member_id, reward.currency
        )
        if not tier_allows(reward, await self._member_tiers(connection, member)):
            raise _refused("TIER_NOT_ELIGIBLE", f"{reward.id} is not for this member's tier", reward)
        if reward.per_member_max is not None:
            count = await _redeemed_count(connection, member.pk, reward.id)
            if count >= reward.per_member_max:
                raise _refused(
                    "REWARD_LIMIT_REACHED", f"at most {reward.per_member_max} of {reward.id}", reward
                )
        # An unlocked look first: refuses a sold-out reward without spending; _take_stock decides.
        issued = (await _issued_counts(connection, member.tenant_id)).get(reward.id, 0)
        if stock_remaining(reward, issued) == 0:
            raise _refused("REWARD_OUT_OF_STOCK", f"{reward.id} is out of stock", reward)

    async def _insert_coupon(
        self,
        connection: AsyncConnection,
        member: Member,
        reward: Reward,
        coupon_id: str,
        code: str,
        booked: Booked,
        store_id: str,
    ) -> None:
        body = coupon_codes.normalize(code)
        assert body is not None
        now = self.clock.now()
        # 80 random bits: a clash of two codes is out of reach, and the unique index would refuse it.
        await connection.execute(
            insert(coupons).values(
                tenant_id=member.tenant_id,
                coupon_id=coupon_id,
                code_sha256=coupon_codes.digest(body),
                code_hint=coupon_codes.hint(body),
                member_pk=member.pk,
                reward_id=reward.id,
                reward_name=reward.name,
                status="issued",
                cost_points=reward.cost,
                currency=reward.currency,
                discount_minor=reward.discount_minor,
                transaction_pk=booked.pk,
                store_id=store_id,
                issued_at=now,
                expires_at=now + dt.timedelta(days=reward.valid_days),
            )
        )

    async def _locked_coupon(
        self, connection: AsyncConnection, tenant_id: int, digest: str, *, owner: Member | None = None
    ) -> tuple[RowMapping, Member]:
        """The coupon row, locked after its member's account (one lock order for every writer)."""
        query = select(coupons).where(coupons.c.tenant_id == tenant_id, coupons.c.code_sha256 == digest)
        found = (await connection.execute(query)).mappings().first()
        if found is None:
            raise _coupon_not_found()
        if owner is not None and found["member_pk"] != owner.pk:
            raise DomainError(
                ErrorKind.FAILED_PRECONDITION,
                "COUPON_MEMBER_MISMATCH",
                f"coupon {found['coupon_id']} was issued to another member",
                metadata={"coupon_id": found["coupon_id"]},
            )
        member = await self.ledger.member_by_pk(connection, found["member_pk"])
        await self.ledger.settle(connection, member, found["currency"])
        locked = select(coupons).where(coupons.c.id == found["id"]).with_for_update()
        return (await connection.execute(locked)).mappings().one(), member

    async def _redeemed_event(
        self,
        connection: AsyncConnection,
        member: Member,
        coupon: CouponView,
        booked: Booked,
        request_id: str,
    ) -> None:
        payload = subscription_pb2.RewardRedeemedPayload(
            reward_id=coupon.reward_id,
            reward_name=coupon.reward_name,
            coupon_id=coupon.coupon_id,
            points=coupon.cost_points,
            currency=coupon.currency,
            transaction_id=booked.transaction_id,
        )
        set_timestamp(payload.coupon_expire_time, coupon.expires_at)
        event = subscription_pb2.Event(
            type=subscription_pb2.EVENT_TYPE_REWARD_REDEEMED,
            member=event_member(member),
            request_id=request_id,
            reward_redeemed=payload,
        )
        await append_event(connection, self.clock, tenant_id=member.tenant_id, event=event)

    async def _coupon_event(
        self,
        connection: AsyncConnection,
        member: Member,
        event_type: int,
        payload: subscription_pb2.CouponChangedPayload,
        request_id: str,
    ) -> None:
        event = subscription_pb2.Event(type=event_type, member=event_member(member), request_id=request_id)
        field = "coupon_used" if event_type == subscription_pb2.EVENT_TYPE_COUPON_USED else "coupon_cancelled"
        getattr(event, field).CopyFrom(payload)
        await append_event(connection, self.clock, tenant_id=member.tenant_id, event=event)


# --- queries --------------------------------------------------------------------------------------


async def _redeemed_count(connection: AsyncConnection, member_pk: int, reward_id: str) -> int:
    query = select(func.count()).where(
        coupons.c.member_pk == member_pk, coupons.c.reward_id == reward_id, coupons.c.status != "cancelled"
    )
    return int((await connection.execute(query)).scalar_one())


async def _issued_counts(connection: AsyncConnection, tenant_id: int) -> dict[str, int]:
    query = select(reward_counters.c.reward_id, reward_counters.c.issued).where(
        reward_counters.c.tenant_id == tenant_id
    )
    return {reward_id: issued for reward_id, issued in await connection.execute(query)}


async def _take_stock(connection: AsyncConnection, tenant_id: int, reward: Reward) -> None:
    """Count one more coupon of the reward, under the counter's row lock: stock is never oversold."""
    where = and_(reward_counters.c.tenant_id == tenant_id, reward_counters.c.reward_id == reward.id)
    locked = select(reward_counters.c.issued).where(where).with_for_update()
    issued = (await connection.execute(locked)).scalar()
    if issued is None:
        # The reward's first coupon: two first redemptions may race to create the row; the loser's
        # insert waits for the winner's commit and then does nothing.
        await connection.execute(_insert_counter(connection, tenant_id, reward.id))
        issued = (await connection.execute(locked)).scalar_one()
    if reward.stock is not None and issued >= reward.stock:
        raise _refused("REWARD_OUT_OF_STOCK", f"{reward.id} is out of stock", reward)
    await connection.execute(update(reward_counters).where(where).values(issued=issued + 1))


async def _return_stock(connection: AsyncConnection, tenant_id: int, reward_id: str) -> None:
    where = and_(reward_counters.c.tenant_id == tenant_id, reward_counters.c.reward_id == reward_id)
    issued = (
        await connection.execute(select(reward_counters.c.issued).where(where).with_for_update())
    ).scalar_one()
    assert issued > 0, f"reward {reward_id}: a coupon to cancel but none counted"
    await connection.execute(update(reward_counters).where(where).values(issued=issued - 1))


def _insert_counter(connection: AsyncConnection, tenant_id: int, reward_id: str):  # type: ignore[no-untyped-def]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    values = {"tenant_id": tenant_id, "reward_id": reward_id, "issued": 0}
    return dialect.insert(reward_counters).values(**values).on_conflict_do_nothing()


def _coupon_query():  # type: ignore[no-untyped-def]
    spend = ledger_transactions.alias("spend")
    reversal = ledger_transactions.alias("reversal")
    return (
        select(
            coupons,
            members.c.member_id,
            members.c.loyalty_id,
            spend.c.transaction_id.label("transaction_id"),
            reversal.c.transaction_id.label("reversal_transaction_id"),
        )
        .join(members, members.c.id == coupons.c.member_pk)
        .join(spend, spend.c.id == coupons.c.transaction_pk)
        .outerjoin(reversal, reversal.c.id == coupons.c.reversal_transaction_pk)
    )


async def _coupon_view(
    connection: AsyncConnection,
    now: dt.datetime,
    *,
    coupon_id: str | None = None,
    tenant_id: int | None = None,
    code_sha256: str | None = None,
    code: str | None = None,
) -> CouponView:
    """By coupon id, or by tenant and code digest. `code`: shown as is; None: masked."""
    query = _coupon_query()
    if coupon_id is not None:
        query = query.where(coupons.c.coupon_id == coupon_id)
    else:
        query = query.where(coupons.c.tenant_id == tenant_id, coupons.c.code_sha256 == code_sha256)
    row = (await connection.execute(query)).mappings().first()
    if row is None:
        raise _coupon_not_found()
    return _to_view(row, now, code)


def _to_view(row: RowMapping, now: dt.datetime, code: str | None) -> CouponView:
    return CouponView(
        coupon_id=row["coupon_id"],
        code=code if code is not None else coupon_codes.masked(row["code_hint"]),
        reward_id=row["reward_id"],
        reward_name=row["reward_name"],
        member_id=row["member_id"],
        loyalty_id=row["loyalty_id"],
        status=coupon_status(row["status"], row["expires_at"], now),
        cost_points=row["cost_points"],
        currency=row["currency"],
        discount_minor=row["discount_minor"],
        transaction_id=row["transaction_id"],
        reversal_transaction_id=row["reversal_transaction_id"],
        order_id=row["order_id"],
        store_id=row["store_id"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        cancelled_at=row["cancelled_at"],
        cancel_reason=row["cancel_reason"],
    )


def _status_clause(status: str, now: dt.datetime):  # type: ignore[no-untyped-def]
    issued = coupons.c.status == "issued"
    if status == "issued":
        return and_(issued, coupons.c.expires_at > now)
    if status == "expired":
        return or_(coupons.c.status == "expired", and_(issued, coupons.c.expires_at <= now))
    return coupons.c.status == status


# --- checks and errors ----------------------------------------------------------------------------


def _reward(program: Program, reward_id: str) -> Reward:
    reward = program.rewards.get(reward_id)
    if reward is None:
        raise not_found("REWARD_NOT_FOUND", "no such reward", reward_id=reward_id)
    return reward


def _code_body(code: str) -> str:
    if not code:
        raise invalid_argument(
            "COUPON_CODE_REQUIRED", "the coupon code is required", FieldViolation("code", "required")
        )
    body = coupon_codes.normalize(code)
    if body is None:  # not even the shape of a code: no coupon has it
        raise _coupon_not_found()
    return body


def _require_status(coupon: RowMapping, now: dt.datetime, *, allowed: tuple[str, ...]) -> None:
    status = coupon_status(coupon["status"], coupon["expires_at"], now)
    if status not in allowed:
        raise DomainError(
            ErrorKind.FAILED_PRECONDITION,
            f"COUPON_{status.upper()}",
            f"coupon {coupon['coupon_id']} is {status}",
            metadata={"coupon_id": coupon["coupon_id"]},
        )


def _refused(reason: str, message: str, reward: Reward) -> DomainError:
    return DomainError(ErrorKind.FAILED_PRECONDITION, reason, message, metadata={"reward_id": reward.id})


def _coupon_not_found() -> DomainError:
    return not_found("COUPON_NOT_FOUND", "no coupon has this code")


# --- page tokens ----------------------------------------------------------------------------------


def _binding(*parts: object) -> str:
    """A page token is bound to its list and filters: reusing it with others is an error."""
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def _encode_token(after: str | int, binding: str) -> str:
    raw = json.dumps({"after": after, "b": binding}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, binding: str) -> str | int | None:
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after, bound = data["after"], data["b"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise _bad_token("not a page token") from None
    if bound != binding or not isinstance(after, str | int):
        raise _bad_token("the page token belongs to another list or other filters")
    return after


def _bad_token(message: str) -> DomainError:
    return invalid_argument("PAGE_TOKEN_INVALID", message, FieldViolation("page_token", "invalid"))
