"""A seeded random walk over the ledger, checking the invariants after every step.

Operations, one small function each, chosen by a weighted roll:
- earn (both currencies, sometimes pending, sometimes large, sometimes with the tier multiplier:
  the points credited and the debt paid off first are checked), spend;
- hold, capture (whole or part), void;
- reverse an earlier earn's, spend's, adjustment's or transfer's origin (all, a number of points, a
  proportion; a transfer only whole, else PORTION_NOT_ALLOWED; NOTHING_TO_REVERSE refused), after
  spending too, so debt is recorded (and paid off by later credits), after expiry too;
- adjust (credit or debit), transfer between members;
- redeem a reward ("coupon-5", "gold-gift"), use a coupon, cancel a coupon;
- replay any successful write (same request id, same content): same result, nothing written;
- a clock jump (lots expire, pending windows close, holds lapse, coupons expire), mostly followed by
  a tier evaluation round (after which no member's review is due any more).
Besides the ledger invariants, the walk checks its members' tiers: qualifying points are exactly the
qualifying earns less their reversals, and nobody holds a level below what the window's points justify.
The seed is printed on failure: `LEDGER_SEED=<n> pytest -k random` replays it.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty_server.clock import FakeClock
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import DomainError
from loyalty_server.ledger.book import Booked, Entry
from loyalty_server.ledger.corrections import Corrections, Transfer
from loyalty_server.ledger.members import Member, get_member
from loyalty_server.ledger.operations import CurrencyBalanceView, HoldView, Ledger
from loyalty_server.ledger.reversals import OriginReversal, Proportion, reverse_origin
from loyalty_server.ledger.rewards import Redemption, Rewards
from loyalty_server.ledger.tables import accounts, ledger_transactions, members, postings, qualifying_points
from loyalty_server.ledger.tier_job import run_round
from loyalty_server.program import load_program_file
from loyalty_server.program.model import Program
from loyalty_server.storage.engine import create_engine
from loyalty_server.storage.migrate import migrate
from loyalty_server.storage.schema import events
from loyalty_server.tenancy import ensure_default_tenant
from tests.ledger_invariants import check_invariants

STEPS = 140
MEMBERS = 4
CURRENCIES = ("permanent", "temporary")
SOURCES = ("healthy_choice", "purchase", "bonus")
REWARDS = ("coupon-5", "gold-gift")
Origin = tuple[str, str, str]  # (type, id, client id), as reverse_origin takes it


@dataclass(frozen=True, slots=True)
class Write:
    """A successful write, to replay: `call` repeats it, `summary` is what a replay must return again."""

    member_ids: tuple[str, ...]
    call: Callable[[], Awaitable[Any]]
    summary: Callable[[Any], Any]
    first: Any


def _same(result: Any) -> Any:
    return result


@dataclass
class Walk:
    rng: random.Random
    engine: AsyncEngine
    clock: FakeClock
    program: Program
    ledger: Ledger
    tenant_id: int
    member_ids: list[str]
    step: int = 0
    writes: list[Write] = field(default_factory=list)
    holds: list[str] = field(default_factory=list)
    origins: dict[Origin, tuple[str, ...]] = field(default_factory=dict)  # reversible -> its members
    coupons: list[str] = field(default_factory=list)  # codes, as issued
    seen: Counter[str] = field(default_factory=Counter)  # what happened, printed at the end

    @property
    def corrections(self) -> Corrections:
        return Corrections(self.ledger)

    @property
    def rewards(self) -> Rewards:
        return Rewards(self.ledger)

    def member(self) -> str:
        return self.rng.choice(self.member_ids)

    def request_id(self, kind: str) -> str:
        return f"{kind}{self.step}"

    async def attempt(
        self,
        kind: str,
        member_ids: tuple[str, ...],
        call: Callable[[], Awaitable[Any]],
        *,
        refusals: tuple[str, ...] = (),
        summary: Callable[[Any], Any] = _same,
    ) -> Any:
        """Run a write: its result (kept for replays), or None when refused for an expected reason."""
        try:
            result = await call()
        except DomainError as refused:
            if refused.reason not in refusals:
                raise
            self.seen[f"{kind}:{refused.reason}"] += 1
            return None
        self.writes.append(Write(member_ids, call, summary, summary(result)))
        self.seen[kind] += 1
        return result

    async def figures(self, member_id: str, currency: str) -> tuple[Member, CurrencyBalanceView]:
        balance = await self.ledger.balance(self.tenant_id, member_id)
        async with self.engine.connect() as connection:
            member = await get_member(connection, self.tenant_id, member_id)
        return member, next(c for c in balance.currencies if c.currency == currency)


async def test_random_walk_keeps_the_invariants(database_url: str) -> None:
    seed = int(os.environ.get("LEDGER_SEED", random.SystemRandom().randrange(2**32)))
    clock = FakeClock(dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC))
    engine = create_engine(database_url)
    program = load_program_file(DEMO_PROGRAM)
    try:
        await migrate(engine)
        tenant_id = (await ensure_default_tenant(engine, clock)).id
        ledger = Ledger(engine, clock, lambda _tenant: program)
        member_ids = [
            (await ledger.enroll(tenant_id, request_id=f"enroll-{i}")).member_id for i in range(MEMBERS)
        ]
        walk = Walk(random.Random(seed), engine, clock, program, ledger, tenant_id, member_ids)
        for step in range(STEPS):
            walk.step = step
            operation = walk.rng.choices(OPERATIONS, weights=WEIGHTS)[0]
            try:
                await operation(walk)
                await check_invariants(engine)
                await _check_tiers(walk)
            except Exception as failure:  # an unexpected refusal too: every failure names its seed
                raise AssertionError(
                    f"LEDGER_SEED={seed} step {step} ({operation.__name__}): {failure!r}"
                ) from failure
        print(f"LEDGER_SEED={seed}: {sorted(walk.seen.items())}")
    finally:
        await engine.dispose()


# --- the operations ------------------------------------------------------------------------------


async def clock_jump(walk: Walk) -> None:
    walk.clock.advance(dt.timedelta(days=walk.rng.choice([1, 7, 29, 45, 91])))
    if walk.rng.random() < 0.7:
        await run_round(walk.ledger)
        walk.seen["tier_round"] += 1
        async with walk.engine.connect() as connection:
            due = (
                await connection.execute(
                    select(members.c.member_id).where(members.c.tier_review_at <= walk.clock.now())
                )
            ).all()
        assert due == [], f"tier reviews still due after a round: {due}"


async def replay(walk: Walk) -> None:
    if not walk.writes:
        return
    write = walk.rng.choice(walk.writes)
    before = [await walk.ledger.balance(walk.tenant_id, m) for m in write.member_ids]
    written = await _written(walk.engine)
    again = write.summary(await write.call())
    assert again == write.first, f"a replay returns the first result: {again} != {write.first}"
    after = [await walk.ledger.balance(walk.tenant_id, m) for m in write.member_ids]
    assert [b.currencies for b in before] == [a.currencies for a in after], "a replay moved points"
    assert await _written(walk.engine) == written, "a replay wrote transactions or events"
    walk.seen["replay"] += 1


async def earn(walk: Walk) -> None:
    rng, member_id, step = walk.rng, walk.member(), walk.step
    currency = rng.choice(CURRENCIES)
    points = rng.randint(2000, 15000) if rng.random() < 0.15 else rng.randint(1, 500)
    source_id, pending_days = rng.choice(SOURCES), rng.choice([0, 0, 0, 30])
    multiplied = rng.random() < 0.3
    entry = Entry(origin_type="bulk_award", origin_id=f"o{step}", reason_code="RANDOM", request_id=f"r{step}")
    member, before = await walk.figures(member_id, currency)

    def call() -> Awaitable[Booked]:
        return walk.ledger.earn(
            walk.tenant_id,
            member_id,
            currency=currency,
            points=points,
            source_id=source_id,
            entry=entry,
            pending_days=pending_days,
            apply_tier_multiplier=multiplied,
        )

    booked = await walk.attempt("earn", (member_id,), call)
    walk.origins[("bulk_award", f"o{step}", "")] = (member_id,)
    credited = booked.points + booked.debt_points
    if multiplied:
        levels = walk.program.tiers.levels
        percent = next((lv for lv in levels if lv.id == member.tier_id), levels[0]).earn_multiplier_percent
        assert credited == max(1, points * percent // 100), (points, member.tier_id, booked)
    else:
        assert credited == points, booked
    assert booked.debt_points == min(credited, before.debt), f"owed {before.debt}, paid first? {booked}"
    if booked.debt_points:
        walk.seen["earn:paid_debt"] += 1


async def spend(walk: Walk) -> None:
    rng, member_id, step = walk.rng, walk.member(), walk.step
    currency = rng.choice(CURRENCIES)
    _, before = await walk.figures(member_id, currency)
    if before.available and rng.random() < 0.8:
        points = rng.randint(1, before.available)
    else:
        points = before.available + rng.randint(1, 50)  # more than there is: refused
    entry = Entry(origin_type="bulk_award", origin_id=f"o{step}", reason_code="RANDOM", request_id=f"r{step}")

    def call() -> Awaitable[Booked]:
        return walk.ledger.spend(walk.tenant_id, member_id, currency=currency, points=points, entry=entry)

    done = await walk.attempt("spend", (member_id,), call, refusals=("INSUFFICIENT_POINTS",))
    assert (done is None) == (points > before.available), f"{points} of {before.available}: {done}"
    if done is not None:
        walk.origins[("bulk_award", f"o{step}", "")] = (member_id,)


async def hold(walk: Walk) -> None:
    rng, member_id, request_id = walk.rng, walk.member(), walk.request_id("h")
    currency, points, ttl_s = rng.choice(CURRENCIES), rng.randint(1, 200), rng.choice([60, 3600, 86400 * 3])

    def call() -> Awaitable[HoldView]:
        return walk.ledger.create_hold(
            walk.tenant_id, member_id, currency=currency, points=points, request_id=request_id, ttl_s=ttl_s
        )

    created = await walk.attempt(
        "hold", (member_id,), call, refusals=("INSUFFICIENT_POINTS",), summary=lambda view: view.hold_id
    )
    if created is not None:
        walk.holds.append(created.hold_id)


async def close_hold(walk: Walk) -> None:
    if not walk.holds:
        return
    rng, hold_id = walk.rng, walk.rng.choice(walk.holds[-3:])  # the latest: most still active
    capture, points = rng.random() < 0.6, rng.choice([None, 1])
    request_id = walk.request_id("c" if capture else "v")
    member_id = (await walk.ledger.get_hold(walk.tenant_id, hold_id)).member_id

    def call() -> Awaitable[Any]:
        if capture:
            return walk.ledger.capture_hold(walk.tenant_id, hold_id, request_id=request_id, points=points)
        return walk.ledger.void_hold(walk.tenant_id, hold_id, request_id=request_id)

    await walk.attempt(
        "capture" if capture else "void",
        (member_id,),
        call,
        refusals=("HOLD_CAPTURED", "HOLD_VOIDED", "HOLD_EXPIRED"),
        summary=(lambda done: done[1]) if capture else (lambda view: view.hold_id),
    )


async def reverse(walk: Walk) -> None:
    if not walk.origins:
        return
    rng, request_id = walk.rng, walk.request_id("rv")
    origin = rng.choice(list(walk.origins))
    portion = rng.choice([None, rng.randint(1, 600), Proportion(rng.randint(0, 4), 4)])
    whole_only = origin[0] == "transfer"  # a transfer is undone whole or not at all
    if whole_only and rng.random() < 0.8:
        portion = None
    refusals = ("PORTION_NOT_ALLOWED",) if whole_only and portion is not None else ("NOTHING_TO_REVERSE",)

    def call() -> Awaitable[OriginReversal]:
        return reverse_origin(
            walk.ledger,
            walk.tenant_id,
            origin,
            portion,
            reason_code="RETURN",
            reason="",
            request_id=request_id,
        )

    done = await walk.attempt("reverse", walk.origins[origin], call, refusals=refusals)
    if done is not None and done.debt_points:
        walk.seen["reverse:recorded_debt"] += 1


async def adjust(walk: Walk) -> None:
    rng, member_id, request_id = walk.rng, walk.member(), walk.request_id("a")
    currency, points = rng.choice(CURRENCIES), rng.randint(1, 400) * rng.choice([1, -1])
    source_id = rng.choice(("", *SOURCES))
    expires_at = walk.clock.now() + dt.timedelta(days=rng.randint(1, 120)) if rng.random() < 0.3 else None

    def call() -> Awaitable[Booked]:
        return walk.corrections.adjust(
            walk.tenant_id,
            member_id,
            currency=currency,
            points=points,
            reason_code="RANDOM",
            reason="random walk correction",
            request_id=request_id,
            source_id=source_id,
            expires_at=expires_at,
        )

    refusals = ("INSUFFICIENT_POINTS",) if points < 0 else ()
    booked = await walk.attempt("adjust", (member_id,), call, refusals=refusals)
    if booked is not None:
        walk.origins[("adjustment", booked.transaction_id, "")] = (member_id,)


async def transfer(walk: Walk) -> None:
    rng, request_id = walk.rng, walk.request_id("t")
    giver, receiver = rng.sample(walk.member_ids, 2)
    currency = rng.choice(CURRENCIES)
    points = rng.choice([None, rng.randint(1, 300), rng.randint(1, 3000)])

    def call() -> Awaitable[Transfer]:
        return walk.corrections.transfer(
            walk.tenant_id,
            giver,
            receiver,
            currency=currency,
            points=points,
            reason="random walk transfer",
            request_id=request_id,
        )

    done = await walk.attempt("transfer", (giver, receiver), call, refusals=("INSUFFICIENT_POINTS",))
    if done is not None:
        walk.origins[("transfer", done.transfer_id, "")] = (giver, receiver)


async def redeem(walk: Walk) -> None:
    member_id, reward_id, request_id = walk.member(), walk.rng.choice(REWARDS), walk.request_id("rd")

    def call() -> Awaitable[Redemption]:
        return walk.rewards.redeem_reward(walk.tenant_id, member_id, reward_id, request_id=request_id)

    redemption = await walk.attempt(
        f"redeem {reward_id}",
        (member_id,),
        call,
        refusals=("INSUFFICIENT_POINTS", "REWARD_LIMIT_REACHED", "TIER_NOT_ELIGIBLE", "REWARD_OUT_OF_STOCK"),
        summary=lambda done: (done.coupon.coupon_id, done.booked),
    )
    if redemption is not None:
        walk.coupons.append(redemption.coupon.code)


async def use_or_cancel_coupon(walk: Walk) -> None:
    if not walk.coupons:
        return
    rng, code = walk.rng, walk.rng.choice(walk.coupons)
    cancel = rng.random() < 0.5
    order_id, request_id = f"order-{walk.step}", walk.request_id("x" if cancel else "u")
    member_id = (await walk.rewards.get_coupon(walk.tenant_id, code)).member_id

    def call() -> Awaitable[Any]:
        if cancel:
            return walk.rewards.cancel_coupon(walk.tenant_id, code, request_id=request_id, reason="returned")
        return walk.rewards.use_coupon(walk.tenant_id, code, order_id=order_id, request_id=request_id)

    if cancel:
        await walk.attempt(
            "cancel_coupon",
            (member_id,),
            call,
            refusals=("COUPON_CANCELLED", "COUPON_EXPIRED"),
            summary=lambda done: (done.coupon.coupon_id, done.booked),
        )
    else:
        await walk.attempt(
            "use_coupon",
            (member_id,),
            call,
            refusals=("COUPON_USED", "COUPON_CANCELLED", "COUPON_EXPIRED"),
            summary=lambda view: view.coupon_id,
        )


OPERATIONS = (
    clock_jump,
    replay,
    earn,
    spend,
    hold,
    close_hold,
    reverse,
    adjust,
    transfer,
    redeem,
    use_or_cancel_coupon,
)
WEIGHTS = (8, 14, 22, 12, 6, 6, 12, 5, 5, 7, 5)


# --- checks of the walk's own ------------------------------------------------------------------------


async def _written(engine: AsyncEngine) -> tuple[int, int]:
    """(transactions, events) in the database."""
    async with engine.connect() as connection:
        transactions = (
            await connection.execute(select(func.count()).select_from(ledger_transactions))
        ).scalar()
        emitted = (await connection.execute(select(func.count()).select_from(events))).scalar()
    return transactions, emitted


async def _check_tiers(walk: Walk) -> None:
    """Every member's qualifying points are its qualifying earns less what reversals took back of them
    (expired points included: the walk's members earn nothing outside earns); its level is at least
    what the window's points justify."""
    tiers = walk.program.tiers
    t, r, q = ledger_transactions, ledger_transactions.alias("reversal"), qualifying_points
    qualifying_earn = (t.c.type == "earn") & t.c.currency.in_(tiers.qualifying_currencies)
    first_day = walk.clock.now().date() - dt.timedelta(days=tiers.qualifying_window_days - 1)
    async with walk.engine.connect() as connection:

        async def per_member(query) -> dict[int, int]:  # type: ignore[no-untyped-def]
            return {pk: int(total) for pk, total in await connection.execute(query)}

        earned = await per_member(
            select(t.c.member_pk, func.sum(t.c.points + t.c.debt_points))
            .where(qualifying_earn)
            .group_by(t.c.member_pk)
        )
        undone = await per_member(  # a reversal's member, debt and expiry legs: what it reversed
            select(t.c.member_pk, func.sum(postings.c.amount))
            .select_from(r)
            .join(t, t.c.id == r.c.reverses_pk)
            .join(postings, postings.c.transaction_pk == r.c.id)
            .join(accounts, accounts.c.id == postings.c.account_pk)
            .where(qualifying_earn, accounts.c.account_type.in_(["member", "debt", "expiry"]))
            .group_by(t.c.member_pk)
        )
        counted = await per_member(select(q.c.member_pk, func.sum(q.c.points)).group_by(q.c.member_pk))
        window = await per_member(
            select(q.c.member_pk, func.sum(q.c.points)).where(q.c.day >= first_day).group_by(q.c.member_pk)
        )
        held = dict((await connection.execute(select(members.c.id, members.c.tier_id))).all())
    levels = [level.id for level in tiers.levels]
    for member_pk, tier_id in held.items():
        expected = earned.get(member_pk, 0) + undone.get(member_pk, 0)
        assert counted.get(member_pk, 0) == expected, (
            f"member {member_pk}: qualifying {counted.get(member_pk, 0)} != earned less reversed {expected}"
        )
        points = window.get(member_pk, 0)
        justified = max(i for i, level in enumerate(tiers.levels) if level.threshold <= points)
        rank = levels.index(tier_id) if tier_id in levels else 0
        assert rank >= justified, f"member {member_pk}: {tier_id} with {points} qualifying points"
