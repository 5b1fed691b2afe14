"""The tier columns and qualifying window a write transaction keeps (ledger/tier_rows.py): after
every kind of write in the transaction the kept copies equal what a fresh read finds, a savepoint
that rolls back takes its copies with it, and a run of earns reads each only once."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from loyalty_server.ledger import tier_rules
from loyalty_server.ledger import tiers as tier_store
from loyalty_server.ledger.book import Booked, Entry
from loyalty_server.ledger.members import Member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tier_rows import kept_state, kept_window
from loyalty_server.storage.engine import write_transaction
from loyalty_server.storage.prepared import Prepared
from tests.integration.conftest import DEMO
from tests.support import count_calls

CURRENCIES = ("permanent", "temporary")  # both qualifying in the demo program
DAY = dt.timedelta(days=1)


def entry(key: str) -> Entry:
    return Entry(origin_type="bulk_award", origin_id=key, reason_code="TEST", request_id=key)


async def earn(connection, ledger: Ledger, member: Member, points: int, key: str, **options: Any) -> Booked:
    return await ledger.earn_in(
        connection,
        DEMO,
        member,
        currency=options.pop("currency", "permanent"),
        points=points,
        source_id="bonus",
        entry=entry(key),
        **options,
    )


async def assert_kept_is_current(connection, ledger: Ledger, member: Member) -> None:
    """What is kept (if anything) is what the database holds now."""
    (state,) = await tier_store._STATE.rows(connection, member_pk=member.pk)
    first_day = tier_rules.window_first_day(DEMO.tiers, ledger.clock.now())
    # Through the class: not counted by `count_calls`.
    (window,) = await Prepared.rows(tier_store._WINDOW, connection, member_pk=member.pk, first_day=first_day)
    kept = kept_state(connection, member.pk)
    if kept is not None:
        assert dict(kept) == dict(state)
    kept_points = kept_window(connection, member.pk, first_day)
    if kept_points is not None:
        assert (kept_points.points, kept_points.oldest_day) == (int(window["points"]), window["oldest_day"])


async def test_a_run_of_earns_reads_the_tier_and_window_once(ledger, engine, tenant_id, monkeypatch) -> None:
    member_id = (await ledger.enroll(tenant_id, request_id="m")).member_id
    state_reads = count_calls(monkeypatch, tier_store._STATE_FOR_UPDATE, "rows")
    window_reads = count_calls(monkeypatch, tier_store._WINDOW, "rows")
    async with write_transaction(engine) as connection:
        member = await ledger.lock_member(connection, tenant_id, member_id, CURRENCIES)
        on_sqlite = connection.dialect.name == "sqlite"
        # SQLite: the lock's member read was made under the database's write lock, and serves.
        assert (kept_state(connection, member.pk) is not None) == on_sqlite
        await assert_kept_is_current(connection, ledger, member)
        for index in range(5):  # 5 x 500: silver (2,000) at the fourth
            await earn(connection, ledger, member, 500, f"e{index}")
            await assert_kept_is_current(connection, ledger, member)
        assert kept_state(connection, member.pk)["tier_id"] == "silver"
    assert (state_reads.count, window_reads.count) == (0 if on_sqlite else 1, 1)


async def test_kept_copies_follow_every_write_of_a_transaction(ledger, engine, tenant_id, clock) -> None:
    """Random earns (some before the window), reversals of qualifying points, evaluations, a clock
    that moves the window, and points added in savepoints that are released or roll back: the copies
    always match."""
    for seed in range(3):
        rng = random.Random(seed)
        member_id = (await ledger.enroll(tenant_id, request_id=f"m{seed}")).member_id
        booked: list[Booked] = []
        async with write_transaction(engine) as connection:
            member = await ledger.lock_member(connection, tenant_id, member_id, CURRENCIES)
            await assert_kept_is_current(connection, ledger, member)
            for step in range(40):
                key = f"{seed}-{step}"
                action = rng.choice(
                    ["earn", "earn", "old earn", "reverse", "evaluate", "tick", "released", "rollback"]
                )
                if action == "earn":
                    points = rng.randint(1, 3000)
                    booked.append(
                        await earn(connection, ledger, member, points, key, currency=rng.choice(CURRENCIES))
                    )
                    first_day = tier_rules.window_first_day(DEMO.tiers, ledger.clock.now())
                    assert kept_state(connection, member.pk) is not None  # kept, so compared below
                    assert kept_window(connection, member.pk, first_day) is not None
                elif action == "old earn":  # counted on a day that may lie before the window
                    effective_at = ledger.clock.now() - rng.randint(355, 370) * DAY
                    booked.append(await earn(connection, ledger, member, 700, key, effective_at=effective_at))
                elif action == "reverse" and booked:
                    original = rng.choice(booked)
                    await tier_store.reverse_qualifying(
                        connection,
                        ledger.clock,
                        DEMO,
                        member,
                        original_pk=original.pk,
                        points=rng.randint(1, original.points),
                    )
                elif action == "evaluate":
                    await tier_store.evaluate_locked(connection, ledger.clock, DEMO, member)
                elif action == "tick":
                    clock.advance(rng.randint(0, 4) * DAY)
                elif action == "released":  # points added in a savepoint that keeps nothing itself
                    async with connection.begin_nested():
                        await tier_store._add_points(connection, member, ledger.clock.now().date(), 300)
                elif action == "rollback":
                    with pytest.raises(Undone):
                        await add_points_then_undo(connection, ledger, member)
                await assert_kept_is_current(connection, ledger, member)


class Undone(Exception):
    pass


async def add_points_then_undo(connection, ledger: Ledger, member: Member) -> None:
    """Qualifying points added and the window read in a savepoint that rolls back (an earn could
    not run there: its events may not sit in a savepoint of their own)."""
    async with connection.begin_nested():
        await tier_store._state_row(connection, member.pk, lock=True)
        await tier_store._add_points(connection, member, ledger.clock.now().date(), 2500)
        await tier_store.window_points(connection, member.pk, DEMO.tiers, ledger.clock.now())
        await assert_kept_is_current(connection, ledger, member)
        raise Undone


async def test_nothing_is_kept_outside_the_transaction(ledger, engine, tenant_id) -> None:
    member_id = (await ledger.enroll(tenant_id, request_id="m")).member_id
    async with write_transaction(engine) as connection:
        member = await ledger.lock_member(connection, tenant_id, member_id, CURRENCIES)
        await earn(connection, ledger, member, 2500, "e")
        assert kept_state(connection, member.pk) is not None
    async with write_transaction(engine) as connection:  # the next transaction reads again
        assert kept_state(connection, member.pk) is None
