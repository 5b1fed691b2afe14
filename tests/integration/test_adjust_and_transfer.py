"""Manual adjustments and member-to-member transfers on SQLite and PostgreSQL. The invariants are
checked after every write."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger import corrections as corrections_module
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.corrections import Corrections
from loyalty_server.ledger.member_lifecycle import MemberLifecycle
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.reversals import reverse_origin
from loyalty_server.ledger.tables import ledger_transactions, lots
from loyalty_server.program import load_program_file
from loyalty_server.program.model import DebtPolicy
from loyalty_server.storage.schema import audit_log, events
from tests.ledger_invariants import check_invariants

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
PROGRAM = load_program_file(DEMO_PROGRAM)
NEGATIVE = dataclasses.replace(PROGRAM, debt_policy=DebtPolicy.ALLOW_NEGATIVE)


@pytest.fixture
def corrections(ledger) -> Corrections:
    return Corrections(ledger)


@pytest.fixture
async def ada(ledger, tenant_id) -> str:
    return (await ledger.enroll(tenant_id, request_id="ada")).member_id


@pytest.fixture
async def bob(ledger, tenant_id) -> str:
    return (await ledger.enroll(tenant_id, request_id="bob")).member_id


async def earn(ledger, tenant_id, member_id, points, key, currency="temporary"):
    entry = Entry(origin_type="purchase", origin_id=key, reason_code="PURCHASE", request_id=key)
    return await ledger.earn(
        tenant_id, member_id, currency=currency, points=points, source_id="purchase", entry=entry
    )


async def adjust(corrections, tenant_id, member_id, points, key, **kw):
    values = {"currency": "permanent", "reason_code": "GOODWILL", "reason": "late delivery"} | kw
    return await corrections.adjust(tenant_id, member_id, points=points, request_id=key, **values)


async def currency_view(ledger, tenant_id, member_id, currency="permanent"):
    return next(c for c in (await ledger.balance(tenant_id, member_id)).currencies if c.currency == currency)


async def count(engine, table, *where) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


# --- adjustments ----------------------------------------------------------------------------------


async def test_adjust_credit_lands_in_the_adjustment_source(
    corrections, ledger, engine, tenant_id, ada
) -> None:
    booked = await adjust(corrections, tenant_id, ada, 50, "a1", currency="temporary")
    assert (booked.type, booked.points, booked.source_id) == ("adjust", 50, "adjustment")
    assert booked.expires_at == START + dt.timedelta(days=90)  # the currency's rule
    view = await currency_view(ledger, tenant_id, ada, "temporary")
    assert (view.available, view.lifetime_earned, view.sources) == (50, 50, {"adjustment": (50, 50)})
    async with engine.connect() as connection:
        row = (
            (
                await connection.execute(
                    select(ledger_transactions).where(ledger_transactions.c.id == booked.pk)
                )
            )
            .mappings()
            .one()
        )
    # An adjustment is its own origin: ReversePoints finds it by its transaction id.
    assert (row["origin_type"], row["origin_id"], row["reason"]) == (
        "adjustment",
        booked.transaction_id,
        "late delivery",
    )
    assert await count(engine, audit_log, audit_log.c.action == "ledger.adjust_points") == 1
    assert await count(engine, events, events.c.type == "points.earned") == 1
    await check_invariants(engine)
    # A replay changes nothing; the same key for another adjustment is refused.
    assert await adjust(corrections, tenant_id, ada, 50, "a1", currency="temporary") == booked
    with pytest.raises(DomainError) as raised:
        await adjust(corrections, tenant_id, ada, 51, "a1", currency="temporary")
    assert raised.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert await count(engine, audit_log, audit_log.c.action == "ledger.adjust_points") == 1


async def test_adjust_credit_with_source_and_expiry(corrections, ledger, engine, tenant_id, ada) -> None:
    expires = START + dt.timedelta(days=3)
    booked = await adjust(corrections, tenant_id, ada, 20, "a1", source_id="bonus", expires_at=expires)
    assert (booked.source_id, booked.expires_at) == ("bonus", expires)
    await check_invariants(engine)


async def test_adjust_debit(corrections, ledger, engine, tenant_id, ada) -> None:
    await adjust(corrections, tenant_id, ada, 50, "a1")
    with pytest.raises(DomainError) as raised:
        await adjust(corrections, tenant_id, ada, -51, "a2")
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.FAILED_PRECONDITION, "INSUFFICIENT_POINTS")
    booked = await adjust(corrections, tenant_id, ada, -30, "a3")
    assert (booked.type, booked.points, booked.available_after) == ("adjust", -30, 20)
    view = await currency_view(ledger, tenant_id, ada)
    assert (view.available, view.lifetime_earned, view.lifetime_spent) == (20, 50, 0)
    assert await count(engine, events, events.c.type == "points.spent") == 1
    await check_invariants(engine)


async def test_adjust_debit_below_zero_when_allowed_and_its_reversal(engine, clock, tenant_id) -> None:
    ledger = Ledger(engine, clock, lambda _tenant_id: NEGATIVE)
    corrections = Corrections(ledger)
    member_id = (await ledger.enroll(tenant_id, request_id="m")).member_id
    await adjust(corrections, tenant_id, member_id, 10, "a1")
    debit = await adjust(corrections, tenant_id, member_id, -25, "a2")
    assert (debit.points, debit.available_after) == (-25, -15)
    await check_invariants(engine, debt_allowed=True)
    undone = await reverse_origin(
        ledger,
        tenant_id,
        ("adjustment", debit.transaction_id, ""),
        None,
        reason_code="CORRECTION",
        reason="",
        request_id="r1",
    )
    assert undone.points_reversed == 25
    assert (await currency_view(ledger, tenant_id, member_id)).available == 10
    await check_invariants(engine, debt_allowed=True)


@pytest.mark.parametrize(
    ("points", "changes", "reason"),
    [
        (0, {}, "INVALID_AMOUNT"),
        (5, {"reason": "no"}, "REASON_REQUIRED"),
        (5, {"reason": "x" * 501}, "FIELD_TOO_LONG"),
        (5, {"reason_code": "goodwill"}, "REASON_CODE_INVALID"),
        (5, {"source_id": "nowhere"}, "UNKNOWN_SOURCE"),
        (5, {"currency": "gold"}, "UNKNOWN_CURRENCY"),
        (5, {"expires_at": START - dt.timedelta(seconds=1)}, "EXPIRE_TIME_INVALID"),
    ],
)
async def test_adjust_refuses_bad_input(corrections, engine, tenant_id, ada, points, changes, reason) -> None:
    with pytest.raises(DomainError) as raised:
        await adjust(corrections, tenant_id, ada, points, "bad", **changes)
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.INVALID_ARGUMENT, reason)
    assert await count(engine, ledger_transactions) == 0


# --- transfers -------------------------------------------------------------------------------------


async def transfer(corrections, tenant_id, giver, receiver, points, key, currency="temporary"):
    return await corrections.transfer(
        tenant_id, giver, receiver, currency=currency, points=points, reason="program switch", request_id=key
    )


async def test_transfer_moves_points_with_their_expiry(
    corrections, ledger, engine, clock, tenant_id, ada, bob
) -> None:
    first = await earn(ledger, tenant_id, ada, 50, "e1")
    clock.advance(dt.timedelta(days=10))
    second = await earn(ledger, tenant_id, ada, 50, "e2")
    done = await transfer(corrections, tenant_id, ada, bob, 70, "t1")
    assert (done.out.type, done.out.points, done.into.type, done.into.points) == (
        "transfer_out",
        -70,
        "transfer_in",
        70,
    )
    assert done.transfer_id.startswith("tr_")
    async with engine.connect() as connection:
        received = (
            await connection.execute(
                select(lots.c.amount, lots.c.expires_at, lots.c.source_id)
                .where(lots.c.transaction_pk == done.into.pk)
                .order_by(lots.c.id)
            )
        ).all()
        origins = set(
            (
                await connection.execute(
                    select(ledger_transactions.c.origin_id).where(
                        ledger_transactions.c.origin_type == "transfer"
                    )
                )
            ).scalars()
        )
    assert [tuple(row) for row in received] == [
        (50, first.expires_at, "purchase"),
        (20, second.expires_at, "purchase"),
    ]
    assert origins == {done.transfer_id}
    assert (await currency_view(ledger, tenant_id, ada, "temporary")).available == 30
    assert (await currency_view(ledger, tenant_id, bob, "temporary")).available == 70
    await check_invariants(engine)
    assert await transfer(corrections, tenant_id, ada, bob, 70, "t1") == done  # replay
    await check_invariants(engine)
    # The received points expire on the giver's dates.
    clock.advance(dt.timedelta(days=81))
    bob_view = await currency_view(ledger, tenant_id, bob, "temporary")
    assert (bob_view.available, bob_view.lifetime_expired) == (20, 50)
    await check_invariants(engine)


async def test_transfer_all_available_pays_the_receivers_debt_first(
    corrections, ledger, engine, tenant_id, ada, bob
) -> None:
    await earn(ledger, tenant_id, bob, 40, "b1")
    await ledger.spend(
        tenant_id,
        bob,
        currency="temporary",
        points=40,
        entry=Entry(origin_type="redemption", origin_id="s", reason_code="REDEEM", request_id="s"),
    )
    await reverse_origin(
        ledger, tenant_id, ("purchase", "b1", ""), None, reason_code="RETURN", reason="", request_id="r"
    )
    assert (await currency_view(ledger, tenant_id, bob, "temporary")).debt == 40
    await earn(ledger, tenant_id, ada, 100, "e1")
    done = await corrections.transfer(
        tenant_id, ada, bob, currency="temporary", points=None, reason="merge accounts", request_id="t1"
    )
    assert (done.out.points, done.into.points, done.into.debt_points) == (-100, 60, 40)
    bob_view = await currency_view(ledger, tenant_id, bob, "temporary")
    assert (bob_view.available, bob_view.debt) == (60, 0)
    await check_invariants(engine)
    with pytest.raises(DomainError) as raised:  # nothing left to move
        await corrections.transfer(
            tenant_id, ada, bob, currency="temporary", points=None, reason="merge accounts", request_id="t2"
        )
    assert raised.value.reason == "INSUFFICIENT_POINTS"


async def test_transfer_is_reversible_by_its_origin(corrections, ledger, engine, tenant_id, ada, bob) -> None:
    await earn(ledger, tenant_id, ada, 80, "e1")
    done = await transfer(corrections, tenant_id, ada, bob, 80, "t1")
    result = await reverse_origin(
        ledger,
        tenant_id,
        ("transfer", done.transfer_id, ""),
        None,
        reason_code="MISTAKE",
        reason="",
        request_id="r1",
    )
    assert (result.points_reversed, len(result.transaction_pks)) == (160, 2)
    assert (await currency_view(ledger, tenant_id, ada, "temporary")).available == 80
    assert (await currency_view(ledger, tenant_id, bob, "temporary")).available == 0
    await check_invariants(engine)


async def test_transfer_refusals_write_nothing(corrections, ledger, engine, tenant_id, ada, bob) -> None:
    await earn(ledger, tenant_id, ada, 80, "e1")
    written = await count(engine, ledger_transactions)
    with pytest.raises(DomainError) as raised:
        await transfer(corrections, tenant_id, ada, ada, 10, "t1")
    assert (raised.value.kind, raised.value.reason) == (ErrorKind.INVALID_ARGUMENT, "SAME_MEMBER")
    with pytest.raises(DomainError) as raised:
        await transfer(corrections, tenant_id, ada, bob, 81, "t2")
    assert raised.value.reason == "INSUFFICIENT_POINTS"
    with pytest.raises(DomainError) as raised:
        await corrections.transfer(
            tenant_id, ada, bob, currency="temporary", points=5, reason="x", request_id="t3"
        )
    assert raised.value.reason == "REASON_REQUIRED"
    await MemberLifecycle(ledger).deactivate(tenant_id, bob, reason="left", request_id="d1")
    with pytest.raises(DomainError) as raised:
        await transfer(corrections, tenant_id, ada, bob, 10, "t4")
    assert raised.value.reason == "MEMBER_DEACTIVATED"
    assert await count(engine, ledger_transactions) == written
    await check_invariants(engine)


async def test_a_failure_on_the_receiving_side_undoes_the_giving_side(
    corrections, ledger, engine, tenant_id, ada, bob, monkeypatch
) -> None:
    await earn(ledger, tenant_id, ada, 80, "e1")
    written = await count(engine, ledger_transactions)

    async def broken_give(*_args, **_kwargs):
        raise RuntimeError("the receiving side fails")

    monkeypatch.setattr(corrections_module, "give", broken_give)
    with pytest.raises(RuntimeError):
        await transfer(corrections, tenant_id, ada, bob, 30, "t1")
    assert await count(engine, ledger_transactions) == written
    assert (await currency_view(ledger, tenant_id, ada, "temporary")).available == 80
    await check_invariants(engine)


async def test_opposite_transfers_at_once_do_not_deadlock(
    corrections, ledger, engine, tenant_id, ada, bob
) -> None:
    await earn(ledger, tenant_id, ada, 500, "e1")
    await earn(ledger, tenant_id, bob, 500, "e2")
    calls = [
        transfer(corrections, tenant_id, *((ada, bob) if i % 2 else (bob, ada)), 7, f"t{i}")
        for i in range(20)
    ]
    results = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
    assert len({result.transfer_id for result in results}) == 20
    ada_view = await currency_view(ledger, tenant_id, ada, "temporary")
    bob_view = await currency_view(ledger, tenant_id, bob, "temporary")
    assert (ada_view.available, bob_view.available) == (500, 500)
    await check_invariants(engine)
