"""Tiers on SQLite and PostgreSQL: upgrade at the crossing earn, downgrade after grace with one
warning, recovery, custom tiers (floor, multiplier, expiry), the scheduled job under two replicas,
the rolling window and reversals."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from loyalty.v1 import subscription_pb2
from loyalty_server.config import DEMO_PROGRAM
from loyalty_server.errors import DomainError, ErrorKind
from loyalty_server.ledger import tiers as tier_store
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.members import get_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tables import ledger_transactions, members
from loyalty_server.ledger.tier_job import run_round
from loyalty_server.ledger.tiers import Tiers
from loyalty_server.program import load_program_file
from loyalty_server.storage.engine import create_engine, write_transaction
from loyalty_server.storage.schema import events
from tests.ledger_invariants import check_invariants

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
PROGRAM = load_program_file(DEMO_PROGRAM)  # silver 2000, gold 10000; window 365, grace 30, warning 14
TIER_EVENTS = ("tier.upgraded", "tier.downgraded", "tier.downgrade_warning")


@pytest.fixture
def tiers(ledger) -> Tiers:
    return Tiers(ledger)


def entry(request_id: str) -> Entry:
    return Entry(origin_type="bulk_award", origin_id=request_id, reason_code="TEST", request_id=request_id)


async def earn(ledger: Ledger, tenant_id: int, member_id: str, points: int, key: str, **options: object):
    options.setdefault("currency", "permanent")
    return await ledger.earn(
        tenant_id, member_id, points=points, source_id="bonus", entry=entry(key), **options
    )


async def tier_events(engine, member_id: str | None = None) -> list[subscription_pb2.Event]:
    query = select(events.c.payload).where(events.c.type.in_(TIER_EVENTS)).order_by(events.c.sequence)
    if member_id is not None:
        query = query.where(events.c.member_id == member_id)
    async with engine.connect() as connection:
        return [
            subscription_pb2.Event.FromString(payload)
            for payload in (await connection.execute(query)).scalars()
        ]


async def member_row(engine, member_id: str):
    async with engine.connect() as connection:
        query = select(members).where(members.c.member_id == member_id)
        return (await connection.execute(query)).mappings().one()


async def silver_member(ledger: Ledger, tenant_id: int, key: str = "m") -> str:
    member = await ledger.enroll(tenant_id, request_id=f"enroll-{key}")
    await earn(ledger, tenant_id, member.member_id, 2500, f"earn-{key}")
    return member.member_id


# --- upgrades --------------------------------------------------------------------------------------


async def test_upgrade_at_the_crossing_earn_with_its_event(ledger, tiers, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    await earn(ledger, tenant_id, member.member_id, 1999, "e1")
    assert await tier_events(engine) == []
    assert (await member_row(engine, member.member_id))["tier_review_at"] is None  # lowest: nothing to do
    await earn(ledger, tenant_id, member.member_id, 1, "e2", currency="temporary")  # both currencies count
    [upgraded] = await tier_events(engine)
    assert upgraded.type_name == "tier.upgraded"
    assert upgraded.request_id == "e2"
    payload = upgraded.tier_upgraded
    assert (payload.previous_tier_id, payload.tier_id, payload.tier_name) == ("bronze", "silver", "Silver")
    assert (payload.level_move_up, payload.level_move_down, payload.custom) == (True, False, False)
    assert payload.qualifying_points == 2000
    async with engine.connect() as connection:  # the upgrade follows the earn's event, same transaction
        names = list((await connection.execute(select(events.c.type).order_by(events.c.sequence))).scalars())
    assert names[-2:] == ["points.earned", "tier.upgraded"]
    row = await member_row(engine, member.member_id)
    assert (row["tier_id"], row["tier_since"]) == ("silver", START)
    assert row["tier_review_at"] == dt.datetime(2027, 3, 1, tzinfo=dt.UTC)  # when today leaves the window
    view = (await tiers.get_member_tier(tenant_id, member.member_id)).status
    assert (view.effective.id, view.qualifying_points, view.progress.next_level.id) == (
        "silver",
        2000,
        "gold",
    )
    assert (view.progress.points_to_next, view.progress.percent, view.downgrade_at) == (8000, 0, None)
    # A replayed earn neither counts twice nor announces again.
    await earn(ledger, tenant_id, member.member_id, 1, "e2", currency="temporary")
    assert len(await tier_events(engine)) == 1
    assert (await tiers.get_member_tier(tenant_id, member.member_id)).status.qualifying_points == 2000
    await check_invariants(engine)


async def test_only_qualifying_currencies_count(engine, clock, tenant_id) -> None:
    program = dataclasses.replace(
        PROGRAM, tiers=dataclasses.replace(PROGRAM.tiers, qualifying_currencies=("permanent",))
    )
    ledger = Ledger(engine, clock, lambda _tenant_id: program)
    member = await ledger.enroll(tenant_id, request_id="m")
    await earn(ledger, tenant_id, member.member_id, 5000, "t", currency="temporary")
    view = (await Tiers(ledger).get_member_tier(tenant_id, member.member_id)).status
    assert (view.effective.id, view.qualifying_points) == ("bronze", 0)


async def test_a_big_earn_jumps_levels_with_one_event(ledger, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    await earn(ledger, tenant_id, member.member_id, 12000, "e")
    [event] = await tier_events(engine)
    assert (event.tier_upgraded.previous_tier_id, event.tier_upgraded.tier_id) == ("bronze", "gold")


# --- downgrades ------------------------------------------------------------------------------------


async def test_downgrade_after_grace_with_one_warning(ledger, tiers, engine, clock, tenant_id) -> None:
    member_id = await silver_member(ledger, tenant_id)
    clock.advance(364 * DAY)
    assert await run_round(ledger) == 0  # the earn's day is still inside the window
    clock.set(dt.datetime(2027, 3, 1, tzinfo=dt.UTC))  # it has just left
    assert await run_round(ledger) == 1
    row = await member_row(engine, member_id)
    downgrade_at = dt.datetime(2027, 3, 31, tzinfo=dt.UTC)
    assert (row["tier_id"], row["downgrade_at"]) == ("silver", downgrade_at)
    assert row["tier_review_at"] == downgrade_at - 14 * DAY  # next: the warning
    assert len(await tier_events(engine)) == 1  # only the upgrade: no drop before the grace period
    view = (await tiers.get_member_tier(tenant_id, member_id)).status
    assert (view.effective.id, view.downgrade_at, view.downgrade_to.id) == ("silver", downgrade_at, "bronze")
    clock.set(downgrade_at - 14 * DAY - dt.timedelta(seconds=1))
    assert await run_round(ledger) == 0
    clock.advance(dt.timedelta(seconds=1))
    assert await run_round(ledger) == 1
    assert await run_round(ledger) == 0
    warning = (await tier_events(engine))[-1]
    assert warning.type_name == "tier.downgrade_warning"
    payload = warning.tier_downgrade_warning
    assert (payload.tier_id, payload.downgrade_tier_id, payload.points_needed) == ("silver", "bronze", 2000)
    assert payload.downgrade_time.ToDatetime(dt.UTC) == downgrade_at
    clock.set(downgrade_at - dt.timedelta(seconds=1))
    assert await run_round(ledger) == 0
    assert (await member_row(engine, member_id))["tier_id"] == "silver"
    clock.set(downgrade_at)
    assert await run_round(ledger) == 1
    names = [event.type_name for event in await tier_events(engine)]
    assert names == ["tier.upgraded", "tier.downgrade_warning", "tier.downgraded"]
    downgraded = (await tier_events(engine))[-1].tier_downgraded
    assert (downgraded.previous_tier_id, downgraded.tier_id, downgraded.level_move_down) == (
        "silver",
        "bronze",
        True,
    )
    row = await member_row(engine, member_id)
    assert (row["tier_id"], row["downgrade_at"], row["downgrade_warned_at"], row["tier_review_at"]) == (
        "bronze",
        None,
        None,
        None,
    )
    assert await run_round(ledger) == 0


async def test_recovery_cancels_the_pending_downgrade(ledger, tiers, engine, clock, tenant_id) -> None:
    member_id = await silver_member(ledger, tenant_id)
    clock.set(dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    await run_round(ledger)
    clock.advance(20 * DAY)
    await run_round(ledger)  # warned
    assert [event.type_name for event in await tier_events(engine)][-1] == "tier.downgrade_warning"
    await earn(ledger, tenant_id, member_id, 2000, "back")  # enough again: the downgrade is off
    row = await member_row(engine, member_id)
    assert (row["tier_id"], row["downgrade_at"], row["downgrade_warned_at"]) == ("silver", None, None)
    assert row["tier_review_at"] == dt.datetime(2028, 3, 20, tzinfo=dt.UTC)
    clock.advance(30 * DAY)
    assert await run_round(ledger) == 0
    view = (await tiers.get_member_tier(tenant_id, member_id)).status
    assert (view.effective.id, view.qualifying_points, view.downgrade_at) == ("silver", 2000, None)
    assert [event.type_name for event in await tier_events(engine)] == [
        "tier.upgraded",
        "tier.downgrade_warning",
    ]


async def test_reading_a_due_member_evaluates_it(ledger, tiers, engine, clock, tenant_id) -> None:
    member_id = await silver_member(ledger, tenant_id)
    clock.set(dt.datetime(2027, 4, 15, tzinfo=dt.UTC))  # past the window and the whole grace period
    view = (await tiers.get_member_tier(tenant_id, member_id)).status
    # The first evaluation starts the grace period: never a downgrade without one.
    assert (view.effective.id, view.downgrade_at) == ("silver", dt.datetime(2027, 5, 15, tzinfo=dt.UTC))
    assert (await member_row(engine, member_id))["downgrade_at"] is not None


async def test_window_rolls_off_old_days(engine, clock, tenant_id) -> None:
    program = dataclasses.replace(
        PROGRAM, tiers=dataclasses.replace(PROGRAM.tiers, qualifying_window_days=10)
    )
    ledger = Ledger(engine, clock, lambda _tenant_id: program)
    tiers = Tiers(ledger)
    member = await ledger.enroll(tenant_id, request_id="m")
    await earn(ledger, tenant_id, member.member_id, 1500, "day0")
    clock.advance(5 * DAY)
    await earn(ledger, tenant_id, member.member_id, 600, "day5")
    assert (await member_row(engine, member.member_id))["tier_id"] == "silver"
    assert (await member_row(engine, member.member_id))["tier_review_at"] == dt.datetime(
        2026, 3, 11, tzinfo=dt.UTC
    )
    clock.set(dt.datetime(2026, 3, 10, 23, 59, tzinfo=dt.UTC))
    assert (await tiers.get_member_tier(tenant_id, member.member_id)).status.qualifying_points == 2100
    clock.set(dt.datetime(2026, 3, 11, tzinfo=dt.UTC))
    assert await run_round(ledger) == 1
    view = (await tiers.get_member_tier(tenant_id, member.member_id)).status
    assert view.qualifying_points == 600
    assert view.window_start == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    assert view.downgrade_at == dt.datetime(2026, 4, 10, tzinfo=dt.UTC)


# --- custom tiers ----------------------------------------------------------------------------------


async def test_custom_tier_is_a_floor_with_its_multiplier(ledger, tiers, engine, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    view = await tiers.set_custom(tenant_id, member.member_id, "employee", reason="staff", request_id="c1")
    assert (view.status.effective.id, view.status.held.id, view.status.earn_multiplier_percent) == (
        "employee",
        "bronze",
        200,
    )
    [event] = await tier_events(engine)
    assert (
        event.tier_upgraded.previous_tier_id,
        event.tier_upgraded.tier_id,
        event.tier_upgraded.custom,
    ) == (
        "bronze",
        "employee",
        True,
    )
    assert event.request_id == "c1"
    doubled = await earn(ledger, tenant_id, member.member_id, 101, "x2", apply_tier_multiplier=True)
    plain = await earn(ledger, tenant_id, member.member_id, 101, "x1")
    assert (doubled.points, plain.points) == (202, 101)
    async with engine.connect() as connection:
        stored = await get_member(connection, tenant_id, member.member_id)
    assert tier_store.earn_multiplier_percent(PROGRAM, stored) == 200
    assert tier_store.effective_tier_id(PROGRAM, stored) == "employee"
    # A replay of the same key with a different multiplier choice is another request.
    with pytest.raises(DomainError) as raised:
        await earn(ledger, tenant_id, member.member_id, 101, "x2")
    assert raised.value.reason == "IDEMPOTENCY_KEY_REUSED"
    # Points past gold's threshold: gold is above the employee floor and becomes the effective tier.
    await earn(ledger, tenant_id, member.member_id, 10000, "big")
    last = (await tier_events(engine))[-1]
    assert (last.tier_upgraded.previous_tier_id, last.tier_upgraded.tier_id) == ("employee", "gold")
    async with engine.connect() as connection:
        stored = await get_member(connection, tenant_id, member.member_id)
    assert tier_store.effective_tier_id(PROGRAM, stored) == "gold"
    cleared = await tiers.clear_custom(tenant_id, member.member_id, reason="left", request_id="c2")
    assert (cleared.status.effective.id, cleared.status.custom, cleared.status.earn_multiplier_percent) == (
        "gold",
        None,
        125,
    )
    assert len(await tier_events(engine)) == 2  # clearing changed no effective tier: no event
    await check_invariants(engine)


async def test_vip_temporary_points_never_expire(ledger, tiers, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    before = await earn(ledger, tenant_id, member.member_id, 10, "t1", currency="temporary")
    assert before.expires_at is not None
    await tiers.set_custom(tenant_id, member.member_id, "vip", reason="vip", request_id="v")
    after = await earn(ledger, tenant_id, member.member_id, 10, "t2", currency="temporary")
    assert after.expires_at is None
    bonus = await earn(ledger, tenant_id, member.member_id, 10, "t3", apply_tier_multiplier=True)
    assert bonus.points == 15


async def test_custom_tier_expiry_clears_it(ledger, tiers, engine, clock, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    await tiers.set_custom(
        tenant_id, member.member_id, "vip", reason="trial", request_id="v", expires_at=START + 7 * DAY
    )
    assert (await member_row(engine, member.member_id))["tier_review_at"] == START + 7 * DAY
    clock.advance(7 * DAY - dt.timedelta(seconds=1))
    assert await run_round(ledger) == 0
    clock.advance(dt.timedelta(seconds=1))
    assert await run_round(ledger) == 1
    assert await run_round(ledger) == 0
    row = await member_row(engine, member.member_id)
    assert (row["custom_tier_id"], row["custom_tier_expires_at"], row["tier_review_at"]) == (None, None, None)
    names = [(event.type_name, event.WhichOneof("payload")) for event in await tier_events(engine)]
    assert names == [("tier.upgraded", "tier_upgraded"), ("tier.downgraded", "tier_downgraded")]
    downgraded = (await tier_events(engine))[-1].tier_downgraded
    assert (downgraded.previous_tier_id, downgraded.tier_id, downgraded.custom) == ("vip", "bronze", True)


async def test_custom_tier_refusals_and_replays(ledger, tiers, engine, clock, tenant_id) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    refusals = [
        ({"tier_id": "gold"}, ErrorKind.INVALID_ARGUMENT, "NOT_A_CUSTOM_TIER"),
        ({"tier_id": "platinum"}, ErrorKind.NOT_FOUND, "TIER_NOT_FOUND"),
        ({"tier_id": ""}, ErrorKind.INVALID_ARGUMENT, "TIER_ID_REQUIRED"),
        ({"tier_id": "vip", "reason": " "}, ErrorKind.INVALID_ARGUMENT, "REASON_REQUIRED"),
        ({"tier_id": "vip", "reason": "x" * 501}, ErrorKind.INVALID_ARGUMENT, "FIELD_TOO_LONG"),
        ({"tier_id": "vip", "expires_at": START}, ErrorKind.INVALID_ARGUMENT, "INVALID_EXPIRE_TIME"),
    ]
    for index, (fields, kind, reason) in enumerate(refusals):
        arguments = {"reason": "why", **fields}
        tier_id = arguments.pop("tier_id")
        with pytest.raises(DomainError) as raised:
            await tiers.set_custom(tenant_id, member.member_id, tier_id, request_id=f"r{index}", **arguments)
        assert (raised.value.kind, raised.value.reason) == (kind, reason)
    with pytest.raises(DomainError) as raised:
        await tiers.set_custom(tenant_id, "m_nobody", "vip", reason="why", request_id="nobody")
    assert raised.value.reason == "MEMBER_NOT_FOUND"
    first = await tiers.set_custom(tenant_id, member.member_id, "vip", reason="why", request_id="ok")
    replay = await tiers.set_custom(tenant_id, member.member_id, "vip", reason="why", request_id="ok")
    assert replay == first
    with pytest.raises(DomainError) as raised:
        await tiers.set_custom(tenant_id, member.member_id, "employee", reason="why", request_id="ok")
    assert raised.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert len(await tier_events(engine)) == 1


# --- the job ---------------------------------------------------------------------------------------


async def test_job_rounds_are_batched_and_idempotent(ledger, engine, clock, tenant_id) -> None:
    for index in range(3):
        await silver_member(ledger, tenant_id, key=str(index))
    clock.set(dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    assert await run_round(ledger, limit=2) == 2
    assert await run_round(ledger, limit=2) == 1
    assert await run_round(ledger, limit=2) == 0


async def test_two_replicas_never_double_announce(ledger, engine, clock, tenant_id, database_url) -> None:
    member_ids = [await silver_member(ledger, tenant_id, key=str(index)) for index in range(4)]
    replica_engine = create_engine(database_url)
    replica = Ledger(replica_engine, clock, lambda _tenant_id: PROGRAM)
    try:
        for moment in (
            dt.datetime(2027, 3, 1, tzinfo=dt.UTC),  # grace starts
            dt.datetime(2027, 3, 17, tzinfo=dt.UTC),  # warnings
            dt.datetime(2027, 3, 31, tzinfo=dt.UTC),  # downgrades
        ):
            clock.set(moment)
            evaluated = await asyncio.gather(run_round(ledger), run_round(replica), run_round(ledger))
            assert sum(evaluated) == len(member_ids)
            assert await run_round(replica) == 0
    finally:
        await replica_engine.dispose()
    for member_id in member_ids:
        names = [event.type_name for event in await tier_events(engine, member_id)]
        assert names == ["tier.upgraded", "tier.downgrade_warning", "tier.downgraded"]


async def test_deactivated_members_are_left_alone(ledger, tiers, engine, clock, tenant_id) -> None:
    member_id = await silver_member(ledger, tenant_id)
    async with write_transaction(engine) as connection:
        await connection.execute(
            members.update().where(members.c.member_id == member_id).values(status="deactivated")
        )
    clock.set(dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    assert await run_round(ledger) == 0
    row = await member_row(engine, member_id)
    assert (row["tier_id"], row["tier_review_at"]) == ("silver", None)
    with pytest.raises(DomainError) as raised:
        await tiers.set_custom(tenant_id, member_id, "vip", reason="why", request_id="v")
    assert raised.value.reason == "MEMBER_DEACTIVATED"


# --- reversals -------------------------------------------------------------------------------------


async def test_a_returned_order_lowers_qualifying_points_on_the_earn_day(
    ledger, tiers, engine, clock, tenant_id
) -> None:
    from loyalty_server.ledger.reversals import Proportion, reverse_origin

    member = await ledger.enroll(tenant_id, request_id="m")
    await earn(ledger, tenant_id, member.member_id, 2500, "order")
    clock.advance(3 * DAY)
    await earn(ledger, tenant_id, member.member_id, 100, "later")
    await reverse_origin(
        ledger,
        tenant_id,
        ("bulk_award", "order", ""),
        Proportion(2, 5),
        reason_code="RETURN",
        reason="",
        request_id="return",
    )
    view = (await tiers.get_member_tier(tenant_id, member.member_id)).status
    # 1600 left: the tier stays silver for the grace period; nothing announced yet.
    assert (view.qualifying_points, view.effective.id) == (1600, "silver")
    assert view.downgrade_at == clock.now() + 30 * DAY
    assert [event.type_name for event in await tier_events(engine)] == ["tier.upgraded"]
    # The rest of the order comes back too; the day of the order is what loses the points.
    await reverse_origin(
        ledger,
        tenant_id,
        ("bulk_award", "order", ""),
        None,
        reason_code="RETURN",
        reason="",
        request_id="rest",
    )
    assert (await tiers.get_member_tier(tenant_id, member.member_id)).status.qualifying_points == 100
    clock.advance(16 * DAY)
    assert await run_round(ledger) == 1  # the warning
    clock.advance(14 * DAY)
    assert await run_round(ledger) == 1  # the downgrade
    assert [event.type_name for event in await tier_events(engine)] == [
        "tier.upgraded",
        "tier.downgrade_warning",
        "tier.downgraded",
    ]
    await check_invariants(engine, debt_allowed=True)


async def test_reversing_what_is_not_an_earn_leaves_qualifying_points(
    ledger, tiers, engine, tenant_id
) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    await earn(ledger, tenant_id, member.member_id, 300, "e")
    await ledger.spend(tenant_id, member.member_id, currency="permanent", points=100, entry=entry("s"))
    async with engine.connect() as connection:
        query = select(ledger_transactions.c.id).where(ledger_transactions.c.type == "spend")
        spend_pk = (await connection.execute(query)).scalar_one()
    async with write_transaction(engine) as connection:
        stored = await get_member(connection, tenant_id, member.member_id)
        await tier_store.reverse_qualifying(
            connection, ledger.clock, PROGRAM, stored, original_pk=spend_pk, points=100, request_id="undo"
        )
    assert (await tiers.get_member_tier(tenant_id, member.member_id)).status.qualifying_points == 300
