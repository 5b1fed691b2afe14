"""Applying partner activities through the domain (no gRPC): rules, limits, updates, deletes, replays."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from loyalty.v1 import activity_pb2
from loyalty_server.activity.intake import ActivityIntake, ActivityItem
from loyalty_server.activity.tables import health_readings
from loyalty_server.ledger.book import Entry
from loyalty_server.ledger.member_lifecycle import MemberLifecycle
from loyalty_server.ledger.reversals import reverse_origin
from loyalty_server.ledger.tiers import Tiers
from tests.ledger_invariants import check_invariants

Op = activity_pb2.ActivityOperation
Outcome = activity_pb2.ActivityOutcome
Reason = activity_pb2.ActivityErrorReason
CLIENT = "pc_fitapp"


@pytest.fixture
def intake(ledger) -> ActivityIntake:
    return ActivityIntake(ledger)


def steps(activity_id: str, count: int, local: str = "2026-03-01 05:00:00") -> activity_pb2.ActivityData:
    data = activity_pb2.ActivityData(id=activity_id, local_timestamp=local, device_tracked=True)
    data.value.total_steps.steps = count
    return data


def occurrence(activity_id: str, kind: str, local: str = "2026-03-01 05:00:00") -> activity_pb2.ActivityData:
    data = activity_pb2.ActivityData(id=activity_id, local_timestamp=local)
    if kind == "general_exercise":
        data.value.general_exercise.duration_seconds = 1800
        data.value.general_exercise.exercise_name = "Yoga"
    elif kind == "weight":
        data.value.weight.weight_pounds = 168.0
    elif kind == "blood_pressure":
        data.value.blood_pressure.systolic_mmhg = 120
        data.value.blood_pressure.diastolic_mmhg = 80
    elif kind == "blood_glucose":
        data.value.blood_glucose.glucose_mg_per_dl = 56.2
    return data


async def post(intake, tenant_id, member_id, data, op=Op.ACTIVITY_OPERATION_CREATE):
    return await intake.apply(tenant_id, ActivityItem(op, CLIENT, member_id, data))


async def available(ledger, tenant_id, member_id) -> int:
    return (await ledger.balance(tenant_id, member_id)).total_available


async def test_steps_earn_20_a_mile_and_a_replay_earns_nothing(intake, ledger, tenant_id, engine) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    first = await post(intake, tenant_id, member.member_id, steps("a1", 5000))
    assert (first.outcome, first.points_delta) == (Outcome.ACTIVITY_OUTCOME_APPLIED, 50)
    again = await post(intake, tenant_id, member.member_id, steps("a1", 5000))
    assert (again.outcome, again.points_delta) == (Outcome.ACTIVITY_OUTCOME_REPLAYED, 0)
    reused = await post(intake, tenant_id, member.member_id, steps("a1", 6000))
    assert reused.failure.reason == Reason.ACTIVITY_ERROR_REASON_ID_REUSED
    assert await available(ledger, tenant_id, member.member_id) == 50
    await check_invariants(engine)


async def test_updates_move_points_both_ways_and_delete_reverses(intake, ledger, tenant_id, engine) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    mid = member.member_id
    await post(intake, tenant_id, mid, steps("a1", 4000))
    up = await post(intake, tenant_id, mid, steps("a1", 10000), Op.ACTIVITY_OPERATION_UPDATE)
    assert up.points_delta == 60
    down = await post(intake, tenant_id, mid, steps("a1", 2000), Op.ACTIVITY_OPERATION_UPDATE)
    assert down.points_delta == -80
    assert await available(ledger, tenant_id, mid) == 20
    gone = await post(intake, tenant_id, mid, steps("a1", 0), Op.ACTIVITY_OPERATION_DELETE)
    assert gone.points_delta == -20
    again = await post(intake, tenant_id, mid, steps("a1", 0), Op.ACTIVITY_OPERATION_DELETE)
    assert again.outcome == Outcome.ACTIVITY_OUTCOME_REPLAYED
    late = await post(intake, tenant_id, mid, steps("a1", 3000), Op.ACTIVITY_OPERATION_UPDATE)
    assert late.failure.reason == Reason.ACTIVITY_ERROR_REASON_ALREADY_DELETED
    missing = await post(intake, tenant_id, mid, steps("zz", 3000), Op.ACTIVITY_OPERATION_UPDATE)
    assert missing.failure.reason == Reason.ACTIVITY_ERROR_REASON_NOT_FOUND
    assert await available(ledger, tenant_id, mid) == 0
    async with engine.connect() as connection:
        assert (await connection.execute(select(health_readings))).all() == []
    await check_invariants(engine)


async def test_one_general_exercise_a_day_and_the_shared_monthly_limit(
    intake, ledger, tenant_id, engine
) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    mid = member.member_id
    assert (await post(intake, tenant_id, mid, occurrence("g1", "general_exercise"))).points_delta == 20
    second = await post(intake, tenant_id, mid, occurrence("g2", "general_exercise"))
    assert (second.outcome, second.points_delta) == (Outcome.ACTIVITY_OUTCOME_APPLIED, 0)
    # 99,000 steps (990 points) fill the monthly 1,000 with the exercise's 20: only 980 fit.
    big = await post(intake, tenant_id, mid, steps("s1", 99000))
    assert big.points_delta == 980
    assert (await post(intake, tenant_id, mid, steps("s2", 2000))).points_delta == 0
    # Weight is outside the shared limit.
    assert (await post(intake, tenant_id, mid, occurrence("w1", "weight"))).points_delta == 20
    # Deleting the exercise frees 20 of the month: a later update can use them.
    await post(intake, tenant_id, mid, occurrence("g1", "general_exercise"), Op.ACTIVITY_OPERATION_DELETE)
    regain = await post(intake, tenant_id, mid, steps("s2", 4000), Op.ACTIVITY_OPERATION_UPDATE)
    assert regain.points_delta == 20
    await check_invariants(engine)


async def test_days_and_months_count_in_each_members_own_zone(
    intake, ledger, tenant_id, clock, engine
) -> None:
    """Two members post at the same instants; Chicago and Tokyo see different calendar days."""
    clock.set(dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))
    chicago = (await ledger.enroll(tenant_id, request_id="c", time_zone="America/Chicago")).member_id
    tokyo = (await ledger.enroll(tenant_id, request_id="t", time_zone="Asia/Tokyo")).member_id
    at = [dt.datetime(2026, 3, 31, 14, 30, tzinfo=dt.UTC), dt.datetime(2026, 3, 31, 15, 30, tzinfo=dt.UTC)]

    def exercise(activity_id: str, moment: dt.datetime) -> activity_pb2.ActivityData:
        data = occurrence(activity_id, "general_exercise")
        data.occur_time.FromDatetime(moment)
        return data

    # 14:30 and 15:30 UTC: 09:30 and 10:30 the same day in Chicago (one award),
    # 23:30 on 31 March and 00:30 on 1 April in Tokyo (two days, two awards).
    assert [
        (await post(intake, tenant_id, chicago, exercise(f"e{i}", moment))).points_delta
        for i, moment in enumerate(at)
    ] == [20, 0]
    assert [
        (await post(intake, tenant_id, tokyo, exercise(f"e{i}", moment))).points_delta
        for i, moment in enumerate(at)
    ] == [20, 20]
    # Month end: Tokyo's 1 April starts a new month for the shared 1,000-point limit.
    fill = steps("big", 98000, local="2026-03-31 22:00:00")  # 980 + the 20 above = March full
    assert (await post(intake, tenant_id, tokyo, fill)).points_delta == 980
    more_march = await post(intake, tenant_id, tokyo, steps("m2", 2000, local="2026-03-31 23:59:59"))
    assert more_march.points_delta == 0
    april = await post(intake, tenant_id, tokyo, steps("a1", 2000, local="2026-04-01 00:00:00"))
    assert april.points_delta == 20
    await check_invariants(engine)


async def test_the_seeds_other_rules(intake, ledger, tenant_id, engine) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    mid = member.member_id
    glucose = [await post(intake, tenant_id, mid, occurrence(f"g{i}", "blood_glucose")) for i in range(3)]
    assert [g.points_delta for g in glucose] == [20, 20, 0]  # two a day
    pressure = [await post(intake, tenant_id, mid, occurrence(f"p{i}", "blood_pressure")) for i in range(2)]
    assert [p.points_delta for p in pressure] == [20, 0]
    tomorrow = await post(
        intake, tenant_id, mid, occurrence("p9", "blood_pressure", local="2026-03-02 05:00:00")
    )
    assert tomorrow.points_delta == 20
    ride = activity_pb2.ActivityData(id="b1", local_timestamp="2026-03-01 05:00:00")
    ride.value.biking.distance_miles = 5.5
    assert (
        await post(intake, tenant_id, mid, ride)
    ).points_delta == 110  # biking is outside the monthly limit
    walk = activity_pb2.ActivityData(id="w1", local_timestamp="2026-03-01 05:00:00")
    walk.value.walking.distance_miles = 1.0
    walk.value.walking.steps = 2500  # the larger counts once: 1.25 miles
    assert (await post(intake, tenant_id, mid, walk)).points_delta == 25
    sleep = activity_pb2.ActivityData(id="z1", local_timestamp="2026-03-01 05:00:00")
    sleep.value.sleep.duration_seconds = 28000
    slept = await post(intake, tenant_id, mid, sleep)
    assert (slept.outcome, slept.points_delta) == (Outcome.ACTIVITY_OUTCOME_APPLIED, 0)
    await check_invariants(engine)


async def test_tier_multipliers_apply_and_limits_count_the_multiplied_points(
    intake, ledger, tenant_id, engine
) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    mid = member.member_id
    await Tiers(ledger).set_custom(tenant_id, mid, "employee", reason="staff", request_id="emp")
    assert (await post(intake, tenant_id, mid, steps("s1", 4000))).points_delta == 80  # double points
    assert (
        await post(intake, tenant_id, mid, steps("s2", 92000))
    ).points_delta == 920  # 1,840 cut to the month's 1,000
    await check_invariants(engine)


async def test_concurrent_posts_never_overrun_a_limit(intake, ledger, tenant_id, engine) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    applied = await asyncio.gather(
        *(
            post(intake, tenant_id, member.member_id, occurrence(f"g{i}", "general_exercise"))
            for i in range(6)
        )
    )
    assert sorted(a.points_delta for a in applied) == [0, 0, 0, 0, 0, 20]
    assert await available(ledger, tenant_id, member.member_id) == 20
    await check_invariants(engine)


async def test_deleting_after_spending_records_debt_and_a_hand_reversal_is_respected(
    intake, ledger, tenant_id, engine
) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    mid = member.member_id
    await post(intake, tenant_id, mid, steps("s1", 10000))
    await ledger.spend(
        tenant_id,
        mid,
        currency="permanent",
        points=80,
        entry=Entry("redemption", "r1", "TEST", request_id="sp"),
    )
    gone = await post(intake, tenant_id, mid, steps("s1", 0), Op.ACTIVITY_OPERATION_DELETE)
    assert gone.points_delta == -100
    view = await ledger.balance(tenant_id, mid)
    assert (view.currencies[0].available, view.currencies[0].debt) == (0, 80)
    # An operator reverses another activity by hand; the partner's later delete takes nothing twice.
    await post(intake, tenant_id, mid, steps("s2", 2000))
    await reverse_origin(
        ledger, tenant_id, ("activity", "s2", CLIENT), None, reason_code="FRAUD", reason="x", request_id="rv"
    )
    late = await post(intake, tenant_id, mid, steps("s2", 0), Op.ACTIVITY_OPERATION_DELETE)
    assert (late.outcome, late.points_delta) == (Outcome.ACTIVITY_OUTCOME_APPLIED, 0)
    await check_invariants(engine, debt_allowed=True)


async def test_an_inactive_member_and_the_date_window(intake, ledger, tenant_id, clock) -> None:
    member = await ledger.enroll(tenant_id, request_id="m")
    mid = member.member_id
    ahead = await post(
        intake, tenant_id, mid, steps("f1", 2000, local="2026-03-02 06:00:00")
    )  # 1 day ahead in Chicago
    assert ahead.points_delta == 20
    too_far = await post(intake, tenant_id, mid, steps("f2", 2000, local="2026-03-02 06:00:01"))
    assert too_far.failure.reason == Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE
    await MemberLifecycle(ledger).deactivate(tenant_id, mid, reason="closed", request_id="d")
    closed = await post(intake, tenant_id, mid, steps("x", 2000))
    assert closed.failure.reason == Reason.ACTIVITY_ERROR_REASON_MEMBER_INACTIVE
