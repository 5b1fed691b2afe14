"""A run of one member's creates applied together (`ActivityIntake.apply_creates`) writes exactly what
applying them one by one writes: the same outcomes, points, activity rows, awards, ledger transactions
and events, in the same order, limits and a tier upgrade in the middle of the run included."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from loyalty.v1 import activity_pb2, subscription_pb2
from loyalty_server.activity import intake as intake_module
from loyalty_server.activity.intake import ActivityIntake, ActivityItem, Applied
from loyalty_server.activity.tables import activities, health_readings, rule_awards
from loyalty_server.clock import FakeClock
from loyalty_server.ledger.member_lifecycle import MemberLifecycle
from loyalty_server.ledger.members import MemberStatus, get_member
from loyalty_server.ledger.operations import Ledger
from loyalty_server.ledger.tables import ledger_transactions
from loyalty_server.storage.schema import events
from tests.integration.conftest import DEMO, LEDGER_START
from tests.integration.test_activity_intake import CLIENT, occurrence, steps
from tests.integration.test_ledger import entry
from tests.ledger_invariants import check_invariants
from tests.support import count_calls

Op = activity_pb2.ActivityOperation
Outcome = activity_pb2.ActivityOutcome
Reason = activity_pb2.ActivityErrorReason


def bike(activity_id: str, miles: float, local: str) -> activity_pb2.ActivityData:
    data = activity_pb2.ActivityData(id=activity_id, local_timestamp=local)
    data.value.biking.distance_miles = miles  # 20 points a mile, outside the monthly limit
    return data


def the_run() -> list[activity_pb2.ActivityData]:
    """Limits that bite inside the run, a replay, a reused id, refusals, and enough points to reach
    silver (2,000) at the second ride, so what follows earns at 110 %."""
    return [
        occurrence("g1", "general_exercise"),
        occurrence("g2", "general_exercise"),  # one award a day: nothing
        steps("s1", 99000),  # 990 points, cut to the month's 1,000 less the exercise's 20
        steps("s1", 99000),  # the same again: a replay
        steps("s1", 5000),  # the same id, other content: refused
        steps("late", 1000, local="2027-01-01 00:00:00"),  # past the future window: refused
        occurrence("p1", "blood_pressure", local="2026-02-27 08:00:00"),
        bike("b1", 30.0, "2026-02-28 07:00:00"),
        bike("b2", 30.0, "2026-02-28 08:00:00"),  # 2,220 qualifying points: silver from here on
        bike("b3", 30.0, "2026-03-01 07:00:00"),  # 600 x 110 %
        bike("b4", 10.0, "2026-03-01 09:00:00"),  # 200 x 110 %
        occurrence("w1", "weight"),  # 20 x 110 %
    ]


def items(member_id: str) -> list[ActivityItem]:
    return [ActivityItem(Op.ACTIVITY_OPERATION_CREATE, CLIENT, member_id, data) for data in the_run()]


def summary(applied: list[Applied]) -> list[tuple[Any, ...]]:
    return [
        (
            one.outcome,
            one.type_name,
            one.points_delta,
            len(one.transaction_ids),
            one.failure.reason if one.failure else None,
        )
        for one in applied
    ]


def _event_shape(payload: bytes) -> bytes:
    """An event without what differs between two members' identical histories: ids and times."""
    event = subscription_pb2.Event.FromString(payload)
    event.ClearField("event_id")
    event.ClearField("event_time")
    event.ClearField("member")  # member id and loyalty id
    kind = event.WhichOneof("payload")
    if kind in ("points_earned", "points_spent"):
        getattr(event, kind).ClearField("transaction_id")
    return event.SerializeToString(deterministic=True)


async def written(engine: AsyncEngine, tenant_id: int, member_id: str) -> dict[str, list[tuple[Any, ...]]]:
    async with engine.connect() as connection:
        member = await get_member(connection, tenant_id, member_id)
        rows: dict[str, list[tuple[Any, ...]]] = {"member": [(member.tier_id, member.status)]}
        a = activities.c
        rows["activities"] = list(
            await connection.execute(
                select(a.activity_id, a.type, a.state, a.points, a.local_day, a.content_sha256)
                .where(a.member_pk == member.pk)
                .order_by(a.id)
            )
        )
        r = rule_awards.c
        rows["awards"] = list(
            await connection.execute(
                select(activities.c.activity_id, r.rule_id, r.local_day, r.points)
                .join(activities, r.origin_key == "activity:" + activities.c.id.cast(r.origin_key.type))
                .where(r.member_pk == member.pk)
                .order_by(r.id)
            )
        )
        t = ledger_transactions.c
        rows["transactions"] = list(
            await connection.execute(
                select(t.type, t.currency, t.points, t.debt_points, t.source_id, t.origin_id, t.reason_code)
                .where(t.member_pk == member.pk)
                .order_by(t.id)
            )
        )
        rows["readings"] = list(
            await connection.execute(
                select(health_readings.c.value)
                .where(health_readings.c.member_pk == member.pk)
                .order_by(health_readings.c.activity_pk)
            )
        )
        payloads = await connection.execute(
            select(events.c.type, events.c.payload)
            .where(events.c.member_id == member_id, events.c.type != "member.enrolled")
            .order_by(events.c.sequence)
        )
        rows["events"] = [(kind, _event_shape(payload)) for kind, payload in payloads]
    return rows


@pytest.mark.parametrize("usage_days_max", [intake_module.RUN_USAGE_DAYS_MAX, 0])
async def test_a_run_writes_what_one_by_one_writes(
    ledger, tenant_id, engine, monkeypatch, usage_days_max
) -> None:
    """With the run's usage read once, and (0) read by each create for itself."""
    monkeypatch.setattr(intake_module, "RUN_USAGE_DAYS_MAX", usage_days_max)
    intake = ActivityIntake(ledger)
    alone = (await ledger.enroll(tenant_id, request_id="alone")).member_id
    together = (await ledger.enroll(tenant_id, request_id="together")).member_id
    one_by_one = [await intake.apply(tenant_id, item) for item in items(alone)]
    as_a_run = await intake.apply_creates(tenant_id, items(together))
    assert summary(as_a_run) == summary(one_by_one)
    # The run did what the list above says it does (so the comparison compares something).
    deltas = [one.points_delta for one in as_a_run]
    assert deltas == [20, 0, 980, 0, 0, 0, 20, 600, 600, 660, 220, 22]
    reasons = [one.failure.reason for one in as_a_run if one.failure]
    assert reasons == [
        Reason.ACTIVITY_ERROR_REASON_ID_REUSED,
        Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE,
    ]
    alone_rows = await written(engine, tenant_id, alone)
    together_rows = await written(engine, tenant_id, together)
    assert together_rows["member"] == [("silver", MemberStatus.ACTIVE)]
    assert any(kind == "tier.upgraded" for kind, _ in together_rows["events"])
    for table in alone_rows:
        assert together_rows[table] == alone_rows[table], table
    await check_invariants(engine)


async def test_a_run_for_an_inactive_member_fails_every_create(ledger, tenant_id, engine) -> None:
    intake = ActivityIntake(ledger)
    member_id = (await ledger.enroll(tenant_id, request_id="m")).member_id
    await MemberLifecycle(ledger).deactivate(tenant_id, member_id, reason="closed", request_id="d")
    applied = await intake.apply_creates(tenant_id, items(member_id))
    assert {one.failure.reason for one in applied if one.failure} == {
        Reason.ACTIVITY_ERROR_REASON_MEMBER_INACTIVE
    }
    assert all(one.outcome == Outcome.ACTIVITY_OUTCOME_FAILED for one in applied)
    assert (await written(engine, tenant_id, member_id))["activities"] == []


async def test_a_run_of_refused_creates_writes_nothing(ledger, tenant_id, engine) -> None:
    intake = ActivityIntake(ledger)
    member_id = (await ledger.enroll(tenant_id, request_id="m")).member_id
    late = [steps(f"late{i}", 1000, local="2027-01-01 00:00:00") for i in range(3)]
    run = [ActivityItem(Op.ACTIVITY_OPERATION_CREATE, CLIENT, member_id, data) for data in late]
    applied = await intake.apply_creates(tenant_id, run)
    assert [one.failure.reason for one in applied if one.failure] == [
        Reason.ACTIVITY_ERROR_REASON_TIMESTAMP_IN_FUTURE
    ] * 3
    assert (await written(engine, tenant_id, member_id))["activities"] == []


class TickingClock(FakeClock):
    """Time moves a little at every reading: a run of creates takes a while, as on a busy server."""

    def now(self):  # type: ignore[no-untyped-def]
        self.advance(dt.timedelta(milliseconds=10))
        return super().now()


async def test_what_comes_due_during_a_run_settles_with_its_events(tenant_id, engine) -> None:
    """A hold's time runs out in the middle of a run: it is released, and announced (hold.expired),
    as the next create's own lock would have done one by one."""
    ledger = Ledger(engine, TickingClock(LEDGER_START), lambda _tenant_id: DEMO)
    intake = ActivityIntake(ledger)
    member_id = (await ledger.enroll(tenant_id, request_id="m")).member_id
    await ledger.earn(
        tenant_id, member_id, currency="permanent", points=100, source_id="bonus", entry=entry("e1")
    )
    hold = await ledger.create_hold(
        tenant_id, member_id, currency="permanent", points=60, request_id="h", ttl_s=1
    )
    bikes = [bike(f"b{i}", 1.0, "2026-03-01 07:00:00") for i in range(40)]
    run = [ActivityItem(Op.ACTIVITY_OPERATION_CREATE, CLIENT, member_id, data) for data in bikes]
    applied = await intake.apply_creates(tenant_id, run)
    assert [one.points_delta for one in applied] == [20] * 40
    assert (await ledger.get_hold(tenant_id, hold.hold_id)).status == "expired"
    kinds = [kind for kind, _ in (await written(engine, tenant_id, member_id))["events"]]
    assert kinds.count("hold.expired") == 1
    # Announced in the run, between two of its creates: not first (the hold was live at the lock).
    assert 0 < kinds.index("hold.expired") < len(kinds) - 1
    await check_invariants(engine)


async def test_a_long_run_finds_the_ids_posted_before_in_every_lookup(
    ledger, tenant_id, engine, monkeypatch
) -> None:
    """More ids than one lookup reads (RUN_LOOKUP_IDS): each id posted before is a replay, or
    ID_REUSED with other content, wherever it falls; an id twice in the run is a replay the second
    time; the same id from another partner client is an activity of its own."""
    intake = ActivityIntake(ledger)
    member_id = (await ledger.enroll(tenant_id, request_id="m")).member_id
    count = 2 * intake_module.RUN_LOOKUP_IDS + 6
    before = {0, intake_module.RUN_LOOKUP_IDS - 1, intake_module.RUN_LOOKUP_IDS, count - 1}
    reused = intake_module.RUN_LOOKUP_IDS + 1
    for index in sorted(before):
        await intake.apply(
            tenant_id, ActivityItem(Op.ACTIVITY_OPERATION_CREATE, CLIENT, member_id, weight(index))
        )
    other = occurrence(f"a{reused}", "blood_pressure")
    await intake.apply(tenant_id, ActivityItem(Op.ACTIVITY_OPERATION_CREATE, CLIENT, member_id, other))
    await intake.apply(
        tenant_id, ActivityItem(Op.ACTIVITY_OPERATION_CREATE, "another-client", member_id, weight(1))
    )
    someone_else = (await ledger.enroll(tenant_id, request_id="someone else")).member_id
    await intake.apply(tenant_id, ActivityItem(Op.ACTIVITY_OPERATION_CREATE, CLIENT, someone_else, weight(2)))
    run_lookups = count_calls(monkeypatch, intake_module._FIND_POSTED, "rows")
    single_lookups = count_calls(monkeypatch, intake_module._FIND_ACTIVITY, "first")
    run = [
        ActivityItem(Op.ACTIVITY_OPERATION_CREATE, CLIENT, member_id, weight(index)) for index in range(count)
    ]
    run.append(ActivityItem(Op.ACTIVITY_OPERATION_CREATE, CLIENT, member_id, weight(5)))
    run.append(ActivityItem(Op.ACTIVITY_OPERATION_CREATE, "another-client", member_id, weight(0)))
    run.append(ActivityItem(Op.ACTIVITY_OPERATION_CREATE, "another-client", member_id, weight(1)))
    applied = await intake.apply_creates(tenant_id, run)
    expected = [
        Outcome.ACTIVITY_OUTCOME_REPLAYED
        if index in before
        else Outcome.ACTIVITY_OUTCOME_FAILED
        if index == reused
        else Outcome.ACTIVITY_OUTCOME_APPLIED
        for index in range(count)
    ]
    # a5 again; a0 of another client is new, its a1 was posted before (a2 of CLIENT too, for someone else)
    expected += [Outcome.ACTIVITY_OUTCOME_REPLAYED, Outcome.ACTIVITY_OUTCOME_APPLIED]
    expected += [Outcome.ACTIVITY_OUTCOME_REPLAYED]
    assert [one.outcome for one in applied] == expected
    assert applied[reused].failure.reason == Reason.ACTIVITY_ERROR_REASON_ID_REUSED
    # Read together: CLIENT's 70 ids in three lookups, another-client's two in one; none one by one.
    assert (run_lookups.count, single_lookups.count) == (4, 0)
    await check_invariants(engine)


def weight(index: int) -> activity_pb2.ActivityData:
    return occurrence(f"a{index}", "weight")
