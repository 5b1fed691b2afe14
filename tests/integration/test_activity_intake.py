"""Applying partner activities through the domain (no gRPC): rules, limits, updates, deletes, replays."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loyalty.v1 import activity_pb2
from loyalty_server.activity.intake import ActivityIntake, ActivityItem
from loyalty_server.activity.tables import health_readings
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


async def test_one_general_exercise_a_day_and_the_shared_monthly_limit(intake, ledger, tenant_id, engine) -> None:
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
