"""Reversals on SQLite and PostgreSQL: by origin (all, points, proportion), the debt policy, spends
given back to their lots, replays. The invariants are checked after every write."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.members import get_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.reversals import Proportion, reverse_origin, reverse_transaction
from loyalty_server.ledger.tables import ledger_transactions, lot_draws, lots
from loyalty_server.program import load_program_file
from loyalty_server.program.model import DebtPolicy
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.schema import events
from tests.ledger_invariants import check_invariants

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PROGRAM = load_program_file(DEMO_PROGRAM)
NEGATIVE = dataclasses.replace(PROGRAM, debt_policy=DebtPolicy.ALLOW_NEGATIVE)


@pytest.fixture
async def member_id(ledger, tenant_id) -> str:
    return (await ledger.enroll(tenant_id, request_id="enroll")).member_id


def order(order_id: str) -> tuple[str, str, str]:
    return ("purchase", order_id, "")


async def earn(ledger, tenant_id, member_id, points, key, *, order_id="", currency="permanent", **kw):
    entry = Entry(origin_type="purchase", origin_id=order_id or key, reason_code="PURCHASE", request_id=key)
    return await ledger.earn(
        tenant_id, member_id, currency=currency, points=points, source_id="purchase", entry=entry, **kw
    )


async def spend(ledger, tenant_id, member_id, points, key, currency="permanent"):
    entry = Entry(origin_type="redemption", origin_id=key, reason_code="REDEEM", request_id=key)
    return await ledger.spend(tenant_id, member_id, currency=currency, points=points, entry=entry)


async def reverse(ledger, tenant_id, origin, portion, key):
    return await reverse_origin(
        ledger, tenant_id, origin, portion, reason_code="RETURN", reason="", request_id=key
    )


async def figures(ledger, tenant_id, member_id, currency="permanent") -> tuple[int, int, int]:
    """(available, debt, lifetime earned)."""
    view = next(c for c in (await ledger.balance(tenant_id, member_id)).currencies if c.currency == currency)
    return view.available, view.debt, view.lifetime_earned


async def test_full_reversal_of_an_earn(ledger, engine, tenant_id, member_id) -> None:
    earned = await earn(ledger, tenant_id, member_id, 120, "e1", order_id="o1")
    result = await reverse(ledger, tenant_id, order("o1"), None, "r1")
    assert (result.points_reversed, result.debt_points, len(result.transaction_pks)) == (120, 0, 1)
    assert await figures(ledger, tenant_id, member_id) == (0, 0, 0)
    async with engine.connect() as connection:
        row = (
            (
                await connection.execute(
                    select(ledger_transactions).where(ledger_transactions.c.id == result.transaction_pks[0])
                )
            )
            .mappings()
            .one()
        )
        reversed_events = (
            await connection.execute(select(func.count()).where(events.c.type == "points.reversed"))
        ).scalar()
    assert (row["type"], row["points"], row["debt_points"], row["reverses_pk"]) == (
        "reverse",
        -120,
        0,
        earned.pk,
    )
    assert (row["source_id"], row["origin_type"], row["origin_id"]) == ("purchase", "purchase", "o1")
    assert reversed_events == 1
    await check_invariants(engine)
    with pytest.raises(DomainError) as raised:
        await reverse(ledger, tenant_id, order("o1"), None, "r2")
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.FAILED_PRECONDITION, "NOTHING_TO_REVERSE")


async def test_proportions_twice_to_exhaustion(ledger, engine, tenant_id, member_id) -> None:
    await earn(ledger, tenant_id, member_id, 101, "e1", order_id="o1")
    half = Proportion(1, 2)
    assert (await reverse(ledger, tenant_id, order("o1"), half, "r1")).points_reversed == 50
    await check_invariants(engine)
    assert (await reverse(ledger, tenant_id, order("o1"), half, "r2")).points_reversed == 50
    await check_invariants(engine)
    # floor(101/2) = 50, but 1 is left: capped, never more than the original.
    assert (await reverse(ledger, tenant_id, order("o1"), half, "r3")).points_reversed == 1
    assert await figures(ledger, tenant_id, member_id) == (0, 0, 0)
    with pytest.raises(DomainError) as raised:
        await reverse(ledger, tenant_id, order("o1"), half, "r4")
    assert raised.value.reason == "NOTHING_TO_REVERSE"
    await check_invariants(engine)


async def test_points_spread_over_an_origin_and_too_many_refused(
    ledger, engine, tenant_id, member_id
) -> None:
    await earn(ledger, tenant_id, member_id, 30, "e1", order_id="o1")
    await earn(ledger, tenant_id, member_id, 40, "e2", order_id="o1", currency="temporary")
    with pytest.raises(DomainError) as raised:
        await reverse(ledger, tenant_id, order("o1"), 71, "r0")
    assert raised.value.reason == "NOTHING_TO_REVERSE"
    result = await reverse(ledger, tenant_id, order("o1"), 50, "r1")
    assert (result.points_reversed, len(result.transaction_pks)) == (50, 2)
    assert (await figures(ledger, tenant_id, member_id))[0] == 0
    assert (await figures(ledger, tenant_id, member_id, "temporary"))[0] == 20
    await check_invariants(engine)
    with pytest.raises(DomainError) as raised:
        await reverse(ledger, tenant_id, ("purchase", "no-such-order", ""), None, "r2")
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.NOT_FOUND, "ORIGIN_NOT_FOUND")


async def test_replay_changes_nothing(ledger, engine, tenant_id, member_id) -> None:
    await earn(ledger, tenant_id, member_id, 100, "e1", order_id="o1")
    first = await reverse(ledger, tenant_id, order("o1"), 10, "r1")
    again = await reverse(ledger, tenant_id, order("o1"), 10, "r1")
    assert again == first
    assert (await figures(ledger, tenant_id, member_id))[0] == 90
    with pytest.raises(DomainError) as raised:
        await reverse(ledger, tenant_id, order("o1"), 11, "r1")
    assert raised.value.reason == "IDEMPOTENCY_KEY_REUSED"
    await check_invariants(engine)


async def test_bad_requests(ledger, tenant_id, member_id) -> None:
    await earn(ledger, tenant_id, member_id, 100, "e1", order_id="o1")
    for portion, reason_code, reason in [
        (0, "RETURN", "INVALID_AMOUNT"),
        (Proportion(3, 2), "RETURN", "INVALID_AMOUNT"),
        (Proportion(1, 0), "RETURN", "INVALID_AMOUNT"),
        (None, "not upper", "REASON_CODE_INVALID"),
    ]:
        with pytest.raises(DomainError) as raised:
            await reverse_origin(
                ledger, tenant_id, order("o1"), portion, reason_code=reason_code, reason="", request_id="r"
            )
        assert (raised.value.kind, raised.value.reason) == (ErrorKind.INVALID_ARGUMENT, reason)


async def test_reversal_after_spending_records_debt_that_earning_pays_off(
    ledger, engine, tenant_id, member_id
) -> None:
    await earn(ledger, tenant_id, member_id, 100, "e1", order_id="o1")
    await spend(ledger, tenant_id, member_id, 80, "s1")
    result = await reverse(ledger, tenant_id, order("o1"), None, "r1")
    assert (result.points_reversed, result.debt_points) == (100, 80)
    assert await figures(ledger, tenant_id, member_id) == (0, 80, 0)
    await check_invariants(engine)
    # A small earn goes entirely to the debt: no lot, the member leg is 0.
    small = await earn(ledger, tenant_id, member_id, 50, "e2")
    assert (small.points, small.debt_points, small.available_after) == (0, 50, 0)
    assert await figures(ledger, tenant_id, member_id) == (0, 30, 50)
    await check_invariants(engine)
    big = await earn(ledger, tenant_id, member_id, 100, "e3")
    assert (big.points, big.debt_points, big.available_after) == (70, 30, 70)
    assert await figures(ledger, tenant_id, member_id) == (70, 0, 150)
    async with engine.connect() as connection:
        lot_amount = (
            await connection.execute(select(lots.c.amount).where(lots.c.transaction_pk == big.pk))
        ).scalar()
    assert lot_amount == 70
    await check_invariants(engine)


async def test_held_points_stay_with_their_hold(ledger, engine, tenant_id, member_id) -> None:
    await earn(ledger, tenant_id, member_id, 100, "e1", order_id="o1")
    hold = await ledger.create_hold(tenant_id, member_id, currency="permanent", points=70, request_id="h1")
    result = await reverse(ledger, tenant_id, order("o1"), None, "r1")
    assert result.debt_points == 70
    await check_invariants(engine)
    _, booked = await ledger.capture_hold(tenant_id, hold.hold_id, request_id="c1")
    assert booked.points == -70
    assert await figures(ledger, tenant_id, member_id) == (0, 70, 0)
    await check_invariants(engine)


async def test_allow_negative_policy(engine, clock, tenant_id) -> None:
    ledger = Ledger(engine, clock, lambda _tenant_id: NEGATIVE)
    member_id = (await ledger.enroll(tenant_id, request_id="m")).member_id
    await earn(ledger, tenant_id, member_id, 100, "e1", order_id="o1")
    await spend(ledger, tenant_id, member_id, 80, "s1")
    result = await reverse(ledger, tenant_id, order("o1"), None, "r1")
    assert (result.points_reversed, result.debt_points) == (100, 0)
    assert await figures(ledger, tenant_id, member_id) == (-80, 0, 0)
    await check_invariants(engine, debt_allowed=True)
    with pytest.raises(DomainError) as raised:  # nothing to spend below zero
        await spend(ledger, tenant_id, member_id, 1, "s2")
    assert raised.value.reason == "INSUFFICIENT_POINTS"
    small = await earn(ledger, tenant_id, member_id, 50, "e2")
    assert (small.points, small.debt_points, small.available_after) == (50, 0, -30)
    big = await earn(ledger, tenant_id, member_id, 100, "e3")
    assert big.available_after == 70
    async with engine.connect() as connection:
        amounts = (
            (
                await connection.execute(
                    select(lots.c.amount).where(lots.c.transaction_pk.in_([small.pk, big.pk]))
                )
            )
            .scalars()
            .all()
        )
    assert amounts == [70]
    await check_invariants(engine, debt_allowed=True)


async def test_reversal_of_a_spend_restores_lots_with_their_expiry(
    ledger, engine, clock, tenant_id, member_id
) -> None:
    first = await earn(ledger, tenant_id, member_id, 50, "e1", currency="temporary")
    clock.advance(dt.timedelta(days=10))
    second = await earn(ledger, tenant_id, member_id, 50, "e2", currency="temporary")
    spent = await spend(ledger, tenant_id, member_id, 70, "s1", currency="temporary")
    async with engine.connect() as connection:
        draws = (
            (
                await connection.execute(
                    select(lot_draws.c.points)
                    .where(lot_draws.c.transaction_pk == spent.pk)
                    .order_by(lot_draws.c.id)
                )
            )
            .scalars()
            .all()
        )
    assert draws == [50, 20]
    redemption = ("redemption", "s1", "")
    await reverse(ledger, tenant_id, redemption, 30, "r1")
    assert await lot_state(engine, first.pk) == (30, first.expires_at)  # first drawn, first given back
    assert await lot_state(engine, second.pk) == (30, second.expires_at)
    await check_invariants(engine)
    await reverse(ledger, tenant_id, redemption, None, "r2")
    assert await lot_state(engine, first.pk) == (50, first.expires_at)
    assert await lot_state(engine, second.pk) == (50, second.expires_at)
    view = next(
        c for c in (await ledger.balance(tenant_id, member_id)).currencies if c.currency == "temporary"
    )
    assert (view.available, view.lifetime_spent) == (100, 0)
    await check_invariants(engine)


async def lot_state(engine, transaction_pk: int) -> tuple[int, dt.datetime | None]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(lots.c.available, lots.c.expires_at).where(lots.c.transaction_pk == transaction_pk)
            )
        ).one()
    return row.available, row.expires_at


async def test_points_given_back_to_an_expired_lot_expire_at_once(
    ledger, engine, clock, tenant_id, member_id
) -> None:
    await earn(ledger, tenant_id, member_id, 50, "e1", currency="temporary")
    clock.advance(dt.timedelta(days=80))
    await earn(ledger, tenant_id, member_id, 50, "e2", currency="temporary")
    await spend(ledger, tenant_id, member_id, 60, "s1", currency="temporary")
    clock.advance(dt.timedelta(days=20))  # the first lot's date has passed
    await reverse(ledger, tenant_id, ("redemption", "s1", ""), None, "r1")
    view = next(
        c for c in (await ledger.balance(tenant_id, member_id)).currencies if c.currency == "temporary"
    )
    assert (view.available, view.lifetime_expired) == (50, 50)
    await check_invariants(engine)


async def test_a_pending_earn_is_taken_back_from_its_own_lot(ledger, engine, tenant_id, member_id) -> None:
    await earn(ledger, tenant_id, member_id, 40, "e0")
    await earn(ledger, tenant_id, member_id, 100, "e1", order_id="o1", pending_days=30)
    await reverse(ledger, tenant_id, order("o1"), Proportion(1, 4), "r1")
    view = (await ledger.balance(tenant_id, member_id)).currencies[0]
    assert (view.available, view.pending, view.debt) == (40, 75, 0)
    await check_invariants(engine)


async def test_reverse_transaction_inside_a_callers_transaction(
    ledger, engine, clock, tenant_id, member_id
) -> None:
    spent_earn = await earn(ledger, tenant_id, member_id, 100, "e1")
    spent = await spend(ledger, tenant_id, member_id, 60, "s1")
    member = await ledger_member(ledger, engine, tenant_id, member_id)
    entry = Entry(origin_type="coupon", origin_id="c_1", reason_code="COUPON_CANCELLED", request_id="x1")
    async with write_transaction(engine) as connection:
        done = await reverse_transaction(ledger, connection, member, spent.pk, points=None, entry=entry)
    assert (done.booked.points, done.debt_points, done.booked.available_after) == (60, 0, 100)
    assert done.booked.expires_at is None
    await check_invariants(engine)
    with pytest.raises(DomainError) as raised:
        async with write_transaction(engine) as connection:
            await reverse_transaction(ledger, connection, member, spent.pk, points=1, entry=entry)
    assert raised.value.reason == "NOTHING_TO_REVERSE"
    async with write_transaction(engine) as connection:
        taken = await reverse_transaction(ledger, connection, member, spent_earn.pk, points=30, entry=entry)
    assert (taken.booked.points, taken.debt_points) == (-30, 0)
    await check_invariants(engine)


async def ledger_member(ledger, engine, tenant_id, member_id):
    async with engine.connect() as connection:
        return await get_member(connection, tenant_id, member_id)


async def test_concurrent_reversals_never_undo_more_than_the_original(
    ledger, engine, tenant_id, member_id
) -> None:
    await earn(ledger, tenant_id, member_id, 100, "e1", order_id="o1")
    await spend(ledger, tenant_id, member_id, 20, "s1")

    async def attempt(i: int) -> int | str:
        try:
            return (await reverse(ledger, tenant_id, order("o1"), 30, f"r{i}")).points_reversed
        except DomainError as error:
            return error.reason

    outcomes = await asyncio.gather(*(attempt(i) for i in range(5)))
    assert sorted(outcomes, key=str) == [30, 30, 30, "NOTHING_TO_REVERSE", "NOTHING_TO_REVERSE"]
    assert await figures(ledger, tenant_id, member_id) == (0, 10, 10)
    await check_invariants(engine)


async def test_a_return_after_the_earned_points_expired_takes_only_what_did_not(
    ledger, engine, clock, tenant_id, member_id
) -> None:
    await earn(ledger, tenant_id, member_id, 100, "e1", order_id="o1", currency="temporary")
    await spend(ledger, tenant_id, member_id, 30, "s1", currency="temporary")  # from o1's lot
    clock.advance(dt.timedelta(days=60))
    await earn(ledger, tenant_id, member_id, 100, "e2", order_id="o2", currency="temporary")
    clock.advance(dt.timedelta(days=31))  # the 70 points left in o1's lot have expired
    assert await figures(ledger, tenant_id, member_id, "temporary") == (100, 0, 200)
    # Half of o1: all of it already expired, so the member keeps o2's points.
    half = await reverse(ledger, tenant_id, order("o1"), 50, "r1")
    assert (half.points_reversed, half.debt_points) == (50, 0)
    assert await figures(ledger, tenant_id, member_id, "temporary") == (100, 0, 150)
    await check_invariants(engine)
    # The rest: 20 more expired points, then the 30 spent ones come out of o2's lot.
    rest = await reverse(ledger, tenant_id, order("o1"), None, "r2")
    assert (rest.points_reversed, rest.debt_points) == (50, 0)
    assert await figures(ledger, tenant_id, member_id, "temporary") == (70, 0, 100)
    async with engine.connect() as connection:
        legs = (
            await connection.execute(
                select(ledger_transactions.c.points)
                .where(ledger_transactions.c.type == "reverse")
                .order_by(ledger_transactions.c.id)
            )
        ).scalars()
        assert list(legs) == [0, -30]
    with pytest.raises(DomainError) as raised:  # the expired points count as reversed
        await reverse(ledger, tenant_id, order("o1"), None, "r3")
    assert raised.value.reason == "NOTHING_TO_REVERSE"
    view = next(
        c for c in (await ledger.balance(tenant_id, member_id)).currencies if c.currency == "temporary"
    )
    assert view.lifetime_expired == 0  # the expired points were never the member's, once returned
    await check_invariants(engine)
