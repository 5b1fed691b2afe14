"""A seeded random walk over the ledger, checking the invariants after every step.

Operations so far: enroll, earn (both currencies, sometimes pending), spend, hold, capture (whole
or part), void, replay, a clock jump (lots expire, pending windows close, holds lapse). Reversals
join the walk as they land. The seed is printed on failure: `LEDGER_SEED=<n> pytest -k random` replays it.
"""

from __future__ import annotations

import datetime as dt
import os
import random

import pytest

from loyalty_server.clock import FakeClock
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import DomainError
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.operations import Ledger
from loyalty_server.program import load_program_file
from loyalty_server.storage.engine import create_engine
from loyalty_server.storage.migrate import migrate
from loyalty_server.tenancy import ensure_default_tenant
from tests.ledger_invariants import check_invariants

STEPS = 120
MEMBERS = 6
CURRENCIES = ("permanent", "temporary")
SOURCES = ("healthy_choice", "purchase", "bonus")


async def test_random_walk_keeps_the_invariants(database_url: str) -> None:
    seed = int(os.environ.get("LEDGER_SEED", random.SystemRandom().randrange(2**32)))
    rng = random.Random(seed)
    clock = FakeClock(dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC))
    engine = create_engine(database_url)
    program = load_program_file(DEMO_PROGRAM)
    try:
        await migrate(engine)
        tenant_id = (await ensure_default_tenant(engine, clock)).id
        ledger = Ledger(engine, clock, lambda _tenant: program)
        members = [
            (await ledger.enroll(tenant_id, request_id=f"enroll-{i}")).member_id for i in range(MEMBERS)
        ]
        done: list[tuple[str, dict]] = []  # (operation, kwargs) of successful writes, for replays
        holds: list[str] = []
        for step in range(STEPS):
            try:
                await _step(rng, ledger, clock, tenant_id, members, done, holds, step)
                await check_invariants(engine)
            except AssertionError as failure:
                raise AssertionError(f"LEDGER_SEED={seed} step {step}: {failure}") from failure
    finally:
        await engine.dispose()


async def _step(
    rng, ledger: Ledger, clock: FakeClock, tenant_id: int, members, done, holds, step: int
) -> None:
    roll = rng.random()
    if roll < 0.1:
        clock.advance(dt.timedelta(days=rng.choice([1, 7, 29, 45, 91])))
        return
    if roll < 0.25 and done:
        operation, kwargs = rng.choice(done)
        before = await ledger.balance(tenant_id, kwargs["member_id"])
        replayed = await getattr(ledger, operation)(tenant_id, **kwargs)
        after = await ledger.balance(tenant_id, kwargs["member_id"])
        assert replayed.transaction_id, "a replay returns the first result"
        assert [c.lifetime_earned for c in before.currencies] == [c.lifetime_earned for c in after.currencies]
        assert [c.lifetime_spent for c in before.currencies] == [c.lifetime_spent for c in after.currencies]
        return
    if roll < 0.35 and holds:
        hold_id = rng.choice(holds)
        try:
            if rng.random() < 0.6:
                await ledger.capture_hold(
                    tenant_id, hold_id, request_id=f"c{step}", points=rng.choice([None, 1])
                )
            else:
                await ledger.void_hold(tenant_id, hold_id, request_id=f"v{step}")
        except DomainError as refused:
            if refused.reason not in ("HOLD_CAPTURED", "HOLD_VOIDED", "HOLD_EXPIRED"):
                raise
        return
    member_id = rng.choice(members)
    currency = rng.choice(CURRENCIES)
    if roll < 0.45:
        try:
            hold = await ledger.create_hold(
                tenant_id,
                member_id,
                currency=currency,
                points=rng.randint(1, 200),
                request_id=f"h{step}",
                ttl_s=rng.choice([60, 3600, 86400 * 3]),
            )
            holds.append(hold.hold_id)
        except DomainError as refused:
            if refused.reason != "INSUFFICIENT_POINTS":
                raise
        return
    entry = Entry(origin_type="bulk_award", origin_id=f"o{step}", reason_code="RANDOM", request_id=f"r{step}")
    if roll < 0.6:
        kwargs = {
            "member_id": member_id,
            "currency": currency,
            "points": rng.randint(1, 500),
            "source_id": rng.choice(SOURCES),
            "entry": entry,
            "pending_days": rng.choice([0, 0, 0, 30]),
        }
        await ledger.earn(tenant_id, **kwargs)
        done.append(("earn", kwargs))
        return
    available = next(
        c.available for c in (await ledger.balance(tenant_id, member_id)).currencies if c.currency == currency
    )
    points = rng.randint(1, max(1, available + 50))  # sometimes more than there is
    kwargs = {"member_id": member_id, "currency": currency, "points": points, "entry": entry}
    if points > available:
        with pytest.raises(DomainError, match="points asked") as refused:
            await ledger.spend(tenant_id, **kwargs)
        assert refused.value.reason == "INSUFFICIENT_POINTS"
        return
    await ledger.spend(tenant_id, **kwargs)
    done.append(("spend", kwargs))
